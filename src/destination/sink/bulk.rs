//! Rows through the destination's bulk receiver (the other copy of this extension): rows in the
//! database's own representation (or, read through the source's API, in the API's, which the
//! receiver converts), in NDJSON batches, written straight into its tables. The receiver skips
//! keys it has and isolates the rows its database refuses itself.

use std::collections::HashMap;

use serde_json::Value;

use super::RestSink;
use super::{Mode, RowSink, Target, Written};
use crate::destination::{Destination, DestinationError};
use crate::runs::progress::{Phase, Timings};
use crate::runs::report::Delivery;
use crate::shared::digest::canonical;
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, Row};
use crate::shared::runtime::Clock;
use crate::shared::wire::{Batch, Header, Receipt, Representation, MAX_BYTES, MAX_ROWS, WIRE_VERSION};

pub struct BulkSink<'a, T, C> {
    destination: &'a Destination<T, C>,
    /// How the rows it is given are represented (and read back, to compare).
    rows: Representation,
    /// Where the encoding's time and the receiver's are counted, in a run.
    timings: Option<&'a Timings>,
}

impl<'a, T: Transport, C: Clock> BulkSink<'a, T, C> {
    pub fn new(destination: &'a Destination<T, C>, rows: Representation) -> Self {
        BulkSink { destination, rows, timings: None }
    }

    pub fn timed(self, timings: &'a Timings) -> Self {
        BulkSink { timings: Some(timings), ..self }
    }

    fn encode(&self, header: &Header, rows: &[Row]) -> String {
        let clock = self.destination.clock();
        let started = clock.now_ms();
        let text = Batch::encode(header, rows);
        if let Some(timings) = self.timings {
            timings.add(Phase::Encode, (clock.now_ms() - started) / 1000.0);
        }
        text
    }

    /// A batch retried after a lost answer or a timeout meets its own first attempt: the keys
    /// the receiver found already there (skipped) or refused as taken were written by this run a
    /// moment ago (the rows were not there when the page was checked). Those the destination
    /// holds exactly as sent landed: they count as written. The others (another writer's row
    /// under the same key) stay as the receiver said.
    async fn landed_before(
        &self,
        header: &Header,
        sent: &[Row],
        receipt: Receipt,
    ) -> Result<Receipt, DestinationError> {
        let doubtful: Vec<Value> =
            receipt.skipped.iter().chain(receipt.failed.iter().map(|(key, _)| key)).cloned().collect();
        if doubtful.is_empty() {
            return Ok(receipt);
        }
        let key = header.primary_key.as_str();
        let target = Target { collection: &header.collection, key, singleton: false, keeps_key: true };
        let found = match self.rows(target, &header.columns, &doubtful).await {
            Ok(rows) => rows,
            // A receiver that predates the question: its answer stands.
            Err(DestinationError::Rejected { status: 404, .. }) => return Ok(receipt),
            Err(other) => return Err(other),
        };
        let theirs: HashMap<String, Row> =
            found.into_iter().filter_map(|row| Some((key_text(row.get(key)?), row))).collect();
        let same = |wanted: &Value| {
            let wanted = key_text(wanted);
            let mine = sent.iter().find(|row| row.get(key).is_some_and(|k| key_text(k) == wanted));
            match (mine, theirs.get(&wanted)) {
                (Some(mine), Some(their)) => header.columns.iter().all(|column| {
                    same_value(mine.get(column).unwrap_or(&Value::Null), their.get(column).unwrap_or(&Value::Null))
                }),
                _ => false,
            }
        };
        let Receipt { mut written, skipped, failed, timings } = receipt;
        let (landed, skipped): (Vec<Value>, Vec<Value>) = skipped.into_iter().partition(|k| same(k));
        let (landed_too, failed): (Vec<_>, Vec<_>) = failed.into_iter().partition(|(k, _)| same(k));
        written.extend(landed);
        written.extend(landed_too.into_iter().map(|(k, _)| k));
        Ok(Receipt { written, skipped, failed, timings })
    }
}

/// A value as sent and as the receiver reads it back: the same canonical form, or the same number
/// once as a number and once as its decimal text (a `bigInteger` goes as exact text, and SQLite's
/// integer columns store it, and read it back, as a number).
fn same_value(sent: &Value, stored: &Value) -> bool {
    match (sent, stored) {
        (Value::String(text), Value::Number(number)) | (Value::Number(number), Value::String(text)) => {
            number.to_string() == *text
        }
        _ => canonical(sent) == canonical(stored),
    }
}

impl<T: Transport, C: Clock> RowSink for BulkSink<'_, T, C> {
    fn delivery(&self) -> Delivery {
        Delivery::Bulk
    }

    fn representation(&self) -> Representation {
        self.rows
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

    /// As stored, from the receiver; rows sent in the API's representation are read back in it,
    /// through the API.
    async fn rows(&self, target: Target<'_>, columns: &[String], keys: &[Value]) -> Result<Vec<Row>, DestinationError> {
        if self.rows == Representation::Api {
            return RestSink::new(self.destination).rows(target, columns, keys).await;
        }
        let mut rows = Vec::new();
        for chunk in keys.chunks(MAX_ROWS) {
            rows.extend(self.destination.receiver_rows_by_key(target.collection, target.key, columns, chunk).await?);
        }
        Ok(rows)
    }

    /// NDJSON batches of at most [`MAX_ROWS`] rows and [`MAX_BYTES`] bytes.
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
            rows: self.rows,
        };
        let mut written = Written::default();
        let mut start = 0;
        while start < rows.len() {
            let mut end = (start + MAX_ROWS).min(rows.len());
            let mut text = self.encode(&header, rows.get(start..end).unwrap_or_default());
            while text.len() > MAX_BYTES && end - start > 1 {
                end = start + (end - start) / 2;
                text = self.encode(&header, rows.get(start..end).unwrap_or_default());
            }
            let mut receipt = self.destination.receive(text).await?;
            if let (Some(timings), Some(spent)) = (self.timings, &receipt.timings) {
                timings.add_receiver(spent);
            }
            if mode == Mode::Create {
                receipt = self.landed_before(&header, rows.get(start..end).unwrap_or_default(), receipt).await?;
            }
            written.keys.extend(receipt.written);
            written.skipped.extend(receipt.skipped);
            written.refused.extend(receipt.failed);
            start = end;
        }
        Ok(written)
    }
}
