//! The plan step: which collections move, in which order, and how each one's columns are treated.
//!
//! - The selection is closed over junctions: an M2M (or translations) junction whose two sides are
//!   both selected comes along. References to collections that are not selected are reported.
//! - Collections are ordered so referenced rows exist first; cycles are broken by holding back
//!   nullable foreign keys for a second pass (see [`graph`]).
//! - Per collection: the columns to read (aliases have none), the references to check on the
//!   destination, the fields Directus overwrites on create, the fields that cannot move.

mod graph;
mod table;

use std::collections::{BTreeMap, BTreeSet};

pub use graph::{order, Edge, Unbreakable};
pub use table::{Reference, TablePlan};

use thiserror::Error;

use crate::schema::{is_system, Parts, Snapshot};

/// The selection cannot be migrated as it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct PlanError(pub String);

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// In insertion order.
    pub tables: Vec<TablePlan>,
    /// What the caller should know: junctions added, cycles broken, references left out.
    pub notes: Vec<String>,
}

impl Plan {
    #[cfg(test)]
    pub fn table(&self, collection: &str) -> Option<&TablePlan> {
        self.tables.iter().find(|t| t.collection == collection)
    }
}

/// Plan the migration of `selected` (validated user tables). `rows` are the source's row counts;
/// with `updated_after`, rows of referenced collections may not move, so every reference is checked.
pub fn build(
    snapshot: &Snapshot,
    selected: &BTreeSet<String>,
    rows: &BTreeMap<String, u64>,
    updated_after: bool,
) -> Result<Plan, PlanError> {
    let mut notes = Vec::new();
    let mut collections = selected.clone();
    for (junction, sides) in junctions(snapshot) {
        if !collections.contains(&junction) && sides.iter().all(|s| collections.contains(s)) {
            notes.push(format!("{junction} is included: it links {}, all selected", sides.join(" and ")));
            collections.insert(junction);
        }
    }

    let edges: Vec<Edge> = snapshot
        .relations
        .iter()
        .filter(|r| collections.contains(&r.collection))
        .filter_map(|r| {
            let to = r.related_collection.clone()?;
            let nullable = field(snapshot, &r.collection, &r.field).is_none_or(|f| f.is_nullable());
            Some(Edge { from: r.collection.clone(), field: r.field.clone(), to, nullable })
        })
        .collect();

    let order = order(&collections, &edges, rows).map_err(|Unbreakable(cycle)| {
        let path: Vec<String> = cycle.iter().map(|e| format!("{}.{} → {}", e.from, e.field, e.to)).collect();
        PlanError(format!(
            "These required references form a cycle, so no insertion order works: {}. Make one of them nullable on both instances, or migrate without one of these collections.",
            path.join(", ")
        ))
    })?;
    for edge in &order.deferred {
        let why = if edge.from == edge.to {
            "it references its own collection".to_string()
        } else {
            format!("it is part of a reference cycle with {}", edge.to)
        };
        notes.push(format!("{}.{} is set in a second pass: {why}", edge.from, edge.field));
    }

    let mut tables = Vec::new();
    for name in &order.collections {
        let deferred: BTreeSet<&str> =
            order.deferred.iter().filter(|e| &e.from == name).map(|e| e.field.as_str()).collect();
        let table = TablePlan::new(
            snapshot,
            name,
            &collections,
            &deferred,
            updated_after,
            rows.get(name).copied().unwrap_or(0),
        )?;
        for reference in table.checked.iter().filter(|r| !collections.contains(&r.target) && !is_system(&r.target)) {
            notes.push(format!(
                "{name}.{} references {}, which is not selected: values whose row is missing on the destination are set to null",
                reference.field, reference.target
            ));
        }
        for reference in table.file_references() {
            notes.push(format!("{name}.{}: the files it references move with the rows", reference.field));
        }
        for (field, why) in &table.excluded {
            notes.push(format!("{name}.{field} is not migrated: {why}"));
        }
        tables.push(table);
    }
    Ok(Plan { tables, notes })
}

/// Junction collections and the collections they link (M2M, translations, M2A).
fn junctions(snapshot: &Snapshot) -> BTreeMap<String, Vec<String>> {
    let mut found = BTreeMap::new();
    for relation in &snapshot.relations {
        let Some(other_field) = relation.meta_value("junction_field").and_then(|v| v.as_str()) else { continue };
        let Some(this_side) = relation.related_collection.clone() else { continue };
        let Some(other) =
            snapshot.relations.iter().find(|r| r.collection == relation.collection && r.field == other_field)
        else {
            continue;
        };
        let other_sides: Vec<String> = match &other.related_collection {
            Some(target) => vec![target.clone()],
            None => other
                .meta_value("one_allowed_collections")
                .and_then(|v| v.as_array())
                .map(|list| list.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default(),
        };
        let mut sides: Vec<String> = std::iter::once(this_side).chain(other_sides).filter(|s| !is_system(s)).collect();
        sides.sort();
        sides.dedup();
        if !sides.is_empty() {
            found.entry(relation.collection.clone()).or_insert(sides);
        }
    }
    found
}

fn field<'a>(snapshot: &'a Snapshot, collection: &str, name: &str) -> Option<&'a crate::schema::FieldSnapshot> {
    snapshot.fields.iter().find(|f| f.collection == collection && f.field == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::fixtures::publishing;

    fn select(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn sizes() -> BTreeMap<String, u64> {
        [("articles", 1000), ("authors", 50), ("categories", 40)].iter().map(|(n, s)| (n.to_string(), *s)).collect()
    }

    #[test]
    fn orders_the_publishing_schema_and_breaks_its_cycles() {
        let plan =
            build(&publishing(), &select(&["articles", "authors", "categories", "tags", "languages"]), &sizes(), false)
                .unwrap();
        let order: Vec<&str> = plan.tables.iter().map(|t| t.collection.as_str()).collect();
        assert_eq!(
            order,
            vec![
                "authors",
                "categories",
                "articles",
                "articles_files",
                "languages",
                "articles_translations",
                "tags",
                "articles_tags"
            ]
        );
        assert_eq!(plan.table("authors").unwrap().deferred_fields(), vec!["favorite_article"]);
        assert_eq!(plan.table("categories").unwrap().deferred_fields(), vec!["parent"]);
        assert!(plan.table("articles").unwrap().deferred.is_empty());
        assert!(plan
            .notes
            .contains(&"articles_tags is included: it links articles and tags, all selected".to_string()));
        assert!(plan
            .notes
            .contains(&"categories.parent is set in a second pass: it references its own collection".to_string()));
        assert!(plan.notes.contains(
            &"authors.favorite_article is set in a second pass: it is part of a reference cycle with articles"
                .to_string()
        ));
    }

    #[test]
    fn junctions_come_only_with_both_sides() {
        let plan = build(&publishing(), &select(&["articles", "authors", "categories"]), &sizes(), false).unwrap();
        assert!(plan.table("articles_tags").is_none());
        assert!(plan.table("articles_translations").is_none());
    }

    #[test]
    fn references_to_unselected_collections_are_checked_and_reported() {
        let plan = build(&publishing(), &select(&["articles"]), &sizes(), false).unwrap();
        let articles = plan.table("articles").unwrap();
        let checked: Vec<&str> = articles.checked.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(checked, vec!["author", "category", "cover"]);
        assert!(plan.notes.iter().any(|n| n == "articles.author references authors, which is not selected: values whose row is missing on the destination are set to null"));
    }

    #[test]
    fn updated_after_checks_every_reference() {
        let plan = build(&publishing(), &select(&["articles", "authors", "categories"]), &sizes(), true).unwrap();
        let checked: Vec<&str> = plan.table("articles").unwrap().checked.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(checked, vec!["author", "category", "cover"]);
        let without = build(&publishing(), &select(&["articles", "authors", "categories"]), &sizes(), false).unwrap();
        let checked: Vec<&str> = without.table("articles").unwrap().checked.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(checked, vec!["cover"], "files are always looked up");
        assert!(without.table("articles_files").is_some(), "a junction to files comes with its collection");
    }
}
