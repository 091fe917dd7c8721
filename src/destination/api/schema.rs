//! Directus' server and schema endpoints: ping, the current user, snapshot, diff and apply.

use serde_json::Value;

use super::super::client::{decode_data, path_only, Destination};
use super::super::config::DestinationConfig;
use super::super::error::DestinationError;
use super::super::retry::RetryPolicy;
use crate::pipeline::schema::{DiffResponse, SchemaDiff, Snapshot};
use crate::shared::http::{Method, Transport};
use crate::shared::runtime::Clock;

/// Applying a large schema can take minutes on a busy destination.
const APPLY_TIMEOUT_MS: u32 = 300_000;

impl<T: Transport, C: Clock> Destination<T, C> {
    /// `GET /server/ping` must answer `pong`: proves the URL is a Directus instance.
    /// Tried three times only: a wrong address should fail fast.
    pub async fn ping(&self) -> Result<(), DestinationError> {
        let response = self
            .send_with(Method::Get, "/server/ping", None, &RetryPolicy::quick(), DestinationConfig::DEFAULT_TIMEOUT_MS)
            .await?;
        if response.body.trim() == "pong" {
            Ok(())
        } else {
            Err(DestinationError::Unexpected {
                path: "/server/ping".into(),
                reason: "it did not answer \"pong\", so it does not look like a Directus instance".into(),
            })
        }
    }

    /// The user the token belongs to (`GET /users/me`).
    pub async fn current_user(&self) -> Result<Value, DestinationError> {
        self.get("/users/me?fields=id,email").await
    }

    /// `GET /schema/snapshot` (admin only).
    pub async fn schema_snapshot(&self) -> Result<Snapshot, DestinationError> {
        self.get("/schema/snapshot").await
    }

    /// `POST /schema/diff`; `None` when the destination already matches the snapshot.
    pub async fn schema_diff(
        &self,
        snapshot: &Snapshot,
        force: bool,
    ) -> Result<Option<DiffResponse>, DestinationError> {
        let path = if force { "/schema/diff?force=true" } else { "/schema/diff" };
        let body = serde_json::to_string(snapshot).map_err(|e| DestinationError::Unexpected {
            path: path_only(path).into(),
            reason: format!("snapshot could not be encoded: {e}"),
        })?;
        let response = self.send(Method::Post, path, Some(body)).await?;
        if response.status == 204 || response.body.trim().is_empty() {
            return Ok(None);
        }
        decode_data(path, &response).map(Some)
    }

    /// `POST /schema/apply` with the hash the diff came with. Never retried: the hash check makes a
    /// repeated apply fail rather than apply twice, and the caller diffs again instead.
    pub async fn schema_apply(&self, hash: &str, diff: &SchemaDiff) -> Result<(), DestinationError> {
        let body = serde_json::json!({ "hash": hash, "diff": diff }).to_string();
        self.send_with(Method::Post, "/schema/apply", Some(body), &RetryPolicy::none(), APPLY_TIMEOUT_MS).await?;
        Ok(())
    }
}

impl DestinationError {
    /// The destination refused a schema apply because its schema changed after the diff.
    pub fn is_stale_diff(&self) -> bool {
        matches!(self, DestinationError::Rejected { status: 400, message, .. } if message.contains("generate a new diff"))
    }
}
