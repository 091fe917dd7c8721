//! The second pass: once every table's rows exist, set the references held back to break cycles.

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
    for Pending { index, table, rows } in pending {
        context.host.emit(&Event::step(format!(
            "{}: setting {} on {} row(s) created in this run",
            table.collection,
            table.deferred_fields().join(", "),
            rows.len()
        )));
        let (completed, failed) = complete(context, table, rows, check_references).await?;
        report.tables[index].second_pass = completed;
        report.tables[index].failed += failed;
    }
    Ok(())
}
