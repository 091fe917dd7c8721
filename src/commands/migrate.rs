//! `POST /migration/dry-run` and `POST /migration/run`: move the rows of the selected user tables.
//!
//! Validation, the plan and the schema guard come first, before any progress event, so a refusal
//! is a plain HTTP error. Once rows move, a failure stops the run and is reported in the final
//! report (`status: "failed"`) with everything done so far.

use std::collections::{BTreeMap, BTreeSet};

use super::request::MigrationRequest;
use super::schema_guard::ensure_schema_matches;
use crate::data::{changed_since, complete, migrate_table, parse_instant, KnownKeys, Settings};
use crate::destination::{Destination, Transport};
use crate::host::{CountRequest, Host};
use crate::plan::{self, Plan};
use crate::progress::Event;
use crate::report::RunReport;
use crate::runtime::Clock;
use crate::schema::{user_tables, validate_names, Snapshot};
use crate::CoreError;

pub const DEFAULT_BATCH_SIZE: u32 = 500;
pub const DEFAULT_CONCURRENCY: u32 = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct MigrateOptions {
    pub dry_run: bool,
    pub force: bool,
    pub selected: Option<Vec<String>>,
    pub excluded: Option<Vec<String>>,
    pub updated_after: Option<String>,
    pub batch_size: u32,
    pub concurrency: u32,
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
        Ok(MigrateOptions {
            dry_run,
            force: scope.force,
            selected: scope.selected_tables.clone(),
            excluded: scope.excluded_tables.clone(),
            updated_after: scope.updated_after.clone(),
            batch_size,
            concurrency,
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

/// Validate, plan (with row counts under the `updatedAfter` filter) and guard the schema.
async fn prepare<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<(Plan, BTreeMap<String, Option<serde_json::Value>>), CoreError> {
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
    Ok((plan, filters))
}

pub async fn migrate<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<RunReport, CoreError> {
    let started = destination.clock().now_ms();
    let (plan, mut filters) = prepare(host, destination, options).await?;

    let what = if options.dry_run { "Dry run of a migration" } else { "Migrating" };
    let total: u64 = plan.tables.iter().map(|t| t.rows).sum();
    host.emit(&Event::step(format!(
        "{what} of {} collection(s), {total} row(s), to {} (batches of {}, {} in flight)",
        plan.tables.len(),
        destination.base_url(),
        options.batch_size,
        options.concurrency
    )));
    for note in &plan.notes {
        host.emit(&Event::step(format!("Note: {note}")));
    }

    let settings = Settings {
        batch_size: options.batch_size,
        concurrency: options.concurrency as usize,
        dry_run: options.dry_run,
    };
    let mut report = RunReport::new(options.dry_run, plan.notes.clone());
    let known = KnownKeys::default();
    let outcome: Result<(), CoreError> = async {
        let mut second_pass = Vec::new();
        for table in &plan.tables {
            host.emit(&Event::step(format!("{}: {} row(s) to read", table.collection, table.rows)));
            let filter = filters.remove(&table.collection).flatten();
            let (outcome, stopped) = migrate_table(host, destination, table, filter, &settings, &known).await;
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
                complete(destination, table, pending, options.batch_size, options.updated_after.is_some()).await?;
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

    host.emit(&Event::step("Summary:"));
    for table in &report.tables {
        host.emit(&Event::step(format!("  {}", table.line(options.dry_run))));
    }
    report.finish((destination.clock().now_ms() - started) / 1000.0, outcome.err().map(|e| e.to_string()));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::{json, Value};

    use super::*;
    use crate::destination::DestinationConfig;
    use crate::host::memory::MemoryHost;
    use crate::report::RunStatus;
    use crate::runtime::fake::FakeClock;
    use crate::schema::fixtures::publishing;
    use crate::testing::fake_directus::FakeDirectus;

    fn table(rows: Value) -> Vec<crate::host::Row> {
        rows.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect()
    }

    /// The publishing sample: a tree whose children come before their parents, the authors ↔
    /// articles cycle, junctions, a singleton, and a `user_created` user only the source has.
    fn source() -> MemoryHost {
        let mut host = MemoryHost::with_snapshot(publishing());
        let t = |name: &str, rows: Value, host: &mut MemoryHost| {
            host.tables.insert(name.into(), table(rows));
        };
        t(
            "languages",
            json!([{ "code": "en-US", "name": "English" }, { "code": "ja-JP", "name": "日本語" }]),
            &mut host,
        );
        t(
            "authors",
            json!([
                { "id": "a1", "name": "Ada", "favorite_article": 3, "user_created": "u-shared" },
                { "id": "a2", "name": "Grace", "favorite_article": null, "user_created": "u-source-only" }
            ]),
            &mut host,
        );
        t(
            "categories",
            json!([
                { "id": 1, "parent": 5 }, { "id": 2, "parent": 1 }, { "id": 3, "parent": 1 }, { "id": 4, "parent": 2 }, { "id": 5, "parent": null }
            ]),
            &mut host,
        );
        t(
            "articles",
            json!([
                { "id": 1, "title": "One", "author": "a1", "category": 4, "date_created": "2020-01-01T00:00:00.000Z", "date_updated": null },
                { "id": 2, "title": "Two ✓", "author": "a2", "category": null, "date_created": "2021-06-01T00:00:00.000Z", "date_updated": "2026-02-01T00:00:00.000Z" },
                { "id": 3, "title": "Three", "author": null, "category": 1, "date_created": "2026-03-01T00:00:00.000Z", "date_updated": null },
                { "id": 4, "title": "Four", "author": "a1", "category": 5, "date_created": "2019-01-01T00:00:00.000Z", "date_updated": "2019-02-01T00:00:00.000Z" },
                { "id": 5, "title": "Five", "author": "a2", "category": 2, "date_created": "2018-01-01T00:00:00.000Z", "date_updated": null }
            ]),
            &mut host,
        );
        t("tags", json!([{ "id": 1, "name": "rust" }, { "id": 2, "name": "wasm" }]), &mut host);
        t(
            "articles_tags",
            json!([{ "id": 1, "articles_id": 1, "tags_id": 2 }, { "id": 2, "articles_id": 5, "tags_id": 1 }]),
            &mut host,
        );
        t("articles_translations", json!([{ "id": 1, "articles_id": 2, "languages_code": "ja-JP" }]), &mut host);
        t("site_settings", json!([{ "id": 1, "default_language": "ja-JP" }]), &mut host);
        host
    }

    fn destination() -> FakeDirectus {
        let fake = FakeDirectus::new(&[
            ("languages", "code"),
            ("authors", "id"),
            ("categories", "id"),
            ("articles", "id"),
            ("tags", "id"),
            ("articles_tags", "id"),
            ("articles_translations", "id"),
            ("site_settings", "id"),
            ("directus_users", "id"),
        ])
        .singleton("site_settings")
        .foreign_key("articles", "author", "authors")
        .foreign_key("articles", "category", "categories")
        .foreign_key("authors", "favorite_article", "articles")
        .foreign_key("authors", "user_created", "directus_users")
        .foreign_key("categories", "parent", "categories")
        .foreign_key("articles_tags", "articles_id", "articles")
        .foreign_key("articles_tags", "tags_id", "tags")
        .foreign_key("articles_translations", "articles_id", "articles")
        .foreign_key("articles_translations", "languages_code", "languages")
        .foreign_key("site_settings", "default_language", "languages")
        .rule(|collection, row| {
            (collection == "articles" && row.get("title") == Some(&json!("bad")))
                .then(|| "Title may not be \"bad\".".to_string())
        });
        fake.insert("directus_users", json!([{ "id": "u-shared" }, { "id": "migrating-admin" }]));
        fake
    }

    fn options(scope: Value) -> MigrateOptions {
        let request = MigrationRequest::parse(
            &json!({ "baseURL": "https://dest.example", "token": "t", "scope": scope }).to_string(),
        )
        .unwrap();
        MigrateOptions::from_request(&request, false).unwrap()
    }

    fn run(host: &MemoryHost, fake: &FakeDirectus, options: &MigrateOptions) -> Result<RunReport, CoreError> {
        let clock = FakeClock::default();
        let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), fake, &clock).unwrap();
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
        let host = source();
        let fake = destination();
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
    fn a_dry_run_reads_and_compares_but_writes_nothing() {
        let host = source();
        let fake = destination();
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
        let host = source();
        let fake = destination();
        fake.insert("languages", json!([{ "code": "en-US", "name": "Destination's own English" }]));
        let report = run(&host, &fake, &options(json!({ "selectedTables": ["languages"] }))).unwrap();
        assert_eq!(report.tables[0].skipped, 1);
        assert_eq!(fake.rows("languages")[0]["name"], json!("Destination's own English"));
        assert_eq!(fake.rows("languages").len(), 2);
    }

    #[test]
    fn a_refused_row_is_reported_and_the_others_land() {
        let mut host = source();
        host.tables.get_mut("articles").unwrap()[2].insert("title".into(), json!("bad"));
        let fake = destination();
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
        let host = source();
        let fake = destination();
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
    fn a_destination_that_goes_away_fails_the_run_with_what_was_done() {
        let host = source();
        let fake = destination().outage_after(3);
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
            let fake = destination();
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
