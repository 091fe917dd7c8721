//! `CoreError` → a real JS `Error` with `name`, `code` and `status`, in one place, so the shim
//! can map it to an HTTP answer and keep a stack.

use wasm_bindgen::{JsCast, JsValue};

use crate::host::HostError;
use crate::CoreError;

pub fn into_js_error(error: CoreError) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("MigrationError");
    let _ = js_sys::Reflect::set(&js, &"code".into(), &error.code().into());
    let _ = js_sys::Reflect::set(&js, &"status".into(), &error.status().into());
    if let Some(process_id) = error.process_id() {
        let _ = js_sys::Reflect::set(&js, &"processId".into(), &process_id.into());
    }
    if let Some(differences) = error.differences() {
        let list: js_sys::Array = differences.iter().map(|d| JsValue::from_str(d)).collect();
        let _ = js_sys::Reflect::set(&js, &"differences".into(), &list);
    }
    js.into()
}

/// Whatever the host threw (a Directus error, a TypeError, a string…) as a [`HostError`].
pub fn host_error(thrown: JsValue) -> HostError {
    let code = js_sys::Reflect::get(&thrown, &"code".into()).ok().and_then(|c| c.as_string());
    let message = match thrown.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => thrown.as_string().unwrap_or_else(|| format!("{thrown:?}")),
    };
    HostError { code, message }
}
