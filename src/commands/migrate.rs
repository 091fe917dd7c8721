//! `POST /migration/dry-run` and `POST /migration/run`: move the rows of the selected user tables.
//!
//! Validation, the plan and the schema guard come first, before any progress event, so a refusal
//! is a plain HTTP error. Once rows move, a failure stops the run and is reported in the final
//! report (`status: "failed"`) with everything done so far.

use std::collections::{BTreeMap, BTreeSet};

use super::request::MigrationRequest;
use super::schema_guard::ensure_schema_matches;
use crate::data::{changed_since, complete, migrate_table, parse_instant, Delivery, KnownKeys, Settings};
use crate::destination::{Destination, Transport};
use crate::files::{FileMover, FileSettings};
use crate::host::{CountRequest, Host};
use crate::plan::{self, Plan};
use crate::progress::Event;
use crate::receive::WIRE_VERSION;
use crate::report::RunReport;
use crate::runtime::Clock;
use crate::schema::{user_tables, validate_names, Snapshot};
use crate::CoreError;

pub const DEFAULT_BATCH_SIZE: u32 = 500;
pub const DEFAULT_CONCURRENCY: u32 = 4;
pub const DEFAULT_FILE_CONCURRENCY: u32 = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct MigrateOptions {
    pub dry_run: bool,
    pub force: bool,
    pub selected: Option<Vec<String>>,
    pub excluded: Option<Vec<String>>,
    pub updated_after: Option<String>,
    pub batch_size: u32,
    pub concurrency: u32,
    pub file_concurrency: u32,
    pub preserve_created: bool,
    pub transport: TransportChoice,
}

/// `scope.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportChoice {
    Rest,
    Bulk,
    /// Bulk when the destination has a compatible receiver and the same database vendor.
    Auto,
}

impl MigrateOptions {
    pub fn from_request(request: &MigrationRequest, dry_run: bool) -> Result<Self, CoreError> {
        let scope = &request.scope;
        let batch_size = scope.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
        if !(1..=5_000).contains(&batch_size) {
            return Err(CoreError::InvalidInput(format!(
                "scope.batchSize must be between 1 and 5000, not {batch_size}"
            )));
        }
        let concurrency = scope.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=16).contains(&concurrency) {
            return Err(CoreError::InvalidInput(format!(
                "scope.concurrency must be between 1 and 16, not {concurrency}"
            )));
        }
        let file_concurrency = scope.file_concurrency.unwrap_or(DEFAULT_FILE_CONCURRENCY);
        if !(1..=8).contains(&file_concurrency) {
            return Err(CoreError::InvalidInput(format!(
                "scope.fileConcurrency must be between 1 and 8, not {file_concurrency}"
            )));
        }
        let transport = match scope.transport.as_deref().unwrap_or("auto") {
            "rest" => TransportChoice::Rest,
            "bulk" => TransportChoice::Bulk,
            "auto" => TransportChoice::Auto,
            other => {
                return Err(CoreError::InvalidInput(format!(
                    "scope.transport must be rest, bulk or auto, not {other:?}"
                )))
            }
        };
        Ok(MigrateOptions {
            dry_run,
            force: scope.force,
            selected: scope.selected_tables.clone(),
            excluded: scope.excluded_tables.clone(),
            updated_after: scope.updated_after.clone(),
            batch_size,
            concurrency,
            file_concurrency,
            preserve_created: scope.preserve_created.unwrap_or(true),
            transport,
        })
    }
}

/// The user tables a request asks for.
fn selection(snapshot: &Snapshot, options: &MigrateOptions) -> Result<BTreeSet<String>, CoreError> {
    match (&options.excluded, &options.selected) {
        (Some(excluded), _) => {
            let excluded = validate_names(snapshot, excluded, "scope.excludedTables")?;
            let rest: BTreeSet<String> =
                user_tables(snapshot).filter(|t| !excluded.contains(*t)).map(String::from).collect();
            if rest.is_empty() {
                return Err(CoreError::InvalidInput("scope.excludedTables leaves no user table to migrate".into()));
            }
            Ok(rest)
        }
        (None, Some(selected)) if selected.is_empty() => {
            Err(CoreError::InvalidInput("scope.selectedTables is empty: name at least one collection".into()))
        }
        (None, Some(selected)) => validate_names(snapshot, selected, "scope.selectedTables"),
        (None, None) => Err(CoreError::InvalidInput(
            "scope.selectedTables is required (or scope.excludedTables, to migrate every other user table)".into(),
        )),
    }
}

/// Validate, plan (with row counts under the `updatedAfter` filter), guard the schema and choose
/// the transport.
async fn prepare<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<(Plan, BTreeMap<String, Option<serde_json::Value>>, (Delivery, String)), CoreError> {
    let snapshot = host.schema_snapshot().await?;
    let selected = selection(&snapshot, options)?;
    let instant = options.updated_after.as_deref().map(parse_instant).transpose()?;

    let draft = plan::build(&snapshot, &selected, &BTreeMap::new(), instant.is_some())?;
    let mut filters = BTreeMap::new();
    let mut rows = BTreeMap::new();
    for table in &draft.tables {
        let filter = instant
            .as_deref()
            .and_then(|at| changed_since(table.date_updated.as_deref(), table.date_created.as_deref(), at));
        let count = host.count(&CountRequest { collection: table.collection.clone(), filter: filter.clone() }).await?;
        rows.insert(table.collection.clone(), count);
        filters.insert(table.collection.clone(), filter);
    }
    let plan = plan::build(&snapshot, &selected, &rows, instant.is_some())?;

    let collections: BTreeSet<String> = plan.tables.iter().map(|t| t.collection.clone()).collect();
    ensure_schema_matches(&snapshot, destination, &collections, options.force).await?;
    let delivery = choose_delivery(destination, snapshot.vendor.as_deref(), options.transport).await?;
    Ok((plan, filters, delivery))
}

/// Database vendors whose tables the bulk receiver writes (keys and sequences included).
const BULK_VENDORS: [&str; 4] = ["sqlite", "postgres", "mysql", "cockroachdb"];

/// REST or bulk, and why.
async fn choose_delivery<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    vendor: Option<&str>,
    choice: TransportChoice,
) -> Result<(Delivery, String), CoreError> {
    if choice == TransportChoice::Rest {
        return Ok((Delivery::Rest, "REST API (asked for)".into()));
    }
    let receiver = destination.receiver_info().await?;
    let unusable = match &receiver {
        None => Some("the destination has no bulk receiver (install this extension there too)".to_string()),
        Some(info) if info.wire != WIRE_VERSION => {
            Some(format!("its receiver speaks wire format {}, this one {WIRE_VERSION}", info.wire))
        }
        Some(info) if info.vendor.as_deref() != vendor => Some(format!(
            "its database is {}, the source's {}",
            info.vendor.as_deref().unwrap_or("unknown"),
            vendor.unwrap_or("unknown")
        )),
        // Explicit keys into identity columns need vendor care the receiver does not have yet.
        Some(info) if !BULK_VENDORS.contains(&info.vendor.as_deref().unwrap_or_default()) => Some(format!(
            "bulk copies are not supported on {} databases yet",
            info.vendor.as_deref().unwrap_or("unknown")
        )),
        Some(_) => None,
    };
    match (unusable, choice) {
        (None, _) => {
            let version = receiver.map(|r| r.version).unwrap_or_default();
            Ok((
                Delivery::Bulk,
                format!("bulk receiver {version} (wire {WIRE_VERSION}), rows in the database's representation"),
            ))
        }
        (Some(why), TransportChoice::Bulk) => Err(CoreError::Conflict(format!("scope.transport is bulk, but {why}"))),
        (Some(why), _) => Ok((Delivery::Rest, format!("REST API: {why}"))),
    }
}

pub async fn migrate<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<RunReport, CoreError> {
    let started = destination.clock().now_ms();
    let (plan, mut filters, (delivery, why)) = prepare(host, destination, options).await?;

    let what = if options.dry_run { "Dry run: migrating" } else { "Migrating" };
    let total: u64 = plan.tables.iter().map(|t| t.rows).sum();
    host.emit(&Event::step(format!(
        "{what} {} collection(s), {total} row(s), to {} (batches of {}, {} in flight)",
        plan.tables.len(),
        destination.base_url(),
        options.batch_size,
        options.concurrency
    )));
    host.emit(&Event::step(format!("Transport: {why}")));
    for note in &plan.notes {
        host.emit(&Event::step(format!("Note: {note}")));
    }

    let settings = Settings {
        batch_size: options.batch_size,
        concurrency: options.concurrency as usize,
        dry_run: options.dry_run,
        preserve_created: options.preserve_created,
        delivery,
    };
    let mut report = RunReport::new(options.dry_run, plan.notes.clone());
    let known = KnownKeys::default();
    let file_settings = FileSettings { concurrency: options.file_concurrency as usize, dry_run: options.dry_run };
    let files = FileMover::new(host, destination, &known, file_settings);
    let outcome: Result<(), CoreError> = async {
        let mut second_pass = Vec::new();
        for table in &plan.tables {
            host.emit(&Event::step(format!("{}: {} row(s) to read", table.collection, table.rows)));
            let filter = filters.remove(&table.collection).flatten();
            let (outcome, stopped) =
                migrate_table(host, destination, table, filter, &settings, &known, Some(&files)).await;
            report.tables.push(outcome.report);
            outcome.failures.into_iter().for_each(|f| report.record_failure(f));
            report.warnings.extend(outcome.warnings);
            if !outcome.pending.is_empty() {
                second_pass.push((report.tables.len() - 1, table, outcome.pending));
            }
            if let Some(error) = stopped {
                return Err(error);
            }
        }
        for (index, table, pending) in second_pass {
            host.emit(&Event::step(format!(
                "{}: setting {} on {} row(s) created in this run",
                table.collection,
                table.deferred_fields().join(", "),
                pending.len()
            )));
            let (completed, failures) =
                complete(destination, table, pending, options.batch_size, options.updated_after.is_some(), delivery)
                    .await?;
            report.tables[index].second_pass = completed;
            report.tables[index].failed += failures.len() as u64;
            for failure in failures {
                host.emit(&Event::RowFailed {
                    collection: failure.collection.clone(),
                    key: failure.key.clone(),
                    message: failure.message.clone(),
                });
                report.record_failure(failure);
            }
        }
        Ok(())
    }
    .await;

    // Rows written around Directus' services: its caches must not hide them.
    if delivery == Delivery::Bulk && !options.dry_run {
        if let Err(error) = destination.clear_cache().await {
            report.warnings.push(format!("the destination's cache could not be cleared: {error}"));
        }
    }
    report.transport = delivery;
    let (files, failures, warnings) = files.finish();
    report.files = files;
    failures.into_iter().for_each(|f| report.record_failure(f));
    report.warnings.extend(warnings);

    host.emit(&Event::step("Summary:"));
    for table in &report.tables {
        host.emit(&Event::step(format!("  {}", table.line(options.dry_run))));
    }
    report.files.finish();
    if report.files.referenced > 0 {
        host.emit(&Event::step(format!("  {}", report.files.line(options.dry_run))));
    }
    report.finish((destination.clock().now_ms() - started) / 1000.0, outcome.err().map(|e| e.to_string()));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::{json, Value};

    use super::*;
    use std::rc::Rc;

    use crate::destination::{DestinationConfig, HttpResponse};
    use crate::host::memory::MemoryHost;
    use crate::host::{FileUpload, UploadError};
    use crate::report::RunStatus;
    use crate::runtime::fake::FakeClock;
    use crate::schema::fixtures::publishing;
    use crate::testing::fake_directus::FakeDirectus;

    fn table(rows: Value) -> Vec<crate::host::Row> {
        rows.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect()
    }

    /// The publishing sample: a tree whose children come before their parents, the authors ↔
    /// articles cycle, junctions, a singleton, a `user_created` user only the source has, and files
    /// (a cover image in a nested folder, attachments, one file nothing references).
    fn source() -> MemoryHost {
        let mut host = MemoryHost::with_snapshot(publishing());
        let mut t = |name: &str, rows: Value| {
            host.tables.insert(name.into(), table(rows));
        };
        t("languages", json!([{ "code": "en-US", "name": "English" }, { "code": "ja-JP", "name": "日本語" }]));
        t(
            "authors",
            json!([
                { "id": "a1", "name": "Ada", "favorite_article": 3, "user_created": "u-shared" },
                { "id": "a2", "name": "Grace", "favorite_article": null, "user_created": "u-source-only" }
            ]),
        );
        t(
            "categories",
            json!([
                { "id": 1, "parent": 5 }, { "id": 2, "parent": 1 }, { "id": 3, "parent": 1 }, { "id": 4, "parent": 2 }, { "id": 5, "parent": null }
            ]),
        );
        t(
            "articles",
            json!([
                { "id": 1, "title": "One", "author": "a1", "category": 4, "cover": "f-photo", "date_created": "2020-01-01T00:00:00.000Z", "date_updated": null },
                { "id": 2, "title": "Two ✓", "author": "a2", "category": null, "cover": null, "date_created": "2021-06-01T00:00:00.000Z", "date_updated": "2026-02-01T00:00:00.000Z" },
                { "id": 3, "title": "Three", "author": null, "category": 1, "cover": null, "date_created": "2026-03-01T00:00:00.000Z", "date_updated": null },
                { "id": 4, "title": "Four", "author": "a1", "category": 5, "cover": "f-photo", "date_created": "2019-01-01T00:00:00.000Z", "date_updated": "2019-02-01T00:00:00.000Z" },
                { "id": 5, "title": "Five", "author": "a2", "category": 2, "cover": "f-big", "date_created": "2018-01-01T00:00:00.000Z", "date_updated": null }
            ]),
        );
        t("articles_files", json!([{ "id": 1, "articles_id": 2, "directus_files_id": "f-doc" }]));
        t("tags", json!([{ "id": 1, "name": "rust" }, { "id": 2, "name": "wasm" }]));
        t(
            "articles_tags",
            json!([{ "id": 1, "articles_id": 1, "tags_id": 2 }, { "id": 2, "articles_id": 5, "tags_id": 1 }]),
        );
        t("articles_translations", json!([{ "id": 1, "articles_id": 2, "languages_code": "ja-JP" }]));
        t("site_settings", json!([{ "id": 1, "default_language": "ja-JP" }]));
        let file = |id: &str, name: &str, size: u64, folder: Option<&str>, uploader: &str| {
            json!({ "id": id, "filename_download": name, "title": name, "type": "image/png", "filesize": size, "folder": folder,
                    "storage": "local", "filename_disk": format!("{id}.png"), "uploaded_by": uploader, "uploaded_on": "2024-05-01T10:00:00.000Z",
                    "width": 640, "height": 480, "tags": ["a", "b"], "focal_point_x": 10, "modified_on": "2025-01-01T00:00:00.000Z" })
        };
        t(
            "directus_files",
            json!([
                file("f-photo", "photo.png", 6_948, Some("fo-child"), "u-shared"),
                file("f-doc", "doc.pdf", 17, None, "u-source-only"),
                file("f-big", "big.bin", 52_428_800, Some("fo-root"), "u-shared"),
                file("f-unused", "unused.png", 100, None, "u-shared"),
                file("f-bad-size", "short.png", 100, None, "u-shared"),
                file("f-unreadable", "lost.png", 100, None, "u-shared")
            ]),
        );
        t(
            "directus_folders",
            json!([
                { "id": "fo-root", "name": "Media", "parent": null },
                { "id": "fo-child", "name": "Photos", "parent": "fo-root" }
            ]),
        );
        host
    }

    fn destination() -> FakeDirectus {
        let fake = FakeDirectus::new(&[
            ("languages", "code"),
            ("authors", "id"),
            ("categories", "id"),
            ("articles", "id"),
            ("articles_files", "id"),
            ("tags", "id"),
            ("articles_tags", "id"),
            ("articles_translations", "id"),
            ("site_settings", "id"),
            ("directus_users", "id"),
            ("directus_files", "id"),
            ("directus_folders", "id"),
        ])
        .singleton("site_settings")
        .foreign_key("articles", "author", "authors")
        .foreign_key("articles", "category", "categories")
        .foreign_key("articles", "cover", "directus_files")
        .foreign_key("articles_files", "articles_id", "articles")
        .foreign_key("articles_files", "directus_files_id", "directus_files")
        .foreign_key("authors", "favorite_article", "articles")
        .foreign_key("authors", "user_created", "directus_users")
        .foreign_key("categories", "parent", "categories")
        .foreign_key("articles_tags", "articles_id", "articles")
        .foreign_key("articles_tags", "tags_id", "tags")
        .foreign_key("articles_translations", "articles_id", "articles")
        .foreign_key("articles_translations", "languages_code", "languages")
        .foreign_key("site_settings", "default_language", "languages")
        .foreign_key("directus_files", "folder", "directus_folders")
        .foreign_key("directus_files", "uploaded_by", "directus_users")
        .foreign_key("directus_folders", "parent", "directus_folders")
        .rule(|collection, row| {
            (collection == "articles" && row.get("title") == Some(&json!("bad")))
                .then(|| "Title may not be \"bad\".".to_string())
        });
        fake.insert("directus_users", json!([{ "id": "u-shared" }, { "id": "migrating-admin" }]));
        fake
    }

    /// A source and destination wired so that file uploads land in the destination: the source
    /// "streams" a file by inserting its row; `f-bad-size` is stored one byte short, `f-unreadable`
    /// cannot be read.
    fn pair() -> (MemoryHost, Rc<FakeDirectus>) {
        pair_with(destination())
    }

    fn pair_with(fake: FakeDirectus) -> (MemoryHost, Rc<FakeDirectus>) {
        let mut host = source();
        let fake = Rc::new(fake);
        let sink = Rc::clone(&fake);
        let sizes: BTreeMap<String, u64> = host.tables["directus_files"]
            .iter()
            .map(|f| (f["id"].as_str().unwrap().to_string(), f["filesize"].as_u64().unwrap()))
            .collect();
        host.uploader = Some(Box::new(move |upload: &FileUpload| {
            if upload.file == "f-unreadable" {
                return Err(UploadError::Source(crate::host::HostError::new("ENOENT: no such file or directory")));
            }
            let stored = sizes.get(&upload.file).copied().unwrap_or(0) - u64::from(upload.file == "f-bad-size");
            sink.insert(
                "directus_files",
                json!([{ "id": upload.file, "filesize": stored, "title": "Directus's own title" }]),
            );
            Ok(HttpResponse {
                status: 200,
                retry_after: None,
                body: json!({ "data": { "id": upload.file, "filesize": stored } }).to_string(),
            })
        }));
        (host, fake)
    }

    fn options(scope: Value) -> MigrateOptions {
        let request = MigrationRequest::parse(
            &json!({ "baseURL": "https://dest.example", "token": "t", "scope": scope }).to_string(),
        )
        .unwrap();
        MigrateOptions::from_request(&request, false).unwrap()
    }

    fn run(host: &MemoryHost, fake: &Rc<FakeDirectus>, options: &MigrateOptions) -> Result<RunReport, CoreError> {
        let clock = FakeClock::default();
        let destination =
            Destination::new(DestinationConfig::new("https://dest.example", "t"), &**fake, &clock).unwrap();
        block_on(migrate(host, &destination, options))
    }

    fn without(rows: Vec<crate::host::Row>, fields: &[&str]) -> Vec<crate::host::Row> {
        rows.into_iter()
            .map(|mut r| {
                fields.iter().for_each(|f| {
                    r.remove(*f);
                });
                r
            })
            .collect()
    }

    #[test]
    fn moves_every_table_exactly_in_an_order_the_destination_accepts() {
        let (host, fake) = pair();
        let report = run(&host, &fake, &options(json!({ "excludedTables": [], "batchSize": 2 }))).unwrap();
        assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);
        for name in ["languages", "categories", "tags", "articles_tags", "articles_translations", "site_settings"] {
            assert_eq!(fake.rows(name), host.tables[name], "{name}");
        }
        // Created dates are written back after the insert; Directus then stamps date_updated.
        assert_eq!(
            without(fake.rows("articles"), &["date_updated"]),
            without(host.tables["articles"].clone(), &["date_updated"])
        );
        let authors = fake.rows("authors");
        assert_eq!(authors[0]["favorite_article"], json!(3), "set in the second pass");
        assert_eq!(authors[0]["user_created"], json!("u-shared"), "a user the destination has is kept");
        assert_eq!(authors[1]["user_created"], Value::Null, "a user only the source has is nulled");

        let by_name = |n: &str| report.tables.iter().find(|t| t.collection == n).unwrap().clone();
        assert_eq!((by_name("articles").read, by_name("articles").created), (5, 5));
        assert_eq!(by_name("authors").references_nulled, 1);
        assert_eq!(by_name("categories").second_pass, 4);
        assert_eq!(by_name("authors").second_pass, 1);
        assert!(report.notes.iter().any(|n| n.starts_with("categories.parent is set in a second pass")));
        let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
        assert!(lines.iter().any(|l| l == "Summary:"));
        assert!(lines.iter().any(|l| l.starts_with("articles: 2/5 rows read, 2 created")));
        assert!(report.message.starts_with("Migration completed in "));

        // A second run finds everything there: it reads and compares, and writes nothing.
        let writes_before = fake.writes().len();
        let again = run(&host, &fake, &options(json!({ "excludedTables": [] }))).unwrap();
        assert_eq!(again.status, RunStatus::Completed);
        assert!(again.tables.iter().all(|t| t.created == 0 && t.skipped == t.read), "{:?}", again.tables);
        assert_eq!(fake.writes().len(), writes_before);
    }

    #[test]
    fn created_fields_are_left_to_the_destination_when_asked() {
        let (host, fake) = pair();
        let report = run(&host, &fake, &options(json!({ "selectedTables": ["languages", "tags", "articles", "authors", "categories"], "preserveCreated": false }))).unwrap();
        assert_eq!(report.status, RunStatus::Completed);
        assert!(fake.rows("articles").iter().all(|a| a["date_created"] == json!("NOW")), "Directus' own stamp stays");
        assert!(!fake.writes().iter().any(|w| w == "PATCH /items/articles"), "no write-back");
    }

    #[test]
    fn a_dry_run_reads_and_compares_but_writes_nothing() {
        let (host, fake) = pair();
        fake.insert("tags", json!([{ "id": 1, "name": "already there" }]));
        let mut options = options(json!({ "selectedTables": ["tags", "languages"] }));
        options.dry_run = true;
        let report = run(&host, &fake, &options).unwrap();
        assert!(fake.writes().is_empty());
        let tags = report.tables.iter().find(|t| t.collection == "tags").unwrap();
        assert_eq!((tags.read, tags.created, tags.skipped), (2, 1, 1));
        assert!(report.message.starts_with("Dry run completed"));
        assert_eq!(fake.rows("tags")[0]["name"], json!("already there"));
    }

    #[test]
    fn existing_rows_are_never_overwritten() {
        let (host, fake) = pair();
        fake.insert("languages", json!([{ "code": "en-US", "name": "Destination's own English" }]));
        let report = run(&host, &fake, &options(json!({ "selectedTables": ["languages"] }))).unwrap();
        assert_eq!(report.tables[0].skipped, 1);
        assert_eq!(fake.rows("languages")[0]["name"], json!("Destination's own English"));
        assert_eq!(fake.rows("languages").len(), 2);
    }

    #[test]
    fn a_refused_row_is_reported_and_the_others_land() {
        let (mut host, fake) = pair();
        host.tables.get_mut("articles").unwrap()[2].insert("title".into(), json!("bad"));
        let report = run(
            &host,
            &fake,
            &options(json!({ "selectedTables": ["articles", "authors", "categories"], "batchSize": 5 })),
        )
        .unwrap();
        assert_eq!(report.status, RunStatus::CompletedWithErrors);
        assert_eq!(report.failure_count, 2, "{:?}", report.failures);
        assert_eq!(report.failures[0].collection, "articles");
        assert_eq!(report.failures[0].key, json!(3));
        assert_eq!(report.failures[0].message, "Title may not be \"bad\". (FAILED_VALIDATION)");
        assert_eq!(report.failures[1].collection, "authors", "a1's favorite article never arrived");
        assert!(report.failures[1].message.contains("favorite_article could not be set"));
        let ids: Vec<Value> = fake.rows("articles").iter().map(|r| r["id"].clone()).collect();
        assert_eq!(ids, vec![json!(1), json!(2), json!(4), json!(5)]);
        let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
        assert!(lines.iter().any(|l| l == "articles 3 failed: Title may not be \"bad\". (FAILED_VALIDATION)"));
    }

    #[test]
    fn updated_after_moves_only_recent_rows_and_checks_references() {
        let (host, fake) = pair();
        let report = run(
            &host,
            &fake,
            &options(json!({ "selectedTables": ["articles", "authors", "categories"], "updatedAfter": "2026-01-01" })),
        )
        .unwrap();
        let articles = report.tables.iter().find(|t| t.collection == "articles").unwrap();
        assert_eq!(articles.read, 2, "article 2 (updated 2026-02) and 3 (created 2026-03)");
        let ids: Vec<Value> = fake.rows("articles").iter().map(|r| r["id"].clone()).collect();
        assert_eq!(ids, vec![json!(2), json!(3)]);
        // Neither authors nor categories have date fields: all their rows move.
        assert_eq!(fake.rows("categories").len(), 5);
    }

    #[test]
    fn referenced_files_move_before_their_rows_with_their_folders_and_metadata() {
        let (host, fake) = pair();
        let report =
            run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
        assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);
        let mut uploaded: Vec<String> = host.uploads.borrow().iter().map(|u| u.file.clone()).collect();
        uploaded.sort();
        assert_eq!(uploaded, vec!["f-big", "f-doc", "f-photo"], "each referenced file once, the unused one never");

        let uploads = host.uploads.borrow();
        let photo = uploads.iter().find(|u| u.file == "f-photo").unwrap();
        assert!(photo.prefix.starts_with("------table-migration-"));
        assert!(photo.prefix.contains("name=\"id\"\r\n\r\nf-photo\r\n"));
        assert!(photo.prefix.contains("name=\"folder\"\r\n\r\nfo-child\r\n"));
        assert!(photo.prefix.ends_with("filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"));
        assert_eq!(photo.url, "https://dest.example/files?fields=id,filesize");
        assert!(photo.headers.contains(&("Authorization".to_string(), "Bearer t".to_string())));
        let big = uploads.iter().find(|u| u.file == "f-big").unwrap();
        assert!(big.timeout_ms > 120_000, "large files get more time");

        let folders = fake.rows("directus_folders");
        assert_eq!(
            folders,
            table(
                json!([{ "id": "fo-child", "name": "Photos", "parent": "fo-root" }, { "id": "fo-root", "name": "Media", "parent": null }])
            )
        );
        assert!(
            fake.log.borrow().iter().position(|l| l == "POST /folders")
                < fake.log.borrow().iter().position(|l| l == "PATCH /files")
        );

        let files = fake.rows("directus_files");
        let stored = files.iter().find(|f| f["id"] == "f-photo").unwrap();
        let original = host.tables["directus_files"].iter().find(|f| f["id"] == "f-photo").unwrap();
        for field in [
            "title",
            "tags",
            "width",
            "height",
            "focal_point_x",
            "uploaded_on",
            "uploaded_by",
            "folder",
            "filename_download",
        ] {
            assert_eq!(stored[field], original[field], "{field} is written back");
        }
        assert!(
            !stored.contains_key("storage") && !stored.contains_key("filename_disk"),
            "the destination keeps its own storage"
        );
        assert_eq!(
            files.iter().find(|f| f["id"] == "f-doc").unwrap()["uploaded_by"],
            Value::Null,
            "an uploader only the source has"
        );

        assert_eq!(
            (report.files.referenced, report.files.migrated, report.files.skipped, report.files.failed),
            (3, 3, 0, 0)
        );
        assert_eq!(report.files.bytes, 6_948 + 17 + 52_428_800);
        assert_eq!(report.files.folders_created, 2);
        assert!(report.message.contains("3 file(s) uploaded (52.4 MB)"), "{}", report.message);
        let covers: Vec<Value> = fake.rows("articles").iter().map(|a| a["cover"].clone()).collect();
        assert_eq!(covers, host.tables["articles"].iter().map(|a| a["cover"].clone()).collect::<Vec<_>>());

        drop(uploads);
        let again =
            run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
        assert_eq!(host.uploads.borrow().len(), 3, "a second run uploads nothing");
        assert_eq!(again.files.migrated, 0);
    }

    #[test]
    fn a_file_that_cannot_move_is_reported_and_its_references_are_nulled() {
        let (mut host, fake) = pair();
        let articles = host.tables.get_mut("articles").unwrap();
        articles[1].insert("cover".into(), json!("f-bad-size"));
        articles[2].insert("cover".into(), json!("f-unreadable"));
        let report =
            run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
        assert_eq!(report.status, RunStatus::CompletedWithErrors);
        let failures: Vec<(String, String)> =
            report.failures.iter().map(|f| (f.key.as_str().unwrap().to_string(), f.message.clone())).collect();
        assert!(
            failures.contains(&(
                "f-bad-size".into(),
                "size mismatch: the source has 100 bytes, the destination stored 99".into()
            )),
            "{failures:?}"
        );
        assert!(failures.contains(&(
            "f-unreadable".into(),
            "the source could not read the file: ENOENT: no such file or directory".into()
        )));
        assert_eq!(
            host.uploads.borrow().iter().filter(|u| u.file == "f-unreadable").count(),
            1,
            "a source failure is not retried"
        );
        let covers: Vec<Value> = fake.rows("articles").iter().map(|a| a["cover"].clone()).collect();
        assert_eq!(covers[2], Value::Null, "no row points at a file that did not arrive");
        assert_eq!(report.files.failed, 2);
    }

    #[test]
    fn a_dry_run_counts_the_files_and_bytes_it_would_move() {
        let (host, fake) = pair();
        let mut options = options(json!({ "selectedTables": ["articles", "authors", "categories"] }));
        options.dry_run = true;
        let report = run(&host, &fake, &options).unwrap();
        assert!(host.uploads.borrow().is_empty());
        assert!(fake.writes().is_empty());
        assert_eq!(
            (report.files.migrated, report.files.bytes, report.files.folders_created),
            (3, 6_948 + 17 + 52_428_800, 2)
        );
        assert_eq!(
            report.tables.iter().map(|t| t.references_nulled).sum::<u64>(),
            1,
            "only the user only the source has"
        );
    }

    /// A receiver database with the publishing tables, empty.
    fn receiving_store() -> crate::host::memory::MemoryStore {
        let snapshot = publishing();
        let mut store = crate::host::memory::MemoryStore::default();
        for name in crate::schema::user_tables(&snapshot) {
            let fields: Vec<_> = snapshot.fields.iter().filter(|f| f.collection == name && !f.is_alias()).collect();
            let key = fields.iter().find(|f| f.is_primary_key()).unwrap();
            store.shapes.insert(
                name.to_string(),
                crate::host::TableShape {
                    collection: name.to_string(),
                    primary_key: key.field.clone(),
                    columns: fields.iter().map(|f| f.field.clone()).collect(),
                    auto_increment: key.kind == "integer",
                    types: fields.iter().map(|f| (f.field.clone(), f.kind.clone())).collect(),
                },
            );
        }
        store.unique.push(("tags".into(), "name".into()));
        store
    }

    fn sorted(mut rows: Vec<crate::host::Row>, key: &str) -> Vec<crate::host::Row> {
        rows.sort_by_key(|r| crate::data::key_text(&r[key]));
        rows
    }

    #[test]
    fn the_bulk_receiver_copies_rows_exactly_and_a_second_run_moves_nothing() {
        let (host, fake) = pair_with(destination().with_receiver(receiving_store()));
        let report = run(&host, &fake, &options(json!({ "excludedTables": [], "batchSize": 2 }))).unwrap();
        assert_eq!(report.status, RunStatus::Completed, "{:?} {:?}", report.failures, report.error);
        assert_eq!(report.transport, Delivery::Bulk);
        let store = fake.store();
        for name in [
            "languages",
            "categories",
            "tags",
            "articles_tags",
            "articles_translations",
            "site_settings",
            "articles",
            "articles_files",
        ] {
            let key = if name == "languages" { "code" } else { "id" };
            assert_eq!(
                sorted(store.rows(name), key),
                sorted(host.tables[name].clone(), key),
                "{name}: dates and all, as they are"
            );
        }
        let authors = sorted(store.rows("authors"), "id");
        assert_eq!(authors[0]["favorite_article"], json!(3), "set in the second pass");
        assert_eq!(authors[1]["user_created"], Value::Null, "a user only the source has");
        let log = fake.log.borrow().clone();
        assert!(log.iter().any(|l| l == "POST /migration/receive/rows"));
        assert!(!log.iter().any(|l| l.starts_with("POST /items")), "no row goes through the REST API");
        assert!(log.iter().any(|l| l == "POST /utils/cache/clear"));
        assert_eq!(host.uploads.borrow().len(), 3, "files still go through POST /files");

        let again = run(&host, &fake, &options(json!({ "excludedTables": [] }))).unwrap();
        assert!(again.tables.iter().all(|t| t.created == 0 && t.skipped == t.read), "{:?}", again.tables);
        let forced_rest =
            run(&host, &fake, &options(json!({ "selectedTables": ["tags"], "transport": "rest" }))).unwrap();
        assert_eq!(forced_rest.transport, Delivery::Rest);
    }

    #[test]
    fn bulk_is_refused_when_the_destination_has_no_receiver() {
        let (host, fake) = pair();
        let err = run(&host, &fake, &options(json!({ "selectedTables": ["tags"], "transport": "bulk" }))).unwrap_err();
        assert_eq!(err.status(), 409);
        assert!(err.to_string().contains("no bulk receiver"), "{err}");
        let auto = run(&host, &fake, &options(json!({ "selectedTables": ["tags"] }))).unwrap();
        assert_eq!(auto.transport, Delivery::Rest);
        let request = MigrationRequest::parse(r#"{"scope":{"transport":"carrier pigeon"}}"#).unwrap();
        assert!(MigrateOptions::from_request(&request, false)
            .unwrap_err()
            .to_string()
            .contains("scope.transport must be rest, bulk or auto"));
    }

    #[test]
    fn a_destination_that_goes_away_fails_the_run_with_what_was_done() {
        let host = source();
        let fake = Rc::new(destination().outage_after(3));
        let report = run(
            &host,
            &fake,
            &options(json!({ "selectedTables": ["languages", "tags"], "batchSize": 1, "concurrency": 1 })),
        )
        .unwrap();
        assert_eq!(report.status, RunStatus::Failed);
        assert!(report.error.as_deref().unwrap().contains("HTTP 503"), "{:?}", report.error);
        assert!(report.message.starts_with("Migration failed in"));
        let created: u64 = report.tables.iter().map(|t| t.created).sum();
        assert_eq!(created, 3, "the rows that landed are counted: {:?}", report.tables);
        assert_eq!(fake.rows("languages").len() + fake.rows("tags").len(), 3);
    }

    #[test]
    fn bad_requests_are_refused_before_anything_happens() {
        let cases = [
            (json!({}), "scope.selectedTables is required"),
            (json!({ "selectedTables": [] }), "scope.selectedTables is empty"),
            (json!({ "selectedTables": ["articles", "nope"] }), "the source does not have"),
            (json!({ "excludedTables": ["nope"] }), "scope.excludedTables names"),
            (
                json!({ "selectedTables": ["articles"], "updatedAfter": "last week" }),
                "scope.updatedAfter is not a valid",
            ),
        ];
        for (scope, message) in cases {
            let host = source();
            let fake = Rc::new(destination());
            let err = run(&host, &fake, &options(scope.clone())).unwrap_err();
            assert_eq!(err.status(), 400, "{scope}");
            assert!(err.to_string().contains(message), "{err}");
            assert!(host.events.borrow().is_empty() && fake.log.borrow().is_empty(), "{scope}");
        }
        let request = MigrationRequest::parse(r#"{"scope":{"batchSize":0}}"#).unwrap();
        assert!(MigrateOptions::from_request(&request, false)
            .unwrap_err()
            .to_string()
            .contains("scope.batchSize must be between 1 and 5000"));
    }
}
