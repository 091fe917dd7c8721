//! The files the compared rows reference (single-file fields and M2M file junctions alike): each
//! one once, its `filesize` on both sides, then the sha256 of its bytes on both sides — streamed
//! from the source's storage by the host, and from the destination's `GET /assets/:id` by the
//! host too — so no file is ever held whole, in the core or in Node.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};

use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::destination::Destination;
use crate::host::{Host, KeysRequest};
use crate::pipeline::files::FileMover;
use crate::pipeline::plan::Reference;
use crate::runs::report::{FilesVerification, MAX_DIFFERENCES};
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

const FILES: &str = "directus_files";
/// Files remembered as checked; past this many the memory starts over (a file may be checked twice).
const CAPACITY: usize = 100_000;

pub struct FileChecker<'a, H, T, C> {
    host: &'a H,
    destination: &'a Destination<T, C>,
    concurrency: usize,
    seen: RefCell<HashSet<String>>,
    report: RefCell<FilesVerification>,
    notes: RefCell<Vec<String>>,
}

impl<'a, H: Host, T: Transport, C: Clock> FileChecker<'a, H, T, C> {
    pub fn new(host: &'a H, destination: &'a Destination<T, C>, concurrency: usize) -> Self {
        FileChecker {
            host,
            destination,
            concurrency: concurrency.max(1),
            seen: RefCell::default(),
            report: RefCell::default(),
            notes: RefCell::default(),
        }
    }

    /// What was found, and notes about files the source itself lacks.
    pub fn finish(self) -> (FilesVerification, Vec<String>) {
        (self.report.into_inner(), self.notes.into_inner())
    }

    /// Check the files `references` hold in `rows` that were not checked yet.
    pub async fn check(&self, references: &[&Reference], rows: &[Row]) -> Result<(), CoreError> {
        let ids: Vec<Value> = {
            let mut seen = self.seen.borrow_mut();
            if seen.len() >= CAPACITY {
                seen.clear();
            }
            FileMover::<H, T, C>::referenced(references, rows)
                .into_iter()
                .filter(|id| seen.insert(key_text(id)))
                .collect()
        };
        if ids.is_empty() {
            return Ok(());
        }
        let fields = vec!["id".to_string(), "filesize".to_string()];
        let request = KeysRequest {
            collection: FILES.into(),
            primary_key: "id".into(),
            keys: ids.clone(),
            fields: fields.clone(),
            raw: false,
        };
        let ours = by_id(self.host.read_by_keys(&request).await?);
        let theirs = by_id(self.destination.items_by_keys(FILES, "id", &fields, &ids).await?);

        let mut to_hash = Vec::new();
        for id in ids {
            let text = key_text(&id);
            let Some(expected) = ours.get(&text).map(size_of) else {
                let mut notes = self.notes.borrow_mut();
                if notes.len() < MAX_DIFFERENCES {
                    notes.push(format!("file {text} is referenced by rows but is not on the source: not compared"));
                }
                continue;
            };
            let mut report = self.report.borrow_mut();
            report.checked += 1;
            match theirs.get(&text).map(size_of) {
                None => report.note(&id, "missing on the destination".into()),
                Some(stored) if stored != expected => report
                    .note(&id, format!("size differs: {expected} bytes on the source, {stored} on the destination")),
                Some(_) => to_hash.push((id, expected)),
            }
        }

        let mut hashed = stream::iter(to_hash.into_iter().map(|(id, size)| async move {
            let outcome = self.compare_bytes(&key_text(&id), size).await;
            (id, outcome)
        }))
        .buffer_unordered(self.concurrency);
        while let Some((id, outcome)) = hashed.next().await {
            let mut report = self.report.borrow_mut();
            match outcome? {
                None => report.identical += 1,
                Some(reason) => report.note(&id, reason),
            }
        }
        Ok(())
    }

    /// `None` when both sides' bytes hash the same, otherwise how they differ. `Err` only when the
    /// destination stopped working.
    async fn compare_bytes(&self, id: &str, size: u64) -> Result<Option<String>, CoreError> {
        // At least half a megabyte per second, and two minutes for the rest of the exchange.
        let timeout_ms = (120_000 + size / 512).min(u32::MAX as u64) as u32;
        let (ours, theirs) =
            futures::join!(self.host.file_digest(id), self.destination.asset_digest(self.host, id, timeout_ms));
        let ours = match ours {
            Ok(digest) => digest,
            Err(error) => return Ok(Some(format!("the source could not read it: {error}"))),
        };
        self.report.borrow_mut().bytes += ours.bytes;
        Ok(match theirs? {
            None => Some("missing on the destination (no asset)".into()),
            Some(theirs) if theirs == ours => None,
            Some(theirs) => Some(format!(
                "content differs: sha256 {} ({} bytes) on the source, {} ({} bytes) on the destination",
                ours.sha256, ours.bytes, theirs.sha256, theirs.bytes
            )),
        })
    }
}

fn by_id(rows: Vec<Row>) -> BTreeMap<String, Row> {
    rows.into_iter().filter_map(|row| Some((key_text(row.get("id")?), row))).collect()
}

fn size_of(file: &Row) -> u64 {
    match file.get("filesize") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    }
}
