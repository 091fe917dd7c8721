//! What every process does every few seconds (the shim calls it): take over the jobs whose
//! process died (their lease ran out) — to run them on from their checkpoint, or to end them
//! when a cancel was asked meanwhile —, deliver the callbacks still due, and let go of ended
//! jobs past the retention.

use serde::Serialize;

use super::callback::{deliver_callback, Callback};
use super::run_job::{close, stopped_report};
use super::settings::ExtensionSettings;
use crate::runs::jobs::{Changes, Guard, Job, JobStatus, JobStore, Keeper, Retention};
use crate::runs::progress::{Emit, Event, Level};
use crate::runs::report::Stop;
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    /// Jobs this process took over, to run on (the caller runs them).
    pub resume: Vec<String>,
    /// Jobs ended as cancelled: a cancel was asked while no process ran them.
    pub cancelled: Vec<String>,
    /// Callbacks this process tried to deliver again.
    pub callbacks: u32,
    pub pruned: u32,
}

pub async fn sweep<S: JobStore, C: Clock, T: Transport + Clone>(
    log: &impl Emit,
    keeper: &Keeper<'_, S, C>,
    settings: &ExtensionSettings,
    transport: T,
) -> Result<Swept, CoreError> {
    let retention = Retention::parse(&settings.jobs_retention)?;
    let mut swept = Swept::default();
    let now = keeper.clock.now_ms();
    for row in keeper.store.job_due(now).await? {
        let running = row.status == JobStatus::Running.as_str();
        let changes = Changes {
            owner: Some(Some(keeper.owner.to_string())),
            lease_until: Some(keeper.lease_until()),
            resumed: running.then_some(row.resumed + 1),
            updated_at: Some(now),
            ..Changes::default()
        };
        // Another process may be taking it at the same moment: the database lets one win.
        if !keeper.store.job_update(&row.id, &Guard::as_seen(&row), &changes).await? {
            continue;
        }
        let callback = || -> Option<(Callback, T)> {
            let state: crate::runs::jobs::JobState = serde_json::from_str(&row.state).ok()?;
            Some((Callback::to(state.callback_url.as_deref()?, settings).ok()?, transport.clone()))
        };
        if running && row.cancel_requested {
            let report = stopped_report(row.kind == "dry-run", Stop::Cancelled, 200);
            close(log, keeper, &row.id, report, callback()).await?;
            swept.cancelled.push(row.id);
        } else if running {
            log.emit(&Event::log(
                Level::Warn,
                format!("[jobs] {} was running in a process that stopped answering: taking it over", row.id),
            ));
            swept.resume.push(row.id);
        } else if let Some((callback, transport)) = callback() {
            let Some(full) = keeper.store.job_get(&row.id, true).await? else { continue };
            keeper.jobs.borrow_mut().add(Job::from_row(&full));
            let held = keeper.hold(&row.id);
            deliver_callback(log, keeper, &held, &callback, &transport).await;
            keeper.jobs.borrow_mut().remove(&row.id);
            swept.callbacks += 1;
        } else {
            // Due, but with nowhere to go (its callback URL is no longer acceptable here).
            let done =
                Changes { callback_due: Some(false), owner: Some(None), lease_until: Some(0.0), ..Changes::default() };
            keeper.store.job_update(&row.id, &Guard::owned_by(keeper.owner), &done).await?;
        }
    }
    swept.pruned = keeper.store.job_prune(now - retention.max_age_ms, retention.max_jobs).await?;
    Ok(swept)
}
