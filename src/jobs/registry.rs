//! The jobs of this instance: every run and dry run, while it runs and for a while after. Each
//! job keeps its counters per table, its last progress lines (bounded: a million-row run does not
//! keep a million lines) and, once done, its report and what became of its callback.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

use crate::destination::destination_key;
use crate::progress::Event;
use crate::report::RunStatus;
use crate::runtime::{iso_timestamp, Cancel};

/// Jobs kept, newest first; the oldest finished ones go first.
pub const MAX_JOBS: usize = 50;
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
}

impl Serialize for JobStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One table's counts so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableProgress {
    pub collection: String,
    pub total: u64,
    pub read: u64,
    pub created: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// What became of a job's callback.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackState {
    /// Where it goes, without its path and query (which may carry a Flow's id).
    pub origin: String,
    pub delivered: bool,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

struct Job {
    process_id: String,
    kind: &'static str,
    status: JobStatus,
    destination: String,
    selected_tables: Vec<String>,
    started_at: f64,
    ended_at: Option<f64>,
    phase: String,
    tables: Vec<TableProgress>,
    lines: VecDeque<Value>,
    next_seq: u64,
    report: Option<Value>,
    callback: Option<CallbackState>,
    cancel: Cancel,
}

/// A job in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub process_id: String,
    pub kind: &'static str,
    pub status: JobStatus,
    pub destination: String,
    pub selected_tables: Vec<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub phase: String,
    pub rows: TableProgress,
}

/// A job in detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
pub struct Lines {
    pub lines: Vec<Value>,
    pub done: bool,
}

#[derive(Default)]
pub struct Jobs {
    jobs: VecDeque<Job>,
}

impl Job {
    fn totals(&self) -> TableProgress {
        self.tables.iter().fold(TableProgress::default(), |mut all, t| {
            all.total += t.total.max(t.read);
            all.read += t.read;
            all.created += t.created;
            all.skipped += t.skipped;
            all.failed += t.failed;
            all
        })
    }

    fn summary(&self) -> JobSummary {
        JobSummary {
            process_id: self.process_id.clone(),
            kind: self.kind,
            status: self.status,
            destination: self.destination.clone(),
            selected_tables: self.selected_tables.clone(),
            started_at: iso_timestamp(self.started_at),
            ended_at: self.ended_at.map(iso_timestamp),
            phase: self.phase.clone(),
            rows: self.totals(),
        }
    }

    #[allow(clippy::indexing_slicing)] // `i` is a position found in `tables`, or the one just pushed.
    fn table(&mut self, collection: &str) -> &mut TableProgress {
        let i = match self.tables.iter().position(|t| t.collection == collection) {
            Some(i) => i,
            None => {
                self.tables.push(TableProgress { collection: collection.into(), ..TableProgress::default() });
                self.tables.len() - 1
            }
        };
        &mut self.tables[i]
    }
}

impl Jobs {
    fn find(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.process_id == id)
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.process_id == id)
    }

    /// The running job sending to `destination` (an origin), if any: the same destination
    /// however its origin is spelt (see [`destination_key`]).
    pub fn running_to(&self, destination: &str) -> Option<&str> {
        let wanted = destination_key(destination);
        self.jobs
            .iter()
            .find(|j| j.status == JobStatus::Running && destination_key(&j.destination) == wanted)
            .map(|j| j.process_id.as_str())
    }

    /// Register a running job. The caller checked [`Jobs::running_to`].
    pub fn start(
        &mut self,
        process_id: &str,
        kind: &'static str,
        destination: &str,
        selected_tables: Vec<String>,
        cancel: Cancel,
        now_ms: f64,
    ) {
        if self.jobs.len() >= MAX_JOBS {
            if let Some(oldest) = self.jobs.iter().rposition(|j| j.status != JobStatus::Running) {
                self.jobs.remove(oldest);
            }
        }
        self.jobs.push_front(Job {
            process_id: process_id.into(),
            kind,
            status: JobStatus::Running,
            destination: destination.into(),
            selected_tables,
            started_at: now_ms,
            ended_at: None,
            phase: "preparing".into(),
            tables: Vec::new(),
            lines: VecDeque::new(),
            next_seq: 0,
            report: None,
            callback: None,
            cancel,
        });
    }

    /// Drop a job that never got under way (its run was refused while it was prepared).
    pub fn forget(&mut self, id: &str) {
        self.jobs.retain(|j| j.process_id != id);
    }

    /// Keep what a job's event says: its counters, its phase, and the line itself.
    pub fn record(&mut self, id: &str, event: &Event) {
        let Some(job) = self.find_mut(id) else { return };
        match event {
            Event::Rows { collection, total, read, created, skipped, failed, .. } => {
                *job.table(collection) = TableProgress {
                    collection: collection.clone(),
                    total: *total,
                    read: *read,
                    created: *created,
                    skipped: *skipped,
                    failed: *failed,
                };
            }
            Event::Step { message } => job.phase = message.clone(),
            Event::Planned { collections, line, .. } => {
                job.phase = line.clone();
                for planned in collections {
                    job.table(&planned.collection).total = planned.total;
                }
            }
            Event::TableDone { report, .. } => {
                let table = job.table(&report.collection);
                (table.read, table.created, table.skipped, table.failed) =
                    (report.read, report.created, report.skipped, report.failed);
                table.total = table.total.max(report.read);
            }
            _ => {}
        }
        if event.is_progress() {
            // A table's progress replaces its previous progress line: counts are on the job, and
            // a run of small batches must not push its opening lines out of the kept ones.
            if let Event::Rows { collection, .. } = event {
                job.lines.retain(|l| !(l["type"] == "rows" && l["collection"] == collection.as_str()));
            }
            let mut line = event.wire();
            if let Some(object) = line.as_object_mut() {
                object.insert("seq".into(), job.next_seq.into());
            }
            job.next_seq += 1;
            if job.lines.len() == MAX_LINES {
                job.lines.pop_front();
            }
            job.lines.push_back(line);
        }
    }

    /// The job ended with `report` (its `status` names the outcome).
    pub fn finish(&mut self, id: &str, status: JobStatus, report: Option<Value>, now_ms: f64) {
        if let Some(job) = self.find_mut(id) {
            job.status = status;
            job.ended_at = Some(now_ms);
            job.phase = "done".into();
            job.report = report;
        }
    }

    pub fn set_callback(&mut self, id: &str, state: CallbackState) {
        if let Some(job) = self.find_mut(id) {
            job.callback = Some(state);
        }
    }

    /// Every job kept, newest first.
    pub fn list(&self) -> Vec<JobSummary> {
        self.jobs.iter().map(Job::summary).collect()
    }

    pub fn detail(&self, id: &str, now_ms: f64) -> Option<JobDetail> {
        let job = self.find(id)?;
        let seconds = (job.ended_at.unwrap_or(now_ms) - job.started_at).max(0.0) / 1000.0;
        let totals = job.totals();
        let rate = if seconds > 0.0 { totals.read as f64 / seconds } else { 0.0 };
        let left = totals.total.saturating_sub(totals.read);
        let seconds_left = match (job.status, rate > 0.0) {
            (JobStatus::Running, true) => Some(round(left as f64 / rate)),
            (JobStatus::Running, false) => None,
            _ => Some(0.0),
        };
        Some(JobDetail {
            summary: job.summary(),
            tables: job.tables.clone(),
            seconds: round(seconds),
            rows_per_second: round(rate),
            seconds_left,
            lines_kept: job.lines.len(),
            lines_dropped: job.next_seq - job.lines.len() as u64,
            report: job.report.clone(),
            callback: job.callback.clone(),
        })
    }

    /// The lines kept after `since` (a `seq`; `None`: all kept), and whether the job is over.
    pub fn lines(&self, id: &str, since: Option<u64>) -> Option<Lines> {
        let job = self.find(id)?;
        let lines = job
            .lines
            .iter()
            .filter(|line| since.is_none_or(|s| line["seq"].as_u64().is_some_and(|seq| seq > s)))
            .cloned()
            .collect();
        Some(Lines { lines, done: job.status != JobStatus::Running })
    }

    /// Ask a running job to stop after the batches in flight. `None` when there is no such job;
    /// otherwise its status (still running until it stops).
    pub fn cancel(&mut self, id: &str) -> Option<JobStatus> {
        let job = self.find_mut(id)?;
        if job.status == JobStatus::Running {
            job.cancel.cancel();
            job.phase = "cancelling".into();
        }
        Some(job.status)
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rows(collection: &str, total: u64, read: u64) -> Event {
        Event::Rows { collection: collection.into(), total, read, created: read, skipped: 0, failed: 0, dry_run: false }
    }

    #[test]
    fn one_running_job_per_destination_however_its_origin_is_spelt() {
        let mut jobs = Jobs::default();
        jobs.start("migration_1_aaaaaaaaaaaa", "run", "https://d.example", vec![], Cancel::default(), 0.0);
        jobs.start("migration_2_aaaaaaaaaaaa", "run", "http://localhost:8055", vec![], Cancel::default(), 0.0);
        for same in ["https://d.example:443", "https://D.EXAMPLE", "https://d.example."] {
            assert_eq!(jobs.running_to(same), Some("migration_1_aaaaaaaaaaaa"), "{same}");
        }
        for same in ["http://127.0.0.1:8055", "http://[::1]:8055", "http://127.0.0.2:8055"] {
            assert_eq!(jobs.running_to(same), Some("migration_2_aaaaaaaaaaaa"), "{same}");
        }
        for other in ["http://d.example", "https://d.example:8443", "http://localhost:8056"] {
            assert_eq!(jobs.running_to(other), None, "{other}");
        }
        assert_eq!(jobs.list()[0].destination, "http://localhost:8055", "the job shows the origin as it was given");
    }

    #[test]
    fn keeps_counters_lines_and_the_outcome() {
        let mut jobs = Jobs::default();
        jobs.start("migration_1_aaaaaaaaaaaa", "run", "http://d", vec!["a".into()], Cancel::default(), 0.0);
        assert_eq!(jobs.running_to("http://d"), Some("migration_1_aaaaaaaaaaaa"));
        jobs.record("migration_1_aaaaaaaaaaaa", &Event::step("Migrating 1 collection(s)"));
        jobs.record("migration_1_aaaaaaaaaaaa", &rows("a", 100, 40));
        jobs.record("migration_1_aaaaaaaaaaaa", &Event::log(crate::progress::Level::Debug, "for the log only"));
        let detail = jobs.detail("migration_1_aaaaaaaaaaaa", 4_000.0).unwrap();
        assert_eq!((detail.summary.rows.total, detail.summary.rows.read), (100, 40));
        assert_eq!(detail.rows_per_second, 10.0);
        assert_eq!(detail.seconds_left, Some(6.0));
        assert_eq!(detail.summary.phase, "Migrating 1 collection(s)");
        jobs.record("migration_1_aaaaaaaaaaaa", &rows("a", 100, 40));
        let lines = jobs.lines("migration_1_aaaaaaaaaaaa", None).unwrap();
        assert_eq!(lines.lines.len(), 2, "log lines stay in the log; a table's progress replaces its last");
        assert_eq!(lines.lines[1]["seq"], json!(2));
        assert_eq!(jobs.lines("migration_1_aaaaaaaaaaaa", Some(0)).unwrap().lines.len(), 1);
        assert!(!lines.done);

        jobs.finish(
            "migration_1_aaaaaaaaaaaa",
            JobStatus::Ended(RunStatus::Completed),
            Some(json!({ "status": "completed" })),
            5_000.0,
        );
        assert_eq!(jobs.running_to("http://d"), None);
        let detail = jobs.detail("migration_1_aaaaaaaaaaaa", 9_000.0).unwrap();
        assert_eq!(detail.seconds, 5.0);
        assert_eq!(detail.report, Some(json!({ "status": "completed" })));
        assert!(jobs.lines("migration_1_aaaaaaaaaaaa", None).unwrap().done);
        assert_eq!(serde_json::to_value(&detail.summary).unwrap()["status"], json!("completed"));
    }

    #[test]
    fn memory_stays_bounded() {
        let mut jobs = Jobs::default();
        jobs.start("migration_1_aaaaaaaaaaaa", "run", "http://d", vec![], Cancel::default(), 0.0);
        for i in 0..(MAX_LINES as u64 * 3) {
            jobs.record("migration_1_aaaaaaaaaaaa", &rows("a", 1_000_000, i));
            jobs.record("migration_1_aaaaaaaaaaaa", &Event::step(format!("line {i}")));
        }
        let detail = jobs.detail("migration_1_aaaaaaaaaaaa", 1.0).unwrap();
        assert_eq!(detail.lines_kept, MAX_LINES);
        assert_eq!(detail.lines_dropped, MAX_LINES as u64 * 6 - MAX_LINES as u64);
        for i in 0..(MAX_JOBS + 10) {
            let id = format!("migration_{i}_bbbbbbbbbbbb");
            jobs.start(&id, "run", &format!("http://d{i}"), vec![], Cancel::default(), 0.0);
            jobs.finish(&id, JobStatus::Ended(RunStatus::Completed), None, 1.0);
        }
        assert_eq!(jobs.list().len(), MAX_JOBS);
        assert!(
            jobs.list().iter().any(|j| j.process_id == "migration_1_aaaaaaaaaaaa"),
            "a running job is never let go"
        );
    }

    #[test]
    fn cancelling_sets_the_flag_the_run_checks() {
        let mut jobs = Jobs::default();
        let cancel = Cancel::default();
        jobs.start("migration_1_aaaaaaaaaaaa", "run", "http://d", vec![], cancel.clone(), 0.0);
        assert_eq!(jobs.cancel("migration_1_aaaaaaaaaaaa"), Some(JobStatus::Running));
        assert!(cancel.is_cancelled());
        assert_eq!(jobs.cancel("migration_2_aaaaaaaaaaaa"), None);
    }
}
