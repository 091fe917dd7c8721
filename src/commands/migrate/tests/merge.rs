//! `scope.mode: "merge"`: edited rows carried over both transports, nothing else written, and a
//! merge re-run that writes nothing; `add` (the default) never overwrites.

use serde_json::{json, Value};

use super::bulk::receiving_store;
use super::*;
use crate::commands::request::{MigrationRequest, Route};
use crate::runs::report::{RunReport, RunStatus, TableReport};
use crate::shared::rows::key_text;

const TABLES: [&str; 6] = ["languages", "tags", "categories", "authors", "articles", "site_settings"];

fn table<'r>(report: &'r RunReport, name: &str) -> &'r TableReport {
    report.tables.iter().find(|t| t.collection == name).unwrap()
}

/// Edits on the source after a first run: scalars, a reference, a held-back reference, a
/// singleton; one new row.
fn edit(host: &mut MemoryHost) {
    let set = |host: &mut MemoryHost, name: &str, id: Value, field: &str, value: Value| {
        let row = host.tables.get_mut(name).unwrap().iter_mut().find(|r| r["id"] == id).unwrap();
        row.insert(field.into(), value);
    };
    set(host, "tags", json!(1), "name", json!("rust-lang"));
    set(host, "articles", json!(3), "title", json!("Three, edited"));
    set(host, "articles", json!(3), "category", json!(2));
    set(host, "categories", json!(3), "parent", json!(2));
    set(host, "site_settings", json!(1), "default_language", json!("en-US"));
    host.tables.get_mut("tags").unwrap().push(json!({ "id": 3, "name": "new" }).as_object().unwrap().clone());
}

fn by_id(rows: Vec<Row>, id: Value) -> Row {
    rows.into_iter().find(|r| key_text(&r["id"]) == key_text(&id)).unwrap()
}

type ReadRows = Box<dyn Fn(&str) -> Vec<Row>>;
type AddRow = Box<dyn Fn(&str, Row)>;

/// Where the destination keeps its rows, as a test sees them.
struct Side {
    rows: ReadRows,
    /// The destination's writes so far.
    writes: Box<dyn Fn() -> usize>,
    /// A row only the destination has.
    own: AddRow,
}

/// Run, edit, run again in `add` mode and in `merge` mode, then merge once more.
fn carries_edits(transport: &str, side: Side, pair: (MemoryHost, Rc<FakeDirectus>)) {
    let Side { rows, writes, own } = side;
    let (mut host, fake) = pair;
    let first = run(&host, &fake, &options(json!({ "selectedTables": TABLES, "transport": transport }))).unwrap();
    assert_eq!(first.status, RunStatus::Completed, "{:?}", first.failures);
    own("tags", json!({ "id": 9, "name": "the destination's own" }).as_object().unwrap().clone());
    edit(&mut host);
    let with = |mode: &str| options(json!({ "selectedTables": TABLES, "transport": transport, "mode": mode }));

    let added = run(&host, &fake, &with("add")).unwrap();
    assert_eq!((table(&added, "tags").created, table(&added, "tags").updated), (1, 0));
    assert_eq!(by_id(rows("tags"), json!(1))["name"], json!("rust"), "add never overwrites");
    assert_eq!(by_id(rows("articles"), json!(3))["title"], json!("Three"));

    let mut dry = with("merge");
    dry.dry_run = true;
    let before = writes();
    let planned = run(&host, &fake, &dry).unwrap();
    assert_eq!(writes(), before, "a dry run writes nothing");
    assert_eq!(table(&planned, "articles").updated, 1);

    let merged = run(&host, &fake, &with("merge")).unwrap();
    assert_eq!(merged.status, RunStatus::Completed, "{:?}", merged.failures);
    let tags = table(&merged, "tags");
    assert_eq!((tags.read, tags.created, tags.updated, tags.unchanged, tags.skipped), (3, 0, 1, 2, 0), "{tags:?}");
    assert_eq!(table(&merged, "articles").updated, 1);
    assert_eq!(table(&merged, "articles").unchanged, 4);
    let stamped = merged.warnings.iter().any(|w| {
        w.starts_with("articles: the 1 row(s) a merge updated over REST carry the destination's own date_updated")
    });
    assert_eq!(
        stamped,
        transport == "rest",
        "over REST the report says Directus stamps updates: {:?}",
        merged.warnings
    );
    assert_eq!(table(&merged, "categories").updated, 1);
    assert_eq!(table(&merged, "site_settings").updated, 1);
    assert_eq!(by_id(rows("tags"), json!(1))["name"], json!("rust-lang"));
    assert_eq!(
        by_id(rows("tags"), json!(9))["name"],
        json!("the destination's own"),
        "rows the destination alone has stay"
    );
    let article = by_id(rows("articles"), json!(3));
    assert_eq!((article["title"].clone(), article["category"].clone()), (json!("Three, edited"), json!(2)));
    assert_eq!(by_id(rows("categories"), json!(3))["parent"], json!(2), "a held-back reference");
    assert_eq!(rows("site_settings")[0]["default_language"], json!("en-US"), "a singleton");

    let before = writes();
    let again = run(&host, &fake, &with("merge")).unwrap();
    assert!(again.tables.iter().all(|t| t.updated == 0 && t.created == 0), "{:?}", again.tables);
    assert_eq!(writes(), before, "a merge re-run writes nothing");
}

#[test]
fn a_merge_over_rest_carries_edits_and_a_second_merge_writes_nothing() {
    let pair = pair();
    let (a, b, c) = (Rc::clone(&pair.1), Rc::clone(&pair.1), Rc::clone(&pair.1));
    let side = Side {
        rows: Box::new(move |name| a.rows(name)),
        writes: Box::new(move || b.writes().len()),
        own: Box::new(move |name, row| c.insert(name, json!([row]))),
    };
    carries_edits("rest", side, pair);
}

#[test]
fn a_merge_over_the_bulk_receiver_carries_edits_exactly() {
    let pair = pair_with(destination().with_receiver(receiving_store()));
    let (a, b, c) = (Rc::clone(&pair.1), Rc::clone(&pair.1), Rc::clone(&pair.1));
    let side = Side {
        rows: Box::new(move |name| a.store().rows(name)),
        writes: Box::new(move || b.log.borrow().iter().filter(|l| *l == "POST /migration/receive/rows").count()),
        own: Box::new(move |name, row| c.store().tables.borrow_mut().entry(name.into()).or_default().push(row)),
    };
    carries_edits("bulk", side, pair);
}

#[test]
fn a_mode_other_than_add_or_merge_is_refused() {
    let body = json!({ "baseURL": "https://d.example", "token": "t", "scope": { "selectedTables": ["tags"], "mode": "upsert" } });
    let err = MigrationRequest::parse(&body.to_string(), Route::Run).unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(err.to_string(), "scope.mode must be add or merge, not \"upsert\"");
}

#[test]
fn a_reference_the_destination_cannot_have_is_merged_as_null_and_then_left_alone() {
    let (mut host, fake) = pair();
    // Only articles: their authors and categories stay on the source, so those references go in
    // as null, on create and on merge alike.
    let merge = || options(json!({ "selectedTables": ["articles"], "mode": "merge" }));
    assert_eq!(run(&host, &fake, &merge()).unwrap().status, RunStatus::Completed);
    assert!(fake.rows("articles").iter().all(|a| a["author"].is_null()));
    let before = fake.writes().len();
    let again = run(&host, &fake, &merge()).unwrap();
    assert_eq!((table(&again, "articles").updated, table(&again, "articles").unchanged), (0, 5));
    assert_eq!(fake.writes().len(), before, "a nulled reference is not a difference");

    let article = host.tables.get_mut("articles").unwrap().iter_mut().find(|r| r["id"] == json!(1)).unwrap();
    article.insert("title".into(), json!("One, edited"));
    let edited = run(&host, &fake, &merge()).unwrap();
    assert_eq!((table(&edited, "articles").updated, table(&edited, "articles").unchanged), (1, 4));
    let one = by_id(fake.rows("articles"), json!(1));
    assert_eq!((one["title"].clone(), one["author"].clone()), (json!("One, edited"), Value::Null));
}
