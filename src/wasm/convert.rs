//! One serializer for everything that crosses the boundary: JSON-compatible (maps as plain
//! objects, missing values as `null`, numbers as numbers).

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::CoreError;

pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&format!("could not convert a result for JavaScript: {e}"))))
}

#[allow(dead_code)]
pub fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, CoreError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| CoreError::InvalidInput(format!("{what}: {e}")))
}
