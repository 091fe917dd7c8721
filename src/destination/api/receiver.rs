//! The bulk receiver on the destination (its own copy of this extension), and the cache clear a
//! bulk run needs afterwards.

use serde_json::Value;

use super::super::client::Destination;
use super::super::error::DestinationError;
use super::super::retry::RetryPolicy;
use crate::shared::http::{Method, Transport};
use crate::shared::runtime::Clock;
use crate::shared::wire::{Receipt, ReceiverInfo};

impl<T: Transport, C: Clock> Destination<T, C> {
    /// The bulk receiver's identity, `None` when the destination has none (no route, or an
    /// older copy of the extension without it).
    pub async fn receiver_info(&self) -> Result<Option<ReceiverInfo>, DestinationError> {
        let response =
            self.send_with(Method::Get, "/migration/receive/info", None, &RetryPolicy::default(), 30_000).await;
        match response {
            Ok(response) => Ok(serde_json::from_str(&response.body).ok()),
            Err(DestinationError::Rejected { status: 403..=405, .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Send a batch to the bulk receiver.
    pub async fn receive(&self, batch: String) -> Result<Receipt, DestinationError> {
        let response = self.post_typed("/migration/receive/rows", batch, "application/x-ndjson").await?;
        serde_json::from_str(&response.body)
            .map_err(|e| DestinationError::Unexpected { path: "/migration/receive/rows".into(), reason: e.to_string() })
    }

    /// Which of `keys` a table has, asked of the bulk receiver (no URL length to mind).
    pub async fn receiver_existing(
        &self,
        collection: &str,
        key_field: &str,
        keys: &[Value],
    ) -> Result<Vec<Value>, DestinationError> {
        let path = "/migration/receive/existing";
        let body = serde_json::json!({ "collection": collection, "primaryKey": key_field, "keys": keys }).to_string();
        let response = self.send(Method::Post, path, Some(body)).await?;
        serde_json::from_str(&response.body)
            .map_err(|e| DestinationError::Unexpected { path: path.into(), reason: e.to_string() })
    }

    /// Which of `keys` have `field` null, asked of the bulk receiver. `None` when the receiver
    /// predates the route.
    pub async fn receiver_lacking(
        &self,
        collection: &str,
        key_field: &str,
        field: &str,
        keys: &[Value],
    ) -> Result<Option<Vec<Value>>, DestinationError> {
        let path = "/migration/receive/lacking";
        let body =
            serde_json::json!({ "collection": collection, "primaryKey": key_field, "field": field, "keys": keys })
                .to_string();
        match self.send(Method::Post, path, Some(body)).await {
            Ok(response) => serde_json::from_str(&response.body)
                .map(Some)
                .map_err(|e| DestinationError::Unexpected { path: path.into(), reason: e.to_string() }),
            Err(DestinationError::Rejected { status: 404, .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// `POST /utils/cache/clear`: rows written around Directus' services must not hide behind
    /// its caches.
    pub async fn clear_cache(&self) -> Result<(), DestinationError> {
        self.send(Method::Post, "/utils/cache/clear", None).await.map(|_| ())
    }
}
