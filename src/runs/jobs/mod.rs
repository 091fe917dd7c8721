//! Every run is a job: it has a process id, its progress is kept (bounded) in the job table of
//! the source's database while it runs and for a while after, so that every Directus process of
//! the instance can show it, cancel it and — when the process running it dies — take it up again
//! from its checkpoint; one destination takes one running job at a time, across processes.

mod host;
mod id;
mod job;
mod keeper;
#[cfg(test)]
pub mod memory;
mod registry;
mod retention;
mod store;

pub use host::job_host;
pub use id::{is_process_id, process_id};
pub use job::{CallbackState, Job, JobDetail, JobState, JobStatus, JobSummary, Lines};
pub use keeper::{Held, Keeper, LEASE_MS};
pub use registry::Jobs;
pub use retention::Retention;
pub use store::{Changes, Guard, JobRow, JobStore};
