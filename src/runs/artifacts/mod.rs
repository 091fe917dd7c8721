//! A run's artifacts: timestamped JSON files in the source's own file library, in a folder per
//! run inside [`TOP_FOLDER`] — the schema sent to the destination, the rows the run read, the
//! singletons, the metadata of the files the rows reference, and the final report; before a
//! schema sync applies changes, the destination's schema as it was, in a folder of its own.
//!
//! - **Streams.** Rows are appended page by page as the data step reads them ([`tapped`]), so a
//!   run holds no more than the pages it already holds; the host writes each chunk to the storage
//!   with backpressure.
//! - **Never overwritten, never deleted.** Every run makes a new folder; every file is new.
//! - **No secrets.** No token is ever in them, and fields with the `hash` or `conceal` special
//!   are left out (a bulk run reads them in the database's representation).
//! - **Sealed.** The host seals every file on its way to the storage, under a key derived from
//!   the instance's `SECRET` (without it no run with artifacts starts: `SECRET_NOT_SET`); the core
//!   writes plain JSON and never sees a key.
//! - **Never fatal.** A storage that refuses a write fails that artifact, not the run: the report
//!   says which are missing and why (the storage's own message).
//! - **The source's own.** A run that moves Directus' own folders and files (excludedTables mode)
//!   leaves the [`TOP_FOLDER`] tree and its files behind: they are this instance's record.

mod folder;
mod run;
mod stream;
mod tap;

pub use folder::{save_report, Folder};
pub use run::RunArtifacts;
pub use tap::tapped;

use serde_json::{json, Value};

use crate::host::{Host, HostError, PageReader, PageRequest};
use crate::shared::runtime::iso_timestamp;

/// The top folder of the library every run's folder goes in.
pub const TOP_FOLDER: &str = "Migrations";

/// Artifacts are JSON.
const CONTENT_TYPE: &str = "application/json";

/// An instant as it appears in names: `2026-11-22T10-30-45-123Z`.
pub fn stamp(epoch_ms: f64) -> String {
    iso_timestamp(epoch_ms).replace([':', '.'], "-")
}

/// `<base>_<stamp>.json`.
pub fn file_name(base: &str, epoch_ms: f64) -> String {
    format!("{base}_{}.json", stamp(epoch_ms))
}

/// The id of the source's [`TOP_FOLDER`] folder, where earlier runs of the extension left their
/// artifacts, read from its `directus_folders` like any of its rows: the library the host writes
/// a run's artifacts to may be elsewhere (the command line's `--artifacts` folder).
pub async fn top_folder<H: Host>(host: &H) -> Result<Option<String>, HostError> {
    let request = PageRequest {
        collection: "directus_folders".into(),
        primary_key: "id".into(),
        fields: vec!["id".into()],
        after: None,
        limit: 1_000,
        filter: Some(json!({ "_and": [{ "name": { "_eq": TOP_FOLDER } }, { "parent": { "_null": true } }] })),
        raw: false,
        exact: vec![],
    };
    let first = PageReader::new(host, request).next_page().await?;
    Ok(first.and_then(|rows| rows.into_iter().next()).and_then(|row| match row.get("id") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    }))
}

/// The filter that leaves the artifacts' tree (the top folder `top`, the runs' folders in it, and
/// their files) out of a read of `directus_folders` or `directus_files`.
pub fn not_artifacts(collection: &str, top: &str) -> Option<Value> {
    match collection {
        "directus_folders" => Some(json!({ "_and": [
            { "id": { "_neq": top } },
            { "_or": [{ "parent": { "_null": true } }, { "parent": { "_neq": top } }] }
        ] })),
        "directus_files" => Some(json!({ "_or": [
            { "folder": { "_null": true } },
            { "_and": [
                { "folder": { "_neq": top } },
                { "_or": [{ "folder": { "parent": { "_null": true } } }, { "folder": { "parent": { "_neq": top } } }] }
            ] }
        ] })),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
