//! After the rows: clear the destination's caches where rows went around its services, put the
//! files' and failures' records in the report, print the summary and settle the status.

use crate::destination::Destination;
use crate::host::Host;
use crate::http::Transport;
use crate::progress::Event;
use crate::report::{Delivery, RunReport, RunStatus, Stop};
use crate::runtime::Clock;
use crate::CoreError;

/// `outcome` is why the run stopped early, if it did.
pub async fn finish<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    report: &mut RunReport,
    outcome: Result<(), CoreError>,
    started: f64,
) {
    // Rows written around Directus' services: its caches must not hide them.
    if report.transport == Delivery::Bulk && !report.dry_run {
        if let Err(error) = destination.clear_cache().await {
            report.warnings.push(format!("the destination's cache could not be cleared: {error}"));
        }
    }
    host.emit(&Event::step("Summary:"));
    for table in &report.tables {
        host.emit(&Event::step(format!("  {}", table.line(report.dry_run))));
    }
    if report.files.referenced > 0 {
        host.emit(&Event::step(format!("  {}", report.files.line(report.dry_run))));
    }
    let (stop, failed_status) = match outcome {
        Ok(()) => (None, 200),
        Err(CoreError::Cancelled) => (Some(Stop::Cancelled), 409),
        Err(error) => (Some(Stop::Error(error.to_string())), error.status()),
    };
    report.finish((destination.clock().now_ms() - started) / 1000.0, stop);
    report.http_status = match report.status {
        RunStatus::Completed => 200,
        RunStatus::CompletedWithErrors => 422,
        RunStatus::Cancelled | RunStatus::Failed => failed_status,
    };
}
