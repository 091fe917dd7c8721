//! Rows: order, exactness, re-runs, refusals, incremental runs, failures of the destination.

use serde_json::{json, Value};

use super::*;
use crate::commands::request::{MigrationRequest, Route};
use crate::runs::progress::Event;
use crate::runs::report::RunStatus;

#[test]
fn moves_every_table_exactly_in_an_order_the_destination_accepts() {
    let (host, fake) = pair();
    let report = run(&host, &fake, &options(json!({ "excludedTables": user_tables_only(), "batchSize": 2 }))).unwrap();
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
    let again = run(&host, &fake, &options(json!({ "excludedTables": user_tables_only() }))).unwrap();
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
    let report =
        run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"], "batchSize": 5 })))
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
fn references_to_rows_the_run_wrote_need_no_lookup() {
    let (host, fake) = pair();
    // With updatedAfter every reference is checked on the destination.
    let scope = json!({ "selectedTables": ["articles", "authors", "categories"], "updatedAfter": "2000-01-01" });
    let report = run(&host, &fake, &options(scope)).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);
    let log = fake.log.borrow();
    // The articles' page: from their existence check to their insert.
    let from = log.iter().position(|l| l == "GET /items/articles").unwrap();
    let to = log.iter().position(|l| l == "POST /items/articles").unwrap();
    let page = &log[from..to];
    assert!(
        !page.iter().any(|l| l == "GET /items/authors" || l == "GET /items/categories"),
        "authors and categories were written first: the articles' references to them are known: {page:?}"
    );
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
    ];
    for (scope, message) in cases {
        let host = source();
        let fake = Rc::new(destination());
        let err = run(&host, &fake, &options(scope.clone())).unwrap_err();
        assert_eq!(err.status(), 400, "{scope}");
        assert!(err.to_string().contains(message), "{err}");
        assert!(host.events.borrow().is_empty() && fake.log.borrow().is_empty(), "{scope}");
    }
    // Values out of range are refused as the body is parsed (see `request.rs`), and by the
    // options of a request built otherwise.
    for (scope, message) in [
        (r#"{"batchSize":0}"#, "scope.batchSize must be between 1 and 5000"),
        (r#"{"selectedTables":["articles"],"updatedAfter":"last week"}"#, "scope.updatedAfter is not a valid"),
    ] {
        let body = format!(r#"{{"scope":{scope}}}"#);
        assert!(MigrationRequest::parse(&body, Route::Run).unwrap_err().to_string().contains(message), "{scope}");
        let request = MigrationRequest { scope: serde_json::from_str(scope).unwrap(), ..MigrationRequest::default() };
        assert!(MigrateOptions::from_request(&request, false).unwrap_err().to_string().contains(message), "{scope}");
    }
}

#[test]
fn every_refused_row_is_counted_though_only_the_first_thousand_are_kept() {
    let (mut host, fake) = pair();
    let articles =
        (1..=1_005).map(|id| json!({ "id": id, "title": "bad", "author": null, "category": null, "cover": null }));
    host.tables.insert("articles".into(), table(Value::Array(articles.collect())));
    let scope = json!({ "selectedTables": ["articles", "authors", "categories"], "preserveCreated": false });
    let report = run(&host, &fake, &options(scope)).unwrap();
    let articles = report.tables.iter().find(|t| t.collection == "articles").unwrap();
    assert_eq!(articles.failed, 1_005);
    assert_eq!(report.failure_count, report.tables.iter().map(|t| t.failed).sum::<u64>(), "all of them");
    assert!(report.failure_count > 1_005, "and the author whose favourite article never arrived");
    assert_eq!(report.failures.len(), 1_000);
    let streamed = host.events.borrow().iter().filter(|e| matches!(e, Event::RowFailed { .. })).count();
    assert_eq!(streamed as u64, report.failure_count, "every one is streamed");
}

#[test]
fn a_re_run_after_a_run_that_stopped_half_way_repairs_held_back_references() {
    // Every category is created, then the destination goes away before the second pass sets the
    // parents: the tree is left flat.
    let host = source();
    let fake = Rc::new(destination().outage_after(3));
    let scope = json!({ "selectedTables": ["categories"], "batchSize": 2, "concurrency": 1 });
    let stopped = run(&host, &fake, &options(scope.clone())).unwrap();
    assert_eq!(stopped.status, RunStatus::Failed);
    assert_eq!(fake.rows("categories").len(), 5);
    assert!(fake.rows("categories").iter().all(|c| c["parent"].is_null()), "the second pass never ran");

    fake.recover();
    let again = run(&host, &fake, &options(scope)).unwrap();
    assert_eq!(again.status, RunStatus::Completed, "{:?}", again.error);
    assert_eq!(fake.rows("categories"), host.tables["categories"], "the tree is whole again");
    let categories = &again.tables[0];
    assert_eq!((categories.created, categories.skipped, categories.repaired), (0, 5, 4));
    let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
    assert!(
        lines.iter().any(|l| l == "categories: repairing parent on 4 row(s) an earlier run left unset"),
        "{lines:?}"
    );
    assert!(again.message.starts_with("Migration completed"));

    let third = run(&host, &fake, &options(json!({ "selectedTables": ["categories"] }))).unwrap();
    assert_eq!(third.tables[0].repaired, 0, "nothing left to repair");
}

#[test]
fn a_dry_run_counts_the_references_it_would_repair() {
    let host = source();
    let fake = Rc::new(destination());
    fake.insert("categories", json!([{ "id": 1, "parent": null }, { "id": 5, "parent": null }]));
    let mut options = options(json!({ "selectedTables": ["categories"] }));
    options.dry_run = true;
    let report = run(&host, &fake, &options).unwrap();
    assert_eq!(report.tables[0].repaired, 1, "category 1's parent is 5 on the source, unset here");
    assert!(fake.writes().is_empty());
}
