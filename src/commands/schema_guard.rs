//! The migration guard: before moving rows, the selected collections' schema on the destination
//! must match the source's (what only the destination has does not count).

use std::collections::BTreeSet;

use super::schema_sync::plan;
use crate::destination::{Destination, Transport};
use crate::runtime::Clock;
use crate::schema::{restrict, Snapshot};
use crate::CoreError;

/// `Ok` when the destination has every collection, field and relation of `collections` as the
/// source has them; otherwise [`CoreError::SchemaMismatch`] listing the differences.
pub async fn ensure_schema_matches<T: Transport, C: Clock>(
    source: &Snapshot,
    destination: &Destination<T, C>,
    collections: &BTreeSet<String>,
    force: bool,
) -> Result<(), CoreError> {
    let snapshot = restrict(source, collections);
    let plan = plan(destination, &snapshot, force, false, Some(collections)).await?;
    if plan.summary.is_empty() {
        Ok(())
    } else {
        Err(CoreError::SchemaMismatch { differences: plan.summary.lines() })
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::runtime::fake::FakeClock;
    use crate::schema::fixtures::publishing;
    use crate::testing::{answer, destination, Scripted};

    fn guard(
        answers: Vec<Result<crate::destination::HttpResponse, crate::destination::TransportError>>,
    ) -> Result<(), CoreError> {
        let transport = Scripted::new(answers);
        let clock = FakeClock::default();
        let scope: BTreeSet<String> = ["languages".to_string()].into();
        block_on(ensure_schema_matches(&publishing(), &destination(&transport, &clock), &scope, false))
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
            matches!(err, CoreError::SchemaMismatch { ref differences } if differences == &vec!["languages: create 1 field".to_string()])
        );
    }
}
