//! Values and small mechanisms every part of the core uses: the clock, one HTTP exchange, rows
//! and their keys, canonical digests, halving a refused batch, database vendors, and the bulk
//! wire format both copies of the extension speak.

pub mod http;
pub mod runtime;

pub(crate) mod digest;
pub(crate) mod isolate;
pub(crate) mod rows;
pub(crate) mod vendor;
pub(crate) mod wire;
