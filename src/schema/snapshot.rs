//! Directus schema snapshot (`GET /schema/snapshot`, `SchemaService.snapshot()`).
//!
//! Only the parts the core reasons about are typed; everything else rides along in `rest` so a
//! snapshot read here serialises back to what Directus produced.

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
    #[serde(default)]
    pub meta: Option<Value>,
    /// `None` for folder-only collections, which have no table.
    #[serde(default)]
    pub schema: Option<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSnapshot {
    pub collection: String,
    pub field: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub meta: Option<Value>,
    /// `None` for alias fields (O2M, M2M, M2A, presentation), which have no column.
    #[serde(default)]
    pub schema: Option<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationSnapshot {
    pub collection: String,
    pub field: String,
    #[serde(default)]
    pub related_collection: Option<String>,
    #[serde(default)]
    pub meta: Option<Value>,
    #[serde(default)]
    pub schema: Option<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
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
            "collections": [{ "collection": "posts", "meta": { "icon": "article" }, "schema": { "name": "posts" } }],
            "fields": [
                { "collection": "posts", "field": "id", "type": "integer", "meta": null, "schema": { "is_primary_key": true } },
                { "collection": "posts", "field": "tags", "type": "alias", "meta": { "special": ["m2m"] }, "schema": null }
            ],
            "relations": [{ "collection": "posts", "field": "author", "related_collection": "authors", "meta": {}, "schema": {} }],
            "systemFields": []
        });
        let snapshot: Snapshot = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(snapshot.fields[1].kind, "alias");
        assert!(snapshot.fields[1].schema.is_none());
        assert_eq!(serde_json::to_value(&snapshot).unwrap(), raw);
    }
}
