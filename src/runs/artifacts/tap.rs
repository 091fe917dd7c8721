//! The source as the data step sees it during a run with artifacts: every page read is also
//! written to the run's artifacts, as it is read. Everything else goes straight to the host.

use super::run::RunArtifacts;
use crate::host::{CountRequest, FolderRequest, Host, HostError, KeysRequest, Library, NewFile, Page, PageRequest};
use crate::pipeline::schema::Snapshot;
use crate::runs::progress::{Emit, Event, Phase, Timings};
use crate::shared::http::{
    DownloadDigester, FileDigest, FileStreamer, HttpResponse, StreamError, StreamedDownload, StreamedUpload,
    TransportError,
};
use crate::shared::rows::Row;
use crate::shared::runtime::Clock;

pub struct Tap<'t, 'a, H, C> {
    artifacts: &'t RunArtifacts<'a, H, C>,
    clock: &'t C,
    /// Where a page's reading and the artifacts' share of it are counted.
    timings: &'t Timings,
}

impl<'t, 'a, H, C> Tap<'t, 'a, H, C> {
    pub fn new(artifacts: &'t RunArtifacts<'a, H, C>, clock: &'t C, timings: &'t Timings) -> Self {
        Tap { artifacts, clock, timings }
    }
}

impl<H: Host, C: Clock> Host for Tap<'_, '_, H, C> {
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError> {
        let read = self.artifacts.host.read_page(request);
        let page = self.timings.time(self.clock, Phase::SourceRead, read).await?;
        let saved = self.artifacts.page(&request.collection, &page.rows);
        self.timings.time(self.clock, Phase::Artifacts, saved).await;
        Ok(page)
    }

    async fn count(&self, request: &CountRequest) -> Result<u64, HostError> {
        self.artifacts.host.count(request).await
    }

    async fn schema_snapshot(&self) -> Result<Snapshot, HostError> {
        self.artifacts.host.schema_snapshot().await
    }

    async fn read_by_keys(&self, request: &KeysRequest) -> Result<Vec<Row>, HostError> {
        self.artifacts.host.read_by_keys(request).await
    }

    async fn file_digest(&self, file: &str) -> Result<FileDigest, HostError> {
        self.artifacts.host.file_digest(file).await
    }

    async fn table_columns(&self, collection: &str) -> Result<Option<Vec<String>>, HostError> {
        self.artifacts.host.table_columns(collection).await
    }
}

impl<H: Library, C> Library for Tap<'_, '_, H, C> {
    async fn find_folder(&self, folder: &FolderRequest) -> Result<Option<String>, HostError> {
        self.artifacts.host.find_folder(folder).await
    }

    async fn create_folder(&self, folder: &FolderRequest) -> Result<String, HostError> {
        self.artifacts.host.create_folder(folder).await
    }

    async fn open_file(&self, file: &NewFile) -> Result<u32, HostError> {
        self.artifacts.host.open_file(file).await
    }

    async fn append_file(&self, handle: u32, text: &str) -> Result<(), HostError> {
        self.artifacts.host.append_file(handle, text).await
    }

    async fn close_file(&self, handle: u32) -> Result<String, HostError> {
        self.artifacts.host.close_file(handle).await
    }
}

impl<H: FileStreamer, C> FileStreamer for Tap<'_, '_, H, C> {
    async fn stream_file(&self, upload: &StreamedUpload, token: &str) -> Result<HttpResponse, StreamError> {
        self.artifacts.host.stream_file(upload, token).await
    }
}

impl<H: DownloadDigester, C> DownloadDigester for Tap<'_, '_, H, C> {
    async fn digest_download(&self, download: &StreamedDownload, token: &str) -> Result<HttpResponse, TransportError> {
        self.artifacts.host.digest_download(download, token).await
    }
}

impl<H: Emit, C> Emit for Tap<'_, '_, H, C> {
    fn emit(&self, event: &Event) {
        self.artifacts.host.emit(event);
    }
}
