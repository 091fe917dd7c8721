//! `POST /migration/run` and `POST /migration/dry-run`, once their job is under way: the run
//! ([`migrate`]), then, with `scope.verify`, the verification ([`verify`]) of what it wrote.

use super::migrate::{migrate, MigrateOptions};
use super::verify::verify;
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
    let mut report = migrate(host, destination, options).await?;
    if !options.verify {
        return Ok(report);
    }
    if options.dry_run {
        report.warnings.push("scope.verify is ignored on a dry run: nothing was written to verify".into());
    } else if matches!(report.status, RunStatus::Failed | RunStatus::Cancelled) {
        report.warnings.push("not verified: the run stopped".into());
    } else {
        match verify(host, destination, options).await {
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
