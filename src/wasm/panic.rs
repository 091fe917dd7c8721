//! The panic hook: a panic (none is reachable by design; see the lints in `lib.rs`) is logged
//! through Directus' logger with its message and location before the instance traps, so the shim's
//! recovery (see `js-shim/endpoint/core.js`) has a cause to point to.

use std::cell::RefCell;
use std::sync::Once;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::panic_line;

thread_local! {
    /// The logger the shim gave (Directus' `context.logger`).
    static LOGGER: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

static INSTALLED: Once = Once::new();

/// Log panics through `logger.error` (Directus' logger); installed once per instance, the logger
/// replaced by the last one given.
#[wasm_bindgen(js_name = installPanicHook)]
pub fn install_panic_hook(#[wasm_bindgen(unchecked_param_type = "{ error(line: string): void }")] logger: JsValue) {
    LOGGER.with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(logger);
        }
    });
    INSTALLED.call_once(|| std::panic::set_hook(Box::new(|info| log(&panic_line(info)))));
}

fn log(line: &str) {
    LOGGER.with(|slot| {
        let Ok(slot) = slot.try_borrow() else { return };
        let Some(logger) = slot.as_ref() else { return };
        let error = js_sys::Reflect::get(logger, &"error".into()).ok();
        if let Some(error) = error.and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
            let _ = error.call1(logger, &JsValue::from_str(line));
        }
    });
}
