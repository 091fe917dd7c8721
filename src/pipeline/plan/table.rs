//! How one collection's columns are treated.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::PlanError;
use crate::pipeline::schema::{is_system, Parts, Snapshot};
use crate::pipeline::system::{self, Handling, Keys, SystemCollection};
use crate::runs::report::Delivery;
use crate::shared::rows::Row;
use crate::shared::wire::Representation;

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
    /// Columns Directus stamps on every update (`date-updated`, `user-updated`): over REST a merge
    /// neither compares nor writes them.
    #[serde(skip)]
    pub updated_fields: Vec<String>,
    /// The `date-updated` and `date-created` fields, for `updatedAfter`.
    pub date_updated: Option<String>,
    pub date_created: Option<String>,
    /// Columns that cannot move through the API, with the reason.
    pub excluded: Vec<(String, String)>,
    /// Of Directus' own collections: fields added to them that never move (concealed, hashed,
    /// encrypted), with the reason — also in `excluded`; the report warns about each.
    pub concealed: Vec<(String, String)>,
    /// `json` fields: a string value goes to the API JSON-encoded (see [`TablePlan::api_values`]).
    pub json_fields: Vec<String>,
    /// `bigInteger` fields: read as exact text (see [`crate::host::PageRequest::exact`]).
    pub big_integer_fields: Vec<String>,
    /// `float` fields: read exactly where the API's driver does not (MySQL/MariaDB's text protocol
    /// rounds doubles to 15 or 16 digits; see [`crate::host::PageRequest::exact`]).
    pub float_fields: Vec<String>,
    /// Rows in the source.
    pub rows: u64,
    /// Every foreign key, for the key map (references to keys that stand for others).
    pub references: Vec<Reference>,
    /// Directus' own collection: its catalogue entry. Written over REST through its own
    /// endpoint whatever the run's transport.
    #[serde(skip)]
    pub system: Option<&'static SystemCollection>,
    /// Rows about an item of any collection (a comment): the primary-key field of each user
    /// collection, to find their items on the destination.
    pub item_keys: BTreeMap<String, String>,
    /// Another table's references to this one are checked on the destination: the keys this
    /// table's rows are found or written under are worth remembering.
    #[serde(skip)]
    pub looked_up: bool,
}

/// The fields that date a table's rows: `date-updated` and `date-created` (an `updatedAfter` run
/// filters on them). For a user table, its first fields with those specials that move (a hashed
/// or concealed field never does); for Directus' own, the catalogue's, where the source's table
/// has them (`columns`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dates {
    pub updated: Option<String>,
    pub created: Option<String>,
}

impl Dates {
    pub fn of(snapshot: &Snapshot, name: &str, columns: Option<&[String]>) -> Dates {
        if let Some(entry) = system::entry(name) {
            let has = |c: &&str| columns.unwrap_or_default().iter().any(|column| column == c);
            return Dates {
                updated: entry.date_updated.filter(has).map(String::from),
                created: entry.date_created.filter(has).map(String::from),
            };
        }
        let moving = snapshot.fields.iter().filter(|f| f.collection == name && !f.is_alias());
        let moving: Vec<_> = moving.filter(|f| !f.has_special("hash") && !f.has_special("conceal")).collect();
        let first = |special: &str| moving.iter().find(|f| f.has_special(special)).map(|f| f.field.clone());
        Dates { updated: first("date-updated"), created: first("date-created") }
    }
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
            updated_fields: Vec::new(),
            date_updated: None,
            date_created: None,
            excluded: Vec::new(),
            concealed: Vec::new(),
            json_fields: Vec::new(),
            big_integer_fields: Vec::new(),
            float_fields: Vec::new(),
            rows,
            references: Vec::new(),
            system: None,
            looked_up: false,
            item_keys: BTreeMap::new(),
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
                "float" if !field.is_primary_key() => plan.float_fields.push(name.clone()),
                _ => {}
            }
            if field.has_special("date-created") || field.has_special("user-created") {
                plan.created_fields.push(name.clone());
            }
            if field.has_special("date-updated") || field.has_special("user-updated") {
                plan.updated_fields.push(name.clone());
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
                plan.place(reference, in_plan, deferred_fields, updated_after);
            }
            plan.read_fields.push(name);
        }
        let Dates { updated, created } = Dates::of(snapshot, name, None);
        (plan.date_updated, plan.date_created) = (updated, created);
        Ok(plan)
    }

    /// Where a reference goes: held back for the second pass, checked on the destination per
    /// page (its target may be missing there: not selected, `updatedAfter`, or one of Directus'
    /// own collections, whose rows may be refused or mapped), or trusted (its target moves
    /// first).
    fn place(
        &mut self,
        reference: Reference,
        in_plan: &BTreeSet<String>,
        deferred: &BTreeSet<&str>,
        updated_after: bool,
    ) {
        let outside = !in_plan.contains(&reference.target);
        self.references.push(reference.clone());
        if deferred.contains(reference.field.as_str()) {
            // Checked in the second pass, once every row of the cycle exists.
            self.deferred.push(reference);
        } else if outside || updated_after || is_system(&reference.target) {
            self.checked.push(reference);
        }
    }

    /// One of Directus' own collections, from its catalogue entry: the columns that move of
    /// those the source's table has (`columns`), its custom fields from the snapshot (they move
    /// too, with their references), and its references.
    #[allow(clippy::too_many_arguments)]
    pub fn system(
        snapshot: &Snapshot,
        entry: &'static SystemCollection,
        columns: &[String],
        in_plan: &BTreeSet<String>,
        deferred_fields: &BTreeSet<&str>,
        updated_after: bool,
        rows: u64,
    ) -> Self {
        let has = |c: &str| columns.iter().any(|column| column == c);
        // Concealed, hashed and encrypted fields never move: the API gives a mask or ciphertext.
        let concealed: Vec<(String, String)> = snapshot
            .fields
            .iter()
            .filter(|f| f.collection == entry.collection && !f.is_alias() && has(&f.field))
            .filter(|f| !entry.never.iter().any(|(c, _)| *c == f.field) && system::settings::kept(&f.field).is_none())
            .filter_map(|f| system::concealed::why(f).map(|why| (f.field.clone(), why.to_string())))
            .collect();
        let secret = |c: &str| concealed.iter().any(|(field, _)| field == c);
        let custom: Vec<_> = snapshot
            .fields
            .iter()
            .filter(|f| f.collection == entry.collection && !f.is_alias() && has(&f.field) && !entry.knows(&f.field))
            .filter(|f| !secret(&f.field))
            .collect();
        let dates = Dates::of(snapshot, entry.collection, Some(columns));
        let mut plan = TablePlan {
            collection: entry.collection.to_string(),
            primary_key: entry.key.to_string(),
            singleton: entry.handling == Handling::Settings,
            read_fields: Vec::new(),
            deferred: Vec::new(),
            checked: Vec::new(),
            created_fields: entry.created.iter().filter(|c| has(c)).map(|c| c.to_string()).collect(),
            updated_fields: Vec::new(),
            date_updated: dates.updated,
            date_created: dates.created,
            excluded: Vec::new(),
            concealed: Vec::new(),
            // Directus' own columns go as the API reads them; custom fields added to them are typed.
            json_fields: custom.iter().filter(|f| f.kind == "json").map(|f| f.field.clone()).collect(),
            big_integer_fields: custom.iter().filter(|f| f.kind == "bigInteger").map(|f| f.field.clone()).collect(),
            float_fields: custom.iter().filter(|f| f.kind == "float").map(|f| f.field.clone()).collect(),
            rows,
            references: Vec::new(),
            system: Some(entry),
            looked_up: false,
            item_keys: BTreeMap::new(),
        };
        if entry.item_reference.is_some() {
            plan.item_keys = snapshot
                .fields
                .iter()
                .filter(|f| f.is_primary_key() && !is_system(&f.collection))
                .map(|f| (f.collection.clone(), f.field.clone()))
                .collect();
        }
        plan.read_fields = match entry.handling {
            Handling::Files => vec![entry.key.to_string()],
            Handling::Settings => std::iter::once(entry.key.to_string())
                .chain(system::settings::moving(columns).into_iter().filter(|c| c != entry.key && !secret(c)))
                .collect(),
            Handling::Rows => {
                let key = (entry.keys == Keys::Assigned).then_some(entry.key);
                key.into_iter()
                    .chain(entry.moves.iter().copied())
                    .chain(entry.read_also.iter().copied())
                    .filter(|c| has(c) && !secret(c))
                    .map(String::from)
                    .chain(custom.iter().map(|f| f.field.clone()))
                    .collect()
            }
        };
        for (column, why) in entry.never.iter().filter(|(c, _)| has(c)) {
            plan.excluded.push((column.to_string(), why.to_string()));
        }
        if entry.handling == Handling::Settings {
            for column in columns.iter().filter(|c| *c != entry.key) {
                if let Some(why) = system::settings::kept(column) {
                    plan.excluded.push((column.clone(), format!("left as the destination has it: {why}")));
                }
            }
        }
        if entry.handling == Handling::Rows {
            let unknown = |c: &&String| !entry.knows(c) && !custom.iter().any(|f| &f.field == *c) && !secret(c);
            for column in columns.iter().filter(unknown) {
                plan.excluded.push((column.clone(), "not a column this version of the extension knows".into()));
            }
        }
        plan.excluded.extend(concealed.iter().cloned());
        plan.concealed = concealed;
        for reference in entry.references.iter().filter(|r| has(r.field) || entry.handling != Handling::Rows) {
            let reference = Reference {
                field: reference.field.to_string(),
                target: reference.target.to_string(),
                target_key: "id".to_string(),
                nullable: reference.nullable,
            };
            plan.place(reference, in_plan, deferred_fields, updated_after);
        }
        for field in custom {
            let relation =
                snapshot.relations.iter().find(|r| r.collection == entry.collection && r.field == field.field);
            if let Some(target) = relation.and_then(|r| r.related_collection.clone()) {
                let reference = Reference {
                    target_key: primary_key_of(snapshot, &target),
                    target,
                    field: field.field.clone(),
                    nullable: field.is_nullable(),
                };
                plan.place(reference, in_plan, deferred_fields, updated_after);
            }
        }
        plan
    }

    /// `(field, target)` of every reference, for the key map.
    pub fn reference_pairs(&self) -> Vec<(&str, &str)> {
        self.references.iter().map(|r| (r.field.as_str(), r.target.as_str())).collect()
    }

    /// Whether the destination assigns this table's keys (rows matched by a natural key).
    pub fn assigns_keys(&self) -> bool {
        self.system.is_some_and(|s| s.keys == Keys::Assigned)
    }

    /// Whether rows already on the destination get their held-back references repaired (not
    /// Directus' users: see [`crate::pipeline::system::SystemCollection::repaired`]).
    pub fn repaired(&self) -> bool {
        self.system.is_none_or(|s| s.repaired)
    }

    /// The columns written on insert: the columns read, less those written by a step of their
    /// own and, where the destination assigns keys, the key.
    pub fn write_columns(&self, rows: Representation) -> Vec<String> {
        let Some(system) = self.system else { return self.columns(rows) };
        self.read_fields
            .iter()
            .filter(|c| !system.read_also.contains(&c.as_str()))
            .filter(|c| !(self.assigns_keys() && **c == self.primary_key))
            .cloned()
            .collect()
    }

    /// The columns a merge (`scope.mode: "merge"`) compares and writes, the key first: the
    /// columns written on insert, less over REST those Directus stamps on every update and,
    /// without `preserve_created`, on create.
    pub fn merge_columns(&self, delivery: Delivery, rows: Representation, preserve_created: bool) -> Vec<String> {
        let stamped = |c: &String| {
            delivery == Delivery::Rest
                && (self.updated_fields.contains(c) || (!preserve_created && self.created_fields.contains(c)))
        };
        let others = self.write_columns(rows).into_iter().filter(|c| *c != self.primary_key && !stamped(c));
        std::iter::once(self.primary_key.clone()).chain(others).collect()
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
    pub fn columns(&self, rows: Representation) -> Vec<String> {
        if self.system.is_some() {
            // Directus' own collections always go over REST, in the API's representation.
            return self.read_fields.clone();
        }
        match rows {
            Representation::Api => self.read_fields.clone(),
            Representation::Stored => {
                self.read_fields.iter().cloned().chain(self.excluded.iter().map(|(field, _)| field.clone())).collect()
            }
        }
    }

    /// A row as it is sent: in the API's representation ([`Self::api_values`]), or as stored.
    pub fn as_sent(&self, rows: Representation, row: Row) -> Row {
        match rows {
            Representation::Api => self.api_values(row),
            Representation::Stored => row,
        }
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
    use crate::pipeline::schema::fixtures::publishing;

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
    fn the_dates_an_updated_after_filter_uses_are_the_plans_and_never_a_concealed_field() {
        let snapshot = publishing();
        let articles = plan("articles", &["articles"], &[], false);
        let dates = Dates::of(&snapshot, "articles", None);
        assert_eq!((dates.updated, dates.created), (articles.date_updated, articles.date_created));
        // A concealed field stamped on update comes first: it never moves, so it never dates rows.
        let mut concealed = snapshot.clone();
        let at = concealed.fields.iter().position(|f| f.collection == "articles").unwrap();
        let mut hidden = concealed.fields.iter().find(|f| f.field == "date_updated").unwrap().clone();
        hidden.field = "secret_stamp".into();
        hidden.rest.insert("meta".into(), serde_json::json!({ "special": ["date-updated", "conceal"] }));
        concealed.fields.insert(at, hidden);
        assert_eq!(Dates::of(&concealed, "articles", None).updated.as_deref(), Some("date_updated"));
        // Directus' own: the catalogue's, where the source's table has the column.
        let comments = system::entry("directus_comments").unwrap();
        let columns: Vec<String> = ["id", "date_created", "date_updated"].map(String::from).into();
        let with = Dates::of(&snapshot, "directus_comments", Some(&columns));
        assert_eq!((with.created.as_deref(), with.updated.as_deref()), (comments.date_created, comments.date_updated));
        assert_eq!(Dates::of(&snapshot, "directus_comments", Some(&["id".into()])), Dates::default());
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
