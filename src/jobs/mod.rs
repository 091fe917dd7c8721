//! Every run is a job: it has a process id, its progress is kept (bounded) while it runs and for
//! a while after, it can be followed from another request and cancelled, and one destination
//! takes one running job at a time.

mod host;
mod id;
mod registry;

pub use host::JobHost;
pub use id::{is_process_id, process_id};
pub use registry::{CallbackState, JobDetail, JobStatus, JobSummary, Jobs, Lines};
