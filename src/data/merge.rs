//! `scope.mode: "merge"`: the user rows of a page that the destination already has take the
//! source's content where it differs. Those rows are read back from the destination the way the
//! run writes them, compared column by column in canonical form, and only the ones that differ are
//! written, with an update of the columns a merge writes ([`TablePlan::merge_columns`]): a merge
//! re-run writes nothing. References follow the rules of a create: one to a row the destination
//! lacks goes in as null, and a held-back one whose row is not there yet is set by the second pass.

use std::collections::HashMap;

use serde_json::Value;

use super::table::Mover;
use super::target;
use crate::digest::canonical;
use crate::files::FileMover;
use crate::host::Host;
use crate::http::Transport;
use crate::plan::TablePlan;
use crate::report::Delivery;
use crate::rows::{key_text, pick, Row};
use crate::runtime::Clock;
use crate::sink::{null_missing, RowSink};
use crate::CoreError;

/// What a merge did with the rows the destination had.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Merged {
    /// Rows written with the source's content (a dry run: to write).
    pub updated: u64,
    /// Rows whose content the destination has already.
    pub unchanged: u64,
    /// Rows gone from the destination since the page was looked up: left alone.
    pub vanished: u64,
    pub refused: Vec<(Value, String)>,
}

impl<H: Host, S: RowSink, T: Transport, C: Clock> Mover<'_, '_, H, S, T, C> {
    /// Whether this table's rows already on the destination are merged: a merge run, on user
    /// tables whose keys the destination keeps (Directus' own collections keep their rules).
    pub(super) fn merges(&self) -> bool {
        self.context.settings.merge && self.table.system.is_none() && !self.table.assigns_keys()
    }

    /// Merge `rows`, each of which the destination has under its key.
    pub(super) async fn merge_existing(&self, rows: &[Row]) -> Result<Merged, CoreError> {
        let mut merged = Merged::default();
        if rows.is_empty() {
            return Ok(merged);
        }
        let context = self.context;
        let table = self.table;
        let sink = context.sink_for(table);
        let delivery = sink.delivery();
        let columns = table.merge_columns(delivery, context.settings.preserve_created);
        let key = table.primary_key.as_str();

        let mut ours: Vec<Row> = rows.iter().map(|row| pick(row, columns.iter().map(String::as_str))).collect();
        null_missing(context.destination, context.known, &table.checked, &mut ours).await?;
        let keys: Vec<Value> = ours.iter().filter_map(|r| r.get(key).cloned()).collect();
        let mut theirs: HashMap<String, Row> = sink
            .rows(target(table), &columns, &keys)
            .await?
            .into_iter()
            .filter_map(|row| Some((key_text(row.get(key)?), row)))
            .collect();
        let mut changed = Vec::new();
        for row in ours {
            let Some(their) = row.get(key).and_then(|k| theirs.remove(&key_text(k))) else {
                merged.vanished += 1;
                continue;
            };
            if differs(&row, &their, &columns) {
                changed.push(row);
            } else {
                merged.unchanged += 1;
            }
        }
        if changed.is_empty() {
            return Ok(merged);
        }
        // A held-back reference whose row is not on the destination yet goes in as null; the
        // second pass finds it unset and sets it once every row exists.
        null_missing(context.destination, context.known, &table.deferred, &mut changed).await?;
        if let Some(files) = context.files {
            let ids = FileMover::<H, T, C>::referenced(&table.file_references(), &changed);
            if !ids.is_empty() {
                files.ensure(ids).await?;
            }
        }
        if context.settings.dry_run {
            merged.updated = changed.len() as u64;
            return Ok(merged);
        }
        let updates = changed.into_iter().map(|row| as_sent(table, delivery, row)).collect();
        let written = sink.update(target(table), &columns, updates).await?;
        merged.updated = written.keys.len() as u64;
        merged.refused = written.refused;
        Ok(merged)
    }
}

fn as_sent(table: &TablePlan, delivery: Delivery, row: Row) -> Row {
    match delivery {
        Delivery::Rest => table.api_values(row),
        Delivery::Bulk => row,
    }
}

/// Whether any of `columns` (the key aside) holds other content on the two sides.
fn differs(ours: &Row, theirs: &Row, columns: &[String]) -> bool {
    let null = Value::Null;
    columns.iter().skip(1).any(|c| !same(ours.get(c).unwrap_or(&null), theirs.get(c).unwrap_or(&null)))
}

/// The same content: the same canonical JSON, or a number and its text. The run reads 64-bit
/// integers and floats from the source as exact text, where an API may answer a number, and
/// MySQL/MariaDB's text protocol answers doubles rounded to 15 or 16 digits: a float that agrees
/// to 14 significant digits is the same value read two ways, not an edit.
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::String(text), Value::Number(number)) | (Value::Number(number), Value::String(text)) => {
            *text == number.to_string()
                || text.parse::<f64>().ok().zip(number.as_f64()).is_some_and(|(a, b)| {
                    a == b || (a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-14 * a.abs().max(b.abs()))
                })
        }
        _ => canonical(ours) == canonical(theirs),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(value: Value) -> Row {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn content_is_compared_in_canonical_form_and_numbers_match_their_text() {
        let columns: Vec<String> = ["id", "title", "meta", "views", "big"].iter().map(|c| c.to_string()).collect();
        let ours = row(
            json!({ "id": 1, "title": "A", "meta": { "a": 1, "b": [2.0] }, "views": null, "big": "9007199254740993" }),
        );
        let theirs = row(json!({ "id": "1", "title": "A", "meta": { "b": [2], "a": 1 }, "big": 9007199254740993u64 }));
        assert!(!differs(&ours, &theirs, &columns), "an absent column is null; the key is not compared");
        let edited = row(json!({ "id": 1, "title": "B", "meta": { "a": 1, "b": [2] }, "big": "9007199254740993" }));
        assert!(differs(&ours, &edited, &columns));
        assert!(same(&json!("1.5"), &json!(1.5)));
        assert!(!same(&json!("1.5"), &json!(1.25)));
        assert!(!same(&json!("x"), &json!(0)));
        assert!(!same(&json!(null), &json!(0)));
        assert!(same(&json!("0.30000000000000004"), &json!(0.3)), "a double rounded to 15 digits");
        assert!(!same(&json!("0.3001"), &json!(0.3)));
    }
}
