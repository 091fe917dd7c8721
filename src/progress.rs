//! Events the core emits while it works. The shim renders them as text lines or NDJSON; the core
//! never formats output for a particular medium. No event ever carries the destination token.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// A free-form line for the server log.
    Log { level: Level, message: String },
    /// A request to the destination failed and will be tried again after `delay_ms`.
    #[serde(rename_all = "camelCase")]
    Retry { attempt: u32, delay_ms: u64, reason: String },
}

impl Event {
    pub fn log(level: Level, message: impl Into<String>) -> Self {
        Event::Log { level, message: message.into() }
    }
}
