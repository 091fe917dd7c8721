//! The operations the endpoint exposes, one module each. Every command takes typed input, uses the
//! host and the destination client, and returns a typed reply or a [`crate::CoreError`].

pub mod check;
pub mod job;
pub mod jobs;
pub mod migrate;
pub mod ping;
pub mod recover;
pub mod request;
pub mod schema_sync;
pub mod settings;
pub mod tables;
pub mod verify;
