//! What the destination's row of a file says about its bytes. An upload cut off by a
//! destination crash leaves a row Directus created before the bytes arrived: size 0 and no
//! `filename_disk`. Such a row is not a migrated file; its content is uploaded again.

use serde_json::Value;

use crate::shared::rows::Row;

/// The fields of a destination's file row that say whether its bytes are there.
pub const STORED_FIELDS: [&str; 3] = ["id", "filesize", "filename_disk"];

/// The file's size as a row holds it (a number, or a string for big integers); 0 when absent.
pub fn size_of(file: &Row) -> u64 {
    match file.get("filesize") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

fn has_disk_name(row: &Row) -> bool {
    row.get("filename_disk").and_then(Value::as_str).is_some_and(|name| !name.is_empty())
}

/// A row that may be one an interrupted upload left (no file on disk, or no bytes): whether it
/// is depends on the source's size, which [`holds`] checks.
pub fn doubtful(row: &Row) -> bool {
    !has_disk_name(row) || size_of(row) == 0
}

/// The destination's row holds the source's file: a file on disk, of the source's size.
pub fn holds(row: &Row, expected: u64) -> bool {
    has_disk_name(row) && size_of(row) == expected
}

#[cfg(test)]
mod tests {
    use crate::testing::row;
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_row_is_not_a_stored_file() {
        let cut = row(json!({ "id": "f", "filesize": 0, "filename_disk": null }));
        assert!(doubtful(&cut) && !holds(&cut, 120));
        let stored = row(json!({ "id": "f", "filesize": "120", "filename_disk": "f.png" }));
        assert!(!doubtful(&stored) && holds(&stored, 120));
        assert!(!holds(&stored, 121), "another size is not the source's file");
        let empty_file = row(json!({ "id": "f", "filesize": 0, "filename_disk": "f.txt" }));
        assert!(doubtful(&empty_file) && holds(&empty_file, 0), "an empty source file is stored as one");
    }
}
