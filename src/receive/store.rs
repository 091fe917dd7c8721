//! What the bulk receiver asks of the database of the instance it runs in (the destination). The
//! endpoint implements it with knex; it only executes, the receiver decides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::host::{HostError, KeysRequest};
use crate::pipeline::schema::is_system;
use crate::shared::wire::Representation;

/// A collection as the receiving instance's schema describes it (Directus' schema overview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct TableDescription {
    pub collection: String,
    pub primary_key: String,
    pub fields: Vec<FieldDescription>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct FieldDescription {
    pub field: String,
    /// Directus' type: `string`, `integer`, `json`, `alias`…
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub default_value: Option<Value>,
}

/// The shape of a table rows may be written to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct TableShape {
    pub collection: String,
    pub primary_key: String,
    /// Real columns (no aliases).
    pub columns: Vec<String>,
    /// The primary key is an auto-incrementing integer (its sequence must follow inserts).
    pub auto_increment: bool,
    /// Each column's Directus type (`json`, `csv`, `bigInteger`, `geometry.Point`…): the receiver
    /// encodes values for their column before they are bound (see `receive::values`).
    #[serde(default)]
    pub types: BTreeMap<String, String>,
}

impl TableShape {
    /// The table behind a user collection; `None` for Directus' own collections, which the
    /// receiver never writes.
    pub fn of(description: TableDescription) -> Option<TableShape> {
        if is_system(&description.collection) {
            return None;
        }
        let key = description.fields.iter().find(|f| f.field == description.primary_key);
        let auto_increment = key.is_some_and(|k| {
            matches!(k.kind.as_str(), "integer" | "bigInteger")
                && k.default_value.as_ref().and_then(Value::as_str) == Some("AUTO_INCREMENT")
        });
        let real: Vec<FieldDescription> = description.fields.into_iter().filter(|f| f.kind != "alias").collect();
        let types = real.iter().map(|f| (f.field.clone(), f.kind.clone())).collect();
        Some(TableShape {
            collection: description.collection,
            primary_key: description.primary_key,
            columns: real.into_iter().map(|f| f.field).collect(),
            auto_increment,
            types,
        })
    }
}

/// Rows to write straight into a table, in the database's representation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct RowsWrite {
    pub collection: String,
    pub primary_key: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// `api`: values as the REST API answers them, which the store turns into its database's
    /// representation as Directus writes an item.
    #[serde(default)]
    pub representation: Representation,
}

/// Rows of a table by key: `columns` of the rows whose primary key is one of `keys`, in the
/// database's representation (the verification's reads).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct RowsRequest {
    pub collection: String,
    pub primary_key: String,
    pub columns: Vec<String>,
    pub keys: Vec<Value>,
}

#[allow(async_fn_in_trait)]
pub trait Store {
    /// The knex client of this instance's database (`pg`, `mysql2`, `sqlite3`…).
    async fn database_client(&self) -> Result<String, HostError>;
    /// A collection as this instance's schema describes it, `None` when it has none.
    async fn describe_table(&self, collection: &str) -> Result<Option<TableDescription>, HostError>;
    /// Which of `request.keys` the table has.
    async fn existing_keys(&self, request: &KeysRequest) -> Result<Vec<Value>, HostError>;
    /// Which of `request.keys` the table has with `field` null.
    async fn keys_with_null(&self, request: &KeysRequest, field: &str) -> Result<Vec<Value>, HostError>;
    /// Insert every row, in one transaction: all or nothing. The error is the database's.
    async fn insert_rows(&self, write: &RowsWrite) -> Result<(), HostError>;
    /// Set the given columns of each row, found by key, in one transaction.
    async fn update_rows(&self, write: &RowsWrite) -> Result<(), HostError>;
    /// Move the table's identity sequence past its highest key.
    async fn advance_sequence(&self, table: &TableShape) -> Result<(), HostError>;
    /// The rows a [`RowsRequest`] names (those the table has), as they are stored.
    async fn read_rows(&self, request: &RowsRequest) -> Result<Vec<crate::shared::rows::Row>, HostError>;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn describe(collection: &str, key_kind: &str, default: Value) -> TableDescription {
        serde_json::from_value(json!({
            "collection": collection,
            "primaryKey": "id",
            "fields": [
                { "field": "id", "type": key_kind, "defaultValue": default },
                { "field": "title", "type": "string" },
                { "field": "tags", "type": "alias" }
            ]
        }))
        .unwrap()
    }

    #[test]
    fn user_tables_have_a_shape_without_aliases() {
        let shape = TableShape::of(describe("articles", "integer", json!("AUTO_INCREMENT"))).unwrap();
        assert_eq!(shape.columns, vec!["id", "title"]);
        assert!(shape.auto_increment);
        assert!(!TableShape::of(describe("articles", "uuid", Value::Null)).unwrap().auto_increment);
        assert!(!TableShape::of(describe("articles", "integer", Value::Null)).unwrap().auto_increment);
        assert_eq!(TableShape::of(describe("directus_users", "uuid", Value::Null)), None);
    }
}
