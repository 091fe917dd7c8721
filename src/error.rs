//! The error the core's operations return, above the errors of each layer (the destination's,
//! the source host's, a selection's, a plan's, a batch's). Every variant carries a stable machine
//! code and an HTTP status, so the shim can answer a caller without knowing anything about Rust.

use thiserror::Error;

use crate::destination::outbound::OutboundError;
use crate::destination::DestinationError;
use crate::host::HostError;
use crate::pipeline::plan::PlanError;
use crate::pipeline::schema::SelectionError;
use crate::shared::wire::WireError;

#[derive(Debug, Error)]
pub enum CoreError {
    /// The caller's request is malformed or names something that does not exist.
    #[error("{0}")]
    InvalidInput(String),
    /// The source instance (through the host) failed.
    #[error("source instance: {0}")]
    Host(#[from] HostError),
    /// The destination instance failed or refused.
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// The selected collections' schema differs between source and destination: `differences`
    /// line by line; `columns` are existing columns that differ, which a sync changes only when
    /// asked.
    #[error("Schema differences detected. Please run /migration/schema-sync first.{}", columns_sentence(columns))]
    SchemaMismatch { differences: Vec<String>, columns: Vec<String> },
    /// The destination changed under us in a way a retry did not resolve.
    #[error("{0}")]
    Conflict(String),
    /// The selection cannot be migrated as it is (e.g. a cycle of required references).
    #[error("{0}")]
    Unplannable(String),
    /// The receiving instance's own database failed.
    #[error("database: {0}")]
    Database(HostError),
    /// Another job is running to the same destination.
    #[error("a migration to {destination} is already running ({process_id}): wait for it, follow it with GET /migration/jobs/{process_id}/events, or cancel it")]
    JobRunning { destination: String, process_id: String },
    /// What the request names does not exist (a job).
    #[error("{0}")]
    NotFound(String),
    /// The run was cancelled (it stops after the batches in flight).
    #[error("cancelled")]
    Cancelled,
    /// `MIGRATION_STORAGE_LOCATION` names no storage location of this instance.
    #[error("{0}")]
    StorageLocation(String),
    /// An outbound request the environment's rules refuse (`IMPORT_IP_DENY_LIST`, the allow-lists).
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    /// `SECRET` is not set, and the artifacts are sealed with a key derived from it.
    #[error("{0}")]
    NoSecret(String),
}

fn columns_sentence(columns: &[String]) -> String {
    if columns.is_empty() {
        return String::new();
    }
    format!(
        " Existing columns differ, which schema-sync changes only with scope.alterColumns: true: {}.",
        columns.join(", ")
    )
}

impl From<SelectionError> for CoreError {
    fn from(error: SelectionError) -> Self {
        CoreError::InvalidInput(error.to_string())
    }
}

impl From<WireError> for CoreError {
    fn from(error: WireError) -> Self {
        CoreError::InvalidInput(error.0)
    }
}

impl From<PlanError> for CoreError {
    fn from(error: PlanError) -> Self {
        CoreError::Unplannable(error.0)
    }
}

impl CoreError {
    /// Stable code, exposed to JS as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidInput(_) => "INVALID_PAYLOAD",
            CoreError::Host(_) => "SOURCE_ERROR",
            CoreError::Destination(e) => e.code(),
            CoreError::SchemaMismatch { .. } => "SCHEMA_MISMATCH",
            CoreError::Conflict(_) => "CONFLICT",
            CoreError::Unplannable(_) => "CANNOT_PLAN",
            CoreError::Database(_) => "DATABASE_ERROR",
            CoreError::Cancelled => "CANCELLED",
            CoreError::NotFound(_) => "JOB_NOT_FOUND",
            CoreError::JobRunning { .. } => "JOB_RUNNING",
            CoreError::StorageLocation(_) => "INVALID_STORAGE_LOCATION",
            CoreError::Outbound(e) => e.code(),
            CoreError::NoSecret(_) => "SECRET_NOT_SET",
        }
    }

    /// What differs, where the error is about the schema (for the answer's `differences`).
    pub fn differences(&self) -> Option<&[String]> {
        match self {
            CoreError::SchemaMismatch { differences, .. } => Some(differences),
            _ => None,
        }
    }

    /// The running job the error is about (for the answer's `processId`).
    pub fn process_id(&self) -> Option<&str> {
        match self {
            CoreError::JobRunning { process_id, .. } => Some(process_id),
            _ => None,
        }
    }

    /// The HTTP status the endpoint answers with.
    pub fn status(&self) -> u16 {
        match self {
            CoreError::InvalidInput(_) => 400,
            CoreError::Host(_) => 500,
            CoreError::Destination(e) => e.status(),
            CoreError::SchemaMismatch { .. } | CoreError::Conflict(_) => 409,
            CoreError::Unplannable(_) => 422,
            CoreError::Database(_) => 500,
            CoreError::Cancelled => 409,
            CoreError::NotFound(_) => 404,
            CoreError::JobRunning { .. } => 409,
            CoreError::StorageLocation(_) | CoreError::NoSecret(_) => 400,
            CoreError::Outbound(e) => e.status(),
        }
    }
}

/// The line a panic is logged as (the panic hook in `wasm/panic.rs` sends it to Directus' logger):
/// `[table-migration] the core panicked at src/x.rs:1:2: message`, on one line.
pub fn panic_line(info: &std::panic::PanicHookInfo<'_>) -> String {
    format!("[table-migration] the core {}", info.to_string().replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_is_a_client_error() {
        let err = CoreError::InvalidInput("baseURL is required".into());
        assert_eq!(err.status(), 400);
        assert_eq!(err.code(), "INVALID_PAYLOAD");
        assert_eq!(err.to_string(), "baseURL is required");
    }

    #[test]
    fn host_errors_are_server_errors() {
        let err: CoreError = HostError::new("boom").into();
        assert_eq!(err.status(), 500);
        assert_eq!(err.to_string(), "source instance: boom");
    }

    #[test]
    fn a_panic_is_told_on_one_line_with_its_message_and_where() {
        use std::sync::{Arc, Mutex};
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&seen);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut lines) = sink.lock() {
                lines.push(panic_line(info));
            }
        }));
        let outcome = std::panic::catch_unwind(|| panic!("a broken\ninvariant"));
        std::panic::set_hook(previous);
        assert!(outcome.is_err());
        let lines = seen.lock().unwrap();
        let line = lines.iter().find(|l| l.contains("a broken")).expect("the hook saw the panic");
        assert!(line.starts_with("[table-migration] the core panicked at src/error.rs:"), "{line}");
        assert!(line.ends_with(": a broken invariant"), "{line}");
    }
}
