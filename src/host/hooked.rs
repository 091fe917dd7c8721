//! One way to watch or change what a host does: [`Hooked`] wraps a host and sends every call
//! straight through, but those its [`Hooks`] take — today the events (a job keeps them) and the
//! pages read (a run's artifacts write them). A new host capability is forwarded here once;
//! a new observer is a `Hooks` that overrides the calls it cares about.

use super::{CountRequest, FolderRequest, Host, HostError, KeysRequest, Library, NewFile, Page, PageRequest};
use crate::pipeline::schema::Snapshot;
use crate::runs::progress::{Emit, Event};
use crate::shared::http::{
    DownloadDigester, FileDigest, FileStreamer, HttpResponse, StreamError, StreamedDownload, StreamedUpload,
    TransportError,
};
use crate::shared::rows::Row;

/// The calls an observer may take over; each is given the host it wraps. By default each goes
/// straight to the host.
#[allow(async_fn_in_trait)]
pub trait Hooks<H: Host> {
    /// An event on its way to the host.
    fn emit(&self, host: &H, event: &Event) {
        host.emit(event);
    }

    /// A page read from the host.
    async fn read_page(&self, host: &H, request: &PageRequest) -> Result<Page, HostError> {
        host.read_page(request).await
    }
}

/// `host` with `hooks` in front of it.
pub struct Hooked<'h, H, K> {
    pub host: &'h H,
    pub hooks: K,
}

impl<'h, H, K> Hooked<'h, H, K> {
    pub fn new(host: &'h H, hooks: K) -> Self {
        Hooked { host, hooks }
    }
}

impl<H: Host, K: Hooks<H>> Emit for Hooked<'_, H, K> {
    fn emit(&self, event: &Event) {
        self.hooks.emit(self.host, event);
    }
}

impl<H: Host, K: Hooks<H>> Host for Hooked<'_, H, K> {
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError> {
        self.hooks.read_page(self.host, request).await
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

impl<H: Host, K> Library for Hooked<'_, H, K> {
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

impl<H: Host, K> FileStreamer for Hooked<'_, H, K> {
    async fn stream_file(&self, upload: &StreamedUpload, token: &str) -> Result<HttpResponse, StreamError> {
        self.host.stream_file(upload, token).await
    }
}

impl<H: Host, K> DownloadDigester for Hooked<'_, H, K> {
    async fn digest_download(&self, download: &StreamedDownload, token: &str) -> Result<HttpResponse, TransportError> {
        self.host.digest_download(download, token).await
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::host::memory::MemoryHost;

    /// Counts pages and keeps events' kinds, passing both on.
    #[derive(Default)]
    struct Watch {
        pages: RefCell<u32>,
        events: RefCell<Vec<String>>,
    }

    impl<H: Host> Hooks<H> for Watch {
        fn emit(&self, host: &H, event: &Event) {
            self.events.borrow_mut().push(format!("{event:?}").chars().take(7).collect());
            host.emit(event);
        }

        async fn read_page(&self, host: &H, request: &PageRequest) -> Result<Page, HostError> {
            *self.pages.borrow_mut() += 1;
            host.read_page(request).await
        }
    }

    #[test]
    fn hooks_see_what_they_take_and_the_host_gets_everything() {
        let host = MemoryHost::with_table("tags", [serde_json::json!({"id": 1}), serde_json::json!({"id": 2})]);
        let hooked = Hooked::new(&host, Watch::default());
        let request = PageRequest {
            collection: "tags".into(),
            primary_key: "id".into(),
            fields: vec![],
            after: None,
            limit: 10,
            filter: None,
            raw: false,
            exact: vec![],
        };
        let page = futures::executor::block_on(hooked.read_page(&request)).unwrap();
        assert_eq!(page.rows.len(), 2);
        hooked.emit(&Event::Started);
        let count =
            futures::executor::block_on(hooked.count(&CountRequest { collection: "tags".into(), filter: None }));
        assert_eq!(count.unwrap(), 2);
        assert_eq!(*hooked.hooks.pages.borrow(), 1);
        assert_eq!(hooked.hooks.events.borrow().len(), 1);
        assert_eq!(host.events.borrow().len(), 1, "the event went on to the host");
        assert_eq!(host.calls(), 1, "the page was read from the host");
    }
}
