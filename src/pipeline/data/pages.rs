//! Reading one collection: pages in key order (primary-key cursor), up to `concurrency` of them
//! moving at once while the next one is read (each moved by [`super::table`]), so memory holds a
//! bounded number of pages whatever the table's size. Pages complete out of order; the prefix
//! fully written is tracked ([`Prefix`]) and announced as a checkpoint each time it grows.

use std::collections::BTreeMap;

use futures::future::LocalBoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use serde_json::Value;

use super::checkpoint::{add_counts, PageCounts, Prefix, TableCheckpoint};
use super::table::{Mover, PageOutcome};
use super::Context;
use crate::destination::sink::RowSink;
use crate::host::{Host, HostError, PageReader, PageRequest};
use crate::pipeline::plan::TablePlan;
use crate::runs::progress::Event;
use crate::runs::report::TableReport;
use crate::shared::http::Transport;
use crate::shared::rows::Row;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// A table's result: its counts, and what the second pass must do — how many created rows have a
/// held-back reference to set, how many rows already there an earlier run left incomplete (by
/// field), and how many pages were started. Counts, not rows: the second pass reads the rows
/// again. Only where rows already there are never written (Directus' users) are the created
/// rows kept (`{key, deferred fields…}`), the second pass having no other way to tell them.
/// A table resumed from a checkpoint counts the checkpoint's prefix too (`pages` excepted).
#[derive(Debug, Default)]
pub struct TableOutcome {
    pub report: TableReport,
    pub held: u64,
    pub pending: Vec<Row>,
    pub repairs: BTreeMap<String, u64>,
    pub pages: u64,
    /// Resumed from a checkpoint, on a table with held-back references: the second pass goes
    /// over the whole table whatever this run counted (the prefix's repairs are not known).
    pub resumed: bool,
    /// The checkpoint emitted when the first pass ended without a stop.
    pub checkpoint: Option<TableCheckpoint>,
}

impl TableOutcome {
    /// Whether the table's held-back references are left for a second pass.
    pub fn needs_second_pass(&self) -> bool {
        self.held > 0 || !self.repairs.is_empty() || self.resumed
    }
}

enum Step<'a, H> {
    Read(PageReader<'a, H>, Result<Option<Vec<Row>>, HostError>),
    /// A page moved, with its read order.
    Moved(u64, Result<PageOutcome, CoreError>),
}

fn read_next<H: Host>(mut reader: PageReader<'_, H>) -> LocalBoxFuture<'_, Step<'_, H>> {
    async move {
        let page = reader.next_page().await;
        Step::Read(reader, page)
    }
    .boxed_local()
}

/// Move every row of `table` that `filter` selects — after `resumed`'s key, when it resumes an
/// earlier run's checkpoint, counting that run's prefix too. A failure that stops the table (the
/// source or the destination became unusable) comes with what was done until then. Emits a
/// checkpoint each time the prefix of pages fully written grows, and once the first pass ends
/// without a stop.
pub async fn migrate_table<H: Host, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    table: &TablePlan,
    filter: Option<Value>,
    resumed: Option<&TableCheckpoint>,
) -> (TableOutcome, Option<CoreError>) {
    let Context { host, destination, options, batch_size, .. } = context;
    let sink = context.sink_for(table);
    let started = destination.clock().now_ms();
    let mover = Mover::new(context, table);
    let request = PageRequest {
        collection: table.collection.clone(),
        primary_key: table.primary_key.clone(),
        fields: table.columns(sink.representation()),
        after: resumed.and_then(|c| c.after.clone()),
        limit: if table.singleton { 1 } else { *batch_size },
        filter,
        raw: sink.raw_rows(),
        exact: [table.big_integer_fields.as_slice(), table.float_fields.as_slice()].concat(),
    };
    let mut prefix = Prefix::new(&table.collection, resumed);
    let mut outcome = TableOutcome {
        report: TableReport::new(&table.collection),
        held: resumed.map_or(0, |c| c.held),
        resumed: resumed.is_some() && !table.deferred.is_empty(),
        ..TableOutcome::default()
    };
    if let Some(resumed) = resumed {
        add_counts(&mut outcome.report, &resumed.report);
    }
    let earlier = resumed.map_or(0.0, |c| c.report.seconds);
    let seconds = || earlier + (destination.clock().now_ms() - started) / 1000.0;
    let mut tasks: FuturesUnordered<LocalBoxFuture<'_, Step<'_, H>>> = FuturesUnordered::new();
    tasks.push(read_next(PageReader::new(*host, request)));
    let mut moving = 0;
    let mut stopped: Option<CoreError> = None;
    let mut parked: Option<(PageReader<'_, H>, Vec<Row>)> = None;

    // After a failure no new page starts, but the pages in flight finish and are counted.
    while let Some(step) = tasks.next().await {
        match step {
            Step::Read(_, Ok(Some(_))) if stopped.is_some() => {}
            Step::Read(_, Ok(Some(_))) if options.cancel.is_cancelled() => {
                stopped = Some(CoreError::Cancelled);
            }
            Step::Read(reader, Ok(Some(rows))) => {
                if moving < (options.concurrency as usize).max(1) {
                    moving += 1;
                    outcome.pages += 1;
                    let page = prefix.start(reader.cursor().cloned());
                    tasks.push(mover.move_page(rows).map(move |moved| Step::Moved(page, moved)).boxed_local());
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
            Step::Moved(page, result) => {
                moving -= 1;
                match result {
                    Ok(moved) => {
                        let counts = merge(context, &mut outcome, moved, table);
                        if let Some(checkpoint) = prefix.done(page, counts, seconds()) {
                            let collection = table.collection.clone();
                            host.emit(&Event::Checkpoint { collection, checkpoint });
                        }
                    }
                    Err(error) => {
                        stopped.get_or_insert(error);
                    }
                }
                if stopped.is_some() || options.cancel.is_cancelled() {
                    stopped.get_or_insert(CoreError::Cancelled);
                    parked = None;
                } else if let Some((reader, rows)) = parked.take() {
                    moving += 1;
                    outcome.pages += 1;
                    let page = prefix.start(reader.cursor().cloned());
                    tasks.push(mover.move_page(rows).map(move |moved| Step::Moved(page, moved)).boxed_local());
                    tasks.push(read_next(reader));
                }
            }
        }
    }
    outcome.report.finish(seconds());
    let report = outcome.report.clone();
    host.emit(&Event::TableDone { report, dry_run: options.dry_run, stopped: stopped.is_some() });
    if stopped.is_none() {
        let second_pass_done = options.dry_run || !outcome.needs_second_pass();
        let checkpoint = prefix.finished(seconds(), second_pass_done);
        host.emit(&Event::Checkpoint { collection: table.collection.clone(), checkpoint: checkpoint.clone() });
        outcome.checkpoint = Some(checkpoint);
    }
    (outcome, stopped)
}

/// Count a page moved into `outcome` (and the progress); returns its own counts.
fn merge<H: Host, S, T, C>(
    context: &Context<'_, H, S, T, C>,
    outcome: &mut TableOutcome,
    page: PageOutcome,
    table: &TablePlan,
) -> PageCounts {
    let collection = table.collection.as_str();
    let counts = TableReport {
        read: page.read,
        created: page.created,
        skipped: page.skipped,
        references_nulled: page.nulled,
        mapped: page.mapped,
        updated: page.updated,
        unchanged: page.unchanged,
        failed: page.refused.len() as u64 + page.failed_elsewhere,
        ..TableReport::default()
    };
    let report = &mut outcome.report;
    add_counts(report, &counts);
    for (key, message) in page.refused {
        context.recorder.fail(collection, key, message);
    }
    outcome.held += page.held;
    outcome.pending.extend(page.pending);
    for (field, rows) in page.repairs {
        *outcome.repairs.entry(field).or_default() += rows;
    }
    context.host.emit(&Event::Rows {
        collection: collection.to_string(),
        total: table.rows.max(report.read),
        read: report.read,
        created: report.created,
        updated: report.updated,
        skipped: report.skipped,
        failed: report.failed,
        dry_run: context.options.dry_run,
    });
    PageCounts { report: counts, held: page.held }
}
