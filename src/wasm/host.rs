//! The imported host: a JS object the endpoint builds from Directus services, wrapped as the
//! core's [`Host`] trait. Pages and snapshots cross as JSON text (one `JSON.stringify` in JS, one
//! parse here: far cheaper than walking large objects property by property); small requests
//! and events cross as serde values.

use wasm_bindgen::prelude::*;

use super::convert::to_js;
use super::error::host_error;
use super::fetch::fetch_error;
use crate::destination::HttpResponse;
use crate::host::{CountRequest, FileUpload, Host, HostError, KeysRequest, Page, PageRequest, Row, UploadError};
use crate::progress::Event;
use crate::schema::Snapshot;

#[wasm_bindgen(typescript_custom_section)]
const HOST_TS: &'static str = r#"
/** What the core needs from the source instance, built by the endpoint from Directus services. */
export interface MigrationHost {
  /**
   * One step of a key-ordered scan: the next `limit` keys after `request.after`, and the rows of
   * those keys that `request.filter` keeps, as JSON `{"rows":[…],"last":<last key scanned>,"scanned":<n>}`.
   */
  readPage(request: PageRequest): Promise<string>;
  /** Exact row count, computed in the database. */
  count(request: CountRequest): Promise<number>;
  /** The schema snapshot (`SchemaService.snapshot()`) as JSON text. */
  schemaSnapshot(): Promise<string>;
  /** Rows of `request.collection` whose primary key is in `request.keys`, as a JSON array. */
  readByKeys(request: KeysRequest): Promise<string>;
  /**
   * Stream the source file `upload.file` to the destination: POST `upload.url` with `upload.headers`
   * and the body `prefix` + the file's bytes + `suffix`. Resolves to the destination's answer. A
   * failure to read the source file rejects with an error whose `source` property is true.
   */
  sendFile(upload: FileUpload): Promise<{ status: number; retryAfter: string | null; body: string }>;
  /** A log line or progress event; must not throw. */
  emit(event: MigrationEvent): void;
}
export interface PageRequest {
  collection: string;
  primaryKey: string;
  /** Empty: every real column. */
  fields: string[];
  after: string | number | null;
  limit: number;
  filter: Record<string, unknown> | null;
  /** Rows in the database's own representation (for the bulk receiver) rather than the API's. */
  raw: boolean;
  /** Fields to read as their exact decimal text (64-bit integers). */
  exact: string[];
}
export interface CountRequest { collection: string; filter: Record<string, unknown> | null }
export interface KeysRequest { collection: string; primaryKey: string; keys: (string | number)[]; fields: string[] }
export interface FileUpload { file: string; url: string; headers: [string, string][]; prefix: string; suffix: string; timeoutMs: number }
/** Every event has a human `message`; `progress` is false for lines meant for the server log only. */
export type MigrationEvent = { type: string; message: string; progress: boolean } & (
  | { type: "log"; level: "debug" | "info" | "warn" | "error" }
  | { type: "retry"; attempt: number; delayMs: number; reason: string }
  | { type: "step" }
  | { type: "schemaChanges"; collection: string; changes: object }
  | { type: "kept"; items: { kind: string; name: string }[] }
  | { type: "rows"; collection: string; total: number; read: number; created: number; skipped: number; failed: number; dryRun: boolean }
  | { type: "rowFailed"; collection: string; key: string | number; message: string }
  | { type: "tableDone"; report: object; dryRun: boolean }
);
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "MigrationHost")]
    pub type JsHost;

    #[wasm_bindgen(method, catch, js_name = readPage)]
    async fn read_page(this: &JsHost, request: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn count(this: &JsHost, request: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = schemaSnapshot)]
    async fn schema_snapshot(this: &JsHost) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = readByKeys)]
    async fn read_by_keys(this: &JsHost, request: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = sendFile)]
    async fn send_file(this: &JsHost, upload: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn emit(this: &JsHost, event: JsValue) -> Result<(), JsValue>;
}

pub struct HostAdapter {
    js: JsHost,
}

impl HostAdapter {
    pub fn new(js: JsHost) -> Self {
        HostAdapter { js }
    }

    pub(super) fn js(&self) -> &JsHost {
        &self.js
    }
}

fn request_to_js<T: serde::Serialize>(request: &T) -> Result<JsValue, HostError> {
    to_js(request).map_err(host_error)
}

fn parse_json<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, HostError> {
    let text =
        value.as_string().ok_or_else(|| HostError::new(format!("host returned {what} that is not JSON text")))?;
    serde_json::from_str(&text).map_err(|e| HostError::new(format!("host returned an unreadable {what}: {e}")))
}

impl Host for HostAdapter {
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError> {
        let reply = self.js.read_page(request_to_js(request)?).await.map_err(host_error)?;
        parse_json(reply, "page")
    }

    async fn count(&self, request: &CountRequest) -> Result<u64, HostError> {
        let reply = self.js.count(request_to_js(request)?).await.map_err(host_error)?;
        reply.as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0).map(|n| n as u64).ok_or_else(|| {
            HostError::new(format!("host returned a count that is not a whole number for {}", request.collection))
        })
    }

    async fn schema_snapshot(&self) -> Result<Snapshot, HostError> {
        let reply = self.js.schema_snapshot().await.map_err(host_error)?;
        parse_json(reply, "schema snapshot")
    }

    async fn read_by_keys(&self, request: &KeysRequest) -> Result<Vec<Row>, HostError> {
        let reply = self.js.read_by_keys(request_to_js(request)?).await.map_err(host_error)?;
        parse_json(reply, "list of rows")
    }

    async fn send_file(&self, upload: &FileUpload) -> Result<HttpResponse, UploadError> {
        let request = to_js(upload).map_err(|e| UploadError::Source(host_error(e)))?;
        match self.js.send_file(request).await {
            Ok(reply) => {
                let field = |name: &str| js_sys::Reflect::get(&reply, &name.into()).unwrap_or(JsValue::UNDEFINED);
                Ok(HttpResponse {
                    status: field("status").as_f64().unwrap_or(0.0) as u16,
                    retry_after: field("retryAfter").as_string(),
                    body: field("body").as_string().unwrap_or_default(),
                })
            }
            Err(thrown)
                if js_sys::Reflect::get(&thrown, &"source".into()).ok().and_then(|v| v.as_bool()) == Some(true) =>
            {
                Err(UploadError::Source(host_error(thrown)))
            }
            Err(thrown) => Err(UploadError::Transfer(fetch_error(thrown, upload.timeout_ms))),
        }
    }

    fn emit(&self, event: &Event) {
        let Ok(mut wire) = serde_json::to_value(event) else {
            return;
        };
        if let Some(object) = wire.as_object_mut() {
            object.insert("message".into(), event.message().into());
            object.insert("progress".into(), event.is_progress().into());
        }
        if let Ok(value) = to_js(&wire) {
            let _ = self.js.emit(value);
        }
    }
}
