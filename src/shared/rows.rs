//! Rows and keys as the core handles them: a row is a JSON object, and keys compare as text, so a
//! number and the same number in a string (as some drivers return them) are the same key.

use serde_json::{Map, Value};

/// One row: field name to JSON value.
pub type Row = Map<String, Value>;

/// A key as text, so numbers and strings compare the way the destination stores them.
pub fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The value of `field` in `row`, null where the row has none (a key the source or the
/// destination answered without).
pub fn value_of(row: &Row, field: &str) -> Value {
    row.get(field).cloned().unwrap_or(Value::Null)
}

/// The named fields of `row` (those it has), as a new row.
pub fn pick<'f>(row: &Row, fields: impl IntoIterator<Item = &'f str>) -> Row {
    fields.into_iter().filter_map(|f| row.get(f).map(|v| (f.to_string(), v.clone()))).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_and_strings_compare_as_text() {
        assert_eq!(key_text(&json!(12)), "12");
        assert_eq!(key_text(&json!("12")), "12");
        assert_eq!(key_text(&json!("a-b")), "a-b");
    }

    #[test]
    fn picks_the_fields_a_row_has() {
        let row = json!({ "id": 1, "a": "x", "b": null }).as_object().unwrap().clone();
        assert_eq!(Value::Object(pick(&row, ["id", "b", "missing"])), json!({ "id": 1, "b": null }));
    }
}
