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
pub use table::{Dates, Reference, TablePlan};

use thiserror::Error;

use crate::pipeline::schema::{is_system, Parts, Snapshot};
use crate::pipeline::system;

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
    pub fn table(&self, collection: &str) -> Option<&TablePlan> {
        self.tables.iter().find(|t| t.collection == collection)
    }
}

/// Plan the migration of `selected` (validated: user tables, and in `excludedTables` mode
/// Directus' own collections of the catalogue). `rows` are the source's row counts; with
/// `updated_after`, rows of referenced collections may not move, so every reference is checked.
/// `system_columns` are the real columns of the source's system tables: a system collection the
/// source has no table for is left out.
pub fn build(
    snapshot: &Snapshot,
    selected: &BTreeSet<String>,
    rows: &BTreeMap<String, u64>,
    updated_after: bool,
    system_columns: &BTreeMap<String, Vec<String>>,
) -> Result<Plan, PlanError> {
    let (collections, mut notes) = included(snapshot, selected, system_columns);

    let mut edges: Vec<Edge> = snapshot
        .relations
        .iter()
        .filter(|r| collections.contains(&r.collection))
        .filter_map(|r| {
            let to = r.related_collection.clone()?;
            let nullable = field(snapshot, &r.collection, &r.field).is_none_or(|f| f.is_nullable());
            Some(Edge { from: r.collection.clone(), field: r.field.clone(), to, nullable })
        })
        .collect();
    // Directus' own references come from the catalogue (the snapshot has only custom ones); late
    // ones are always held back, so they do not order their target first.
    let mut late: Vec<Edge> = Vec::new();
    for entry in system::CATALOGUE.iter().filter(|e| collections.contains(e.collection)) {
        // Kept above only when the source has its columns.
        let Some(columns) = system_columns.get(entry.collection) else { continue };
        for reference in entry.references {
            let exists = columns.iter().any(|c| c == reference.field);
            if !exists || !collections.contains(reference.target) {
                continue;
            }
            let edge = Edge {
                from: entry.collection.into(),
                field: reference.field.into(),
                to: reference.target.into(),
                nullable: reference.nullable,
            };
            if reference.late {
                late.push(edge);
            } else {
                edges.push(edge);
            }
        }
        // A comment, share or version is about an item, and an event flow would fire on the rows
        // the run writes: every user table comes first.
        if entry.item_reference.is_some() || entry.after_user_tables {
            for user_table in collections.iter().filter(|c| !is_system(c)) {
                let field = entry.item_reference.map(|(_, item)| item).unwrap_or("item");
                edges.push(Edge {
                    from: entry.collection.into(),
                    field: field.into(),
                    to: user_table.clone(),
                    nullable: false,
                });
            }
        }
    }

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
    for edge in &late {
        notes.push(format!(
            "{}.{} is set in a second pass: {} come before the {} that reference them",
            edge.from, edge.field, edge.from, edge.to
        ));
    }
    let mut order = order;
    order.deferred.extend(late);

    let mut tables = Vec::new();
    for name in &order.collections {
        let deferred: BTreeSet<&str> =
            order.deferred.iter().filter(|e| &e.from == name).map(|e| e.field.as_str()).collect();
        let count = rows.get(name).copied().unwrap_or(0);
        let table = match system::entry(name) {
            Some(entry) => {
                let columns = system_columns.get(name).map(Vec::as_slice).unwrap_or_default();
                TablePlan::system(snapshot, entry, columns, &collections, &deferred, updated_after, count)
            }
            None => TablePlan::new(snapshot, name, &collections, &deferred, updated_after, count)?,
        };
        for reference in table.checked.iter().filter(|r| !collections.contains(&r.target) && !is_system(&r.target)) {
            notes.push(format!(
                "{name}.{} references {}, which is not selected: values whose row is missing on the destination are set to null",
                reference.field, reference.target
            ));
        }
        for reference in table.file_references().into_iter().filter(|_| table.system.is_none()) {
            notes.push(format!("{name}.{}: the files it references move with the rows", reference.field));
        }
        for (field, why) in &table.excluded {
            notes.push(format!("{name}.{field} is not migrated: {why}"));
        }
        if name == "directus_permissions" && major(&snapshot.directus) >= 12 {
            notes.push(
                "directus_permissions: Directus 12 without a licence hides permissions with custom rules (a field list, a filter, validation or presets) from its own API and does not apply them; the run reads them from the source's database, and a destination without a licence refuses them (RESOURCE_RESTRICTED), each one reported"
                    .into(),
            );
        }
        tables.push(table);
    }
    let looked_up: BTreeSet<String> = tables.iter().flat_map(|t| t.checked.iter().map(|r| r.target.clone())).collect();
    for table in &mut tables {
        table.looked_up = looked_up.contains(&table.collection);
    }
    Ok(Plan { tables, notes })
}

/// The collections a plan of `selected` moves: those the source has a table for, and the
/// junctions between them (each with a note saying so). Their row counts are what the plan
/// itself then needs (see [`build`]).
pub fn collections(
    snapshot: &Snapshot,
    selected: &BTreeSet<String>,
    system_columns: &BTreeMap<String, Vec<String>>,
) -> BTreeSet<String> {
    included(snapshot, selected, system_columns).0
}

fn included(
    snapshot: &Snapshot,
    selected: &BTreeSet<String>,
    system_columns: &BTreeMap<String, Vec<String>>,
) -> (BTreeSet<String>, Vec<String>) {
    let mut notes = Vec::new();
    let mut collections = selected.clone();
    collections.retain(|c| !is_system(c) || system_columns.contains_key(c));
    for (junction, sides) in junctions(snapshot) {
        if !collections.contains(&junction) && sides.iter().all(|s| collections.contains(s)) {
            notes.push(format!("{junction} is included: it links {}, all selected", sides.join(" and ")));
            collections.insert(junction);
        }
    }
    (collections, notes)
}

/// The major version of a Directus version string (`12.4.0` → 12; unknown → 0).
fn major(version: &str) -> u32 {
    version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0)
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

fn field<'a>(
    snapshot: &'a Snapshot,
    collection: &str,
    name: &str,
) -> Option<&'a crate::pipeline::schema::FieldSnapshot> {
    snapshot.fields.iter().find(|f| f.collection == collection && f.field == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::schema::fixtures::publishing;
    use crate::shared::wire::Representation;

    fn select(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn sizes() -> BTreeMap<String, u64> {
        [("articles", 1000), ("authors", 50), ("categories", 40)].iter().map(|(n, s)| (n.to_string(), *s)).collect()
    }

    #[test]
    fn orders_the_publishing_schema_and_breaks_its_cycles() {
        let plan = build(
            &publishing(),
            &select(&["articles", "authors", "categories", "tags", "languages"]),
            &sizes(),
            false,
            &BTreeMap::new(),
        )
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
    fn system_collections_are_ordered_with_user_tables_and_their_cycles_broken() {
        let system: BTreeMap<String, Vec<String>> = crate::pipeline::system::CATALOGUE
            .iter()
            .map(|entry| {
                let mut columns: Vec<String> = entry.moves.iter().map(|c| c.to_string()).collect();
                columns.extend(entry.references.iter().map(|r| r.field.to_string()));
                columns.push("id".into());
                columns.sort();
                columns.dedup();
                (entry.collection.to_string(), columns)
            })
            .collect();
        let mut selected = select(&["articles", "authors", "categories", "tags", "languages"]);
        selected.extend(system.keys().cloned());
        selected.insert("directus_activity".into()); // the source has no columns for it: left out
        let plan = build(&publishing(), &selected, &sizes(), false, &system).unwrap();
        let order: Vec<&str> = plan.tables.iter().map(|t| t.collection.as_str()).collect();
        let at = |name: &str| order.iter().position(|c| *c == name).unwrap_or_else(|| panic!("{name} in {order:?}"));
        assert!(!order.contains(&"directus_activity"));
        for (first, then) in [
            ("directus_roles", "directus_users"),
            ("directus_policies", "directus_access"),
            ("directus_policies", "directus_permissions"),
            ("directus_users", "directus_access"),
            ("directus_users", "directus_files"),
            ("directus_folders", "directus_files"),
            ("directus_files", "articles"),
            ("directus_users", "authors"),
            ("directus_flows", "directus_operations"),
            ("directus_dashboards", "directus_panels"),
            ("directus_files", "directus_settings"),
            ("articles", "directus_flows"),
            ("tags", "directus_flows"),
        ] {
            assert!(at(first) < at(then), "{first} before {then}: {order:?}");
        }
        let deferred = |name: &str| plan.table(name).unwrap().deferred_fields();
        assert_eq!(deferred("directus_users"), vec!["avatar"]);
        assert_eq!(deferred("directus_roles"), vec!["parent"]);
        assert_eq!(deferred("directus_flows"), vec!["operation"]);
        assert_eq!(deferred("directus_operations"), vec!["resolve", "reject"]);
        assert!(plan.notes.iter().any(|n| n.starts_with("directus_users.avatar is set in a second pass")));
        let permissions = plan.table("directus_permissions").unwrap();
        assert!(permissions.assigns_keys());
        assert!(permissions.read_fields.contains(&"id".to_string()), "read, to report rows by their source key");
        assert!(!permissions.write_columns(Representation::Api).contains(&"id".to_string()), "never written");
        let users = plan.table("directus_users").unwrap();
        assert!(users.checked.iter().any(|r| r.field == "role"), "Directus' own references are always checked");
        let authors = plan.table("authors").unwrap();
        assert!(authors.checked.iter().any(|r| r.target == "directus_users"));
        assert_eq!(
            authors.reference_pairs(),
            vec![("favorite_article", "articles"), ("user_created", "directus_users")]
        );
    }

    #[test]
    fn junctions_come_only_with_both_sides() {
        let plan =
            build(&publishing(), &select(&["articles", "authors", "categories"]), &sizes(), false, &BTreeMap::new())
                .unwrap();
        assert!(plan.table("articles_tags").is_none());
        assert!(plan.table("articles_translations").is_none());
    }

    #[test]
    fn references_to_unselected_collections_are_checked_and_reported() {
        let plan = build(&publishing(), &select(&["articles"]), &sizes(), false, &BTreeMap::new()).unwrap();
        let articles = plan.table("articles").unwrap();
        let checked: Vec<&str> = articles.checked.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(checked, vec!["author", "category", "cover"]);
        assert!(plan.notes.iter().any(|n| n == "articles.author references authors, which is not selected: values whose row is missing on the destination are set to null"));
    }

    #[test]
    fn updated_after_checks_every_reference() {
        let plan =
            build(&publishing(), &select(&["articles", "authors", "categories"]), &sizes(), true, &BTreeMap::new())
                .unwrap();
        let checked: Vec<&str> = plan.table("articles").unwrap().checked.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(checked, vec!["author", "category", "cover"]);
        let without =
            build(&publishing(), &select(&["articles", "authors", "categories"]), &sizes(), false, &BTreeMap::new())
                .unwrap();
        let checked: Vec<&str> = without.table("articles").unwrap().checked.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(checked, vec!["cover"], "files are always looked up");
        assert!(without.table("articles_files").is_some(), "a junction to files comes with its collection");
    }
}
