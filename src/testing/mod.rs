//! Test doubles shared by the native tests: a scripted destination transport, an in-memory
//! Directus, and helpers.

pub mod fake_directus;
mod floats;
mod memory_store;

pub use memory_store::MemoryStore;

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::destination::{Destination, DestinationConfig};
use crate::host::memory::MemoryHost;
use crate::pipeline::schema::Snapshot;
use crate::shared::http::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::shared::runtime::fake::FakeClock;
use crate::shared::runtime::Clock;

/// A row from a JSON object literal (tests write rows as `json!({...})`).
pub fn row(value: serde_json::Value) -> crate::shared::rows::Row {
    value.as_object().cloned().expect("a row is a JSON object")
}

/// Answers requests from a script, in order, and records what it was asked.
#[derive(Default)]
pub struct Scripted {
    answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    pub seen: RefCell<Vec<(HttpRequest, String)>>,
}

impl Scripted {
    pub fn new(answers: Vec<Result<HttpResponse, TransportError>>) -> Self {
        Scripted { answers: RefCell::new(answers.into()), seen: RefCell::default() }
    }

    pub fn calls(&self) -> usize {
        self.seen.borrow().len()
    }

    /// `METHOD path` of every request, in order.
    pub fn requests(&self) -> Vec<String> {
        self.seen
            .borrow()
            .iter()
            .map(|(r, _)| format!("{} {}", r.method.as_str(), r.url.trim_start_matches("https://dest.example")))
            .collect()
    }
}

impl Transport for &Scripted {
    async fn send(&self, request: &HttpRequest, token: Option<&str>) -> Result<HttpResponse, TransportError> {
        self.seen.borrow_mut().push((request.clone(), token.unwrap_or_default().to_string()));
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("no scripted answer left for {} {}", request.method.as_str(), request.url))
    }
}

impl Clock for &FakeClock {
    fn now_ms(&self) -> f64 {
        (*self).now_ms()
    }
    async fn sleep(&self, ms: u64) {
        (*self).sleep(ms).await
    }
    fn random(&self) -> f64 {
        (*self).random()
    }
}

pub fn answer(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse { status, retry_after: None, location: None, body: body.to_string() })
}

/// A client for `https://dest.example` with token `s3cret`.
pub fn destination<'a>(transport: &'a Scripted, clock: &'a FakeClock) -> Destination<&'a Scripted, &'a FakeClock> {
    Destination::new(DestinationConfig::new("https://dest.example/", "s3cret"), transport, clock).unwrap()
}

/// A source whose snapshot is empty but for its version and vendor.
pub fn source_host(version: &str, vendor: &str) -> MemoryHost {
    let snapshot = serde_json::json!({ "version": 1, "directus": version, "vendor": vendor });
    MemoryHost::with_snapshot(serde_json::from_value::<Snapshot>(snapshot).unwrap())
}

/// Where events go when a test does not look at them.
pub struct NoEmit;

impl crate::runs::progress::Emit for NoEmit {
    fn emit(&self, _event: &crate::runs::progress::Event) {}
}
