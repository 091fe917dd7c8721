//! One serializer for everything that crosses the boundary: JSON-compatible (maps as plain
//! objects, missing values as `null`, numbers as numbers).

use serde::Serialize;
use wasm_bindgen::JsValue;

pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&format!("could not convert a result for JavaScript: {e}"))))
}
