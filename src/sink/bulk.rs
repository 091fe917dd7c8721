//! Rows through the destination's bulk receiver (the other copy of this extension): rows in the
//! database's own representation, in NDJSON batches, written straight into its tables. The
//! receiver skips keys it has and isolates the rows its database refuses itself.

use serde_json::Value;

use super::{RowSink, Target, Written};
use crate::destination::{Destination, DestinationError};
use crate::http::Transport;
use crate::report::Delivery;
use crate::rows::Row;
use crate::runtime::Clock;
use crate::wire::{Batch, Header, Mode, MAX_BYTES, MAX_ROWS, WIRE_VERSION};

pub struct BulkSink<'a, T, C> {
    destination: &'a Destination<T, C>,
}

impl<'a, T: Transport, C: Clock> BulkSink<'a, T, C> {
    pub fn new(destination: &'a Destination<T, C>) -> Self {
        BulkSink { destination }
    }

    async fn write(
        &self,
        mode: Mode,
        target: Target<'_>,
        columns: &[String],
        rows: Vec<Row>,
    ) -> Result<Written, DestinationError> {
        let header = Header {
            wire: WIRE_VERSION,
            mode,
            collection: target.collection.into(),
            primary_key: target.key.into(),
            columns: columns.to_vec(),
        };
        let mut written = Written::default();
        let mut start = 0;
        while start < rows.len() {
            let mut end = (start + MAX_ROWS).min(rows.len());
            let mut text = Batch::encode(&header, rows.get(start..end).unwrap_or_default());
            while text.len() > MAX_BYTES && end - start > 1 {
                end = start + (end - start) / 2;
                text = Batch::encode(&header, rows.get(start..end).unwrap_or_default());
            }
            let receipt = self.destination.receive(text).await?;
            written.keys.extend(receipt.written);
            written.skipped.extend(receipt.skipped);
            written.refused.extend(receipt.failed);
            start = end;
        }
        Ok(written)
    }
}

impl<T: Transport, C: Clock> RowSink for BulkSink<'_, T, C> {
    fn delivery(&self) -> Delivery {
        Delivery::Bulk
    }

    /// A bulk copy writes `date-created` / `user-created` values as they are.
    fn stamps_created_fields(&self) -> bool {
        false
    }

    async fn existing(&self, target: Target<'_>, keys: &[Value]) -> Result<Vec<Value>, DestinationError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_ROWS) {
            found.extend(self.destination.receiver_existing(target.collection, target.key, chunk).await?);
        }
        Ok(found)
    }

    /// Asked of the receiver (the REST API's answers could come from a cache the bulk rows went
    /// around); of the REST API only where the receiver predates the question.
    async fn lacking(&self, target: Target<'_>, field: &str, keys: &[Value]) -> Result<Vec<Value>, DestinationError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_ROWS) {
            match self.destination.receiver_lacking(target.collection, target.key, field, chunk).await? {
                Some(keys) => found.extend(keys),
                None => {
                    found.extend(self.destination.keys_with_null(target.collection, target.key, field, chunk).await?)
                }
            }
        }
        Ok(found)
    }

    async fn insert(
        &self,
        target: Target<'_>,
        columns: &[String],
        rows: Vec<Row>,
    ) -> Result<Written, DestinationError> {
        self.write(Mode::Create, target, columns, rows).await
    }

    async fn update(
        &self,
        target: Target<'_>,
        columns: &[String],
        rows: Vec<Row>,
    ) -> Result<Written, DestinationError> {
        self.write(Mode::Update, target, columns, rows).await
    }
}
