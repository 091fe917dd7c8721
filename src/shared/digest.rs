//! Checksums of rows for the verification pass: a canonical JSON form of a value (object keys
//! sorted, whole numbers written as integers, -0 kept apart from 0, every other float in its shortest
//! exact decimal form), a row digest (sha256 of the canonical form of the
//! compared columns, absent ones as null), and an order-independent table digest (the sum of the
//! row digests' first 128 bits, modulo 2^128), so two sides read in any order agree.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::shared::rows::Row;

/// `value` as canonical JSON text: the same text for the same content, however it was parsed.
pub fn canonical(value: &Value) -> String {
    let mut text = String::new();
    write(value, &mut text);
    text
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Number(number) => match number.as_f64() {
            // -0 is not 0: a database that keeps the sign must keep it on both sides.
            Some(float) if number.is_f64() && float == 0.0 && float.is_sign_negative() => out.push_str("-0"),
            // 2.0 and 2 are the same number; beyond 2^53 integers keep their own digits.
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0 => {
                out.push_str(&(float as i64).to_string())
            }
            _ => out.push_str(&number.to_string()),
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The digest of `columns` of `row` (sorted by name; a column the row lacks counts as null).
pub fn row_digest(row: &Row, columns: &[String]) -> u128 {
    let mut names: Vec<&String> = columns.iter().collect();
    names.sort();
    names.dedup();
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(Value::String(name.clone()).to_string().as_bytes());
        hasher.update(b":");
        hasher.update(canonical(row.get(name).unwrap_or(&Value::Null)).as_bytes());
        hasher.update(b"\n");
    }
    // The first 16 bytes of the SHA-256, big-endian.
    hasher.finalize().iter().take(16).fold(0, |digest, byte| (digest << 8) | u128::from(*byte))
}

/// The order-independent digest of a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableDigest(u128);

impl TableDigest {
    pub fn add(&mut self, row: u128) {
        self.0 = self.0.wrapping_add(row);
    }

    /// 32 hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::row;
    use serde_json::json;

    use super::*;

    #[test]
    fn canonical_text_ignores_key_order_and_number_spelling() {
        let a: Value = serde_json::from_str(r#"{"b":[1,2.0,{"y":null,"x":"é"}],"a":true}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":true,"b":[1.0,2,{"x":"é","y":null}]}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&a), r#"{"a":true,"b":[1,2,{"x":"é","y":null}]}"#);
        assert_ne!(canonical(&json!(1.5)), canonical(&json!(1)));
        assert_ne!(canonical(&json!("1")), canonical(&json!(1)), "types still count");
        assert_eq!(canonical(&json!(18446744073709551615u64)), "18446744073709551615");
    }

    #[test]
    fn row_digests_cover_the_named_columns_only() {
        let columns = vec!["id".to_string(), "title".to_string()];
        let one = row(json!({ "id": 1, "title": "A", "date_updated": "x" }));
        let same = row(json!({ "title": "A", "id": 1.0, "date_updated": "y" }));
        assert_eq!(row_digest(&one, &columns), row_digest(&same, &columns));
        assert_ne!(row_digest(&one, &columns), row_digest(&row(json!({ "id": 1, "title": "B" })), &columns));
        assert_eq!(
            row_digest(&row(json!({ "id": 1 })), &columns),
            row_digest(&row(json!({ "id": 1, "title": null })), &columns),
            "an absent column counts as null"
        );
    }

    #[test]
    fn table_digests_do_not_depend_on_order_but_on_every_row() {
        let digests = [3u128, u128::MAX, 42];
        let (mut forward, mut backward) = (TableDigest::default(), TableDigest::default());
        digests.iter().for_each(|d| forward.add(*d));
        digests.iter().rev().for_each(|d| backward.add(*d));
        assert_eq!(forward, backward);
        assert_eq!(forward.hex().len(), 32);
        let mut twice = forward;
        twice.add(42);
        assert_ne!(twice, forward, "a duplicate row changes the digest (unlike xor)");
    }
}
