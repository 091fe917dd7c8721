//! `scope.deleteMissing` (a merge, on the tables `selectedTables` names): once every row has
//! moved, the destination's rows whose key the source no longer has are deleted — a dry run lists
//! them. The destination's keys are read a page at a time in key order, each page looked up in the
//! source, and the keys it lacks deleted, so a table of any size costs one page of memory.
//! Deletes go through Directus' API on either transport: its own delete, with its activity and
//! its relational rules; a row it will not delete is reported with its message.

use std::collections::HashSet;

use serde_json::Value;

use super::{target, Context};
use crate::destination::sink::RestSink;
use crate::host::{Host, KeysRequest};
use crate::pipeline::plan::TablePlan;
use crate::runs::progress::Event;
use crate::runs::report::{TableReport, MAX_LISTED_DELETIONS};
use crate::shared::http::Transport;
use crate::shared::rows::key_text;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// Whether `deleteMissing` applies to `table`: a user table with keys of its own (not a
/// singleton), named in `selectedTables` (a junction the plan added is not).
pub fn deletes_missing(table: &TablePlan, selected: &[String]) -> bool {
    table.system.is_none() && !table.singleton && selected.contains(&table.collection)
}

/// Delete (a dry run: list) `table`'s destination rows the source no longer has, into `line`.
pub async fn delete_missing<H: Host, S, T: Transport, C: Clock>(
    context: &Context<'_, H, S, T, C>,
    table: &TablePlan,
    line: &mut TableReport,
) -> Result<(), CoreError> {
    let options = context.options;
    let key = table.primary_key.as_str();
    let sink = RestSink::new(context.destination);
    let page = context.batch_size as usize;
    let mut after: Option<Value> = None;
    loop {
        if options.cancel.is_cancelled() {
            return Err(CoreError::Cancelled);
        }
        let keys = context.destination.keys_after(&table.collection, key, after.as_ref(), page).await?;
        let Some(last) = keys.last().cloned() else { return Ok(()) };
        after = Some(last);
        let request = KeysRequest {
            collection: table.collection.clone(),
            primary_key: key.into(),
            keys: keys.clone(),
            fields: vec![key.into()],
            raw: false,
        };
        let kept: HashSet<String> =
            context.host.read_by_keys(&request).await?.iter().filter_map(|row| row.get(key)).map(key_text).collect();
        let missing: Vec<Value> = keys.into_iter().filter(|k| !kept.contains(&key_text(k))).collect();
        if missing.is_empty() {
            continue;
        }
        let deleted = if options.dry_run {
            missing
        } else {
            let written = sink.delete(target(table), missing).await?;
            for (row_key, message) in written.refused {
                line.failed += 1;
                context.recorder.fail(&table.collection, row_key, message);
            }
            written.keys
        };
        if deleted.is_empty() {
            continue;
        }
        line.deleted += deleted.len() as u64;
        let room = MAX_LISTED_DELETIONS.saturating_sub(line.deleted_keys.len());
        line.deleted_keys.extend(deleted.iter().take(room).cloned());
        context.host.emit(&Event::Deleted {
            collection: table.collection.clone(),
            keys: deleted,
            deleted: line.deleted,
            dry_run: options.dry_run,
        });
    }
}
