//! Checkpoints and resumes: a run announces, table by table, the prefix of pages it has fully
//! written; a run resumed from those checkpoints reads only what comes after, and ends with the
//! same rows on the destination as a run never interrupted.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use serde_json::json;

use super::*;
use crate::pipeline::data::TableCheckpoint;
use crate::runs::report::RunStatus;
use crate::shared::http::{HttpRequest, Method, Transport, TransportError};

const ROWS: u64 = 50;

/// `ROWS` categories, each the child of the next (`parent = id + 1`): every parent is held back
/// in the first pass, as none exists when its child is written. And two tags.
fn source_tree() -> MemoryHost {
    let mut host = MemoryHost::with_snapshot(publishing());
    let rows = (1..=ROWS).map(|id| json!({ "id": id, "parent": if id == ROWS { Value::Null } else { json!(id + 1) } }));
    host.tables.insert("categories".into(), table(Value::Array(rows.collect())));
    host.tables.insert("tags".into(), table(json!([{ "id": 1, "name": "rust" }, { "id": 2, "name": "wasm" }])));
    host
}

fn scope(tables: &[&str]) -> Value {
    json!({ "selectedTables": tables, "batchSize": 5, "concurrency": 3 })
}

fn checkpoints(host: &MemoryHost, collection: &str) -> Vec<TableCheckpoint> {
    let events = host.events.borrow();
    events
        .iter()
        .filter_map(|e| match e {
            Event::Checkpoint { collection: c, checkpoint } if c == collection => Some(checkpoint.clone()),
            _ => None,
        })
        .collect()
}

/// The resume a job builds from a run's events: the last checkpoint of each collection.
fn resume_from(host: &MemoryHost) -> Resume {
    let mut resume = Resume::default();
    for event in host.events.borrow().iter() {
        if let Event::Checkpoint { collection, checkpoint } = event {
            resume.tables.insert(collection.clone(), checkpoint.clone());
        }
    }
    resume
}

/// The reads of `collection` since the last call: (cursor asked after, rows returned).
fn reads(host: &MemoryHost, collection: &str) -> Vec<(Option<Value>, usize)> {
    let reads = std::mem::take(&mut *host.reads.borrow_mut());
    reads.into_iter().filter(|(c, _, _)| c == collection).map(|(_, after, rows)| (after, rows)).collect()
}

fn parents(fake: &FakeDirectus) -> BTreeMap<String, Value> {
    fake.rows("categories").iter().map(|r| (r["id"].to_string(), r["parent"].clone())).collect()
}

fn parents_on(host: &MemoryHost) -> BTreeMap<String, Value> {
    host.tables["categories"].iter().map(|r| (r["id"].to_string(), r["parent"].clone())).collect()
}

fn unset_parents(fake: &FakeDirectus) -> usize {
    fake.rows("categories").iter().filter(|r| r["parent"].is_null()).count()
}

/// A future that is pending `0` more times, then ready.
struct Yield(u32);

impl Future for Yield {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The destination, where every third insert of categories takes a while: pages complete out
/// of order.
struct Slow<'f> {
    fake: &'f FakeDirectus,
    inserts: Cell<u32>,
}

impl Transport for &Slow<'_> {
    async fn send(&self, request: &HttpRequest, token: Option<&str>) -> Result<HttpResponse, TransportError> {
        if request.method == Method::Post && request.url.contains("/items/categories") {
            let n = self.inserts.get();
            self.inserts.set(n + 1);
            Yield(if n % 3 == 0 { 20 } else { 0 }).await;
        }
        self.fake.send(request, token).await
    }
}

#[test]
fn checkpoints_follow_key_order_though_pages_complete_out_of_order() {
    let host = source_tree();
    let fake = destination();
    let slow = Slow { fake: &fake, inserts: Cell::new(0) };
    let clock = FakeClock::default();
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), &slow, &clock).unwrap();
    let report = block_on(migrate(&host, &destination, &options(scope(&["categories"])))).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);

    // Pages did complete out of order: a page's counts arrived without the prefix advancing.
    let events = host.events.borrow();
    let progress: Vec<&Event> =
        events.iter().filter(|e| matches!(e, Event::Rows { .. } | Event::Checkpoint { .. })).collect();
    let out_of_order = progress.windows(2).any(|w| matches!(w, [Event::Rows { .. }, Event::Rows { .. }]));
    assert!(out_of_order, "every page completed in order: the test proves nothing");
    drop(events);

    let all = checkpoints(&host, "categories");
    let (last, partial) = all.split_last().unwrap();
    let mut previous = 0;
    for checkpoint in partial.iter().filter(|c| !c.first_pass_done) {
        let after = checkpoint.after.as_ref().and_then(Value::as_u64).unwrap();
        assert!(after > previous, "checkpoints in key order: {after} after {previous}");
        assert_eq!(after % 5, 0, "a page's last key");
        assert_eq!((checkpoint.report.read, checkpoint.report.created), (after, after), "the prefix's counts");
        assert_eq!(checkpoint.held, after.min(ROWS - 1), "each of them has a parent but the last");
        previous = after;
    }
    let first_pass = &partial[partial.len() - 1];
    assert!(first_pass.first_pass_done && !first_pass.second_pass_done);
    assert_eq!((first_pass.after.clone(), first_pass.held), (Some(json!(ROWS)), ROWS - 1));
    assert!(last.first_pass_done && last.second_pass_done);
    assert_eq!(last.report, report.tables[0], "the last one carries the table's report");
    assert!(host.events.borrow().iter().filter(|e| matches!(e, Event::Checkpoint { .. })).all(|e| !e.is_progress()));
    let message = Event::Checkpoint { collection: "t".into(), checkpoint: partial[0].clone() }.message();
    assert_eq!(message, format!("t: checkpoint after {}", partial[0].after.clone().unwrap()));
}

#[test]
fn a_cancelled_run_resumes_after_its_checkpoint_and_sets_every_parent() {
    let mut host = source_tree();
    let fake = Rc::new(destination());
    let first = options(scope(&["tags", "categories"]));
    let cancel = first.cancel.clone();
    let seen = Cell::new(0);
    host.on_emit = Some(Box::new(move |event| {
        if matches!(event, Event::Checkpoint { collection, .. } if collection == "categories") {
            seen.set(seen.get() + 1);
            if seen.get() == 3 {
                cancel.cancel();
            }
        }
    }));
    let stopped = run(&host, &fake, &first).unwrap();
    assert_eq!(stopped.status, RunStatus::Cancelled);
    let resume = resume_from(&host);
    let checkpoint = resume.tables["categories"].clone();
    assert!(!checkpoint.first_pass_done);
    let after = checkpoint.after.as_ref().and_then(Value::as_u64).unwrap();
    assert!(after < ROWS, "stopped before the end: after {after}");
    assert_eq!(fake.rows("categories").len() as u64, after, "what was written is the prefix");
    assert!(unset_parents(&fake) as u64 >= after - 1, "the second pass never ran");
    let created_before = stopped.tables.iter().find(|t| t.collection == "categories").unwrap().created;

    host.on_emit = None;
    reads(&host, "categories");
    let again =
        run(&host, &fake, &MigrateOptions { resume: Some(resume), ..options(scope(&["tags", "categories"])) }).unwrap();
    assert_eq!(again.status, RunStatus::Completed, "{:?}", again.error);
    assert_eq!(parents(&fake), parents_on(&host), "every row once, every parent set");
    let categories = again.tables.iter().find(|t| t.collection == "categories").unwrap();
    assert_eq!((categories.read, categories.created, categories.skipped), (ROWS, ROWS, 0), "the totals");
    assert_eq!(created_before + (categories.created - checkpoint.report.created), ROWS);
    assert_eq!(categories.second_pass, ROWS - 1, "every parent set in the second pass");

    let categories_reads = reads(&host, "categories");
    let second_pass = categories_reads.iter().position(|(cursor, _)| cursor.is_none()).unwrap();
    let (first_pass, whole) = categories_reads.split_at(second_pass);
    assert_eq!(first_pass[0].0, Some(json!(after)), "the first pass starts after the checkpoint");
    assert_eq!(first_pass.iter().map(|(_, rows)| *rows as u64).sum::<u64>(), ROWS - after, "only the rest is read");
    assert_eq!(whole.iter().map(|(_, rows)| *rows as u64).sum::<u64>(), ROWS, "the second pass: the whole table");
    let rows = host.events.borrow().iter().rev().find_map(|e| match e {
        Event::Rows { collection, read, .. } if collection == "categories" => Some(*read),
        _ => None,
    });
    assert_eq!(rows, Some(ROWS), "the progress shows the totals");
}

#[test]
fn a_second_pass_that_failed_half_way_is_redone_on_resume() {
    // How many writes the first pass makes: the destination fails three writes later.
    let clean = source_tree();
    let counted = Rc::new(destination());
    let mut first_pass_only = options(scope(&["categories"]));
    first_pass_only.dry_run = false;
    run(&clean, &counted, &first_pass_only).unwrap();
    let inserts = counted.writes().iter().filter(|w| w.starts_with("POST")).count();

    let host = source_tree();
    let fake = Rc::new(destination().outage_after(inserts + 3));
    let failed = run(&host, &fake, &options(scope(&["categories"]))).unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    let unset = unset_parents(&fake);
    assert!(unset > 1 && unset < ROWS as usize, "the second pass stopped half way: {unset} parents unset");
    let resume = resume_from(&host);
    let checkpoint = &resume.tables["categories"];
    assert!(checkpoint.first_pass_done && !checkpoint.second_pass_done, "{checkpoint:?}");

    fake.recover();
    reads(&host, "categories");
    let again = run(&host, &fake, &MigrateOptions { resume: Some(resume), ..options(scope(&["categories"])) }).unwrap();
    assert_eq!(again.status, RunStatus::Completed, "{:?}", again.error);
    assert_eq!(parents(&fake), parents_on(&host), "every parent set");
    let read: Vec<_> = reads(&host, "categories");
    assert!(read.iter().filter(|(cursor, _)| cursor.is_none()).count() == 1, "read once, by the second pass");
    assert_eq!(read.iter().map(|(_, rows)| *rows as u64).sum::<u64>(), ROWS);
    assert_eq!((again.tables[0].created, again.tables[0].second_pass), (ROWS, unset as u64 - 1));
    let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
    assert!(lines.iter().any(|l| l.starts_with("First pass done categories: 50 read, 50 created")), "{lines:?}");
    assert!(checkpoints(&host, "categories").last().unwrap().second_pass_done);
}

#[test]
fn a_table_done_before_the_resume_is_not_read() {
    let host = source_tree();
    let fake = Rc::new(destination());
    let done = run(&host, &fake, &options(scope(&["tags", "categories"]))).unwrap();
    assert_eq!(done.status, RunStatus::Completed, "{:?}", done.error);
    let resume = resume_from(&host);
    assert!(resume.tables.values().all(|c| c.first_pass_done && c.second_pass_done));
    let writes = fake.writes().len();
    host.reads.borrow_mut().clear();

    let again =
        run(&host, &fake, &MigrateOptions { resume: Some(resume), ..options(scope(&["tags", "categories"])) }).unwrap();
    assert_eq!(again.status, RunStatus::Completed, "{:?}", again.error);
    assert!(reads(&host, "categories").is_empty() && reads(&host, "tags").is_empty(), "nothing read");
    assert_eq!(fake.writes().len(), writes, "nothing written");
    assert_eq!(again.tables, done.tables, "the stored reports as they were");
    let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
    let line = format!("Done {} (already done before the resume)", done.tables[0].line(false));
    assert!(lines.contains(&line), "{lines:?}");
}
