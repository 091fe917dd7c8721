//! Moving one page of a collection: drop the rows the destination already has, move the files
//! they reference, null references to missing rows, insert the rest, write back the fields the
//! destination stamps on create. The pages are read, in flight, by [`super::pages`].

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::merge::Merged;
use super::{target, Context};
use crate::destination::sink::{null_missing, Mode, RowSink};
use crate::host::Host;
use crate::pipeline::files::FileMover;
use crate::pipeline::matching::natural_matches;
use crate::pipeline::plan::TablePlan;
use crate::pipeline::system::Handling;
use crate::runs::progress::Phase;
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, pick, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

#[derive(Debug, Default)]
pub(super) struct PageOutcome {
    pub read: u64,
    pub created: u64,
    pub skipped: u64,
    pub nulled: u64,
    pub refused: Vec<(Value, String)>,
    /// Created rows with a held-back reference to set.
    pub held: u64,
    /// Kept only where rows already there are never written.
    pub pending: Vec<Row>,
    pub repairs: BTreeMap<String, u64>,
    /// Rows that stand for a row the destination has (never written).
    pub mapped: u64,
    /// Rows merged into the destination's row.
    pub updated: u64,
    /// `scope.mode: "merge"`: rows the destination has with the same content.
    pub unchanged: u64,
    /// Failures the files step already recorded.
    pub failed_elsewhere: u64,
}

pub(super) struct Mover<'a, 'c, H, S, T, C> {
    pub context: &'c Context<'a, H, S, T, C>,
    pub table: &'c TablePlan,
    /// What the table's pages found on the destination so far (see [`Mover::unchecked`]).
    found: Cell<Found>,
}

/// Whether a table's pages found any of their keys on the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// No page was checked yet.
    Unknown,
    /// Every page checked found none of its keys there.
    Nothing,
    /// Some page found rows there: every page is checked from then on.
    Rows,
}

impl<'a, 'c, H, S, T, C> Mover<'a, 'c, H, S, T, C> {
    pub(super) fn new(context: &'c Context<'a, H, S, T, C>, table: &'c TablePlan) -> Self {
        Mover { context, table, found: Cell::new(Found::Unknown) }
    }

    fn learn(&self, found_rows: bool) {
        match (self.found.get(), found_rows) {
            (_, true) => self.found.set(Found::Rows),
            (Found::Unknown, false) => self.found.set(Found::Nothing),
            _ => {}
        }
    }
}

impl<H: Host, S: RowSink, T: Transport, C: Clock> Mover<'_, '_, H, S, T, C> {
    pub(super) async fn move_page(&self, rows: Vec<Row>) -> Result<PageOutcome, CoreError> {
        match self.table.system.map(|s| s.handling) {
            Some(Handling::Files) => return self.move_every_file(rows).await,
            Some(Handling::Settings) => return self.merge_settings(rows).await,
            _ => {}
        }
        let Context { destination, known, files, options, keys: key_map, timings, .. } = self.context;
        let clock = destination.clock();
        let sink = self.context.sink_for(self.table);
        let table = self.table;
        let key = table.primary_key.as_str();
        let read = rows.len() as u64;
        // Keys that stand for others: the references are rewritten, and the rows that are the
        // destination's own (its administrator role, a user it has by e-mail) are never written.
        let (rows, not_applied) = self.access_of_existing_users(rows);
        let (mut rows, mapped) = key_map.split_mapped(&table.collection, key, rows);
        key_map.apply(&table.reference_pairs(), &mut rows);
        let (rows, withheld) = self.withhold(rows);
        let keys: Vec<Value> = rows.iter().filter_map(|r| r.get(key).cloned()).collect();
        // A merge reads the destination's rows at once: the ones it answers are those it has.
        let theirs =
            if self.merges() { Some(timings.time(clock, Phase::Checks, self.their_rows(&keys)).await?) } else { None };
        let existing: HashSet<String> = match &theirs {
            _ if table.assigns_keys() || self.unchecked() => HashSet::new(),
            Some(theirs) => theirs.keys().cloned().collect(),
            None => {
                let asked = timings.time(clock, Phase::Checks, sink.existing(target(table), &keys)).await?;
                self.learn(!asked.is_empty());
                asked.iter().map(key_text).collect()
            }
        };
        let (mut fresh, mut skipped): (Vec<Row>, Vec<Row>) =
            rows.into_iter().partition(|row| row.get(key).is_none_or(|k| !existing.contains(&key_text(k))));
        self.known_present(skipped.iter().filter_map(|row| row.get(key)));
        // Directus' own rows may be there under another key: same natural key, same row.
        if let Some(natural) = table.system.map(|s| s.natural_key).filter(|n| !n.is_empty()) {
            let candidates: Vec<&Row> = fresh.iter().collect();
            let matched = natural_matches(destination, &table.collection, key, natural, &candidates).await?;
            let mut rest = Vec::with_capacity(fresh.len());
            for (i, row) in fresh.into_iter().enumerate() {
                if matched.contains(&i) {
                    skipped.push(row);
                } else {
                    rest.push(row);
                }
            }
            fresh = rest;
        }
        let (mut fresh, missing) = self.missing_items(fresh).await?;
        // A merge: rows the destination has take the source's content where it differs.
        let merged = match theirs {
            Some(theirs) => self.merge_existing(&skipped, theirs).await?,
            None => Merged::default(),
        };
        let merged_rows = merged.updated + merged.unchanged + merged.refused.len() as u64;
        let mut outcome = PageOutcome {
            read,
            skipped: (skipped.len() as u64).saturating_sub(merged_rows) + not_applied,
            mapped: mapped.len() as u64,
            updated: merged.updated,
            unchanged: merged.unchanged,
            refused: withheld.into_iter().chain(missing).chain(merged.refused).collect(),
            ..PageOutcome::default()
        };
        // Files first, so the rows that reference them find them.
        if let Some(files) = files {
            let ids = FileMover::<H, T, C>::referenced(&table.file_references(), &fresh);
            if !ids.is_empty() {
                timings.time(clock, Phase::Files, files.ensure(ids)).await?;
            }
        }
        let nulled = null_missing(destination, known, &table.checked, &mut fresh);
        outcome.nulled = timings.time(clock, Phase::Checks, nulled).await?;
        let already: Vec<&Row> = skipped.iter().collect();
        outcome.repairs = timings.time(clock, Phase::Checks, self.unset_references(&already)).await?;
        if options.dry_run || fresh.is_empty() {
            outcome.created = fresh.len() as u64;
            return Ok(outcome);
        }

        // Held-back references go in as null (the source's own value when it is null).
        let omitted = table.system.map(|s| s.omitted_when_null).unwrap_or_default();
        let inserts = fresh
            .iter()
            .map(|row| {
                let mut row = row.clone();
                row.extend(table.deferred.iter().map(|d| (d.field.clone(), Value::Null)));
                row.retain(|column, value| !(value.is_null() && omitted.contains(&column.as_str())));
                table.as_sent(sink.representation(), row)
            })
            .collect();
        let columns = table.write_columns(sink.representation());
        let written =
            timings.time(clock, Phase::Write, sink.write(Mode::Create, target(table), &columns, inserts)).await?;
        self.known_present(written.keys.iter().chain(&written.skipped));
        self.learn(!written.skipped.is_empty());
        outcome.created = written.keys.len() as u64;
        outcome.skipped += written.skipped.len() as u64;
        outcome.refused.extend(written.refused);
        let landed: HashSet<String> = written.keys.iter().map(key_text).collect();
        let created: Vec<&Row> =
            fresh.iter().filter(|row| row.get(key).is_some_and(|k| landed.contains(&key_text(k)))).collect();
        // Rows the receiver found already there: an earlier attempt of this batch whose answer was
        // lost wrote them, with their held-back references unset.
        let found: HashSet<String> = written.skipped.iter().map(key_text).collect();
        let landed_before: Vec<&Row> =
            fresh.iter().filter(|row| row.get(key).is_some_and(|k| found.contains(&key_text(k)))).collect();
        for (field, rows) in self.unset_references(&landed_before).await? {
            *outcome.repairs.entry(field).or_default() += rows;
        }

        // Where the destination stamps date-created / user-created on create, the originals go
        // back with an update (not where the destination assigned the keys).
        let stamped = sink.stamps_created_fields() && options.preserve_created && !table.assigns_keys();
        if stamped && !table.created_fields.is_empty() && !created.is_empty() {
            timings.time(clock, Phase::CreatedWriteBack, self.write_back_created(&created)).await?;
        }
        if table.system.is_some() {
            self.after_create(&created).await?;
        }

        let deferred = table.deferred_fields();
        if !deferred.is_empty() {
            let wanted: Vec<&str> = std::iter::once(key).chain(deferred.iter().copied()).collect();
            let held = created.iter().filter(|row| deferred.iter().any(|f| row.get(*f).is_some_and(|v| !v.is_null())));
            outcome.held = held.clone().count() as u64;
            if !table.repaired() {
                outcome.pending = held.map(|row| pick(row, wanted.iter().copied())).collect();
            }
        }
        Ok(outcome)
    }
}

impl<H: Host, S: RowSink, T: Transport, C: Clock> Mover<'_, '_, H, S, T, C> {
    /// Whether this page goes to the bulk receiver without asking first which of its keys the
    /// destination has: in an `add` run of a user table, once the pages checked found none and
    /// none has found any since. The receiver skips the keys it has and never overwrites them;
    /// the first page that finds some (its receipt lists them as skipped) turns the checks back
    /// on for the rest of the table, so a re-run checks every page. Of an unchecked page, rows
    /// found already there with the same content count as created (as after a lost answer).
    fn unchecked(&self) -> bool {
        let options = self.context.options;
        self.found.get() == Found::Nothing
            && self.context.sink_for(self.table).skips_existing()
            && !options.dry_run
            && !self.merges()
            && self.table.system.is_none()
    }

    /// Rows of a user table the destination has under the same key (found there, or just
    /// written), where other tables' references to it are checked: those need no lookup then.
    /// Directus' own rows may be there under another key (their natural key matched), and rows
    /// whose keys the destination assigns are there under theirs: neither is remembered.
    fn known_present<'k>(&self, keys: impl Iterator<Item = &'k Value>) {
        let table = self.table;
        if !table.looked_up || table.system.is_some() || table.assigns_keys() || self.context.options.dry_run {
            return;
        }
        for key in keys {
            self.context.known.mark_present(&table.collection, key);
        }
    }

    /// Write the `date-created` / `user-created` values of `created` rows back. Where the
    /// destination refuses one of them (Directus 12 lets no client set a comment's
    /// `user_created`), each field is tried alone for those rows, so the others still arrive.
    async fn write_back_created(&self, created: &[&Row]) -> Result<(), CoreError> {
        let table = self.table;
        let sink = self.context.sink_for(table);
        let key = table.primary_key.as_str();
        let columns: Vec<String> = std::iter::once(key.to_string()).chain(table.created_fields.clone()).collect();
        let patches: Vec<Row> = created.iter().map(|row| pick(row, columns.iter().map(String::as_str))).collect();
        let patched = sink.write(Mode::Update, target(table), &columns, patches).await?;
        if patched.refused.is_empty() {
            return Ok(());
        }
        let refused: HashSet<String> = patched.refused.iter().map(|(k, _)| key_text(k)).collect();
        let again: Vec<&&Row> =
            created.iter().filter(|row| row.get(key).is_some_and(|k| refused.contains(&key_text(k)))).collect();
        let alone: Vec<Vec<String>> = if table.created_fields.len() > 1 {
            table.created_fields.iter().map(|f| vec![f.clone()]).collect()
        } else {
            Vec::new()
        };
        if alone.is_empty() {
            for (row_key, message) in patched.refused {
                self.context.recorder.warn(format!(
                    "{} {row_key}: {} not preserved: {message}",
                    table.collection,
                    table.created_fields.join(", ")
                ));
            }
            return Ok(());
        }
        for fields in alone {
            let columns: Vec<String> = std::iter::once(key.to_string()).chain(fields.clone()).collect();
            let patches: Vec<Row> = again.iter().map(|row| pick(row, columns.iter().map(String::as_str))).collect();
            for (row_key, message) in sink.write(Mode::Update, target(table), &columns, patches).await?.refused {
                self.context.recorder.warn(format!(
                    "{} {row_key}: {} not preserved: {message}",
                    table.collection,
                    fields.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Of `rows` already on the destination, how many have a held-back reference set on the
    /// source but still unset there (a run stopped before its second pass, or a lost answer), by
    /// field: the second pass finds them again and sets it.
    async fn unset_references(&self, rows: &[&Row]) -> Result<BTreeMap<String, u64>, CoreError> {
        let table = self.table;
        if !table.repaired() {
            return Ok(BTreeMap::new());
        }
        let key = table.primary_key.as_str();
        let mut repairs = BTreeMap::new();
        for reference in &table.deferred {
            let field = reference.field.as_str();
            let candidates: Vec<&&Row> = rows.iter().filter(|r| r.get(field).is_some_and(|v| !v.is_null())).collect();
            let keys: Vec<Value> = candidates.iter().filter_map(|r| r.get(key).cloned()).collect();
            if keys.is_empty() {
                continue;
            }
            let unset: HashSet<String> =
                self.context.sink_for(table).lacking(target(table), field, &keys).await?.iter().map(key_text).collect();
            let found =
                candidates.iter().filter(|r| r.get(key).is_some_and(|k| unset.contains(&key_text(k)))).count() as u64;
            if found > 0 {
                repairs.insert(field.to_string(), found);
            }
        }
        Ok(repairs)
    }
}
