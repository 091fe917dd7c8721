//! Where a run's time goes: seconds spent in each phase of the work, summed over every call
//! (pages move several at a time, so phases overlap and their sum can pass the run's wall time).
//! The run report carries them (`timings`) and `npm run bench` prints them, so a change to the
//! speed of a run is a measured one.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;

use crate::shared::runtime::Clock;
use crate::shared::wire::ReceiverTimings;

/// A phase of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Reading pages from the source (the host's query and the rows handed to the core).
    SourceRead,
    /// Writing the pages read to the run's artifacts.
    Artifacts,
    /// Asking the destination which rows, references and files it has.
    Checks,
    /// Moving the files rows reference.
    Files,
    /// Encoding batches for the bulk receiver.
    Encode,
    /// Writing rows to the destination: the requests, from sent to answered (encoding included).
    Write,
    /// Writing back the `date-created` / `user-created` values the destination stamped (REST).
    CreatedWriteBack,
    /// Setting held-back references (the second pass), reads of the source included.
    SecondPass,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::SourceRead => "sourceRead",
            Phase::Artifacts => "artifacts",
            Phase::Checks => "checks",
            Phase::Files => "files",
            Phase::Encode => "encode",
            Phase::Write => "write",
            Phase::CreatedWriteBack => "createdWriteBack",
            Phase::SecondPass => "secondPass",
        }
    }
}

/// The run's accumulated seconds per phase, and the receiver's own.
#[derive(Default)]
pub struct Timings {
    seconds: RefCell<BTreeMap<Phase, f64>>,
    /// `None` until a receiver says what it spent.
    receiver: RefCell<Option<ReceiverTimings>>,
}

impl Timings {
    pub fn add(&self, phase: Phase, seconds: f64) {
        *self.seconds.borrow_mut().entry(phase).or_default() += seconds.max(0.0);
    }

    /// Run `work`, counting its wall time to `phase`.
    pub async fn time<F: Future>(&self, clock: &impl Clock, phase: Phase, work: F) -> F::Output {
        let started = clock.now_ms();
        let output = work.await;
        self.add(phase, (clock.now_ms() - started) / 1000.0);
        output
    }

    pub fn add_receiver(&self, spent: &ReceiverTimings) {
        let mut receiver = self.receiver.borrow_mut();
        let receiver = receiver.get_or_insert_with(ReceiverTimings::default);
        receiver.decode_ms += spent.decode_ms;
        receiver.database_ms += spent.database_ms;
    }

    /// Seconds per phase by name, with the receiver's as `receiverDecode` and `receiverDatabase`
    /// (both inside `write`) when it answered any.
    pub fn report(&self) -> BTreeMap<String, f64> {
        let mut report: BTreeMap<String, f64> =
            self.seconds.borrow().iter().map(|(phase, seconds)| (phase.name().to_string(), *seconds)).collect();
        if let Some(receiver) = *self.receiver.borrow() {
            report.insert("receiverDecode".into(), receiver.decode_ms / 1000.0);
            report.insert("receiverDatabase".into(), receiver.database_ms / 1000.0);
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::shared::runtime::fake::FakeClock;

    #[test]
    fn sums_each_phase_and_the_receivers_share() {
        let clock = FakeClock::default();
        let timings = Timings::default();
        for _ in 0..2 {
            block_on(timings.time(&clock, Phase::Write, clock.sleep(1500)));
        }
        timings.add(Phase::SourceRead, 0.25);
        timings.add_receiver(&ReceiverTimings { decode_ms: 100.0, database_ms: 900.0 });
        let report = timings.report();
        assert_eq!(report["write"], 3.0);
        assert_eq!(report["sourceRead"], 0.25);
        assert_eq!((report["receiverDecode"], report["receiverDatabase"]), (0.1, 0.9));
        assert_eq!(Timings::default().report().len(), 0, "nothing measured, nothing said");
    }
}
