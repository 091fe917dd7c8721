//! The second pass: references held back to break a cycle (a tree's `parent`, one side of two
//! collections that reference each other) are set once every row exists, on the rows this run
//! created — never on rows that were already there.

use super::{target, Context};
use crate::destination::DestinationError;
use crate::http::Transport;
use crate::plan::{Reference, TablePlan};
use crate::rows::Row;
use crate::runtime::Clock;
use crate::sink::{null_missing, KnownKeys, RowSink};

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
    let known = KnownKeys::default();
    let (mut completed, mut failed) = (0, 0);
    let mut rows = pending;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(context.settings.batch_size.max(1) as usize));
        let mut batch = std::mem::replace(&mut rows, rest);
        if check_references {
            null_missing(context.destination, &known, references, &mut batch).await?;
        }
        let written = context.sink_for(table).update(target(table), &columns, batch).await?;
        completed += written.keys.len() as u64;
        for (key, message) in written.refused {
            failed += 1;
            let fields = columns.get(1..).unwrap_or_default().join(", ");
            let message = format!("the row was created but its {fields} could not be set: {message}");
            context.recorder.fail(&table.collection, key, message);
        }
    }
    Ok((completed, failed))
}
