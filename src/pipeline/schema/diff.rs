//! The destination's answer to `POST /schema/diff` and the filter that makes a sync safe.
//!
//! Directus diffs the whole destination schema against the snapshot it is sent, so everything the
//! destination has and the source lacks comes back as a deletion. By default those deletions are
//! withheld; only a mirror sync applies them, and a mirror of selected collections only deletes
//! fields and relations inside those collections, never other collections.
//!
//! Changes to existing columns (their type, length, nullability, default, foreign-key actions)
//! can truncate data or fail on a full table: they are withheld too, unless the caller asks to
//! alter columns (or to mirror). Metadata changes (interfaces, notes, display options) apply.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// deep-diff's change kinds, as Directus serialises them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffKind {
    #[serde(rename = "N")]
    New,
    #[serde(rename = "D")]
    Deleted,
    #[serde(rename = "E")]
    Edited,
    #[serde(rename = "A")]
    Array,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffEntry {
    pub kind: DiffKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Value>>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The changes to one collection, field or relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDiff {
    pub collection: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub diff: Vec<DiffEntry>,
    /// `related_collection` for relations.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Create,
    Update,
    Delete,
}

/// A column change a sync left alone: `articles.title` and what differs (`max_length`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Unaltered {
    pub name: String,
    pub changes: Vec<String>,
}

impl Unaltered {
    /// `articles.title (max_length, is_nullable)`
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name, self.changes.join(", "))
    }
}

impl DiffEntry {
    /// Whether this entry changes the database column (Directus' `type` or anything under
    /// `schema`) rather than Directus' metadata about it.
    fn alters_column(&self) -> bool {
        matches!(self.path.as_deref().and_then(|p| p.first()).and_then(Value::as_str), Some("schema" | "type"))
    }

    /// The changed property, for messages: `max_length`, `type`.
    fn property(&self) -> String {
        let path = self.path.as_deref().unwrap_or_default();
        let names: Vec<&str> = path.iter().filter_map(Value::as_str).collect();
        names.last().map(|n| n.to_string()).unwrap_or_default()
    }
}

impl ItemDiff {
    /// Whole-item creation or deletion is a first entry without a path; anything else edits.
    pub fn change(&self) -> Change {
        match self.diff.first() {
            Some(entry) if entry.path.as_ref().is_none_or(Vec::is_empty) => match entry.kind {
                DiffKind::New => Change::Create,
                DiffKind::Deleted => Change::Delete,
                _ => Change::Update,
            },
            _ => Change::Update,
        }
    }

    /// `collection` or `collection.field`.
    pub fn name(&self) -> String {
        match &self.field {
            Some(field) => format!("{}.{}", self.collection, field),
            None => self.collection.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaDiff {
    #[serde(default)]
    pub collections: Vec<ItemDiff>,
    #[serde(default)]
    pub fields: Vec<ItemDiff>,
    /// Index settings on Directus' own fields (11.x and later).
    #[serde(default, rename = "systemFields")]
    pub system_fields: Vec<ItemDiff>,
    #[serde(default)]
    pub relations: Vec<ItemDiff>,
}

/// `{ hash, diff }`: the hash is of the destination's schema when it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffResponse {
    pub hash: String,
    pub diff: SchemaDiff,
}

/// Something the destination has that the source lacks, left in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Withheld {
    pub kind: &'static str,
    pub name: String,
}

/// Column types that store the same values, which Directus' own schema apply cannot make equal:
/// on MySQL a `uuid` field that is neither a key nor a reference is created as `char(36)` but
/// snapshotted as a `string`, which the destination's apply creates as `varchar(36)`. Left in,
/// that one edit would come back after every sync, and block every run.
const EQUIVALENT_TYPES: [[&str; 2]; 1] = [["char", "varchar"]];

fn is_equivalent_type_change(entry: &DiffEntry) -> bool {
    let at_data_type = entry
        .path
        .as_deref()
        .is_some_and(|p| matches!(p, [schema, field] if schema == "schema" && field == "data_type"));
    let side = |name: &str| entry.rest.get(name).and_then(Value::as_str).map(str::to_ascii_lowercase);
    match (entry.kind, at_data_type, side("lhs"), side("rhs")) {
        (DiffKind::Edited, true, Some(lhs), Some(rhs)) => {
            EQUIVALENT_TYPES.iter().any(|pair| (pair[0] == lhs && pair[1] == rhs) || (pair[1] == lhs && pair[0] == rhs))
        }
        _ => false,
    }
}

/// Field edits without the type changes between equivalent column types (and fields left with
/// no edit at all).
fn without_equivalent_types(fields: Vec<ItemDiff>) -> Vec<ItemDiff> {
    fields
        .into_iter()
        .filter_map(|mut item| {
            if item.change() != Change::Update {
                return Some(item);
            }
            item.diff.retain(|entry| !is_equivalent_type_change(entry));
            (!item.diff.is_empty()).then_some(item)
        })
        .collect()
}

/// How a database stores a field's type: its column type's name, length, precision and scale.
/// Across database vendors these differ by nature (`character varying` and `varchar`, `real` and
/// `float`, MySQL's `text` of 65,535 bytes and SQLite's without a length), and Directus cannot
/// change them; the field's Directus `type` still has to match.
const COLUMN_DETAILS: [&str; 4] = ["data_type", "max_length", "numeric_precision", "numeric_scale"];

fn is_column_detail(entry: &DiffEntry) -> bool {
    entry.kind == DiffKind::Edited
        && entry.path.as_deref().is_some_and(|p| {
            matches!(p, [schema, field] if schema == "schema"
                && field.as_str().is_some_and(|name| COLUMN_DETAILS.contains(&name)))
        })
}

impl SchemaDiff {
    /// Whether some field edit concerns only how its database stores it.
    pub fn has_column_details(&self) -> bool {
        self.fields.iter().any(|item| item.change() == Change::Update && item.diff.iter().any(is_column_detail))
    }

    /// Without the edits of column details (for a forced sync between database vendors).
    pub fn without_column_details(mut self) -> SchemaDiff {
        self.fields = self
            .fields
            .into_iter()
            .filter_map(|mut item| {
                if item.change() != Change::Update {
                    return Some(item);
                }
                item.diff.retain(|entry| !is_column_detail(entry));
                (!item.diff.is_empty()).then_some(item)
            })
            .collect();
        self
    }

    pub fn is_empty(&self) -> bool {
        self.collections.is_empty()
            && self.fields.is_empty()
            && self.system_fields.is_empty()
            && self.relations.is_empty()
    }

    /// Make the diff safe to apply. `scope` is the set of collections the sync covers (`None` for
    /// the whole schema). Returns the diff to apply, what was withheld from it (deletions), and
    /// the column changes left alone (unless `alter_columns`).
    pub fn filter(
        mut self,
        mirror: bool,
        alter_columns: bool,
        scope: Option<&BTreeSet<String>>,
    ) -> (SchemaDiff, Vec<Withheld>, Vec<Unaltered>) {
        self.fields = without_equivalent_types(self.fields);
        let mut withheld = Vec::new();
        let mut unaltered = Vec::new();
        let in_scope = |collection: &str| scope.is_none_or(|s| s.contains(collection));

        // A field that changes between alias and column comes back as a delete plus a create.
        let replaced: BTreeSet<String> = {
            let by_name = |change| self.fields.iter().filter(move |f| f.change() == change).map(ItemDiff::name);
            let created: BTreeSet<String> = by_name(Change::Create).collect();
            by_name(Change::Delete).filter(|n| created.contains(n)).collect()
        };

        let mut keep = |items: Vec<ItemDiff>, kind: &'static str, whole_collections: bool| -> Vec<ItemDiff> {
            items
                .into_iter()
                .filter_map(|mut item| {
                    let allowed = match item.change() {
                        _ if kind == "field" && replaced.contains(&item.name()) => mirror && in_scope(&item.collection),
                        Change::Create | Change::Update => true,
                        Change::Delete if whole_collections => mirror && scope.is_none(),
                        Change::Delete => mirror && in_scope(&item.collection),
                    };
                    if !allowed && (item.change() == Change::Delete || kind == "field") {
                        let entry = Withheld { kind, name: item.name() };
                        if !withheld.contains(&entry) {
                            withheld.push(entry);
                        }
                    }
                    if !allowed {
                        return None;
                    }
                    // An update of a field or relation: its column changes only when asked.
                    if item.change() == Change::Update && kind != "collection" && !alter_columns {
                        let (column, meta): (Vec<DiffEntry>, Vec<DiffEntry>) =
                            item.diff.drain(..).partition(DiffEntry::alters_column);
                        if !column.is_empty() {
                            let mut changes: Vec<String> = column.iter().map(DiffEntry::property).collect();
                            changes.dedup();
                            unaltered.push(Unaltered { name: item.name(), changes });
                        }
                        item.diff = meta;
                        if item.diff.is_empty() {
                            return None;
                        }
                    }
                    Some(item)
                })
                .collect()
        };

        let collections = keep(self.collections, "collection", true);
        let fields = keep(self.fields, "field", false);
        let relations = keep(self.relations, "relation", false);
        // Indexes on system fields belong to the whole instance, not to a selection.
        let system_fields = if scope.is_none() { self.system_fields } else { Vec::new() };
        (SchemaDiff { collections, fields, system_fields, relations }, withheld, unaltered)
    }

    /// Items per collection, for summaries.
    pub fn by_collection(&self) -> BTreeMap<&str, Vec<(&'static str, &ItemDiff)>> {
        let mut map: BTreeMap<&str, Vec<(&'static str, &ItemDiff)>> = BTreeMap::new();
        for (kind, items) in [("collection", &self.collections), ("field", &self.fields), ("relation", &self.relations)]
        {
            for item in items {
                map.entry(item.collection.as_str()).or_default().push((kind, item));
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(collection: &str, field: Option<&str>, entries: Value) -> ItemDiff {
        serde_json::from_value(json!({ "collection": collection, "field": field, "diff": entries })).unwrap()
    }
    #[test]
    fn char_and_varchar_of_a_field_count_as_the_same_type() {
        let uuid = item(
            "x",
            Some("u"),
            json!([{ "kind": "E", "path": ["schema", "data_type"], "lhs": "varchar", "rhs": "char" }]),
        );
        let also_nullable = item(
            "x",
            Some("v"),
            json!([
                { "kind": "E", "path": ["schema", "data_type"], "lhs": "CHAR", "rhs": "varchar" },
                { "kind": "E", "path": ["schema", "is_nullable"], "lhs": true, "rhs": false }
            ]),
        );
        let other = item(
            "x",
            Some("w"),
            json!([{ "kind": "E", "path": ["schema", "data_type"], "lhs": "integer", "rhs": "bigint" }]),
        );
        let diff = SchemaDiff { fields: vec![uuid, also_nullable, other], ..SchemaDiff::default() };
        let (kept, _, _) = diff.filter(false, true, None);
        let names: Vec<String> = kept.fields.iter().map(ItemDiff::name).collect();
        assert_eq!(names, vec!["x.v", "x.w"]);
        assert_eq!(kept.fields[0].diff.len(), 1, "only the nullability edit is left");
    }

    #[test]
    fn column_details_can_be_left_out_and_directus_types_stay() {
        let detail = item(
            "x",
            Some("t"),
            json!([{ "kind": "E", "path": ["schema", "data_type"], "lhs": "timestamp with time zone", "rhs": "datetime" }]),
        );
        let retyped = item(
            "x",
            Some("n"),
            json!([
                { "kind": "E", "path": ["type"], "lhs": "integer", "rhs": "string" },
                { "kind": "E", "path": ["schema", "numeric_precision"], "lhs": 32, "rhs": null }
            ]),
        );
        let diff = SchemaDiff { fields: vec![detail, retyped, created("x", Some("new"))], ..SchemaDiff::default() };
        assert!(diff.has_column_details());
        let kept = diff.without_column_details();
        let names: Vec<String> = kept.fields.iter().map(ItemDiff::name).collect();
        assert_eq!(names, vec!["x.n", "x.new"]);
        assert_eq!(kept.fields[0].diff.len(), 1, "the change of Directus type stays");
        assert!(!kept.has_column_details());
    }

    fn created(c: &str, f: Option<&str>) -> ItemDiff {
        item(c, f, json!([{ "kind": "N", "rhs": {} }]))
    }
    fn deleted(c: &str, f: Option<&str>) -> ItemDiff {
        item(c, f, json!([{ "kind": "D", "lhs": {} }]))
    }
    fn edited(c: &str, f: Option<&str>) -> ItemDiff {
        item(
            c,
            f,
            json!([{ "kind": "N", "path": ["meta", "note"], "rhs": "x" }, { "kind": "D", "path": ["meta", "width"], "lhs": "full" }]),
        )
    }

    fn sample() -> SchemaDiff {
        SchemaDiff {
            collections: vec![created("articles", None), deleted("legacy", None), edited("authors", None)],
            fields: vec![
                created("articles", Some("title")),
                deleted("authors", Some("old_column")),
                edited("authors", Some("name")),
                deleted("authors", Some("links")),
                created("authors", Some("links")),
            ],
            system_fields: vec![item(
                "directus_activity",
                Some("timestamp"),
                json!([{ "kind": "E", "path": ["schema", "is_indexed"], "lhs": true, "rhs": false }]),
            )],
            relations: vec![created("articles", Some("author")), deleted("legacy", Some("owner"))],
        }
    }

    fn names(items: &[ItemDiff]) -> Vec<String> {
        items.iter().map(ItemDiff::name).collect()
    }

    #[test]
    fn classifies_whole_item_changes_by_their_first_entry() {
        assert_eq!(created("a", None).change(), Change::Create);
        assert_eq!(deleted("a", None).change(), Change::Delete);
        assert_eq!(edited("a", None).change(), Change::Update, "a nested new key is an update");
        assert_eq!(
            item(
                "a",
                Some("f"),
                json!([{ "kind": "A", "path": ["meta", "options"], "index": 0, "item": { "kind": "N", "rhs": 1 } }])
            )
            .change(),
            Change::Update
        );
    }

    #[test]
    fn by_default_nothing_is_deleted() {
        let (diff, withheld, _) = sample().filter(false, false, None);
        assert_eq!(names(&diff.collections), vec!["articles", "authors"]);
        assert_eq!(names(&diff.fields), vec!["articles.title", "authors.name"]);
        assert_eq!(names(&diff.relations), vec!["articles.author"]);
        assert_eq!(diff.system_fields.len(), 1);
        let withheld: Vec<_> = withheld.iter().map(|w| format!("{} {}", w.kind, w.name)).collect();
        assert_eq!(
            withheld,
            vec!["collection legacy", "field authors.old_column", "field authors.links", "relation legacy.owner"]
        );
    }

    #[test]
    fn mirror_of_everything_deletes_everything_the_source_lacks() {
        let (diff, withheld, _) = sample().filter(true, true, None);
        assert_eq!(names(&diff.collections), vec!["articles", "legacy", "authors"]);
        assert_eq!(diff.fields.len(), 5);
        assert_eq!(diff.relations.len(), 2);
        assert!(withheld.is_empty());
    }

    #[test]
    fn mirror_of_a_selection_deletes_only_inside_it() {
        let scope: BTreeSet<String> = ["articles".to_string(), "authors".to_string()].into();
        let (diff, withheld, _) = sample().filter(true, true, Some(&scope));
        assert_eq!(names(&diff.collections), vec!["articles", "authors"], "no other collection is dropped");
        assert_eq!(
            names(&diff.fields),
            vec!["articles.title", "authors.old_column", "authors.name", "authors.links", "authors.links"]
        );
        assert_eq!(names(&diff.relations), vec!["articles.author"]);
        assert!(diff.system_fields.is_empty(), "system indexes are left alone for a selection");
        assert_eq!(withheld.len(), 2);
    }

    #[test]
    fn column_changes_wait_for_alter_columns_but_metadata_applies() {
        let column = item(
            "authors",
            Some("name"),
            json!([
                { "kind": "E", "path": ["schema", "max_length"], "lhs": 255, "rhs": 100 },
                { "kind": "E", "path": ["schema", "is_nullable"], "lhs": true, "rhs": false },
                { "kind": "E", "path": ["meta", "note"], "lhs": null, "rhs": "shown" }
            ]),
        );
        let retyped =
            item("authors", Some("age"), json!([{ "kind": "E", "path": ["type"], "lhs": "string", "rhs": "integer" }]));
        let on_delete = item(
            "articles",
            Some("author"),
            json!([{ "kind": "E", "path": ["schema", "on_delete"], "lhs": "SET NULL", "rhs": "CASCADE" }]),
        );
        let diff = SchemaDiff { fields: vec![column, retyped], relations: vec![on_delete], ..SchemaDiff::default() };
        let (safe, _, unaltered) = diff.clone().filter(false, false, None);
        assert_eq!(names(&safe.fields), vec!["authors.name"], "only its note changes");
        assert_eq!(safe.fields[0].diff.len(), 1);
        assert!(safe.relations.is_empty());
        let described: Vec<String> = unaltered.iter().map(Unaltered::describe).collect();
        assert_eq!(
            described,
            vec!["authors.name (max_length, is_nullable)", "authors.age (type)", "articles.author (on_delete)"]
        );
        let (altered, _, unaltered) = diff.filter(false, true, None);
        assert_eq!(altered.fields[0].diff.len(), 3);
        assert_eq!(altered.relations.len(), 1);
        assert!(unaltered.is_empty());
    }

    #[test]
    fn round_trips_directus_json() {
        let raw = json!({
            "collections": [],
            "fields": [{ "collection": "a", "field": "b", "diff": [{ "kind": "E", "path": ["schema", "max_length"], "lhs": 10, "rhs": 20 }] }],
            "systemFields": [],
            "relations": [{ "collection": "a", "field": "c", "related_collection": null, "diff": [{ "kind": "N", "rhs": { "x": 1 } }] }]
        });
        let diff: SchemaDiff = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(serde_json::to_value(&diff).unwrap(), raw);
    }
}
