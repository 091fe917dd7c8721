//! Keeping a job in the job table while this process runs it: its row is written a beat at a
//! time (what changed, and the lease renewed), a cancel asked from any process is picked up at
//! the next beat, and a lease this process lost (it stalled past it, and another process took the
//! job over) stops the work here without writing anything more.

use std::cell::{Cell, RefCell};
use std::future::Future;

use futures::future::{select, Either};

use super::job::Job;
use super::registry::Jobs;
use super::store::{Changes, Guard, JobStore};
use crate::host::HostError;
use crate::shared::runtime::Clock;

/// How long a lease lasts without being renewed.
pub const LEASE_MS: f64 = 15_000.0;
/// How often a running job's row is written and its lease renewed.
pub const BEAT_MS: u64 = 2_000;

/// The job table, this process's running jobs, and who this process is.
pub struct Keeper<'a, S, C> {
    pub store: &'a S,
    pub clock: &'a C,
    pub jobs: &'a RefCell<Jobs>,
    /// This process, as the job table names lease holders.
    pub owner: &'a str,
}

/// One job held by this process.
pub struct Held<'k, 'a, S, C> {
    keeper: &'k Keeper<'a, S, C>,
    pub id: String,
    lost: Cell<bool>,
}

impl<'a, S: JobStore, C: Clock> Keeper<'a, S, C> {
    pub fn hold(&self, id: &str) -> Held<'_, 'a, S, C> {
        Held { keeper: self, id: id.to_string(), lost: Cell::new(false) }
    }

    pub fn lease_until(&self) -> f64 {
        self.clock.now_ms() + LEASE_MS
    }

    /// Whatever `work` of this process's job needs from it, with the registry borrowed for as
    /// long as the call.
    pub fn with_job<T>(&self, id: &str, work: impl FnOnce(&mut Job) -> T) -> Option<T> {
        self.jobs.try_borrow_mut().ok()?.get_mut(id).map(work)
    }
}

impl<S: JobStore, C: Clock> Held<'_, '_, S, C> {
    /// Whether another process took the job over: nothing more of it is written here.
    pub fn lost(&self) -> bool {
        self.lost.get()
    }

    /// Write what changed, renew the lease, and pick up a cancel asked elsewhere.
    pub async fn beat(&self) -> Result<(), HostError> {
        let keeper = self.keeper;
        let now = keeper.clock.now_ms();
        let changes = keeper
            .with_job(&self.id, |job| {
                let changed = std::mem::replace(&mut job.dirty, false);
                Changes {
                    lease_until: Some(now + LEASE_MS),
                    updated_at: Some(now),
                    state: changed.then(|| job.state_text()),
                    lines: changed.then(|| job.lines_text()),
                    ..Changes::default()
                }
            })
            .unwrap_or_default();
        if !keeper.store.job_update(&self.id, &Guard::owned_by(keeper.owner), &changes).await? {
            self.lost.set(true);
            keeper.with_job(&self.id, |job| job.cancel.cancel());
            return Ok(());
        }
        if let Some(row) = keeper.store.job_get(&self.id, false).await? {
            if row.cancel_requested {
                keeper.with_job(&self.id, |job| {
                    if !job.cancel.is_cancelled() {
                        job.cancel.cancel();
                        job.state.phase = "cancelling".into();
                    }
                });
            }
        }
        Ok(())
    }

    async fn keep_alive(&self) {
        loop {
            self.keeper.clock.sleep(BEAT_MS).await;
            // A database that does not answer one beat may answer the next: the lease has
            // several beats of margin.
            let _ = self.beat().await;
        }
    }

    /// Run `work` while the lease is renewed beside it.
    pub async fn during<F: Future>(&self, work: F) -> F::Output {
        let work = std::pin::pin!(work);
        let alive = std::pin::pin!(self.keep_alive());
        match select(work, alive).await {
            Either::Left((output, _)) => output,
            // keep_alive never ends.
            Either::Right(((), work)) => work.await,
        }
    }
}
