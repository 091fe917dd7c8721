//! A snapshot of the sample publishing schema (scripts/lib/sample-schema.mjs) for native tests,
//! plus a `config` folder that groups `site_settings`.

use serde_json::{json, Value};

use super::Snapshot;

fn field(collection: &str, field: &str, kind: &str, special: &[&str]) -> Value {
    let schema =
        if kind == "alias" { Value::Null } else { json!({ "name": field, "table": collection, "data_type": kind }) };
    json!({ "collection": collection, "field": field, "type": kind, "meta": { "special": special }, "schema": schema })
}

fn key(collection: &str, field: &str, kind: &str) -> Value {
    json!({ "collection": collection, "field": field, "type": kind, "meta": {},
            "schema": { "name": field, "is_primary_key": true, "has_auto_increment": kind == "integer" } })
}

fn relation(collection: &str, field: &str, related: &str, one_field: Option<&str>, junction: Option<&str>) -> Value {
    json!({ "collection": collection, "field": field, "related_collection": related,
            "meta": { "one_field": one_field, "junction_field": junction }, "schema": { "on_delete": "SET NULL" } })
}

pub fn publishing() -> Snapshot {
    let table = |name: &str, extra: Value| {
        let mut meta = json!({ "collection": name, "singleton": false });
        meta.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({ "collection": name, "meta": meta, "schema": { "name": name } })
    };
    let raw = json!({
        "version": 1,
        "directus": "11.17.4",
        "vendor": "sqlite",
        "collections": [
            table("articles", json!({})),
            table("articles_files", json!({ "hidden": true })),
            table("articles_tags", json!({ "hidden": true })),
            table("articles_translations", json!({ "hidden": true })),
            table("authors", json!({})),
            table("categories", json!({})),
            { "collection": "config", "meta": { "collection": "config" } },
            table("languages", json!({})),
            table("site_settings", json!({ "singleton": true, "group": "config" })),
            table("tags", json!({})),
        ],
        "fields": [
            key("articles", "id", "integer"),
            field("articles", "title", "string", &[]),
            field("articles", "author", "uuid", &["m2o"]),
            field("articles", "category", "integer", &["m2o"]),
            field("articles", "cover", "uuid", &["file"]),
            field("articles", "attachments", "alias", &["files"]),
            field("articles", "tag_links", "alias", &["m2m"]),
            field("articles", "translations", "alias", &["translations"]),
            field("articles", "date_created", "timestamp", &["date-created"]),
            field("articles", "date_updated", "timestamp", &["date-updated"]),
            key("articles_files", "id", "integer"),
            field("articles_files", "articles_id", "integer", &[]),
            field("articles_files", "directus_files_id", "uuid", &[]),
            key("articles_tags", "id", "integer"),
            field("articles_tags", "articles_id", "integer", &[]),
            field("articles_tags", "tags_id", "integer", &[]),
            key("articles_translations", "id", "integer"),
            field("articles_translations", "articles_id", "integer", &[]),
            field("articles_translations", "languages_code", "string", &[]),
            key("authors", "id", "uuid"),
            field("authors", "name", "string", &[]),
            field("authors", "favorite_article", "integer", &["m2o"]),
            field("authors", "user_created", "uuid", &["user-created"]),
            key("categories", "id", "integer"),
            field("categories", "parent", "integer", &["m2o"]),
            field("categories", "children", "alias", &["o2m"]),
            key("languages", "code", "string"),
            field("languages", "name", "string", &[]),
            key("site_settings", "id", "integer"),
            field("site_settings", "default_language", "string", &["m2o"]),
            key("tags", "id", "integer"),
            field("tags", "name", "string", &[]),
        ],
        "systemFields": [{ "collection": "directus_activity", "field": "timestamp", "schema": { "is_indexed": true } }],
        "relations": [
            relation("articles", "author", "authors", None, None),
            relation("articles", "category", "categories", None, None),
            relation("articles", "cover", "directus_files", None, None),
            relation("articles_files", "articles_id", "articles", Some("attachments"), Some("directus_files_id")),
            relation("articles_files", "directus_files_id", "directus_files", None, Some("articles_id")),
            relation("articles_tags", "articles_id", "articles", Some("tag_links"), Some("tags_id")),
            relation("articles_tags", "tags_id", "tags", None, Some("articles_id")),
            relation("articles_translations", "articles_id", "articles", Some("translations"), Some("languages_code")),
            relation("articles_translations", "languages_code", "languages", None, Some("articles_id")),
            relation("authors", "favorite_article", "articles", None, None),
            relation("authors", "user_created", "directus_users", None, None),
            relation("categories", "parent", "categories", Some("children"), None),
            relation("site_settings", "default_language", "languages", None, None),
        ]
    });
    serde_json::from_value(raw).expect("fixture is a valid snapshot")
}
