//! A job whose WASM instance trapped: the shim remembers its process id, its kind, when it
//! started and its `callbackUrl` (never the destination token), and hands them to a fresh
//! instance, which keeps the job as failed and tells the callback so.

use std::cell::RefCell;

use serde::Deserialize;

use super::job::Callback;
use super::settings::ExtensionSettings;
use crate::callback::{deliver, payload};
use crate::http::Transport;
use crate::jobs::{is_process_id, JobStatus, Jobs};
use crate::report::{RunReport, Stop};
use crate::runtime::{Cancel, Clock};
use crate::CoreError;

/// Why a recovered job failed, as its report and its callback say.
pub const CRASHED: &str = "the migration core crashed while the job ran; it was restarted (see the Directus log)";

/// What the shim kept of a job while it ran.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LostJob {
    pub process_id: String,
    pub kind: String,
    pub started_at: f64,
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// Keep `lost` in `jobs` as failed and deliver its callback, if it had one.
pub async fn recover_job<T: Transport, C: Clock>(
    jobs: &RefCell<Jobs>,
    lost: LostJob,
    settings: &ExtensionSettings,
    transport: T,
    clock: &C,
) -> Result<RunReport, CoreError> {
    if !is_process_id(&lost.process_id) {
        return Err(CoreError::InvalidInput("processId is not a process id".into()));
    }
    let kind = if lost.kind == "dry-run" { "dry-run" } else { "run" };
    let callback = lost.callback_url.as_deref().map(|url| Callback::to(url, settings)).transpose()?;
    let id = lost.process_id;
    let mut report = RunReport::new(kind == "dry-run", vec![]);
    report.finish(0.0, Some(Stop::Error(CRASHED.into())));
    report.http_status = 500;
    report.process_id = Some(id.clone());
    let wire = serde_json::to_value(&report).unwrap_or_default();
    let now = clock.now_ms();
    {
        let mut registry = jobs.borrow_mut();
        registry.start(&id, kind, "", vec![], Cancel::default(), lost.started_at.min(now));
        registry.finish(&id, JobStatus::Ended(report.status), Some(wire), now);
    }
    if let Some(callback) = callback {
        let body = payload(&id, &report, &[], now).to_string();
        let state = deliver(&transport, clock, &callback.url, &callback.origin, body, callback.secret.as_deref()).await;
        jobs.borrow_mut().set_callback(&id, state);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::Value;

    use super::*;
    use crate::report::RunStatus;
    use crate::runtime::fake::FakeClock;
    use crate::testing::{answer, Scripted};

    fn lost(callback_url: Option<&str>) -> LostJob {
        LostJob {
            process_id: "migration_1_aaaaaaaaaaaa".into(),
            kind: "run".into(),
            started_at: 1.0,
            callback_url: callback_url.map(String::from),
        }
    }

    #[test]
    fn a_lost_job_is_kept_failed_and_its_callback_says_so() {
        let jobs = RefCell::new(Jobs::default());
        let hooks = Scripted::new(vec![answer(200, "{}")]);
        let settings = ExtensionSettings::default();
        let clock = FakeClock::default();
        let report =
            block_on(recover_job(&jobs, lost(Some("http://hooks/flows/trigger/1")), &settings, &hooks, &clock))
                .unwrap();
        assert_eq!(report.status, RunStatus::Failed);
        let detail = jobs.borrow().detail("migration_1_aaaaaaaaaaaa", 5.0).unwrap();
        assert_eq!(detail.summary.status, JobStatus::Ended(RunStatus::Failed));
        assert!(detail.callback.unwrap().delivered);
        let sent = hooks.seen.borrow();
        let body: Value = serde_json::from_str(sent[0].0.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            (body["processId"].as_str(), body["status"].as_str()),
            (Some("migration_1_aaaaaaaaaaaa"), Some("failed"))
        );
        assert_eq!(body["details"]["error"], CRASHED);
    }

    #[test]
    fn refuses_what_is_not_a_lost_job_and_keeps_nothing() {
        let jobs = RefCell::new(Jobs::default());
        let hooks = Scripted::new(vec![]);
        let (settings, clock) = (ExtensionSettings::default(), FakeClock::default());
        let bad_id = LostJob { process_id: "job_1".into(), ..lost(None) };
        assert_eq!(block_on(recover_job(&jobs, bad_id, &settings, &hooks, &clock)).unwrap_err().status(), 400);
        let bad_url = lost(Some("ftp://hooks"));
        assert_eq!(block_on(recover_job(&jobs, bad_url, &settings, &hooks, &clock)).unwrap_err().status(), 400);
        assert!(jobs.borrow().list().is_empty());
        assert!(hooks.seen.borrow().is_empty());
    }
}
