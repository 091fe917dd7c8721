//! Moving one collection: read a page (primary-key cursor), drop the rows the destination already
//! has, null references to missing rows, insert the rest in a batch, write back the fields Directus
//! overwrites on create. Up to `concurrency` pages are in flight while the next one is read, so
//! memory holds a bounded number of pages whatever the table's size.

use std::collections::HashSet;

use futures::future::LocalBoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use serde::Serialize;
use serde_json::Value;

use super::bulk::write_bulk;
use super::reader::PageReader;
use super::references::{key_text, null_missing, KnownKeys};
use super::writer::{write, Write};
use crate::destination::{Destination, DestinationError, Transport};
use crate::files::FileMover;
use crate::host::{Host, HostError, PageRequest, Row};
use crate::plan::TablePlan;
use crate::progress::{Event, Level};
use crate::receive::Mode;
use crate::report::{RowFailure, TableReport, MAX_REPORTED_FAILURES};
use crate::runtime::Clock;
use crate::CoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub batch_size: u32,
    pub concurrency: usize,
    pub dry_run: bool,
    /// Write back `date-created` / `user-created` values after the insert (an update per row).
    pub preserve_created: bool,
    pub delivery: Delivery,
}

/// How rows reach the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Directus' REST API: `POST /items`, values in the API's representation.
    Rest,
    /// The destination's bulk receiver: values in the database's representation, written
    /// straight into its tables.
    Bulk,
}

/// A table's result: its counts, the failures to keep, and the created rows whose held-back
/// references the second pass must set (`{key, deferred fields…}`).
#[derive(Debug, Default)]
pub struct TableOutcome {
    pub report: TableReport,
    pub failures: Vec<RowFailure>,
    pub pending: Vec<Row>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Default)]
struct PageOutcome {
    read: u64,
    created: u64,
    skipped: u64,
    nulled: u64,
    refused: Vec<(Value, String)>,
    pending: Vec<Row>,
    warnings: Vec<String>,
}

struct Mover<'a, H, T, C> {
    files: Option<&'a FileMover<'a, H, T, C>>,
    destination: &'a Destination<T, C>,
    table: &'a TablePlan,
    settings: &'a Settings,
    known: &'a KnownKeys,
}

fn pick<'f>(row: &Row, fields: impl IntoIterator<Item = &'f str>) -> Row {
    fields.into_iter().filter_map(|f| row.get(f).map(|v| (f.to_string(), v.clone()))).collect()
}

impl<H: Host, T: Transport, C: Clock> Mover<'_, H, T, C> {
    async fn existing(&self, rows: &[Row]) -> Result<HashSet<String>, DestinationError> {
        let key = &self.table.primary_key;
        if self.settings.delivery == Delivery::Bulk {
            let keys: Vec<Value> = rows.iter().filter_map(|r| r.get(key).cloned()).collect();
            let found = self.destination.receiver_existing(&self.table.collection, key, &keys).await?;
            return Ok(found.iter().map(key_text).collect());
        }
        if self.table.singleton {
            let found = self.destination.singleton_key(&self.table.collection, key).await?;
            return Ok(found.iter().map(key_text).collect());
        }
        let keys: Vec<Value> = rows.iter().filter_map(|r| r.get(key).cloned()).collect();
        Ok(self.destination.existing_keys(&self.table.collection, key, &keys).await?.iter().map(key_text).collect())
    }

    async fn move_page(&self, rows: Vec<Row>) -> Result<PageOutcome, CoreError> {
        let table = self.table;
        let key = table.primary_key.as_str();
        let existing = self.existing(&rows).await?;
        let read = rows.len() as u64;
        let (mut fresh, skipped): (Vec<Row>, Vec<Row>) =
            rows.into_iter().partition(|row| row.get(key).is_none_or(|k| !existing.contains(&key_text(k))));
        let mut outcome = PageOutcome { read, skipped: skipped.len() as u64, ..PageOutcome::default() };
        // Files first, so the rows that reference them find them.
        if let Some(files) = self.files {
            let ids = FileMover::<H, T, C>::referenced(&table.file_references(), &fresh);
            if !ids.is_empty() {
                files.ensure(ids).await?;
            }
        }
        outcome.nulled = null_missing(self.destination, self.known, &table.checked, &mut fresh).await?;
        if self.settings.dry_run || fresh.is_empty() {
            outcome.created = fresh.len() as u64;
            return Ok(outcome);
        }

        // Held-back references go in as null (the source's own value when it is null).
        let held_back = |mut row: Row| {
            row.extend(table.deferred.iter().map(|d| (d.field.clone(), Value::Null)));
            row
        };
        let written = match self.settings.delivery {
            Delivery::Rest => {
                let mode = if table.singleton { Write::Singleton } else { Write::Create };
                let inserts =
                    fresh.iter().map(|row| held_back(table.api_values(pick(row, table.insert_fields())))).collect();
                write(self.destination, mode, &table.collection, key, inserts).await?
            }
            Delivery::Bulk => {
                let inserts = fresh.iter().map(|row| held_back(row.clone())).collect();
                write_bulk(self.destination, Mode::Create, &table.collection, key, &table.bulk_columns(), inserts)
                    .await?
            }
        };
        outcome.created = written.keys.len() as u64;
        outcome.skipped += written.skipped.len() as u64;
        outcome.refused = written.refused;
        let landed: HashSet<String> = written.keys.iter().map(key_text).collect();
        let created: Vec<&Row> =
            fresh.iter().filter(|row| row.get(key).is_some_and(|k| landed.contains(&key_text(k)))).collect();

        // Directus sets date-created / user-created on create; the originals go back with an update.
        // (A bulk copy writes them as they are.)
        let rest = self.settings.delivery == Delivery::Rest;
        if rest && self.settings.preserve_created && !table.created_fields.is_empty() && !created.is_empty() {
            let fields = std::iter::once(key).chain(table.created_fields.iter().map(String::as_str));
            let fields: Vec<&str> = fields.collect();
            let patches = created.iter().map(|row| pick(row, fields.iter().copied())).collect();
            let mode = if table.singleton { Write::Singleton } else { Write::Update };
            let patched = write(self.destination, mode, &table.collection, key, patches).await?;
            for (row_key, message) in patched.refused {
                outcome.warnings.push(format!(
                    "{} {row_key}: {} not preserved: {message}",
                    table.collection,
                    table.created_fields.join(", ")
                ));
            }
        }

        let deferred = table.deferred_fields();
        if !deferred.is_empty() {
            let wanted = std::iter::once(key).chain(deferred.iter().copied());
            let wanted: Vec<&str> = wanted.collect();
            outcome.pending = created
                .iter()
                .filter(|row| deferred.iter().any(|f| row.get(*f).is_some_and(|v| !v.is_null())))
                .map(|row| pick(row, wanted.iter().copied()))
                .collect();
        }
        Ok(outcome)
    }
}

enum Step<'a, H> {
    Read(PageReader<'a, H>, Result<Option<Vec<Row>>, HostError>),
    Moved(Result<PageOutcome, CoreError>),
}

fn read_next<H: Host>(mut reader: PageReader<'_, H>) -> LocalBoxFuture<'_, Step<'_, H>> {
    async move {
        let page = reader.next_page().await;
        Step::Read(reader, page)
    }
    .boxed_local()
}

/// Move every row of `table` that `filter` selects. A failure that stops the table (the source or
/// the destination became unusable) comes with what was done until then.
pub async fn migrate_table<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    table: &TablePlan,
    filter: Option<Value>,
    settings: &Settings,
    known: &KnownKeys,
    files: Option<&FileMover<'_, H, T, C>>,
) -> (TableOutcome, Option<CoreError>) {
    let started = destination.clock().now_ms();
    let mover = Mover { files, destination, table, settings, known };
    let request = PageRequest {
        collection: table.collection.clone(),
        primary_key: table.primary_key.clone(),
        fields: if settings.delivery == Delivery::Bulk { table.bulk_columns() } else { table.read_fields.clone() },
        after: None,
        limit: if table.singleton { 1 } else { settings.batch_size },
        filter,
        raw: settings.delivery == Delivery::Bulk,
        exact: table.big_integer_fields.clone(),
    };
    let mut outcome = TableOutcome { report: TableReport::new(&table.collection), ..TableOutcome::default() };
    let mut tasks: FuturesUnordered<LocalBoxFuture<'_, Step<'_, H>>> = FuturesUnordered::new();
    tasks.push(read_next(PageReader::new(host, request)));
    let mut moving = 0;
    let mut stopped: Option<CoreError> = None;
    let mut parked: Option<(PageReader<'_, H>, Vec<Row>)> = None;

    // After a failure no new page starts, but the pages in flight finish and are counted.
    while let Some(step) = tasks.next().await {
        match step {
            Step::Read(_, Ok(Some(_))) if stopped.is_some() => {}
            Step::Read(reader, Ok(Some(rows))) => {
                if moving < settings.concurrency.max(1) {
                    moving += 1;
                    tasks.push(mover.move_page(rows).map(Step::Moved).boxed_local());
                    tasks.push(read_next(reader));
                } else {
                    // One page read ahead waits for a free slot.
                    parked = Some((reader, rows));
                }
            }
            Step::Read(_, Ok(None)) => {}
            Step::Read(_, Err(error)) => {
                stopped.get_or_insert(error.into());
            }
            Step::Moved(result) => {
                moving -= 1;
                match result {
                    Ok(page) => merge(&mut outcome, page, table, host, settings.dry_run),
                    Err(error) => {
                        stopped.get_or_insert(error);
                    }
                }
                if stopped.is_some() {
                    parked = None;
                } else if let Some((reader, rows)) = parked.take() {
                    moving += 1;
                    tasks.push(mover.move_page(rows).map(Step::Moved).boxed_local());
                    tasks.push(read_next(reader));
                }
            }
        }
    }
    outcome.report.finish((destination.clock().now_ms() - started) / 1000.0);
    host.emit(&Event::TableDone { report: outcome.report.clone(), dry_run: settings.dry_run });
    (outcome, stopped)
}

fn merge<H: Host>(outcome: &mut TableOutcome, page: PageOutcome, table: &TablePlan, host: &H, dry_run: bool) {
    let collection = table.collection.as_str();
    let report = &mut outcome.report;
    report.read += page.read;
    report.created += page.created;
    report.skipped += page.skipped;
    report.references_nulled += page.nulled;
    report.failed += page.refused.len() as u64;
    for (key, message) in page.refused {
        host.emit(&Event::RowFailed { collection: collection.to_string(), key: key.clone(), message: message.clone() });
        if outcome.failures.len() < MAX_REPORTED_FAILURES {
            outcome.failures.push(RowFailure { collection: collection.to_string(), key, message });
        }
    }
    for warning in page.warnings {
        host.emit(&Event::log(Level::Warn, warning.clone()));
        if outcome.warnings.len() < MAX_REPORTED_FAILURES {
            outcome.warnings.push(warning);
        }
    }
    outcome.pending.extend(page.pending);
    host.emit(&Event::Rows {
        collection: collection.to_string(),
        total: table.rows.max(report.read),
        read: report.read,
        created: report.created,
        skipped: report.skipped,
        failed: report.failed,
        dry_run,
    });
}
