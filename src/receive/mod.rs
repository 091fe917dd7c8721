//! The bulk receiver: the destination's copy of the extension accepting batches of rows from the
//! source's, and writing them straight into its database — same semantics as the REST path
//! (keys kept, existing keys skipped and never overwritten, refused rows reported with the
//! database's message), a fraction of the cost (no per-row services, activity or revisions).

mod values;
mod wire;

pub use wire::{Batch, Header, Mode, Receipt, ReceiverInfo, MAX_BYTES, MAX_ROWS, RECEIVER_NAME, WIRE_VERSION};

use std::collections::BTreeSet;

use serde_json::Value;

use crate::data::key_text;
use crate::host::{Host, KeysRequest, RowsWrite, Store, TableShape};
use crate::CoreError;

/// `GET /migration/receive/info`: this receiver, and the database it writes to.
pub async fn info<H: Host>(host: &H) -> Result<ReceiverInfo, CoreError> {
    let snapshot = host.schema_snapshot().await?;
    Ok(ReceiverInfo {
        receiver: RECEIVER_NAME.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        wire: WIRE_VERSION,
        vendor: snapshot.vendor,
    })
}

/// `POST /migration/receive/existing` `{ collection, primaryKey, keys }`: which keys exist here.
pub async fn existing<S: Store>(store: &S, request: &KeysRequest) -> Result<Vec<Value>, CoreError> {
    if request.keys.len() > MAX_ROWS {
        return Err(CoreError::InvalidInput(format!("at most {MAX_ROWS} keys at a time")));
    }
    table(store, &request.collection, &request.primary_key).await?;
    store.existing_keys(request).await.map_err(CoreError::Database)
}

/// The table a request names, which must exist here with that primary key.
async fn table<S: Store>(store: &S, collection: &str, primary_key: &str) -> Result<TableShape, CoreError> {
    let shape =
        store.describe_table(collection).await.map_err(CoreError::Database)?.ok_or_else(|| {
            CoreError::InvalidInput(format!("collection {collection} does not exist on this instance"))
        })?;
    if shape.primary_key != primary_key {
        return Err(CoreError::InvalidInput(format!(
            "the primary key of {collection} is {} here, not {primary_key}",
            shape.primary_key
        )));
    }
    Ok(shape)
}

/// Check a batch against this instance's schema, then write it.
pub async fn receive<S: Store>(store: &S, text: &str) -> Result<Receipt, CoreError> {
    let mut batch = Batch::decode(text)?;
    let header = &batch.header;
    let shape = table(store, &header.collection, &header.primary_key).await?;
    let unknown: Vec<&str> = header.columns.iter().filter(|c| !shape.columns.contains(c)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(CoreError::InvalidInput(format!(
            "{} has no column {} here",
            header.collection,
            unknown.join(", ")
        )));
    }

    let key = batch.key_index();
    values::encode_rows(&mut batch.rows, &header.columns, &shape);
    let mut receipt = Receipt::default();
    let rows = match header.mode {
        Mode::Create => {
            let keys: Vec<Value> = batch.rows.iter().map(|r| r[key].clone()).collect();
            let request = KeysRequest {
                collection: header.collection.clone(),
                primary_key: header.primary_key.clone(),
                keys,
                fields: vec![],
            };
            let existing: BTreeSet<String> =
                store.existing_keys(&request).await.map_err(CoreError::Database)?.iter().map(key_text).collect();
            let (skipped, fresh): (Vec<Vec<Value>>, Vec<Vec<Value>>) =
                batch.rows.into_iter().partition(|r| existing.contains(&key_text(&r[key])));
            receipt.skipped = skipped.into_iter().map(|r| r[key].clone()).collect();
            fresh
        }
        Mode::Update => batch.rows,
    };
    write_isolating(store, header, rows, key, &mut receipt).await;
    if header.mode == Mode::Create && shape.auto_increment && !receipt.written.is_empty() {
        store.advance_sequence(&shape).await.map_err(CoreError::Database)?;
    }
    Ok(receipt)
}

/// Write all rows in one transaction; when the database refuses, halve until the offending rows
/// stand alone, so the others still land.
async fn write_isolating<S: Store>(
    store: &S,
    header: &Header,
    rows: Vec<Vec<Value>>,
    key: usize,
    receipt: &mut Receipt,
) {
    let mut pending = vec![rows];
    while let Some(mut batch) = pending.pop() {
        if batch.is_empty() {
            continue;
        }
        let write = RowsWrite {
            collection: header.collection.clone(),
            primary_key: header.primary_key.clone(),
            columns: header.columns.clone(),
            rows: batch,
        };
        let result = match header.mode {
            Mode::Create => store.insert_rows(&write).await,
            Mode::Update => store.update_rows(&write).await,
        };
        batch = write.rows;
        match result {
            Ok(()) => receipt.written.extend(batch.iter().map(|r| r[key].clone())),
            Err(error) if batch.len() == 1 => receipt.failed.push((batch[0][key].clone(), error.message)),
            Err(_) => {
                let right = batch.split_off(batch.len() / 2);
                pending.push(right);
                pending.push(batch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::host::memory::MemoryStore;
    use crate::host::Row;

    fn store() -> MemoryStore {
        let mut host = MemoryStore::default();
        host.tables
            .borrow_mut()
            .insert("tags".into(), vec![json!({ "id": 1, "name": "already here" }).as_object().unwrap().clone()]);
        host.shapes.insert(
            "tags".into(),
            crate::host::TableShape {
                collection: "tags".into(),
                primary_key: "id".into(),
                columns: vec!["id".into(), "name".into()],
                auto_increment: true,
                types: Default::default(),
            },
        );
        host.unique.push(("tags".into(), "name".into()));
        host
    }

    fn batch(mode: Mode, rows: Value) -> String {
        let header = Header {
            wire: WIRE_VERSION,
            mode,
            collection: "tags".into(),
            primary_key: "id".into(),
            columns: vec!["id".into(), "name".into()],
        };
        let rows: Vec<Row> = rows.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect();
        Batch::encode(&header, &rows)
    }

    #[test]
    fn inserts_new_rows_skips_existing_ones_and_isolates_refused_ones() {
        let host = store();
        let text = batch(
            Mode::Create,
            json!([
                { "id": 1, "name": "would overwrite" },
                { "id": 2, "name": "two" },
                { "id": 3, "name": "already here" },
                { "id": 4, "name": "four" }
            ]),
        );
        let receipt = block_on(receive(&host, &text)).unwrap();
        assert_eq!(receipt.skipped, vec![json!(1)]);
        assert_eq!(receipt.written, vec![json!(2), json!(4)]);
        assert_eq!(receipt.failed, vec![(json!(3), "UNIQUE constraint failed: tags.name".to_string())]);
        let names: Vec<Value> = host.rows("tags").iter().map(|r| r["name"].clone()).collect();
        assert_eq!(names, vec![json!("already here"), json!("two"), json!("four")], "never overwritten");
        assert_eq!(host.sequences.borrow().as_slice(), ["tags"]);
    }

    #[test]
    fn updates_set_the_given_columns() {
        let host = store();
        let receipt = block_on(receive(&host, &batch(Mode::Update, json!([{ "id": 1, "name": "renamed" }])))).unwrap();
        assert_eq!(receipt.written, vec![json!(1)]);
        assert_eq!(host.rows("tags")[0]["name"], json!("renamed"));
    }

    #[test]
    fn refuses_batches_that_do_not_fit_this_schema_and_writes_nothing() {
        let host = store();
        let unknown = batch(Mode::Create, json!([{ "id": 9, "name": "x" }])).replace("\"tags\"", "\"nope\"");
        let err = block_on(receive(&host, &unknown)).unwrap_err();
        assert_eq!(
            (err.status(), err.to_string()),
            (400, "collection nope does not exist on this instance".to_string())
        );
        let extra =
            batch(Mode::Create, json!([{ "id": 9, "name": "x" }])).replace("[\"id\",\"name\"]", "[\"id\",\"secret\"]");
        let err = block_on(receive(&host, &extra)).unwrap_err();
        assert_eq!(err.to_string(), "tags has no column secret here");
        assert_eq!(host.rows("tags").len(), 1);
    }
}
