//! One page compared: each source row with the destination's row of the same key, column by
//! column in canonical form; then the references the run sets to null by design (the value
//! points at a row the destination does not have, and the destination holds null) are looked up
//! and forgiven. Both sides' rows feed the table digests.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::columns::Columns;
use crate::destination::{Destination, DestinationError};
use crate::runs::report::TableVerification;
use crate::shared::digest::{canonical, row_digest, TableDigest};
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, value_of, Row};
use crate::shared::runtime::Clock;

/// The columns of `compared` (other than the key) whose values differ.
pub fn differing_fields(source: &Row, destination: &Row, compared: &[String]) -> Vec<String> {
    let null = Value::Null;
    compared
        .iter()
        .skip(1)
        .filter(|c| canonical(source.get(*c).unwrap_or(&null)) != canonical(destination.get(*c).unwrap_or(&null)))
        .cloned()
        .collect()
}

/// Running totals of one table's comparison.
#[derive(Default)]
pub struct Tally {
    pub source: TableDigest,
    pub destination: TableDigest,
}

/// Compare a page of source rows with the destination's rows of the same keys, counting into
/// `report`.
pub async fn compare_page<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    columns: &Columns,
    source_rows: Vec<Row>,
    destination_rows: Vec<Row>,
    report: &mut TableVerification,
    tally: &mut Tally,
) -> Result<(), DestinationError> {
    // The key is the first compared column; without one there is nothing to pair rows by.
    let Some(key) = columns.compared.first() else { return Ok(()) };
    let mut theirs: HashMap<String, Row> =
        destination_rows.into_iter().filter_map(|r| Some((key_text(r.get(key)?), r))).collect();
    let mut pending: Vec<(Row, Row, Vec<String>)> = Vec::new();
    for row in source_rows {
        report.checked += 1;
        let source_key = value_of(&row, key);
        match theirs.remove(&key_text(&source_key)) {
            None => {
                tally.source.add(row_digest(&row, &columns.compared));
                report.missing += 1;
                report.note(&source_key, "missing on the destination".into());
            }
            Some(their) => {
                let fields = differing_fields(&row, &their, &columns.compared);
                if fields.is_empty() {
                    let digest = row_digest(&row, &columns.compared);
                    tally.source.add(digest);
                    tally.destination.add(row_digest(&their, &columns.compared));
                } else {
                    // Digested once the references the run nulls by design are settled.
                    pending.push((row, their, fields));
                }
            }
        }
    }
    if pending.is_empty() {
        return Ok(());
    }

    let absent = absent_targets(destination, columns, &pending).await?;
    for (mut row, their, fields) in pending {
        let mut left = Vec::new();
        for field in fields {
            let by_design = columns.nullable_by_design.iter().find(|r| r.field == field).is_some_and(|reference| {
                their.get(&field).is_none_or(Value::is_null)
                    && row.get(&field).is_some_and(|v| {
                        absent.get(&reference.target).is_some_and(|missing| missing.contains(&key_text(v)))
                    })
            });
            if by_design {
                report.nulled_by_design += 1;
                row.insert(field, Value::Null);
            } else {
                left.push(field);
            }
        }
        tally.source.add(row_digest(&row, &columns.compared));
        tally.destination.add(row_digest(&their, &columns.compared));
        if !left.is_empty() {
            report.different += 1;
            report.note(row.get(key).unwrap_or(&Value::Null), format!("differs in {}", left.join(", ")));
        }
    }
    Ok(())
}

/// Per target collection, the keys (as text) that differing references point at and that the
/// destination does not have.
async fn absent_targets<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    columns: &Columns,
    pending: &[(Row, Row, Vec<String>)],
) -> Result<BTreeMap<String, BTreeSet<String>>, DestinationError> {
    let mut absent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for reference in &columns.nullable_by_design {
        let values: BTreeMap<String, Value> = pending
            .iter()
            .filter(|(_, their, fields)| {
                fields.contains(&reference.field) && their.get(&reference.field).is_none_or(Value::is_null)
            })
            .filter_map(|(row, _, _)| row.get(&reference.field).filter(|v| !v.is_null()))
            .map(|v| (key_text(v), v.clone()))
            .collect();
        if values.is_empty() {
            continue;
        }
        let keys: Vec<Value> = values.values().cloned().collect();
        let found: BTreeSet<String> = destination
            .existing_keys(&reference.target, &reference.target_key, &keys)
            .await?
            .iter()
            .map(key_text)
            .collect();
        absent.entry(reference.target.clone()).or_default().extend(values.into_keys().filter(|k| !found.contains(k)));
    }
    Ok(absent)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn compares_every_column_but_the_key_in_canonical_form() {
        let row = |v: Value| v.as_object().unwrap().clone();
        let compared: Vec<String> = ["id", "title", "extra", "views"].iter().map(|c| c.to_string()).collect();
        let ours = row(json!({ "id": 1, "title": "A", "extra": { "a": 1, "b": [2.0] }, "views": null }));
        let theirs = row(json!({ "id": "1", "title": "A", "extra": { "b": [2], "a": 1 } }));
        assert!(differing_fields(&ours, &theirs, &compared).is_empty(), "an absent column is null");
        let changed = row(json!({ "id": 1, "title": "B", "extra": null, "views": 0 }));
        assert_eq!(differing_fields(&ours, &changed, &compared), vec!["title", "extra", "views"]);
    }
}
