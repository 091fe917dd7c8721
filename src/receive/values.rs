//! Values bound per column type. Rows arrive in the database's own representation as JSON values;
//! the sending host reads every column the way the database writes it back (JSON columns as JSON
//! text, dates and 64-bit integers as text), but a JSON value that is not a string cannot be bound
//! as it is by every driver: PostgreSQL's binds an array as an array literal (`{"a","b"}`, invalid
//! JSON) and a string as bare text, MySQL's expands an object into `key = value` pairs. So, by the
//! column's Directus type:
//!
//! - `json`: a string is JSON text already and is bound as it is; an object, array, number or
//!   boolean (a parsed value, as older senders sent them) becomes its JSON text.
//! - `csv`: text; an array becomes its items joined with commas.
//! - any other column: an object or an array (which no other column type takes) becomes its JSON
//!   text, so no driver expands it.
//!
//! `null` stays `NULL` everywhere. An integer beyond ±2^53 in a number (a float column's
//! 1e16, as JavaScript writes it: without a fraction) is bound as the double it is: the text it came
//! from was a JavaScript number, and JavaScript has no exact integer that large to bind.

use serde_json::Value;

use super::TableShape;

/// How values of one column are encoded before they are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Csv,
    Plain,
}

impl Encoding {
    fn of(kind: Option<&str>) -> Self {
        match kind {
            Some("json") => Encoding::Json,
            Some("csv") => Encoding::Csv,
            _ => Encoding::Plain,
        }
    }

    fn encode(self, value: Value) -> Value {
        match (self, value) {
            (_, Value::Null) => Value::Null,
            (Encoding::Json, Value::String(text)) => Value::String(text),
            (Encoding::Json, other) => Value::String(other.to_string()),
            (Encoding::Csv, Value::Array(items)) => Value::String(
                items
                    .iter()
                    .map(|item| item.as_str().map(String::from).unwrap_or_else(|| item.to_string()))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            (_, value @ (Value::Array(_) | Value::Object(_))) => Value::String(value.to_string()),
            (_, Value::Number(n)) if beyond_safe(&n) => {
                n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Number(n), Value::Number)
            }
            (_, value) => value,
        }
    }
}

/// An integer JavaScript cannot hold exactly (beyond ±(2^53 - 1)).
fn beyond_safe(n: &serde_json::Number) -> bool {
    const SAFE: u64 = (1 << 53) - 1;
    n.as_u64().map(|u| u > SAFE).or_else(|| n.as_i64().map(|i| i.unsigned_abs() > SAFE)).unwrap_or(false)
}

/// Encode every value of `rows` (of `columns`) for its column in `shape`.
pub fn encode_rows(rows: &mut [Vec<Value>], columns: &[String], shape: &TableShape) {
    let encodings: Vec<Encoding> =
        columns.iter().map(|c| Encoding::of(shape.types.get(c).map(String::as_str))).collect();
    for row in rows {
        for (value, encoding) in row.iter_mut().zip(&encodings) {
            let big = value.as_number().is_some_and(beyond_safe);
            if !value.is_null() && (*encoding != Encoding::Plain || value.is_array() || value.is_object() || big) {
                *value = encoding.encode(value.take());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shape() -> TableShape {
        TableShape {
            collection: "values".into(),
            primary_key: "id".into(),
            columns: vec!["id".into(), "doc".into(), "tags".into(), "name".into()],
            auto_increment: true,
            types: [("id", "integer"), ("doc", "json"), ("tags", "csv"), ("name", "string")]
                .into_iter()
                .map(|(c, t)| (c.to_string(), t.to_string()))
                .collect(),
        }
    }

    fn encode(rows: Vec<Value>) -> Vec<Vec<Value>> {
        let mut rows: Vec<Vec<Value>> = rows.into_iter().map(|r| r.as_array().unwrap().clone()).collect();
        encode_rows(&mut rows, &shape().columns, &shape());
        rows
    }

    #[test]
    fn json_columns_take_json_text() {
        let encoded = encode(vec![
            json!([1, { "id": 5 }, null, "a"]),
            json!([2, ["a", "b"], null, "b"]),
            json!([3, 42, null, "c"]),
            json!([4, true, null, "d"]),
            json!([5, "{\"already\":\"text\"}", null, "e"]),
            json!([6, null, null, "f"]),
        ]);
        let docs: Vec<Value> = encoded.iter().map(|r| r[1].clone()).collect();
        assert_eq!(
            docs,
            vec![
                json!("{\"id\":5}"),
                json!("[\"a\",\"b\"]"),
                json!("42"),
                json!("true"),
                json!("{\"already\":\"text\"}"),
                Value::Null
            ]
        );
        assert_eq!(encoded[0][0], json!(1), "other columns are left as they are");
    }

    #[test]
    fn csv_arrays_are_joined_and_no_column_gets_an_object() {
        let encoded = encode(vec![json!([1, null, ["a", "ü", 3], { "x": 1 }]), json!([2, null, "a,b", "plain"])]);
        assert_eq!(encoded[0][2], json!("a,ü,3"));
        assert_eq!(encoded[0][3], json!("{\"x\":1}"));
        assert_eq!(encoded[1][2], json!("a,b"));
        assert_eq!(encoded[1][3], json!("plain"));
    }

    #[test]
    fn integers_javascript_cannot_hold_are_bound_as_the_doubles_they_are() {
        let encoded = encode(vec![
            json!([1, null, null, 9_007_199_254_740_992_u64]),
            json!([2, null, null, -9_007_199_254_740_994_i64]),
            json!([3, null, null, 9_007_199_254_740_991_u64]),
        ]);
        assert!(encoded[0][3].is_f64() && encoded[1][3].is_f64(), "{encoded:?}");
        assert_eq!(encoded[0][3].as_f64(), Some(9_007_199_254_740_992.0));
        assert_eq!(encoded[1][3].as_f64(), Some(-9_007_199_254_740_994.0));
        assert!(encoded[2][3].is_u64(), "a safe integer stays as it is");
    }
}
