//! The second pass: references held back to break a cycle (a tree's `parent`, one side of two
//! collections that reference each other) are set once every row exists — on the rows this run
//! created, and on rows an earlier run created but left incomplete; never on rows that were
//! already there with the reference set.
//!
//! Nothing of the rows is kept between the passes: the second pass reads the held-back columns
//! from the source again, in key order, a page at a time, asks the destination which of those
//! rows still lack them, and sets them batch by batch — memory holds one page whatever the
//! table's size. Only Directus' users, whose rows already on the destination are never written,
//! keep the created rows' held-back values from the first pass ([`complete`]).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::{target, Context};
use crate::destination::sink::{null_missing, KnownKeys, Mode, RowSink};
use crate::destination::DestinationError;
use crate::host::{Host, PageReader, PageRequest};
use crate::pipeline::plan::{Reference, TablePlan};
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, pick, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

/// What the first pass left for the second to do on one table: counts, never rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Held {
    /// Rows created in this run with a held-back reference to set.
    pub created: u64,
    /// Rows already there whose held-back reference an earlier run left unset, by field.
    pub repairs: BTreeMap<String, u64>,
    /// The filter the first pass read the table with.
    pub filter: Option<Value>,
    /// Where the first pass stopped early: how many pages it started (the rest never arrived).
    pub pages: Option<u64>,
}

/// Rows the second pass set on one table: `created` of the rows this run created, `repaired`
/// (rows an earlier run left incomplete), and how many the destination refused (each one
/// recorded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Completed {
    pub created: u64,
    pub repaired: u64,
    pub failed: u64,
}

/// Set `table`'s held-back references from the source, a page at a time, on the rows of the
/// destination that lack them. Rows the first pass could not write are not on the destination
/// and so are left alone; rows whose own key stands for another are never written.
pub async fn complete_from_source<H: Host, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    table: &TablePlan,
    held: &Held,
    check_references: bool,
) -> Result<Completed, CoreError> {
    let key = table.primary_key.as_str();
    let fields: Vec<String> =
        std::iter::once(key.to_string()).chain(table.deferred_fields().iter().map(|f| f.to_string())).collect();
    let sink = context.sink_for(table);
    let request = PageRequest {
        collection: table.collection.clone(),
        primary_key: table.primary_key.clone(),
        exact: table.big_integer_fields.iter().filter(|f| fields.contains(f)).cloned().collect(),
        fields,
        after: None,
        limit: context.batch_size,
        filter: held.filter.clone(),
        raw: sink.raw_rows(),
    };
    let mut reader = PageReader::new(context.host, request);
    let mut done = Completed::default();
    let mut created_left = held.created;
    let mut pages = 0;
    while held.pages.is_none_or(|limit| pages < limit) {
        let Some(rows) = reader.next_page().await? else { break };
        pages += 1;
        let (mut rows, _mapped) = context.keys.split_mapped(&table.collection, key, rows);
        context.keys.apply(&table.reference_pairs(), &mut rows);
        rows.retain(|row| table.deferred.iter().any(|d| row.get(&d.field).is_some_and(|v| !v.is_null())));
        #[cfg(test)]
        gauge::observe(rows.len());
        for ((lacking, whole), batch) in lacking_by_fields(context, table, rows).await? {
            let references: Vec<Reference> =
                table.deferred.iter().filter(|d| lacking.contains(&d.field)).cloned().collect();
            let (completed, failed) = complete(context, table, &references, batch, check_references).await?;
            done.failed += failed;
            // Rows lacking every held-back reference they have are the ones this run created
            // (as many as the first pass counted); rows lacking only some are repairs.
            let created = if whole { completed.min(created_left) } else { 0 };
            created_left -= created;
            done.created += created;
            done.repaired += completed - created;
        }
    }
    Ok(done)
}

/// Of `rows` (`{key, held-back fields…}` as on the source), those the destination has with some
/// of the held-back references set on the source still unset, grouped by the fields they lack
/// and whether those are all the ones they have (as on a row this run created).
async fn lacking_by_fields<H, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    table: &TablePlan,
    rows: Vec<Row>,
) -> Result<BTreeMap<(Vec<String>, bool), Vec<Row>>, DestinationError> {
    let key = table.primary_key.as_str();
    let sink = context.sink_for(table);
    let mut unset: Vec<(String, HashSet<String>)> = Vec::new();
    for reference in &table.deferred {
        let field = reference.field.as_str();
        let keys: Vec<Value> = rows
            .iter()
            .filter(|r| r.get(field).is_some_and(|v| !v.is_null()))
            .filter_map(|r| r.get(key).cloned())
            .collect();
        if keys.is_empty() {
            continue;
        }
        let lacking = sink.lacking(target(table), field, &keys).await?;
        unset.push((field.to_string(), lacking.iter().map(key_text).collect()));
    }
    let mut groups: BTreeMap<(Vec<String>, bool), Vec<Row>> = BTreeMap::new();
    for row in rows {
        let Some(row_key) = row.get(key).map(key_text) else { continue };
        let lacking: Vec<String> =
            unset.iter().filter(|(_, keys)| keys.contains(&row_key)).map(|(field, _)| field.clone()).collect();
        if lacking.is_empty() {
            continue;
        }
        let set = table.deferred.iter().filter(|d| row.get(&d.field).is_some_and(|v| !v.is_null())).count();
        let whole = lacking.len() == set;
        let columns = std::iter::once(key).chain(lacking.iter().map(String::as_str));
        let picked = pick(&row, columns);
        groups.entry((lacking, whole)).or_default().push(picked);
    }
    Ok(groups)
}

/// Set `references` (held back in the first pass) on `pending` rows (`{key, those fields…}`).
/// Returns how many rows were completed and how many the destination refused (each one
/// recorded).
pub async fn complete<H, S: RowSink, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    table: &TablePlan,
    references: &[Reference],
    pending: Vec<Row>,
    check_references: bool,
) -> Result<(u64, u64), DestinationError> {
    let columns: Vec<String> =
        std::iter::once(table.primary_key.clone()).chain(references.iter().map(|d| d.field.clone())).collect();
    let fields = references.iter().map(|d| d.field.as_str()).collect::<Vec<_>>().join(", ");
    #[cfg(test)]
    gauge::observe(pending.len());
    let (mut completed, mut failed) = (0, 0);
    let mut rows = pending;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(context.batch_size.max(1) as usize));
        let mut batch = std::mem::replace(&mut rows, rest);
        if check_references {
            // A fresh cache per batch: what it learns is never more than a batch.
            null_missing(context.destination, &KnownKeys::default(), references, &mut batch).await?;
        }
        let written = context.sink_for(table).write(Mode::Update, target(table), &columns, batch).await?;
        completed += written.keys.len() as u64;
        for (key, message) in written.refused {
            failed += 1;
            let message = format!("the row was created but its {fields} could not be set: {message}");
            context.recorder.fail(&table.collection, key, message);
        }
    }
    Ok((completed, failed))
}

/// How many held-back entries a run kept in memory at once (native tests only).
#[cfg(test)]
pub mod gauge {
    use std::cell::Cell;

    thread_local! {
        static PEAK: Cell<usize> = const { Cell::new(0) };
    }

    pub fn observe(entries: usize) {
        PEAK.with(|peak| peak.set(peak.get().max(entries)));
    }

    /// The peak since the last call, which starts the count again.
    pub fn take_peak() -> usize {
        PEAK.with(|peak| peak.replace(0))
    }
}
