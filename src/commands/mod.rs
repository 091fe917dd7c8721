//! The operations the endpoint exposes, one module each. Every command takes typed input, uses the
//! host and the destination client, and returns a typed reply or a [`crate::CoreError`].

pub mod callback;
pub mod check;
pub mod jobs;
pub mod migrate;
pub mod ping;
pub mod recover;
pub mod request;
pub mod resume;
pub mod run;
pub mod run_job;
#[cfg(test)]
mod run_job_tests;
pub mod schema_sync;
pub mod settings;
pub mod sweep;
pub mod tables;
pub mod verify;
