//! The destination client: JSON over HTTP to another Directus instance, with a bearer token that
//! never appears in a URL, a log line or an error message, and retries for transient failures.

mod api;
mod client;
mod error;
mod http;
mod retry;

pub use client::{Destination, DestinationConfig};
pub use error::{DestinationError, DirectusErrorBody};
pub use http::{HttpRequest, HttpResponse, Method, Transport, TransportError};
pub use retry::{parse_retry_after, Failure, RetryDecision, RetryPolicy};
