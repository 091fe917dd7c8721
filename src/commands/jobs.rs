//! `GET /migration/jobs`, `GET /migration/jobs/:processId`, `GET /migration/jobs/:processId/events`
//! and `POST /migration/jobs/:processId/cancel`: the jobs of this instance.

use std::cell::RefCell;

use serde::Serialize;

use crate::jobs::{is_process_id, JobDetail, JobStatus, JobSummary, Jobs, Lines};
use crate::CoreError;

/// Every job kept, newest first.
pub fn list(jobs: &RefCell<Jobs>) -> Vec<JobSummary> {
    jobs.borrow().list()
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
    CoreError::NotFound(format!("no job {id} on this instance (jobs are kept in memory, the last 50)"))
}

pub fn detail(jobs: &RefCell<Jobs>, id: &str, now_ms: f64) -> Result<JobDetail, CoreError> {
    known(id)?;
    jobs.borrow().detail(id, now_ms).ok_or_else(|| missing(id))
}

/// The job's progress lines after `since` (their `seq`), and whether it is over.
pub fn lines(jobs: &RefCell<Jobs>, id: &str, since: Option<u64>) -> Result<Lines, CoreError> {
    known(id)?;
    jobs.borrow().lines(id, since).ok_or_else(|| missing(id))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelAnswer {
    pub process_id: String,
    /// `cancelling` while it stops; the job's own status when it had already ended.
    pub status: String,
    pub message: String,
}

pub fn cancel(jobs: &RefCell<Jobs>, id: &str) -> Result<CancelAnswer, CoreError> {
    known(id)?;
    let status = jobs.borrow_mut().cancel(id).ok_or_else(|| missing(id))?;
    Ok(match status {
        JobStatus::Running => CancelAnswer {
            process_id: id.into(),
            status: "cancelling".into(),
            message: "The job stops after the batches in flight; what was written stays, and a re-run continues safely"
                .into(),
        },
        ended => CancelAnswer {
            process_id: id.into(),
            message: format!("The job has already ended: {}", ended.as_str()),
            status: ended.as_str().into(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Cancel;

    #[test]
    fn ids_are_checked_then_looked_up() {
        let jobs = RefCell::new(Jobs::default());
        assert_eq!(detail(&jobs, "../etc", 0.0).unwrap_err().status(), 400);
        let err = detail(&jobs, "migration_1_abcdefghijkl", 0.0).unwrap_err();
        assert_eq!((err.status(), err.code()), (404, "JOB_NOT_FOUND"));
        jobs.borrow_mut().start("migration_1_abcdefghijkl", "run", "http://d", vec![], Cancel::default(), 0.0);
        assert_eq!(cancel(&jobs, "migration_1_abcdefghijkl").unwrap().status, "cancelling");
        jobs.borrow_mut().finish(
            "migration_1_abcdefghijkl",
            JobStatus::Ended(crate::report::RunStatus::Cancelled),
            None,
            1.0,
        );
        assert_eq!(cancel(&jobs, "migration_1_abcdefghijkl").unwrap().status, "cancelled");
        assert_eq!(list(&jobs).len(), 1);
    }
}
