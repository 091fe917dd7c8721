//! Core of `directus-extension-table-migration`.
//!
//! Everything here is plain Rust that `cargo test` runs natively. The source instance is reached
//! through the [`host::Host`] trait (implemented in-process by the Directus endpoint), the
//! destination through [`destination::Destination`] over a [`destination::Transport`]. The only
//! code that knows about JavaScript lives in `wasm/`, compiled for `wasm32` alone.
//!
//! Modules follow the steps of a migration:
//! - [`host`]: what the core needs from the source instance (pages of rows, counts, schema, events);
//! - [`schema`]: the schema snapshot the source and destination exchange;
//! - [`plan`]: which collections move, in which order, and how each one's columns are treated;
//! - [`data`]: moving rows, page by page;
//! - [`files`]: moving the files those rows reference;
//! - [`destination`]: the HTTP client for the destination (retries, timeouts, Directus errors);
//! - [`progress`]: events the core emits while it works;
//! - [`report`]: what a data migration reports when it ends;
//! - [`commands`]: the operations the endpoint exposes, one function each.

pub mod commands;
pub mod data;
pub mod destination;
pub mod error;
pub mod files;
pub mod host;
pub mod plan;
pub mod progress;
pub mod receive;
pub mod report;
pub mod runtime;
pub mod schema;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(test)]
mod testing;

pub use error::CoreError;
