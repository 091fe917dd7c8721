//! Human and machine summaries of a schema diff: per collection, how many collections, fields and
//! relations are created, updated or deleted.

use std::collections::BTreeMap;

use serde::Serialize;

use super::diff::{Change, SchemaDiff, Unaltered, Withheld};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
}

impl Counts {
    fn add(&mut self, change: Change) {
        match change {
            Change::Create => self.create += 1,
            Change::Update => self.update += 1,
            Change::Delete => self.delete += 1,
        }
    }

    fn plus(self, other: Counts) -> Counts {
        Counts {
            create: self.create + other.create,
            update: self.update + other.update,
            delete: self.delete + other.delete,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.create + self.update + self.delete == 0
    }

    /// e.g. `create 3 fields, DELETE 1 field`; empty when all counts are zero.
    fn describe(&self, noun: &str) -> Vec<String> {
        let plural = |n: usize| {
            if n == 1 {
                noun.to_string()
            } else {
                format!("{noun}s")
            }
        };
        let mut parts = Vec::new();
        for (verb, n) in [("create", self.create), ("update", self.update), ("DELETE", self.delete)] {
            if n > 0 {
                parts.push(format!("{verb} {n} {}", plural(n)));
            }
        }
        parts
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CollectionChanges {
    /// What happens to the collection itself, if anything.
    pub collection: Option<Change>,
    pub fields: Counts,
    pub relations: Counts,
}

impl CollectionChanges {
    pub fn describe(&self, name: &str) -> String {
        let mut parts = Vec::new();
        match self.collection {
            Some(Change::Create) => parts.push("create collection".to_string()),
            Some(Change::Update) => parts.push("update collection".to_string()),
            Some(Change::Delete) => parts.push("DELETE collection".to_string()),
            None => {}
        }
        parts.extend(self.fields.describe("field"));
        parts.extend(self.relations.describe("relation"));
        format!("{name}: {}", parts.join(", "))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct DiffSummary {
    pub collections: BTreeMap<String, CollectionChanges>,
    pub totals: Totals,
    /// Index changes on Directus' own fields.
    pub system_fields: usize,
    /// What the destination has that the source lacks and that stays.
    pub withheld: Vec<Withheld>,
    /// Existing columns that differ and were left as they are (`scope.alterColumns` changes them).
    pub unaltered: Vec<Unaltered>,
    pub mirror: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Totals {
    pub collections: Counts,
    pub fields: Counts,
    pub relations: Counts,
}

impl DiffSummary {
    pub fn new(diff: &SchemaDiff, withheld: Vec<Withheld>, unaltered: Vec<Unaltered>, mirror: bool) -> Self {
        let mut collections: BTreeMap<String, CollectionChanges> = BTreeMap::new();
        let mut totals = Totals::default();
        for (name, items) in diff.by_collection() {
            let entry = collections.entry(name.to_string()).or_default();
            for (kind, item) in items {
                let change = item.change();
                match kind {
                    "collection" => {
                        entry.collection = Some(change);
                        totals.collections.add(change);
                    }
                    "field" => {
                        entry.fields.add(change);
                        totals.fields.add(change);
                    }
                    _ => {
                        entry.relations.add(change);
                        totals.relations.add(change);
                    }
                }
            }
        }
        DiffSummary { collections, totals, system_fields: diff.system_fields.len(), withheld, unaltered, mirror }
    }

    /// Nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty() && self.system_fields == 0
    }

    /// Nothing to apply and no column left different: the destination matches.
    pub fn in_sync(&self) -> bool {
        self.is_empty() && self.unaltered.is_empty()
    }

    pub fn deletions(&self) -> usize {
        self.totals.collections.delete + self.totals.fields.delete + self.totals.relations.delete
    }

    /// One line per collection, in name order, then the columns that differ.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.collections.iter().map(|(name, changes)| changes.describe(name)).collect();
        if self.system_fields > 0 {
            lines.push(format!("directus system fields: update {} index setting(s)", self.system_fields));
        }
        lines.extend(self.unaltered.iter().map(|u| format!("{}: the existing column differs", u.describe())));
        lines
    }

    /// The closing line.
    pub fn headline(&self) -> String {
        if self.in_sync() {
            return "Schemas are in sync".to_string();
        }
        if self.is_empty() {
            return format!("{} existing column(s) differ; nothing else to change", self.unaltered.len());
        }
        let all = self.totals.collections.plus(self.totals.fields).plus(self.totals.relations);
        let mut text = format!(
            "{} collection(s), {} field(s), {} relation(s) to change: {} to create, {} to update",
            self.collections.len(),
            self.totals.fields.create + self.totals.fields.update + self.totals.fields.delete,
            self.totals.relations.create + self.totals.relations.update + self.totals.relations.delete,
            all.create,
            all.update
        );
        if self.mirror {
            text.push_str(&format!("; MIRROR: {} DELETION(S) OF WHAT THE SOURCE DOES NOT HAVE", self.deletions()));
        }
        if !self.unaltered.is_empty() {
            text.push_str(&format!("; {} existing column(s) differ and are left as they are", self.unaltered.len()));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pipeline::schema::diff::ItemDiff;

    fn item(collection: &str, field: Option<&str>, kind: &str) -> ItemDiff {
        let entry = if kind == "E" {
            json!({ "kind": "E", "path": ["meta", "note"], "lhs": 1, "rhs": 2 })
        } else {
            json!({ "kind": kind, "rhs": {}, "lhs": {} })
        };
        serde_json::from_value(json!({ "collection": collection, "field": field, "diff": [entry] })).unwrap()
    }

    #[test]
    fn counts_per_collection_and_in_total() {
        let diff = SchemaDiff {
            collections: vec![item("articles", None, "N")],
            fields: vec![
                item("articles", Some("id"), "N"),
                item("articles", Some("title"), "N"),
                item("authors", Some("name"), "E"),
            ],
            system_fields: vec![],
            relations: vec![item("articles", Some("author"), "N")],
        };
        let summary = DiffSummary::new(&diff, vec![], vec![], false);
        assert_eq!(
            summary.lines(),
            vec!["articles: create collection, create 2 fields, create 1 relation", "authors: update 1 field"]
        );
        assert_eq!(summary.totals.fields, Counts { create: 2, update: 1, delete: 0 });
        assert_eq!(
            summary.headline(),
            "2 collection(s), 3 field(s), 1 relation(s) to change: 4 to create, 1 to update"
        );
    }

    #[test]
    fn mirror_deletions_are_shouted() {
        let diff = SchemaDiff { fields: vec![item("authors", Some("old"), "D")], ..SchemaDiff::default() };
        let summary = DiffSummary::new(&diff, vec![], vec![], true);
        assert_eq!(summary.lines(), vec!["authors: DELETE 1 field"]);
        assert!(summary.headline().ends_with("MIRROR: 1 DELETION(S) OF WHAT THE SOURCE DOES NOT HAVE"));
    }

    #[test]
    fn empty_means_in_sync() {
        let summary = DiffSummary::new(&SchemaDiff::default(), vec![], vec![], false);
        assert!(summary.is_empty());
        assert_eq!(summary.headline(), "Schemas are in sync");
    }
}
