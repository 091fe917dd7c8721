//! The host interface: everything the core needs from the source Directus instance.
//!
//! The endpoint implements it in-process with Directus' own services (the source is never called
//! over HTTP); native tests implement it in memory. Requests and replies are serde types so they
//! cross the WASM boundary unchanged.

mod hooked;
mod reader;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::pipeline::schema::Snapshot;
use crate::runs::progress::Emit;
use crate::shared::http::{DownloadDigester, FileDigest, FileStreamer};
use crate::shared::rows::Row;

pub use hooked::{Hooked, Hooks};
pub use reader::PageReader;

/// One step of a scan of one collection in primary-key order: the keys greater than `after`, at
/// most `limit` of them, and the rows of those keys that `filter` keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
    /// Fields read exactly, in either representation: 64-bit integers as their decimal text, which
    /// Directus' SQLite and MySQL drivers (and so its API) read as doubles, losing digits past 2^53;
    /// floats as numbers, which MySQL/MariaDB's text protocol (and so the API) rounds to 15 or 16
    /// digits (the host knows which fields are floats from its schema).
    #[serde(default)]
    pub exact: Vec<String>,
}

/// What one step of a scan found. Fewer keys scanned than the limit means the scan is over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct CountRequest {
    pub collection: String,
    #[serde(default)]
    pub filter: Option<Value>,
}

/// Rows of a collection by primary key (at most a few thousand keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeysRequest {
    pub collection: String,
    pub primary_key: String,
    pub keys: Vec<Value>,
    /// Fields to read; empty means every field.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Rows in the database's own representation (a password hash, for the bulk receiver) rather
    /// than the API's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
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

/// A folder of the source's file library (`directus_folders`), by name in its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct FolderRequest {
    pub name: String,
    /// `None`: at the top of the library.
    pub parent: Option<String>,
}

/// A new file of the source's file library, written as a stream of text (a migration artifact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct NewFile {
    /// The storage location (one of the instance's `STORAGE_LOCATIONS`).
    pub storage: String,
    /// The folder it goes in (`directus_folders.id`).
    pub folder: String,
    /// `filename_download`, which is also its title.
    pub filename: String,
    /// Its media type, e.g. `application/json`.
    #[serde(rename = "type")]
    pub content_type: String,
}

/// Writing into the source's own file library: folders, and new files streamed chunk by chunk
/// (never built whole in memory), each a new `directus_files` row — nothing is ever overwritten
/// or deleted. A storage that refuses a write fails the file with the storage's own message.
#[allow(async_fn_in_trait)]
pub trait Library {
    /// The folder `name` in `parent`, if the library has one.
    async fn find_folder(&self, folder: &FolderRequest) -> Result<Option<String>, HostError>;
    /// A new folder; its id.
    async fn create_folder(&self, folder: &FolderRequest) -> Result<String, HostError>;
    /// Start a new file: a handle to append to.
    async fn open_file(&self, file: &NewFile) -> Result<u32, HostError>;
    /// Append text to the file; resolves once the storage can take more (backpressure).
    async fn append_file(&self, handle: u32, text: &str) -> Result<(), HostError>;
    /// Finish the file: resolves to its id once the storage holds every byte and the library
    /// lists it. Called once per handle, also after a failed append (it then fails too).
    async fn close_file(&self, handle: u32) -> Result<String, HostError>;
}

/// What the core asks of the source instance: reads, in-process, through Directus' services;
/// its files, streamed to the destination ([`FileStreamer`]); downloads from the destination
/// hashed as they stream ([`DownloadDigester`], for the verification); its file library, where a
/// run's artifacts go ([`Library`]); and where progress goes ([`Emit`]). Futures are not `Send`:
/// WASM is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Host: Emit + FileStreamer + DownloadDigester + Library {
    /// Read one page of rows with a primary-key cursor.
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError>;
    /// Count rows in the database (never by reading them).
    async fn count(&self, request: &CountRequest) -> Result<u64, HostError>;
    /// The source's schema snapshot, as Directus' `SchemaService` makes it.
    async fn schema_snapshot(&self) -> Result<Snapshot, HostError>;
    /// Rows by primary key (files and folders, for the files step).
    async fn read_by_keys(&self, request: &KeysRequest) -> Result<Vec<Row>, HostError>;
    /// sha256 of a source file's bytes, streamed from its storage (the verification).
    async fn file_digest(&self, file: &str) -> Result<FileDigest, HostError>;
    /// The real columns (no aliases) of a table as the source's schema describes it, Directus'
    /// own tables included; `None` when the source has no such table.
    async fn table_columns(&self, collection: &str) -> Result<Option<Vec<String>>, HostError>;
}

#[cfg(test)]
pub mod memory;
