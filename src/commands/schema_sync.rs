//! `POST /migration/schema-sync`: bring the destination's schema to the source's, for every user
//! collection or for a selection and what it needs, without destroying what only the destination
//! has (unless `mirror`).
//!
//! Everything that can be refused (bad selection, unreachable destination, bad token, version
//! mismatch) is decided before the first progress event, so the endpoint can still answer with a
//! plain HTTP error; only the apply itself can fail mid-stream.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::destination::{Destination, DestinationError, Transport};
use crate::host::Host;
use crate::progress::Event;
use crate::runtime::Clock;
use crate::schema::{close_selection, restrict, validate_names, DiffSummary, SchemaDiff, Snapshot};
use crate::CoreError;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncOptions {
    pub dry_run: bool,
    pub force: bool,
    pub mirror: bool,
    pub selected: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub status: &'static str,
    pub dry_run: bool,
    /// Whether a diff was applied on the destination.
    pub applied: bool,
    pub in_sync: bool,
    /// The collections the sync covered.
    pub collections: Vec<String>,
    pub summary: DiffSummary,
    /// The closing line.
    pub message: String,
}

/// A diff ready to apply, with its hash and what it changes.
pub(crate) struct Plan {
    pub hash: String,
    pub diff: SchemaDiff,
    pub summary: DiffSummary,
}

/// The part of the source schema a sync or a guard covers: everything, or a selection closed over
/// what it needs. `None` for the scope means the whole schema.
pub(crate) fn scoped(
    source: Snapshot,
    selected: Option<&[String]>,
) -> Result<(Snapshot, Option<BTreeSet<String>>), CoreError> {
    match selected {
        None => Ok((source, None)),
        Some([]) => Err(CoreError::InvalidInput("scope.selectedTables is empty: name at least one collection".into())),
        Some(names) => {
            validate_names(&source, names, "scope.selectedTables")?;
            let closed = close_selection(&source, names);
            Ok((restrict(&source, &closed), Some(closed)))
        }
    }
}

/// Ask the destination for the diff and make it safe.
pub(crate) async fn plan<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    snapshot: &Snapshot,
    force: bool,
    mirror: bool,
    scope: Option<&BTreeSet<String>>,
) -> Result<Plan, CoreError> {
    let Some(response) = destination.schema_diff(snapshot, force).await.map_err(refused_snapshot)? else {
        return Ok(Plan {
            hash: String::new(),
            diff: SchemaDiff::default(),
            summary: DiffSummary::new(&SchemaDiff::default(), vec![], mirror),
        });
    };
    let mut diff = response.diff;
    // Between database vendors (only ever forced), column types differ by nature: compare
    // Directus' types only. (The destination's vendor is asked only when it could matter.)
    if force && diff.has_column_details() && destination.schema_snapshot().await?.vendor != snapshot.vendor {
        diff = diff.without_column_details();
    }
    let (diff, withheld) = diff.filter(mirror, scope);
    let summary = DiffSummary::new(&diff, withheld, mirror);
    Ok(Plan { hash: response.hash, diff, summary })
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

fn announce<H: Host>(host: &H, plan: &Plan) {
    for (collection, changes) in &plan.summary.collections {
        host.emit(&Event::SchemaChanges { collection: collection.clone(), changes: changes.clone() });
    }
    if plan.summary.system_fields > 0 {
        host.emit(&Event::step(format!(
            "directus system fields: update {} index setting(s)",
            plan.summary.system_fields
        )));
    }
    if !plan.summary.withheld.is_empty() {
        host.emit(&Event::Kept { items: plan.summary.withheld.clone() });
    }
}

pub async fn schema_sync<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &SyncOptions,
) -> Result<SyncReport, CoreError> {
    let source = host.schema_snapshot().await?;
    let (snapshot, scope) = scoped(source, options.selected.as_deref())?;
    let mut plan = plan(destination, &snapshot, options.force, options.mirror, scope.as_ref()).await?;
    let collections: Vec<String> = snapshot.collections.iter().map(|c| c.collection.clone()).collect();

    let mode = match (options.dry_run, options.mirror) {
        (true, false) => "dry run, nothing is written",
        (true, true) => "dry run of a MIRROR sync, nothing is written",
        (false, false) => "applying; nothing the destination has is deleted",
        (false, true) => "applying as a MIRROR: WHAT THE SOURCE DOES NOT HAVE IS DELETED",
    };
    host.emit(&Event::step(format!(
        "Schema sync of {} collection(s) to {} ({mode})",
        collections.len(),
        destination.base_url()
    )));
    announce(host, &plan);

    let mut applied = false;
    if !options.dry_run && !plan.summary.is_empty() {
        match destination.schema_apply(&plan.hash, &plan.diff).await {
            Ok(()) => applied = true,
            Err(e) if e.is_stale_diff() => {
                host.emit(&Event::step("The destination's schema changed since the diff; comparing again"));
                plan = self::plan(destination, &snapshot, options.force, options.mirror, scope.as_ref()).await?;
                announce(host, &plan);
                if !plan.summary.is_empty() {
                    destination.schema_apply(&plan.hash, &plan.diff).await.map_err(|e| {
                        if e.is_stale_diff() {
                            CoreError::Conflict(format!("The destination's schema keeps changing during the sync; stopped without applying: {e}"))
                        } else {
                            e.into()
                        }
                    })?;
                    applied = true;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }

    let in_sync = plan.summary.is_empty() || applied;
    let message = match (plan.summary.is_empty(), options.dry_run) {
        (true, _) => "Schemas are in sync".to_string(),
        (false, true) => format!("Dry run: {}; nothing was applied", plan.summary.headline()),
        (false, false) => format!("Applied: {}", plan.summary.headline()),
    };
    Ok(SyncReport {
        status: "success",
        dry_run: options.dry_run,
        applied,
        in_sync,
        collections,
        summary: plan.summary,
        message,
    })
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::host::memory::MemoryHost;
    use crate::runtime::fake::FakeClock;
    use crate::schema::fixtures::publishing;
    use crate::testing::{answer, destination, Scripted};

    fn diff_answer(diff: serde_json::Value) -> String {
        json!({ "data": { "hash": "h1", "diff": diff } }).to_string()
    }

    fn sample_diff() -> serde_json::Value {
        json!({
            "collections": [
                { "collection": "languages", "diff": [{ "kind": "N", "rhs": { "collection": "languages" } }] },
                { "collection": "legacy", "diff": [{ "kind": "D", "lhs": { "collection": "legacy" } }] }
            ],
            "fields": [
                { "collection": "languages", "field": "code", "diff": [{ "kind": "N", "rhs": {} }] },
                { "collection": "languages", "field": "old", "diff": [{ "kind": "D", "lhs": {} }] }
            ],
            "systemFields": [],
            "relations": []
        })
    }

    fn run(
        answers: Vec<Result<crate::destination::HttpResponse, crate::destination::TransportError>>,
        options: SyncOptions,
    ) -> (Result<SyncReport, CoreError>, Vec<String>, Vec<String>, Scripted) {
        let host = MemoryHost::with_snapshot(publishing());
        let transport = Scripted::new(answers);
        let clock = FakeClock::default();
        let result = block_on(schema_sync(&host, &destination(&transport, &clock), &options));
        let lines = host.events.borrow().iter().map(Event::message).collect();
        let requests = transport.requests();
        (result, lines, requests, transport)
    }

    #[test]
    fn applies_creations_and_keeps_what_only_the_destination_has() {
        let (result, lines, requests, transport) =
            run(vec![answer(200, &diff_answer(sample_diff())), answer(204, "")], SyncOptions::default());
        let report = result.unwrap();
        assert!(report.applied && report.in_sync);
        assert_eq!(requests, vec!["POST /schema/diff", "POST /schema/apply"]);
        let applied: serde_json::Value =
            serde_json::from_str(transport.seen.borrow()[1].0.body.as_deref().unwrap()).unwrap();
        assert_eq!(applied["hash"], "h1");
        assert_eq!(applied["diff"]["collections"].as_array().unwrap().len(), 1, "the deletion of legacy is withheld");
        assert_eq!(applied["diff"]["fields"].as_array().unwrap().len(), 1);
        assert_eq!(lines[1], "languages: create collection, create 1 field");
        assert_eq!(
            lines[2],
            "Kept on the destination (the source does not have them): collection legacy, field languages.old"
        );
        assert_eq!(
            report.message,
            "Applied: 1 collection(s), 1 field(s), 0 relation(s) to change: 2 to create, 0 to update"
        );
    }

    #[test]
    fn dry_run_writes_nothing() {
        let (result, lines, requests, _) = run(
            vec![answer(200, &diff_answer(sample_diff()))],
            SyncOptions { dry_run: true, ..SyncOptions::default() },
        );
        let report = result.unwrap();
        assert!(!report.applied && !report.in_sync);
        assert_eq!(requests, vec!["POST /schema/diff"]);
        assert!(lines[0].contains("dry run, nothing is written"));
        assert!(report.message.starts_with("Dry run: "));
    }

    #[test]
    fn mirror_applies_deletions_and_says_so() {
        let (result, lines, _, transport) = run(
            vec![answer(200, &diff_answer(sample_diff())), answer(204, "")],
            SyncOptions { mirror: true, ..SyncOptions::default() },
        );
        let report = result.unwrap();
        let applied: serde_json::Value =
            serde_json::from_str(transport.seen.borrow()[1].0.body.as_deref().unwrap()).unwrap();
        assert_eq!(applied["diff"]["collections"].as_array().unwrap().len(), 2);
        assert!(lines[0].contains("MIRROR: WHAT THE SOURCE DOES NOT HAVE IS DELETED"));
        assert!(report.message.contains("MIRROR: 2 DELETION(S)"));
    }

    #[test]
    fn a_snapshot_of_another_vendor_is_a_conflict_unless_forced() {
        let refused = r#"{"errors":[{"message":"Invalid payload. Provided snapshot's vendor sqlite does not match the current instance's vendor postgres. You can bypass this check by passing the `force` query parameter.","extensions":{"code":"INVALID_PAYLOAD"}}]}"#;
        let (result, _, _, _) = run(vec![answer(400, refused)], SyncOptions::default());
        let err = result.unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(
            err.to_string(),
            "The destination refused the schema: Provided snapshot's vendor sqlite does not match the current instance's vendor postgres. Pass scope.force to migrate anyway."
        );
    }

    #[test]
    fn an_empty_diff_is_in_sync() {
        let (result, _, requests, _) = run(vec![answer(204, "")], SyncOptions::default());
        let report = result.unwrap();
        assert_eq!(report.message, "Schemas are in sync");
        assert!(report.in_sync && !report.applied);
        assert_eq!(requests, vec!["POST /schema/diff"]);
    }

    #[test]
    fn a_stale_hash_is_diffed_again_once_then_fails_clearly() {
        let stale = r#"{"errors":[{"message":"Invalid payload. Provided hash does not match the current instance's schema hash, indicating the schema has changed after this diff was generated. Please generate a new diff and try again.","extensions":{"code":"INVALID_PAYLOAD"}}]}"#;
        let (result, lines, requests, _) = run(
            vec![
                answer(200, &diff_answer(sample_diff())),
                answer(400, stale),
                answer(200, &diff_answer(sample_diff())),
                answer(204, ""),
            ],
            SyncOptions::default(),
        );
        assert!(result.unwrap().applied);
        assert_eq!(
            requests,
            vec!["POST /schema/diff", "POST /schema/apply", "POST /schema/diff", "POST /schema/apply"]
        );
        assert!(lines.iter().any(|l| l.contains("comparing again")));

        let (result, _, _, _) = run(
            vec![
                answer(200, &diff_answer(sample_diff())),
                answer(400, stale),
                answer(200, &diff_answer(sample_diff())),
                answer(400, stale),
            ],
            SyncOptions::default(),
        );
        let err = result.unwrap_err();
        assert_eq!(err.status(), 409);
        assert!(err.to_string().starts_with("The destination's schema keeps changing"));
    }

    #[test]
    fn a_selection_sends_only_what_it_needs() {
        let options =
            SyncOptions { selected: Some(vec!["site_settings".into()]), force: true, ..SyncOptions::default() };
        let (result, _, requests, transport) = run(vec![answer(204, "")], options);
        result.unwrap();
        assert_eq!(requests, vec!["POST /schema/diff?force=true"]);
        let sent: Snapshot = serde_json::from_str(transport.seen.borrow()[0].0.body.as_deref().unwrap()).unwrap();
        let names: Vec<&str> = sent.collections.iter().map(|c| c.collection.as_str()).collect();
        assert_eq!(names, vec!["config", "languages", "site_settings"]);
    }

    #[test]
    fn bad_selections_are_refused_before_anything_is_sent() {
        for selected in [vec![], vec!["nope".to_string()]] {
            let (result, lines, requests, _) =
                run(vec![], SyncOptions { selected: Some(selected), ..SyncOptions::default() });
            assert_eq!(result.unwrap_err().status(), 400);
            assert!(lines.is_empty() && requests.is_empty());
        }
    }
}
