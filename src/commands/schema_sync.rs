//! `POST /migration/schema-sync`: bring the destination's schema to the source's, for every user
//! collection or for a selection and what it needs, without destroying what only the destination
//! has (unless `mirror`).
//!
//! Everything that can be refused (bad selection, unreachable destination, bad token, version
//! mismatch) is decided before the first progress event, so the endpoint can still answer with a
//! plain HTTP error; only the apply itself can fail mid-stream.

use serde::Serialize;

use super::request::MigrationRequest;
use super::settings::ExtensionSettings;
use crate::destination::compat::{diff_plan, DiffOptions, SyncPlan};
use crate::destination::Destination;
use crate::host::Host;
use crate::pipeline::schema::{sync_scope, DiffSummary};
use crate::runs::artifacts::{save_report, stamp, Folder};
use crate::runs::progress::Event;
use crate::runs::report::ArtifactsReport;
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncOptions {
    pub dry_run: bool,
    pub force: bool,
    pub mirror: bool,
    /// Also change existing columns (implied by `mirror`).
    pub alter_columns: bool,
    pub selected: Option<Vec<String>>,
    /// Where the artifacts of an applying sync go (the destination's schema before it); `None`:
    /// none are saved.
    pub artifacts: Option<String>,
}

impl SyncOptions {
    /// Where an applying sync's artifacts go: a storage location the instance does not have is
    /// refused here, before anything is sent (checked last, once the request is known to be good).
    pub fn with_artifacts(
        mut self,
        request: &MigrationRequest,
        settings: &ExtensionSettings,
    ) -> Result<Self, CoreError> {
        if !self.dry_run && request.scope.artifacts != Some(false) {
            self.artifacts = Some(settings.artifact_storage()?);
        }
        Ok(self)
    }

    pub fn from_request(request: &MigrationRequest) -> Self {
        SyncOptions {
            dry_run: request.is_dry_run(),
            force: request.scope.force,
            mirror: request.scope.mirror,
            alter_columns: request.scope.alter_columns || request.scope.mirror,
            selected: request.scope.selected_tables.clone(),
            artifacts: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
    /// What an applying sync saved in the source's file library: the snapshots on both sides
    /// before it, and this report.
    pub artifacts: ArtifactsReport,
}

fn announce<H: Host>(host: &H, plan: &SyncPlan) {
    for (collection, changes) in &plan.summary.collections {
        host.emit(&Event::SchemaChanges { collection: collection.clone(), changes: changes.clone() });
    }
    if plan.summary.system_fields > 0 {
        host.emit(&Event::step(format!(
            "directus system fields: update {} index setting(s)",
            plan.summary.system_fields
        )));
    }
    if !plan.summary.unaltered.is_empty() {
        let columns: Vec<String> = plan.summary.unaltered.iter().map(|u| u.describe()).collect();
        host.emit(&Event::step(format!(
            "Existing columns that differ, left as they are (scope.alterColumns: true changes them): {}",
            columns.join(", ")
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
    let (snapshot, scope) = sync_scope(source, options.selected.as_deref())?;
    let diff_options =
        DiffOptions { force: options.force, mirror: options.mirror, alter_columns: options.alter_columns };
    let mut plan = diff_plan(destination, &snapshot, diff_options, scope.as_ref()).await?;
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
    let applying = !options.dry_run && !plan.summary.is_empty();
    let mut folder = None;
    let mut artifacts = ArtifactsReport::skipped(match (options.dry_run, applying) {
        (true, _) => "a dry run changes nothing",
        (false, false) => "there was nothing to apply",
        (false, true) => "scope.artifacts is false",
    });
    if let (true, Some(storage)) = (applying, options.artifacts.as_deref()) {
        let clock = destination.clock();
        let name = format!("Schema sync {}", stamp(clock.now_ms()));
        match Folder::create(host, clock, storage, &name, &["schema", "destination_schema_before", "report"]).await {
            Ok(mut made) => {
                made.save("schema", &snapshot).await;
                save_before(host, &mut made, destination).await;
                folder = Some(made);
            }
            Err(report) => artifacts = report,
        }
    }
    if applying {
        match destination.schema_apply(&plan.hash, &plan.diff).await {
            Ok(()) => applied = true,
            Err(e) if e.is_stale_diff() => {
                host.emit(&Event::step("The destination's schema changed since the diff; comparing again"));
                plan = diff_plan(destination, &snapshot, diff_options, scope.as_ref()).await?;
                announce(host, &plan);
                if !plan.summary.is_empty() {
                    if let Some(folder) = folder.as_mut() {
                        save_before(host, folder, destination).await;
                    }
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

    let in_sync = plan.summary.in_sync() || (applied && plan.summary.unaltered.is_empty());
    let message = match (plan.summary.is_empty(), options.dry_run) {
        (true, _) => plan.summary.headline(),
        (false, true) => format!("Dry run: {}; nothing was applied", plan.summary.headline()),
        (false, false) => format!("Applied: {}", plan.summary.headline()),
    };
    let mut report = SyncReport {
        status: "success",
        dry_run: options.dry_run,
        applied,
        in_sync,
        collections,
        summary: plan.summary,
        message,
        artifacts: folder.map(Folder::finish).unwrap_or(artifacts),
    };
    if report.artifacts.storage.is_some() {
        if let Ok(text) = serde_json::to_string_pretty(&report) {
            save_report(host, destination.clock(), &mut report.artifacts, &text).await;
        }
        host.emit(&Event::step(report.artifacts.line()));
    }
    Ok(report)
}

/// The destination's schema as it is now, saved as `destination_schema_before_<ts>.json`, so a
/// sync that did harm can be undone by hand.
async fn save_before<H: Host, T: Transport, C: Clock>(
    host: &H,
    folder: &mut Folder<'_, H, C>,
    destination: &Destination<T, C>,
) {
    let saved = folder.report().files.len();
    match destination.schema_snapshot().await {
        Ok(before) => folder.save("destination_schema_before", &before).await,
        Err(error) => {
            folder.missing("destination_schema_before", &format!("the destination's schema could not be read: {error}"))
        }
    }
    if let Some(file) = folder.report().files.get(saved) {
        host.emit(&Event::step(format!(
            "Saved the destination's schema as it was before the sync: {} (file {})",
            file.name, file.id
        )));
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::host::memory::MemoryHost;
    use crate::pipeline::schema::fixtures::publishing;
    use crate::shared::runtime::fake::FakeClock;
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
        answers: Vec<Result<crate::shared::http::HttpResponse, crate::shared::http::TransportError>>,
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
        let sent: crate::pipeline::schema::Snapshot =
            serde_json::from_str(transport.seen.borrow()[0].0.body.as_deref().unwrap()).unwrap();
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
