//! A folder of artifacts: made inside `Migrations` (itself made when missing), holding new files
//! only, with the record of what was saved and what is missing.

use serde::Serialize;

use super::stream::Streamed;
use super::{file_name, CONTENT_TYPE, TOP_FOLDER};
use crate::host::{FolderRequest, Host, NewFile};
use crate::runs::progress::Event;
use crate::runs::report::ArtifactsReport;
use crate::shared::runtime::Clock;

pub struct Folder<'a, H, C> {
    host: &'a H,
    clock: &'a C,
    storage: String,
    id: String,
    report: ArtifactsReport,
}

impl<'a, H: Host, C: Clock> Folder<'a, H, C> {
    /// A new folder `name` in `Migrations`, for files in `storage`. When the library refuses it:
    /// the report, with every one of `planned` (base names) missing, and why.
    pub async fn create(
        host: &'a H,
        clock: &'a C,
        storage: &str,
        name: &str,
        planned: &[&str],
    ) -> Result<Self, ArtifactsReport> {
        let mut report = ArtifactsReport::to(storage);
        let made = async {
            let top = FolderRequest { name: TOP_FOLDER.to_string(), parent: None };
            let top = match host.find_folder(&top).await? {
                Some(id) => id,
                None => host.create_folder(&top).await?,
            };
            host.create_folder(&FolderRequest { name: name.to_string(), parent: Some(top) }).await
        };
        match made.await {
            Ok(id) => {
                report.folder_id = Some(id.clone());
                report.folder = Some(format!("{TOP_FOLDER}/{name}"));
                host.emit(&Event::step(format!("Artifacts: saving to {TOP_FOLDER}/{name} (storage {storage})")));
                Ok(Folder { host, clock, storage: storage.to_string(), id, report })
            }
            Err(error) => {
                let reason = format!("the folder {TOP_FOLDER}/{name} could not be made: {}", error.message);
                for base in planned {
                    report.missing(file_name(base, clock.now_ms()), &reason);
                }
                host.emit(&Event::step(format!("Artifacts: none saved: {reason}")));
                Err(report)
            }
        }
    }

    /// A new file `<base>_<now>.json`, to write as a stream.
    pub async fn open(&self, base: &str) -> Streamed<'a, H> {
        let file = NewFile {
            storage: self.storage.clone(),
            folder: self.id.clone(),
            filename: file_name(base, self.clock.now_ms()),
            content_type: CONTENT_TYPE.to_string(),
        };
        Streamed::open(self.host, file).await
    }

    /// Close `stream` and record it, saved or missing.
    pub async fn close(&mut self, stream: Streamed<'a, H>) {
        match stream.close().await {
            Ok(saved) => self.report.saved(saved),
            Err((name, reason)) => {
                self.host.emit(&Event::step(format!("Artifacts: {name} could not be saved: {reason}")));
                self.report.missing(name, &reason);
            }
        }
    }

    /// `value` as pretty JSON in a new file `<base>_<now>.json`.
    pub async fn save<T: Serialize>(&mut self, base: &str, value: &T) {
        let mut stream = self.open(base).await;
        match serde_json::to_string_pretty(value) {
            Ok(text) => stream.write(&text).await,
            Err(error) => stream.fail(format!("not serialisable: {error}")),
        }
        self.close(stream).await;
    }

    /// The artifact `<base>_<now>.json` could not even be written: `reason`.
    pub fn missing(&mut self, base: &str, reason: &str) {
        let name = file_name(base, self.clock.now_ms());
        self.host.emit(&Event::step(format!("Artifacts: {name} could not be saved: {reason}")));
        self.report.missing(name, reason);
    }

    pub fn report(&self) -> &ArtifactsReport {
        &self.report
    }

    pub fn finish(self) -> ArtifactsReport {
        self.report
    }
}

/// Save the final report (`text`, what the caller hears at the end) as `report_<now>.json` in the
/// folder `artifacts` names, and list it there. Nothing when the artifacts were skipped, or have
/// no folder (they are all listed as missing already).
pub async fn save_report<H: Host, C: Clock>(host: &H, clock: &C, artifacts: &mut ArtifactsReport, text: &str) {
    let (Some(storage), Some(id)) = (artifacts.storage.clone(), artifacts.folder_id.clone()) else { return };
    let mut folder = Folder { host, clock, storage, id, report: std::mem::take(artifacts) };
    let mut stream = folder.open("report").await;
    stream.write(text).await;
    folder.close(stream).await;
    *artifacts = folder.finish();
}
