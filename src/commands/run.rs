//! `POST /migration/run` and `POST /migration/dry-run`, once their job is under way: the run
//! (prepared, then moved: [`migrate_prepared`]), then, with `scope.verify`, the verification of
//! what it wrote, on the run's own plan ([`verify_planned`]).

use super::migrate::{migrate_prepared, prepare, MigrateOptions};
use super::verify::{verify_planned, What};
use crate::destination::Destination;
use crate::host::Host;
use crate::runs::progress::Event;
use crate::runs::report::{RunReport, RunStatus};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// `/migration/run` and `/migration/dry-run`: the run, then with `scope.verify` (not on a dry run,
/// nor after a run that stopped) the verification, in the report as `verification` and at the
/// end of its closing line.
pub async fn run_and_verify<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<RunReport, CoreError> {
    let started = destination.clock().now_ms();
    let prepared = prepare(host, destination, options).await?;
    let mut report = migrate_prepared(host, destination, options, &prepared, started).await;
    if !options.verify {
        return Ok(report);
    }
    if options.dry_run {
        report.warnings.push("scope.verify is ignored on a dry run: nothing was written to verify".into());
    } else if matches!(report.status, RunStatus::Failed | RunStatus::Cancelled) {
        report.warnings.push("not verified: the run stopped".into());
    } else {
        // The run's own plan, filters, key map and transport: nothing is planned or asked again.
        let what = What {
            snapshot: &prepared.schema,
            plan: &prepared.plan,
            filters: &prepared.filters,
            delivery: prepared.delivery,
            keys: &prepared.keys,
            why: &prepared.why,
        };
        match verify_planned(host, destination, options, what, destination.clock().now_ms()).await {
            Ok(verification) => {
                host.emit(&Event::step(verification.message.clone()));
                report.message.push_str(&format!(". {}", verification.message));
                report.verification = Some(verification);
            }
            Err(error) => report.warnings.push(format!("the verification could not finish: {error}")),
        }
    }
    Ok(report)
}
