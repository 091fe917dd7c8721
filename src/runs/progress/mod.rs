//! Events the core emits while it works. The shim renders them as text lines (each event's
//! [`Event::message`]) or NDJSON (the event itself plus its message); the core never formats
//! output for a particular medium. No event ever carries the destination token.

mod recorder;
mod timings;

pub use recorder::Recorder;
pub use timings::{Phase, Timings};

use serde::Serialize;
use serde_json::Value;

use crate::destination::{Notice, PaceChange};
use crate::pipeline::data::TableCheckpoint;
use crate::pipeline::schema::{CollectionChanges, Withheld};
use crate::runs::report::{TableReport, TableVerification};

/// Where events go (the host: the server log and the caller's progress stream). Must not fail
/// the work that emits.
pub trait Emit {
    fn emit(&self, event: &Event);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// For the server log only.
    Log { level: Level, message: String },
    /// A request to the destination failed and will be tried again after `delay_ms`.
    #[serde(rename_all = "camelCase")]
    Retry { attempt: u32, delay_ms: u64, reason: String },
    /// The run changed how many requests it keeps in flight: fewer because the destination said
    /// it is overwhelmed (`reason`), or more again.
    #[serde(rename_all = "camelCase")]
    Pace { in_flight: usize, reason: Option<String> },
    /// A step of the work has started or finished.
    Step { message: String },
    /// What a schema sync changes in one collection.
    SchemaChanges { collection: String, changes: CollectionChanges },
    /// What the destination keeps although the source does not have it.
    Kept { items: Vec<Withheld> },
    /// Rows of a collection moved so far.
    #[serde(rename_all = "camelCase")]
    Rows {
        collection: String,
        total: u64,
        read: u64,
        created: u64,
        /// Rows the destination had and that took the source's content (`scope.mode: "merge"`).
        updated: u64,
        skipped: u64,
        failed: u64,
        dry_run: bool,
    },
    /// `scope.deleteMissing`: rows of a collection the destination had and the source no longer
    /// has, deleted (a dry run: to delete), one page of keys at a time.
    #[serde(rename_all = "camelCase")]
    Deleted {
        collection: String,
        keys: Vec<Value>,
        /// The collection's deletions so far, these included.
        deleted: u64,
        dry_run: bool,
    },
    /// The destination refused a row.
    RowFailed { collection: String, key: Value, message: String },
    /// A collection is done — or stopped before its end (cancelled, or the run failed).
    #[serde(rename_all = "camelCase")]
    TableDone { report: TableReport, dry_run: bool, stopped: bool },
    /// Rows of a collection compared so far (the verification).
    Compared { collection: String, total: u64, checked: u64, missing: u64, different: u64 },
    /// A collection is verified.
    TableVerified { report: TableVerification },
    /// What a run will move: each collection with its rows to read, and all of them.
    #[serde(rename_all = "camelCase")]
    Planned {
        collections: Vec<PlannedTable>,
        total_rows: u64,
        #[serde(skip)]
        line: String,
    },
    /// The run is a job with this id (the first event of every run).
    #[serde(rename_all = "camelCase")]
    Job { process_id: String, kind: String },
    /// Everything that could refuse the run has accepted it: rows are about to move. Not written
    /// to progress streams; it tells a background start that it may answer.
    Started,
    /// Where a collection's run got to, for a resume (see `crate::pipeline::data::TableCheckpoint`): each
    /// time the prefix of its pages fully written grows, once its first pass ends, and once its
    /// second pass does. Not written to progress streams.
    Checkpoint { collection: String, checkpoint: TableCheckpoint },
    /// The final report (the last event of a job).
    Summary {
        /// The run's [`RunReport`](crate::runs::report::RunReport), as JSON.
        #[cfg_attr(target_arch = "wasm32", tsify(type = "RunReport"))]
        report: Value,
    },
}

/// One collection of a plan, with the rows a run reads from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PlannedTable {
    pub collection: String,
    pub total: u64,
}

impl From<&Notice> for Event {
    fn from(notice: &Notice) -> Self {
        match notice {
            Notice::Retry { attempt, delay_ms, reason } => {
                Event::Retry { attempt: *attempt, delay_ms: *delay_ms, reason: reason.clone() }
            }
            Notice::Pace(PaceChange::SlowDown { limit, reason }) => {
                Event::Pace { in_flight: *limit, reason: Some(reason.clone()) }
            }
            Notice::Pace(PaceChange::SpeedUp { limit }) => Event::Pace { in_flight: *limit, reason: None },
        }
    }
}

impl Event {
    pub fn log(level: Level, message: impl Into<String>) -> Self {
        Event::Log { level, message: message.into() }
    }

    pub fn step(message: impl Into<String>) -> Self {
        Event::Step { message: message.into() }
    }

    /// Whether the event belongs in the caller's progress stream (log lines stay in the log).
    pub fn is_progress(&self) -> bool {
        !matches!(self, Event::Log { .. } | Event::Started | Event::Checkpoint { .. })
    }

    /// The event as it crosses to the shim and is kept by a job: its fields, its `message`, and
    /// whether it is `progress`. A summary is the report itself with `type: "summary"`.
    pub fn wire(&self) -> Value {
        if let Event::Summary { report } = self {
            let mut object = report.as_object().cloned().unwrap_or_default();
            object.insert("type".into(), "summary".into());
            object.insert("progress".into(), true.into());
            return Value::Object(object);
        }
        let mut wire = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(object) = wire.as_object_mut() {
            object.insert("message".into(), self.message().into());
            object.insert("progress".into(), self.is_progress().into());
        }
        wire
    }

    /// The event as one human-readable line.
    pub fn message(&self) -> String {
        match self {
            Event::Log { message, .. } | Event::Step { message } => message.clone(),
            Event::Retry { attempt, delay_ms, reason } => {
                format!("Retrying in {delay_ms} ms (attempt {attempt} failed: {reason})")
            }
            Event::Pace { in_flight, reason: Some(reason) } => {
                format!("Slowing down: the destination answered {reason}; at most {in_flight} request(s) in flight")
            }
            Event::Pace { in_flight, reason: None } => {
                format!("Speeding up: the destination answers healthily; at most {in_flight} request(s) in flight")
            }
            Event::SchemaChanges { collection, changes } => changes.describe(collection),
            Event::Rows { collection, total, read, created, updated, skipped, failed, dry_run } => {
                let created = if *dry_run { format!("{created} to create") } else { format!("{created} created") };
                let updated = match (*updated, *dry_run) {
                    (0, _) => String::new(),
                    (n, true) => format!(", {n} to update"),
                    (n, false) => format!(", {n} updated"),
                };
                format!(
                    "{collection}: {read}/{total} rows read, {created}{updated}, {skipped} skipped, {failed} failed"
                )
            }
            Event::Deleted { collection, keys, dry_run, .. } => {
                const SHOWN: usize = 20;
                let what = if *dry_run { "to delete" } else { "deleted" };
                let mut shown: Vec<String> = keys.iter().take(SHOWN).map(crate::shared::rows::key_text).collect();
                if keys.len() > SHOWN {
                    shown.push(format!("and {} more", keys.len() - SHOWN));
                }
                format!("{collection}: {} row(s) the source no longer has {what}: {}", keys.len(), shown.join(", "))
            }
            Event::RowFailed { collection, key, message } => format!("{collection} {key} failed: {message}"),
            Event::TableDone { report, dry_run, stopped: false } => format!("Done {}", report.line(*dry_run)),
            Event::TableDone { report, dry_run, stopped: true } => format!("Stopped {}", report.line(*dry_run)),
            Event::Compared { collection, total, checked, missing, different } => {
                format!("{collection}: {checked}/{total} rows compared, {missing} missing, {different} different")
            }
            Event::TableVerified { report } => format!("Verified {}", report.line()),
            Event::Job { process_id, kind } => format!("Job {process_id} ({kind})"),
            Event::Planned { line, .. } => line.clone(),
            Event::Started => "Started".to_string(),
            Event::Checkpoint { collection, checkpoint } => checkpoint_line(collection, checkpoint),
            Event::Summary { report } => report["message"].as_str().unwrap_or_default().to_string(),
            Event::Kept { items } => {
                const SHOWN: usize = 12;
                let mut names: Vec<String> =
                    items.iter().take(SHOWN).map(|w| format!("{} {}", w.kind, w.name)).collect();
                if items.len() > SHOWN {
                    names.push(format!("and {} more", items.len() - SHOWN));
                }
                format!("Kept on the destination (the source does not have them): {}", names.join(", "))
            }
        }
    }
}

fn checkpoint_line(collection: &str, checkpoint: &TableCheckpoint) -> String {
    let after = checkpoint.after.as_ref().map(crate::shared::rows::key_text).unwrap_or_else(|| "the start".into());
    match (checkpoint.first_pass_done, checkpoint.second_pass_done) {
        (true, true) => format!("{collection}: checkpoint: done"),
        (true, false) => format!("{collection}: checkpoint: first pass done (after {after})"),
        _ => format!("{collection}: checkpoint after {after}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_a_type_tag() {
        let event = Event::Retry { attempt: 2, delay_ms: 500, reason: "/items/a answered HTTP 503".into() };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({ "type": "retry", "attempt": 2, "delayMs": 500, "reason": "/items/a answered HTTP 503" })
        );
        assert_eq!(event.message(), "Retrying in 500 ms (attempt 2 failed: /items/a answered HTTP 503)");
    }

    #[test]
    fn long_kept_lists_are_shortened() {
        let items = (0..20).map(|i| Withheld { kind: "field", name: format!("t.f{i}") }).collect();
        let message = Event::Kept { items }.message();
        assert!(message.ends_with("field t.f11, and 8 more"), "{message}");
    }
}
