//! The first pass: every table in plan order, each read page by page and written with the files
//! it references first. What the second pass must do is counted (not kept) for it. A resumed run
//! (see [`Resume`]) skips what the interrupted run had done.

use super::prepare::Prepared;
use crate::destination::sink::RowSink;
use crate::host::Host;
use crate::pipeline::data::{migrate_table, Context, Held, TableCheckpoint};
use crate::pipeline::options::Resume;
use crate::pipeline::plan::TablePlan;
use crate::runs::artifacts::RunArtifacts;
use crate::runs::progress::Event;
use crate::runs::report::{RunReport, TableReport};
use crate::shared::http::Transport;
use crate::shared::rows::Row;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// One table whose held-back references the second pass sets: on rows created in this run, and
/// on rows already there but left incomplete by an earlier run. What it knows is counts (and,
/// for Directus' users only, the created rows themselves).
pub struct Pending<'p> {
    /// The table's place in the report.
    pub index: usize,
    pub table: &'p TablePlan,
    pub held: Held,
    /// Directus' users only: the created rows (`{key, deferred fields…}`).
    pub created: Vec<Row>,
    /// The table's checkpoint once its first pass is done (`None`: it stopped before its end):
    /// the second pass announces it with `secondPassDone` once it is done.
    pub checkpoint: Option<TableCheckpoint>,
}

/// What a resume says of one table.
enum Restored<'r> {
    /// Both passes were done: not read at all.
    Done(&'r TableCheckpoint),
    /// The first pass was done: only the second runs, over the whole table.
    FirstPassDone(&'r TableCheckpoint),
    /// Read from after the checkpoint's key.
    Partly(&'r TableCheckpoint),
}

/// What `resume` restores of `table`. Where the second pass needs the rows the first pass
/// created (`!table.repaired()`, Directus' users), only a table with both passes done is
/// restored: the others are redone from the start (rows already there are skipped).
fn restored<'r>(resume: Option<&'r Resume>, table: &TablePlan) -> Option<Restored<'r>> {
    let checkpoint = resume?.tables.get(&table.collection)?;
    match (checkpoint.first_pass_done, checkpoint.second_pass_done) {
        (true, true) => Some(Restored::Done(checkpoint)),
        _ if !table.repaired() => None,
        (true, false) => Some(Restored::FirstPassDone(checkpoint)),
        (false, _) => checkpoint.after.is_some().then_some(Restored::Partly(checkpoint)),
    }
}

/// Move every table; stops at the first table that cannot go on (the source or the destination
/// stopped working). Every table started is in the report, with what was done; what the second
/// pass must do comes back either way. Each table's rows go in a section of the `artifacts` as
/// they are read.
pub async fn first_pass<'p, H: Host, S: RowSink, T: Transport, C: Clock, A: Host, AC: Clock>(
    context: &Context<'_, H, S, T, C>,
    prepared: &'p Prepared,
    artifacts: &RunArtifacts<'_, A, AC>,
    resume: Option<&Resume>,
    report: &mut RunReport,
) -> (Vec<Pending<'p>>, Result<(), CoreError>) {
    let mut pending = Vec::new();
    for table in &prepared.plan.tables {
        if context.options.cancel.is_cancelled() {
            return (pending, Err(CoreError::Cancelled));
        }
        let filter = prepared.filters.get(&table.collection).cloned().flatten();
        let restored = restored(resume, table);
        if let Some(Restored::Done(checkpoint) | Restored::FirstPassDone(checkpoint)) = restored {
            let index = report.tables.len();
            report.tables.push(checkpoint.report.clone());
            announce_restored(context, table, checkpoint);
            if !checkpoint.second_pass_done {
                let held = Held { created: checkpoint.held, filter, ..Held::default() };
                let checkpoint = Some(checkpoint.clone());
                pending.push(Pending { index, table, held, created: Vec::new(), checkpoint });
            }
            continue;
        }
        let resumed = match restored {
            Some(Restored::Partly(checkpoint)) => {
                let collection = table.collection.clone();
                context.host.emit(&Event::Checkpoint { collection, checkpoint: checkpoint.clone() });
                Some(checkpoint)
            }
            _ => None,
        };
        context.host.emit(&Event::step(format!("{}: {} row(s) to read", table.collection, table.rows)));
        artifacts.begin_table(table).await;
        let (outcome, stopped) = migrate_table(context, table, filter.clone(), resumed).await;
        artifacts.end_table().await;
        let index = report.tables.len();
        report.tables.push(outcome.report.clone());
        if outcome.needs_second_pass() {
            if context.options.dry_run {
                if let Some(table) = report.tables.get_mut(index) {
                    table.repaired = outcome.repairs.values().sum();
                }
            } else {
                // A resumed table's pages of this run do not start at its first: where it stopped
                // again, the second pass goes over the whole table.
                let pages = stopped.as_ref().filter(|_| resumed.is_none()).map(|_| outcome.pages);
                let held = Held { created: outcome.held, repairs: outcome.repairs, filter, pages };
                let checkpoint = outcome.checkpoint;
                pending.push(Pending { index, table, held, created: outcome.pending, checkpoint });
            }
        }
        if let Some(error) = stopped {
            return (pending, Err(error));
        }
    }
    (pending, Ok(()))
}

/// A table restored from the resume, not read: its counts, its line, and its checkpoint again
/// (so that the last checkpoint of every table is among this run's events too).
fn announce_restored<H: Host, S, T, C>(
    context: &Context<'_, H, S, T, C>,
    table: &TablePlan,
    checkpoint: &TableCheckpoint,
) {
    let TableReport { read, created, updated, skipped, failed, .. } = checkpoint.report;
    let collection = table.collection.clone();
    let total = table.rows.max(read);
    context.host.emit(&Event::Rows { collection, total, read, created, updated, skipped, failed, dry_run: false });
    let line = checkpoint.report.line(false);
    let what = if checkpoint.second_pass_done { "Done" } else { "First pass done" };
    context.host.emit(&Event::step(format!("{what} {line} (already done before the resume)")));
    context.host.emit(&Event::Checkpoint { collection: table.collection.clone(), checkpoint: checkpoint.clone() });
}
