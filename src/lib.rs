//! Core of `directus-extension-table-migration`.
//!
//! Everything here is plain Rust that `cargo test` runs natively. The source instance is reached
//! through the [`host::Host`] trait (implemented in-process by the Directus endpoint), the
//! destination through [`destination::Destination`] over a [`shared::http::Transport`]. The only code
//! that knows about JavaScript lives in `wasm/`, compiled for `wasm32` alone.
//!
//! The folders are the design:
//!
//! - `shared/`: values every part uses — the clock (`runtime`), one HTTP exchange (`http`), rows
//!   and keys (`rows`), canonical digests, halving a refused batch (`isolate`), database vendors,
//!   the bulk wire format (`wire`);
//! - `host/`: the source, as the core sees it — what it asks of the Directus instance it runs in;
//! - `pipeline/`: the migration in the order a run goes — `schema`, `plan`, `system` (Directus'
//!   own collections), `matching`, `files`, `data` (moving rows, both passes), `verify`;
//! - `destination/`: the other instance — its HTTP client and API, where requests may go
//!   (`outbound`), where rows go (`sink`: REST or the bulk receiver) and whether they fit
//!   (`compat`);
//! - `receive/`: the bulk receiver, the destination's side of the bulk transport;
//! - `runs/`: what surrounds a run — `jobs`, `progress`, `report`, `artifacts`, `callback`;
//! - `commands/`: one module per endpoint operation, on which `wasm/` (the boundary) sits;
//! - `error`: the core's one error type, which the boundary turns into a JS error.
//!
//! `shared` uses none of the others; `commands` uses the rest, and only `wasm` (and tests) use
//! `commands`. In between, modules use one another as a run needs them, without cycles between
//! modules.

// No input may stop the host: with `panic = "abort"`, a panic in WASM traps the Directus process.
// Outside tests every fallible step is a typed error (see `error`).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod commands;
pub mod destination;
pub mod error;
pub mod host;
pub mod pipeline;
pub mod receive;
pub mod runs;
pub mod shared;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testing;

pub use error::CoreError;
