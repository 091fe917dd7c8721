//! The imported host as the core's [`JobStore`]: the job table in this instance's own database,
//! through knex (`js-shim/endpoint/host/jobs.js`). The host only executes; who holds a job and
//! when it is taken over is decided in `jobs` and `commands`.

use wasm_bindgen::prelude::*;

use super::convert::to_js;
use super::error::host_error;
use super::host::{HostAdapter, JsHost};
use crate::host::HostError;
use crate::runs::jobs::{Changes, Guard, JobRow, JobStore};

#[wasm_bindgen(typescript_custom_section)]
const JOB_STORE_TS: &'static str = r#"
/** The job table (`table_migration_jobs`) of this instance's own database, shared by its processes. */
export interface MigrationJobStore {
  /** Add a job; false when a unique column refused it (its destination is held). */
  jobInsert(row: JobRow): Promise<boolean>;
  /** Change the row if it matches `guard` (only the keys given); resolves to the rows changed. */
  jobUpdate(id: string, guard: Guard, set: Changes): Promise<number>;
  /** Delete the job if `owner` holds it. */
  jobDelete(id: string, owner: string): Promise<number>;
  jobGet(id: string, withLines: boolean): Promise<JobRow | null>;
  /** Newest first, without lines and request. */
  jobList(limit: number): Promise<JobRow[]>;
  /** Jobs whose lease ran out while running or owing a callback, without lines. */
  jobDue(now: number): Promise<JobRow[]>;
  jobHolding(lockKey: string): Promise<string | null>;
  jobPrune(endedBefore: number, keep: number): Promise<number>;
  /** Sealed under the instance's SECRET (base64); null without one. */
  sealText(text: string): Promise<string | null>;
  /** Rejects with code JOB_UNSEALABLE when SECRET differs or the text was changed. */
  unsealText(sealed: string): Promise<string>;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, catch, js_name = jobInsert)]
    async fn job_insert(this: &JsHost, row: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = jobUpdate)]
    async fn job_update(this: &JsHost, id: &str, guard: JsValue, set: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = jobDelete)]
    async fn job_delete(this: &JsHost, id: &str, owner: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = jobGet)]
    async fn job_get(this: &JsHost, id: &str, with_lines: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = jobList)]
    async fn job_list(this: &JsHost, limit: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = jobDue)]
    async fn job_due(this: &JsHost, now: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = jobHolding)]
    async fn job_holding(this: &JsHost, lock_key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = jobPrune)]
    async fn job_prune(this: &JsHost, ended_before: f64, keep: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = sealText)]
    async fn seal_text(this: &JsHost, text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = unsealText)]
    async fn unseal_text(this: &JsHost, sealed: &str) -> Result<JsValue, JsValue>;
}

fn to_host<T: serde::Serialize>(value: &T) -> Result<JsValue, HostError> {
    to_js(value).map_err(host_error)
}

fn from_host<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, HostError> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| HostError::new(format!("the job table answered {what} unreadably: {e}")))
}

fn count(value: &JsValue) -> u32 {
    value.as_f64().filter(|n| *n >= 0.0).map_or(0, |n| n as u32)
}

impl JobStore for HostAdapter {
    async fn job_insert(&self, row: &JobRow) -> Result<bool, HostError> {
        let reply = self.js().job_insert(to_host(row)?).await.map_err(host_error)?;
        Ok(reply.as_bool() == Some(true))
    }

    async fn job_update(&self, id: &str, guard: &Guard, changes: &Changes) -> Result<bool, HostError> {
        let reply = self.js().job_update(id, to_host(guard)?, to_host(changes)?).await.map_err(host_error)?;
        Ok(count(&reply) > 0)
    }

    async fn job_delete(&self, id: &str, owner: &str) -> Result<(), HostError> {
        self.js().job_delete(id, owner).await.map(|_| ()).map_err(host_error)
    }

    async fn job_get(&self, id: &str, with_lines: bool) -> Result<Option<JobRow>, HostError> {
        let reply = self.js().job_get(id, with_lines).await.map_err(host_error)?;
        if reply.is_null() || reply.is_undefined() {
            return Ok(None);
        }
        from_host(reply, "a job").map(Some)
    }

    async fn job_list(&self, limit: u32) -> Result<Vec<JobRow>, HostError> {
        from_host(self.js().job_list(limit).await.map_err(host_error)?, "a list of jobs")
    }

    async fn job_due(&self, now_ms: f64) -> Result<Vec<JobRow>, HostError> {
        from_host(self.js().job_due(now_ms).await.map_err(host_error)?, "the jobs due")
    }

    async fn job_holding(&self, lock_key: &str) -> Result<Option<String>, HostError> {
        Ok(self.js().job_holding(lock_key).await.map_err(host_error)?.as_string())
    }

    async fn job_prune(&self, ended_before: f64, keep: u32) -> Result<u32, HostError> {
        Ok(count(&self.js().job_prune(ended_before, keep).await.map_err(host_error)?))
    }

    async fn seal_text(&self, text: &str) -> Result<Option<String>, HostError> {
        Ok(self.js().seal_text(text).await.map_err(host_error)?.as_string())
    }

    async fn unseal_text(&self, sealed: &str) -> Result<String, HostError> {
        let reply = self.js().unseal_text(sealed).await.map_err(host_error)?;
        reply.as_string().ok_or_else(|| HostError::new("the host unsealed a request that is not text"))
    }
}
