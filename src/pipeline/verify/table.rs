//! One table verified: the source read in key order page by page (the run's representation: the
//! API's over REST, the database's over bulk), the destination's rows of exactly those keys read
//! the same way, compared and digested; then the destination's rows counted. Memory holds one page
//! of each side, whatever the table's size.

use serde_json::Value;

use super::columns::Columns;
use super::compare::{compare_page, Tally};
use super::files::FileChecker;
use crate::destination::sink::{RowSink, Sink};
use crate::destination::Destination;
use crate::host::{Host, PageReader, PageRequest};
use crate::pipeline::data::target;
use crate::pipeline::plan::TablePlan;
use crate::pipeline::system::KeyMap;
use crate::runs::progress::Event;
use crate::runs::report::Delivery;
use crate::runs::report::{Digests, TableVerification};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::shared::wire::Representation;
use crate::CoreError;

/// How a verification reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading<'k> {
    pub delivery: Delivery,
    /// How the run represented rows (and so how both sides are read).
    pub rows: Representation,
    /// Rows per page.
    pub batch_size: u32,
    /// Source keys the run wrote as other keys (Directus' own rows mapped onto the destination's).
    pub keys: &'k KeyMap,
}

/// Verify `table` (its rows that `filter` selects) over `reading`, checking the files they
/// reference with `files`.
pub async fn verify_table<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    reading: Reading<'_>,
    table: &TablePlan,
    columns: &Columns,
    filter: Option<Value>,
    files: &FileChecker<'_, H, T, C>,
) -> Result<TableVerification, CoreError> {
    let started = destination.clock().now_ms();
    let mut report = TableVerification::new(&table.collection);
    report.compared = columns.compared.get(1..).unwrap_or_default().to_vec();
    let file_references: Vec<_> =
        table.file_references().into_iter().filter(|r| columns.compared.contains(&r.field)).collect();
    let mut reader = PageReader::new(
        host,
        PageRequest {
            collection: table.collection.clone(),
            primary_key: table.primary_key.clone(),
            fields: columns.compared.clone(),
            after: None,
            limit: if table.singleton { 1 } else { reading.batch_size },
            filter,
            raw: reading.rows == Representation::Stored,
            // As the destination's API answers them, so that both sides read 64-bit integers alike.
            exact: vec![],
        },
    );
    let mut tally = Tally::default();
    while let Some(mut rows) = reader.next_page().await? {
        // References to keys that stand for others were written as the destination's keys.
        reading.keys.apply(&table.reference_pairs(), &mut rows);
        let keys: Vec<Value> = rows.iter().filter_map(|r| r.get(&table.primary_key).cloned()).collect();
        // Read the way the run writes them.
        let theirs = Sink::new(reading.delivery, reading.rows, destination)
            .rows(target(table), &columns.compared, &keys)
            .await?;
        if !file_references.is_empty() {
            files.check(&file_references, &rows).await?;
        }
        compare_page(destination, columns, rows, theirs, &mut report, &mut tally).await?;
        host.emit(&Event::Compared {
            collection: table.collection.clone(),
            total: table.rows.max(report.checked),
            checked: report.checked,
            missing: report.missing,
            different: report.different,
        });
    }
    // A singleton has at most one row, the one compared.
    report.destination_rows = if table.singleton {
        report.checked - report.missing
    } else {
        destination.count_items(&table.collection).await?
    };
    report.digest = Digests { source: tally.source.hex(), destination: tally.destination.hex() };
    report.settle((destination.clock().now_ms() - started) / 1000.0);
    host.emit(&Event::TableVerified { report: report.clone() });
    Ok(report)
}
