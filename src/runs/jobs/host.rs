//! A host whose progress a job keeps: every event goes to the job first, then on to the host. It
//! announces the job (its `job` event, with its id) the moment the run is under way — never
//! before, so a run refused while it is prepared is still answered with a plain error.

use std::cell::{Cell, RefCell};

use super::Jobs;
use crate::host::{Hooked, Hooks, Host};
use crate::runs::progress::Event;

/// The events of one job's run, kept by the job registry as they pass.
pub struct JobEvents<'a> {
    jobs: &'a RefCell<Jobs>,
    process_id: String,
    kind: String,
    started: Cell<bool>,
}

/// The host a job's run sees.
pub type JobHost<'a, H> = Hooked<'a, H, JobEvents<'a>>;

/// `host`, with the events of the job `process_id` (a `kind`: run or dry run) kept in `jobs`.
pub fn job_host<'a, H>(host: &'a H, jobs: &'a RefCell<Jobs>, process_id: String, kind: &str) -> JobHost<'a, H> {
    Hooked::new(host, JobEvents { jobs, process_id, kind: kind.to_string(), started: Cell::new(false) })
}

impl JobEvents<'_> {
    /// Whether the run got under way (its `job` event went out).
    pub fn started(&self) -> bool {
        self.started.get()
    }

    fn pass<H: Host>(&self, host: &H, event: &Event) {
        // The registry is only ever borrowed for the length of one call.
        if let Ok(mut jobs) = self.jobs.try_borrow_mut() {
            jobs.record(&self.process_id, event);
        }
        host.emit(event);
    }
}

impl<H: Host> Hooks<H> for JobEvents<'_> {
    fn emit(&self, host: &H, event: &Event) {
        if matches!(event, Event::Started) && !self.started.replace(true) {
            self.pass(host, &Event::Job { process_id: self.process_id.clone(), kind: self.kind.clone() });
        }
        self.pass(host, event);
    }
}
