//! Writing rows through the destination's bulk receiver (the other copy of this extension): rows
//! in the database's own representation, in NDJSON batches, written straight into its tables.

use super::writer::Written;
use crate::destination::{Destination, DestinationError, Transport};
use crate::host::Row;
use crate::receive::{Batch, Header, Mode, MAX_ROWS, WIRE_VERSION};
use crate::runtime::Clock;

/// Batches stay well under the receiver's limit, so memory on both sides stays small.
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Send `rows` (their `columns`) to the receiver; the receiver skips keys it has (create) and
/// isolates rows its database refuses.
pub async fn write_bulk<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    mode: Mode,
    collection: &str,
    key_field: &str,
    columns: &[String],
    rows: Vec<Row>,
) -> Result<Written, DestinationError> {
    let header = Header {
        wire: WIRE_VERSION,
        mode,
        collection: collection.into(),
        primary_key: key_field.into(),
        columns: columns.to_vec(),
    };
    let mut written = Written::default();
    let mut start = 0;
    while start < rows.len() {
        let mut end = (start + MAX_ROWS).min(rows.len());
        let mut text = Batch::encode(&header, &rows[start..end]);
        while text.len() > MAX_BATCH_BYTES && end - start > 1 {
            end = start + (end - start) / 2;
            text = Batch::encode(&header, &rows[start..end]);
        }
        let receipt = destination.receive(text).await?;
        written.keys.extend(receipt.written);
        written.skipped.extend(receipt.skipped);
        written.refused.extend(receipt.failed);
        start = end;
    }
    Ok(written)
}
