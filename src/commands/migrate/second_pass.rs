//! The second pass: once every table's rows exist, set the references held back to break cycles —
//! on the rows this run created, and on rows an earlier run created but could not complete. The
//! rows are read from the source again, a page at a time (see [`complete_from_source`]).

use super::first_pass::Pending;
use crate::destination::sink::RowSink;
use crate::host::Host;
use crate::pipeline::data::{complete, complete_from_source, Context, TableCheckpoint};
use crate::runs::progress::Event;
use crate::runs::report::RunReport;
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

pub async fn second_pass<H: Host, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    pending: Vec<Pending<'_>>,
    check_references: bool,
    report: &mut RunReport,
) -> Result<(), CoreError> {
    for Pending { index, table, held, created, checkpoint } in pending {
        if held.created > 0 {
            context.host.emit(&Event::step(format!(
                "{}: setting {} on {} row(s) created in this run",
                table.collection,
                table.deferred_fields().join(", "),
                held.created
            )));
        }
        for (field, rows) in &held.repairs {
            context.host.emit(&Event::step(format!(
                "{}: repairing {field} on {rows} row(s) an earlier run left unset",
                table.collection
            )));
        }
        // Directus' own references are always checked: their targets may have been refused.
        let check = check_references || table.system.is_some();
        let Some(line) = report.tables.get_mut(index) else { continue };
        if table.repaired() {
            let done = complete_from_source(context, table, &held, check).await?;
            line.second_pass = done.created;
            line.repaired += done.repaired;
            line.failed += done.failed;
        } else {
            let (completed, failed) = complete(context, table, &table.deferred, created, check).await?;
            line.second_pass = completed;
            line.failed += failed;
        }
        // The table is done: a resume will not read it again.
        if let Some(checkpoint) = checkpoint {
            let checkpoint = TableCheckpoint { second_pass_done: true, report: line.clone(), ..checkpoint };
            context.host.emit(&Event::Checkpoint { collection: table.collection.clone(), checkpoint });
        }
    }
    Ok(())
}
