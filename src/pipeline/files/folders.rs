//! Folders of the files being moved: created on the destination with the same ids, parents first;
//! folders the destination already has are left as they are.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::destination::sink::{KnownKeys, Mode, RestSink, RowSink, Target};
use crate::destination::Destination;
use crate::host::{Host, KeysRequest};
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

const FOLDERS: &str = "directus_folders";

/// Make sure `folders` and their parent chains exist on the destination. Returns the folders
/// created (a dry run: to create), parents first, and the ones that could not be created.
pub async fn ensure_folders<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    known: &KnownKeys,
    folders: &[Value],
    dry_run: bool,
) -> Result<(Vec<Row>, Vec<(Value, String)>), CoreError> {
    // Walk up from the wanted folders until every chain reaches one the destination has, or a root.
    let mut missing: BTreeMap<String, Row> = BTreeMap::new();
    let mut frontier: Vec<Value> = folders.iter().filter(|f| !known.knows_present(FOLDERS, f)).cloned().collect();
    while !frontier.is_empty() {
        frontier.sort_by_key(key_text);
        frontier.dedup();
        let existing: BTreeSet<String> =
            destination.existing_keys(FOLDERS, "id", &frontier).await?.iter().map(key_text).collect();
        let absent: Vec<Value> = frontier.iter().filter(|f| !existing.contains(&key_text(f))).cloned().collect();
        for folder in frontier.iter().filter(|f| existing.contains(&key_text(f))) {
            known.mark_present(FOLDERS, folder);
        }
        if absent.is_empty() {
            break;
        }
        let request = KeysRequest {
            collection: FOLDERS.into(),
            primary_key: "id".into(),
            keys: absent,
            fields: vec!["id".into(), "name".into(), "parent".into()],
            raw: false,
        };
        let rows = host.read_by_keys(&request).await?;
        frontier = Vec::new();
        for row in rows {
            // A row the source answers without its key cannot be created: left out.
            let Some(id) = row.get("id").map(key_text) else { continue };
            if let Some(parent) = row.get("parent").filter(|p| !p.is_null()) {
                let parent_text = key_text(parent);
                if !known.knows_present(FOLDERS, parent) && !missing.contains_key(&parent_text) {
                    frontier.push(parent.clone());
                }
            }
            missing.insert(id, row);
        }
    }

    let ordered = parents_first(missing);
    if dry_run || ordered.is_empty() {
        // A dry run counts each folder once, as if it had been created.
        ordered.iter().filter_map(|row| row.get("id")).for_each(|id| known.mark_present(FOLDERS, id));
        return Ok((ordered, Vec::new()));
    }
    // One request: Directus inserts in order, so each parent exists before its children.
    let target = Target { collection: FOLDERS, key: "id", singleton: false, keeps_key: true };
    let columns = ["id", "name", "parent"].map(String::from);
    let written = RestSink::new(destination).write(Mode::Create, target, &columns, ordered.clone()).await?;
    for key in &written.keys {
        known.mark_present(FOLDERS, key);
    }
    let created = ordered.into_iter().filter(|row| row.get("id").is_some_and(|id| written.keys.contains(id))).collect();
    Ok((created, written.refused))
}

/// Folders ordered so that every parent comes before its children.
fn parents_first(mut pending: BTreeMap<String, Row>) -> Vec<Row> {
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .iter()
            .filter(|(_, row)| {
                row.get("parent").filter(|p| !p.is_null()).is_none_or(|p| !pending.contains_key(&key_text(p)))
            })
            .map(|(id, _)| id.clone())
            .collect();
        if ready.is_empty() {
            // A cycle of parents cannot be created in any order: leave the rest out.
            break;
        }
        ordered.extend(ready.iter().filter_map(|id| pending.remove(id)));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn folder(id: &str, parent: Option<&str>) -> (String, Row) {
        (
            id.to_string(),
            json!({ "id": id, "name": format!("folder {id}"), "parent": parent }).as_object().unwrap().clone(),
        )
    }

    #[test]
    fn parents_come_first() {
        let pending = BTreeMap::from([
            folder("a", Some("c")),
            folder("b", None),
            folder("c", Some("b")),
            folder("d", Some("elsewhere")),
        ]);
        let order: Vec<String> = parents_first(pending).iter().map(|r| key_text(&r["id"])).collect();
        assert_eq!(order, vec!["b", "d", "c", "a"]);
    }
}
