//! The bulk receiver as the destination: exact copies, re-runs, and when it cannot be used.

use std::cell::Cell;

use serde_json::{json, Value};

use super::*;
use crate::commands::request::{MigrationRequest, Route};
use crate::runs::report::Delivery;
use crate::runs::report::RunReport;
use crate::runs::report::RunStatus;
use crate::shared::http::{HttpRequest, Transport, TransportError};
use crate::shared::rows::{key_text, Row};
use crate::testing::MemoryStore;

/// A receiver database with the publishing tables, empty.
pub(super) fn receiving_store() -> MemoryStore {
    let mut store = MemoryStore::with_tables_of(&publishing());
    store.unique.push(("tags".into(), "name".into()));
    store
}

fn sorted(mut rows: Vec<Row>, key: &str) -> Vec<Row> {
    rows.sort_by_key(|r| key_text(&r[key]));
    rows
}

#[test]
fn the_bulk_receiver_copies_rows_exactly_and_a_second_run_moves_nothing() {
    let (host, fake) = pair_with(destination().with_receiver(receiving_store()));
    let report = run(&host, &fake, &options(json!({ "excludedTables": user_tables_only(), "batchSize": 2 }))).unwrap();
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
    let phases: Vec<&str> = report.timings.keys().map(String::as_str).collect();
    for phase in
        ["sourceRead", "checks", "files", "encode", "write", "receiverDecode", "receiverDatabase", "secondPass"]
    {
        assert!(phases.contains(&phase), "{phase} is timed: {phases:?}");
    }

    let again = run(&host, &fake, &options(json!({ "excludedTables": user_tables_only() }))).unwrap();
    assert!(again.tables.iter().all(|t| t.created == 0 && t.skipped == t.read), "{:?}", again.tables);
    let forced_rest = run(&host, &fake, &options(json!({ "selectedTables": ["tags"], "transport": "rest" }))).unwrap();
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
    let pigeon = r#"{"scope":{"transport":"carrier pigeon"}}"#;
    assert!(MigrationRequest::parse(pigeon, Route::Run).is_err(), "refused as the body is parsed");
    let request: MigrationRequest = serde_json::from_str(pigeon).unwrap();
    assert!(MigrateOptions::from_request(&request, false)
        .unwrap_err()
        .to_string()
        .contains("scope.transport must be rest, bulk or auto"));
}

#[test]
fn a_batch_whose_answer_was_lost_still_gets_its_references_set() {
    let lossy = destination().with_receiver(receiving_store()).lose_answers("/migration/receive/rows", 2);
    let (host, fake) = pair_with(lossy);
    let report = run(&host, &fake, &options(json!({ "excludedTables": user_tables_only() }))).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?} {:?}", report.failures, report.error);
    let store = fake.store();
    assert_eq!(sorted(store.rows("authors"), "id")[0]["favorite_article"], json!(3));
    assert_eq!(sorted(store.rows("categories"), "id"), sorted(host.tables["categories"].clone(), "id"));
    assert!(report.tables.iter().all(|t| t.created == t.read && t.skipped == 0), "{:?}", report.tables);
}

/// The destination writes the batch, then the answer takes longer than the timeout (the first
/// `times` batches of the collections `of` names, or of all when it is empty). `meddle` runs
/// between the attempt and the retry (another writer).
struct CommitsThenTimesOut<'a> {
    fake: &'a FakeDirectus,
    of: &'a str,
    times: Cell<usize>,
    meddle: fn(&MemoryStore),
}

impl Transport for CommitsThenTimesOut<'_> {
    async fn send(&self, request: &HttpRequest, token: Option<&str>) -> Result<HttpResponse, TransportError> {
        let answer = self.fake.send(request, token).await;
        let body = request.body.as_deref().unwrap_or_default();
        let batch_of = self.of.is_empty() || body.contains(&format!(r#""collection":"{}""#, self.of));
        if request.url.ends_with("/migration/receive/rows") && batch_of && self.times.get() > 0 {
            self.times.set(self.times.get() - 1);
            (self.meddle)(self.fake.store());
            return Err(TransportError::Timeout(request.timeout_ms));
        }
        answer
    }
}

fn run_timing_out(
    host: &MemoryHost,
    fake: &FakeDirectus,
    of: &str,
    times: usize,
    meddle: fn(&MemoryStore),
) -> RunReport {
    let clock = FakeClock::default();
    let transport = CommitsThenTimesOut { fake, of, times: Cell::new(times), meddle };
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), transport, &clock).unwrap();
    let options = options(json!({ "excludedTables": user_tables_only() }));
    block_on(crate::commands::migrate::migrate(host, &destination, &options)).unwrap()
}

#[test]
fn a_batch_retried_after_a_timeout_whose_first_attempt_committed_counts_its_rows_as_created() {
    let (host, fake) = pair_with(destination().with_receiver(receiving_store()));
    let report = run_timing_out(&host, &fake, "", 3, |_| {});
    assert_eq!(report.status, RunStatus::Completed, "{:?} {:?}", report.failures, report.error);
    for table in &report.tables {
        assert_eq!((table.created, table.skipped, table.failed), (table.read, 0, 0), "{table:?}");
    }
    let store = fake.store();
    assert_eq!(sorted(store.rows("categories"), "id"), sorted(host.tables["categories"].clone(), "id"));
    assert_eq!(sorted(store.rows("authors"), "id")[0]["favorite_article"], json!(3), "set in the second pass");
}

#[test]
fn a_retried_batch_counts_rows_stored_with_numbers_as_text_as_created() {
    let (host, fake) = pair_with(destination().with_receiver(receiving_store()));
    // The database reads the numbers it stored (but the key) as their decimal text, as a
    // bigInteger sent as text comes back from SQLite as a number: same values, other form.
    let report = run_timing_out(&host, &fake, "articles", 1, |store| {
        for row in store.tables.borrow_mut().get_mut("articles").into_iter().flatten() {
            for (_, value) in row.iter_mut().filter(|(field, v)| *field != "id" && v.is_number()) {
                *value = Value::String(value.to_string());
            }
        }
    });
    let articles = report.tables.iter().find(|t| t.collection == "articles").unwrap();
    assert_eq!((articles.created, articles.skipped), (articles.read, 0), "{articles:?}");
}

#[test]
fn a_row_another_writer_put_under_the_same_key_is_not_counted_as_created() {
    let (host, fake) = pair_with(destination().with_receiver(receiving_store()));
    // Between the attempt and the retry of the `languages` batch, its rows change.
    let report = run_timing_out(&host, &fake, "languages", 1, |store| {
        for row in store.tables.borrow_mut().get_mut("languages").into_iter().flatten() {
            row.insert("name".into(), json!("another writer's"));
        }
    });
    let languages = report.tables.iter().find(|t| t.collection == "languages").unwrap();
    assert_eq!(languages.created, 0, "{languages:?}");
    assert_eq!(languages.skipped, languages.read, "already there, not as sent: skipped as the receiver said");
}

#[test]
fn a_bulk_add_run_stops_asking_once_pages_come_back_fresh_and_asks_again_once_one_is_not() {
    let (mut host, fake) = pair_with(destination().with_receiver(receiving_store()));
    let tags: Vec<Row> =
        (1..=6).map(|id| json!({ "id": id, "name": format!("tag {id}") }).as_object().unwrap().clone()).collect();
    host.tables.insert("tags".into(), tags);
    // The destination has tag 4 already, with its own name, and tag 5 as the source has it.
    let theirs = [json!({ "id": 4, "name": "theirs" }), json!({ "id": 5, "name": "tag 5" })];
    fake.store()
        .tables
        .borrow_mut()
        .entry("tags".into())
        .or_default()
        .extend(theirs.map(|t| t.as_object().unwrap().clone()));
    let scope = json!({ "selectedTables": ["tags"], "transport": "bulk", "batchSize": 1, "concurrency": 1 });
    let asked =
        |fake: &FakeDirectus| fake.log.borrow().iter().filter(|l| *l == "POST /migration/receive/existing").count();

    let report = run(&host, &fake, &options(scope.clone())).unwrap();
    let line = report.tables.iter().find(|t| t.collection == "tags").unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);
    // Pages 2 to 4 went unasked; tag 4's receipt turned the checks back on for 5 and 6.
    assert_eq!(asked(&fake), 3, "page 1, then pages 5 and 6");
    assert_eq!((line.created, line.skipped, line.failed), (4, 2, 0), "{line:?}");
    let names: Vec<Value> = sorted(fake.store().rows("tags"), "id").iter().map(|r| r["name"].clone()).collect();
    assert_eq!(names[3], json!("theirs"), "never overwritten");
    assert_eq!(names.len(), 6);

    fake.log.borrow_mut().clear();
    let again = run(&host, &fake, &options(scope)).unwrap();
    let line = again.tables.iter().find(|t| t.collection == "tags").unwrap();
    assert_eq!((line.created, line.skipped), (0, 6));
    assert_eq!(asked(&fake), 6, "a re-run's first page finds its rows: every page is asked");
    assert!(!fake.log.borrow().iter().any(|l| l == "POST /migration/receive/rows"), "and nothing is sent");
}

/// The command line reads the source through its REST API: its rows are the API's, and the bulk
/// receiver is sent them as such (`"rows":"api"` in each batch's header, pages never read raw),
/// which only a receiver that says `apiRows` is; an earlier receiver gets rows over REST, or a
/// refusal where bulk was asked for. Password hashes are refused before anything is sent.
#[test]
fn a_source_read_over_its_api_sends_the_api_s_rows_to_a_receiver_that_takes_them() {
    use crate::commands::settings::ExtensionSettings;
    use crate::shared::wire::{Batch, Representation};
    let cli = ExtensionSettings { source_over_api: true, ..ExtensionSettings::default() };
    let everything = || json!({ "excludedTables": user_tables_only() });

    let (host, fake) = pair_with(destination().with_receiver(receiving_store()));
    let auto = options(everything()).with_source(&cli).unwrap();
    assert!(!auto.rows_as_stored);
    let report = run(&host, &fake, &auto).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?} {:?}", report.failures, report.error);
    assert_eq!(report.transport, Delivery::Bulk);
    assert_eq!(fake.store().rows("tags").len(), host.tables["tags"].len());
    let batches = fake.batches.borrow().clone();
    assert!(!batches.is_empty());
    for body in &batches {
        let batch = Batch::decode(body).unwrap();
        assert_eq!(batch.header.rows, Representation::Api, "{}", batch.header.collection);
    }
    assert_eq!(host.raw_reads.get(), 0, "the API's rows are never read raw");

    // A receiver of an earlier release: REST, saying why; bulk asked for: refused.
    let (host, fake) = pair_with(destination().with_receiver_before_api_rows(receiving_store()));
    let report = run(&host, &fake, &auto).unwrap();
    assert_eq!(report.transport, Delivery::Rest);
    assert!(!fake.log.borrow().iter().any(|l| l == "POST /migration/receive/rows"));
    let bulk = options(json!({ "excludedTables": user_tables_only(), "transport": "bulk" })).with_source(&cli).unwrap();
    let (host, fake) = pair_with(destination().with_receiver_before_api_rows(receiving_store()));
    let refused = run(&host, &fake, &bulk).unwrap_err();
    assert_eq!(refused.code(), "CONFLICT");
    assert!(refused.to_string().contains("predates rows read through the source's API"), "{refused}");

    let refused = options(json!({ "userPasswords": true })).with_source(&cli).unwrap_err();
    assert_eq!(refused.code(), "INVALID_PAYLOAD");
    assert!(refused.to_string().contains("scope.userPasswords") && refused.to_string().contains("REST API"));
    // The extension's own host reads rows as stored: nothing changes there.
    let stored = options(json!({ "transport": "bulk" })).with_source(&ExtensionSettings::default()).unwrap();
    assert!(stored.rows_as_stored);
}
