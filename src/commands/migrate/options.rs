//! The options of a data run from a request: its `scope`, validated, with the defaults applied,
//! and where its artifacts go.

use crate::commands::request::MigrationRequest;
use crate::commands::settings::ExtensionSettings;
use crate::pipeline::options::{MigrateOptions, TransportChoice, DEFAULT_CONCURRENCY, DEFAULT_FILE_CONCURRENCY};
use crate::shared::runtime::Cancel;
use crate::CoreError;

/// Why a source read over REST lacks what the bulk receiver needs.
const API_SOURCE: &str = "this source is read through its REST API (the command line)";

impl MigrateOptions {
    /// Where the run's artifacts go (`scope.artifacts`, default true, and the instance's storage
    /// settings). Checked last, once the request itself is known to be good: a storage location
    /// the instance does not have is refused before the run starts.
    pub fn with_artifacts(
        mut self,
        request: &MigrationRequest,
        settings: &ExtensionSettings,
    ) -> Result<Self, CoreError> {
        if request.scope.artifacts != Some(false) {
            self.artifacts = Some(settings.artifact_storage()?);
        }
        Ok(self)
    }

    /// What the source's host can read: the command line reads the source through its REST API,
    /// so rows come in the API's representation (the bulk receiver is sent them as such). Password
    /// hashes, which the API never gives, are refused, saying so.
    pub fn with_source(mut self, settings: &ExtensionSettings) -> Result<Self, CoreError> {
        if !settings.source_over_api {
            return Ok(self);
        }
        if self.user_passwords {
            return Err(CoreError::InvalidInput(format!("scope.userPasswords needs the extension installed on the source: {API_SOURCE}, which never gives password hashes")));
        }
        self.rows_as_stored = false;
        Ok(self)
    }

    /// The options `request` sets, without artifacts.
    pub fn from_request(request: &MigrationRequest, dry_run: bool) -> Result<Self, CoreError> {
        let scope = &request.scope;
        // Also checked as the body is parsed, for every route; again here for a request built
        // otherwise.
        scope.validate()?;
        let batch_size = scope.batch_size;
        let concurrency = scope.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        let file_concurrency = scope.file_concurrency.unwrap_or(DEFAULT_FILE_CONCURRENCY);
        let transport = match scope.transport.as_deref() {
            Some("rest") => TransportChoice::Rest,
            Some("bulk") => TransportChoice::Bulk,
            _ => TransportChoice::Auto,
        };
        Ok(MigrateOptions {
            dry_run,
            force: scope.force,
            selected: scope.selected_tables.clone(),
            excluded: scope.excluded_tables.clone(),
            updated_after: scope.updated_after.clone(),
            batch_size,
            concurrency,
            file_concurrency,
            preserve_created: scope.preserve_created.unwrap_or(true),
            merge: scope.mode.as_deref() == Some("merge"),
            delete_missing: scope.delete_missing,
            transport,
            cancel: Cancel::default(),
            verify: scope.verify,
            user_passwords: scope.user_passwords,
            artifacts: None,
            resume: None,
            rows_as_stored: true,
        })
    }
}
