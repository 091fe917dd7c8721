//! What the instance's environment configures for the extension, read by the endpoint from
//! Directus' `env` and handed to the core with every request.

use serde::Deserialize;

use crate::destination::outbound::OutboundRules;
use crate::CoreError;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", default)]
pub struct ExtensionSettings {
    /// `MIGRATION_ALLOWED_DESTINATIONS`: comma-separated origins tokens may be sent to; empty
    /// allows any.
    pub allowed_destinations: String,
    /// `MIGRATION_ALLOWED_CALLBACKS`: comma-separated origins a `callbackUrl` may point at; empty
    /// allows any whose addresses `IMPORT_IP_DENY_LIST` does not deny.
    pub allowed_callbacks: String,
    /// Directus' `IMPORT_IP_DENY_LIST`, as the instance has it; `None` (not given): Directus'
    /// default, `0.0.0.0,169.254.169.254`.
    pub ip_deny_list: Option<Vec<String>>,
    /// `MIGRATION_CALLBACK_SECRET`: when set, callbacks carry `X-Migration-Signature: sha256=…`.
    pub callback_secret: String,
    /// `MIGRATION_STORAGE_LOCATION`: the storage location artifacts are written to; empty: `local`
    /// when the instance has it, otherwise its first.
    pub storage_location: String,
    /// `STORAGE_LOCATIONS`: the instance's storage locations, in order.
    pub storage_locations: Vec<String>,
    /// `SECRET` is not set: the host seals every artifact with a key derived from it, so there
    /// can be none. (The secret itself never reaches the core.)
    pub secret_missing: bool,
    /// This process, as the job table names lease holders (`host:pid:random`, made once per
    /// process by the shim).
    pub instance: String,
    /// `MIGRATION_JOBS_RETENTION` (see [`crate::runs::jobs::Retention`]).
    pub jobs_retention: String,
    /// The Directus user the request came from (who started a job).
    pub user: Option<String>,
    /// The host reads the source through its REST API (the command line), not in-process: rows
    /// come in the API's representation (see `MigrateOptions::with_source`).
    pub source_over_api: bool,
}

/// Why a run with artifacts is refused on an instance without `SECRET`.
const NO_SECRET: &str = "SECRET is not set on this instance: the migration artifacts are sealed with a key derived from it, so none can be written or read. Set SECRET (and keep it), or send scope.artifacts: false";

impl ExtensionSettings {
    /// Where outbound requests may go (see `crate::destination::outbound`).
    pub fn outbound_rules(&self) -> OutboundRules {
        OutboundRules::new(self.ip_deny_list.as_deref(), &self.allowed_destinations, &self.allowed_callbacks)
    }

    /// The storage location artifacts go to, or why there is none.
    pub fn artifact_storage(&self) -> Result<String, CoreError> {
        if self.secret_missing {
            return Err(CoreError::NoSecret(NO_SECRET.into()));
        }
        let locations: Vec<&str> = self.storage_locations.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
        let wanted = self.storage_location.trim();
        if wanted.is_empty() {
            let chosen = locations.iter().find(|l| **l == "local").or(locations.first());
            return chosen.map(|l| l.to_string()).ok_or_else(|| {
                CoreError::StorageLocation(
                    "this instance has no storage location (STORAGE_LOCATIONS is empty), so the migration artifacts have nowhere to go: configure one, or send scope.artifacts: false".into(),
                )
            });
        }
        if locations.contains(&wanted) {
            return Ok(wanted.to_string());
        }
        Err(CoreError::StorageLocation(format!(
            "MIGRATION_STORAGE_LOCATION is {wanted:?}, which is not a storage location of this instance (STORAGE_LOCATIONS: {}): set it to one of them, or unset it to use {}",
            locations.join(", "),
            if locations.contains(&"local") { "local" } else { "the first" }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(location: &str, locations: &[&str]) -> ExtensionSettings {
        ExtensionSettings {
            storage_location: location.into(),
            storage_locations: locations.iter().map(|l| l.to_string()).collect(),
            ..ExtensionSettings::default()
        }
    }

    #[test]
    fn unset_means_local_when_there_is_one_otherwise_the_first() {
        assert_eq!(settings("", &["s3", "local"]).artifact_storage().unwrap(), "local");
        assert_eq!(settings("  ", &["s3", "archive"]).artifact_storage().unwrap(), "s3");
        assert_eq!(settings("archive", &["local", " archive"]).artifact_storage().unwrap(), "archive");
    }

    #[test]
    fn an_unknown_location_is_refused_by_name() {
        let err = settings("s3-backup", &["local", "archive"]).artifact_storage().unwrap_err();
        assert_eq!((err.status(), err.code()), (400, "INVALID_STORAGE_LOCATION"));
        assert_eq!(
            err.to_string(),
            "MIGRATION_STORAGE_LOCATION is \"s3-backup\", which is not a storage location of this instance (STORAGE_LOCATIONS: local, archive): set it to one of them, or unset it to use local"
        );
        assert_eq!(settings("", &[]).artifact_storage().unwrap_err().code(), "INVALID_STORAGE_LOCATION");
    }

    #[test]
    fn without_secret_no_artifacts_can_be_sealed() {
        let without = ExtensionSettings { secret_missing: true, ..settings("", &["local"]) };
        let err = without.artifact_storage().unwrap_err();
        assert_eq!((err.status(), err.code()), (400, "SECRET_NOT_SET"));
        assert!(err.to_string().starts_with("SECRET is not set on this instance"), "{err}");
        assert!(err.to_string().ends_with("or send scope.artifacts: false"), "{err}");
    }
}
