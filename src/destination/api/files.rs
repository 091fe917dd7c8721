//! File uploads: `POST /files` (or `PATCH /files/:id`, to replace the content) with a multipart body whose file part the host streams from the
//! source's storage. The token goes to the streamer as it goes to the transport: as a header the
//! streamer attaches, never in the upload description.

use super::super::client::Destination;
use super::super::error::DestinationError;
use super::items::encode;
use crate::shared::http::{FileStreamer, HttpResponse, Method, StreamError, StreamedUpload, Transport};
use crate::shared::runtime::Clock;

/// What to send: the multipart envelope around the file's bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// The source file's id (`directus_files.id`).
    pub file: String,
    /// `multipart/form-data; boundary=…`
    pub content_type: String,
    pub prefix: String,
    pub suffix: String,
    pub timeout_ms: u32,
    /// Replace the content of the destination's file of that id (`PATCH /files/:id`) rather
    /// than create it.
    pub replace: bool,
}

/// The source could not read the file: not retried, reported against the file.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUnreadable(pub String);

impl<T: Transport, C: Clock> Destination<T, C> {
    /// Upload one file with the client's retry policy (each attempt streams the file again).
    /// The outer `Err` is for a file the source could not read.
    pub async fn upload_file<S: FileStreamer>(
        &self,
        streamer: &S,
        upload: &Upload,
    ) -> Result<Result<HttpResponse, DestinationError>, SourceUnreadable> {
        let (method, path) = match upload.replace {
            true => (Method::Patch, format!("/files/{}?fields=id,filesize", encode(&upload.file))),
            false => (Method::Post, "/files?fields=id,filesize".to_string()),
        };
        let request = StreamedUpload {
            file: upload.file.clone(),
            method,
            url: self.url(&path),
            headers: vec![
                ("Content-Type".into(), upload.content_type.clone()),
                ("Accept".into(), "application/json".into()),
            ],
            prefix: upload.prefix.clone(),
            suffix: upload.suffix.clone(),
            timeout_ms: upload.timeout_ms,
        };
        let attempt = || async {
            match streamer.stream_file(&request, self.token()).await {
                Ok(response) => Ok(Ok(response)),
                Err(StreamError::Transfer(error)) => Ok(Err(error)),
                Err(StreamError::Source { message, .. }) => Err(SourceUnreadable(message)),
            }
        };
        self.retrying(&path, self.retry_policy(), attempt).await
    }
}
