//! The imported host: a JS object the endpoint builds from Directus services, wrapped as the
//! core's [`Host`] trait. Pages and snapshots cross as JSON text (one `JSON.stringify` in JS, one
//! parse here: far cheaper than walking large objects property by property); small requests
//! and events cross as serde values.

use wasm_bindgen::prelude::*;

use super::convert::to_js;
use super::error::host_error;
use super::fetch::fetch_error;
use crate::host::{CountRequest, FolderRequest, Host, HostError, KeysRequest, Library, NewFile, Page, PageRequest};
use crate::pipeline::schema::Snapshot;
use crate::runs::progress::{Emit, Event};
use crate::shared::http::{
    DownloadDigester, FileDigest, FileStreamer, HttpResponse, StreamError, StreamedDownload, StreamedUpload,
    TransportError,
};
use crate::shared::rows::Row;

#[wasm_bindgen(typescript_custom_section)]
const HOST_TS: &'static str = r#"
/**
 * What the core needs from the source instance, built by the endpoint from Directus services.
 * Requests are the core's own types (generated below); where a field has a serde default (it may
 * be left out of a request the core reads), the core still always sends it, as the parameter says.
 */
export interface MigrationHost {
  /**
   * One step of a key-ordered scan: the next `limit` keys after `request.after`, and the rows of
   * those keys that `request.filter` keeps, as the JSON text of a `Page`
   * (`{"rows":[…],"last":<last key scanned>,"scanned":<n>}`).
   */
  readPage(request: Required<PageRequest>): Promise<string>;
  /** Exact row count, computed in the database. */
  count(request: CountRequest): Promise<number>;
  /** The schema snapshot (`SchemaService.snapshot()`) as JSON text. */
  schemaSnapshot(): Promise<string>;
  /** Rows of `request.collection` whose primary key is in `request.keys`, as a JSON array. */
  readByKeys(request: KeysRequest & { fields: string[] }): Promise<string>;
  /**
   * Stream the source file `upload.file` to the destination: POST `upload.url` with `upload.headers`
   * (`Authorization` included: never log them) and the body `prefix` + the file's bytes + `suffix`.
   * Resolves to the destination's answer. A failure to read the source file rejects with an error
   * whose `source` property is true.
   */
  sendFile(upload: StreamedUpload): Promise<{ status: number; retryAfter: string | null; location: string | null; body: string }>;
  /** As `MigrationStore.describeTable` (the JSON text of a `TableDescription`): the source's tables, Directus' own included (their real columns). */
  describeTable(collection: string): Promise<string | null>;
  /** sha256 (hex) and size of the source file `id`'s bytes, streamed from its storage. */
  fileDigest(id: string): Promise<FileDigest>;
  /**
   * GET `download.url` with `download.headers` (`Authorization` included: never log them) and hash
   * the body as it streams. A 2xx answer resolves with `body` = JSON `{ sha256, bytes }`; any other
   * with the destination's own body. Network failures reject.
   */
  digestDownload(download: StreamedDownload): Promise<{ status: number; retryAfter: string | null; body: string }>;
  /** The folder `request.name` in `request.parent` (null: at the top) of the file library, or null. */
  findFolder(request: FolderRequest): Promise<string | null>;
  /** A new folder of the file library: its id. */
  createFolder(request: FolderRequest): Promise<string>;
  /**
   * Start a new file of the file library, in storage `file.storage`, written as a stream: resolves
   * to a handle. Never replaces a file.
   */
  openFile(file: NewFile): Promise<number>;
  /**
   * Append UTF-8 text to the file; resolves once the storage can take more (backpressure). Rejects
   * with the storage's own error once it refused the file. The bytes are a view of the core's
   * memory: copy them before anything else runs.
   */
  appendFile(handle: number, bytes: Uint8Array): Promise<void>;
  /** Finish the file: resolves to its `directus_files` id once stored; rejects with the storage's error. */
  closeFile(handle: number): Promise<string>;
  /** A log line or progress event; must not throw. */
  emit(event: MigrationEvent): void;
}
/** The one object the endpoint gives the core: the source, this instance's database and its jobs. */
export interface MigrationHost extends MigrationStore, MigrationJobStore {}
/** Any JSON value (`serde_json::Value`): keys, filters, row values. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
/** A row: column → value (`serde_json::Map`). */
export type Row = { [column: string]: Value };
/**
 * An `Event` as it crosses to the host (`Event::wire`): its fields, a human `message`, and
 * `progress`, false for lines meant for the server log only. A summary is the run's report itself.
 */
export type MigrationEvent =
  | (Exclude<Event, { type: "summary" }> & { message: string; progress: boolean })
  | (RunReport & { type: "summary"; progress: true });
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

    #[wasm_bindgen(method, catch, js_name = fileDigest)]
    async fn file_digest(this: &JsHost, id: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = digestDownload)]
    async fn digest_download(this: &JsHost, download: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = findFolder)]
    async fn find_folder(this: &JsHost, request: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = createFolder)]
    async fn create_folder(this: &JsHost, request: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = openFile)]
    async fn open_file(this: &JsHost, file: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = appendFile)]
    async fn append_file(this: &JsHost, handle: u32, bytes: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = closeFile)]
    async fn close_file(this: &JsHost, handle: u32) -> Result<JsValue, JsValue>;

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

    async fn table_columns(&self, collection: &str) -> Result<Option<Vec<String>>, HostError> {
        // The same host function the receiver's store asks (`describeTable`).
        let table = crate::receive::Store::describe_table(self, collection).await?;
        Ok(table.map(|t| t.fields.into_iter().filter(|f| f.kind != "alias").map(|f| f.field).collect()))
    }

    async fn file_digest(&self, file: &str) -> Result<FileDigest, HostError> {
        let reply = self.js.file_digest(file).await.map_err(host_error)?;
        serde_wasm_bindgen::from_value(reply)
            .map_err(|e| HostError::new(format!("host returned an unreadable file digest: {e}")))
    }
}

/// An id the host answered, as text (Directus' folder and file ids are uuids).
fn id_of(reply: JsValue, what: &str) -> Result<String, HostError> {
    reply
        .as_string()
        .or_else(|| reply.as_f64().map(|n| n.to_string()))
        .ok_or_else(|| HostError::new(format!("host returned {what} that is not an id")))
}

impl Library for HostAdapter {
    async fn find_folder(&self, folder: &FolderRequest) -> Result<Option<String>, HostError> {
        let reply = self.js.find_folder(request_to_js(folder)?).await.map_err(host_error)?;
        if reply.is_null() || reply.is_undefined() {
            return Ok(None);
        }
        id_of(reply, "a folder").map(Some)
    }

    async fn create_folder(&self, folder: &FolderRequest) -> Result<String, HostError> {
        let reply = self.js.create_folder(request_to_js(folder)?).await.map_err(host_error)?;
        id_of(reply, "a folder")
    }

    async fn open_file(&self, file: &NewFile) -> Result<u32, HostError> {
        let reply = self.js.open_file(request_to_js(file)?).await.map_err(host_error)?;
        reply
            .as_f64()
            .map(|n| n as u32)
            .ok_or_else(|| HostError::new("host returned a file handle that is not a number"))
    }

    async fn append_file(&self, handle: u32, text: &str) -> Result<(), HostError> {
        // Bytes, not a JS string: no decoding here and encoding again in the storage's stream.
        self.js.append_file(handle, text.as_bytes()).await.map(|_| ()).map_err(host_error)
    }

    async fn close_file(&self, handle: u32) -> Result<String, HostError> {
        let reply = self.js.close_file(handle).await.map_err(host_error)?;
        id_of(reply, "a file")
    }
}

/// A host answer `{ status, retryAfter, location, body }` as an [`HttpResponse`].
fn response(reply: &JsValue) -> HttpResponse {
    let field = |name: &str| js_sys::Reflect::get(reply, &name.into()).unwrap_or(JsValue::UNDEFINED);
    HttpResponse {
        status: field("status").as_f64().unwrap_or(0.0) as u16,
        retry_after: field("retryAfter").as_string(),
        location: field("location").as_string(),
        body: field("body").as_string().unwrap_or_default(),
    }
}

impl DownloadDigester for HostAdapter {
    async fn digest_download(&self, download: &StreamedDownload, token: &str) -> Result<HttpResponse, TransportError> {
        // Like an upload's: the token joins the headers right before they cross to JS.
        let mut request = download.clone();
        request.headers.push(("Authorization".into(), format!("Bearer {token}")));
        let request = to_js(&request).map_err(|e| TransportError::Network(host_error(e).message))?;
        match self.js.digest_download(request).await {
            Ok(reply) => Ok(response(&reply)),
            Err(thrown) => Err(fetch_error(thrown, download.timeout_ms)),
        }
    }
}

impl FileStreamer for HostAdapter {
    async fn stream_file(&self, upload: &StreamedUpload, token: &str) -> Result<HttpResponse, StreamError> {
        // The one place the token joins a file upload's headers: right before it crosses to JS.
        let mut request = upload.clone();
        request.headers.push(("Authorization".into(), format!("Bearer {token}")));
        let request =
            to_js(&request).map_err(|e| StreamError::Source { code: None, message: host_error(e).message })?;
        match self.js.send_file(request).await {
            Ok(reply) => Ok(response(&reply)),
            Err(thrown)
                if js_sys::Reflect::get(&thrown, &"source".into()).ok().and_then(|v| v.as_bool()) == Some(true) =>
            {
                let HostError { code, message } = host_error(thrown);
                Err(StreamError::Source { code, message })
            }
            Err(thrown) => Err(StreamError::Transfer(fetch_error(thrown, upload.timeout_ms))),
        }
    }
}

impl Emit for HostAdapter {
    fn emit(&self, event: &Event) {
        if let Ok(value) = to_js(&event.wire()) {
            let _ = self.js.emit(value);
        }
    }
}
