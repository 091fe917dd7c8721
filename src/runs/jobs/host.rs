//! A host whose progress a job keeps: every event goes to the job first, then on to the host. It
//! announces the job (its `job` event, with its id) the moment the run is under way — never
//! before, so a run refused while it is prepared is still answered with a plain error.

use std::cell::{Cell, RefCell};

use super::Jobs;
use crate::host::{CountRequest, FolderRequest, Host, HostError, KeysRequest, Library, NewFile, Page, PageRequest};
use crate::pipeline::schema::Snapshot;
use crate::runs::progress::{Emit, Event};
use crate::shared::http::{
    DownloadDigester, FileDigest, FileStreamer, HttpResponse, StreamError, StreamedDownload, StreamedUpload,
    TransportError,
};
use crate::shared::rows::Row;

pub struct JobHost<'a, H> {
    host: &'a H,
    jobs: &'a RefCell<Jobs>,
    process_id: String,
    kind: String,
    started: Cell<bool>,
}

impl<'a, H> JobHost<'a, H> {
    pub fn new(host: &'a H, jobs: &'a RefCell<Jobs>, process_id: String, kind: &str) -> Self {
        JobHost { host, jobs, process_id, kind: kind.to_string(), started: Cell::new(false) }
    }

    /// Whether the run got under way (its `job` event went out).
    pub fn started(&self) -> bool {
        self.started.get()
    }
}

impl<H: Emit> JobHost<'_, H> {
    fn pass(&self, event: &Event) {
        // The registry is only ever borrowed for the length of one call.
        if let Ok(mut jobs) = self.jobs.try_borrow_mut() {
            jobs.record(&self.process_id, event);
        }
        self.host.emit(event);
    }
}

impl<H: Emit> Emit for JobHost<'_, H> {
    fn emit(&self, event: &Event) {
        if matches!(event, Event::Started) && !self.started.replace(true) {
            self.pass(&Event::Job { process_id: self.process_id.clone(), kind: self.kind.clone() });
        }
        self.pass(event);
    }
}

impl<H: FileStreamer> FileStreamer for JobHost<'_, H> {
    async fn stream_file(&self, upload: &StreamedUpload, token: &str) -> Result<HttpResponse, StreamError> {
        self.host.stream_file(upload, token).await
    }
}

impl<H: DownloadDigester> DownloadDigester for JobHost<'_, H> {
    async fn digest_download(&self, download: &StreamedDownload, token: &str) -> Result<HttpResponse, TransportError> {
        self.host.digest_download(download, token).await
    }
}

impl<H: Library> Library for JobHost<'_, H> {
    async fn find_folder(&self, folder: &FolderRequest) -> Result<Option<String>, HostError> {
        self.host.find_folder(folder).await
    }

    async fn create_folder(&self, folder: &FolderRequest) -> Result<String, HostError> {
        self.host.create_folder(folder).await
    }

    async fn open_file(&self, file: &NewFile) -> Result<u32, HostError> {
        self.host.open_file(file).await
    }

    async fn append_file(&self, handle: u32, text: &str) -> Result<(), HostError> {
        self.host.append_file(handle, text).await
    }

    async fn close_file(&self, handle: u32) -> Result<String, HostError> {
        self.host.close_file(handle).await
    }
}

impl<H: Host> Host for JobHost<'_, H> {
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError> {
        self.host.read_page(request).await
    }

    async fn count(&self, request: &CountRequest) -> Result<u64, HostError> {
        self.host.count(request).await
    }

    async fn schema_snapshot(&self) -> Result<Snapshot, HostError> {
        self.host.schema_snapshot().await
    }

    async fn read_by_keys(&self, request: &KeysRequest) -> Result<Vec<Row>, HostError> {
        self.host.read_by_keys(request).await
    }

    async fn file_digest(&self, file: &str) -> Result<FileDigest, HostError> {
        self.host.file_digest(file).await
    }

    async fn table_columns(&self, collection: &str) -> Result<Option<Vec<String>>, HostError> {
        self.host.table_columns(collection).await
    }
}
