//! A job whose WASM instance trapped: the shim remembers its process id, its kind, when it
//! started and its `callbackUrl` (never the destination token), and hands them to a fresh
//! instance, which ends the job as failed in the job table and tells the callback so.

use serde::Deserialize;

use super::callback::Callback;
use super::run_job::{close, stopped_report};
use super::settings::ExtensionSettings;
use crate::runs::jobs::{is_process_id, JobStore, Keeper};
use crate::runs::progress::Emit;
use crate::runs::report::{RunReport, Stop};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// Why a recovered job failed, as its report and its callback say.
pub const CRASHED: &str = "the migration core crashed while the job ran; it was restarted (see the Directus log)";

/// What the shim kept of a job while it ran.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LostJob {
    pub process_id: String,
    pub kind: String,
    pub started_at: f64,
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// End `lost` as failed and deliver its callback, if it had one.
pub async fn recover_job<S: JobStore, C: Clock, T: Transport>(
    log: &impl Emit,
    keeper: &Keeper<'_, S, C>,
    lost: LostJob,
    settings: &ExtensionSettings,
    transport: T,
) -> Result<RunReport, CoreError> {
    if !is_process_id(&lost.process_id) {
        return Err(CoreError::InvalidInput("processId is not a process id".into()));
    }
    let callback = lost.callback_url.as_deref().map(|url| Callback::to(url, settings)).transpose()?;
    let report = stopped_report(lost.kind == "dry-run", Stop::Error(CRASHED.into()), 500);
    close(log, keeper, &lost.process_id, report, callback.map(|c| (c, transport))).await
}
