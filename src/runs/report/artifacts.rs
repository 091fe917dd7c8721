//! What a run (or a schema sync) saved in the source's file library: its folder, each file's id,
//! and what is missing and why.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "lowercase")]
pub enum ArtifactsStatus {
    /// Every artifact is in the library.
    Saved,
    /// None was asked for (`reason` says why).
    #[default]
    Skipped,
    /// Some or all are missing (`missing`, and `reason`: the first failure's message).
    Failed,
}

/// One file saved in the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct SavedArtifact {
    /// Its `filename_download`: `items_full_data_2026-11-22T10-30-45-123Z.json`.
    pub name: String,
    /// Its `directus_files.id`.
    pub id: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct ArtifactsReport {
    pub status: ArtifactsStatus,
    /// The storage location written to.
    pub storage: Option<String>,
    /// The run's folder (`directus_folders.id`): `/admin/files/folders/<folderId>` shows it.
    pub folder_id: Option<String>,
    /// Its path in the library: `Migrations/Migration 2026-11-22T10-30-45-123Z`.
    pub folder: Option<String>,
    pub files: Vec<SavedArtifact>,
    /// The artifacts that could not be saved, by name.
    pub missing: Vec<String>,
    /// Why none were saved, or why some are missing (the storage's own message).
    pub reason: Option<String>,
    /// Who can read what was written ([`SEALED`]); `None` when nothing was to be written.
    pub access: Option<String>,
}

/// What the report says of the files' access: they are sealed (by the host, under `SECRET`).
pub const SEALED: &str = "sealed under this instance's SECRET: admins open each file with GET /migration/artifacts/<id>; anyone else who may read directus_files (a Public policy, an editor) gets sealed bytes and no row data";

/// The storage the command line names its `--artifacts DIR` by (`folder:<DIR>`): a folder on the
/// machine it runs on, not a storage location of the source.
pub const FOLDER_STORAGE: &str = "folder:";

/// What the report says of the files' access in such a folder: the host writes them as they are.
pub const PLAIN: &str = "written as plain files that only their owner may read (the command line's --artifacts folder)";

impl ArtifactsReport {
    pub fn skipped(reason: impl Into<String>) -> Self {
        ArtifactsReport { reason: Some(reason.into()), ..ArtifactsReport::default() }
    }

    /// Artifacts about to be written to `storage`, in no folder yet.
    pub fn to(storage: &str) -> Self {
        ArtifactsReport {
            status: ArtifactsStatus::Saved,
            storage: Some(storage.to_string()),
            access: Some(if storage.starts_with(FOLDER_STORAGE) { PLAIN } else { SEALED }.to_string()),
            ..Self::default()
        }
    }

    pub fn saved(&mut self, artifact: SavedArtifact) {
        self.files.push(artifact);
    }

    /// `name` could not be saved; the first reason is kept.
    pub fn missing(&mut self, name: impl Into<String>, reason: &str) {
        self.status = ArtifactsStatus::Failed;
        self.missing.push(name.into());
        self.reason.get_or_insert_with(|| reason.to_string());
    }

    /// `Artifacts: 5 file(s) saved in Migrations/Migration … (storage local, folder 3f2a…), sealed: …`
    pub fn line(&self) -> String {
        let place = || {
            format!(
                "{} (storage {}, folder {})",
                self.folder.as_deref().unwrap_or("no folder"),
                self.storage.as_deref().unwrap_or("none"),
                self.folder_id.as_deref().unwrap_or("none")
            )
        };
        let reason = self.reason.as_deref().unwrap_or("no reason given");
        match self.status {
            ArtifactsStatus::Saved => {
                format!(
                    "Artifacts: {} file(s) saved in {}, {}",
                    self.files.len(),
                    place(),
                    self.access.as_deref().unwrap_or(SEALED)
                )
            }
            ArtifactsStatus::Skipped => format!("Artifacts: none saved ({reason})"),
            ArtifactsStatus::Failed => format!(
                "Artifacts missing: {} ({reason}); {} file(s) saved in {}",
                self.missing.join(", "),
                self.files.len(),
                place()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_where_and_what_is_missing() {
        let mut report = ArtifactsReport::to("local");
        report.folder = Some("Migrations/Migration 1970-01-01T00-00-00-000Z".into());
        report.folder_id = Some("f1".into());
        report.saved(SavedArtifact { name: "schema_x.json".into(), id: "a".into(), bytes: 2 });
        assert_eq!(
            report.line(),
            format!("Artifacts: 1 file(s) saved in Migrations/Migration 1970-01-01T00-00-00-000Z (storage local, folder f1), {SEALED}")
        );
        assert!(SEALED.starts_with(
            "sealed under this instance's SECRET: admins open each file with GET /migration/artifacts/<id>"
        ));
        assert_eq!(report.access.as_deref(), Some(SEALED));
        assert_eq!(ArtifactsReport::skipped("scope.artifacts is false").access, None);
        let folder = ArtifactsReport::to("folder:/tmp/artifacts");
        assert_eq!(folder.access.as_deref(), Some(PLAIN), "a local folder's files are not sealed");
        report.missing("files_x.json", "EACCES: permission denied");
        report.missing("report_x.json", "later");
        assert_eq!(report.status, ArtifactsStatus::Failed);
        assert!(report.line().starts_with("Artifacts missing: files_x.json, report_x.json (EACCES: permission denied); 1 file(s) saved in Migrations/"), "{}", report.line());
        assert_eq!(
            ArtifactsReport::skipped("scope.artifacts is false").line(),
            "Artifacts: none saved (scope.artifacts is false)"
        );
    }
}
