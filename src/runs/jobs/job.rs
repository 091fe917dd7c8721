//! One job: its counters per table, its last progress lines (bounded: a million-row run does not
//! keep a million lines), its checkpoint, and once done its report and what became of its
//! callback — and how all of that is kept in a row of the job table ([`JobRow`]), so any process
//! of the instance can show it, and take it up again.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::JobRow;
use crate::runs::progress::Event;
use crate::runs::report::RunStatus;
use crate::shared::runtime::{iso_timestamp, Cancel};

/// Progress lines a job keeps; older ones are counted, not kept.
pub const MAX_LINES: usize = 500;

/// A job runs, then ends the way its run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    Ended(RunStatus),
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Ended(status) => status.as_str(),
        }
    }

    /// The status a row says; an unknown one reads as failed.
    pub fn parse(text: &str) -> Self {
        match text {
            "running" => JobStatus::Running,
            "completed" => JobStatus::Ended(RunStatus::Completed),
            "completed with errors" => JobStatus::Ended(RunStatus::CompletedWithErrors),
            "cancelled" => JobStatus::Ended(RunStatus::Cancelled),
            _ => JobStatus::Ended(RunStatus::Failed),
        }
    }
}

impl Serialize for JobStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One table's counts so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(default)]
pub struct TableProgress {
    pub collection: String,
    pub total: u64,
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    /// `scope.deleteMissing`: rows deleted (a dry run: to delete).
    pub deleted: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// What became of a job's callback.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", default)]
pub struct CallbackState {
    /// Where it goes, without its path and query (which may carry a Flow's id).
    pub origin: String,
    pub delivered: bool,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

/// What of a job is kept in its row's `state` (never the destination token: that is in the
/// sealed request).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobState {
    pub selected_tables: Vec<String>,
    pub phase: String,
    pub tables: Vec<TableProgress>,
    pub next_seq: u64,
    /// Per table, where the run got to (`data::TableCheckpoint`, kept as it came).
    pub checkpoints: BTreeMap<String, Value>,
    pub report: Option<Value>,
    pub callback: Option<CallbackState>,
    /// Where the final callback goes (shown only as its origin).
    pub callback_url: Option<String>,
    /// The final callback's body, once the job ended: any process can deliver it.
    pub callback_body: Option<String>,
    /// Times a process tried to deliver it.
    pub callback_rounds: u32,
}

pub struct Job {
    pub process_id: String,
    pub kind: String,
    pub status: JobStatus,
    pub destination: String,
    pub started_by: Option<String>,
    pub started_at: f64,
    pub ended_at: Option<f64>,
    pub resumed: u32,
    pub state: JobState,
    pub lines: VecDeque<Value>,
    pub cancel: Cancel,
    /// Changed since it was last written to the job table.
    pub dirty: bool,
}

/// A job in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub process_id: String,
    pub kind: String,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "\"running\" | RunStatus"))]
    pub status: JobStatus,
    pub destination: String,
    pub selected_tables: Vec<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub started_by: Option<String>,
    pub resumed: u32,
    pub phase: String,
    pub rows: TableProgress,
}

/// A job in detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    #[serde(flatten)]
    pub summary: JobSummary,
    pub tables: Vec<TableProgress>,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// Estimated from the rows still to move at the rate so far; `None` when not known.
    pub seconds_left: Option<f64>,
    /// Progress lines kept, and how many older ones were let go.
    pub lines_kept: usize,
    pub lines_dropped: u64,
    pub report: Option<Value>,
    pub callback: Option<CallbackState>,
}

/// Lines of a job after a sequence number, and whether the job is over.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Lines {
    /// The kept events as they crossed to the host, each with its `seq`.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "(MigrationEvent & { seq: number })[]"))]
    pub lines: Vec<Value>,
    pub done: bool,
}

impl Job {
    pub fn new(process_id: &str, kind: &str, destination: &str, selected_tables: Vec<String>, now_ms: f64) -> Self {
        Job {
            process_id: process_id.into(),
            kind: kind.into(),
            status: JobStatus::Running,
            destination: destination.into(),
            started_by: None,
            started_at: now_ms,
            ended_at: None,
            resumed: 0,
            state: JobState { selected_tables, phase: "preparing".into(), ..JobState::default() },
            lines: VecDeque::new(),
            cancel: Cancel::default(),
            dirty: true,
        }
    }

    /// The job a row holds (its lines when the row has them).
    pub fn from_row(row: &JobRow) -> Self {
        let lines: VecDeque<Value> =
            row.lines.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
        Job {
            process_id: row.id.clone(),
            kind: row.kind.clone(),
            status: JobStatus::parse(&row.status),
            destination: row.destination.clone(),
            started_by: row.started_by.clone(),
            started_at: row.started_at,
            ended_at: row.ended_at,
            resumed: row.resumed,
            state: serde_json::from_str(&row.state).unwrap_or_default(),
            lines,
            cancel: Cancel::default(),
            dirty: false,
        }
    }

    pub fn state_text(&self) -> String {
        serde_json::to_string(&self.state).unwrap_or_else(|_| "{}".into())
    }

    pub fn lines_text(&self) -> String {
        serde_json::to_string(&self.lines).unwrap_or_else(|_| "[]".into())
    }

    fn totals(&self) -> TableProgress {
        self.state.tables.iter().fold(TableProgress::default(), |mut all, t| {
            all.total += t.total.max(t.read);
            all.read += t.read;
            all.created += t.created;
            all.updated += t.updated;
            all.deleted += t.deleted;
            all.skipped += t.skipped;
            all.failed += t.failed;
            all
        })
    }

    pub fn summary(&self) -> JobSummary {
        JobSummary {
            process_id: self.process_id.clone(),
            kind: self.kind.clone(),
            status: self.status,
            destination: self.destination.clone(),
            selected_tables: self.state.selected_tables.clone(),
            started_at: iso_timestamp(self.started_at),
            ended_at: self.ended_at.map(iso_timestamp),
            started_by: self.started_by.clone(),
            resumed: self.resumed,
            phase: self.state.phase.clone(),
            rows: self.totals(),
        }
    }

    pub fn detail(&self, now_ms: f64) -> JobDetail {
        let seconds = (self.ended_at.unwrap_or(now_ms) - self.started_at).max(0.0) / 1000.0;
        let totals = self.totals();
        let rate = if seconds > 0.0 { totals.read as f64 / seconds } else { 0.0 };
        let left = totals.total.saturating_sub(totals.read);
        let seconds_left = match (self.status, rate > 0.0) {
            (JobStatus::Running, true) => Some(round(left as f64 / rate)),
            (JobStatus::Running, false) => None,
            _ => Some(0.0),
        };
        JobDetail {
            summary: self.summary(),
            tables: self.state.tables.clone(),
            seconds: round(seconds),
            rows_per_second: round(rate),
            seconds_left,
            lines_kept: self.lines.len(),
            lines_dropped: self.state.next_seq.saturating_sub(self.lines.len() as u64),
            report: self.state.report.clone(),
            callback: self.state.callback.clone(),
        }
    }

    /// The lines kept after `since` (a `seq`; `None`: all kept), and whether the job is over.
    pub fn lines_after(&self, since: Option<u64>) -> Lines {
        let lines = self
            .lines
            .iter()
            .filter(|line| since.is_none_or(|s| line["seq"].as_u64().is_some_and(|seq| seq > s)))
            .cloned()
            .collect();
        Lines { lines, done: self.status != JobStatus::Running }
    }

    #[allow(clippy::indexing_slicing)] // `i` is a position found in `tables`, or the one just pushed.
    fn table(&mut self, collection: &str) -> &mut TableProgress {
        let tables = &mut self.state.tables;
        let i = match tables.iter().position(|t| t.collection == collection) {
            Some(i) => i,
            None => {
                tables.push(TableProgress { collection: collection.into(), ..TableProgress::default() });
                tables.len() - 1
            }
        };
        &mut tables[i]
    }

    /// Keep what an event says: counters, phase, checkpoint, and the line itself.
    pub fn record(&mut self, event: &Event) {
        self.dirty = true;
        match event {
            Event::Rows { collection, total, read, created, updated, skipped, failed, .. } => {
                let table = self.table(collection);
                *table = TableProgress {
                    collection: collection.clone(),
                    total: *total,
                    read: *read,
                    created: *created,
                    updated: *updated,
                    deleted: table.deleted,
                    skipped: *skipped,
                    failed: *failed,
                };
            }
            Event::Deleted { collection, deleted, .. } => self.table(collection).deleted = *deleted,
            Event::Step { message } => self.state.phase = message.clone(),
            Event::Planned { collections, line, .. } => {
                self.state.phase = line.clone();
                for planned in collections {
                    self.table(&planned.collection).total = planned.total;
                }
            }
            Event::TableDone { report, .. } => {
                let table = self.table(&report.collection);
                (table.read, table.created, table.updated, table.skipped, table.failed) =
                    (report.read, report.created, report.updated, report.skipped, report.failed);
                table.total = table.total.max(report.read);
            }
            Event::Checkpoint { collection, checkpoint } => {
                let value = serde_json::to_value(checkpoint).unwrap_or(Value::Null);
                self.state.checkpoints.insert(collection.clone(), value);
            }
            _ => {}
        }
        if event.is_progress() {
            // A table's progress replaces its previous progress line: counts are on the job, and
            // a run of small batches must not push its opening lines out of the kept ones.
            if let Event::Rows { collection, .. } = event {
                self.lines.retain(|l| !(l["type"] == "rows" && l["collection"] == collection.as_str()));
            }
            let mut line = event.wire();
            if let Some(object) = line.as_object_mut() {
                object.insert("seq".into(), self.state.next_seq.into());
            }
            self.state.next_seq += 1;
            if self.lines.len() == MAX_LINES {
                self.lines.pop_front();
            }
            self.lines.push_back(line);
        }
    }

    /// The job ended with `report` (its `status` names the outcome).
    pub fn finish(&mut self, status: JobStatus, report: Option<Value>, now_ms: f64) {
        self.status = status;
        self.ended_at = Some(now_ms);
        self.state.phase = "done".into();
        self.state.report = report;
        self.dirty = true;
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
