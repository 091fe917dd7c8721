//! Writing rows to the destination in batches. A batch the destination rejects is split in halves
//! until the offending rows stand alone; the others still land, and each offending row is reported
//! with the destination's own message.

use serde_json::Value;

use crate::destination::{Destination, DestinationError, Transport};
use crate::host::Row;
use crate::runtime::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// `POST /items/:collection`.
    Create,
    /// `PATCH /items/:collection`, every row carrying its key.
    Update,
    /// `PATCH /items/:singleton`, one row.
    Singleton,
}

#[derive(Debug, Default, PartialEq)]
pub struct Written {
    /// Keys of the rows that landed.
    pub keys: Vec<Value>,
    /// Keys the destination turned out to have already (the bulk receiver checks again).
    pub skipped: Vec<Value>,
    /// Keys of the rows the destination refused, with its message.
    pub refused: Vec<(Value, String)>,
}

/// Request bodies are kept under Directus' default `MAX_PAYLOAD_SIZE` of 1 MB.
pub const MAX_BODY_BYTES: usize = 900_000;

/// Whether a refusal may be about particular rows (so splitting the batch can isolate them) rather
/// than about the whole request (the destination is down, the token stopped working).
pub fn is_about_rows(error: &DestinationError) -> bool {
    match error {
        DestinationError::Rejected { status, .. } => matches!(status, 400 | 409 | 413 | 422 | 500),
        _ => false,
    }
}

pub fn message_of(error: &DestinationError) -> String {
    match error {
        DestinationError::Rejected { message, code: Some(code), .. } => format!("{message} ({code})"),
        DestinationError::Rejected { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Write `rows` (payloads keyed by `key_field`) to `collection`. Errors that are not about rows
/// (network, authentication, a destination that stays unavailable) stop the write and are returned.
pub async fn write<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    mode: Write,
    collection: &str,
    key_field: &str,
    rows: Vec<Row>,
) -> Result<Written, DestinationError> {
    let mut written = Written::default();
    let key_of = |row: &Row| row.get(key_field).cloned().unwrap_or(Value::Null);
    // Depth-first over halves, left half first, so rows land in source order.
    let mut pending: Vec<Vec<Row>> = vec![rows];
    while let Some(batch) = pending.pop() {
        if batch.is_empty() {
            continue;
        }
        // A singleton is written as its one object, everything else as an array.
        let body = match mode {
            Write::Singleton => serde_json::to_string(&batch[0]).expect("rows are JSON"),
            _ => to_json(&batch),
        };
        if body.len() > MAX_BODY_BYTES && batch.len() > 1 {
            // Directus refuses bodies over MAX_PAYLOAD_SIZE (1 MB by default): halve before sending.
            halve(batch, &mut pending);
            continue;
        }
        let result = match mode {
            Write::Create => destination.create_items(collection, key_field, body).await,
            Write::Update | Write::Singleton => destination.update_items(collection, key_field, body).await,
        };
        match result {
            Ok(()) => written.keys.extend(batch.iter().map(key_of)),
            Err(error) if is_about_rows(&error) && batch.len() > 1 => halve(batch, &mut pending),
            Err(error) if is_about_rows(&error) => {
                let key = key_of(&batch[0]);
                // A create retried after a lost answer meets its own earlier success.
                let landed = mode == Write::Create
                    && !key.is_null()
                    && destination
                        .existing_keys(collection, key_field, std::slice::from_ref(&key))
                        .await?
                        .contains(&key);
                if landed {
                    written.keys.push(key);
                } else {
                    written.refused.push((key, message_of(&error)));
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(written)
}

/// Queue both halves of `batch`, the left one to be sent first.
fn halve(mut batch: Vec<Row>, pending: &mut Vec<Vec<Row>>) {
    let right = batch.split_off(batch.len() / 2);
    pending.push(right);
    pending.push(batch);
}

fn to_json(rows: &[Row]) -> String {
    serde_json::to_string(rows).expect("rows are JSON")
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::runtime::fake::FakeClock;
    use crate::testing::{answer, destination, Scripted};

    fn rows(ids: &[i64]) -> Vec<Row> {
        ids.iter().map(|id| json!({ "id": id, "title": format!("row {id}") }).as_object().unwrap().clone()).collect()
    }

    const UNIQUE: &str = r#"{"errors":[{"message":"Value for field \"slug\" in collection \"articles\" has to be unique.","extensions":{"code":"RECORD_NOT_UNIQUE"}}]}"#;

    #[test]
    fn a_clean_batch_is_one_request() {
        let transport = Scripted::new(vec![answer(200, r#"{"data":[]}"#)]);
        let clock = FakeClock::default();
        let result =
            block_on(write(&destination(&transport, &clock), Write::Create, "articles", "id", rows(&[1, 2, 3])))
                .unwrap();
        assert_eq!(result.keys, vec![json!(1), json!(2), json!(3)]);
        assert_eq!(transport.requests(), vec!["POST /items/articles?fields=id"]);
        let body: Value = serde_json::from_str(transport.seen.borrow()[0].0.body.as_deref().unwrap()).unwrap();
        assert_eq!(body.as_array().unwrap().len(), 3);
    }

    #[test]
    fn a_rejected_batch_is_split_until_the_offender_stands_alone() {
        // [1,2,3,4] fails → [1,2] ok, [3,4] fails → [3] ok, [4] fails → not there → refused.
        let transport = Scripted::new(vec![
            answer(400, UNIQUE),
            answer(200, "{}"),
            answer(400, UNIQUE),
            answer(200, "{}"),
            answer(400, UNIQUE),
            answer(200, r#"{"data":[]}"#),
        ]);
        let clock = FakeClock::default();
        let result =
            block_on(write(&destination(&transport, &clock), Write::Create, "articles", "id", rows(&[1, 2, 3, 4])))
                .unwrap();
        assert_eq!(result.keys, vec![json!(1), json!(2), json!(3)]);
        assert_eq!(
            result.refused,
            vec![(
                json!(4),
                "Value for field \"slug\" in collection \"articles\" has to be unique. (RECORD_NOT_UNIQUE)".to_string()
            )]
        );
        assert_eq!(
            transport.requests().last().unwrap(),
            "GET /items/articles?fields=id&limit=1&filter=%7B%22id%22%3A%7B%22_in%22%3A%5B4%5D%7D%7D"
        );
    }

    #[test]
    fn a_row_that_landed_on_an_earlier_attempt_counts_as_written() {
        let transport = Scripted::new(vec![answer(400, UNIQUE), answer(200, r#"{"data":[{"id":7}]}"#)]);
        let clock = FakeClock::default();
        let result =
            block_on(write(&destination(&transport, &clock), Write::Create, "articles", "id", rows(&[7]))).unwrap();
        assert_eq!(result.keys, vec![json!(7)]);
        assert!(result.refused.is_empty());
    }

    #[test]
    fn errors_about_the_whole_request_stop_the_write() {
        let forbidden =
            r#"{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}"#;
        let transport = Scripted::new(vec![answer(401, forbidden)]);
        let clock = FakeClock::default();
        let err = block_on(write(&destination(&transport, &clock), Write::Create, "articles", "id", rows(&[1, 2])))
            .unwrap_err();
        assert_eq!(err.code(), "DESTINATION_UNAUTHORIZED");
        assert_eq!(transport.calls(), 1);
    }

    #[test]
    fn a_batch_too_large_for_the_destination_is_halved_before_it_is_sent() {
        let transport = Scripted::new(vec![answer(200, "{}"), answer(200, "{}")]);
        let clock = FakeClock::default();
        let big: Vec<Row> =
            (0..4).map(|id| json!({ "id": id, "body": "x".repeat(300_000) }).as_object().unwrap().clone()).collect();
        let result = block_on(write(&destination(&transport, &clock), Write::Create, "articles", "id", big)).unwrap();
        assert_eq!(result.keys.len(), 4);
        assert_eq!(transport.calls(), 2);
        assert!(transport.seen.borrow().iter().all(|(r, _)| r.body.as_ref().unwrap().len() <= MAX_BODY_BYTES));
    }

    #[test]
    fn updates_and_singletons_use_patch() {
        let transport = Scripted::new(vec![answer(200, "{}"), answer(200, "{}")]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        block_on(write(&dest, Write::Update, "categories", "id", rows(&[1, 2]))).unwrap();
        block_on(write(&dest, Write::Singleton, "site_settings", "id", rows(&[1]))).unwrap();
        assert_eq!(
            transport.requests(),
            vec!["PATCH /items/categories?fields=id", "PATCH /items/site_settings?fields=id"]
        );
        let body: Value = serde_json::from_str(transport.seen.borrow()[1].0.body.as_deref().unwrap()).unwrap();
        assert!(body.is_object(), "a singleton is written as one object");
    }
}
