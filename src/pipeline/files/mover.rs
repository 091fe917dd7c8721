//! Moving the files that rows reference, before the rows: skip the ones the destination has,
//! create their folders, stream each missing file from the source's storage to `POST /files`
//! (keeping its id), check the size the destination stored, then write back the metadata Directus
//! sets itself on upload (dates, uploader, dimensions…).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use futures::lock::Mutex;
use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::folders::ensure_folders;
use super::multipart::{boundary, envelope};
use super::stored::{doubtful, holds, size_of, STORED_FIELDS};
use crate::destination::sink::{null_missing, KnownKeys, Mode, RestSink, RowSink, Target};
use crate::destination::{Destination, SourceUnreadable, Upload};
use crate::host::{Host, KeysRequest};
use crate::pipeline::options::MigrateOptions;
use crate::pipeline::plan::Reference;
use crate::pipeline::system::KeyMap;
use crate::runs::progress::{Event, Recorder};
use crate::runs::report::{human_bytes, FilesReport};
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, value_of, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

const FILES: &str = "directus_files";
const FILES_TARGET: Target = Target { collection: FILES, key: "id", singleton: false, keeps_key: true };

/// Files this large get a line when their upload starts, not only when it ends.
const LARGE_FILE_BYTES: u64 = 10_000_000;

/// Fields Directus computes for the destination's own storage, or stamps on every write.
const NOT_COPIED: [&str; 7] =
    ["storage", "filename_disk", "filesize", "modified_by", "modified_on", "tus_id", "tus_data"];

pub struct FileMover<'a, H, T, C> {
    host: &'a H,
    destination: &'a Destination<T, C>,
    known: &'a KnownKeys,
    recorder: &'a Recorder<'a>,
    /// The run's options: `fileConcurrency` uploads in flight at once, none on a dry run.
    options: &'a MigrateOptions,
    /// One page's files at a time: the upload concurrency is global, and two pages referencing
    /// the same file never upload it twice.
    turn: Mutex<()>,
    report: RefCell<FilesReport>,
    /// Uploaders that stand for other users on the destination.
    keys: Option<&'a KeyMap>,
}

/// What one call of [`FileMover::ensure`] did with the files it was given.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ensured {
    /// Uploaded (a dry run: to upload).
    pub uploaded: u64,
    /// Already on the destination (or moved earlier in this run).
    pub there: u64,
    /// Could not be moved (each one recorded).
    pub failed: u64,
}

enum Uploaded {
    Done(u64),
    /// The destination's row was one an interrupted upload left empty: its content was
    /// uploaded again.
    Repaired(u64),
    /// The destination's row turned out to hold the file after all.
    There,
    Failed(String),
}

impl<'a, H: Host, T: Transport, C: Clock> FileMover<'a, H, T, C> {
    pub fn new(
        host: &'a H,
        destination: &'a Destination<T, C>,
        known: &'a KnownKeys,
        recorder: &'a Recorder<'a>,
        options: &'a MigrateOptions,
    ) -> Self {
        FileMover {
            host,
            destination,
            known,
            recorder,
            options,
            turn: Mutex::new(()),
            report: RefCell::default(),
            keys: None,
        }
    }

    /// Write uploaders through `keys` (users that stand for other users on the destination).
    pub fn with_keys(mut self, keys: &'a KeyMap) -> Self {
        self.keys = Some(keys);
        self
    }

    /// What the files step did.
    pub fn finish(self) -> FilesReport {
        let mut report = self.report.into_inner();
        report.finish();
        report
    }

    /// File ids that `references` hold in `rows`.
    pub fn referenced(references: &[&Reference], rows: &[Row]) -> Vec<Value> {
        let mut ids: Vec<Value> = rows
            .iter()
            .flat_map(|row| references.iter().filter_map(|r| row.get(&r.field)))
            .filter(|v| !v.is_null())
            .cloned()
            .collect();
        ids.sort_by_key(key_text);
        ids.dedup();
        ids
    }

    /// Make sure the files `ids` exist on the destination, uploading the missing ones. A file that
    /// cannot be moved is reported; the references to it are then set to null like any reference
    /// to a missing row. Errors are for a destination or source that stopped working.
    pub async fn ensure(&self, ids: Vec<Value>) -> Result<Ensured, CoreError> {
        let _turn = self.turn.lock().await;
        let given = ids.len() as u64;
        let ids: Vec<Value> = ids.into_iter().filter(|id| !self.known.knows_present(FILES, id)).collect();
        if ids.is_empty() {
            return Ok(Ensured { there: given, ..Ensured::default() });
        }
        let before = self.report.borrow().clone();
        let started = self.destination.clock().now_ms();
        let fields: Vec<String> = STORED_FIELDS.iter().map(|f| f.to_string()).collect();
        let rows = self.destination.items_by_keys(FILES, "id", &fields, &ids).await?;
        let existing: BTreeMap<String, Row> =
            rows.into_iter().filter_map(|row| Some((key_text(row.get("id")?), row))).collect();
        // Rows without bytes are decided once the source's sizes are known.
        let (doubted, stored): (BTreeMap<String, Row>, BTreeMap<String, Row>) =
            existing.into_iter().partition(|(_, row)| doubtful(row));
        let missing: Vec<Value> = ids.iter().filter(|id| !stored.contains_key(&key_text(id))).cloned().collect();
        for id in ids.iter().filter(|id| stored.contains_key(&key_text(id))) {
            self.known.mark_present(FILES, id);
        }
        {
            let mut report = self.report.borrow_mut();
            report.referenced += ids.len() as u64;
            report.skipped += (ids.len() - missing.len()) as u64;
        }
        if !missing.is_empty() {
            self.move_files(missing, &doubted).await?;
        }
        let mut report = self.report.borrow_mut();
        report.seconds += (self.destination.clock().now_ms() - started) / 1000.0;
        let uploaded = report.migrated - before.migrated;
        let failed = report.failed - before.failed;
        Ok(Ensured { uploaded, failed, there: given.saturating_sub(uploaded + failed) })
    }

    /// Upload the files `ids`; those in `doubted` have a row on the destination that may be empty.
    async fn move_files(&self, ids: Vec<Value>, doubted: &BTreeMap<String, Row>) -> Result<(), CoreError> {
        let request = KeysRequest {
            collection: FILES.into(),
            primary_key: "id".into(),
            keys: ids.clone(),
            fields: vec![],
            raw: false,
        };
        let files = self.host.read_by_keys(&request).await?;
        let found: BTreeSet<String> = files.iter().map(|f| key_text(&value_of(f, "id"))).collect();
        for id in ids.iter().filter(|id| !found.contains(&key_text(id))) {
            self.recorder.warn(format!(
                "file {} is referenced by rows but does not exist on the source; the references are set to null",
                key_text(id)
            ));
        }

        let folders: Vec<Value> =
            files.iter().filter_map(|f| f.get("folder")).filter(|f| !f.is_null()).cloned().collect();
        if !folders.is_empty() {
            let (created, refused) =
                ensure_folders(self.host, self.destination, self.known, &folders, self.options.dry_run).await?;
            self.report.borrow_mut().folders_created += created.len() as u64;
            for (folder, message) in refused {
                self.recorder.warn(format!("folder {} could not be created: {message}", key_text(&folder)));
            }
        }

        if self.options.dry_run {
            let mut report = self.report.borrow_mut();
            for file in &files {
                report.migrated += 1;
                report.bytes += size_of(file);
                self.known.mark_present(FILES, &value_of(file, "id"));
            }
            return Ok(());
        }

        let mut uploads = stream::iter(files.into_iter().map(|file| async move {
            let theirs = file.get("id").and_then(|id| doubted.get(&key_text(id)));
            let outcome = match theirs {
                Some(row) if holds(row, size_of(&file)) => Ok(Uploaded::There),
                Some(_) => self.upload(&file, true).await,
                None => self.upload(&file, false).await,
            };
            (file, outcome)
        }))
        .buffer_unordered((self.options.file_concurrency as usize).max(1));
        while let Some((file, outcome)) = uploads.next().await {
            let id = value_of(&file, "id");
            match outcome? {
                Uploaded::There => {
                    self.known.mark_present(FILES, &id);
                    self.report.borrow_mut().skipped += 1;
                }
                Uploaded::Repaired(bytes) => {
                    self.known.mark_present(FILES, &id);
                    let mut report = self.report.borrow_mut();
                    report.migrated += 1;
                    report.repaired += 1;
                    report.bytes += bytes;
                    self.recorder.warn(format!(
                        "file {}: the destination had an empty row for it (an upload cut off earlier: no bytes stored); its content was uploaded again ({})",
                        key_text(&id),
                        human_bytes(bytes)
                    ));
                }
                Uploaded::Done(bytes) => {
                    self.known.mark_present(FILES, &id);
                    let mut report = self.report.borrow_mut();
                    report.migrated += 1;
                    report.bytes += bytes;
                    let name = file.get("filename_download").and_then(Value::as_str).unwrap_or_default();
                    self.host.emit(&Event::step(format!(
                        "file {name} ({}): {} uploaded",
                        key_text(&id),
                        human_bytes(bytes)
                    )));
                }
                Uploaded::Failed(message) => {
                    self.report.borrow_mut().failed += 1;
                    self.recorder.fail(FILES, id, message);
                }
            }
        }
        Ok(())
    }

    /// Upload one file (`replace`: over the destination's empty row of that id); `Err` only when
    /// the destination stopped working.
    async fn upload(&self, file: &Row, replace: bool) -> Result<Uploaded, CoreError> {
        let expected = size_of(file);
        let stored = match self.send(file, replace).await? {
            Ok(stored) => stored,
            Err(message) => return Ok(Uploaded::Failed(message)),
        };
        let mut repaired = replace;
        match stored {
            Some(stored) if stored != expected => {
                return Ok(Uploaded::Failed(format!(
                    "size mismatch: the source has {expected} bytes, the destination stored {stored}"
                )))
            }
            Some(_) => {}
            // Refused as there already: an earlier attempt created the row. It counts only if its
            // bytes are there; a row an interrupted attempt left empty gets them again.
            None => {
                let fields: Vec<String> = STORED_FIELDS.iter().map(|f| f.to_string()).collect();
                let id = value_of(file, "id");
                let theirs = self.destination.items_by_keys(FILES, "id", &fields, &[id]).await?;
                if !theirs.first().is_some_and(|row| holds(row, expected)) {
                    match self.send(file, true).await? {
                        Ok(Some(stored)) if stored == expected => repaired = true,
                        Ok(stored) => {
                            return Ok(Uploaded::Failed(format!(
                                "an earlier upload was cut off and left an empty row; uploading again, the destination stored {} of the source's {expected} bytes",
                                stored.map_or("an unknown number".to_string(), |s| s.to_string())
                            )))
                        }
                        Err(message) => return Ok(Uploaded::Failed(message)),
                    }
                }
            }
        }
        self.restore_metadata(file).await?;
        Ok(if repaired { Uploaded::Repaired(expected) } else { Uploaded::Done(expected) })
    }

    /// Stream the file to the destination: the size it stored (`None`: the create was refused
    /// because the file is there already), or why the file cannot be moved.
    async fn send(&self, file: &Row, replace: bool) -> Result<Result<Option<u64>, String>, CoreError> {
        let id = key_text(&value_of(file, "id"));
        let expected = size_of(file);
        if expected >= LARGE_FILE_BYTES {
            let name = file.get("filename_download").and_then(Value::as_str).unwrap_or_default();
            self.host.emit(&Event::step(format!("file {name} ({id}): uploading {}", human_bytes(expected))));
        }
        let text = |field: &str| file.get(field).and_then(Value::as_str).unwrap_or_default().to_string();
        let filename = Some(text("filename_download")).filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone());
        let mime = Some(text("type")).filter(|t| !t.is_empty()).unwrap_or_else(|| "application/octet-stream".into());
        let mut fields = match replace {
            true => vec![("filename_download", filename.clone())],
            false => vec![("id", id.clone()), ("filename_download", filename.clone())],
        };
        if let Some(title) = file.get("title").and_then(Value::as_str) {
            fields.push(("title", title.to_string()));
        }
        if let Some(folder) =
            file.get("folder").filter(|f| !f.is_null()).filter(|f| self.known.knows_present("directus_folders", f))
        {
            fields.push(("folder", key_text(folder)));
        }
        let boundary = boundary(self.destination.clock().random(), &fields);
        let (content_type, prefix, suffix) = envelope(&boundary, &fields, &filename, &mime);
        let upload = Upload {
            file: id.clone(),
            content_type,
            prefix,
            suffix,
            // At least half a megabyte per second, and two minutes for the rest of the exchange.
            timeout_ms: (120_000 + expected / 512).min(u32::MAX as u64) as u32,
            replace,
        };
        match self.destination.upload_file(self.host, &upload).await {
            Err(SourceUnreadable(message)) => Ok(Err(format!("the source could not read the file: {message}"))),
            Ok(Ok(response)) => Ok(Ok(serde_json::from_str::<Value>(&response.body).ok().and_then(|b| {
                b.pointer("/data/filesize").and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()))
            }))),
            Ok(Err(error)) if error.is_about_rows() && !replace => {
                let mut landed = Vec::new();
                let refused = vec![(value_of(file, "id"), error)];
                let refused = RestSink::new(self.destination).landed_anyway(FILES_TARGET, refused, &mut landed).await?;
                match refused.into_iter().next() {
                    Some((_, message)) => Ok(Err(message)),
                    None => Ok(Ok(None)),
                }
            }
            Ok(Err(error)) if error.is_about_rows() => Ok(Err(error.row_message())),
            Ok(Err(error)) => Err(error.into()),
        }
    }

    /// Write back what Directus sets itself on upload (dates, uploader, extracted metadata…).
    async fn restore_metadata(&self, file: &Row) -> Result<(), CoreError> {
        let mut patch: Row = file
            .iter()
            .filter(|(k, _)| !NOT_COPIED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if patch.get("folder").is_some_and(|f| !f.is_null() && !self.known.knows_present("directus_folders", f)) {
            patch.remove("folder");
        }
        let uploader = Reference {
            field: "uploaded_by".into(),
            target: "directus_users".into(),
            target_key: "id".into(),
            nullable: true,
        };
        let columns: Vec<String> = patch.keys().cloned().collect();
        let mut rows = vec![patch];
        if let Some(keys) = self.keys {
            keys.apply(&[("uploaded_by", "directus_users")], &mut rows);
        }
        null_missing(self.destination, self.known, &[uploader], &mut rows).await?;
        let written = RestSink::new(self.destination).write(Mode::Update, FILES_TARGET, &columns, rows).await?;
        for (key, message) in written.refused {
            self.recorder.warn(format!("file {}: metadata not preserved: {message}", key_text(&key)));
        }
        Ok(())
    }
}
