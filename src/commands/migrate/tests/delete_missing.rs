//! `scope.deleteMissing`: a merge deletes, in the tables it names, exactly the destination rows
//! whose key the source no longer has — over either transport, children before what they
//! reference; a dry run lists them and deletes nothing; a row the destination will not delete is
//! reported with its message; the option is refused where it could reach further.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::bulk::receiving_store;
use super::*;
use crate::commands::request::{MigrationRequest, Route};
use crate::runs::report::{RunReport, RunStatus};
use crate::shared::rows::key_text;

const TABLES: [&str; 5] = ["tags", "articles_tags", "categories", "articles", "site_settings"];

type ReadKeys = Box<dyn Fn(&str) -> Vec<String>>;
type AddRow = Box<dyn Fn(&str, Row)>;

/// The destination's keys of a table, and its writes so far.
struct Side {
    keys: ReadKeys,
    writes: Box<dyn Fn() -> usize>,
    own: AddRow,
}

/// Each table's deleted keys, as the report lists them.
fn deleted(report: &RunReport) -> BTreeMap<String, Vec<String>> {
    report
        .tables
        .iter()
        .filter(|t| t.deleted > 0)
        .map(|t| (t.collection.clone(), t.deleted_keys.iter().map(key_text).collect()))
        .collect()
}

/// The source loses a tag, the junction row that tagged an article with it, and a category (the
/// article in it moves out); the destination has a tag of its own.
fn lose_rows(host: &mut MemoryHost) {
    let drop = |host: &mut MemoryHost, name: &str, id: i64| {
        host.tables.get_mut(name).unwrap().retain(|r| r["id"] != json!(id))
    };
    drop(host, "tags", 2);
    drop(host, "articles_tags", 1);
    drop(host, "categories", 4);
    host.tables
        .get_mut("articles")
        .unwrap()
        .iter_mut()
        .find(|r| r["id"] == json!(1))
        .unwrap()
        .insert("category".into(), Value::Null);
}

fn deletes_what_the_source_lost(transport: &str, side: Side, pair: (MemoryHost, Rc<FakeDirectus>)) {
    let Side { keys, writes, own } = side;
    let (mut host, fake) = pair;
    let scope = |extra: Value| {
        let mut scope = json!({ "selectedTables": TABLES, "transport": transport, "mode": "merge" });
        scope.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        options(scope)
    };
    let first = run(&host, &fake, &scope(json!({}))).unwrap();
    assert_eq!(first.status, RunStatus::Completed, "{:?}", first.failures);
    own("tags", json!({ "id": 9, "name": "the destination's own" }).as_object().unwrap().clone());
    lose_rows(&mut host);
    let expected: BTreeMap<String, Vec<String>> =
        [("articles_tags", vec!["1"]), ("categories", vec!["4"]), ("tags", vec!["2", "9"])]
            .into_iter()
            .map(|(t, k)| (t.to_string(), k.into_iter().map(String::from).collect()))
            .collect();

    let without = run(&host, &fake, &scope(json!({}))).unwrap();
    assert!(deleted(&without).is_empty(), "without deleteMissing nothing is deleted");
    assert_eq!(keys("tags"), vec!["1", "2", "9"]);

    let mut dry = scope(json!({ "deleteMissing": true }));
    dry.dry_run = true;
    let before = writes();
    let listed = run(&host, &fake, &dry).unwrap();
    assert_eq!(writes(), before, "a dry run deletes nothing");
    assert_eq!(deleted(&listed), expected, "a dry run lists exactly the rows the source lost");

    let done = run(&host, &fake, &scope(json!({ "deleteMissing": true }))).unwrap();
    assert_eq!(done.status, RunStatus::Completed, "{:?}", done.failures);
    assert_eq!(deleted(&done), expected);
    assert_eq!(keys("tags"), vec!["1"]);
    assert_eq!(keys("categories"), vec!["1", "2", "3", "5"]);
    assert_eq!(keys("articles_tags"), vec!["2"]);
    assert_eq!(keys("articles"), vec!["1", "2", "3", "4", "5"], "nothing the source has is deleted");
    assert_eq!(keys("site_settings"), vec!["1"], "a singleton keeps its row");

    let before = writes();
    let again = run(&host, &fake, &scope(json!({ "deleteMissing": true }))).unwrap();
    assert!(deleted(&again).is_empty(), "{:?}", again.tables);
    assert_eq!(writes(), before, "a second run deletes nothing");
}

fn sorted_keys(rows: Vec<Row>, key: &str) -> Vec<String> {
    let mut keys: Vec<String> = rows.iter().map(|r| key_text(&r[key])).collect();
    keys.sort();
    keys
}

#[test]
fn over_rest_only_the_rows_the_source_lost_are_deleted() {
    let pair = pair();
    let (a, b, c) = (Rc::clone(&pair.1), Rc::clone(&pair.1), Rc::clone(&pair.1));
    let side = Side {
        keys: Box::new(move |name| sorted_keys(a.rows(name), "id")),
        writes: Box::new(move || b.writes().len()),
        own: Box::new(move |name, row| c.insert(name, json!([row]))),
    };
    deletes_what_the_source_lost("rest", side, pair);
}

#[test]
fn over_the_bulk_receiver_the_same_rows_are_deleted() {
    let pair = pair_with(destination().with_receiver(receiving_store()));
    let (a, b, c) = (Rc::clone(&pair.1), Rc::clone(&pair.1), Rc::clone(&pair.1));
    let side = Side {
        keys: Box::new(move |name| sorted_keys(a.store().rows(name), "id")),
        // The receiver's lookups are POSTs too: its writes are batches of rows (and a cache
        // clear writes no row).
        writes: Box::new(move || {
            let row_write = |w: &&String| {
                (!w.starts_with("POST /migration/receive/") || w.ends_with("/rows"))
                    && !w.ends_with("/utils/cache/clear")
            };
            b.writes().iter().filter(row_write).count()
        }),
        own: Box::new(move |name, row| c.store().tables.borrow_mut().entry(name.into()).or_default().push(row)),
    };
    deletes_what_the_source_lost("bulk", side, pair);
}

#[test]
fn a_row_the_destination_will_not_delete_is_reported_with_its_message() {
    let (mut host, fake) = pair();
    // The junction is not named: its row that still tags an article with tag 2 stays, and its
    // foreign key keeps tag 2 from being deleted.
    let scope = json!({ "selectedTables": ["tags", "articles"], "mode": "merge", "deleteMissing": true });
    assert_eq!(run(&host, &fake, &options(scope.clone())).unwrap().status, RunStatus::Completed);
    lose_rows(&mut host);
    let report = run(&host, &fake, &options(scope)).unwrap();
    assert_eq!(report.status, RunStatus::CompletedWithErrors);
    let failure = &report.failures[0];
    assert_eq!((failure.collection.as_str(), failure.key.clone()), ("tags", json!(2)));
    assert!(failure.message.contains("FOREIGN KEY constraint failed"), "{}", failure.message);
    assert!(fake.rows("articles_tags").iter().any(|r| r["id"] == json!(1)), "a junction not named is not deleted from");
    assert_eq!(sorted_keys(fake.rows("tags"), "id"), vec!["1", "2"]);
}

#[test]
fn delete_missing_is_refused_unless_a_merge_names_its_user_tables() {
    let refused = |scope: Value| {
        let body = json!({ "baseURL": "https://d.example", "token": "t", "scope": scope }).to_string();
        let err = MigrationRequest::parse(&body, Route::DryRun).unwrap_err();
        assert_eq!(err.status(), 400);
        err.to_string()
    };
    assert_eq!(
        refused(json!({ "selectedTables": ["tags"], "deleteMissing": true })),
        "scope.deleteMissing needs scope.mode: \"merge\""
    );
    assert_eq!(
        refused(json!({ "excludedTables": [], "mode": "merge", "deleteMissing": true })),
        "scope.deleteMissing needs scope.selectedTables: it deletes only in the tables named there"
    );
    assert_eq!(
        refused(json!({ "selectedTables": ["tags", "directus_users"], "mode": "merge", "deleteMissing": true })),
        "scope.deleteMissing never deletes from Directus' own collections: leave directus_users out of scope.selectedTables"
    );
}
