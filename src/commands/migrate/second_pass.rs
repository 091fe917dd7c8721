//! The second pass: once every table's rows exist, set the references held back to break cycles —
//! on the rows this run created, and on rows an earlier run created but could not complete.

use super::first_pass::Pending;
use crate::data::{complete, Context};
use crate::host::Host;
use crate::http::Transport;
use crate::progress::Event;
use crate::report::RunReport;
use crate::runtime::Clock;
use crate::sink::RowSink;
use crate::CoreError;

pub async fn second_pass<H: Host, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    pending: Vec<Pending<'_>>,
    check_references: bool,
    report: &mut RunReport,
) -> Result<(), CoreError> {
    for Pending { index, table, created, repairs } in pending {
        if !created.is_empty() {
            context.host.emit(&Event::step(format!(
                "{}: setting {} on {} row(s) created in this run",
                table.collection,
                table.deferred_fields().join(", "),
                created.len()
            )));
            // Directus' own references are always checked: their targets may have been refused.
            let check = check_references || table.system.is_some();
            let (completed, failed) = complete(context, table, &table.deferred, created, check).await?;
            if let Some(row) = report.tables.get_mut(index) {
                row.second_pass = completed;
                row.failed += failed;
            }
        }
        for (field, rows) in repairs {
            context.host.emit(&Event::step(format!(
                "{}: repairing {field} on {} row(s) an earlier run left unset",
                table.collection,
                rows.len()
            )));
            let reference: Vec<_> = table.deferred.iter().filter(|d| d.field == field).cloned().collect();
            let check = check_references || table.system.is_some();
            let (completed, failed) = complete(context, table, &reference, rows, check).await?;
            if let Some(row) = report.tables.get_mut(index) {
                row.repaired += completed;
                row.failed += failed;
            }
        }
    }
    Ok(())
}
