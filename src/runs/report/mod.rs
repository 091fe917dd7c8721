//! What a data migration reports: per collection counts and timing, every failed row with the
//! destination's own error, and a closing line; and what a verification reports ([`verification`]).

mod artifacts;
mod verification;

pub use artifacts::{ArtifactsReport, ArtifactsStatus, SavedArtifact};
pub use verification::{Digests, FilesVerification, TableVerification, Verdict, Verification, MAX_DIFFERENCES};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pipeline::system::Mapping;

/// How rows reach the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Directus' REST API: `POST /items`, values in the API's representation.
    Rest,
    /// The destination's bulk receiver: values in the database's representation, written
    /// straight into its tables.
    Bulk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub enum RunStatus {
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "completed with errors")]
    CompletedWithErrors,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "cancelled")]
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::CompletedWithErrors => "completed with errors",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// Why a run ended before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The source or the destination stopped working.
    Error(String),
    /// Someone cancelled it.
    Cancelled,
}

/// A row the destination refused, with its key and the destination's message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct RowFailure {
    pub collection: String,
    pub key: Value,
    pub message: String,
}

/// One collection's line of a run's report. Also read back from a checkpoint (see
/// `crate::pipeline::data::TableCheckpoint`), with the same JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", default)]
pub struct TableReport {
    pub collection: String,
    /// Rows read from the source (after `updatedAfter`).
    pub read: u64,
    /// Rows created on the destination (a dry run: rows that would be).
    pub created: u64,
    /// Rows whose key already exists on the destination (or, for Directus' own rows, their
    /// natural key): never overwritten.
    pub skipped: u64,
    pub failed: u64,
    /// Rows of Directus' own collections that stand for another row the destination has (its
    /// administrator role and policy, a user with the same e-mail): never written; see the
    /// report's `mappings`.
    pub mapped: u64,
    /// Rows the destination had that took the source's content: merged field by field
    /// (`directus_settings`), or, with `scope.mode: "merge"`, user rows whose content differed.
    pub updated: u64,
    /// `scope.mode: "merge"`: user rows the destination had with the source's content already
    /// (not written).
    pub unchanged: u64,
    /// `scope.deleteMissing`: destination rows deleted because the source no longer has their
    /// key (a dry run: to delete).
    pub deleted: u64,
    /// The first [`MAX_LISTED_DELETIONS`] of those keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub deleted_keys: Vec<Value>,
    /// References to rows missing on the destination that were set to null.
    pub references_nulled: u64,
    /// Rows whose held-back references were set in the second pass.
    pub second_pass: u64,
    /// Rows already on the destination whose held-back reference an earlier run left unset, set
    /// now (a dry run: to set).
    pub repaired: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
}

impl TableReport {
    pub fn new(collection: &str) -> Self {
        TableReport { collection: collection.to_string(), ..TableReport::default() }
    }

    pub fn finish(&mut self, seconds: f64) {
        self.seconds = round(seconds, 3);
        self.rows_per_second = if seconds > 0.0 { round(self.read as f64 / seconds, 1) } else { 0.0 };
    }

    /// `articles: 1000 read, 990 created, 10 skipped, 0 failed in 1.2 s (833 rows/s)`
    pub fn line(&self, dry_run: bool) -> String {
        let created = if dry_run { "to create" } else { "created" };
        let mut text = format!(
            "{}: {} read, {} {created}, {} skipped, {} failed",
            self.collection, self.read, self.created, self.skipped, self.failed
        );
        if self.mapped > 0 {
            text.push_str(&format!(", {} mapped onto the destination's own", self.mapped));
        }
        if self.updated > 0 {
            let updated = if dry_run { "to merge" } else { "merged" };
            text.push_str(&format!(", {} {updated} into the destination's", self.updated));
        }
        if self.unchanged > 0 {
            text.push_str(&format!(", {} unchanged", self.unchanged));
        }
        if self.deleted > 0 {
            let deleted = if dry_run { "to delete" } else { "deleted" };
            text.push_str(&format!(", {} {deleted} (the source no longer has them)", self.deleted));
        }
        if self.references_nulled > 0 {
            text.push_str(&format!(", {} missing reference(s) set to null", self.references_nulled));
        }
        if self.second_pass > 0 {
            text.push_str(&format!(", {} row(s) completed in the second pass", self.second_pass));
        }
        if self.repaired > 0 {
            let repaired = if dry_run { "to repair" } else { "repaired" };
            text.push_str(&format!(", {} row(s) {repaired} (references an earlier run left unset)", self.repaired));
        }
        text.push_str(&format!(" in {:.1} s ({:.0} rows/s)", self.seconds, self.rows_per_second));
        text
    }
}

/// The files the migrated rows reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct FilesReport {
    /// Distinct files referenced by the rows that were written (or would be).
    pub referenced: u64,
    /// Uploaded (a dry run: would be).
    pub migrated: u64,
    /// Already on the destination.
    pub skipped: u64,
    /// Of `migrated`: files whose row on the destination an interrupted upload had left empty
    /// (no bytes), uploaded again into that row.
    pub repaired: u64,
    pub failed: u64,
    /// Bytes uploaded (a dry run: would be).
    pub bytes: u64,
    pub folders_created: u64,
    /// Time spent moving files.
    pub seconds: f64,
    pub files_per_second: f64,
    pub megabytes_per_second: f64,
}

impl FilesReport {
    pub fn finish(&mut self) {
        self.seconds = round(self.seconds, 3);
        if self.seconds > 0.0 {
            self.files_per_second = round(self.migrated as f64 / self.seconds, 2);
            self.megabytes_per_second = round(self.bytes as f64 / 1e6 / self.seconds, 2);
        }
    }

    /// `files: 12 referenced, 10 uploaded (34.2 MB), 2 skipped, 0 failed, … in 3.1 s (…)`
    pub fn line(&self, dry_run: bool) -> String {
        let moved = if dry_run { "to upload" } else { "uploaded" };
        format!(
            "files: {} referenced, {} {moved} ({}), {} skipped, {} failed, {} folder(s) created in {:.1} s ({:.1} files/s, {:.1} MB/s)",
            self.referenced,
            self.migrated,
            human_bytes(self.bytes),
            self.skipped,
            self.failed,
            self.folders_created,
            self.seconds,
            self.files_per_second,
            self.megabytes_per_second
        )
    }
}

/// A byte count for people: `17 B`, `6.9 KB`, `21.0 MB`.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// Failures kept in the final report; every one is also streamed as it happens.
pub const MAX_REPORTED_FAILURES: usize = 1_000;
/// Keys of deleted rows a table's report lists (the stream lists every one).
pub const MAX_LISTED_DELETIONS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// The job this run was (`migration_<ms>_<id>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_id: Option<String>,
    pub status: RunStatus,
    pub dry_run: bool,
    /// How rows reached the destination.
    pub transport: Delivery,
    pub tables: Vec<TableReport>,
    /// The first [`MAX_REPORTED_FAILURES`] failed rows.
    pub failures: Vec<RowFailure>,
    pub failure_count: u64,
    /// What the plan decided (junctions added, cycles broken, references left out).
    pub notes: Vec<String>,
    pub files: FilesReport,
    pub warnings: Vec<String>,
    /// Why a failed run stopped.
    pub error: Option<String>,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// The closing line.
    pub message: String,
    /// The HTTP status a caller waiting for the outcome as JSON gets: 200 completed, 422 completed
    /// with errors, 409 cancelled, the stopping error's status when it failed.
    pub http_status: u16,
    /// With `scope.verify`: the verification that followed the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// `excludedTables` mode: source keys of Directus' own rows that stand for other keys on the
    /// destination (`{collection, source, destination, reason}`); every reference to them was
    /// written as the destination's key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub mappings: Vec<Mapping>,
    /// What the run saved in the source's file library (see `artifacts`).
    pub artifacts: ArtifactsReport,
    /// Seconds spent per phase of the work (see `progress::Timings`), summed over every call.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub timings: std::collections::BTreeMap<String, f64>,
}

impl RunReport {
    pub fn new(dry_run: bool, notes: Vec<String>) -> Self {
        RunReport {
            process_id: None,
            status: RunStatus::Completed,
            dry_run,
            transport: Delivery::Rest,
            tables: Vec::new(),
            failures: Vec::new(),
            failure_count: 0,
            notes,
            files: FilesReport::default(),
            warnings: Vec::new(),
            error: None,
            seconds: 0.0,
            rows_per_second: 0.0,
            message: String::new(),
            http_status: 200,
            verification: None,
            mappings: Vec::new(),
            artifacts: ArtifactsReport::default(),
            timings: Default::default(),
        }
    }

    /// Settle the status and write the closing line. `stop` is why the run ended early, if it did.
    pub fn finish(&mut self, seconds: f64, stop: Option<Stop>) {
        let (error, cancelled) = match stop {
            Some(Stop::Error(error)) => (Some(error), false),
            Some(Stop::Cancelled) => (None, true),
            None => (None, false),
        };
        let read: u64 = self.tables.iter().map(|t| t.read).sum();
        let created: u64 = self.tables.iter().map(|t| t.created).sum();
        let skipped: u64 = self.tables.iter().map(|t| t.skipped).sum();
        self.seconds = round(seconds, 3);
        self.rows_per_second = if seconds > 0.0 { round(read as f64 / seconds, 1) } else { 0.0 };
        self.status = match (&error, self.failure_count) {
            _ if cancelled => RunStatus::Cancelled,
            (Some(_), _) => RunStatus::Failed,
            (None, 0) => RunStatus::Completed,
            (None, _) => RunStatus::CompletedWithErrors,
        };
        let files = if self.files.referenced == 0 {
            String::new()
        } else {
            let moved = if self.dry_run { "to upload" } else { "uploaded" };
            format!(", {} file(s) {moved} ({})", self.files.migrated, human_bytes(self.files.bytes))
        };
        let failed = self.failure_count;
        // A merge's updates and deletions, where there are any.
        let mut merged = String::new();
        for (count, done, planned) in [
            (self.tables.iter().map(|t| t.updated).sum::<u64>(), "updated", "to update"),
            (self.tables.iter().map(|t| t.unchanged).sum(), "unchanged", "unchanged"),
            (self.tables.iter().map(|t| t.deleted).sum(), "deleted", "to delete"),
        ] {
            if count > 0 {
                merged.push_str(&format!(", {count} {}", if self.dry_run { planned } else { done }));
            }
        }
        let counts = if self.dry_run {
            format!("{read} rows read, {created} to create{merged}, {skipped} skipped (already on the destination), {failed} failed{files}; nothing was written")
        } else {
            format!("{read} rows read, {created} created{merged}, {skipped} skipped (already on the destination), {failed} failed{files}")
        };
        let what = if self.dry_run { "Dry run" } else { "Migration" };
        self.message = format!(
            "{what} {} in {:.1} s: {counts} ({:.0} rows/s)",
            self.status.as_str(),
            seconds,
            self.rows_per_second
        );
        if let Some(error) = &error {
            self.message.push_str(&format!(". Stopped: {error}"));
        }
        if cancelled {
            self.message.push_str(". What was written stays; a re-run continues from there");
        }
        self.error = error;
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, read: u64, created: u64, skipped: u64) -> TableReport {
        TableReport { read, created, skipped, ..TableReport::new(name) }
    }

    #[test]
    fn status_follows_failures_and_errors() {
        let mut report = RunReport::new(false, vec![]);
        report.tables = vec![table("a", 10, 8, 2)];
        report.finish(2.0, None);
        assert_eq!(report.status, RunStatus::Completed);
        assert_eq!(report.message, "Migration completed in 2.0 s: 10 rows read, 8 created, 2 skipped (already on the destination), 0 failed (5 rows/s)");

        report.failures.push(RowFailure { collection: "a".into(), key: 3.into(), message: "bad".into() });
        report.failure_count = 1;
        report.finish(2.0, None);
        assert_eq!(report.status, RunStatus::CompletedWithErrors);
        assert_eq!(serde_json::to_value(report.status).unwrap(), "completed with errors");

        report.finish(2.0, Some(Stop::Error("destination unreachable".into())));
        assert_eq!(report.status, RunStatus::Failed);
        assert!(report.message.ends_with("Stopped: destination unreachable"));
    }

    #[test]
    fn a_merge_says_what_it_updated_and_deleted() {
        let mut report = RunReport::new(true, vec![]);
        report.tables = vec![TableReport { updated: 3, unchanged: 6, deleted: 2, ..table("a", 9, 0, 0) }];
        report.finish(1.0, None);
        assert_eq!(report.message, "Dry run completed in 1.0 s: 9 rows read, 0 to create, 3 to update, 6 unchanged, 2 to delete, 0 skipped (already on the destination), 0 failed; nothing was written (9 rows/s)");
    }

    #[test]
    fn byte_counts_for_people() {
        assert_eq!(human_bytes(17), "17 B");
        assert_eq!(human_bytes(6_948), "6.9 KB");
        assert_eq!(human_bytes(20_971_520), "21.0 MB");
    }

    #[test]
    fn table_lines() {
        let mut t = TableReport { references_nulled: 2, second_pass: 5, ..table("categories", 40, 40, 0) };
        t.finish(0.5);
        assert_eq!(t.line(false), "categories: 40 read, 40 created, 0 skipped, 0 failed, 2 missing reference(s) set to null, 5 row(s) completed in the second pass in 0.5 s (80 rows/s)");
        assert!(t.line(true).contains("40 to create"));
    }
}
