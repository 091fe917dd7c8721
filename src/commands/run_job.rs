//! A run or a dry run as a job: one running job per destination across every process of the
//! instance (the job table's unique destination column decides), a process id, progress kept
//! in the job table for whoever follows it from any process, a cancel asked from any of them,
//! the final report kept, and exactly one final callback when the caller asked for one.

use super::migrate::MigrateOptions;
use super::request::MigrationRequest;
use super::run::run_and_verify;
use super::settings::ExtensionSettings;
use crate::destination::{destination_key, Destination};
use crate::host::Host;
use crate::runs::artifacts::save_report;
use crate::runs::callback::payload;
use crate::runs::jobs::{job_host, process_id, Changes, Guard, Job, JobRow, JobStatus, JobStore, Keeper};
use crate::runs::progress::{Emit, Event};
use crate::runs::report::{RunReport, Stop};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

pub use super::callback::{deliver_callback, Callback};

/// Who started a job, and the request as it came (kept sealed, so another process can take the
/// job up again).
#[derive(Debug, Clone, Default)]
pub struct Start {
    pub request: String,
    pub started_by: Option<String>,
}

/// Run `options` as a new job. Refusals (bad selection, schema mismatch, another job running to
/// the same destination) come back as errors before the job starts, and leave no job behind;
/// after it starts (the `job` event), the report says how it ended.
pub async fn run_job<H: Host, T: Transport, C: Clock, CT: Transport, S: JobStore, KC: Clock>(
    host: &H,
    keeper: &Keeper<'_, S, KC>,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
    callback: Option<(Callback, CT)>,
    start: Start,
) -> Result<RunReport, CoreError> {
    let clock = destination.clock();
    let origin = destination.origin();
    let now = clock.now_ms();
    let id = process_id(now, || clock.random());
    let kind = if options.dry_run { "dry-run" } else { "run" };
    let mut job = Job::new(&id, kind, &origin, options.selected.clone().unwrap_or_default(), now);
    job.started_by = start.started_by.clone();
    job.cancel = options.cancel.clone();
    job.state.callback_url = callback.as_ref().map(|(c, _)| c.url.clone());
    let key = destination_key(&origin);
    let row = JobRow {
        id: id.clone(),
        kind: kind.into(),
        status: JobStatus::Running.as_str().into(),
        destination: origin.clone(),
        lock_key: Some(key.clone()),
        owner: Some(keeper.owner.to_string()),
        lease_until: keeper.lease_until(),
        started_by: start.started_by,
        started_at: now,
        updated_at: now,
        request: keeper.store.seal_text(&start.request).await?,
        state: job.state_text(),
        lines: Some(job.lines_text()),
        ..JobRow::default()
    };
    if !keeper.store.job_insert(&row).await? {
        let holder = keeper.store.job_holding(&key).await?;
        return Err(CoreError::JobRunning { destination: origin, process_id: holder.unwrap_or_default() });
    }
    keeper.jobs.borrow_mut().add(job);
    drive(host, keeper, &id, destination, options, callback, true).await
}

/// Run a job this process holds, new or taken up again (with `options.resume`), to its end: its
/// row written a beat at a time, then its end, then its callback.
pub async fn drive<H: Host, T: Transport, C: Clock, CT: Transport, S: JobStore, KC: Clock>(
    host: &H,
    keeper: &Keeper<'_, S, KC>,
    id: &str,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
    callback: Option<(Callback, CT)>,
    fresh: bool,
) -> Result<RunReport, CoreError> {
    let clock = destination.clock();
    let kind = if options.dry_run { "dry-run" } else { "run" };
    let held = keeper.hold(id);
    let job_host = job_host(host, keeper.jobs, id.to_string(), kind);
    let result = held.during(run_and_verify(&job_host, destination, options)).await;
    let mut report = match result {
        Ok(report) => report,
        Err(error) if fresh && !job_host.hooks.started() => {
            keeper.jobs.borrow_mut().remove(id);
            keeper.store.job_delete(id, keeper.owner).await?;
            return Err(error);
        }
        // Under way, then an error no report holds: the job still ends with one, saying why.
        Err(error) => {
            let mut report = RunReport::new(options.dry_run, vec![]);
            report.finish(0.0, Some(Stop::Error(error.to_string())));
            report.http_status = error.status();
            report
        }
    };
    report.process_id = Some(id.to_string());
    // The report is the run's last artifact: the summary as the caller gets it, but for its own
    // entry in the list.
    if let Ok(text) = serde_json::to_string_pretty(&report) {
        save_report(host, clock, &mut report.artifacts, &text).await;
    }
    job_host.emit(&Event::step(report.artifacts.line()));
    let wire = serde_json::to_value(&report).unwrap_or_default();
    job_host.emit(&Event::Summary { report: wire.clone() });
    end(host, keeper, &held, &report, wire, callback).await;
    Ok(report)
}

/// Write the job's end (it lets go of its destination), then deliver its callback.
async fn end<S: JobStore, KC: Clock, CT: Transport>(
    log: &impl Emit,
    keeper: &Keeper<'_, S, KC>,
    held: &crate::runs::jobs::Held<'_, '_, S, KC>,
    report: &RunReport,
    wire: serde_json::Value,
    callback: Option<(Callback, CT)>,
) {
    let id = held.id.as_str();
    let now = keeper.clock.now_ms();
    let status = JobStatus::Ended(report.status);
    let written = keeper.with_job(id, |job| {
        let tables: Vec<String> = match job.state.selected_tables.is_empty() {
            true => report.tables.iter().map(|t| t.collection.clone()).collect(),
            false => job.state.selected_tables.clone(),
        };
        job.finish(status, Some(wire), now);
        if callback.is_some() {
            let mut body = payload(id, report, &tables, now);
            if let Some(fields) = body.as_object_mut() {
                fields.insert("resumed".into(), job.resumed.into());
            }
            job.state.callback_body = Some(body.to_string());
        }
        Changes {
            status: Some(status.as_str().into()),
            lock_key: Some(None),
            ended_at: Some(Some(now)),
            updated_at: Some(now),
            lease_until: Some(now + crate::runs::jobs::LEASE_MS),
            callback_due: Some(callback.is_some()),
            state: Some(job.state_text()),
            lines: Some(job.lines_text()),
            ..Changes::default()
        }
    });
    let ended = match written {
        Some(changes) if !held.lost() => {
            keeper.store.job_update(id, &Guard::owned_by(keeper.owner), &changes).await.unwrap_or(false)
        }
        _ => false,
    };
    if let (true, Some((callback, transport))) = (ended, callback) {
        deliver_callback(log, keeper, held, &callback, &transport).await;
    }
    keeper.jobs.borrow_mut().remove(id);
}

/// The request's `callbackUrl`, checked, with the secret to sign with.
pub fn callback_of(request: &MigrationRequest, settings: &ExtensionSettings) -> Result<Option<Callback>, CoreError> {
    request.callback_url.as_deref().map(|url| Callback::to(url, settings)).transpose()
}

/// End a job this process holds without running it (it could not be taken up again, it was
/// cancelled while no process ran it, or the core that ran it crashed), with `report`, and send
/// its callback.
pub async fn close<S: JobStore, KC: Clock, CT: Transport>(
    log: &impl Emit,
    keeper: &Keeper<'_, S, KC>,
    id: &str,
    mut report: RunReport,
    callback: Option<(Callback, CT)>,
) -> Result<RunReport, CoreError> {
    if keeper.jobs.borrow().get(id).is_none() {
        let row = keeper.store.job_get(id, true).await?;
        let Some(row) = row.filter(|r| r.owner.as_deref() == Some(keeper.owner)) else { return Ok(report) };
        keeper.jobs.borrow_mut().add(Job::from_row(&row));
    }
    report.process_id = Some(id.to_string());
    let wire = serde_json::to_value(&report).unwrap_or_default();
    keeper.with_job(id, |job| job.record(&Event::Summary { report: wire.clone() }));
    let held = keeper.hold(id);
    end(log, keeper, &held, &report, wire, callback).await;
    Ok(report)
}

/// A report for a job that ended without running to its end: why, and an HTTP status.
pub fn stopped_report(dry_run: bool, stop: Stop, status: u16) -> RunReport {
    let mut report = RunReport::new(dry_run, vec![]);
    report.finish(0.0, Some(stop));
    report.http_status = status;
    report
}
