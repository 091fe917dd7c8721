//! Directus schema snapshot (`GET /schema/snapshot`, `SchemaService.snapshot()`).
//!
//! Only the keys that identify an item are typed; everything else (`meta`, `schema`, …) stays in
//! `rest` exactly as Directus wrote it — absent keys stay absent, nulls stay null — so a snapshot
//! read here serialises back to what Directus produced.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// Directus version that made the snapshot, e.g. `11.17.4`.
    pub directus: String,
    /// Database vendor, e.g. `sqlite`, `postgres`, `mysql`.
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub collections: Vec<CollectionSnapshot>,
    #[serde(default)]
    pub fields: Vec<FieldSnapshot>,
    #[serde(default)]
    pub relations: Vec<RelationSnapshot>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionSnapshot {
    pub collection: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSnapshot {
    pub collection: String,
    pub field: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationSnapshot {
    pub collection: String,
    pub field: String,
    #[serde(default)]
    pub related_collection: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `meta` and `schema` of a snapshot item, `None` when absent or null.
pub trait Parts {
    fn rest(&self) -> &Map<String, Value>;

    fn meta(&self) -> Option<&Map<String, Value>> {
        self.rest().get("meta").and_then(Value::as_object)
    }

    fn schema(&self) -> Option<&Map<String, Value>> {
        self.rest().get("schema").and_then(Value::as_object)
    }

    /// A `meta` property, `None` when absent or null.
    fn meta_value(&self, key: &str) -> Option<&Value> {
        self.meta().and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }
}

impl FieldSnapshot {
    /// Alias fields (O2M, M2M, M2A, presentation) have no column.
    pub fn is_alias(&self) -> bool {
        self.kind == "alias" || self.schema().is_none()
    }

    pub fn is_primary_key(&self) -> bool {
        self.schema().and_then(|s| s.get("is_primary_key")).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn is_nullable(&self) -> bool {
        self.schema().and_then(|s| s.get("is_nullable")).and_then(Value::as_bool).unwrap_or(true)
    }

    /// `meta.special` flags (`m2o`, `date-created`, `hash`, …), as an array or a CSV string.
    pub fn special(&self) -> Vec<&str> {
        match self.meta_value("special") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(csv)) => csv.split(',').map(str::trim).filter(|s| !s.is_empty()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn has_special(&self, flag: &str) -> bool {
        self.special().contains(&flag)
    }
}

impl Parts for CollectionSnapshot {
    fn rest(&self) -> &Map<String, Value> {
        &self.rest
    }
}

impl Parts for FieldSnapshot {
    fn rest(&self) -> &Map<String, Value> {
        &self.rest
    }
}

impl Parts for RelationSnapshot {
    fn rest(&self) -> &Map<String, Value> {
        &self.rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_losslessly() {
        let raw = json!({
            "version": 1,
            "directus": "11.17.4",
            "vendor": "sqlite",
            "collections": [
                { "collection": "posts", "meta": { "icon": "article" }, "schema": { "name": "posts" } },
                { "collection": "folder", "meta": { "icon": "folder" } }
            ],
            "fields": [
                { "collection": "posts", "field": "id", "type": "integer", "meta": null, "schema": { "is_primary_key": true } },
                { "collection": "posts", "field": "tags", "type": "alias", "meta": { "special": ["m2m"] }, "schema": null }
            ],
            "relations": [{ "collection": "posts", "field": "author", "related_collection": "authors", "meta": {}, "schema": {} }],
            "systemFields": []
        });
        let snapshot: Snapshot = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(snapshot.fields[1].kind, "alias");
        assert!(snapshot.fields[1].schema().is_none());
        assert!(snapshot.collections[1].schema().is_none(), "a folder has no schema key at all");
        assert_eq!(snapshot.collections[0].meta_value("icon"), Some(&json!("article")));
        assert_eq!(serde_json::to_value(&snapshot).unwrap(), raw);
    }

    #[test]
    fn field_properties() {
        let field = |v: Value| serde_json::from_value::<FieldSnapshot>(v).unwrap();
        let id = field(
            json!({ "collection": "a", "field": "id", "type": "integer", "meta": null, "schema": { "is_primary_key": true, "is_nullable": false } }),
        );
        assert!(id.is_primary_key() && !id.is_nullable() && !id.is_alias());
        let tags = field(
            json!({ "collection": "a", "field": "tags", "type": "alias", "meta": { "special": ["m2m"] }, "schema": null }),
        );
        assert!(tags.is_alias() && tags.has_special("m2m"));
        let csv = field(
            json!({ "collection": "a", "field": "d", "type": "timestamp", "meta": { "special": "date-created, cast-timestamp" }, "schema": {} }),
        );
        assert_eq!(csv.special(), vec!["date-created", "cast-timestamp"]);
        assert!(csv.is_nullable());
    }
}
