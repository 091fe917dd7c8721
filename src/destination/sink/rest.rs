//! Rows through Directus' REST API: `POST /items/:collection` with a list of rows, `PATCH` for
//! updates (and for a singleton, whose one row is written as an object). Bodies stay under
//! Directus' default `MAX_PAYLOAD_SIZE`; a batch the destination refuses is isolated down to the
//! offending rows.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Mode, RowSink, Target, Written};
use crate::destination::{Destination, DestinationError};
use crate::runs::report::Delivery;
use crate::shared::http::Transport;
use crate::shared::isolate::{isolate, Stopped, Verdict};
use crate::shared::rows::{key_text, pick, value_of, Row};
use crate::shared::runtime::Clock;

/// Request bodies are kept under Directus' default `MAX_PAYLOAD_SIZE` of 1 MB.
pub const MAX_BODY_BYTES: usize = 900_000;

/// Rows refused alone in a row with a server error, accepting none, before a write stops: the
/// destination is failing, and isolating would try every row alone.
const BREAKER: usize = 10;

/// Refusals a split can isolate: a client error is about the rows; a server error may be about a
/// row (some database constraint errors come back as 500) or may be the destination failing.
fn verdict(error: &DestinationError) -> Verdict {
    match error {
        DestinationError::Rejected { status: 500, .. } => Verdict::ItemsOrOutage,
        error if error.is_about_rows() => Verdict::Items,
        _ => Verdict::Stop,
    }
}

pub struct RestSink<'a, T, C> {
    destination: &'a Destination<T, C>,
}

/// A row ready to send: its key and its JSON text.
type Encoded = (Value, String);

impl<'a, T: Transport, C: Clock> RestSink<'a, T, C> {
    pub fn new(destination: &'a Destination<T, C>) -> Self {
        RestSink { destination }
    }

    async fn send(&self, mode: Mode, target: Target<'_>, rows: &[Encoded]) -> Result<(), DestinationError> {
        let body = if target.singleton {
            let Some((_, text)) = rows.first() else { return Ok(()) };
            text.clone()
        } else {
            let mut body = String::with_capacity(rows.iter().map(|(_, text)| text.len() + 1).sum::<usize>() + 2);
            body.push('[');
            for (i, (_, text)) in rows.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(text);
            }
            body.push(']');
            body
        };
        match (mode, target.singleton) {
            (Mode::Create, false) => self.destination.create_items(target.collection, target.key, body).await,
            _ => self.destination.update_items(target.collection, target.key, body).await,
        }
    }

    /// Delete the rows of `keys` (REST on every transport: Directus' own delete, with its
    /// activity and its relational rules). A batch the destination refuses is isolated down to
    /// the rows it will not delete, each with its message.
    pub async fn delete(&self, target: Target<'_>, keys: Vec<Value>) -> Result<Written, DestinationError> {
        let attempt = |group: Vec<Value>| async move {
            let result = self.destination.delete_items(target.collection, &group).await;
            (group, result)
        };
        let isolated = isolate(keys, verdict, BREAKER, attempt).await.map_err(|stopped| self.stopped(stopped))?;
        let refused = isolated.refused.into_iter().map(|(key, error)| (key, error.row_message())).collect();
        Ok(Written { keys: isolated.accepted, skipped: Vec::new(), refused })
    }

    fn stopped(&self, stopped: Stopped<DestinationError>) -> DestinationError {
        match stopped {
            Stopped { error, refused_in_a_row: Some(refused) } => DestinationError::Failing {
                url: self.destination.base_url().to_string(),
                refused,
                last: error.row_message(),
            },
            Stopped { error, .. } => error,
        }
    }

    /// A create retried after a lost answer meets its own earlier success: of `refused` rows
    /// (or files), the ones that turn out to exist landed after all. Answers the ones that did
    /// not, with the destination's message.
    pub async fn landed_anyway(
        &self,
        target: Target<'_>,
        refused: Vec<(Value, DestinationError)>,
        landed: &mut Vec<Value>,
    ) -> Result<Vec<(Value, String)>, DestinationError> {
        let keys: Vec<Value> = refused.iter().map(|(key, _)| key.clone()).filter(|k| !k.is_null()).collect();
        let there: BTreeSet<String> = if keys.is_empty() || target.singleton {
            BTreeSet::new()
        } else {
            self.existing(target, &keys).await?.iter().map(key_text).collect()
        };
        let mut still = Vec::new();
        for (key, error) in refused {
            if there.contains(&key_text(&key)) {
                landed.push(key);
            } else {
                still.push((key, error.row_message()));
            }
        }
        Ok(still)
    }
}

/// Consecutive groups whose JSON list stays under [`MAX_BODY_BYTES`] (a single larger row goes
/// alone; the destination then refuses it with its own message).
fn by_body_size(rows: Vec<Encoded>) -> Vec<Vec<Encoded>> {
    let mut groups: Vec<Vec<Encoded>> = Vec::new();
    let mut size = 2;
    for row in rows {
        let cost = row.1.len() + 1;
        match groups.last_mut() {
            Some(group) if size + cost <= MAX_BODY_BYTES => group.push(row),
            _ => {
                size = 2;
                groups.push(vec![row]);
            }
        }
        size += cost;
    }
    groups
}

impl<T: Transport, C: Clock> RowSink for RestSink<'_, T, C> {
    fn delivery(&self) -> Delivery {
        Delivery::Rest
    }

    async fn existing(&self, target: Target<'_>, keys: &[Value]) -> Result<Vec<Value>, DestinationError> {
        if target.singleton {
            return Ok(self.destination.singleton_key(target.collection, target.key).await?.into_iter().collect());
        }
        self.destination.existing_keys(target.collection, target.key, keys).await
    }

    async fn lacking(&self, target: Target<'_>, field: &str, keys: &[Value]) -> Result<Vec<Value>, DestinationError> {
        self.destination.keys_with_null(target.collection, target.key, field, keys).await
    }

    async fn rows(&self, target: Target<'_>, columns: &[String], keys: &[Value]) -> Result<Vec<Row>, DestinationError> {
        if target.singleton {
            return Ok(self
                .destination
                .singleton_row(target.collection, target.key, columns)
                .await?
                .into_iter()
                .collect());
        }
        self.destination.items_by_keys(target.collection, target.key, columns, keys).await
    }

    /// `POST` new rows (`PATCH` a singleton's one row), `PATCH` updates: rows as JSON, in
    /// bodies under [`MAX_BODY_BYTES`]; a refused body is isolated down to its offending rows.
    async fn write(
        &self,
        mode: Mode,
        target: Target<'_>,
        columns: &[String],
        rows: Vec<Row>,
    ) -> Result<Written, DestinationError> {
        let encoded: Vec<Encoded> = rows
            .iter()
            .map(|row| {
                let key = value_of(row, target.key);
                let text = Value::Object(pick(row, columns.iter().map(String::as_str))).to_string();
                (key, text)
            })
            .collect();
        let mut written = Written::default();
        for group in by_body_size(encoded) {
            let attempt = |group: Vec<Encoded>| async move {
                let result = self.send(mode, target, &group).await;
                (group, result)
            };
            let isolated = isolate(group, verdict, BREAKER, attempt).await.map_err(|stopped| self.stopped(stopped))?;
            written.keys.extend(isolated.accepted.into_iter().map(|(key, _)| key));
            let refused: Vec<(Value, DestinationError)> =
                isolated.refused.into_iter().map(|((key, _), error)| (key, error)).collect();
            if mode == Mode::Create && target.keeps_key {
                written.refused.extend(self.landed_anyway(target, refused, &mut written.keys).await?);
            } else {
                written.refused.extend(refused.into_iter().map(|(key, error)| (key, error.row_message())));
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, destination, Scripted};

    const ARTICLES: Target = Target { collection: "articles", key: "id", singleton: false, keeps_key: true };

    fn columns() -> Vec<String> {
        vec!["id".into(), "title".into(), "body".into()]
    }

    fn rows(ids: &[i64]) -> Vec<Row> {
        ids.iter().map(|id| json!({ "id": id, "title": format!("row {id}") }).as_object().unwrap().clone()).collect()
    }

    const UNIQUE: &str = r#"{"errors":[{"message":"Value for field \"slug\" in collection \"articles\" has to be unique.","extensions":{"code":"RECORD_NOT_UNIQUE"}}]}"#;

    #[test]
    fn a_clean_batch_is_one_request() {
        let transport = Scripted::new(vec![answer(200, r#"{"data":[]}"#)]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let result =
            block_on(RestSink::new(&dest).write(Mode::Create, ARTICLES, &columns(), rows(&[1, 2, 3]))).unwrap();
        assert_eq!(result.keys, vec![json!(1), json!(2), json!(3)]);
        assert_eq!(transport.requests(), vec!["POST /items/articles?fields=id"]);
        let body: Value = serde_json::from_str(transport.seen.borrow()[0].0.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!([{ "id": 1, "title": "row 1" }, { "id": 2, "title": "row 2" }, { "id": 3, "title": "row 3" }])
        );
    }

    #[test]
    fn json_documents_keep_their_key_order() {
        let transport = Scripted::new(vec![answer(200, r#"{"data":[]}"#)]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let row: Row = serde_json::from_str(r#"{"id":1,"title":{"zeta":1,"alpha":{"y":2,"b":[3]}}}"#).unwrap();
        block_on(RestSink::new(&dest).write(Mode::Create, ARTICLES, &columns(), vec![row])).unwrap();
        let body = transport.seen.borrow()[0].0.body.clone().unwrap();
        assert_eq!(body, r#"[{"id":1,"title":{"zeta":1,"alpha":{"y":2,"b":[3]}}}]"#);
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
        let dest = destination(&transport, &clock);
        let result =
            block_on(RestSink::new(&dest).write(Mode::Create, ARTICLES, &columns(), rows(&[1, 2, 3, 4]))).unwrap();
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
        let dest = destination(&transport, &clock);
        let result = block_on(RestSink::new(&dest).write(Mode::Create, ARTICLES, &columns(), rows(&[7]))).unwrap();
        assert_eq!(result.keys, vec![json!(7)]);
        assert!(result.refused.is_empty());
    }

    #[test]
    fn errors_about_the_whole_request_stop_the_write() {
        let forbidden =
            r#"{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}"#;
        let transport = Scripted::new(vec![answer(401, forbidden)]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let err = block_on(RestSink::new(&dest).write(Mode::Create, ARTICLES, &columns(), rows(&[1, 2]))).unwrap_err();
        assert_eq!(err.code(), "DESTINATION_UNAUTHORIZED");
        assert_eq!(transport.calls(), 1);
    }

    #[test]
    fn a_batch_too_large_for_the_destination_is_split_before_it_is_sent() {
        let transport = Scripted::new(vec![answer(200, "{}"), answer(200, "{}")]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let big: Vec<Row> =
            (0..4).map(|id| json!({ "id": id, "body": "x".repeat(300_000) }).as_object().unwrap().clone()).collect();
        let result = block_on(RestSink::new(&dest).write(Mode::Create, ARTICLES, &columns(), big)).unwrap();
        assert_eq!(result.keys.len(), 4);
        assert_eq!(transport.calls(), 2);
        assert!(transport.seen.borrow().iter().all(|(r, _)| r.body.as_ref().unwrap().len() <= MAX_BODY_BYTES));
    }

    #[test]
    fn a_destination_that_fails_every_write_is_given_up_on_after_a_bounded_number_of_requests() {
        let failing =
            r#"{"errors":[{"message":"An unexpected error occurred.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#;
        let transport = Scripted::new((0..40).map(|_| answer(500, failing)).collect());
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let ids: Vec<i64> = (1..=500).collect();
        let err = block_on(RestSink::new(&dest).write(Mode::Create, ARTICLES, &columns(), rows(&ids))).unwrap_err();
        assert_eq!(err.code(), "DESTINATION_FAILING");
        assert!(err.to_string().contains("10 rows in a row were refused"), "{err}");
        assert!(transport.calls() <= 30, "{} requests, not 999", transport.calls());
    }

    #[test]
    fn updates_and_singletons_use_patch() {
        let transport = Scripted::new(vec![answer(200, "{}"), answer(200, "{}")]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let sink = RestSink::new(&dest);
        let categories = Target { collection: "categories", ..ARTICLES };
        block_on(sink.write(Mode::Update, categories, &columns(), rows(&[1, 2]))).unwrap();
        let settings = Target { collection: "site_settings", key: "id", singleton: true, keeps_key: true };
        block_on(sink.write(Mode::Create, settings, &columns(), rows(&[1]))).unwrap();
        assert_eq!(
            transport.requests(),
            vec!["PATCH /items/categories?fields=id", "PATCH /items/site_settings?fields=id"]
        );
        let body: Value = serde_json::from_str(transport.seen.borrow()[1].0.body.as_deref().unwrap()).unwrap();
        assert!(body.is_object(), "a singleton is written as one object");
    }
}
