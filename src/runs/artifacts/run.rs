//! The artifacts of a run or a dry run: a folder `Migration <start>` (`… (dry run)`) holding
//! `schema_<ts>.json` (the selection's schema as sent to the destination), `items_full_data_<ts>.json`
//! (`{"articles":[…rows…],"authors":[…]}`, the regular tables' rows as read), `items_singleton_<ts>.json`
//! (`{"site_settings":{…}}`), `files_<ts>.json` (`[{id, filename_download, type, filesize,
//! folder}]` of the files the rows reference) and, once the run is over, `report_<ts>.json`
//! ([`super::save_report`]). The three data files are open for the whole run and grow page by
//! page. A run that moves Directus' users (excludedTables mode) also saves `users_<ts>.json`, the
//! users as read, without any secret; Directus' other collections are not written to artifacts.

use std::cell::RefCell;
use std::collections::HashSet;

use futures::lock::Mutex;
use serde_json::Value;

use super::folder::Folder;
use super::stamp;
use super::stream::Streamed;
use crate::host::{Host, KeysRequest};
use crate::pipeline::plan::TablePlan;
use crate::pipeline::schema::{is_system, Snapshot};
use crate::pipeline::system;
use crate::runs::report::ArtifactsReport;
use crate::shared::rows::{key_text, pick, Row};
use crate::shared::runtime::Clock;

/// What every run saves, by base name (the report last).
const PLANNED: [&str; 5] = ["schema", "items_full_data", "items_singleton", "files", "report"];

/// What a run that moves Directus' users saves too.
const USERS: &str = "users";

/// The file metadata `files_<ts>.json` holds.
const FILE_FIELDS: [&str; 5] = ["id", "filename_download", "type", "filesize", "folder"];

/// File ids read per lookup of their metadata.
const FILE_LOOKUP: usize = 500;

pub struct RunArtifacts<'a, H, C> {
    pub(super) host: &'a H,
    writing: Mutex<Option<Writing<'a, H, C>>>,
    /// The report when nothing is being written (skipped, no folder, finished).
    settled: RefCell<Option<ArtifactsReport>>,
    /// The table being read.
    table: RefCell<Option<TableTap>>,
}

struct Writing<'a, H, C> {
    folder: Folder<'a, H, C>,
    items: Sections<'a, H>,
    singletons: Sections<'a, H>,
    files: Listing<'a, H>,
    /// Directus' users, when the run moves them.
    users: Option<Listing<'a, H>>,
    /// Files whose metadata is written (ids only: the run's files, each once).
    seen_files: HashSet<String>,
}

/// Where a table's rows go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A section of `items_full_data`.
    Items,
    /// A section of `items_singleton`.
    Singleton,
    /// `users_<ts>.json`.
    Users,
    /// Nowhere: Directus' other collections.
    Skipped,
}

/// What the artifacts need to know of the table being read.
#[derive(Clone)]
struct TableTap {
    collection: String,
    kind: Kind,
    /// Hashed and concealed fields: never in an artifact.
    hidden: Vec<String>,
    /// Fields that hold a file's id.
    file_fields: Vec<String>,
}

impl<'a, H: Host, C: Clock> RunArtifacts<'a, H, C> {
    /// Make the run's folder in `storage` and open its files; `None`: none are wanted. `schema`
    /// is the snapshot of the selection, as sent to the destination.
    pub async fn start(
        host: &'a H,
        clock: &'a C,
        storage: Option<&str>,
        dry_run: bool,
        schema: &Snapshot,
        with_users: bool,
    ) -> Self {
        let artifacts = |writing, settled| RunArtifacts {
            host,
            writing: Mutex::new(writing),
            settled: RefCell::new(settled),
            table: RefCell::new(None),
        };
        let Some(storage) = storage else {
            return artifacts(None, Some(ArtifactsReport::skipped("scope.artifacts is false")));
        };
        let name = format!("Migration {}{}", stamp(clock.now_ms()), if dry_run { " (dry run)" } else { "" });
        let mut planned = PLANNED.to_vec();
        if with_users {
            planned.insert(4, USERS);
        }
        let mut folder = match Folder::create(host, clock, storage, &name, &planned).await {
            Ok(folder) => folder,
            Err(report) => return artifacts(None, Some(report)),
        };
        folder.save("schema", schema).await;
        let items = Sections::open(folder.open("items_full_data").await).await;
        let singletons = Sections::open(folder.open("items_singleton").await).await;
        let files = Listing::open(folder.open("files").await).await;
        let users = match with_users {
            true => Some(Listing::open(folder.open(USERS).await).await),
            false => None,
        };
        let writing = Writing { folder, items, singletons, files, users, seen_files: HashSet::new() };
        artifacts(Some(writing), None)
    }

    /// `table` is about to be read: its rows go in a section of their own.
    pub async fn begin_table(&self, table: &TablePlan) {
        let kind = match table.collection.as_str() {
            "directus_users" => Kind::Users,
            name if is_system(name) => Kind::Skipped,
            _ if table.singleton => Kind::Singleton,
            _ => Kind::Items,
        };
        let mut hidden: Vec<String> = table.excluded.iter().map(|(field, _)| field.clone()).collect();
        if let Some(system) = system::entry(&table.collection) {
            hidden.extend(system.never.iter().map(|(field, _)| field.to_string()));
        }
        let file_fields = match kind {
            Kind::Items | Kind::Singleton => table.file_references().iter().map(|r| r.field.clone()).collect(),
            _ => Vec::new(),
        };
        let tap = TableTap { collection: table.collection.clone(), kind, hidden, file_fields };
        let mut writing = self.writing.lock().await;
        if let (Some(writing), Kind::Items | Kind::Singleton) = (writing.as_mut(), kind) {
            let sections = if kind == Kind::Singleton { &mut writing.singletons } else { &mut writing.items };
            sections.begin(&tap.collection, kind == Kind::Items).await;
        }
        *self.table.borrow_mut() = Some(tap);
    }

    /// A page of `collection` was read: its rows, then the metadata of the files they reference
    /// that are not written yet.
    pub async fn page(&self, collection: &str, rows: &[Row]) {
        let Some(tap) = self.table.borrow().clone().filter(|t| t.collection == collection) else { return };
        let mut writing = self.writing.lock().await;
        let Some(writing) = writing.as_mut() else { return };
        match tap.kind {
            Kind::Items => writing.items.rows(rows, &tap.hidden).await,
            Kind::Singleton => writing.singletons.rows(rows, &tap.hidden).await,
            Kind::Users => {
                if let Some(users) = writing.users.as_mut() {
                    let rows: Vec<Row> = rows.iter().map(|r| without(r, &tap.hidden)).collect();
                    users.push(&rows).await;
                }
                return;
            }
            Kind::Skipped => return,
        }

        let mut ids = Vec::new();
        for row in rows {
            for field in &tap.file_fields {
                match row.get(field) {
                    Some(id) if !id.is_null() && writing.seen_files.insert(key_text(id)) => ids.push(id.clone()),
                    _ => {}
                }
            }
        }
        for keys in ids.chunks(FILE_LOOKUP) {
            let request = KeysRequest {
                collection: "directus_files".into(),
                primary_key: "id".into(),
                keys: keys.to_vec(),
                fields: FILE_FIELDS.iter().map(|f| f.to_string()).collect(),
                raw: false,
            };
            match self.host.read_by_keys(&request).await {
                Ok(files) => {
                    let files: Vec<Row> = files.iter().map(|f| pick(f, FILE_FIELDS)).collect();
                    writing.files.push(&files).await;
                }
                Err(error) => writing.files.stream.fail(format!("the files' metadata could not be read: {error}")),
            }
        }
    }

    /// The table's rows are all read.
    pub async fn end_table(&self) {
        let Some(tap) = self.table.borrow_mut().take() else { return };
        if let Some(writing) = self.writing.lock().await.as_mut() {
            match tap.kind {
                Kind::Items => writing.items.end().await,
                Kind::Singleton => writing.singletons.end().await,
                Kind::Users | Kind::Skipped => {}
            }
        }
    }

    /// Close every file: what was saved and what is missing. Later pages are not written.
    pub async fn finish(&self) -> ArtifactsReport {
        let writing = self.writing.lock().await.take();
        let Some(Writing { mut folder, items, singletons, files, users, .. }) = writing else {
            return self.settled.borrow().clone().unwrap_or_default();
        };
        folder.close(items.close().await).await;
        folder.close(singletons.close().await).await;
        folder.close(files.close().await).await;
        if let Some(users) = users {
            folder.close(users.close().await).await;
        }
        let report = folder.finish();
        *self.settled.borrow_mut() = Some(report.clone());
        report
    }
}

/// A JSON object of sections written one after the other: `{"a":[…],"b":{…}}`. A list section
/// grows page by page; a value section holds the first row it gets (`null` without one).
struct Sections<'a, H> {
    stream: Streamed<'a, H>,
    count: usize,
    open: Option<Section>,
}

enum Section {
    /// Rows written so far.
    List(usize),
    /// Whether the value is written.
    Value(bool),
}

impl<'a, H: Host> Sections<'a, H> {
    async fn open(mut stream: Streamed<'a, H>) -> Self {
        stream.write("{").await;
        Sections { stream, count: 0, open: None }
    }

    async fn begin(&mut self, key: &str, list: bool) {
        self.end().await;
        let separator = if self.count == 0 { "" } else { "," };
        let opening = if list { "[" } else { "" };
        self.stream.write(&format!("{separator}{}:{opening}", Value::from(key))).await;
        self.count += 1;
        self.open = Some(if list { Section::List(0) } else { Section::Value(false) });
    }

    async fn rows(&mut self, rows: &[Row], hidden: &[String]) {
        let Sections { stream, open, .. } = self;
        match open {
            Some(Section::List(written)) if !rows.is_empty() => {
                let mut text = String::new();
                for row in rows {
                    if *written > 0 || !text.is_empty() {
                        text.push(',');
                    }
                    push_row(&mut text, row, hidden);
                }
                *written += rows.len();
                stream.write(&text).await;
            }
            Some(Section::Value(written @ false)) => {
                if let Some(row) = rows.first() {
                    let mut text = String::new();
                    push_row(&mut text, row, hidden);
                    *written = true;
                    stream.write(&text).await;
                }
            }
            _ => {}
        }
    }

    async fn end(&mut self) {
        match self.open.take() {
            Some(Section::List(_)) => self.stream.write("]").await,
            Some(Section::Value(false)) => self.stream.write("null").await,
            _ => {}
        }
    }

    async fn close(mut self) -> Streamed<'a, H> {
        self.end().await;
        self.stream.write("}").await;
        self.stream
    }
}

/// A JSON array written a few items at a time.
struct Listing<'a, H> {
    stream: Streamed<'a, H>,
    count: usize,
}

impl<'a, H: Host> Listing<'a, H> {
    async fn open(mut stream: Streamed<'a, H>) -> Self {
        stream.write("[").await;
        Listing { stream, count: 0 }
    }

    async fn push(&mut self, items: &[Row]) {
        if items.is_empty() {
            return;
        }
        let mut text = String::new();
        for item in items {
            if self.count > 0 || !text.is_empty() {
                text.push(',');
            }
            push_row(&mut text, item, &[]);
        }
        self.count += items.len();
        self.stream.write(&text).await;
    }

    async fn close(mut self) -> Streamed<'a, H> {
        self.stream.write("]").await;
        self.stream
    }
}

/// `row` without its `hidden` fields.
fn without(row: &Row, hidden: &[String]) -> Row {
    row.iter().filter(|(field, _)| !hidden.contains(field)).map(|(f, v)| (f.clone(), v.clone())).collect()
}

/// `row` as JSON without its `hidden` fields, appended to `text` (serialized at once, not
/// formatted value by value).
fn push_row(text: &mut String, row: &Row, hidden: &[String]) {
    if let Ok(json) = serde_json::to_string(&Visible { row, hidden }) {
        text.push_str(&json);
    }
}

/// A row's fields but the hidden ones, serialized as a JSON object.
struct Visible<'r> {
    row: &'r Row,
    hidden: &'r [String],
}

impl serde::Serialize for Visible<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (field, value) in self.row.iter().filter(|(field, _)| !self.hidden.contains(field)) {
            map.serialize_entry(field, value)?;
        }
        map.end()
    }
}
