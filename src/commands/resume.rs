//! Taking up a job this process now holds (a sweep took it over from a process that died, or
//! `POST /migration/jobs/:processId/resume` reopened it): its request unsealed and parsed again,
//! its options with the checkpoint it had got to, and its callback.

use serde_json::json;

use super::callback::Callback;
use super::migrate::MigrateOptions;
use super::request::{MigrationRequest, Route};
use super::settings::ExtensionSettings;
use crate::runs::jobs::{Job, JobStatus, JobStore, Keeper};
use crate::shared::runtime::Clock;

/// What a held job needs to run again.
pub struct TakenUp {
    pub request: MigrationRequest,
    pub options: MigrateOptions,
    pub callback: Option<Callback>,
}

/// The job `id`, which this process holds, ready to run again from its checkpoint; or why it
/// cannot be (the caller then ends it as failed, with that reason).
pub async fn take_up<S: JobStore, C: Clock>(
    keeper: &Keeper<'_, S, C>,
    id: &str,
    settings: &ExtensionSettings,
) -> Result<TakenUp, String> {
    let row = keeper.store.job_get(id, true).await.map_err(|e| format!("the job table failed: {e}"))?;
    let row = row
        .filter(|r| r.owner.as_deref() == Some(keeper.owner) && r.status == JobStatus::Running.as_str())
        .ok_or_else(|| "another process holds it".to_string())?;
    let mut job = Job::from_row(&row);
    job.state.phase = format!("resuming ({} time(s))", row.resumed);
    job.dirty = true;
    let callback = job.state.callback_url.as_deref().and_then(|url| Callback::to(url, settings).ok());
    let checkpoints = json!({ "tables": job.state.checkpoints });
    let cancel = job.cancel.clone();
    keeper.jobs.borrow_mut().add(job);

    let sealed = row.request.ok_or("its request was not kept (SECRET is not set on this instance)")?;
    let text = keeper.store.unseal_text(&sealed).await.map_err(|e| {
        format!("its request could not be unsealed ({e}): SECRET differs from the one it was sealed with")
    })?;
    let dry_run = row.kind == "dry-run";
    let route = if dry_run { Route::DryRun } else { Route::Run };
    let request = MigrationRequest::parse(&text, route).map_err(|e| format!("its request is no longer valid: {e}"))?;
    let mut options = MigrateOptions::from_request(&request, dry_run)
        .and_then(|o| o.with_artifacts(&request, settings))
        .map_err(|e| format!("its request is no longer valid: {e}"))?;
    options.resume =
        Some(serde_json::from_value(checkpoints).map_err(|e| format!("its checkpoint is unreadable: {e}"))?);
    options.cancel = cancel;
    Ok(TakenUp { request, options, callback })
}
