//! The one place that records what went wrong during a run: every refused row and every warning
//! is emitted as it happens, counted, and kept (up to a bound) for the final report.

use std::cell::{Cell, RefCell};

use serde_json::Value;

use super::{Emit, Event, Level};
use crate::runs::report::{RowFailure, RunReport, MAX_REPORTED_FAILURES};

pub struct Recorder<'a> {
    emit: &'a dyn Emit,
    failures: RefCell<Vec<RowFailure>>,
    failure_count: Cell<u64>,
    warnings: RefCell<Vec<String>>,
}

impl<'a> Recorder<'a> {
    pub fn new(emit: &'a dyn Emit) -> Self {
        Recorder { emit, failures: RefCell::default(), failure_count: Cell::new(0), warnings: RefCell::default() }
    }

    /// A row (or file) the destination refused, with its message.
    pub fn fail(&self, collection: &str, key: Value, message: String) {
        self.emit.emit(&Event::RowFailed { collection: collection.into(), key: key.clone(), message: message.clone() });
        self.failure_count.set(self.failure_count.get() + 1);
        let mut failures = self.failures.borrow_mut();
        if failures.len() < MAX_REPORTED_FAILURES {
            failures.push(RowFailure { collection: collection.into(), key, message });
        }
    }

    /// Something the caller should know that is not a refused row (a value not preserved, a
    /// file the source lacks).
    pub fn warn(&self, warning: String) {
        self.emit.emit(&Event::log(Level::Warn, warning.clone()));
        let mut warnings = self.warnings.borrow_mut();
        if warnings.len() < MAX_REPORTED_FAILURES {
            warnings.push(warning);
        }
    }

    /// Hand the kept failures and warnings, and the count of all failures, to the report.
    pub fn fill(self, report: &mut RunReport) {
        report.failures = self.failures.into_inner();
        report.failure_count = self.failure_count.get();
        report.warnings.extend(self.warnings.into_inner());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Sink(RefCell<Vec<Event>>);

    impl Emit for Sink {
        fn emit(&self, event: &Event) {
            self.0.borrow_mut().push(event.clone());
        }
    }

    #[test]
    fn emits_every_failure_keeps_a_bounded_list_and_counts_all() {
        let sink = Sink::default();
        let recorder = Recorder::new(&sink);
        for i in 0..(MAX_REPORTED_FAILURES + 5) {
            recorder.fail("a", (i as u64).into(), "x".into());
        }
        recorder.warn("careful".into());
        assert_eq!(sink.0.borrow().len(), MAX_REPORTED_FAILURES + 6, "every one is streamed");
        let mut report = RunReport::new(false, vec![]);
        recorder.fill(&mut report);
        assert_eq!(report.failures.len(), MAX_REPORTED_FAILURES);
        assert_eq!(report.failure_count, MAX_REPORTED_FAILURES as u64 + 5);
        assert_eq!(report.warnings, vec!["careful".to_string()]);
    }
}
