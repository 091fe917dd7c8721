//! What the verification reads on the destination: rows by key (through Directus' items endpoints
//! in URL-sized chunks, or through the bulk receiver), row counts (an aggregate query), and file
//! checksums (the host hashes `GET /assets/:id` as it streams; the token goes to it as it goes to
//! the transport).

use serde_json::Value;

use super::super::client::{path_only, Destination};
use super::super::error::DestinationError;
use super::items::{encode, items_path, key_chunks};
use crate::shared::http::{
    DownloadDigester, FileDigest, HttpResponse, Method, StreamedDownload, Transport, TransportError,
};
use crate::shared::rows::Row;
use crate::shared::runtime::Clock;

impl<T: Transport, C: Clock> Destination<T, C> {
    /// The rows of `collection` whose `key_field` is one of `keys`, with `fields` (which should
    /// include the key), in the API's representation.
    pub async fn items_by_keys(
        &self,
        collection: &str,
        key_field: &str,
        fields: &[String],
        keys: &[Value],
    ) -> Result<Vec<Row>, DestinationError> {
        let fields = fields.iter().map(|f| encode(f)).collect::<Vec<_>>().join(",");
        let mut rows = Vec::new();
        for chunk in key_chunks(keys) {
            let filter = serde_json::json!({ key_field: { "_in": chunk } }).to_string();
            let path =
                format!("{}?fields={fields}&limit={}&filter={}", items_path(collection), chunk.len(), encode(&filter));
            rows.extend(self.get::<Vec<Row>>(&path).await?);
        }
        Ok(rows)
    }

    /// A singleton's row with `fields`; `None` when it has none yet.
    pub async fn singleton_row(
        &self,
        collection: &str,
        key_field: &str,
        fields: &[String],
    ) -> Result<Option<Row>, DestinationError> {
        let fields = fields.iter().map(|f| encode(f)).collect::<Vec<_>>().join(",");
        let row: Option<Row> = self.get(&format!("{}?fields={fields}", items_path(collection))).await?;
        Ok(row.filter(|r| r.get(key_field).is_some_and(|k| !k.is_null())))
    }

    /// How many rows `collection` has (`aggregate[count]=*`, counted in the destination's database).
    pub async fn count_items(&self, collection: &str) -> Result<u64, DestinationError> {
        let path = format!("{}?aggregate%5Bcount%5D=*", items_path(collection));
        let answer: Value = self.get(&path).await?;
        let count = match &answer {
            Value::Array(rows) => rows.first().map(|r| &r["count"]),
            other => Some(&other["count"]),
        };
        match count {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| DestinationError::Unexpected {
            path: path_only(&path).into(),
            reason: format!("the count is not a number: {answer}"),
        })
    }

    /// The rows of a table by key, read by the bulk receiver in the database's representation.
    pub async fn receiver_rows_by_key(
        &self,
        collection: &str,
        key_field: &str,
        columns: &[String],
        keys: &[Value],
    ) -> Result<Vec<Row>, DestinationError> {
        let path = "/migration/receive/rows-by-key";
        let body =
            serde_json::json!({ "collection": collection, "primaryKey": key_field, "columns": columns, "keys": keys });
        let response = self.send(Method::Post, path, Some(body.to_string())).await?;
        serde_json::from_str(&response.body)
            .map_err(|e| DestinationError::Unexpected { path: path.into(), reason: e.to_string() })
    }

    /// sha256 and size of the destination's copy of `file` (`GET /assets/:id`, hashed by
    /// `digester` as it streams); `None` when the destination has no such file.
    pub async fn asset_digest<D: DownloadDigester>(
        &self,
        digester: &D,
        file: &str,
        timeout_ms: u32,
    ) -> Result<Option<FileDigest>, DestinationError> {
        let path = format!("/assets/{}", encode(file));
        let download = StreamedDownload { url: self.url(&path), headers: vec![], timeout_ms };
        let attempt = || async {
            Ok::<Result<HttpResponse, TransportError>, std::convert::Infallible>(
                digester.digest_download(&download, self.token()).await,
            )
        };
        let outcome = match self.retrying(&path, self.retry_policy(), attempt).await {
            Ok(outcome) => outcome,
            Err(infallible) => match infallible {},
        };
        match outcome {
            Ok(response) => serde_json::from_str(&response.body)
                .map(Some)
                .map_err(|e| DestinationError::Unexpected { path: "/assets".into(), reason: e.to_string() }),
            Err(DestinationError::Rejected { status: 403 | 404, .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, destination, Scripted};

    #[test]
    fn reads_rows_by_key_with_their_fields_and_counts_in_the_database() {
        let transport = Scripted::new(vec![
            answer(200, r#"{"data":[{"id":2,"title":"Two"}]}"#),
            answer(200, r#"{"data":[{"count":"41"}]}"#),
        ]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let fields = vec!["id".to_string(), "title".to_string()];
        let rows = block_on(dest.items_by_keys("articles", "id", &fields, &[json!(1), json!(2)])).unwrap();
        assert_eq!(rows[0]["title"], json!("Two"));
        assert_eq!(block_on(dest.count_items("articles")).unwrap(), 41);
        assert_eq!(
            transport.requests(),
            vec![
                "GET /items/articles?fields=id,title&limit=2&filter=%7B%22id%22%3A%7B%22_in%22%3A%5B1%2C2%5D%7D%7D",
                "GET /items/articles?aggregate%5Bcount%5D=*"
            ]
        );
    }
}
