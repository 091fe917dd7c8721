//! Core of `directus-extension-table-migration`.
//!
//! Everything here is plain Rust that `cargo test` runs natively. The source instance is reached
//! through the [`host::Host`] trait (implemented in-process by the Directus endpoint), the
//! destination through [`destination::Destination`] over an [`http::Transport`]. The only code
//! that knows about JavaScript lives in `wasm/`, compiled for `wasm32` alone.
//!
//! Modules are layered; each one uses only modules listed before it:
//!
//! 1. `runtime` (clock), `http` (one exchange, one streamed upload, one hashed download), `rows`
//!    (rows and keys), `digest` (canonical rows and their checksums), `isolate` (halving until the
//!    refused items stand alone), `wire` (the bulk wire format), `vendor` (database vendors),
//!    `system` (Directus' own collections: their catalogue, the key map, the settings merge);
//! 2. `schema` (snapshots, diffs, selections), `report` (what a run and a verification report);
//! 3. `destination` (the HTTP client for the destination), `progress` (events and the failure
//!    recorder), `plan` (what moves, in which order);
//! 4. `host` (what the core needs from the source), `error` (the core's error);
//! 5. `receive` (the bulk receiver, on the destination), `sink` (where rows go: REST or bulk),
//!    `compat` (schema guard, receiver fit), `matching` (the destination's counterparts of
//!    Directus' own rows: the key map, natural keys), `jobs` (the runs of this process: their
//!    progress, their cancel flag), `callback` (a run's outcome posted to its caller);
//! 6. `artifacts` (a run's files in the source's own file library), `files` (the files rows
//!    reference), then `data` (moving rows), then `verify` (comparing both sides);
//! 7. `commands` (one per endpoint operation), on which `wasm/` (the boundary) sits.

// No input may stop the host: with `panic = "abort"`, a panic in WASM traps the Directus process.
// Outside tests every fallible step is a typed error (see `error`).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod commands;
pub mod destination;
pub mod error;
pub mod host;
pub mod http;
pub mod receive;
pub mod runtime;

mod artifacts;
mod callback;
mod compat;
mod data;
mod digest;
mod files;
mod isolate;
mod jobs;
mod matching;
mod plan;
mod progress;
mod report;
mod rows;
mod schema;
mod sink;
mod system;
mod vendor;
mod verify;
mod wire;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testing;

pub use error::CoreError;
