//! The first pass: every table in plan order, each read page by page and written with the files
//! it references first. What the second pass must do is counted (not kept) for it.

use super::prepare::Prepared;
use crate::artifacts::RunArtifacts;
use crate::data::{migrate_table, Context, Held};
use crate::host::Host;
use crate::http::Transport;
use crate::plan::TablePlan;
use crate::progress::Event;
use crate::report::RunReport;
use crate::rows::Row;
use crate::runtime::Clock;
use crate::sink::RowSink;
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
}

/// Move every table; stops at the first table that cannot go on (the source or the destination
/// stopped working). Every table started is in the report, with what was done; what the second
/// pass must do comes back either way. Each table's rows go in a section of the `artifacts` as
/// they are read.
pub async fn first_pass<'p, H: Host, S: RowSink, T: Transport, C: Clock, A: Host, AC: Clock>(
    context: &Context<'_, H, S, T, C>,
    prepared: &'p mut Prepared,
    artifacts: &RunArtifacts<'_, A, AC>,
    report: &mut RunReport,
) -> (Vec<Pending<'p>>, Result<(), CoreError>) {
    let mut pending = Vec::new();
    for table in &prepared.plan.tables {
        if context.settings.cancel.is_cancelled() {
            return (pending, Err(CoreError::Cancelled));
        }
        context.host.emit(&Event::step(format!("{}: {} row(s) to read", table.collection, table.rows)));
        let filter = prepared.filters.remove(&table.collection).flatten();
        artifacts.begin_table(table).await;
        let (outcome, stopped) = migrate_table(context, table, filter.clone()).await;
        artifacts.end_table().await;
        let index = report.tables.len();
        report.tables.push(outcome.report);
        if outcome.held > 0 || !outcome.repairs.is_empty() {
            if context.settings.dry_run {
                if let Some(table) = report.tables.get_mut(index) {
                    table.repaired = outcome.repairs.values().sum();
                }
            } else {
                let pages = stopped.as_ref().map(|_| outcome.pages);
                let held = Held { created: outcome.held, repairs: outcome.repairs, filter, pages };
                pending.push(Pending { index, table, held, created: outcome.pending });
            }
        }
        if let Some(error) = stopped {
            return (pending, Err(error));
        }
    }
    (pending, Ok(()))
}
