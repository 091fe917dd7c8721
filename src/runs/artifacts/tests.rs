//! A run's artifacts against the in-memory source's file library: names, contents (row counts
//! equal the run's), streaming, secrets left out, a storage that refuses writes, the option that
//! skips them, and the schema sync's snapshot of the destination before it applies.

use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;
use serde_json::{json, Value};

use crate::commands::migrate::tests::{destination, options, pair, pair_with, run, user_tables_only};
use crate::commands::migrate::{migrate, MigrateOptions};
use crate::commands::request::{MigrationRequest, Route};
use crate::commands::run_job::{run_job, Callback, Start};
use crate::commands::schema_sync::{schema_sync, SyncOptions};
use crate::commands::settings::ExtensionSettings;
use crate::destination::{Destination, DestinationConfig};
use crate::host::memory::MemoryHost;
use crate::pipeline::schema::fixtures::publishing;
use crate::runs::jobs::memory::MemoryJobs;
use crate::runs::jobs::{Job, Jobs, Keeper};
use crate::runs::progress::Event;
use crate::runs::report::{ArtifactsStatus, RunReport, RunStatus};
use crate::shared::runtime::fake::FakeClock;
use crate::testing::fake_directus::FakeDirectus;
use crate::testing::{answer, MemoryStore, Scripted};

const TOKEN: &str = "dest-token-7f3a9c2e";

fn with_artifacts(scope: Value) -> MigrateOptions {
    MigrateOptions { artifacts: Some("local".into()), ..options(scope) }
}

/// A run as the endpoint runs it: a job, with a callback, to a destination whose token is
/// [`TOKEN`]; the clock starts at 2026-11-22T10:30:45.123Z.
fn job(host: &MemoryHost, fake: &Rc<FakeDirectus>, opts: &MigrateOptions) -> (RunReport, Value, Vec<Value>) {
    let clock = FakeClock { now: RefCell::new(1_795_343_445_123.0), ..FakeClock::default() };
    let destination = Destination::new(DestinationConfig::new("https://dest.example", TOKEN), &**fake, &clock).unwrap();
    let (store, jobs) = (MemoryJobs::default(), RefCell::new(Jobs::default()));
    let keeper = Keeper { store: &store, clock: &clock, jobs: &jobs, owner: "a" };
    let hooks = Scripted::new(vec![answer(200, "{}")]);
    let target = Callback { url: "http://hooks/flows/trigger/1".into(), origin: "http://hooks".into(), secret: None };
    let report =
        block_on(run_job(host, &keeper, &destination, opts, Some((target, &hooks)), Start::default())).unwrap();
    let callback = serde_json::from_str(hooks.seen.borrow()[0].0.body.as_deref().unwrap()).unwrap();
    let row = store.row(report.process_id.as_deref().unwrap()).unwrap();
    let lines = Job::from_row(&row).lines_after(None).lines;
    (report, callback, lines)
}

fn names(host: &MemoryHost) -> Vec<String> {
    host.library.borrow().saved.iter().map(|f| f.file.filename.clone()).collect()
}

#[test]
fn a_run_saves_its_schema_rows_singletons_files_and_report_in_a_folder_of_its_own() {
    let (host, fake) = pair();
    let opts = with_artifacts(json!({ "excludedTables": user_tables_only(), "batchSize": 2 }));
    let (report, callback, lines) = job(&host, &fake, &opts);
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);

    let library = host.library.borrow();
    let (top, run) = (&library.folders[0], &library.folders[1]);
    assert_eq!((top.1.as_str(), top.2.as_ref()), ("Migrations", None));
    assert_eq!((run.1.as_str(), run.2.as_ref()), ("Migration 2026-11-22T10-30-45-123Z", Some(&top.0)));
    let stamp = "2026-11-22T10-30-45-123Z";
    let expected: Vec<String> = ["schema", "items_full_data", "items_singleton", "files", "report"]
        .iter()
        .map(|base| format!("{base}_{stamp}.json"))
        .collect();
    assert_eq!(names(&host), expected, "saved in this order, the report last");
    for file in &library.saved {
        assert_eq!((file.file.storage.as_str(), file.file.folder.as_str()), ("local", run.0.as_str()));
        assert_eq!(file.file.content_type, "application/json");
    }

    // What the report, the summary and the callback say.
    let artifacts = &report.artifacts;
    assert_eq!(artifacts.status, ArtifactsStatus::Saved);
    assert_eq!(artifacts.folder_id.as_deref(), Some(run.0.as_str()));
    assert_eq!(artifacts.folder.as_deref(), Some("Migrations/Migration 2026-11-22T10-30-45-123Z"));
    let listed: Vec<(&str, &str)> = artifacts.files.iter().map(|f| (f.name.as_str(), f.id.as_str())).collect();
    let saved: Vec<(&str, &str)> = library.saved.iter().map(|f| (f.file.filename.as_str(), f.id.as_str())).collect();
    assert_eq!(listed, saved);
    assert_eq!(callback["details"]["folderId"], json!(run.0));
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["artifacts"]["folderId"], json!(run.0));
    assert_eq!(summary["artifacts"]["files"].as_array().unwrap().len(), 5);
    assert!(lines.iter().any(|l| l["message"] == json!(artifacts.line())), "the line before the summary");

    // Each file holds what it says.
    let schema = library.json("schema_");
    let collections: Vec<&str> =
        schema["collections"].as_array().unwrap().iter().map(|c| c["collection"].as_str().unwrap()).collect();
    assert!(!collections.contains(&"config"), "the selection's schema, as sent: {collections:?}");
    assert!(collections.contains(&"articles") && collections.contains(&"site_settings"));

    let items = library.json("items_full_data_");
    let regular: Vec<&str> =
        report.tables.iter().map(|t| t.collection.as_str()).filter(|c| *c != "site_settings").collect();
    let keys: Vec<&str> = items.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, regular, "every regular table the run read, in the order it read them");
    for table in report.tables.iter().filter(|t| t.collection != "site_settings") {
        assert_eq!(items[&table.collection].as_array().unwrap().len() as u64, table.read, "{}", table.collection);
    }
    assert_eq!(items["languages"], json!(host.tables["languages"]), "rows as read");
    assert_eq!(items["categories"].as_array().unwrap().len(), 5);

    let singletons = library.json("items_singleton_");
    assert_eq!(singletons, json!({ "site_settings": { "id": 1, "default_language": "ja-JP" } }));

    let files = library.json("files_");
    let mut ids: Vec<&str> = files.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["f-big", "f-doc", "f-photo"], "each referenced file once, no other");
    assert_eq!(
        files.as_array().unwrap().iter().find(|f| f["id"] == "f-photo").unwrap(),
        &json!({ "id": "f-photo", "filename_download": "photo.png", "type": "image/png", "filesize": 6948, "folder": "fo-child" }),
        "metadata, not the storage's details"
    );

    let written = library.json("report_");
    assert_eq!(written["processId"], json!(report.process_id));
    assert_eq!(written["status"], "completed");
    assert_eq!(written["artifacts"]["folderId"], json!(run.0));
}

#[test]
fn rows_are_written_page_by_page_as_they_are_read() {
    let (host, fake) = pair();
    let report =
        run(&host, &fake, &with_artifacts(json!({ "selectedTables": ["categories"], "batchSize": 2 }))).unwrap();
    assert_eq!(report.artifacts.status, ArtifactsStatus::Saved);
    let library = host.library.borrow();
    let items = library.saved.iter().find(|f| f.file.filename.starts_with("items_full_data_")).unwrap();
    // `{`, `"categories":[`, three pages of 2, 2 and 1 rows, `]`, `}`.
    assert_eq!(items.appends, 7, "{}", items.text);
    assert_eq!(library.json("items_full_data_")["categories"], json!(host.tables["categories"]));
    assert_eq!(library.json("items_singleton_"), json!({}), "no singleton selected");
    assert_eq!(library.json("files_"), json!([]));
    assert!(library.open.is_empty(), "every file closed");
}

#[test]
fn an_empty_table_is_an_empty_list_and_a_dry_run_saves_too() {
    let (mut host, fake) = pair();
    host.tables.insert("tags".into(), vec![]);
    host.tables.insert("site_settings".into(), vec![]);
    let mut opts = with_artifacts(json!({ "selectedTables": ["tags", "site_settings", "languages"] }));
    opts.dry_run = true;
    let report = run(&host, &fake, &opts).unwrap();
    assert!(fake.writes().is_empty());
    let library = host.library.borrow();
    assert_eq!(library.folders[1].1, "Migration 1970-01-01T00-00-00-000Z (dry run)");
    assert_eq!(library.json("items_full_data_")["tags"], json!([]));
    assert_eq!(library.json("items_singleton_"), json!({ "site_settings": null }));
    assert_eq!(report.artifacts.files.len(), 4, "the report is the job's to save");
}

#[test]
fn hashed_and_concealed_fields_and_the_token_are_in_no_artifact() {
    // Over bulk, rows are read in the database's representation, hashes included.
    let mut snapshot = serde_json::to_value(publishing()).unwrap();
    let fields = snapshot["fields"].as_array_mut().unwrap();
    for (field, special) in [("password", "hash"), ("api_key", "conceal")] {
        fields
            .push(json!({ "collection": "authors", "field": field, "type": "string", "meta": { "special": [special] },
                            "schema": { "name": field, "table": "authors", "data_type": "varchar" } }));
    }
    let snapshot = serde_json::from_value(snapshot).unwrap();
    let mut store = MemoryStore::default();
    store.describe(
        "authors",
        "id",
        &[
            ("id", "uuid"),
            ("name", "string"),
            ("favorite_article", "integer"),
            ("user_created", "uuid"),
            ("password", "string"),
            ("api_key", "string"),
        ],
    );
    store.describe(
        "articles",
        "id",
        &[
            ("id", "integer"),
            ("title", "string"),
            ("author", "uuid"),
            ("category", "integer"),
            ("cover", "uuid"),
            ("date_created", "timestamp"),
            ("date_updated", "timestamp"),
        ],
    );
    store.describe("categories", "id", &[("id", "integer"), ("parent", "integer")]);
    store.describe(
        "articles_files",
        "id",
        &[("id", "integer"), ("articles_id", "integer"), ("directus_files_id", "uuid")],
    );
    let (mut host, fake) = pair_with(destination().with_receiver(store));
    host.snapshot = Some(snapshot);
    for author in host.tables.get_mut("authors").unwrap() {
        author.insert("password".into(), json!("$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0LWhhc2g"));
        author.insert("api_key".into(), json!("concealed-api-key-4411"));
    }
    let opts = with_artifacts(json!({ "selectedTables": ["authors", "articles", "categories"], "transport": "bulk" }));
    let (report, _, _) = job(&host, &fake, &opts);
    assert_eq!(report.status, RunStatus::Completed, "{:?} {:?}", report.failures, report.error);
    assert_eq!(fake.store().rows("authors")[0]["api_key"], json!("concealed-api-key-4411"), "the bulk copy has them");

    let library = host.library.borrow();
    assert_eq!(library.saved.len(), 5);
    let authors = &library.json("items_full_data_")["authors"];
    assert_eq!(authors.as_array().unwrap().len(), 2);
    assert!(
        authors[0].get("name").is_some() && authors[0].get("password").is_none() && authors[0].get("api_key").is_none()
    );
    for file in &library.saved {
        for secret in [TOKEN, "argon2id", "concealed-api-key"] {
            assert!(!file.text.contains(secret), "{} contains {secret}", file.file.filename);
        }
    }
}

#[test]
fn a_storage_that_refuses_writes_leaves_the_run_complete_and_says_what_is_missing() {
    let (mut host, fake) = pair();
    host.storage_refuses = Some("AccessDenied: not authorized to perform s3:PutObject".into());
    let (report, callback, _) = job(&host, &fake, &with_artifacts(json!({ "excludedTables": user_tables_only() })));
    assert_eq!(report.status, RunStatus::Completed, "the migration itself is not affected");
    assert_eq!(fake.rows("articles").len(), 5);
    let artifacts = &report.artifacts;
    assert_eq!(artifacts.status, ArtifactsStatus::Failed);
    assert!(artifacts.files.is_empty());
    assert_eq!(artifacts.missing.len(), 5, "{:?}", artifacts.missing);
    assert!(artifacts.missing[1].starts_with("items_full_data_"));
    assert_eq!(artifacts.reason.as_deref(), Some("AccessDenied: not authorized to perform s3:PutObject"));
    assert!(report
        .warnings
        .iter()
        .any(|w| w.starts_with("artifacts missing in the source's file library (") && w.ends_with("s3:PutObject")));
    assert!(callback["details"]["folderId"].is_string(), "the folder (a database row) exists");
    assert_eq!(callback["status"], "completed");
    assert!(host.library.borrow().open.is_empty(), "every file closed, failed or not");
}

#[test]
fn a_library_that_refuses_the_folder_leaves_the_run_complete_with_every_artifact_missing() {
    let (mut host, fake) = pair();
    host.folders_refused = Some("You don't have permission to access this.".into());
    let (report, callback, _) = job(&host, &fake, &with_artifacts(json!({ "selectedTables": ["tags"] })));
    assert_eq!(report.status, RunStatus::Completed);
    let artifacts = &report.artifacts;
    assert_eq!((artifacts.status, artifacts.folder_id.as_deref()), (ArtifactsStatus::Failed, None));
    let bases: Vec<&str> = artifacts.missing.iter().map(|n| n.split("_2026").next().unwrap()).collect();
    assert_eq!(bases, vec!["schema", "items_full_data", "items_singleton", "files", "report"], "each once");
    assert_eq!(
        artifacts.reason.as_deref(),
        Some("the folder Migrations/Migration 2026-11-22T10-30-45-123Z could not be made: You don't have permission to access this.")
    );
    assert_eq!(callback["details"]["folderId"], Value::Null);
    assert!(host.library.borrow().open.is_empty() && host.library.borrow().saved.is_empty());
}

#[test]
fn artifacts_false_skips_them_and_a_second_run_makes_a_second_folder() {
    let (host, fake) = pair();
    let report = run(&host, &fake, &options(json!({ "selectedTables": ["tags"] }))).unwrap();
    assert_eq!(report.artifacts.status, ArtifactsStatus::Skipped);
    assert_eq!(report.artifacts.reason.as_deref(), Some("scope.artifacts is false"));
    assert!(host.library.borrow().folders.is_empty());

    let first = run(&host, &fake, &with_artifacts(json!({ "selectedTables": ["tags"] }))).unwrap();
    let before: Vec<_> = host.library.borrow().saved.clone();
    let second = run(&host, &fake, &with_artifacts(json!({ "selectedTables": ["tags"] }))).unwrap();
    let library = host.library.borrow();
    assert_eq!(library.folders.iter().filter(|f| f.1 == "Migrations").count(), 1, "the top folder is reused");
    assert_eq!(library.folders.len(), 3);
    assert_ne!(first.artifacts.folder_id, second.artifacts.folder_id);
    assert_eq!(&library.saved[..before.len()], &before[..], "the first run's files untouched");
    assert_eq!(library.saved.len(), 2 * before.len());
}

#[test]
fn the_storage_location_comes_from_the_settings_and_an_unknown_one_is_refused() {
    let request = |scope: Value| {
        let body = json!({ "baseURL": "https://dest.example", "token": "t", "scope": scope }).to_string();
        MigrationRequest::parse(&body, Route::Run).unwrap()
    };
    let settings = |location: &str| ExtensionSettings {
        storage_location: location.into(),
        storage_locations: vec!["local".into(), "archive".into()],
        ..ExtensionSettings::default()
    };
    let selected = json!({ "selectedTables": ["tags"] });
    let opts = MigrateOptions::from_request(&request(selected.clone()), false)
        .unwrap()
        .with_artifacts(&request(selected.clone()), &settings(""))
        .unwrap();
    assert_eq!(opts.artifacts.as_deref(), Some("local"));
    let opts = MigrateOptions::from_request(&request(selected.clone()), true)
        .unwrap()
        .with_artifacts(&request(selected.clone()), &settings("archive"))
        .unwrap();
    assert_eq!(opts.artifacts.as_deref(), Some("archive"));
    let err = MigrateOptions::from_request(&request(selected.clone()), false)
        .unwrap()
        .with_artifacts(&request(selected), &settings("s3"))
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (400, "INVALID_STORAGE_LOCATION"));
    let without = request(json!({ "selectedTables": ["tags"], "artifacts": false }));
    let off = MigrateOptions::from_request(&without, false).unwrap().with_artifacts(&without, &settings("s3"));
    assert_eq!(off.unwrap().artifacts, None, "nothing to refuse when none are saved");

    let (host, fake) = pair();
    let mut opts = with_artifacts(json!({ "selectedTables": ["tags"] }));
    opts.artifacts = Some("archive".into());
    run(&host, &fake, &opts).unwrap();
    assert!(host.library.borrow().saved.iter().all(|f| f.file.storage == "archive"));
}

#[test]
fn a_refused_run_leaves_no_folder() {
    let (host, fake) = pair();
    let clock = FakeClock::default();
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), &*fake, &clock).unwrap();
    let refused = block_on(migrate(&host, &destination, &with_artifacts(json!({ "selectedTables": ["nope"] }))));
    assert_eq!(refused.unwrap_err().status(), 400);
    assert!(host.library.borrow().folders.is_empty());
}

fn sync(
    answers: Vec<Result<crate::shared::http::HttpResponse, crate::shared::http::TransportError>>,
    options: SyncOptions,
) -> (MemoryHost, Scripted) {
    let host = MemoryHost::with_snapshot(publishing());
    let transport = Scripted::new(answers);
    let clock = FakeClock::default();
    let destination = crate::testing::destination(&transport, &clock);
    block_on(schema_sync(&host, &destination, &options)).unwrap();
    (host, transport)
}

#[test]
fn an_applying_schema_sync_saves_the_destination_schema_before_it() {
    let diff = json!({ "data": { "hash": "h1", "diff": {
        "collections": [{ "collection": "languages", "diff": [{ "kind": "N", "rhs": { "collection": "languages" } }] }],
        "fields": [], "systemFields": [], "relations": [] } } })
    .to_string();
    let before = json!({ "data": { "version": 1, "directus": "11.17.4", "vendor": "sqlite",
        "collections": [{ "collection": "legacy", "meta": null, "schema": { "name": "legacy" } }], "fields": [], "relations": [] } })
    .to_string();
    let applying = SyncOptions { artifacts: Some("local".into()), ..SyncOptions::default() };
    let (host, transport) = sync(vec![answer(200, &diff), answer(200, &before), answer(204, "")], applying.clone());
    assert_eq!(transport.requests(), vec!["POST /schema/diff", "GET /schema/snapshot", "POST /schema/apply"]);
    let library = host.library.borrow();
    assert_eq!(library.folders[1].1, "Schema sync 1970-01-01T00-00-00-000Z");
    assert_eq!(
        names(&host),
        vec![
            "schema_1970-01-01T00-00-00-000Z.json",
            "destination_schema_before_1970-01-01T00-00-00-000Z.json",
            "report_1970-01-01T00-00-00-000Z.json"
        ]
    );
    assert_eq!(library.json("destination_schema_before_")["collections"][0]["collection"], "legacy");
    assert_eq!(library.json("report_")["applied"], true);
    assert_eq!(library.json("report_")["artifacts"]["files"].as_array().unwrap().len(), 2, "all but itself");
    let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("Saved the destination's schema as it was before the sync: destination_schema_before_"))
    );

    // A dry run, or nothing to apply: nothing saved.
    let (host, _) = sync(vec![answer(200, &diff)], SyncOptions { dry_run: true, ..applying.clone() });
    assert!(host.library.borrow().folders.is_empty());
    let (host, _) = sync(vec![answer(204, "")], applying);
    assert!(host.library.borrow().folders.is_empty());
}
