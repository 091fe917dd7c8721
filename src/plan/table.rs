//! How one collection's columns are treated.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::PlanError;
use crate::report::Delivery;
use crate::schema::{is_system, Parts, Snapshot};

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
    ) -> Result<Self, PlanError> {
        let fields: Vec<_> = snapshot.fields.iter().filter(|f| f.collection == name && !f.is_alias()).collect();
        let primary_key = fields
            .iter()
            .find(|f| f.is_primary_key())
            .map(|f| f.field.clone())
            .ok_or_else(|| PlanError(format!("{name} has no primary key field")))?;
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
            rows,
        };
        for field in fields {
            let name = field.field.clone();
            if field.has_special("hash") || field.has_special("conceal") {
                plan.excluded.push((name, "Directus masks hashed and concealed values when they are read".into()));
                continue;
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

    /// Columns read and written: over REST every column the API lets a client move; a bulk copy
    /// moves every real column, hashed and concealed ones included (their stored values are
    /// copied as they are).
    pub fn columns(&self, delivery: Delivery) -> Vec<String> {
        match delivery {
            Delivery::Rest => self.read_fields.clone(),
            Delivery::Bulk => {
                self.read_fields.iter().cloned().chain(self.excluded.iter().map(|(field, _)| field.clone())).collect()
            }
        }
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
