//! The jobs this process runs, while it runs them: their live state, which every event updates
//! (events are synchronous; the job table is written a beat later, see [`super::Keeper`]), and
//! their cancel flags.

use super::job::Job;
use crate::runs::progress::Event;

#[derive(Default)]
pub struct Jobs {
    jobs: Vec<Job>,
}

impl Jobs {
    pub fn add(&mut self, job: Job) {
        self.jobs.retain(|j| j.process_id != job.process_id);
        self.jobs.push(job);
    }

    pub fn get(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.process_id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.process_id == id)
    }

    pub fn record(&mut self, id: &str, event: &Event) {
        if let Some(job) = self.get_mut(id) {
            job.record(event);
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<Job> {
        let i = self.jobs.iter().position(|j| j.process_id == id)?;
        Some(self.jobs.swap_remove(i))
    }

    /// Ask a job of this process to stop after the batches in flight; whether it runs here.
    pub fn cancel(&mut self, id: &str) -> bool {
        let Some(job) = self.get_mut(id) else { return false };
        job.cancel.cancel();
        job.state.phase = "cancelling".into();
        true
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::job::{JobStatus, MAX_LINES};
    use super::*;
    use crate::runs::report::RunStatus;

    fn rows(collection: &str, total: u64, read: u64) -> Event {
        Event::Rows {
            collection: collection.into(),
            total,
            read,
            created: read,
            updated: 0,
            skipped: 0,
            failed: 0,
            dry_run: false,
        }
    }

    #[test]
    fn keeps_counters_lines_and_the_outcome() {
        let mut jobs = Jobs::default();
        jobs.add(Job::new("migration_1_aaaaaaaaaaaa", "run", "http://d", vec!["a".into()], 0.0));
        jobs.record("migration_1_aaaaaaaaaaaa", &Event::step("Migrating 1 collection(s)"));
        jobs.record("migration_1_aaaaaaaaaaaa", &rows("a", 100, 40));
        jobs.record("migration_1_aaaaaaaaaaaa", &Event::log(crate::runs::progress::Level::Debug, "for the log only"));
        let job = jobs.get("migration_1_aaaaaaaaaaaa").unwrap();
        let detail = job.detail(4_000.0);
        assert_eq!((detail.summary.rows.total, detail.summary.rows.read), (100, 40));
        assert_eq!(detail.rows_per_second, 10.0);
        assert_eq!(detail.seconds_left, Some(6.0));
        assert_eq!(detail.summary.phase, "Migrating 1 collection(s)");
        jobs.record("migration_1_aaaaaaaaaaaa", &rows("a", 100, 40));
        let job = jobs.get_mut("migration_1_aaaaaaaaaaaa").unwrap();
        let lines = job.lines_after(None);
        assert_eq!(lines.lines.len(), 2, "log lines stay in the log; a table's progress replaces its last");
        assert_eq!(lines.lines[1]["seq"], json!(2));
        assert_eq!(job.lines_after(Some(0)).lines.len(), 1);
        assert!(!lines.done);

        job.finish(JobStatus::Ended(RunStatus::Completed), Some(json!({ "status": "completed" })), 5_000.0);
        let detail = job.detail(9_000.0);
        assert_eq!(detail.seconds, 5.0);
        assert_eq!(detail.report, Some(json!({ "status": "completed" })));
        assert!(job.lines_after(None).done);
        assert_eq!(serde_json::to_value(&detail.summary).unwrap()["status"], json!("completed"));
    }

    #[test]
    fn a_job_read_back_from_its_row_is_the_job_that_was_written() {
        let mut job = Job::new("migration_1_aaaaaaaaaaaa", "dry-run", "http://d", vec!["a".into()], 10.0);
        job.started_by = Some("u1".into());
        job.record(&rows("a", 10, 5));
        let row = crate::runs::jobs::JobRow {
            id: job.process_id.clone(),
            kind: job.kind.clone(),
            status: "running".into(),
            destination: job.destination.clone(),
            started_by: job.started_by.clone(),
            started_at: 10.0,
            state: job.state_text(),
            lines: Some(job.lines_text()),
            ..Default::default()
        };
        let back = Job::from_row(&row);
        assert_eq!(back.summary(), job.summary());
        assert_eq!(back.lines_after(None), job.lines_after(None));
        assert_eq!(back.state, job.state);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut job = Job::new("migration_1_aaaaaaaaaaaa", "run", "http://d", vec![], 0.0);
        for i in 0..(MAX_LINES as u64 * 3) {
            job.record(&rows("a", 1_000_000, i));
            job.record(&Event::step(format!("line {i}")));
        }
        let detail = job.detail(1.0);
        assert_eq!(detail.lines_kept, MAX_LINES);
        assert_eq!(detail.lines_dropped, MAX_LINES as u64 * 6 - MAX_LINES as u64);
    }

    #[test]
    fn cancelling_sets_the_flag_the_run_checks() {
        let mut jobs = Jobs::default();
        let job = Job::new("migration_1_aaaaaaaaaaaa", "run", "http://d", vec![], 0.0);
        let cancel = job.cancel.clone();
        jobs.add(job);
        assert!(jobs.cancel("migration_1_aaaaaaaaaaaa"));
        assert!(cancel.is_cancelled());
        assert!(!jobs.cancel("migration_2_aaaaaaaaaaaa"));
    }
}
