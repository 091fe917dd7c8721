//! The jobs of this Directus process, kept in the WASM instance for as long as it lives, and the
//! exports the job routes call: each the same three lines as every other export.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::clock::JsClock;
use super::convert::to_js;
use super::error::into_js_error;
use crate::commands::jobs;
use crate::jobs::Jobs;
use crate::runtime::Clock;

thread_local! {
    /// WASM is single-threaded: one registry for the process.
    static JOBS: Rc<RefCell<Jobs>> = Rc::new(RefCell::new(Jobs::default()));
}

/// The registry, for a run to register itself in.
pub fn registry() -> Rc<RefCell<Jobs>> {
    JOBS.with(Rc::clone)
}

/// `GET /migration/jobs`: every job kept, newest first.
#[wasm_bindgen(js_name = listJobs)]
pub fn list_jobs() -> Result<JsValue, JsValue> {
    to_js(&jobs::list(&registry()))
}

/// `GET /migration/jobs/:processId`: the job in detail.
#[wasm_bindgen(js_name = jobDetail)]
pub fn job_detail(id: &str) -> Result<JsValue, JsValue> {
    to_js(&jobs::detail(&registry(), id, JsClock.now_ms()).map_err(into_js_error)?)
}

/// The job's progress lines after `since` (their `seq`; negative: from the first kept) and
/// whether it is over, for `GET /migration/jobs/:processId/events`.
#[wasm_bindgen(js_name = jobLines)]
pub fn job_lines(id: &str, since: f64) -> Result<JsValue, JsValue> {
    let since = (since >= 0.0).then_some(since as u64);
    to_js(&jobs::lines(&registry(), id, since).map_err(into_js_error)?)
}

/// `POST /migration/jobs/:processId/cancel`.
#[wasm_bindgen(js_name = cancelJob)]
pub fn cancel_job(id: &str) -> Result<JsValue, JsValue> {
    to_js(&jobs::cancel(&registry(), id).map_err(into_js_error)?)
}
