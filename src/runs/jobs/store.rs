//! Where jobs are kept: a table of the source's own database, which every Directus process of the
//! instance shares (the host creates it; see `js-shim/endpoint/host/jobs.js`). One row per job;
//! what the core knows of a job is in its `state` and `lines` (JSON text), and the columns hold
//! what the database must decide on: the destination a running job holds (a unique column, so two
//! processes can never both take it), who holds the job's lease, and until when. The table's
//! name is in `schema::selection::EXTENSION_TABLES`: never listed, planned, synced or migrated.

use serde::{Deserialize, Serialize};

use crate::host::HostError;

/// One row of [`JOBS_TABLE`], as it crosses to the host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", default)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    /// `running`, or the run's status once it ended.
    pub status: String,
    /// The destination's origin, as it was given.
    pub destination: String,
    /// The destination's normalized origin while the job holds it (unique); `None` once it ended.
    pub lock_key: Option<String>,
    /// The process holding the job's lease.
    pub owner: Option<String>,
    /// Epoch ms the lease runs until; past it, any process may take the job over.
    pub lease_until: f64,
    /// The Directus user who started it.
    pub started_by: Option<String>,
    pub started_at: f64,
    pub ended_at: Option<f64>,
    pub updated_at: f64,
    /// Asked from any process; the one running the job stops at its next batch.
    pub cancel_requested: bool,
    /// How many times the job was taken up again after it stopped.
    pub resumed: u32,
    /// A final callback is still to be delivered.
    pub callback_due: bool,
    /// The request, sealed under the instance's `SECRET` (its token is in it); `None` without one.
    pub request: Option<String>,
    /// The core's state of the job (JSON text, see [`super::job::JobState`]).
    pub state: String,
    /// The job's kept progress lines (JSON array); `None` where the host left them out.
    pub lines: Option<String>,
}

/// What an update requires of the row it changes: only the fields given are compared.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct Guard {
    /// `Some(None)`: the row has no owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<f64>,
}

impl Guard {
    /// The row is held by `owner`.
    pub fn owned_by(owner: &str) -> Self {
        Guard { owner: Some(Some(owner.to_string())), ..Guard::default() }
    }

    /// The row is exactly as it was read: the same owner, status and lease.
    pub fn as_seen(row: &JobRow) -> Self {
        Guard { owner: Some(row.owner.clone()), status: Some(row.status.clone()), lease_until: Some(row.lease_until) }
    }
}

/// The columns an update sets: only the fields given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_key: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_requested: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_due: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<String>,
}

/// The job table, as the host keeps it. Every write that depends on who holds a job is guarded
/// ([`Guard`]): the database, not the process, decides who wins.
#[allow(async_fn_in_trait)]
pub trait JobStore {
    /// Add a job; `false` when the database refused it as a duplicate (its destination is held).
    async fn job_insert(&self, row: &JobRow) -> Result<bool, HostError>;
    /// Change the row if it is as `guard` says; whether it was.
    async fn job_update(&self, id: &str, guard: &Guard, changes: &Changes) -> Result<bool, HostError>;
    /// Remove a job held by `owner` (a run refused while it was prepared).
    async fn job_delete(&self, id: &str, owner: &str) -> Result<(), HostError>;
    async fn job_get(&self, id: &str, with_lines: bool) -> Result<Option<JobRow>, HostError>;
    /// The newest jobs first, without their lines and request.
    async fn job_list(&self, limit: u32) -> Result<Vec<JobRow>, HostError>;
    /// Jobs whose lease ran out while they ran or owed a callback.
    async fn job_due(&self, now_ms: f64) -> Result<Vec<JobRow>, HostError>;
    /// The job holding a destination (by its normalized origin).
    async fn job_holding(&self, lock_key: &str) -> Result<Option<String>, HostError>;
    /// Delete ended jobs (none running, none owing a callback) that ended before `ended_before`
    /// or are older than the newest `keep`; how many.
    async fn job_prune(&self, ended_before: f64, keep: u32) -> Result<u32, HostError>;
    /// `text` sealed under the instance's `SECRET`; `None` without one.
    async fn seal_text(&self, text: &str) -> Result<Option<String>, HostError>;
    async fn unseal_text(&self, sealed: &str) -> Result<String, HostError>;
}
