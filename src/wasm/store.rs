//! The imported host as the receiver's [`Store`]: the destination's own database, through knex.
//! The host only executes; which tables may be written and when sequences move is decided in
//! `receive`.

use wasm_bindgen::prelude::*;

use super::convert::to_js;
use super::error::host_error;
use super::host::HostAdapter;
use crate::host::{HostError, KeysRequest};
use crate::receive::{RowsRequest, RowsWrite, Store, TableDescription, TableShape};
use crate::shared::rows::Row;

#[wasm_bindgen(typescript_custom_section)]
const STORE_TS: &'static str = r#"
/** The receiving side of the bulk transport: this instance's own database. */
export interface MigrationStore {
  /** The knex client of this instance's database: `pg`, `mysql2`, `sqlite3`… */
  databaseClient(): Promise<string>;
  /**
   * A collection as this instance's schema describes it, as the JSON text of a `TableDescription`
   * (`{ collection, primaryKey, fields: [{ field, type, defaultValue }] }`), or null when it has none.
   */
  describeTable(collection: string): Promise<string | null>;
  /** Which of `request.keys` the table has, as a JSON array. */
  existingKeys(request: KeysRequest): Promise<string>;
  /** Which of `request.keys` the table has with `field` null, as a JSON array. */
  keysWithNull(request: KeysRequest, field: string): Promise<string>;
  /** Insert every row in one transaction; reject with the database's error. */
  insertRows(write: RowsWrite): Promise<void>;
  /** Set the given columns of each row, found by key, in one transaction. */
  updateRows(write: RowsWrite): Promise<void>;
  /** Move the table's identity sequence past its highest key (asked only where the database needs it). */
  advanceSequence(table: TableShape): Promise<void>;
  /** `request.columns` of the rows whose key is in `request.keys`, as stored, as a JSON array of objects. */
  readRows(request: RowsRequest): Promise<string>;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, catch, js_name = databaseClient)]
    async fn database_client(this: &super::host::JsHost) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = describeTable)]
    async fn describe_table(this: &super::host::JsHost, collection: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = existingKeys)]
    async fn existing_keys(this: &super::host::JsHost, request: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = keysWithNull)]
    async fn keys_with_null(this: &super::host::JsHost, request: JsValue, field: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = insertRows)]
    async fn insert_rows(this: &super::host::JsHost, write: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = updateRows)]
    async fn update_rows(this: &super::host::JsHost, write: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = advanceSequence)]
    async fn advance_sequence(this: &super::host::JsHost, table: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = readRows)]
    async fn read_rows(this: &super::host::JsHost, request: JsValue) -> Result<JsValue, JsValue>;
}

fn to_host<T: serde::Serialize>(value: &T) -> Result<JsValue, HostError> {
    to_js(value).map_err(host_error)
}

impl Store for HostAdapter {
    async fn database_client(&self) -> Result<String, HostError> {
        let reply = self.js().database_client().await.map_err(host_error)?;
        reply.as_string().ok_or_else(|| HostError::new("host returned a database client that is not text"))
    }

    async fn describe_table(&self, collection: &str) -> Result<Option<TableDescription>, HostError> {
        let reply = self.js().describe_table(collection).await.map_err(host_error)?;
        match reply.as_string() {
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| HostError::new(format!("host returned an unreadable table description: {e}"))),
            None => Ok(None),
        }
    }

    async fn existing_keys(&self, request: &KeysRequest) -> Result<Vec<serde_json::Value>, HostError> {
        let reply = self.js().existing_keys(to_host(request)?).await.map_err(host_error)?;
        let text = reply.as_string().ok_or_else(|| HostError::new("host returned keys that are not JSON text"))?;
        serde_json::from_str(&text).map_err(|e| HostError::new(format!("host returned unreadable keys: {e}")))
    }

    async fn keys_with_null(&self, request: &KeysRequest, field: &str) -> Result<Vec<serde_json::Value>, HostError> {
        let reply = self.js().keys_with_null(to_host(request)?, field).await.map_err(host_error)?;
        let text = reply.as_string().ok_or_else(|| HostError::new("host returned keys that are not JSON text"))?;
        serde_json::from_str(&text).map_err(|e| HostError::new(format!("host returned unreadable keys: {e}")))
    }

    async fn insert_rows(&self, write: &RowsWrite) -> Result<(), HostError> {
        self.js().insert_rows(to_host(write)?).await.map(|_| ()).map_err(host_error)
    }

    async fn update_rows(&self, write: &RowsWrite) -> Result<(), HostError> {
        self.js().update_rows(to_host(write)?).await.map(|_| ()).map_err(host_error)
    }

    async fn advance_sequence(&self, table: &TableShape) -> Result<(), HostError> {
        self.js().advance_sequence(to_host(table)?).await.map(|_| ()).map_err(host_error)
    }

    async fn read_rows(&self, request: &RowsRequest) -> Result<Vec<Row>, HostError> {
        let reply = self.js().read_rows(to_host(request)?).await.map_err(host_error)?;
        let text = reply.as_string().ok_or_else(|| HostError::new("host returned rows that are not JSON text"))?;
        serde_json::from_str(&text).map_err(|e| HostError::new(format!("host returned unreadable rows: {e}")))
    }
}
