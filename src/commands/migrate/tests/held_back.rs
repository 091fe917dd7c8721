//! Held-back references on a large tree: the second pass keeps at most a page of them in memory,
//! whatever the table's size.

use serde_json::json;

use super::*;
use crate::pipeline::data::gauge;
use crate::runs::report::RunStatus;

const ROWS: u64 = 5_000;
const BATCH: u64 = 100;

/// A tree of `ROWS` categories where every child comes before its parent (`parent = id + 1`, a
/// chain), so no parent exists when its children are first written.
fn tree() -> MemoryHost {
    let mut host = MemoryHost::with_snapshot(publishing());
    let rows = (1..=ROWS).map(|id| json!({ "id": id, "parent": if id == ROWS { Value::Null } else { json!(id + 1) } }));
    host.tables.insert("categories".into(), table(Value::Array(rows.collect())));
    host
}

/// How many categories of the destination do not have the source's parent (or are missing).
fn wrong_parents(host: &MemoryHost, fake: &FakeDirectus) -> usize {
    let there: BTreeMap<String, Value> =
        fake.rows("categories").iter().map(|r| (r["id"].to_string(), r["parent"].clone())).collect();
    host.tables["categories"].iter().filter(|r| there.get(&r["id"].to_string()) != Some(&r["parent"])).count()
}

fn scope() -> Value {
    json!({ "selectedTables": ["categories"], "batchSize": BATCH, "concurrency": 2 })
}

#[test]
fn a_large_tree_keeps_at_most_a_page_of_held_back_references() {
    let host = tree();
    let fake = Rc::new(destination());
    gauge::take_peak();
    let report = run(&host, &fake, &options(scope())).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(wrong_parents(&host, &fake), 0, "every parent is set");
    assert_eq!(report.tables[0].second_pass, ROWS - 1);
    let peak = gauge::take_peak();
    assert!(peak > 0, "the second pass ran");
    assert!(peak as u64 <= BATCH, "{peak} held-back entries kept at once, more than a page of {BATCH}");
}

#[test]
fn a_re_run_of_a_large_flat_tree_repairs_it_a_page_at_a_time() {
    let host = tree();
    let fake = Rc::new(destination());
    let flat: Vec<Value> = (1..=ROWS).map(|id| json!({ "id": id, "parent": null })).collect();
    fake.insert("categories", Value::Array(flat));
    gauge::take_peak();
    let report = run(&host, &fake, &options(scope())).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(wrong_parents(&host, &fake), 0, "the tree is whole again");
    assert_eq!((report.tables[0].skipped, report.tables[0].repaired), (ROWS, ROWS - 1));
    let peak = gauge::take_peak();
    assert!(peak > 0 && peak as u64 <= BATCH, "{peak} held-back entries kept at once");
}

#[test]
fn rows_created_and_rows_repaired_are_told_apart_by_the_first_pass_counts() {
    let host = tree();
    let fake = Rc::new(destination());
    let half: Vec<Value> = (1..=ROWS / 2).map(|id| json!({ "id": id, "parent": null })).collect();
    fake.insert("categories", Value::Array(half));
    let report = run(&host, &fake, &options(scope())).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(wrong_parents(&host, &fake), 0);
    let categories = &report.tables[0];
    assert_eq!((categories.created, categories.skipped), (ROWS / 2, ROWS / 2));
    assert_eq!((categories.second_pass, categories.repaired), (ROWS / 2 - 1, ROWS / 2), "the last has no parent");
}
