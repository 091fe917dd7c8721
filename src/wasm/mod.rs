//! The WASM boundary, the only code that knows about JavaScript.
//!
//! Every exported method has the same shape: convert the arguments, call the core, convert the
//! result or the error. Host calls go the other way through the imported `MigrationHost`.

mod clock;
mod convert;
mod error;
#[allow(dead_code)] // wired to the destination by the check and sync commands
mod fetch;
mod host;

use wasm_bindgen::prelude::*;

use crate::commands;
use clock::JsClock;
use convert::to_js;
pub use host::JsHost;
use host::HostAdapter;

/// The migration core. The endpoint creates one per request with a host bound to the caller.
#[wasm_bindgen]
pub struct Core {
    #[allow(dead_code)]
    host: HostAdapter,
}

#[wasm_bindgen]
impl Core {
    #[wasm_bindgen(constructor)]
    pub fn new(host: JsHost) -> Core {
        Core { host: HostAdapter::new(host) }
    }

    /// Version of the core crate, for `/migration/check` and diagnostics.
    #[wasm_bindgen(js_name = version)]
    pub fn version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// `GET /migration/test`: `{ message, timestamp }`.
    pub fn ping(&self) -> Result<JsValue, JsValue> {
        to_js(&commands::ping::ping(&JsClock))
    }
}
