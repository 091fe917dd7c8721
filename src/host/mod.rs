//! The host interface: everything the core needs from the source Directus instance.
//!
//! The endpoint implements it in-process with Directus' own services (the source is never called
//! over HTTP); native tests implement it in memory. Requests and replies are serde types so they
//! cross the WASM boundary unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::destination::{HttpResponse, TransportError};
use crate::progress::Event;
use crate::schema::Snapshot;

/// One row as Directus returns it: field name to JSON value.
pub type Row = Map<String, Value>;

/// One step of a scan of one collection in primary-key order: the keys greater than `after`, at
/// most `limit` of them, and the rows of those keys that `filter` keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRequest {
    pub collection: String,
    /// Name of the primary-key field; the page is sorted on it.
    pub primary_key: String,
    /// Fields to read; empty means every real (non-alias) column.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Only rows whose primary key is greater than this one; `None` starts at the beginning.
    #[serde(default)]
    pub after: Option<Value>,
    pub limit: u32,
    /// An extra Directus filter, combined with the cursor condition.
    #[serde(default)]
    pub filter: Option<Value>,
    /// Rows in the database's own representation (for the bulk receiver) rather than the API's.
    #[serde(default)]
    pub raw: bool,
    /// Fields read as their exact decimal text, in either representation: 64-bit integers, which
    /// Directus' SQLite and MySQL drivers (and so its API) read as doubles, losing digits past 2^53.
    #[serde(default)]
    pub exact: Vec<String>,
}

/// What one step of a scan found. Fewer keys scanned than the limit means the scan is over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The rows the filter kept, in key order.
    pub rows: Vec<Row>,
    /// The last key scanned: where the next step starts. `None` when no key was left.
    #[serde(default)]
    pub last: Option<Value>,
    /// How many keys were scanned (rows filtered out included).
    #[serde(default)]
    pub scanned: u32,
}

/// Count the rows of a collection, optionally restricted by a Directus filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountRequest {
    pub collection: String,
    #[serde(default)]
    pub filter: Option<Value>,
}

/// Rows of a collection by primary key (at most a few thousand keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeysRequest {
    pub collection: String,
    pub primary_key: String,
    pub keys: Vec<Value>,
    /// Fields to read; empty means every field.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// Stream one of the source's files to the destination: `prefix`, the file's bytes (read from
/// the source's storage), then `suffix`, as the body of a `POST` to `url`. The bytes never pass
/// through the core.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileUpload {
    /// The source file's id (`directus_files.id`).
    pub file: String,
    pub url: String,
    /// Request headers, `Authorization` included: never log them.
    pub headers: Vec<(String, String)>,
    pub prefix: String,
    pub suffix: String,
    pub timeout_ms: u32,
}

/// Why a file upload failed: the source could not give the file, or the transfer failed.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadError {
    Source(HostError),
    Transfer(TransportError),
}

/// The shape of a destination table, from the receiving instance's own schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableShape {
    pub collection: String,
    pub primary_key: String,
    /// Real columns (no aliases).
    pub columns: Vec<String>,
    /// The primary key is an auto-incrementing integer (its sequence must follow inserts).
    pub auto_increment: bool,
    /// Each column's Directus type (`json`, `csv`, `bigInteger`, `geometry.Point`, …): the receiver
    /// encodes values for their column before they are bound (see `receive::values`).
    #[serde(default)]
    pub types: std::collections::BTreeMap<String, String>,
}

/// Rows to write straight into a table, in the database's representation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowsWrite {
    pub collection: String,
    pub primary_key: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// A failure reported by the host, with the code Directus gave it when there was one.
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct HostError {
    #[serde(default)]
    pub code: Option<String>,
    pub message: String,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> Self {
        HostError { code: None, message: message.into() }
    }
}

/// What the bulk receiver asks of the destination's own database (the instance it runs in).
#[allow(async_fn_in_trait)]
pub trait Store {
    /// The table behind a user collection, `None` when there is none.
    async fn describe_table(&self, collection: &str) -> Result<Option<TableShape>, HostError>;
    /// Which of `request.keys` the table has.
    async fn existing_keys(&self, request: &KeysRequest) -> Result<Vec<Value>, HostError>;
    /// Insert every row, in one transaction: all or nothing. The error is the database's.
    async fn insert_rows(&self, write: &RowsWrite) -> Result<(), HostError>;
    /// Set the given columns of each row, found by key, in one transaction.
    async fn update_rows(&self, write: &RowsWrite) -> Result<(), HostError>;
    /// Move an auto-increment sequence past the highest key (a no-op where the database does it).
    async fn advance_sequence(&self, table: &TableShape) -> Result<(), HostError>;
}

/// What the core asks of the source instance. Futures are not `Send`: WASM is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Host {
    /// Read one page of rows with a primary-key cursor.
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError>;
    /// Count rows in the database (never by reading them).
    async fn count(&self, request: &CountRequest) -> Result<u64, HostError>;
    /// The source's schema snapshot, as Directus' `SchemaService` makes it.
    async fn schema_snapshot(&self) -> Result<Snapshot, HostError>;
    /// Rows by primary key (files and folders, for the files step).
    async fn read_by_keys(&self, request: &KeysRequest) -> Result<Vec<Row>, HostError>;
    /// Stream a file to the destination; answers the destination's response.
    async fn send_file(&self, upload: &FileUpload) -> Result<HttpResponse, UploadError>;
    /// Report a log line or progress event. Must not fail the migration.
    fn emit(&self, event: &Event);
}

#[cfg(test)]
pub mod memory;
