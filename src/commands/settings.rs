//! What the instance's environment configures for the extension, read by the endpoint from
//! Directus' `env` and handed to the core with every request.

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExtensionSettings {
    /// `MIGRATION_ALLOWED_DESTINATIONS`: comma-separated origins tokens may be sent to; empty
    /// allows any.
    pub allowed_destinations: String,
    /// `MIGRATION_CALLBACK_SECRET`: when set, callbacks carry `X-Migration-Signature: sha256=…`.
    pub callback_secret: String,
}
