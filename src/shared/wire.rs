//! The bulk wire format between two copies of the extension, version 1: NDJSON, a header line
//! then one JSON array per row, values in the database's own representation.
//!
//! ```text
//! {"wire":1,"mode":"create","collection":"articles","primaryKey":"id","columns":["id","title"]}
//! [1,"One"]
//! [2,"Two"]
//! ```
//!
//! Sent as `Content-Type: application/x-ndjson` so Directus' JSON body parser (and its
//! `MAX_PAYLOAD_SIZE`) leaves it to the receiver, which bounds it itself.
//!
//! A sender that reads its source through the REST API (the command line) has the API's values,
//! not the stored ones: its header says `"rows":"api"`, and the receiver turns them into its
//! database's representation as Directus writes an item (dates, geometries), without Directus'
//! specials. Only a receiver whose `info` says `apiRows` is sent such batches.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::shared::rows::Row;

pub const WIRE_VERSION: u32 = 1;
/// Whose receiver answers `GET /migration/receive/info`.
pub const RECEIVER_NAME: &str = "directus-extension-table-migration";
/// Whose receiver answers `GET /migration/receive/info`./// Rows in one batch, at most.
pub const MAX_ROWS: usize = 5_000;
/// Bytes in one batch, at most (a parsed batch takes several times its size in memory).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Columns in one batch, at most.
pub const MAX_COLUMNS: usize = 1_000;
/// Batches one receiver writes at once; more are answered 429 with a `Retry-After`.
pub const MAX_CONCURRENT_BATCHES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Insert rows whose key the destination does not have; skip the others.
    Create,
    /// Set the given columns of existing rows (the second pass).
    Update,
}

/// How a row's values are written: as the source's database stores them (read in-process), or
/// as Directus' REST API answers them (read through the API).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Representation {
    #[default]
    Stored,
    Api,
}

impl Representation {
    pub fn is_stored(&self) -> bool {
        *self == Representation::Stored
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub wire: u32,
    pub mode: Mode,
    pub collection: String,
    pub primary_key: String,
    pub columns: Vec<String>,
    /// Left out when `stored`: a batch of stored rows is what it always was.
    #[serde(default, skip_serializing_if = "Representation::is_stored")]
    pub rows: Representation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub header: Header,
    pub rows: Vec<Vec<Value>>,
}

impl Batch {
    /// Encode `rows` (objects) as a batch of `columns`.
    #[allow(clippy::expect_used)] // A header (strings, numbers) and JSON values serialise into a String without error.
    pub fn encode(header: &Header, rows: &[Row]) -> String {
        let mut text = serde_json::to_string(header).expect("headers are JSON");
        for row in rows {
            text.push('\n');
            let values: Vec<&Value> = header.columns.iter().map(|c| row.get(c).unwrap_or(&Value::Null)).collect();
            text.push_str(&serde_json::to_string(&values).expect("rows are JSON"));
        }
        text.push('\n');
        text
    }

    /// Decode and check the shape of a batch (not yet against the destination's schema).
    pub fn decode(text: &str) -> Result<Batch, WireError> {
        let invalid = WireError;
        if text.len() > MAX_BYTES {
            return Err(invalid(format!("the batch is {} bytes; at most {MAX_BYTES} are accepted", text.len())));
        }
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Header = serde_json::from_str(
            lines.next().ok_or_else(|| invalid("the batch is empty: a header line is required".into()))?,
        )
        .map_err(|e| invalid(format!("the batch header is not valid: {e}")))?;
        if header.wire != WIRE_VERSION {
            return Err(invalid(format!(
                "wire format {} is not supported; this receiver speaks {WIRE_VERSION}",
                header.wire
            )));
        }
        if header.columns.len() > MAX_COLUMNS {
            return Err(invalid(format!(
                "the batch has {} columns; at most {MAX_COLUMNS} are accepted",
                header.columns.len()
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = header.columns.iter().find(|c| !seen.insert(c.as_str())) {
            return Err(invalid(format!("column {twice} is listed twice")));
        }
        if !header.columns.contains(&header.primary_key) {
            return Err(invalid(format!("the columns must include the primary key {}", header.primary_key)));
        }
        let mut rows = Vec::new();
        for (index, line) in lines.enumerate() {
            if rows.len() == MAX_ROWS {
                return Err(invalid(format!("the batch has more than {MAX_ROWS} rows")));
            }
            let row: Vec<Value> = serde_json::from_str(line)
                .map_err(|e| invalid(format!("row {} is not a JSON array: {e}", index + 1)))?;
            if row.len() != header.columns.len() {
                return Err(invalid(format!(
                    "row {} has {} values for {} columns",
                    index + 1,
                    row.len(),
                    header.columns.len()
                )));
            }
            rows.push(row);
        }
        let batch = Batch { header, rows };
        let key = batch.key_index()?;
        if let Some(index) = batch.rows.iter().position(|r| r.get(key).is_none_or(Value::is_null)) {
            return Err(invalid(format!("row {} has no primary key", index + 1)));
        }
        Ok(batch)
    }

    /// Where the primary key is in each row.
    pub fn key_index(&self) -> Result<usize, WireError> {
        let header = &self.header;
        header
            .columns
            .iter()
            .position(|c| *c == header.primary_key)
            .ok_or_else(|| WireError(format!("the columns must include the primary key {}", header.primary_key)))
    }
}

/// A batch that is not well-formed, with what is wrong in words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct WireError(pub String);

/// What the receiver did with a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Receipt {
    pub written: Vec<Value>,
    pub skipped: Vec<Value>,
    /// `[key, the database's message]`
    pub failed: Vec<(Value, String)>,
    /// What the receiver spent on the batch (receivers before 0.1 send none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<ReceiverTimings>,
}

/// `GET /migration/receive/info`: who is listening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ReceiverInfo {
    pub receiver: String,
    pub version: String,
    pub wire: u32,
    pub vendor: Option<String>,
    /// It takes batches of rows in the API's representation (`"rows":"api"`); receivers that
    /// predate them do not say so.
    #[serde(rename = "apiRows", default)]
    pub api_rows: bool,
}

/// What the bulk receiver spent on a batch, in milliseconds, sent back in its receipt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct ReceiverTimings {
    /// Decoding and checking the batch, encoding its values for their columns.
    pub decode_ms: f64,
    /// The database's queries: existing keys, inserts, updates.
    pub database_ms: f64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn header() -> Header {
        Header {
            wire: 1,
            mode: Mode::Create,
            collection: "tags".into(),
            primary_key: "id".into(),
            columns: vec!["id".into(), "name".into()],
            rows: Representation::Stored,
        }
    }

    #[test]
    fn round_trips_rows_in_column_order() {
        let rows: Vec<Row> = vec![json!({ "name": "a", "id": 1, "ignored": true }), json!({ "id": 2 })]
            .into_iter()
            .map(|v| v.as_object().unwrap().clone())
            .collect();
        let text = Batch::encode(&header(), &rows);
        assert_eq!(text, "{\"wire\":1,\"mode\":\"create\",\"collection\":\"tags\",\"primaryKey\":\"id\",\"columns\":[\"id\",\"name\"]}\n[1,\"a\"]\n[2,null]\n");
        let batch = Batch::decode(&text).unwrap();
        assert_eq!(batch.header, header());
        assert_eq!(batch.rows, vec![vec![json!(1), json!("a")], vec![json!(2), Value::Null]]);
    }

    #[test]
    fn refuses_malformed_batches() {
        let head = serde_json::to_string(&header()).unwrap();
        let cases = [
            (String::new(), "a header line is required"),
            ("{\"wire\":1}".to_string(), "header is not valid"),
            (head.replace("\"wire\":1", "\"wire\":2"), "wire format 2 is not supported"),
            (head.replace("[\"id\",\"name\"]", "[\"name\"]"), "must include the primary key id"),
            (format!("{head}\n[1]"), "row 1 has 1 values for 2 columns"),
            (format!("{head}\n{{\"id\":1}}"), "row 1 is not a JSON array"),
            (format!("{head}\n[null,\"x\"]"), "row 1 has no primary key"),
            (format!("{head}\n{}", "[1,\"x\"]\n".repeat(MAX_ROWS + 1)), "more than 5000 rows"),
            (head.replace("[\"id\",\"name\"]", "[\"id\",\"name\",\"id\"]"), "column id is listed twice"),
            (
                head.replace(
                    "[\"id\",\"name\"]",
                    &serde_json::to_string(&(0..1_001).map(|i| format!("c{i}")).collect::<Vec<_>>()).unwrap(),
                ),
                "the batch has 1001 columns; at most 1000 are accepted",
            ),
        ];
        for (text, message) in cases {
            let err = Batch::decode(&text).unwrap_err();
            assert!(err.to_string().contains(message), "{err} should contain {message}");
        }
    }
}
