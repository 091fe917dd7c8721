//! Where rows go: one interface for the two ways rows reach the destination — Directus' REST API
//! ([`RestSink`]) and the bulk receiver ([`BulkSink`]) — so the steps above never branch on the
//! transport. Both keep keys, skip nothing silently, and report every refused row with the
//! destination's own message.

mod bulk;
mod references;
mod rest;

pub use crate::shared::wire::{Mode, Representation};
pub use bulk::BulkSink;
pub use references::{null_missing, KnownKeys};
pub use rest::RestSink;

use serde_json::Value;

use crate::destination::{Destination, DestinationError};
use crate::runs::progress::Timings;
use crate::runs::report::Delivery;
use crate::shared::http::Transport;
use crate::shared::rows::Row;
use crate::shared::runtime::Clock;

/// The table rows are written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'t> {
    pub collection: &'t str,
    /// The primary-key field.
    pub key: &'t str,
    /// A singleton has one row, written as an object rather than a list.
    pub singleton: bool,
    /// Rows are written with their key (false: the destination assigns keys, so a refused row
    /// can never turn out to have landed under its key).
    pub keeps_key: bool,
}

/// What a write did, by key.
#[derive(Debug, Default, PartialEq)]
pub struct Written {
    /// Rows that landed.
    pub keys: Vec<Value>,
    /// Rows the destination turned out to have already (the bulk receiver checks again).
    pub skipped: Vec<Value>,
    /// Rows the destination refused, with its message.
    pub refused: Vec<(Value, String)>,
}

/// Errors are for a destination that stopped working (network, authentication, still failing
/// after retries); refused rows are part of [`Written`].
#[allow(async_fn_in_trait)]
pub trait RowSink {
    fn delivery(&self) -> Delivery;
    /// How the rows it takes are represented: the REST API takes the API's; the bulk receiver
    /// rows as stored, or the API's where the source was read through its API.
    fn representation(&self) -> Representation {
        Representation::Api
    }
    /// Whether the destination replaces `date-created` / `user-created` values on insert (they
    /// must then be written back with an update): Directus' API does, the bulk receiver writes
    /// them as they are.
    fn stamps_created_fields(&self) -> bool {
        self.delivery() == Delivery::Rest
    }
    /// Whether rows go in the database's own representation, read from the source as stored
    /// (the bulk receiver), rather than in the API's (REST).
    fn raw_rows(&self) -> bool {
        self.representation() == Representation::Stored
    }
    /// Whether an insert skips the keys the destination has, and says which (the bulk receiver
    /// lists them in its receipt): a page then need not ask first.
    fn skips_existing(&self) -> bool {
        self.delivery() == Delivery::Bulk
    }
    /// Which of `keys` the table has.
    async fn existing(&self, target: Target<'_>, keys: &[Value]) -> Result<Vec<Value>, DestinationError>;
    /// Which of `keys` the table has with `field` null (references an earlier run left unset).
    async fn lacking(&self, target: Target<'_>, field: &str, keys: &[Value]) -> Result<Vec<Value>, DestinationError>;
    /// The rows of `keys` with `columns` (the key first), as this sink writes them: the API's
    /// representation over REST, the database's over bulk.
    async fn rows(&self, target: Target<'_>, columns: &[String], keys: &[Value]) -> Result<Vec<Row>, DestinationError>;
    /// Insert `rows` (their `columns`, keys included: [`Mode::Create`]), or set `columns` of
    /// existing rows found by key (`columns` include the key: [`Mode::Update`]).
    async fn write(
        &self,
        mode: Mode,
        target: Target<'_>,
        columns: &[String],
        rows: Vec<Row>,
    ) -> Result<Written, DestinationError>;
}

/// The sink a run chose.
pub enum Sink<'a, T, C> {
    Rest(RestSink<'a, T, C>),
    Bulk(BulkSink<'a, T, C>),
}

impl<'a, T: Transport, C: Clock> Sink<'a, T, C> {
    /// The sink of `delivery`, for rows in the `rows` representation (the REST API takes only
    /// the API's: see `MigrateOptions::representation`).
    pub fn new(delivery: Delivery, rows: Representation, destination: &'a Destination<T, C>) -> Self {
        match delivery {
            Delivery::Rest => Sink::Rest(RestSink::new(destination)),
            Delivery::Bulk => Sink::Bulk(BulkSink::new(destination, rows)),
        }
    }

    /// A run's sink: the bulk receiver's time is counted in `timings`.
    pub fn timed(self, timings: &'a Timings) -> Self {
        match self {
            Sink::Bulk(sink) => Sink::Bulk(sink.timed(timings)),
            rest => rest,
        }
    }
}

/// Each call goes to the sink the run chose.
macro_rules! each {
    ($sink:expr, $inner:ident => $call:expr) => {
        match $sink {
            Sink::Rest($inner) => $call,
            Sink::Bulk($inner) => $call,
        }
    };
}

impl<T: Transport, C: Clock> RowSink for Sink<'_, T, C> {
    fn delivery(&self) -> Delivery {
        each!(self, sink => sink.delivery())
    }

    fn representation(&self) -> Representation {
        each!(self, sink => sink.representation())
    }

    async fn existing(&self, target: Target<'_>, keys: &[Value]) -> Result<Vec<Value>, DestinationError> {
        each!(self, sink => sink.existing(target, keys).await)
    }

    async fn lacking(&self, target: Target<'_>, field: &str, keys: &[Value]) -> Result<Vec<Value>, DestinationError> {
        each!(self, sink => sink.lacking(target, field, keys).await)
    }

    async fn rows(&self, target: Target<'_>, columns: &[String], keys: &[Value]) -> Result<Vec<Row>, DestinationError> {
        each!(self, sink => sink.rows(target, columns, keys).await)
    }

    async fn write(
        &self,
        mode: Mode,
        target: Target<'_>,
        columns: &[String],
        rows: Vec<Row>,
    ) -> Result<Written, DestinationError> {
        each!(self, sink => sink.write(mode, target, columns, rows).await)
    }
}
