//! The first pass: every table in plan order, each read page by page and written with the files
//! it references first. Held-back references are collected for the second pass.

use super::prepare::Prepared;
use crate::data::{migrate_table, Context};
use crate::host::Host;
use crate::http::Transport;
use crate::plan::TablePlan;
use crate::progress::Event;
use crate::report::RunReport;
use crate::rows::Row;
use crate::runtime::Clock;
use crate::sink::RowSink;
use crate::CoreError;

/// Rows of one table whose held-back references the second pass sets.
pub struct Pending<'p> {
    /// The table's place in the report.
    pub index: usize,
    pub table: &'p TablePlan,
    pub rows: Vec<Row>,
}

/// Move every table; stops at the first table that cannot go on (the source or the destination
/// stopped working). Every table started is in the report, with what was done.
pub async fn first_pass<'p, H: Host, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    prepared: &'p mut Prepared,
    report: &mut RunReport,
) -> Result<Vec<Pending<'p>>, CoreError> {
    let mut pending = Vec::new();
    for table in &prepared.plan.tables {
        context.host.emit(&Event::step(format!("{}: {} row(s) to read", table.collection, table.rows)));
        let filter = prepared.filters.remove(&table.collection).flatten();
        let (outcome, stopped) = migrate_table(context, table, filter).await;
        report.tables.push(outcome.report);
        if !outcome.pending.is_empty() {
            pending.push(Pending { index: report.tables.len() - 1, table, rows: outcome.pending });
        }
        if let Some(error) = stopped {
            return Err(error);
        }
    }
    Ok(pending)
}
