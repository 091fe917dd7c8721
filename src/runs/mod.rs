//! What surrounds a run: its job (kept in the source's database, resumable from any process),
//! its progress (events, failures, timings), its report, its artifacts in the source's file
//! library, and the callback that tells its caller how it ended.

pub(crate) mod artifacts;
pub(crate) mod callback;
pub(crate) mod jobs;
pub(crate) mod progress;
pub(crate) mod report;
