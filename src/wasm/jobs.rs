//! The job exports: the runs of this process (their live state, kept in the WASM instance while
//! they run) and the job table every process shares (through the host). Each export is the same
//! few lines as every other: parse, call the core, convert.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::clock::JsClock;
use super::fetch::FetchTransport;
use super::host::HostAdapter;
use super::{connect, run, Core};
use crate::commands::recover::{recover_job, LostJob};
use crate::commands::request::parse_body;
use crate::commands::resume::take_up;
use crate::commands::run_job::{close, drive, stopped_report};
use crate::commands::settings::ExtensionSettings;
use crate::commands::{jobs, sweep};
use crate::runs::jobs::Jobs;
use crate::runs::report::Stop;
use crate::shared::runtime::Clock;
use crate::CoreError;

thread_local! {
    /// WASM is single-threaded: one registry of running jobs for the process.
    static JOBS: Rc<RefCell<Jobs>> = Rc::new(RefCell::new(Jobs::default()));
    /// Who this instance is, when the shim did not say.
    static FALLBACK_OWNER: String = format!("instance:{}", crate::runs::jobs::process_id(JsClock.now_ms(), || JsClock.random()));
}

pub fn registry() -> Rc<RefCell<Jobs>> {
    JOBS.with(Rc::clone)
}

/// This process, as the job table names lease holders.
pub fn owner(settings: &ExtensionSettings) -> String {
    match settings.instance.trim() {
        "" => FALLBACK_OWNER.with(String::clone),
        instance => instance.to_string(),
    }
}

/// Run `work` with a keeper of the job table on `host`.
macro_rules! with_keeper {
    ($host:expr, $settings:expr, |$keeper:ident| $work:expr) => {{
        let (registry, owner) = ($crate::wasm::jobs::registry(), $crate::wasm::jobs::owner(&$settings));
        let $keeper = $crate::runs::jobs::Keeper {
            store: &*$host,
            clock: &$crate::wasm::clock::JsClock,
            jobs: &registry,
            owner: &owner,
        };
        $work
    }};
}
pub(super) use with_keeper;

/// Run the job `id`, which this process holds, from its checkpoint, to its end; a job that cannot
/// be taken up ends as failed, saying why.
pub(super) async fn take_up_and_run(
    host: Rc<HostAdapter>,
    settings: Rc<ExtensionSettings>,
    id: String,
) -> Result<crate::runs::report::RunReport, CoreError> {
    with_keeper!(host, settings, |keeper| {
        let taken = take_up(&keeper, &id, &settings).await;
        let taken = match taken {
            Ok(taken) => taken,
            Err(why) => {
                let report =
                    stopped_report(false, Stop::Error(format!("the job could not be taken up again: {why}")), 409);
                let callback = keeper.with_job(&id, |job| job.state.callback_url.clone()).flatten();
                let callback = callback.and_then(|url| crate::commands::callback::Callback::to(&url, &settings).ok());
                return close(&*host, &keeper, &id, report, callback.map(|c| (c, FetchTransport))).await;
            }
        };
        let destination = match connect(&host, &settings, &taken.request).await {
            Ok(destination) => destination,
            Err(error) => {
                let report = stopped_report(taken.options.dry_run, Stop::Error(error.to_string()), error.status());
                return close(&*host, &keeper, &id, report, taken.callback.map(|c| (c, FetchTransport))).await;
            }
        };
        let callback = taken.callback.map(|c| (c, FetchTransport));
        drive(&*host, &keeper, &id, &destination, &taken.options, callback, false).await
    })
}

#[wasm_bindgen]
impl Core {
    /// `GET /migration/jobs`: the jobs of the instance, newest first.
    #[wasm_bindgen(js_name = listJobs, unchecked_return_type = "Promise<JobSummary[]>")]
    pub fn list_jobs(&self) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move { jobs::list(&*host).await })
    }

    /// `GET /migration/jobs/:processId`: the job in detail.
    #[wasm_bindgen(js_name = jobDetail, unchecked_return_type = "Promise<JobDetail>")]
    pub fn job_detail(&self, id: String) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move { jobs::detail(&*host, &registry(), &id, JsClock.now_ms()).await })
    }

    /// The job's progress lines after `since` (their `seq`; negative: from the first kept) and
    /// whether it is over, for `GET /migration/jobs/:processId/events`.
    #[wasm_bindgen(js_name = jobLines, unchecked_return_type = "Promise<Lines>")]
    pub fn job_lines(&self, id: String, since: f64) -> js_sys::Promise {
        let host = self.host.clone();
        let since = (since >= 0.0).then_some(since as u64);
        run(async move { jobs::lines(&*host, &registry(), &id, since).await })
    }

    /// `POST /migration/jobs/:processId/cancel`.
    #[wasm_bindgen(js_name = cancelJob, unchecked_return_type = "Promise<JobAnswer>")]
    pub fn cancel_job(&self, id: String) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move { jobs::cancel(&*host, &registry(), &id).await })
    }

    /// `POST /migration/jobs/:processId/resume`: reopens the job for this process; then
    /// `continueJob` runs it.
    #[wasm_bindgen(js_name = resumeJob, unchecked_return_type = "Promise<JobAnswer>")]
    pub fn resume_job(&self, id: String) -> js_sys::Promise {
        let (host, settings) = (self.host.clone(), self.settings.clone());
        run(async move { with_keeper!(host, settings, |keeper| jobs::reopen(&keeper, &id).await) })
    }

    /// Run a job this process holds (reopened, or taken over by a sweep) to its end: resolves to
    /// its report.
    #[wasm_bindgen(js_name = continueJob, unchecked_return_type = "Promise<RunReport>")]
    pub fn continue_job(&self, id: String) -> js_sys::Promise {
        let (host, settings) = (self.host.clone(), self.settings.clone());
        run(take_up_and_run(host, settings, id))
    }

    /// Every few seconds, in every process: take over jobs whose process died, deliver due
    /// callbacks, let go of old jobs. Resolves to `{ resume: [ids to continueJob], … }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Swept>")]
    pub fn sweep(&self) -> js_sys::Promise {
        let (host, settings) = (self.host.clone(), self.settings.clone());
        run(async move {
            with_keeper!(host, settings, |keeper| sweep::sweep(&*host, &keeper, &settings, FetchTransport).await)
        })
    }

    /// A job of an instance that trapped, as the shim remembers it (`{ processId, kind,
    /// startedAt, callbackUrl }`): ended as failed, its callback told so. Resolves to its report.
    #[wasm_bindgen(js_name = recoverJob, unchecked_return_type = "Promise<RunReport>")]
    pub fn recover_job(&self, lost: String) -> js_sys::Promise {
        let (host, settings) = (self.host.clone(), self.settings.clone());
        run(async move {
            let lost: LostJob = parse_body(&lost)?;
            with_keeper!(host, settings, |keeper| recover_job(&*host, &keeper, lost, &settings, FetchTransport).await)
        })
    }
}

/// A job this process runs, as it is now (a stream's heartbeat), or `null`.
#[wasm_bindgen(js_name = localJobDetail, unchecked_return_type = "JobDetail | null")]
pub fn local_job_detail(id: &str) -> Result<JsValue, JsValue> {
    let detail = registry().try_borrow().ok().and_then(|jobs| jobs.get(id).map(|job| job.detail(JsClock.now_ms())));
    super::convert::to_js(&detail)
}
