//! Which part of a schema a sync covers: the selected collections and everything they need to be
//! valid on the destination — the targets of their M2O fields, the collections behind their O2M,
//! M2M, M2A and translations aliases (junctions included), and the folders they are grouped in.

use std::collections::BTreeSet;

use thiserror::Error;

use super::snapshot::{Parts, Snapshot};
use crate::pipeline::system;

/// A caller's choice of collections that cannot be honoured, named after the request field
/// (`what`, e.g. `scope.selectedTables`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectionError {
    #[error("{what} is empty: name at least one collection")]
    Empty { what: &'static str },
    #[error("{what} names collections the source does not have (or that are not user tables): {}", names.join(", "))]
    Unknown { what: &'static str, names: Vec<String> },
    #[error("scope.selectedTables is required (or scope.excludedTables, to migrate every other user table)")]
    Missing,
    #[error("scope.excludedTables leaves nothing to migrate")]
    NothingLeft,
}

/// True for Directus' own collections (`directus_users`, `directus_files`, …), which every
/// instance already has and a sync never creates.
pub fn is_system(collection: &str) -> bool {
    collection.starts_with("directus_")
}

/// The tables this extension keeps in the source's database (its jobs): never listed, planned,
/// synced or migrated, even where a snapshot shows them.
pub const EXTENSION_TABLES: [&str; 1] = ["table_migration_jobs"];

/// User collections that hold rows: not Directus' own, not folders (which have no table), not
/// the extension's own tables.
pub fn user_tables(snapshot: &Snapshot) -> impl Iterator<Item = &str> {
    snapshot
        .collections
        .iter()
        .filter(|c| !is_system(&c.collection) && c.schema().is_some())
        .filter(|c| !EXTENSION_TABLES.contains(&c.collection.as_str()))
        .map(|c| c.collection.as_str())
}

/// Checks a caller's list of collection names against the source: every name must be a user
/// collection with a table. Returns the names as a set.
pub fn validate_names(
    snapshot: &Snapshot,
    names: &[String],
    what: &'static str,
) -> Result<BTreeSet<String>, SelectionError> {
    let known: BTreeSet<&str> = user_tables(snapshot).collect();
    let unknown: Vec<String> = names.iter().filter(|n| !known.contains(n.as_str())).cloned().collect();
    if !unknown.is_empty() {
        return Err(SelectionError::Unknown { what, names: unknown });
    }
    Ok(names.iter().cloned().collect())
}

/// `scope.excludedTables`: user collections with a table, and Directus' own collections (those
/// that move and those that never do, which are simply not moved).
fn validate_excluded(snapshot: &Snapshot, names: &[String]) -> Result<BTreeSet<String>, SelectionError> {
    let system: Vec<String> =
        names.iter().filter(|n| system::entry(n).is_some() || system::never_moves(n).is_some()).cloned().collect();
    let user: Vec<String> = names.iter().filter(|n| !system.contains(n)).cloned().collect();
    let mut valid = validate_names(snapshot, &user, "scope.excludedTables")?;
    valid.extend(system);
    Ok(valid)
}

/// The collections a data request asks for: `excluded` wins over `selected`, and means every
/// user table and every system collection of the catalogue but these (Directus' own
/// collections move in that mode only); `selected` names user tables.
pub fn tables_to_move(
    snapshot: &Snapshot,
    selected: Option<&[String]>,
    excluded: Option<&[String]>,
) -> Result<BTreeSet<String>, SelectionError> {
    match (excluded, selected) {
        (Some(excluded), _) => {
            let excluded = validate_excluded(snapshot, excluded)?;
            let system = system::CATALOGUE.iter().map(|c| c.collection);
            let rest: BTreeSet<String> =
                user_tables(snapshot).chain(system).filter(|t| !excluded.contains(*t)).map(String::from).collect();
            if rest.is_empty() {
                return Err(SelectionError::NothingLeft);
            }
            Ok(rest)
        }
        (None, Some([])) => Err(SelectionError::Empty { what: "scope.selectedTables" }),
        (None, Some(selected)) => validate_names(snapshot, selected, "scope.selectedTables"),
        (None, None) => Err(SelectionError::Missing),
    }
}

/// The part of the source schema a sync covers: everything (`None`), or a selection closed over
/// what it needs, with the closed set.
pub fn sync_scope(
    source: Snapshot,
    selected: Option<&[String]>,
) -> Result<(Snapshot, Option<BTreeSet<String>>), SelectionError> {
    match selected {
        None => Ok((source, None)),
        Some([]) => Err(SelectionError::Empty { what: "scope.selectedTables" }),
        Some(names) => {
            validate_names(&source, names, "scope.selectedTables")?;
            let closed = close_selection(&source, names);
            Ok((restrict(&source, &closed), Some(closed)))
        }
    }
}

/// The selected collections closed over what they need, in name order.
pub fn close_selection(snapshot: &Snapshot, selected: &[String]) -> BTreeSet<String> {
    let mut closed: BTreeSet<String> = selected.iter().filter(|c| !is_system(c)).cloned().collect();
    loop {
        let before = closed.len();
        for relation in &snapshot.relations {
            if closed.contains(&relation.collection) {
                // M2O target, and every collection an M2A field may point at.
                closed.extend(relation.related_collection.iter().filter(|c| !is_system(c)).cloned());
                let allowed = relation.meta_value("one_allowed_collections").and_then(|v| v.as_array());
                closed.extend(
                    allowed
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str())
                        .filter(|c| !is_system(c))
                        .map(String::from),
                );
            }
            // An alias (O2M, M2M, translations) on a closed collection needs the collection that
            // holds the foreign key: the child table or the junction.
            let has_alias = relation.meta_value("one_field").is_some();
            if has_alias && relation.related_collection.as_ref().is_some_and(|r| closed.contains(r)) {
                closed.insert(relation.collection.clone());
            }
        }
        for collection in &snapshot.collections {
            if closed.contains(&collection.collection) {
                let group = collection.meta_value("group").and_then(|g| g.as_str());
                closed.extend(group.filter(|g| !is_system(g)).map(String::from));
            }
        }
        if closed.len() == before {
            return closed;
        }
    }
}

/// The part of `snapshot` that covers `collections`: their collections, fields and relations.
/// Everything else (`version`, `directus`, `vendor`, `systemFields`) is kept as it is.
pub fn restrict(snapshot: &Snapshot, collections: &BTreeSet<String>) -> Snapshot {
    let keep = |c: &String| collections.contains(c);
    Snapshot {
        collections: snapshot.collections.iter().filter(|c| keep(&c.collection)).cloned().collect(),
        fields: snapshot.fields.iter().filter(|f| keep(&f.collection)).cloned().collect(),
        relations: snapshot.relations.iter().filter(|r| keep(&r.collection)).cloned().collect(),
        ..snapshot.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::schema::fixtures::publishing;

    fn names(set: &BTreeSet<String>) -> Vec<&str> {
        set.iter().map(String::as_str).collect()
    }

    #[test]
    fn follows_m2o_targets_transitively() {
        // articles → authors (M2O), categories (M2O, itself a tree); authors → articles (cycle).
        let closed = close_selection(&publishing(), &["authors".into()]);
        assert!(closed.contains("articles"), "authors.favorite_article needs articles");
        assert!(closed.contains("categories"), "articles.category needs categories");
    }

    #[test]
    fn includes_junctions_and_their_other_side() {
        let closed = close_selection(&publishing(), &["articles".into()]);
        assert_eq!(
            names(&closed),
            vec![
                "articles",
                "articles_files",
                "articles_tags",
                "articles_translations",
                "authors",
                "categories",
                "languages",
                "tags"
            ]
        );
    }

    #[test]
    fn a_leaf_stays_alone_and_system_collections_never_join() {
        assert_eq!(names(&close_selection(&publishing(), &["languages".into()])), vec!["languages"]);
        assert_eq!(names(&close_selection(&publishing(), &["directus_users".into()])), Vec::<&str>::new());
    }

    #[test]
    fn singleton_needs_its_m2o_target_and_folders_come_with_their_children() {
        let closed = close_selection(&publishing(), &["site_settings".into()]);
        assert_eq!(names(&closed), vec!["config", "languages", "site_settings"]);
    }

    #[test]
    fn validates_names_against_user_tables() {
        let snapshot = publishing();
        assert_eq!(validate_names(&snapshot, &["articles".into()], "scope.selectedTables").unwrap().len(), 1);
        let err = validate_names(
            &snapshot,
            &["articles".into(), "nope".into(), "config".into(), "directus_users".into()],
            "scope.selectedTables",
        )
        .unwrap_err();
        assert!(err.to_string().ends_with("user tables): nope, config, directus_users"), "{err}");
        assert_eq!(user_tables(&snapshot).count(), 9, "the config folder has no table");
    }

    #[test]
    fn excluded_tables_mode_takes_system_collections_too_and_accepts_their_names() {
        let snapshot = publishing();
        let all = tables_to_move(&snapshot, None, Some(&[])).unwrap();
        assert!(all.contains("articles"));
        for system in
            ["directus_users", "directus_roles", "directus_permissions", "directus_files", "directus_settings"]
        {
            assert!(all.contains(system), "{system}");
        }
        assert!(!all.contains("directus_activity"), "history never moves");
        let excluded: Vec<String> =
            ["directus_users", "directus_activity", "tags"].iter().map(|n| n.to_string()).collect();
        let some = tables_to_move(&snapshot, None, Some(&excluded)).unwrap();
        assert!(!some.contains("directus_users") && !some.contains("tags") && some.contains("directus_roles"));
        let err = tables_to_move(&snapshot, None, Some(&["directus_nope".to_string()])).unwrap_err();
        assert!(err.to_string().ends_with("directus_nope"), "{err}");
        let only = tables_to_move(&snapshot, Some(&["tags".to_string()]), None).unwrap();
        assert_eq!(names(&only), vec!["tags"], "selectedTables never brings system collections");
    }

    #[test]
    fn restrict_keeps_only_the_closed_collections() {
        let snapshot = publishing();
        let part = restrict(&snapshot, &close_selection(&snapshot, &["site_settings".into()]));
        assert!(part.fields.iter().all(|f| ["site_settings", "languages", "config"].contains(&f.collection.as_str())));
        assert!(part.relations.iter().all(|r| r.collection == "site_settings"));
        assert_eq!(part.directus, snapshot.directus);
        assert_eq!(part.rest, snapshot.rest, "systemFields ride along");
    }
}
