//! The bulk receiver: the destination's copy of the extension accepting batches of rows from the
//! source's, and writing them straight into its database — same semantics as the REST path
//! (keys kept, existing keys skipped and never overwritten, refused rows reported with the
//! database's message), a fraction of the cost (no per-row services, activity or revisions).

mod store;
pub(crate) mod values;

pub use store::{FieldDescription, RowsRequest, RowsWrite, Store, TableDescription, TableShape};

use std::collections::BTreeSet;

use serde_json::Value;

use crate::host::{HostError, KeysRequest};
use crate::shared::isolate::{isolate, Verdict};
use crate::shared::rows::{key_text, Row};
use crate::shared::runtime::Clock;
use crate::shared::vendor;
use crate::shared::wire::ReceiverTimings;
use crate::shared::wire::{
    Batch, Header, Mode, Receipt, ReceiverInfo, MAX_BYTES, MAX_CONCURRENT_BATCHES, MAX_ROWS, RECEIVER_NAME,
    WIRE_VERSION,
};
use crate::CoreError;

/// Rows refused in a row, with errors that may be the database failing, before a batch stops.
const BREAKER: usize = 10;

/// What one batch may hold, for the endpoint to enforce while it reads the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_batch_bytes: usize,
    pub max_rows: usize,
    pub max_concurrent_batches: usize,
}

impl Limits {
    pub const CURRENT: Limits =
        Limits { max_batch_bytes: MAX_BYTES, max_rows: MAX_ROWS, max_concurrent_batches: MAX_CONCURRENT_BATCHES };
}

/// `GET /migration/receive/info`: this receiver, and the database it writes to.
pub async fn info<S: Store>(store: &S) -> Result<ReceiverInfo, CoreError> {
    let client = store.database_client().await.map_err(CoreError::Database)?;
    Ok(ReceiverInfo {
        receiver: RECEIVER_NAME.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        wire: WIRE_VERSION,
        vendor: Some(vendor::from_client(&client).to_string()),
        api_rows: true,
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

/// `POST /migration/receive/lacking` `{ collection, primaryKey, field, keys }`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LackingRequest {
    pub collection: String,
    pub primary_key: String,
    pub field: String,
    pub keys: Vec<Value>,
}

/// Which keys exist here with `field` null: references a run held back and has not set yet.
pub async fn lacking<S: Store>(store: &S, request: &LackingRequest) -> Result<Vec<Value>, CoreError> {
    if request.keys.len() > MAX_ROWS {
        return Err(CoreError::InvalidInput(format!("at most {MAX_ROWS} keys at a time")));
    }
    let shape = table(store, &request.collection, &request.primary_key).await?;
    if !shape.columns.contains(&request.field) {
        return Err(CoreError::InvalidInput(format!("{} has no column {} here", request.collection, request.field)));
    }
    let keys = KeysRequest {
        collection: request.collection.clone(),
        primary_key: request.primary_key.clone(),
        keys: request.keys.clone(),
        fields: vec![],
        raw: false,
    };
    store.keys_with_null(&keys, &request.field).await.map_err(CoreError::Database)
}

/// `POST /migration/receive/rows-by-key` `{ collection, primaryKey, columns, keys }`: the rows of
/// those keys this table has, in the database's representation (for the verification). Checked
/// like a batch: a user table here, the same primary key, every column known.
pub async fn rows_by_key<S: Store>(store: &S, request: &RowsRequest) -> Result<Vec<Row>, CoreError> {
    if request.keys.len() > MAX_ROWS {
        return Err(CoreError::InvalidInput(format!("at most {MAX_ROWS} keys at a time")));
    }
    let shape = table(store, &request.collection, &request.primary_key).await?;
    let unknown: Vec<&str> =
        request.columns.iter().filter(|c| !shape.columns.contains(c)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(CoreError::InvalidInput(format!(
            "{} has no column {} here",
            request.collection,
            unknown.join(", ")
        )));
    }
    if !request.columns.contains(&request.primary_key) {
        return Err(CoreError::InvalidInput(format!(
            "the columns must include the primary key {}",
            request.primary_key
        )));
    }
    if request.keys.is_empty() {
        return Ok(Vec::new());
    }
    store.read_rows(request).await.map_err(CoreError::Database)
}

/// The table a request names, which must exist here as a user table with that primary key.
async fn table<S: Store>(store: &S, collection: &str, primary_key: &str) -> Result<TableShape, CoreError> {
    if crate::pipeline::schema::is_system(collection) {
        return Err(CoreError::InvalidInput(format!(
            "{collection} is one of Directus' own collections: the receiver writes none of them (but the password hashes of directus_users)"
        )));
    }
    let shape =
        store.describe_table(collection).await.map_err(CoreError::Database)?.and_then(TableShape::of).ok_or_else(
            || CoreError::InvalidInput(format!("collection {collection} does not exist on this instance")),
        )?;
    if shape.primary_key != primary_key {
        return Err(CoreError::InvalidInput(format!(
            "the primary key of {collection} is {} here, not {primary_key}",
            shape.primary_key
        )));
    }
    Ok(shape)
}

/// The one write the receiver makes to Directus' own tables: `scope.userPasswords` sets the
/// password hashes of users a run created (update mode, exactly `id` and `password` of
/// `directus_users`), since the REST API hashes whatever it is given.
fn is_password_update(header: &Header) -> bool {
    let mut columns: Vec<&str> = header.columns.iter().map(String::as_str).collect();
    columns.sort_unstable();
    header.collection == "directus_users"
        && header.mode == Mode::Update
        && header.primary_key == "id"
        && columns == ["id", "password"]
}

async fn password_table<S: Store>(store: &S) -> Result<TableShape, CoreError> {
    store
        .describe_table("directus_users")
        .await
        .map_err(CoreError::Database)?
        .ok_or_else(|| CoreError::InvalidInput("collection directus_users does not exist on this instance".into()))?;
    Ok(TableShape {
        collection: "directus_users".into(),
        primary_key: "id".into(),
        columns: vec!["id".into(), "password".into()],
        auto_increment: false,
        types: Default::default(),
    })
}

/// Check a batch against this instance's schema, then write it.
/// The receipt says what the batch cost here (`timings`): its database queries, and the rest.
pub async fn receive<S: Store>(store: &S, clock: &impl Clock, bytes: &[u8]) -> Result<Receipt, CoreError> {
    let started = clock.now_ms();
    let mut database_ms = 0.0;
    let text = std::str::from_utf8(bytes)
        .map_err(|e| CoreError::InvalidInput(format!("the batch is not UTF-8 text (byte {})", e.valid_up_to())))?;
    let mut batch = Batch::decode(text)?;
    let header = &batch.header;
    let shape = if is_password_update(header) {
        password_table(store).await?
    } else {
        table(store, &header.collection, &header.primary_key).await?
    };
    let unknown: Vec<&str> = header.columns.iter().filter(|c| !shape.columns.contains(c)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(CoreError::InvalidInput(format!(
            "{} has no column {} here",
            header.collection,
            unknown.join(", ")
        )));
    }

    let key = batch.key_index()?;
    values::encode_rows(&mut batch.rows, &header.columns, &shape);
    let mut receipt = Receipt::default();
    let rows = match header.mode {
        Mode::Create => {
            let keys: Vec<Value> = batch.rows.iter().map(|r| cell(r, key)).collect();
            let request = KeysRequest {
                collection: header.collection.clone(),
                primary_key: header.primary_key.clone(),
                keys,
                fields: vec![],
                raw: false,
            };
            let asked = clock.now_ms();
            let existing: BTreeSet<String> =
                store.existing_keys(&request).await.map_err(CoreError::Database)?.iter().map(key_text).collect();
            database_ms += clock.now_ms() - asked;
            let (skipped, fresh): (Vec<Vec<Value>>, Vec<Vec<Value>>) =
                batch.rows.into_iter().partition(|r| existing.contains(&key_text(&cell(r, key))));
            receipt.skipped = skipped.iter().map(|r| cell(r, key)).collect();
            fresh
        }
        Mode::Update => batch.rows,
    };
    let writing = clock.now_ms();
    write(store, header, rows, key, &mut receipt).await?;
    let client = store.database_client().await.map_err(CoreError::Database)?;
    let advance = vendor::needs_sequence_advance(vendor::from_client(&client));
    if header.mode == Mode::Create && shape.auto_increment && advance && !receipt.written.is_empty() {
        store.advance_sequence(&shape).await.map_err(CoreError::Database)?;
    }
    database_ms += clock.now_ms() - writing;
    let decode_ms = (clock.now_ms() - started - database_ms).max(0.0);
    receipt.timings = Some(ReceiverTimings { decode_ms, database_ms });
    Ok(receipt)
}

/// Write all rows in one transaction; when the database refuses, isolate the offending rows, so
/// the others still land. An error that is not surely about a row (no constraint or data code)
/// may be the database failing: ten of those in a row stop the batch.
async fn write<S: Store>(
    store: &S,
    header: &Header,
    rows: Vec<Vec<Value>>,
    key: usize,
    receipt: &mut Receipt,
) -> Result<(), CoreError> {
    let attempt = |rows: Vec<Vec<Value>>| async move {
        let write = RowsWrite {
            collection: header.collection.clone(),
            primary_key: header.primary_key.clone(),
            columns: header.columns.clone(),
            rows,
            representation: header.rows,
        };
        let result = match header.mode {
            Mode::Create => store.insert_rows(&write).await,
            Mode::Update => store.update_rows(&write).await,
        };
        (write.rows, result)
    };
    let classify = |error: &HostError| match vendor::is_row_error(error.code.as_deref()) {
        true => Verdict::Items,
        false => Verdict::ItemsOrOutage,
    };
    let isolated = isolate(rows, classify, BREAKER, attempt).await.map_err(|stopped| {
        let mut error = stopped.error;
        if let Some(count) = stopped.refused_in_a_row {
            error.message = format!("the database refused {count} rows in a row and accepted none: {}", error.message);
        }
        CoreError::Database(error)
    })?;
    receipt.written.extend(isolated.accepted.iter().map(|r| cell(r, key)));
    receipt.failed.extend(isolated.refused.into_iter().map(|(r, error)| (cell(&r, key), error.message)));
    Ok(())
}

/// The row's value at `index` (a decoded row has one per column; null where it has none).
fn cell(row: &[Value], index: usize) -> Value {
    row.get(index).cloned().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::MemoryStore;

    fn store() -> MemoryStore {
        let mut host = MemoryStore::default();
        host.tables
            .borrow_mut()
            .insert("tags".into(), vec![json!({ "id": 1, "name": "already here" }).as_object().unwrap().clone()]);
        host.describe("tags", "id", &[("id", "integer"), ("name", "string")]);
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
            rows: Default::default(),
        };
        let rows: Vec<Row> = rows.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect();
        Batch::encode(&header, &rows)
    }

    #[test]
    fn inserts_new_rows_skips_existing_ones_and_isolates_refused_ones() {
        let mut host = store();
        host.client = Some("pg".into());
        let text = batch(
            Mode::Create,
            json!([
                { "id": 1, "name": "would overwrite" },
                { "id": 2, "name": "two" },
                { "id": 3, "name": "already here" },
                { "id": 4, "name": "four" }
            ]),
        );
        let receipt = block_on(receive(&host, &FakeClock::default(), text.as_bytes())).unwrap();
        assert_eq!(receipt.skipped, vec![json!(1)]);
        assert_eq!(receipt.written, vec![json!(2), json!(4)]);
        assert_eq!(receipt.failed, vec![(json!(3), "UNIQUE constraint failed: tags.name".to_string())]);
        let names: Vec<Value> = host.rows("tags").iter().map(|r| r["name"].clone()).collect();
        assert_eq!(names, vec![json!("already here"), json!("two"), json!("four")], "never overwritten");
        assert_eq!(host.sequences.borrow().as_slice(), ["tags"], "PostgreSQL's sequence follows the keys");
    }

    #[test]
    fn only_vendors_whose_sequences_lag_are_asked_to_advance_them() {
        let host = store();
        let receipt = block_on(receive(
            &host,
            &FakeClock::default(),
            batch(Mode::Create, json!([{ "id": 7, "name": "seven" }])).as_bytes(),
        ))
        .unwrap();
        assert_eq!(receipt.written, vec![json!(7)]);
        assert!(host.sequences.borrow().is_empty(), "SQLite moves its own counter");
        assert_eq!(block_on(info(&host)).unwrap().vendor.as_deref(), Some("sqlite"));
    }

    #[test]
    fn finds_the_rows_whose_reference_is_still_unset() {
        let mut host = store();
        host.describe("tags", "id", &[("id", "integer"), ("name", "string"), ("parent", "integer")]);
        host.tables.borrow_mut().get_mut("tags").unwrap()[0].insert("parent".into(), Value::Null);
        let request = |field: &str| LackingRequest {
            collection: "tags".into(),
            primary_key: "id".into(),
            field: field.into(),
            keys: vec![json!(1), json!(2)],
        };
        assert_eq!(block_on(lacking(&host, &request("parent"))).unwrap(), vec![json!(1)]);
        let err = block_on(lacking(&host, &request("nope"))).unwrap_err();
        assert_eq!(err.to_string(), "tags has no column nope here");
    }

    #[test]
    fn updates_set_the_given_columns() {
        let host = store();
        let receipt = block_on(receive(
            &host,
            &FakeClock::default(),
            batch(Mode::Update, json!([{ "id": 1, "name": "renamed" }])).as_bytes(),
        ))
        .unwrap();
        assert_eq!(receipt.written, vec![json!(1)]);
        assert_eq!(host.rows("tags")[0]["name"], json!("renamed"));
    }

    #[test]
    fn of_directus_own_tables_only_users_password_hashes_may_be_updated() {
        let mut host = store();
        host.describe("directus_users", "id", &[("id", "uuid"), ("password", "hash"), ("role", "uuid")]);
        let user = json!({ "id": "u1", "password": null, "role": null }).as_object().unwrap().clone();
        host.tables.borrow_mut().insert("directus_users".into(), vec![user]);
        let users = |mode: Mode, columns: &[&str], row: Value| {
            let header = Header {
                wire: WIRE_VERSION,
                mode,
                collection: "directus_users".into(),
                primary_key: "id".into(),
                columns: columns.iter().map(|c| c.to_string()).collect(),
                rows: Default::default(),
            };
            Batch::encode(&header, &[row.as_object().unwrap().clone()])
        };
        let hash = users(Mode::Update, &["id", "password"], json!({ "id": "u1", "password": "$argon2id$x" }));
        assert_eq!(
            block_on(receive(&host, &FakeClock::default(), hash.as_bytes())).unwrap().written,
            vec![json!("u1")]
        );
        assert_eq!(host.rows("directus_users")[0]["password"], json!("$argon2id$x"));
        for refused in [
            users(Mode::Update, &["id", "role"], json!({ "id": "u1", "role": "r" })),
            users(Mode::Update, &["id", "password", "role"], json!({ "id": "u1", "password": "p", "role": "r" })),
            users(Mode::Create, &["id", "password"], json!({ "id": "u2", "password": "p" })),
        ] {
            let err = block_on(receive(&host, &FakeClock::default(), refused.as_bytes())).unwrap_err();
            assert!(err.to_string().starts_with("directus_users is one of Directus' own collections"), "{err}");
        }
        assert_eq!(host.rows("directus_users").len(), 1);
    }

    #[test]
    fn refuses_batches_that_do_not_fit_this_schema_and_writes_nothing() {
        let host = store();
        let unknown = batch(Mode::Create, json!([{ "id": 9, "name": "x" }])).replace("\"tags\"", "\"nope\"");
        let err = block_on(receive(&host, &FakeClock::default(), unknown.as_bytes())).unwrap_err();
        assert_eq!(
            (err.status(), err.to_string()),
            (400, "collection nope does not exist on this instance".to_string())
        );
        let extra =
            batch(Mode::Create, json!([{ "id": 9, "name": "x" }])).replace("[\"id\",\"name\"]", "[\"id\",\"secret\"]");
        let err = block_on(receive(&host, &FakeClock::default(), extra.as_bytes())).unwrap_err();
        assert_eq!(err.to_string(), "tags has no column secret here");
        assert_eq!(host.rows("tags").len(), 1);
    }

    #[test]
    fn reads_rows_by_key_after_the_same_checks_as_a_batch() {
        let host = store();
        let request = |columns: &[&str], keys: Value| RowsRequest {
            collection: "tags".into(),
            primary_key: "id".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            keys: keys.as_array().unwrap().clone(),
        };
        let rows = block_on(rows_by_key(&host, &request(&["id", "name"], json!([1, 2])))).unwrap();
        assert_eq!(rows, vec![json!({ "id": 1, "name": "already here" }).as_object().unwrap().clone()]);
        let err = block_on(rows_by_key(&host, &request(&["id", "secret"], json!([1])))).unwrap_err();
        assert_eq!((err.status(), err.to_string()), (400, "tags has no column secret here".to_string()));
        let err = block_on(rows_by_key(&host, &request(&["name"], json!([1])))).unwrap_err();
        assert!(err.to_string().contains("must include the primary key id"), "{err}");
        let users = RowsRequest { collection: "directus_users".into(), ..request(&["id"], json!([1])) };
        assert_eq!(block_on(rows_by_key(&host, &users)).unwrap_err().status(), 400);
    }
}
