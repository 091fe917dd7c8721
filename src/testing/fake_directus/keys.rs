//! The fake destination's key listing (`GET /items/:collection?sort=<key>` with a `_gt` cursor)
//! and deletes (`DELETE /items/:collection` with a list of keys): over its REST tables, or its
//! receiver's database for the tables the receiver describes (one database behind both).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{error, ok, FakeDirectus};
use crate::shared::http::{HttpResponse, Method, TransportError};
use crate::shared::rows::{key_text, Row};

/// Keys in the database's order: numbers by value, text as text.
fn order(a: &Value, b: &Value) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => key_text(a).cmp(&key_text(b)),
    }
}

impl FakeDirectus {
    /// Whether this request lists keys in order or deletes.
    pub(super) fn lists_or_deletes(method: Method, params: &BTreeMap<String, String>) -> bool {
        method == Method::Delete || params.contains_key("sort")
    }

    pub(super) fn list_or_delete(
        &self,
        method: Method,
        collection: &str,
        key: &str,
        params: &BTreeMap<String, String>,
        body: &Value,
    ) -> Result<HttpResponse, TransportError> {
        let rows = self.rows_behind(collection);
        if method == Method::Delete {
            let doomed: Vec<String> = body.as_array().unwrap().iter().map(key_text).collect();
            // A row still referenced is refused, as the database's foreign key would.
            for (other, field, target) in &self.foreign_keys {
                let referenced = self
                    .rows_behind(other)
                    .iter()
                    .any(|r| target == collection && r.get(field).is_some_and(|v| doomed.contains(&key_text(v))));
                if referenced {
                    return error(
                        500,
                        "INTERNAL_SERVER_ERROR",
                        &format!("FOREIGN KEY constraint failed ({other}.{field})"),
                    );
                }
            }
            let keep = |row: &Row| !row.get(key).is_some_and(|k| doomed.contains(&key_text(k)));
            match &self.receiver {
                Some(store) if store.tables_described.contains_key(collection) => {
                    store.tables.borrow_mut().entry(collection.into()).or_default().retain(keep);
                }
                _ => self.tables.borrow_mut().entry(collection.into()).or_default().retain(|_, row| keep(row)),
            }
            return Ok(HttpResponse { status: 204, retry_after: None, location: None, body: String::new() });
        }
        let after: Option<Value> =
            params.get("filter").map(|f| serde_json::from_str::<Value>(f).unwrap()[key]["_gt"].clone());
        let limit: usize = params["limit"].parse().unwrap();
        let mut keys: Vec<Value> = rows
            .iter()
            .filter_map(|r| r.get(key).cloned())
            .filter(|k| after.as_ref().is_none_or(|a| order(k, a) == Ordering::Greater))
            .collect();
        keys.sort_by(order);
        ok(Value::Array(keys.into_iter().take(limit).map(|k| json!({ key: k })).collect()))
    }

    fn rows_behind(&self, collection: &str) -> Vec<Row> {
        match &self.receiver {
            Some(store) if store.tables_described.contains_key(collection) => store.rows(collection),
            _ => self.tables.borrow().get(collection).map(|t| t.values().cloned().collect()).unwrap_or_default(),
        }
    }
}
