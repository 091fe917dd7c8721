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
use crate::destination::sink::{null_missing, Mode, RowSink};
use crate::host::Host;
use crate::pipeline::files::FileMover;
use crate::runs::progress::Phase;
use crate::shared::digest::canonical;
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, pick, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

/// What a merge did with the rows the destination had.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Merged {
    /// Rows written with the source's content (a dry run: to write).
    pub updated: u64,
    /// Rows whose content the destination has already.
    pub unchanged: u64,
    pub refused: Vec<(Value, String)>,
}

impl<H: Host, S: RowSink, T: Transport, C: Clock> Mover<'_, '_, H, S, T, C> {
    /// Whether this table's rows already on the destination are merged: a merge run, on user
    /// tables whose keys the destination keeps (Directus' own collections keep their rules).
    pub(super) fn merges(&self) -> bool {
        self.context.options.merge && self.table.system.is_none() && !self.table.assigns_keys()
    }

    /// The destination's rows of `keys` (those it has), with the columns a merge compares, by key.
    pub(super) async fn their_rows(&self, keys: &[Value]) -> Result<HashMap<String, Row>, CoreError> {
        let sink = self.context.sink_for(self.table);
        let columns =
            self.table.merge_columns(sink.delivery(), sink.representation(), self.context.options.preserve_created);
        let key = self.table.primary_key.as_str();
        Ok(sink
            .rows(target(self.table), &columns, keys)
            .await?
            .into_iter()
            .filter_map(|row| Some((key_text(row.get(key)?), row)))
            .collect())
    }

    /// Merge `rows`, each of which the destination has under its key, as [`Self::their_rows`]
    /// read them (`theirs`).
    pub(super) async fn merge_existing(&self, rows: &[Row], theirs: HashMap<String, Row>) -> Result<Merged, CoreError> {
        let mut merged = Merged::default();
        if rows.is_empty() {
            return Ok(merged);
        }
        let context = self.context;
        let table = self.table;
        let sink = context.sink_for(table);
        let rows_as = sink.representation();
        let columns = table.merge_columns(sink.delivery(), rows_as, context.options.preserve_created);
        let key = table.primary_key.as_str();

        let ours: Vec<Row> = rows.iter().map(|row| pick(row, columns.iter().map(String::as_str))).collect();
        let differs_from_theirs = |row: &Row| {
            // A row gone from the destination since the page was looked up stays skipped.
            let their = row.get(key).and_then(|k| theirs.get(&key_text(k)))?;
            Some(differs(row, their, &columns, &table.float_fields))
        };
        // Compared as read first: only rows that differ have their references looked up (a
        // reference to a row the destination lacks goes in as null, as on create), and are
        // compared again as they would be written.
        let mut candidates = Vec::new();
        for row in ours {
            match differs_from_theirs(&row) {
                Some(true) => candidates.push(row),
                Some(false) => merged.unchanged += 1,
                None => {}
            }
        }
        if candidates.is_empty() {
            return Ok(merged);
        }
        null_missing(context.destination, context.known, &table.checked, &mut candidates).await?;
        let mut changed = Vec::new();
        for row in candidates {
            if differs_from_theirs(&row) == Some(true) {
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
        if context.options.dry_run {
            merged.updated = changed.len() as u64;
            return Ok(merged);
        }
        let updates = changed.into_iter().map(|row| table.as_sent(rows_as, row)).collect();
        let (clock, timings) = (context.destination.clock(), context.timings);
        let written =
            timings.time(clock, Phase::Write, sink.write(Mode::Update, target(table), &columns, updates)).await?;
        merged.updated = written.keys.len() as u64;
        merged.refused = written.refused;
        Ok(merged)
    }
}

/// Whether any of `columns` (the key aside) holds other content on the two sides; `floats` are
/// Directus `float` fields, single precision where the database has one (MySQL/MariaDB `float`,
/// PostgreSQL `real`).
fn differs(ours: &Row, theirs: &Row, columns: &[String], floats: &[String]) -> bool {
    let null = Value::Null;
    columns.iter().skip(1).any(|c| {
        let (a, b) = (ours.get(c).unwrap_or(&null), theirs.get(c).unwrap_or(&null));
        !(same(a, b) || (floats.contains(c) && same_single(a, b)))
    })
}

/// The same single-precision float: the source's exact read of a MySQL `float` is the double it
/// widens to (`123.45600128173828`), the destination's API answers the float's shortest text
/// (`123.456`), and writing either stores the same float.
fn same_single(ours: &Value, theirs: &Value) -> bool {
    let single = |value: &Value| {
        match value {
            Value::Number(n) => n.as_f64(),
            Value::String(text) => text.parse::<f64>().ok(),
            _ => None,
        }
        .map(|f| f as f32)
    };
    matches!((single(ours), single(theirs)), (Some(a), Some(b)) if a == b)
}

/// The same content: the same canonical JSON, or the same number read two ways. The run reads
/// 64-bit integers from the source as exact text, where an API may answer a number; and it reads
/// floats exactly where MySQL/MariaDB's text protocol (the destination's API) answers doubles
/// rounded to 15 or 16 digits: a float that agrees to 14 significant digits is the same value, not
/// an edit. Integers compare exactly (beyond 2^53 by their digits); two strings compare as text.
fn same(ours: &Value, theirs: &Value) -> bool {
    if canonical(ours) == canonical(theirs) {
        return true;
    }
    let number = |value: &Value| match value {
        Value::Number(n) => Some((n.to_string(), n.as_f64()?)),
        Value::String(text) => Some((text.clone(), text.parse::<f64>().ok()?)),
        _ => None,
    };
    if !(ours.is_number() || theirs.is_number()) {
        return false;
    }
    let (Some((a_text, a)), Some((b_text, b))) = (number(ours), number(theirs)) else { return false };
    let integral = |text: &str| !text.contains(['.', 'e', 'E']);
    if a_text == b_text {
        return true;
    }
    if integral(&a_text) && integral(&b_text) {
        return a == b && a.abs() < 9_007_199_254_740_992.0;
    }
    a.is_finite() && b.is_finite() && (a == b || (a - b).abs() <= 1e-14 * a.abs().max(b.abs()))
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
        assert!(!differs(&ours, &theirs, &columns, &[]), "an absent column is null; the key is not compared");
        let edited = row(json!({ "id": 1, "title": "B", "meta": { "a": 1, "b": [2] }, "big": "9007199254740993" }));
        assert!(differs(&ours, &edited, &columns, &[]));
        let score = |v: Value| row(json!({ "id": 1, "score": v }));
        let columns: Vec<String> = vec!["id".into(), "score".into()];
        let single = ["score".to_string()];
        assert!(!differs(&score(json!(123.45600128173828)), &score(json!(123.456)), &columns, &single));
        assert!(differs(&score(json!(123.45600128173828)), &score(json!(123.456)), &columns, &[]), "a double column");
        assert!(differs(&score(json!(123.457)), &score(json!(123.456)), &columns, &single));
        assert!(same(&json!("1.5"), &json!(1.5)));
        assert!(!same(&json!("1.5"), &json!(1.25)));
        assert!(!same(&json!("x"), &json!(0)));
        assert!(!same(&json!(null), &json!(0)));
        assert!(same(&json!("0.30000000000000004"), &json!(0.3)), "a double rounded to 15 digits");
        assert!(same(&json!(0.30000000000000004), &json!(0.3)), "read exactly, answered rounded");
        assert!(!same(&json!("9007199254740993"), &json!(9007199254740992u64)), "integers by their digits");
        assert!(!same(&json!("1.5"), &json!("1.50")), "two strings are text");
        assert!(same(&json!("42"), &json!(42)));
        assert!(!same(&json!("0.3001"), &json!(0.3)));
    }
}
