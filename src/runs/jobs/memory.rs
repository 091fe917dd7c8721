//! The job table in memory, for native tests: the same guards and the same unique destination
//! column as the host's database table.

use std::cell::RefCell;

use super::store::{Changes, Guard, JobRow, JobStore};
use crate::host::HostError;

#[derive(Default)]
pub struct MemoryJobs {
    pub rows: RefCell<Vec<JobRow>>,
    /// Every update asked, for tests that count writes.
    pub updates: RefCell<u32>,
}

impl MemoryJobs {
    pub fn row(&self, id: &str) -> Option<JobRow> {
        self.rows.borrow().iter().find(|r| r.id == id).cloned()
    }
}

fn matches(row: &JobRow, guard: &Guard) -> bool {
    guard.owner.as_ref().is_none_or(|owner| &row.owner == owner)
        && guard.status.as_ref().is_none_or(|status| &row.status == status)
        && guard.lease_until.is_none_or(|lease| row.lease_until == lease)
}

fn apply(row: &mut JobRow, c: &Changes) {
    macro_rules! set {
        ($($field:ident),*) => { $( if let Some(value) = &c.$field { row.$field = value.clone(); } )* };
    }
    set!(status, lock_key, owner, lease_until, ended_at, updated_at, cancel_requested, resumed, callback_due, state);
    if let Some(lines) = &c.lines {
        row.lines = Some(lines.clone());
    }
}

impl JobStore for MemoryJobs {
    async fn job_insert(&self, row: &JobRow) -> Result<bool, HostError> {
        let mut rows = self.rows.borrow_mut();
        let taken = rows.iter().any(|r| r.id == row.id || (row.lock_key.is_some() && r.lock_key == row.lock_key));
        if !taken {
            rows.push(row.clone());
        }
        Ok(!taken)
    }

    async fn job_update(&self, id: &str, guard: &Guard, changes: &Changes) -> Result<bool, HostError> {
        *self.updates.borrow_mut() += 1;
        let mut rows = self.rows.borrow_mut();
        if let Some(Some(key)) = &changes.lock_key {
            if rows.iter().any(|r| r.id != id && r.lock_key.as_ref() == Some(key)) {
                return Ok(false);
            }
        }
        let Some(row) = rows.iter_mut().find(|r| r.id == id && matches(r, guard)) else { return Ok(false) };
        apply(row, changes);
        Ok(true)
    }

    async fn job_delete(&self, id: &str, owner: &str) -> Result<(), HostError> {
        self.rows.borrow_mut().retain(|r| !(r.id == id && r.owner.as_deref() == Some(owner)));
        Ok(())
    }

    async fn job_get(&self, id: &str, with_lines: bool) -> Result<Option<JobRow>, HostError> {
        Ok(self.row(id).map(|mut row| {
            if !with_lines {
                row.lines = None;
            }
            row
        }))
    }

    async fn job_list(&self, limit: u32) -> Result<Vec<JobRow>, HostError> {
        let mut rows: Vec<JobRow> = self.rows.borrow().clone();
        rows.sort_by(|a, b| b.started_at.total_cmp(&a.started_at).then(b.id.cmp(&a.id)));
        rows.truncate(limit as usize);
        Ok(rows.into_iter().map(|r| JobRow { lines: None, request: None, ..r }).collect())
    }

    async fn job_due(&self, now_ms: f64) -> Result<Vec<JobRow>, HostError> {
        let rows = self.rows.borrow();
        let due = rows.iter().filter(|r| r.lease_until < now_ms && (r.status == "running" || r.callback_due));
        Ok(due.map(|r| JobRow { lines: None, ..r.clone() }).collect())
    }

    async fn job_holding(&self, lock_key: &str) -> Result<Option<String>, HostError> {
        Ok(self.rows.borrow().iter().find(|r| r.lock_key.as_deref() == Some(lock_key)).map(|r| r.id.clone()))
    }

    async fn job_prune(&self, ended_before: f64, keep: u32) -> Result<u32, HostError> {
        let mut rows = self.rows.borrow_mut();
        let mut ended: Vec<(f64, String)> = rows
            .iter()
            .filter(|r| r.status != "running" && !r.callback_due)
            .map(|r| (r.ended_at.unwrap_or(0.0), r.id.clone()))
            .collect();
        ended.sort_by(|a, b| b.0.total_cmp(&a.0));
        let gone: Vec<String> = ended
            .iter()
            .enumerate()
            .filter(|(i, (at, _))| *i >= keep as usize || *at < ended_before)
            .map(|(_, (_, id))| id.clone())
            .collect();
        rows.retain(|r| !gone.contains(&r.id));
        Ok(gone.len() as u32)
    }

    async fn seal_text(&self, text: &str) -> Result<Option<String>, HostError> {
        Ok(Some(format!("sealed:{}", text.chars().rev().collect::<String>())))
    }

    async fn unseal_text(&self, sealed: &str) -> Result<String, HostError> {
        sealed
            .strip_prefix("sealed:")
            .map(|t| t.chars().rev().collect())
            .ok_or_else(|| HostError { code: Some("JOB_UNSEALABLE".into()), message: "not sealed here".into() })
    }
}
