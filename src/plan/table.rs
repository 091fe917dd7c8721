//! How one collection's columns are treated.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::host::Row;
use crate::schema::{is_system, Parts, Snapshot};
use crate::CoreError;

/// A foreign key: `field` holds a key of `target` (whose primary key is `target_key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    pub field: String,
    pub target: String,
    pub target_key: String,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TablePlan {
    pub collection: String,
    pub primary_key: String,
    pub singleton: bool,
    /// Every column read from the source (no aliases, no excluded fields).
    pub read_fields: Vec<String>,
    /// Nullable foreign keys in a cycle: left out of the insert, set in the second pass.
    pub deferred: Vec<Reference>,
    /// Foreign keys whose target rows may be missing on the destination: looked up per page;
    /// values without a row are set to null (when nullable).
    pub checked: Vec<Reference>,
    /// Columns Directus overwrites on create (`date-created`, `user-created`): written again
    /// right after the insert.
    pub created_fields: Vec<String>,
    /// The `date-updated` and `date-created` fields, for `updatedAfter`.
    pub date_updated: Option<String>,
    pub date_created: Option<String>,
    /// Columns that cannot move through the API, with the reason.
    pub excluded: Vec<(String, String)>,
    /// `json` fields: a string value goes to the API JSON-encoded (see [`TablePlan::api_values`]).
    pub json_fields: Vec<String>,
    /// `bigInteger` fields: read as exact text (see [`crate::host::PageRequest::exact`]).
    pub big_integer_fields: Vec<String>,
    /// Rows in the source.
    pub rows: u64,
}

impl TablePlan {
    pub fn new(
        snapshot: &Snapshot,
        name: &str,
        in_plan: &BTreeSet<String>,
        deferred_fields: &BTreeSet<&str>,
        updated_after: bool,
        rows: u64,
    ) -> Result<Self, CoreError> {
        let fields: Vec<_> = snapshot.fields.iter().filter(|f| f.collection == name && !f.is_alias()).collect();
        let primary_key = fields
            .iter()
            .find(|f| f.is_primary_key())
            .map(|f| f.field.clone())
            .ok_or_else(|| CoreError::Unplannable(format!("{name} has no primary key field")))?;
        let singleton = snapshot
            .collections
            .iter()
            .find(|c| c.collection == name)
            .and_then(|c| c.meta_value("singleton"))
            .and_then(Value::as_bool)
            .unwrap_or(false);

        let mut plan = TablePlan {
            collection: name.to_string(),
            primary_key,
            singleton,
            read_fields: Vec::new(),
            deferred: Vec::new(),
            checked: Vec::new(),
            created_fields: Vec::new(),
            date_updated: None,
            date_created: None,
            excluded: Vec::new(),
            json_fields: Vec::new(),
            big_integer_fields: Vec::new(),
            rows,
        };
        for field in fields {
            let name = field.field.clone();
            if field.has_special("hash") || field.has_special("conceal") {
                plan.excluded.push((name, "Directus masks hashed and concealed values when they are read".into()));
                continue;
            }
            match field.kind.as_str() {
                "json" => plan.json_fields.push(name.clone()),
                // Keys stay as the API has them: the cursor and the key lookups compare them.
                "bigInteger" if !field.is_primary_key() => plan.big_integer_fields.push(name.clone()),
                _ => {}
            }
            if field.has_special("date-created") || field.has_special("user-created") {
                plan.created_fields.push(name.clone());
            }
            if field.has_special("date-created") && plan.date_created.is_none() {
                plan.date_created = Some(name.clone());
            }
            if field.has_special("date-updated") && plan.date_updated.is_none() {
                plan.date_updated = Some(name.clone());
            }
            if let Some(target) = snapshot
                .relations
                .iter()
                .find(|r| r.collection == field.collection && r.field == name)
                .and_then(|r| r.related_collection.clone())
            {
                let reference = Reference {
                    target_key: primary_key_of(snapshot, &target),
                    target,
                    field: name.clone(),
                    nullable: field.is_nullable(),
                };
                let outside = !in_plan.contains(&reference.target);
                if deferred_fields.contains(name.as_str()) {
                    // Checked in the second pass, once every row of the cycle exists.
                    plan.deferred.push(reference);
                } else if outside || updated_after {
                    plan.checked.push(reference);
                }
            }
            plan.read_fields.push(name);
        }
        Ok(plan)
    }

    /// References to `directus_files`: the files move with the rows.
    pub fn file_references(&self) -> Vec<&Reference> {
        self.checked.iter().filter(|r| r.target == "directus_files").collect()
    }

    pub fn deferred_fields(&self) -> Vec<&str> {
        self.deferred.iter().map(|r| r.field.as_str()).collect()
    }

    /// Columns a bulk copy reads and writes: every real column, hashed and concealed ones included
    /// (their stored values are copied as they are).
    pub fn bulk_columns(&self) -> Vec<String> {
        self.read_fields.iter().cloned().chain(self.excluded.iter().map(|(field, _)| field.clone())).collect()
    }

    /// A row as the destination's API must receive it. The API answers a JSON string scalar as a
    /// bare string, and Directus binds a bare string as it is, which PostgreSQL and MySQL refuse
    /// as JSON (and SQLite stores as text that is not JSON): it goes back JSON-encoded, which every
    /// database stores as that string and the API answers as the same bare string.
    pub fn api_values(&self, mut row: Row) -> Row {
        for field in &self.json_fields {
            if let Some(value @ Value::String(_)) = row.get_mut(field) {
                *value = Value::String(value.to_string());
            }
        }
        row
    }

    /// Columns sent with the insert: everything read but the deferred foreign keys.
    pub fn insert_fields(&self) -> impl Iterator<Item = &str> {
        self.read_fields.iter().map(String::as_str).filter(|f| !self.deferred.iter().any(|d| d.field == *f))
    }
}

/// Primary key of a collection: from the snapshot for user collections, `id` for Directus' own.
fn primary_key_of(snapshot: &Snapshot, collection: &str) -> String {
    if is_system(collection) {
        return "id".to_string();
    }
    snapshot
        .fields
        .iter()
        .find(|f| f.collection == collection && f.is_primary_key())
        .map(|f| f.field.clone())
        .unwrap_or_else(|| "id".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::fixtures::publishing;

    fn plan(name: &str, in_plan: &[&str], deferred: &[&str], updated_after: bool) -> TablePlan {
        let in_plan = in_plan.iter().map(|n| n.to_string()).collect();
        let deferred = deferred.iter().copied().collect();
        TablePlan::new(&publishing(), name, &in_plan, &deferred, updated_after, 0).unwrap()
    }

    #[test]
    fn json_strings_go_to_the_api_json_encoded() {
        let mut tags = plan("tags", &["tags"], &[], false);
        tags.json_fields = vec!["doc".into()];
        let row = serde_json::json!({ "id": 1, "doc": "hello", "name": "plain" }).as_object().unwrap().clone();
        let sent = tags.api_values(row);
        assert_eq!(sent["doc"], serde_json::json!("\"hello\""));
        assert_eq!(sent["name"], serde_json::json!("plain"), "other fields are left alone");
        let object = serde_json::json!({ "id": 2, "doc": { "a": [1] } }).as_object().unwrap().clone();
        assert_eq!(tags.api_values(object.clone()), object, "the API encodes objects itself");
    }

    #[test]
    fn reads_real_columns_only_and_knows_the_key() {
        let articles = plan("articles", &["articles", "authors", "categories"], &[], false);
        assert_eq!(articles.primary_key, "id");
        assert_eq!(
            articles.read_fields,
            vec!["id", "title", "author", "category", "cover", "date_created", "date_updated"]
        );
        assert_eq!(articles.file_references().iter().map(|r| r.field.as_str()).collect::<Vec<_>>(), vec!["cover"]);
        assert_eq!(articles.created_fields, vec!["date_created"]);
        assert_eq!(
            (articles.date_created.as_deref(), articles.date_updated.as_deref()),
            (Some("date_created"), Some("date_updated"))
        );
        assert_eq!(articles.checked.len(), 1, "files are always looked up");
        let languages = plan("languages", &["languages"], &[], false);
        assert_eq!(languages.primary_key, "code");
    }

    #[test]
    fn deferred_fields_are_read_but_not_inserted() {
        let authors = plan("authors", &["authors", "articles"], &["favorite_article"], false);
        assert_eq!(authors.deferred_fields(), vec!["favorite_article"]);
        assert!(authors.read_fields.contains(&"favorite_article".to_string()));
        assert!(!authors.insert_fields().any(|f| f == "favorite_article"));
        assert_eq!(authors.created_fields, vec!["user_created"]);
        let users: Vec<_> =
            authors.checked.iter().map(|r| (r.field.as_str(), r.target.as_str(), r.target_key.as_str())).collect();
        assert_eq!(users, vec![("user_created", "directus_users", "id")], "system targets are always checked");
    }

    #[test]
    fn site_settings_is_a_singleton() {
        let settings = plan("site_settings", &["site_settings"], &[], false);
        assert!(settings.singleton);
        assert_eq!(settings.checked[0].target_key, "code");
    }
}
