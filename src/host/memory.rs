//! An in-memory [`Host`] for native tests: tables as vectors of rows, compared on their keys the
//! way the database would sort them (numbers numerically, strings lexically).

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

use super::{CountRequest, FolderRequest, Host, HostError, KeysRequest, Library, NewFile, Page, PageRequest};
use crate::pipeline::schema::Snapshot;
use crate::runs::progress::{Emit, Event};
use crate::shared::http::{
    DownloadDigester, FileDigest, FileStreamer, HttpResponse, StreamError, StreamedDownload, StreamedUpload,
    TransportError,
};
use crate::shared::rows::Row;

pub type Uploader = Box<dyn Fn(&StreamedUpload) -> Result<HttpResponse, StreamError>>;
type EmitHook = Box<dyn Fn(&Event)>;
type Downloader = Box<dyn Fn(&StreamedDownload) -> Result<HttpResponse, TransportError>>;

#[derive(Default)]
pub struct MemoryHost {
    pub tables: BTreeMap<String, Vec<Row>>,
    pub snapshot: Option<Snapshot>,
    pub events: RefCell<Vec<Event>>,
    /// Every file upload asked for, in order, with the token it carried.
    pub uploads: RefCell<Vec<(StreamedUpload, String)>>,
    /// Answers file uploads; without it they fail.
    pub uploader: Option<Uploader>,
    /// The bytes of the source's files, for their digests.
    pub file_bytes: BTreeMap<String, Vec<u8>>,
    /// Every download hashed, in order, with the token it carried.
    pub downloads: RefCell<Vec<(StreamedDownload, String)>>,
    /// Answers hashed downloads; without it they fail.
    pub downloader: Option<Downloader>,
    /// The columns of tables, where a table's rows do not tell them all (else: the rows' keys).
    pub columns: BTreeMap<String, Vec<String>>,
    /// The file library: folders, files being written, files saved.
    pub library: RefCell<MemoryLibrary>,
    /// When set, the library's storage refuses writes with this message (files fail; folders,
    /// which are database rows, are still created).
    pub storage_refuses: Option<String>,
    /// When set, the library refuses to make folders with this message.
    pub folders_refused: Option<String>,
    /// Called with every event emitted (after it is kept in `events`).
    pub on_emit: Option<EmitHook>,
    /// Every `read_page` answered: the collection, the cursor asked after, the rows returned.
    pub reads: RefCell<Vec<(String, Option<Value>, usize)>>,
    /// Every `count` answered: the collection.
    pub counts: RefCell<Vec<String>>,
    /// How many snapshots were asked for.
    pub snapshots: Cell<usize>,
    /// How many `read_page` calls asked for rows as stored (`raw`).
    pub raw_reads: Cell<usize>,
    calls: Cell<usize>,
}

/// The source's file library, in memory.
#[derive(Debug, Default)]
pub struct MemoryLibrary {
    /// `(id, name, parent)`.
    pub folders: Vec<(String, String, Option<String>)>,
    /// Files open for writing, by handle: the file, its text so far, and how many appends.
    pub open: BTreeMap<u32, (NewFile, String, usize)>,
    pub saved: Vec<SavedFile>,
    next: u32,
}

/// A file written to the library.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedFile {
    pub id: String,
    pub file: NewFile,
    pub text: String,
    /// How many chunks it was written in.
    pub appends: usize,
}

impl MemoryLibrary {
    fn next_id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}", self.next)
    }

    /// The saved file whose name starts with `prefix` (`items_full_data_`), parsed.
    pub fn json(&self, prefix: &str) -> Value {
        let file = self.saved.iter().find(|f| f.file.filename.starts_with(prefix)).unwrap_or_else(|| {
            panic!("no saved file {prefix}…: {:?}", self.saved.iter().map(|f| &f.file.filename).collect::<Vec<_>>())
        });
        serde_json::from_str(&file.text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}\n{}", file.file.filename, file.text))
    }
}

impl MemoryHost {
    pub fn with_snapshot(snapshot: Snapshot) -> Self {
        MemoryHost { snapshot: Some(snapshot), ..MemoryHost::default() }
    }

    pub fn with_table(name: &str, rows: impl IntoIterator<Item = Value>) -> Self {
        let mut host = MemoryHost::default();
        let rows = rows.into_iter().map(|v| v.as_object().expect("rows are objects").clone()).collect();
        host.tables.insert(name.to_string(), rows);
        host
    }

    /// Number of `read_page` calls so far.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }

    fn table(&self, name: &str) -> Result<&Vec<Row>, HostError> {
        self.tables.get(name).ok_or_else(|| HostError::new(format!("no collection {name}")))
    }
}

pub fn compare_keys(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// The subset of Directus filters the core sends: `_and`, `_or`, `_eq`, `_gte`, `_gt`, `_null`, `_in`.
pub fn matches(filter: &Value, row: &Row) -> bool {
    let Some(object) = filter.as_object() else { return true };
    object.iter().all(|(key, condition)| match key.as_str() {
        "_and" => condition.as_array().is_some_and(|all| all.iter().all(|f| matches(f, row))),
        "_or" => condition.as_array().is_some_and(|any| any.iter().any(|f| matches(f, row))),
        field => {
            let value = row.get(field).unwrap_or(&Value::Null);
            condition.as_object().is_some_and(|ops| {
                ops.iter().all(|(op, operand)| match op.as_str() {
                    "_null" => value.is_null() == operand.as_bool().unwrap_or(true),
                    "_eq" => {
                        !value.is_null()
                            && crate::shared::rows::key_text(value) == crate::shared::rows::key_text(operand)
                    }
                    "_gte" => !value.is_null() && compare_keys(value, operand) != Ordering::Less,
                    "_gt" => !value.is_null() && compare_keys(value, operand) == Ordering::Greater,
                    "_in" => operand.as_array().is_some_and(|list| list.contains(value)),
                    other => panic!("filter operator {other} is not supported by MemoryHost"),
                })
            })
        }
    })
}

impl Host for MemoryHost {
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError> {
        self.calls.set(self.calls.get() + 1);
        self.raw_reads.set(self.raw_reads.get() + usize::from(request.raw));
        let key = |row: &Row| row.get(&request.primary_key).cloned().unwrap_or(Value::Null);
        let after = |row: &&Row| request.after.as_ref().is_none_or(|a| compare_keys(&key(row), a) == Ordering::Greater);
        let wanted = |row: &&Row| request.filter.as_ref().is_none_or(|f| matches(f, row));
        let pick = |row: &Row| -> Row {
            if request.fields.is_empty() {
                return row.clone();
            }
            request.fields.iter().filter_map(|f| row.get(f).map(|v| (f.clone(), v.clone()))).collect()
        };
        // Like the real host: scan the next `limit` keys, then keep the rows the filter matches.
        let mut scanned: Vec<&Row> = self.table(&request.collection)?.iter().filter(after).collect();
        scanned.sort_by(|a, b| compare_keys(&key(a), &key(b)));
        scanned.truncate(request.limit as usize);
        let last = scanned.last().map(|row| key(row));
        let rows: Vec<Row> = scanned.iter().copied().filter(wanted).map(pick).collect();
        self.reads.borrow_mut().push((request.collection.clone(), request.after.clone(), rows.len()));
        Ok(Page { rows, last, scanned: scanned.len() as u32 })
    }

    async fn count(&self, request: &CountRequest) -> Result<u64, HostError> {
        self.counts.borrow_mut().push(request.collection.clone());
        let rows = self.table(&request.collection)?;
        Ok(rows.iter().filter(|row| request.filter.as_ref().is_none_or(|f| matches(f, row))).count() as u64)
    }

    async fn schema_snapshot(&self) -> Result<Snapshot, HostError> {
        self.snapshots.set(self.snapshots.get() + 1);
        self.snapshot.clone().ok_or_else(|| HostError::new("no snapshot"))
    }

    async fn read_by_keys(&self, request: &KeysRequest) -> Result<Vec<Row>, HostError> {
        let rows = self.table(&request.collection)?;
        let pick = |row: &Row| -> Row {
            if request.fields.is_empty() {
                return row.clone();
            }
            request.fields.iter().filter_map(|f| row.get(f).map(|v| (f.clone(), v.clone()))).collect()
        };
        Ok(rows
            .iter()
            .filter(|r| r.get(&request.primary_key).is_some_and(|k| request.keys.contains(k)))
            .map(pick)
            .collect())
    }

    async fn table_columns(&self, collection: &str) -> Result<Option<Vec<String>>, HostError> {
        if let Some(columns) = self.columns.get(collection) {
            return Ok(Some(columns.clone()));
        }
        Ok(self.tables.get(collection).map(|rows| {
            let mut columns: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
            columns.sort();
            columns.dedup();
            columns
        }))
    }

    async fn file_digest(&self, file: &str) -> Result<FileDigest, HostError> {
        let bytes = self.file_bytes.get(file).ok_or_else(|| HostError::new(format!("ENOENT: no file {file}")))?;
        Ok(sha256(bytes))
    }
}

/// The digest of `bytes`, as the host computes it while streaming.
pub fn sha256(bytes: &[u8]) -> FileDigest {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(bytes);
    FileDigest { sha256: hash.iter().map(|b| format!("{b:02x}")).collect(), bytes: bytes.len() as u64 }
}

impl DownloadDigester for MemoryHost {
    async fn digest_download(&self, download: &StreamedDownload, token: &str) -> Result<HttpResponse, TransportError> {
        self.downloads.borrow_mut().push((download.clone(), token.to_string()));
        match &self.downloader {
            Some(answer) => answer(download),
            None => Err(TransportError::Network("no downloader".into())),
        }
    }
}

impl FileStreamer for MemoryHost {
    async fn stream_file(&self, upload: &StreamedUpload, token: &str) -> Result<HttpResponse, StreamError> {
        self.uploads.borrow_mut().push((upload.clone(), token.to_string()));
        match &self.uploader {
            Some(answer) => answer(upload),
            None => Err(StreamError::Source { code: None, message: "no uploader".into() }),
        }
    }
}

impl Library for MemoryHost {
    async fn find_folder(&self, folder: &FolderRequest) -> Result<Option<String>, HostError> {
        let library = self.library.borrow();
        Ok(library
            .folders
            .iter()
            .find(|(_, n, p)| *n == folder.name && *p == folder.parent)
            .map(|(id, _, _)| id.clone()))
    }

    async fn create_folder(&self, folder: &FolderRequest) -> Result<String, HostError> {
        if let Some(message) = &self.folders_refused {
            return Err(HostError::new(message.clone()));
        }
        let mut library = self.library.borrow_mut();
        let id = library.next_id("folder");
        library.folders.push((id.clone(), folder.name.clone(), folder.parent.clone()));
        Ok(id)
    }

    async fn open_file(&self, file: &NewFile) -> Result<u32, HostError> {
        let mut library = self.library.borrow_mut();
        library.next += 1;
        let handle = library.next;
        library.open.insert(handle, (file.clone(), String::new(), 0));
        Ok(handle)
    }

    async fn append_file(&self, handle: u32, text: &str) -> Result<(), HostError> {
        if let Some(message) = &self.storage_refuses {
            return Err(HostError::new(message.clone()));
        }
        let mut library = self.library.borrow_mut();
        let (_, content, appends) =
            library.open.get_mut(&handle).ok_or_else(|| HostError::new(format!("no open file {handle}")))?;
        content.push_str(text);
        *appends += 1;
        Ok(())
    }

    async fn close_file(&self, handle: u32) -> Result<String, HostError> {
        let mut library = self.library.borrow_mut();
        let (file, text, appends) =
            library.open.remove(&handle).ok_or_else(|| HostError::new(format!("no open file {handle}")))?;
        if let Some(message) = &self.storage_refuses {
            return Err(HostError::new(message.clone()));
        }
        let id = library.next_id("file");
        library.saved.push(SavedFile { id: id.clone(), file, text, appends });
        Ok(id)
    }
}

impl Emit for MemoryHost {
    fn emit(&self, event: &Event) {
        self.events.borrow_mut().push(event.clone());
        if let Some(hook) = &self.on_emit {
            hook(event);
        }
    }
}
