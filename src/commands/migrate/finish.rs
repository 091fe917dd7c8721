//! After the rows: clear the destination's caches where rows went around its services, put the
//! files' and failures' records in the report, print the summary and settle the status.

use crate::destination::Destination;
use crate::host::Host;
use crate::runs::progress::Event;
use crate::runs::report::{Delivery, RunReport, RunStatus, Stop};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
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
    // Directus 12's licence tiers: say once what the destination's licence refused.
    let licensed: Vec<&str> = report
        .failures
        .iter()
        .filter(|f| f.message.ends_with("(RESOURCE_RESTRICTED)") || f.message.ends_with("(LIMIT_EXCEEDED)"))
        .map(|f| f.collection.as_str())
        .collect();
    if !licensed.is_empty() {
        let mut collections: Vec<&str> = licensed.clone();
        collections.sort_unstable();
        collections.dedup();
        report.warnings.push(format!(
            "the destination's licence refused {} row(s) ({}): its tier does not include them (Directus 12 without a licence: 3 seats, 5 active flows, 25 collections, no custom permission rules); each one is in failures with the destination's message",
            licensed.len(),
            collections.join(", ")
        ));
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
