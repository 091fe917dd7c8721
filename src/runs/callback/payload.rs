//! What a callback says: the earlier extension's shape, and what a Flow needs to branch on
//! without parsing text.

use serde_json::{json, Value};

use crate::runs::report::{RunReport, RunStatus};
use crate::shared::runtime::iso_timestamp;

/// Failed rows a callback names, at most.
const FAILURES_SHOWN: usize = 20;

/// `completed` only when every selected row and file is on the destination (created or already
/// there); anything else is `failed`, with the counts and the first failures.
pub fn payload(process_id: &str, report: &RunReport, selected_tables: &[String], now_ms: f64) -> Value {
    let completed = report.status == RunStatus::Completed;
    let rows = |pick: fn(&crate::runs::report::TableReport) -> u64| report.tables.iter().map(pick).sum::<u64>();
    let failed = rows(|t| t.failed) + report.files.failed;
    let mut details = json!({
        "selectedTables": selected_tables,
        "tablesMigrated": report.tables.iter().filter(|t| t.failed == 0).count(),
        "filesMigrated": report.files.migrated,
        "folderId": report.artifacts.folder_id,
        "isDryRun": report.dry_run,
        "rows": {
            "read": rows(|t| t.read),
            "created": rows(|t| t.created),
            "updated": rows(|t| t.updated),
            "unchanged": rows(|t| t.unchanged),
            "deleted": rows(|t| t.deleted),
            "skipped": rows(|t| t.skipped),
            "failed": failed,
        },
        "files": { "referenced": report.files.referenced, "migrated": report.files.migrated, "skipped": report.files.skipped, "failed": report.files.failed },
        "seconds": report.seconds,
        "transport": report.transport,
        "runStatus": report.status,
    });
    if !completed {
        let error = match (&report.error, report.status) {
            (Some(error), _) => error.clone(),
            (None, RunStatus::Cancelled) => "cancelled".to_string(),
            (None, _) => format!("{} row(s) or file(s) could not be migrated", report.failure_count),
        };
        if let Some(fields) = details.as_object_mut() {
            fields.insert("error".into(), error.into());
            fields.insert("failures".into(), json!(report.failures.iter().take(FAILURES_SHOWN).collect::<Vec<_>>()));
            fields.insert("failureCount".into(), report.failure_count.into());
        }
    }
    if let Some(fields) = details.as_object_mut().filter(|_| report.status == RunStatus::Cancelled) {
        fields.insert("cancelled".into(), true.into());
    }
    json!({
        "processId": process_id,
        "status": if completed { "completed" } else { "failed" },
        "message": report.message,
        "timestamp": iso_timestamp(now_ms),
        "details": details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::report::{RowFailure, Stop, TableReport};

    fn report(failures: u64, stop: Option<Stop>) -> RunReport {
        let mut report = RunReport::new(false, vec![]);
        report.tables =
            vec![TableReport { read: 10, created: 10 - failures, failed: failures, ..TableReport::new("tags") }];
        report.failure_count = failures;
        report.failures = (0..failures)
            .map(|k| RowFailure { collection: "tags".into(), key: k.into(), message: "unique".into() })
            .collect();
        report.files.migrated = 2;
        report.finish(1.0, stop);
        report
    }

    #[test]
    fn completed_has_the_counts_a_flow_branches_on() {
        let body = payload("migration_1_abcdefghijkl", &report(0, None), &["tags".into()], 0.0);
        assert_eq!(body["status"], "completed");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(body["details"]["tablesMigrated"], 1);
        assert_eq!(body["details"]["filesMigrated"], 2);
        assert_eq!(body["details"]["rows"]["created"], 10);
        assert_eq!(body["details"]["isDryRun"], false);
        assert_eq!(body["details"]["folderId"], Value::Null, "no artifacts, no folder");
        let mut saved = report(0, None);
        saved.artifacts.folder_id = Some("9a1c".into());
        assert_eq!(payload("p", &saved, &[], 0.0)["details"]["folderId"], "9a1c");
        assert!(body["details"].get("error").is_none());
    }

    #[test]
    fn anything_less_is_failed_with_the_error_and_the_first_failures() {
        let body = payload("p", &report(2, None), &[], 0.0);
        assert_eq!(body["status"], "failed");
        assert_eq!(body["details"]["error"], "2 row(s) or file(s) could not be migrated");
        assert_eq!(body["details"]["failures"].as_array().unwrap().len(), 2);
        let stopped = payload("p", &report(0, Some(Stop::Error("destination unreachable".into()))), &[], 0.0);
        assert_eq!(stopped["details"]["error"], "destination unreachable");
        let cancelled = payload("p", &report(0, Some(Stop::Cancelled)), &[], 0.0);
        assert_eq!(
            (cancelled["status"].as_str(), cancelled["details"]["cancelled"].as_bool()),
            (Some("failed"), Some(true))
        );
    }
}
