//! The second pass: references held back to break a cycle (a tree's `parent`, one side of two
//! collections that reference each other) are set once every row exists, on the rows this run
//! created — never on rows that were already there.

use super::bulk::write_bulk;
use super::references::{null_missing, KnownKeys};
use super::table::Delivery;
use super::writer::{write, Write};
use crate::destination::{Destination, DestinationError, Transport};
use crate::host::Row;
use crate::plan::TablePlan;
use crate::receive::Mode;
use crate::report::RowFailure;
use crate::runtime::Clock;

/// Set the held-back references of `pending` rows (`{key, deferred fields…}`). Returns how many
/// rows were completed and the ones the destination refused.
pub async fn complete<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    table: &TablePlan,
    pending: Vec<Row>,
    batch_size: u32,
    check_references: bool,
    delivery: Delivery,
) -> Result<(u64, Vec<RowFailure>), DestinationError> {
    let columns: Vec<String> =
        std::iter::once(table.primary_key.clone()).chain(table.deferred.iter().map(|d| d.field.clone())).collect();
    let known = KnownKeys::default();
    let mut completed = 0;
    let mut failures = Vec::new();
    let mut rows = pending;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(batch_size.max(1) as usize));
        let mut batch = std::mem::replace(&mut rows, rest);
        if check_references {
            null_missing(destination, &known, &table.deferred, &mut batch).await?;
        }
        let written = match delivery {
            Delivery::Rest => write(destination, Write::Update, &table.collection, &table.primary_key, batch).await?,
            Delivery::Bulk => {
                write_bulk(destination, Mode::Update, &table.collection, &table.primary_key, &columns, batch).await?
            }
        };
        completed += written.keys.len() as u64;
        failures.extend(written.refused.into_iter().map(|(key, message)| RowFailure {
            collection: table.collection.clone(),
            key,
            message: format!(
                "the row was created but its {} could not be set: {message}",
                table.deferred_fields().join(", ")
            ),
        }));
    }
    Ok((completed, failures))
}
