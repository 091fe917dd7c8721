//! The bulk receiver as the destination: exact copies, re-runs, and when it cannot be used.

use serde_json::{json, Value};

use super::*;
use crate::commands::request::{MigrationRequest, Route};
use crate::report::Delivery;
use crate::report::RunStatus;
use crate::rows::{key_text, Row};
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
    let repaired: u64 = report.tables.iter().map(|t| t.repaired).sum();
    assert!(repaired > 0, "{:?}", report.tables);
}
