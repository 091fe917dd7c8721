//! `GET /migration/jobs`, `GET /migration/jobs/:processId`, `GET /migration/jobs/:processId/events`,
//! `POST /migration/jobs/:processId/cancel` and `POST /migration/jobs/:processId/resume`: the jobs
//! of the instance, as the job table keeps them — every process answers for every job.

use std::cell::RefCell;

use serde::Serialize;

use crate::destination::destination_key;
use crate::runs::jobs::{
    is_process_id, Changes, Guard, Job, JobDetail, JobStatus, JobStore, JobSummary, Jobs, Keeper, Lines,
};
use crate::shared::runtime::Clock;
use crate::CoreError;

/// Jobs a list shows, newest first.
pub const LISTED: u32 = 100;

pub async fn list<S: JobStore>(store: &S) -> Result<Vec<JobSummary>, CoreError> {
    Ok(store.job_list(LISTED).await?.iter().map(|row| Job::from_row(row).summary()).collect())
}

fn known(id: &str) -> Result<(), CoreError> {
    if is_process_id(id) {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!(
            "{:?} is not a process id (migration_<epoch ms>_<12 letters or digits>)",
            id.chars().take(60).collect::<String>()
        )))
    }
}

fn missing(id: &str) -> CoreError {
    CoreError::NotFound(format!("no job {id} on this instance (ended jobs are kept as MIGRATION_JOBS_RETENTION says)"))
}

/// The job as this process runs it (fresher than its row), or as its row has it.
async fn read<S: JobStore, T>(
    store: &S,
    jobs: &RefCell<Jobs>,
    id: &str,
    work: impl Fn(&Job) -> T,
) -> Result<T, CoreError> {
    known(id)?;
    if let Some(answer) = jobs.try_borrow().ok().and_then(|jobs| jobs.get(id).map(&work)) {
        return Ok(answer);
    }
    let row = store.job_get(id, true).await?.ok_or_else(|| missing(id))?;
    Ok(work(&Job::from_row(&row)))
}

pub async fn detail<S: JobStore>(
    store: &S,
    jobs: &RefCell<Jobs>,
    id: &str,
    now_ms: f64,
) -> Result<JobDetail, CoreError> {
    read(store, jobs, id, |job| job.detail(now_ms)).await
}

/// The job's progress lines after `since` (their `seq`), and whether it is over.
pub async fn lines<S: JobStore>(
    store: &S,
    jobs: &RefCell<Jobs>,
    id: &str,
    since: Option<u64>,
) -> Result<Lines, CoreError> {
    read(store, jobs, id, |job| job.lines_after(since)).await
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct JobAnswer {
    pub process_id: String,
    /// `cancelling` / `resuming`, or the job's own status when there was nothing to do.
    pub status: String,
    pub message: String,
}

/// Ask a job to stop, wherever it runs: the process running it stops at its next batch.
pub async fn cancel<S: JobStore>(store: &S, jobs: &RefCell<Jobs>, id: &str) -> Result<JobAnswer, CoreError> {
    known(id)?;
    let row = store.job_get(id, false).await?.ok_or_else(|| missing(id))?;
    let running = JobStatus::Running.as_str();
    let asked = row.status == running
        && store
            .job_update(
                id,
                &Guard { status: Some(running.into()), ..Guard::default() },
                &Changes { cancel_requested: Some(true), ..Changes::default() },
            )
            .await?;
    if asked {
        jobs.borrow_mut().cancel(id);
        return Ok(JobAnswer {
            process_id: id.into(),
            status: "cancelling".into(),
            message: "The job stops after the batches in flight; what was written stays, and POST /migration/jobs/:processId/resume continues it".into(),
        });
    }
    let status = store.job_get(id, false).await?.map_or(row.status, |r| r.status);
    Ok(JobAnswer { process_id: id.into(), message: format!("The job has already ended: {status}"), status })
}

/// Take up an ended job again, from its checkpoint: it holds its destination again (unless
/// another job does), and this process holds it. The caller then runs it.
pub async fn reopen<S: JobStore, C: Clock>(keeper: &Keeper<'_, S, C>, id: &str) -> Result<JobAnswer, CoreError> {
    known(id)?;
    let row = keeper.store.job_get(id, false).await?.ok_or_else(|| missing(id))?;
    let refuse = |why: String| Err(CoreError::Conflict(format!("job {id} cannot be resumed: {why}")));
    match JobStatus::parse(&row.status) {
        JobStatus::Running => return refuse("it is running".into()),
        JobStatus::Ended(crate::runs::report::RunStatus::Completed) => return refuse("it completed".into()),
        _ if row.request.is_none() => {
            return refuse("its request was not kept (SECRET is not set on this instance): start a new run".into())
        }
        _ => {}
    }
    let key = destination_key(&row.destination);
    let changes = Changes {
        status: Some(JobStatus::Running.as_str().into()),
        lock_key: Some(Some(key.clone())),
        owner: Some(Some(keeper.owner.to_string())),
        lease_until: Some(keeper.lease_until()),
        ended_at: Some(None),
        updated_at: Some(keeper.clock.now_ms()),
        resumed: Some(row.resumed + 1),
        cancel_requested: Some(false),
        callback_due: Some(false),
        ..Changes::default()
    };
    if !keeper.store.job_update(id, &Guard::as_seen(&row), &changes).await? {
        if let Some(holder) = keeper.store.job_holding(&key).await?.filter(|h| h != id) {
            return Err(CoreError::JobRunning { destination: row.destination, process_id: holder });
        }
        return refuse("another process took it up at the same moment".into());
    }
    Ok(JobAnswer {
        process_id: id.into(),
        status: "resuming".into(),
        message: "The job continues from its checkpoint; follow it with GET /migration/jobs/:processId/events".into(),
    })
}
