//! Rows through Directus' items endpoints: key lookups in URL-sized chunks, batched creates and
//! updates, singletons.

use serde_json::Value;

use super::super::client::Destination;
use super::super::error::DestinationError;
use crate::shared::http::{Method, Transport};
use crate::shared::runtime::Clock;

/// Query-string and path encoding: everything but RFC 3986's unreserved characters.
const ENCODE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Longest filter a key lookup puts in a URL, far below common limits (Node 16 KiB, nginx 8 KiB).
const URL_BUDGET: usize = 6_000;

pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, ENCODE).to_string()
}

/// Split keys into groups whose `_in` filter stays within the URL budget.
pub fn key_chunks(keys: &[Value]) -> Vec<&[Value]> {
    let mut chunks = Vec::new();
    let (mut start, mut length) = (0, 0);
    for (i, key) in keys.iter().enumerate() {
        let cost = encode(&key.to_string()).len() + 3;
        if i > start && length + cost > URL_BUDGET {
            chunks.extend(keys.get(start..i));
            start = i;
            length = 0;
        }
        length += cost;
    }
    if start < keys.len() {
        chunks.extend(keys.get(start..));
    }
    chunks
}

/// The REST path of a collection's items: `/items/articles`, but `/users` for `directus_users`.
pub fn items_path(collection: &str) -> String {
    match collection.strip_prefix("directus_") {
        Some(system) => format!("/{}", encode(system)),
        None => format!("/items/{}", encode(collection)),
    }
}

impl<T: Transport, C: Clock> Destination<T, C> {
    /// Which of `keys` exist in `collection` (looked up by `key_field`, in URL-sized chunks, and
    /// no more keys at a time than the destination's `QUERY_LIMIT_MAX` allows).
    pub async fn existing_keys(
        &self,
        collection: &str,
        key_field: &str,
        keys: &[Value],
    ) -> Result<Vec<Value>, DestinationError> {
        self.keys_where(collection, key_field, keys, None).await
    }

    /// Which of `keys` exist in `collection` with `field` null.
    pub async fn keys_with_null(
        &self,
        collection: &str,
        key_field: &str,
        field: &str,
        keys: &[Value],
    ) -> Result<Vec<Value>, DestinationError> {
        self.keys_where(collection, key_field, keys, Some(field)).await
    }

    async fn keys_where(
        &self,
        collection: &str,
        key_field: &str,
        keys: &[Value],
        null: Option<&str>,
    ) -> Result<Vec<Value>, DestinationError> {
        let mut found = Vec::new();
        for chunk in key_chunks(keys) {
            for part in chunk.chunks(self.query_limit().unwrap_or(usize::MAX).max(1)) {
                match self.keys_in(collection, key_field, part, null).await {
                    Err(error) if error.is_query_limit() && self.query_limit().is_none() => {
                        // The destination caps `limit`: learn its cap once, then ask in smaller parts.
                        self.learn_query_limit().await?;
                        for smaller in part.chunks(self.query_limit().unwrap_or(100).max(1)) {
                            found.extend(self.keys_in(collection, key_field, smaller, null).await?);
                        }
                    }
                    other => found.extend(other?),
                }
            }
        }
        Ok(found)
    }

    async fn keys_in(
        &self,
        collection: &str,
        key_field: &str,
        keys: &[Value],
        null: Option<&str>,
    ) -> Result<Vec<Value>, DestinationError> {
        let by_key = serde_json::json!({ key_field: { "_in": keys } });
        let filter = match null {
            None => by_key,
            Some(field) => serde_json::json!({ "_and": [by_key, { field: { "_null": true } }] }),
        };
        let path = format!(
            "{}?fields={}&limit={}&filter={}",
            items_path(collection),
            encode(key_field),
            keys.len(),
            encode(&filter.to_string())
        );
        let rows: Vec<serde_json::Map<String, Value>> = self.get(&path).await?;
        Ok(rows.into_iter().filter_map(|mut row| row.remove(key_field)).collect())
    }

    /// `QUERY_LIMIT_MAX` from `GET /server/info` (admins see it); unlimited when it does not say.
    async fn learn_query_limit(&self) -> Result<(), DestinationError> {
        let info: Value = self.get("/server/info").await?;
        let max = info.pointer("/queryLimit/max").and_then(Value::as_i64).filter(|m| *m > 0).map(|m| m as usize);
        self.set_query_limit(max.unwrap_or(usize::MAX));
        Ok(())
    }

    /// `POST /items/:collection` with a JSON array of rows; answers only keys.
    pub async fn create_items(&self, collection: &str, key_field: &str, body: String) -> Result<(), DestinationError> {
        self.write_items(Method::Post, collection, key_field, body).await
    }

    /// `PATCH /items/:collection` with a JSON array of rows, each with its key — or, for a
    /// singleton, with one object, which creates the row or updates it.
    pub async fn update_items(&self, collection: &str, key_field: &str, body: String) -> Result<(), DestinationError> {
        self.write_items(Method::Patch, collection, key_field, body).await
    }

    async fn write_items(
        &self,
        method: Method,
        collection: &str,
        key_field: &str,
        body: String,
    ) -> Result<(), DestinationError> {
        let path = format!("{}?fields={}", items_path(collection), encode(key_field));
        self.send(method, &path, Some(body)).await.map(|_| ())
    }

    /// Up to `limit` keys of `collection` in key order, after `after` (from the start when
    /// `None`): a page of the destination's keys, for `scope.deleteMissing`.
    pub async fn keys_after(
        &self,
        collection: &str,
        key_field: &str,
        after: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Value>, DestinationError> {
        let filter = after.map(|after| encode(&serde_json::json!({ key_field: { "_gt": after } }).to_string()));
        loop {
            let capped = limit.min(self.query_limit().unwrap_or(usize::MAX)).max(1);
            let key = encode(key_field);
            let mut path = format!("{}?fields={key}&sort={key}&limit={capped}", items_path(collection));
            if let Some(filter) = &filter {
                path.push_str("&filter=");
                path.push_str(filter);
            }
            match self.get::<Vec<serde_json::Map<String, Value>>>(&path).await {
                // The destination caps `limit`: learn its cap once, then ask within it.
                Err(error) if error.is_query_limit() && self.query_limit().is_none() => {
                    self.learn_query_limit().await?
                }
                rows => return Ok(rows?.into_iter().filter_map(|mut row| row.remove(key_field)).collect()),
            }
        }
    }

    /// `DELETE /items/:collection` with a JSON array of keys (Directus deletes them in one
    /// transaction; keys it does not have are no error, so a retried delete is harmless).
    pub async fn delete_items(&self, collection: &str, keys: &[Value]) -> Result<(), DestinationError> {
        let body = Value::Array(keys.to_vec()).to_string();
        self.send(Method::Delete, &items_path(collection), Some(body)).await.map(|_| ())
    }

    /// The key of a singleton's row, `None` when it has none yet.
    pub async fn singleton_key(&self, collection: &str, key_field: &str) -> Result<Option<Value>, DestinationError> {
        let path = format!("{}?fields={}", items_path(collection), encode(key_field));
        let row: Option<serde_json::Map<String, Value>> = self.get(&path).await?;
        Ok(row.and_then(|mut r| r.remove(key_field)).filter(|k| !k.is_null()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn encodes_everything_but_unreserved_characters() {
        assert_eq!(encode(r#"{"id":{"_in":[1,"a b"]}}"#), "%7B%22id%22%3A%7B%22_in%22%3A%5B1%2C%22a%20b%22%5D%7D%7D");
        assert_eq!(encode("my-collection_2.x~"), "my-collection_2.x~");
    }

    #[test]
    fn a_query_limit_below_the_batch_is_learnt_and_respected() {
        use futures::executor::block_on;

        use crate::shared::runtime::fake::FakeClock;
        use crate::testing::{answer, destination, Scripted};

        let too_many = r#"{"errors":[{"message":"Invalid query. \"limit\" must be less than or equal to 2.","extensions":{"code":"INVALID_QUERY"}}]}"#;
        let transport = Scripted::new(vec![
            answer(400, too_many),
            answer(200, r#"{"data":{"queryLimit":{"default":100,"max":2}}}"#),
            answer(200, r#"{"data":[{"id":1}]}"#),
            answer(200, r#"{"data":[{"id":3}]}"#),
            answer(200, r#"{"data":[]}"#),
            answer(200, r#"{"data":[{"id":2}]}"#),
        ]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let keys: Vec<Value> = (1..=5).map(|i| json!(i)).collect();
        let found = block_on(dest.existing_keys("t", "id", &keys)).unwrap();
        assert_eq!(found, vec![json!(1), json!(3)]);
        let requests = transport.requests();
        assert_eq!(requests[1], "GET /server/info");
        assert!(requests[2..].iter().all(|r| r.contains("limit=2") || r.contains("limit=1")), "{requests:?}");
        assert_eq!(block_on(dest.existing_keys("t", "id", &keys[..2])).unwrap(), vec![json!(2)]);
        assert_eq!(transport.calls(), 6, "learnt once: the next lookup asks within the limit at once");
    }

    #[test]
    fn system_collections_have_their_own_routes() {
        assert_eq!(items_path("articles"), "/items/articles");
        assert_eq!(items_path("directus_users"), "/users");
        assert_eq!(items_path("directus_files"), "/files");
    }

    #[test]
    fn chunks_keys_to_stay_within_the_url_budget() {
        let uuids: Vec<Value> = (0..500).map(|i| json!(format!("6f1c2a3e-0000-4000-8000-{i:012}"))).collect();
        let chunks = key_chunks(&uuids);
        assert!(chunks.len() > 1);
        assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 500);
        for chunk in &chunks {
            let filter = json!({ "id": { "_in": chunk } }).to_string();
            assert!(encode(&filter).len() <= URL_BUDGET + 100, "{}", encode(&filter).len());
        }
        let ints: Vec<Value> = (0..500).map(|i| json!(i)).collect();
        assert_eq!(key_chunks(&ints).len(), 1, "small integer keys fit in one request");
        assert!(key_chunks(&[]).is_empty());
    }
}
