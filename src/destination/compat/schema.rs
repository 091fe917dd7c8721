//! Does the destination's schema match the source's? Asks the destination for the diff of a
//! snapshot and makes it safe: what only the destination has is withheld unless the caller asks
//! to mirror. Used by schema sync (to apply it) and by the run's guard (to refuse while it is not
//! empty).

use std::collections::BTreeSet;

use crate::destination::{Destination, DestinationError};
use crate::pipeline::schema::{restrict, DiffSummary, SchemaDiff, Snapshot};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// How a diff is asked for and filtered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Diff although the Directus versions or database vendors differ.
    pub force: bool,
    /// Also delete what the destination has and the source does not.
    pub mirror: bool,
    /// Also change existing columns.
    pub alter_columns: bool,
}

/// A diff ready to apply, with its hash and what it changes.
pub struct SyncPlan {
    pub hash: String,
    pub diff: SchemaDiff,
    pub summary: DiffSummary,
}

/// Ask the destination for the diff and make it safe.
pub async fn diff_plan<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    snapshot: &Snapshot,
    options: DiffOptions,
    scope: Option<&BTreeSet<String>>,
) -> Result<SyncPlan, CoreError> {
    let Some(response) = destination.schema_diff(snapshot, options.force).await.map_err(refused_snapshot)? else {
        return Ok(SyncPlan {
            hash: String::new(),
            diff: SchemaDiff::default(),
            summary: DiffSummary::new(&SchemaDiff::default(), vec![], vec![], options.mirror),
        });
    };
    let mut diff = response.diff;
    // Between database vendors (only ever forced), column types differ by nature: compare
    // Directus' types only. (The destination's vendor is asked only when it could matter.)
    if options.force && diff.has_column_details() && destination.schema_snapshot().await?.vendor != snapshot.vendor {
        diff = diff.without_column_details();
    }
    let (diff, withheld, unaltered) = diff.filter(options.mirror, options.alter_columns || options.mirror, scope);
    let summary = DiffSummary::new(&diff, withheld, unaltered, options.mirror);
    Ok(SyncPlan { hash: response.hash, diff, summary })
}

/// Directus refuses a snapshot of another version or database vendor unless forced: that is a
/// conflict for the caller (409, like `/migration/check`), not a failure of the destination.
fn refused_snapshot(error: DestinationError) -> CoreError {
    match error {
        DestinationError::Rejected { status: 400, ref message, .. }
            if message.contains("Provided snapshot's") && message.contains("does not match the current instance's") =>
        {
            let reason = message.trim_start_matches("Invalid payload. ");
            let reason = reason.split(" You can bypass").next().unwrap_or(reason);
            CoreError::Conflict(format!(
                "The destination refused the schema: {reason} Pass scope.force to migrate anyway."
            ))
        }
        other => other.into(),
    }
}

/// `Ok` when the destination has every collection, field and relation of `collections` as the
/// source has them, columns included; otherwise [`CoreError::SchemaMismatch`] naming the
/// differences.
pub async fn ensure_schema_matches<T: Transport, C: Clock>(
    source: &Snapshot,
    destination: &Destination<T, C>,
    collections: &BTreeSet<String>,
    force: bool,
) -> Result<(), CoreError> {
    let snapshot = restrict(source, collections);
    let options = DiffOptions { force, ..DiffOptions::default() };
    let plan = diff_plan(destination, &snapshot, options, Some(collections)).await?;
    if plan.summary.in_sync() {
        Ok(())
    } else {
        let columns = plan.summary.unaltered.iter().map(|u| u.describe()).collect();
        Err(CoreError::SchemaMismatch { differences: plan.summary.lines(), columns })
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::pipeline::schema::fixtures::publishing;
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, destination, Scripted};

    fn guard(
        answers: Vec<Result<crate::shared::http::HttpResponse, crate::shared::http::TransportError>>,
    ) -> Result<(), CoreError> {
        let transport = Scripted::new(answers);
        let clock = FakeClock::default();
        let scope: BTreeSet<String> = ["languages".to_string()].into();
        block_on(ensure_schema_matches(&publishing(), &destination(&transport, &clock), &scope, false))
    }

    #[test]
    fn a_snapshot_of_another_vendor_is_a_conflict_unless_forced() {
        let refused = r#"{"errors":[{"message":"Invalid payload. Provided snapshot's vendor sqlite does not match the current instance's vendor postgres. You can bypass this check by passing the `force` query parameter.","extensions":{"code":"INVALID_PAYLOAD"}}]}"#;
        let err = guard(vec![answer(400, refused)]).unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(
            err.to_string(),
            "The destination refused the schema: Provided snapshot's vendor sqlite does not match the current instance's vendor postgres. Pass scope.force to migrate anyway."
        );
    }

    #[test]
    fn passes_when_only_destination_extras_differ() {
        assert!(guard(vec![answer(204, "")]).is_ok());
        let extras = json!({ "data": { "hash": "h", "diff": { "collections": [{ "collection": "legacy", "diff": [{ "kind": "D", "lhs": {} }] }], "fields": [], "relations": [] } } });
        assert!(guard(vec![answer(200, &extras.to_string())]).is_ok());
    }

    #[test]
    fn refuses_with_the_seed_message_when_the_source_has_more() {
        let missing = json!({ "data": { "hash": "h", "diff": { "collections": [], "fields": [{ "collection": "languages", "field": "name", "diff": [{ "kind": "N", "rhs": {} }] }], "relations": [] } } });
        let err = guard(vec![answer(200, &missing.to_string())]).unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(err.to_string(), "Schema differences detected. Please run /migration/schema-sync first.");
        assert!(
            matches!(err, CoreError::SchemaMismatch { ref differences, .. } if differences == &vec!["languages: create 1 field".to_string()])
        );
    }

    #[test]
    fn names_existing_columns_that_differ() {
        let narrower = json!({ "data": { "hash": "h", "diff": { "collections": [], "fields": [{ "collection": "languages", "field": "name", "diff": [{ "kind": "E", "path": ["schema", "max_length"], "lhs": 100, "rhs": 255 }] }], "relations": [] } } });
        let err = guard(vec![answer(200, &narrower.to_string())]).unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(
            err.to_string(),
            "Schema differences detected. Please run /migration/schema-sync first. Existing columns differ, which schema-sync changes only with scope.alterColumns: true: languages.name (max_length)."
        );
    }
}
