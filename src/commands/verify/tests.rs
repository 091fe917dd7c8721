//! The verification against the in-memory source and destination of the run's tests: identical
//! after a run over either transport, then every kind of difference named.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use futures::executor::block_on;
use serde_json::{json, Value};

use super::*;
use crate::commands::migrate::tests::{destination as fake_destination, options, pair_with, run, user_tables_only};
use crate::commands::run::run_and_verify;
use crate::destination::DestinationConfig;
use crate::host::memory::{sha256, MemoryHost};
use crate::pipeline::schema::fixtures::publishing;
use crate::runs::report::Delivery;
use crate::shared::http::HttpResponse;
use crate::shared::runtime::fake::FakeClock;
use crate::testing::fake_directus::FakeDirectus;
use crate::testing::MemoryStore;

type Bytes = Rc<RefCell<BTreeMap<String, Vec<u8>>>>;

/// A source with file bytes, a destination whose assets are `bytes` (filled after the run).
fn setup(bulk: bool) -> (MemoryHost, Rc<FakeDirectus>, Bytes) {
    let mut fake = fake_destination().with_snapshot(&publishing());
    if bulk {
        fake = fake.with_receiver(receiving_store());
    }
    let (mut host, fake) = pair_with(fake);
    for id in ["f-photo", "f-doc", "f-big", "f-unused"] {
        host.file_bytes.insert(id.into(), format!("bytes of {id}").into_bytes());
    }
    let bytes: Bytes = Rc::default();
    let assets = Rc::clone(&bytes);
    host.downloader = Some(Box::new(move |download| {
        let id = download.url.rsplit('/').next().unwrap().to_string();
        Ok(match assets.borrow().get(&id) {
            Some(content) => HttpResponse {
                status: 200,
                body: serde_json::to_string(&sha256(content)).unwrap(),
                ..HttpResponse::default()
            },
            None => HttpResponse {
                status: 403,
                body: r#"{"errors":[{"message":"Forbidden","extensions":{"code":"FORBIDDEN"}}]}"#.into(),
                ..HttpResponse::default()
            },
        })
    }));
    (host, fake, bytes)
}

fn receiving_store() -> MemoryStore {
    MemoryStore::with_tables_of(&publishing())
}

/// Run everything, then give the destination the same file bytes as the source.
fn migrated(bulk: bool) -> (MemoryHost, Rc<FakeDirectus>, Bytes) {
    let (host, fake, bytes) = setup(bulk);
    let report = run(&host, &fake, &options(json!({ "excludedTables": user_tables_only() }))).unwrap();
    assert_eq!(report.transport, if bulk { Delivery::Bulk } else { Delivery::Rest });
    for file in fake.rows("directus_files") {
        let id = file["id"].as_str().unwrap().to_string();
        bytes.borrow_mut().insert(id.clone(), host.file_bytes[&id].clone());
    }
    (host, fake, bytes)
}

fn check(host: &MemoryHost, fake: &Rc<FakeDirectus>, scope: Value) -> Verification {
    let clock = FakeClock::default();
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), &**fake, &clock).unwrap();
    block_on(verify(host, &destination, &options(scope))).unwrap()
}

fn table<'v>(answer: &'v Verification, name: &str) -> &'v TableVerification {
    answer.tables.iter().find(|t| t.collection == name).unwrap()
}

fn rows_of(fake: &FakeDirectus, bulk: bool, name: &str) -> Vec<crate::shared::rows::Row> {
    if bulk {
        fake.store().rows(name)
    } else {
        fake.rows(name)
    }
}

#[test]
fn after_a_run_both_transports_verify_identical_and_write_nothing() {
    for bulk in [false, true] {
        let (host, fake, _) = migrated(bulk);
        let writes = fake.log.borrow().len();
        let answer = check(&host, &fake, json!({ "excludedTables": user_tables_only() }));
        assert_eq!(answer.status, Verdict::Identical, "bulk {bulk}: {}\n{:#?}", answer.message, answer.tables);
        for t in &answer.tables {
            assert_eq!(t.digest.source, t.digest.destination, "{}", t.collection);
            assert_eq!(t.checked, host.tables[&t.collection].len() as u64, "{}", t.collection);
        }
        assert_eq!(table(&answer, "authors").nulled_by_design, 1, "the user only the source has");
        assert_eq!((answer.files.checked, answer.files.identical), (3, 3));
        let requests: Vec<String> = fake.log.borrow()[writes..].to_vec();
        assert!(
            requests.iter().all(|r| r.starts_with("GET") || r == "POST /migration/receive/rows-by-key"),
            "{requests:?}"
        );
        let date_updated = answer.notes.iter().any(|n| n.starts_with("articles: date_updated not compared"));
        assert_eq!(date_updated, !bulk, "{:?}", answer.notes);
    }
}

#[test]
fn names_changed_missing_and_extra_rows_and_changed_files() {
    for bulk in [false, true] {
        let (host, fake, bytes) = migrated(bulk);
        let mut rows = rows_of(&fake, bulk, "articles");
        rows.retain(|r| r["id"] != json!(2));
        rows.iter_mut().find(|r| r["id"] == json!(3)).unwrap().insert("title".into(), json!("Changed"));
        rows.push(json!({ "id": 99, "title": "Theirs" }).as_object().unwrap().clone());
        if bulk {
            fake.store().tables.borrow_mut().insert("articles".into(), rows);
        } else {
            let mut tables = fake.tables.borrow_mut();
            tables.insert(
                "articles".into(),
                rows.into_iter().map(|r| (crate::shared::rows::key_text(&r["id"]), r)).collect(),
            );
        }
        bytes.borrow_mut().insert("f-doc".into(), b"other bytes".to_vec());
        bytes.borrow_mut().remove("f-photo");
        fake.insert("directus_files", json!([{ "id": "f-big", "filesize": 17 }]));

        let answer = check(&host, &fake, json!({ "excludedTables": user_tables_only(), "batchSize": 2 }));
        assert_eq!(answer.status, Verdict::Differs);
        let articles = table(&answer, "articles");
        assert_eq!(
            (articles.status, articles.missing, articles.different, articles.extra),
            (Verdict::Differs, 1, 1, 1)
        );
        let reasons: Vec<(Value, &str)> =
            articles.first_differences.iter().map(|d| (d.key.clone(), d.reason.as_str())).collect();
        assert_eq!(reasons, vec![(json!(2), "missing on the destination"), (json!(3), "differs in title")]);
        assert_ne!(articles.digest.source, articles.digest.destination);
        assert_eq!(table(&answer, "tags").status, Verdict::Identical);
        assert_eq!(answer.files.differs, 3);
        let files: Vec<(String, String)> =
            answer.files.first_differences.iter().map(|d| (d.key.as_str().unwrap().into(), d.reason.clone())).collect();
        assert!(files.iter().any(|(id, why)| id == "f-doc" && why.starts_with("content differs: sha256")), "{files:?}");
        assert!(files.iter().any(|(id, why)| id == "f-photo" && why == "missing on the destination (no asset)"));
        assert!(files
            .contains(&("f-big".into(), "size differs: 52428800 bytes on the source, 17 on the destination".into())));
        assert!(
            answer.message.starts_with("Verification differs: 1 of 9 collection(s) differ: articles (differs)"),
            "{}",
            answer.message
        );
    }
}

#[test]
fn a_destination_with_rows_of_its_own_contains_the_source() {
    let (host, fake, _) = migrated(false);
    fake.insert("tags", json!([{ "id": 50, "name": "theirs" }]));
    let answer = check(&host, &fake, json!({ "selectedTables": ["tags"] }));
    let tags = table(&answer, "tags");
    assert_eq!((tags.status, tags.extra, tags.destination_rows), (Verdict::Contains, 1, 3));
    assert_eq!(answer.status, Verdict::Contains);
}

#[test]
fn a_collection_the_destination_lacks_is_reported_not_refused() {
    let mut theirs = publishing();
    theirs.collections.retain(|c| c.collection != "tags");
    let (host, fake) = pair_with(fake_destination().with_snapshot(&theirs));
    let answer = check(&host, &fake, json!({ "selectedTables": ["tags", "languages"] }));
    let tags = table(&answer, "tags");
    assert_eq!((tags.status, tags.missing), (Verdict::Missing, 2));
    assert_eq!(table(&answer, "languages").missing, 2, "nothing migrated yet");
    assert_eq!(answer.status, Verdict::Differs);
}

#[test]
fn scope_verify_puts_the_verification_in_the_run_report() {
    let (host, fake, _) = setup(false);
    let clock = FakeClock::default();
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), &*fake, &clock).unwrap();
    let with = options(json!({ "selectedTables": ["tags", "languages"], "verify": true }));
    let report = block_on(run_and_verify(&host, &destination, &with)).unwrap();
    let verification = report.verification.as_ref().unwrap();
    assert_eq!(verification.status, Verdict::Identical, "{}", verification.message);
    assert!(report.message.ends_with(&verification.message), "{}", report.message);
    // The verification compares the run's own plan: the source is not planned again.
    assert_eq!(host.snapshots.get(), 1, "one schema snapshot for the run and its verification");
    assert_eq!(host.counts.borrow().len(), 2, "one count per table: {:?}", host.counts.borrow());
    let dry = MigrateOptions { dry_run: true, ..with };
    let report = block_on(run_and_verify(&host, &destination, &dry)).unwrap();
    assert!(report.verification.is_none());
    assert_eq!(report.warnings, vec!["scope.verify is ignored on a dry run: nothing was written to verify"]);
}

#[test]
fn a_float_one_ulp_off_on_the_destination_differs() {
    use crate::commands::migrate::tests::{pair_with_host, source};
    let mut schema = publishing();
    let weight = json!({ "collection": "tags", "field": "weight", "type": "float", "meta": {},
                         "schema": { "name": "weight", "table": "tags", "data_type": "real" } });
    schema.fields.push(serde_json::from_value(weight).unwrap());
    for bulk in [false, true] {
        let mut fake = fake_destination().with_snapshot(&schema);
        if bulk {
            fake = fake.with_receiver(MemoryStore::with_tables_of(&schema));
        }
        let mut host = source();
        host.snapshot = Some(schema.clone());
        for (i, tag) in host.tables.get_mut("tags").unwrap().iter_mut().enumerate() {
            tag.insert("weight".into(), json!(f64::from(i as u32 + 90) + 2.0 / 7.0));
        }
        let (host, fake) = pair_with_host(host, fake);
        run(&host, &fake, &options(json!({ "selectedTables": ["tags"] }))).unwrap();
        let answer = check(&host, &fake, json!({ "selectedTables": ["tags"] }));
        assert_eq!(answer.status, Verdict::Identical, "bulk {bulk}: {}", answer.message);

        let mut rows = rows_of(&fake, bulk, "tags");
        let second = rows.iter_mut().find(|r| r["id"] == json!(2)).unwrap();
        let stored = second["weight"].as_f64().unwrap();
        assert_eq!(stored, 91.0 + 2.0 / 7.0, "bulk {bulk}: the run moved it exactly");
        second.insert("weight".into(), json!(f64::from_bits(stored.to_bits() - 1)));
        if bulk {
            fake.store().tables.borrow_mut().insert("tags".into(), rows);
        } else {
            let mut tables = fake.tables.borrow_mut();
            tables.insert(
                "tags".into(),
                rows.into_iter().map(|r| (crate::shared::rows::key_text(&r["id"]), r)).collect(),
            );
        }
        let answer = check(&host, &fake, json!({ "selectedTables": ["tags"] }));
        assert_eq!(answer.status, Verdict::Differs, "bulk {bulk}: {}", answer.message);
        let tags = table(&answer, "tags");
        let reasons: Vec<(Value, &str)> =
            tags.first_differences.iter().map(|d| (d.key.clone(), d.reason.as_str())).collect();
        assert_eq!(reasons, vec![(json!(2), "differs in weight")], "bulk {bulk}");
        assert_ne!(tags.digest.source, tags.digest.destination, "bulk {bulk}");
    }
}
