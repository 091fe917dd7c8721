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
//! `null` stays `NULL` everywhere.

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
            (_, value) => value,
        }
    }
}

/// Encode every value of `rows` (of `columns`) for its column in `shape`.
pub fn encode_rows(rows: &mut [Vec<Value>], columns: &[String], shape: &TableShape) {
    let encodings: Vec<Encoding> =
        columns.iter().map(|c| Encoding::of(shape.types.get(c).map(String::as_str))).collect();
    for row in rows {
        for (value, encoding) in row.iter_mut().zip(&encodings) {
            if !value.is_null() && (*encoding != Encoding::Plain || value.is_array() || value.is_object()) {
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
}
