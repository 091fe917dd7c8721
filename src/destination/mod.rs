//! The destination client: JSON over HTTP to another Directus instance, with a bearer token that
//! never appears in a URL, a log line or an error message, and retries for transient failures.

pub(crate) mod compat;
pub mod outbound;
pub(crate) mod sink;

mod api;
mod client;
mod config;
mod error;
mod retry;
mod throttle;

pub use api::{encode, items_path, SourceUnreadable, Upload};
pub use client::{Destination, Notice};
pub use config::{check_authority, destination_key, normalize_base_url, DestinationConfig};
pub use error::DestinationError;
pub use retry::RetryPolicy;
pub use throttle::PaceChange;
