//! HTTP as the core sees it, independent of how it is carried: one exchange ([`Transport`]: WASM
//! sends it with `fetch`, tests answer it from a script), one streamed file upload
//! ([`FileStreamer`]: the host pipes the bytes from the source's storage), and one download hashed
//! as it streams ([`DownloadDigester`]: the verification's file checksums).

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request ready to send. `headers` never include `Authorization`: the transport adds the token
/// itself, so a request can be logged or put in an error without leaking it.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub timeout_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpResponse {
    pub status: u16,
    /// Raw `Retry-After` header, when the server sent one.
    pub retry_after: Option<String>,
    /// `Location` of a redirect (redirects are never followed: the token would go with them).
    pub location: Option<String>,
    pub body: String,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Failures below HTTP: nothing came back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// DNS, connection refused, reset, TLS…: the reason as the platform reported it.
    #[error("{0}")]
    Network(String),
    /// No complete response within the request's timeout.
    #[error("no response within {0} ms")]
    Timeout(u32),
}

/// Carries requests: to the destination with its `token`, attached as `Authorization: Bearer …`;
/// to a callback URL with none.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&self, request: &HttpRequest, token: Option<&str>) -> Result<HttpResponse, TransportError>;
}

/// A file streamed from the source into a request to the destination: `prefix`, the file's bytes,
/// then `suffix`, as the body of a `POST` to `url`. Like [`HttpRequest`], `headers` never include
/// `Authorization`: the streamer adds the token itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct StreamedUpload {
    /// The source file's id (`directus_files.id`).
    pub file: String,
    /// `POST` a new file, or `PATCH` an existing one's content.
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub prefix: String,
    pub suffix: String,
    pub timeout_ms: u32,
}

/// Why a streamed upload failed: the source could not give the file, or the transfer failed.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamError {
    /// The source's storage could not read the file (not retried: reported against the file).
    Source {
        code: Option<String>,
        message: String,
    },
    Transfer(TransportError),
}

/// Streams source files to the destination (the bytes never pass through the core). `token` is
/// attached as `Authorization: Bearer …`.
#[allow(async_fn_in_trait)]
pub trait FileStreamer {
    async fn stream_file(&self, upload: &StreamedUpload, token: &str) -> Result<HttpResponse, StreamError>;
}

/// A download hashed as it streams (`GET url`): the body's sha256 and length, never its bytes.
/// Like [`HttpRequest`], `headers` never include `Authorization`: the digester adds the token.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct StreamedDownload {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: u32,
}

/// A file's checksum: sha256 of its bytes (hex) and how many there were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct FileDigest {
    pub sha256: String,
    pub bytes: u64,
}

/// Hashes downloads from the destination as they stream (the bytes never enter the core). A
/// success's `body` is the [`FileDigest`] as JSON; any other answer's is the destination's own.
#[allow(async_fn_in_trait)]
pub trait DownloadDigester {
    async fn digest_download(&self, download: &StreamedDownload, token: &str) -> Result<HttpResponse, TransportError>;
}
