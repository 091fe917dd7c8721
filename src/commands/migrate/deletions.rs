//! After both passes, with `scope.deleteMissing`: in each table `selectedTables` names, the
//! destination rows whose key the source no longer has are deleted (a dry run lists them) —
//! tables in reverse insertion order, so rows that reference others go before what they
//! reference. Only a run whose rows all moved gets here: a run that stopped deletes nothing.

use crate::destination::sink::RowSink;
use crate::host::Host;
use crate::pipeline::data::{delete_missing, deletes_missing, Context};
use crate::pipeline::plan::Plan;
use crate::runs::progress::Event;
use crate::runs::report::{Delivery, RunReport};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

pub async fn deletions<H: Host, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    plan: &Plan,
    selected: &[String],
    report: &mut RunReport,
) -> Result<(), CoreError> {
    let tables: Vec<_> = plan.tables.iter().rev().filter(|t| deletes_missing(t, selected)).collect();
    if tables.is_empty() {
        return Ok(());
    }
    // The keys are listed through the API: rows the bulk receiver wrote must not hide behind
    // its caches.
    if report.transport == Delivery::Bulk && !context.options.dry_run {
        context.destination.clear_cache().await?;
    }
    for table in tables {
        let what = if context.options.dry_run { "listing" } else { "deleting" };
        context.host.emit(&Event::step(format!("{}: {what} the rows the source no longer has", table.collection)));
        let Some(line) = report.tables.iter_mut().find(|line| line.collection == table.collection) else { continue };
        delete_missing(context, table, line).await?;
    }
    Ok(())
}
