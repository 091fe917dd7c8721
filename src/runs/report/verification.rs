//! What a verification reports: per collection, how the destination's rows compare with the
//! source's (counts, order-independent digests, the first differing keys with the reason), the
//! files the rows reference, and a closing line.

use serde::Serialize;
use serde_json::Value;

use super::{human_bytes, round, Delivery};
use crate::shared::rows::key_text;

/// Differences kept per collection (and for the files); every one is counted.
pub const MAX_DIFFERENCES: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Same rows (or files) on both sides, and no more on the destination.
    Identical,
    /// Every source row is on the destination and equal; the destination has more rows of its own.
    Contains,
    /// Rows missing on the destination or different there.
    Differs,
    /// The destination has no such collection.
    Missing,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Contains => "contains",
            Verdict::Differs => "differs",
            Verdict::Missing => "missing",
        }
    }
}

/// A key (or a file id) that differs, and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Difference {
    pub key: Value,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Digests {
    /// Over the source's rows as the run writes them (excluded fields left out, references the
    /// run sets to null by design as null).
    pub source: String,
    /// Over the destination's rows of the same keys.
    pub destination: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct TableVerification {
    pub collection: String,
    pub status: Verdict,
    /// Rows read from the source (after `updatedAfter`), each one compared.
    pub source_rows: u64,
    /// Rows the destination's table has (all of them).
    pub destination_rows: u64,
    pub checked: u64,
    /// Source rows whose key the destination lacks.
    pub missing: u64,
    /// Source rows the destination has with other values.
    pub different: u64,
    /// Destination rows beyond the source's (its own rows, or rows outside `updatedAfter`).
    pub extra: u64,
    /// Values the run sets to null by design (their target row is not on the destination).
    pub nulled_by_design: u64,
    /// Columns compared (besides the key).
    pub compared: Vec<String>,
    pub digest: Digests,
    /// The first [`MAX_DIFFERENCES`] differing keys.
    pub first_differences: Vec<Difference>,
    pub seconds: f64,
}

impl TableVerification {
    pub fn new(collection: &str) -> Self {
        TableVerification {
            collection: collection.into(),
            status: Verdict::Identical,
            source_rows: 0,
            destination_rows: 0,
            checked: 0,
            missing: 0,
            different: 0,
            extra: 0,
            nulled_by_design: 0,
            compared: Vec::new(),
            digest: Digests { source: String::new(), destination: String::new() },
            first_differences: Vec::new(),
            seconds: 0.0,
        }
    }

    /// Keep a difference if there is room.
    pub fn note(&mut self, key: &Value, reason: String) {
        if self.first_differences.len() < MAX_DIFFERENCES {
            self.first_differences.push(Difference { key: key.clone(), reason });
        }
    }

    /// Settle the status from the counts (a collection the destination lacks is `Missing`).
    pub fn settle(&mut self, seconds: f64) {
        self.seconds = round(seconds, 3);
        self.source_rows = self.checked;
        let present = self.checked - self.missing;
        self.extra = self.destination_rows.saturating_sub(present);
        if self.status == Verdict::Missing {
            return;
        }
        self.status = match (self.missing + self.different, self.extra) {
            (0, 0) if self.destination_rows == present => Verdict::Identical,
            (0, _) if self.destination_rows > present => Verdict::Contains,
            _ => Verdict::Differs,
        };
    }

    /// `articles: differs — 1500 checked, 1 missing, 2 different, 0 extra (first: 17 missing on the destination)`
    pub fn line(&self) -> String {
        if self.status == Verdict::Missing {
            return format!("{}: missing — the destination has no such collection", self.collection);
        }
        let mut text = format!(
            "{}: {} — {} checked, {} missing, {} different, {} extra on the destination",
            self.collection,
            self.status.as_str(),
            self.checked,
            self.missing,
            self.different,
            self.extra
        );
        if self.nulled_by_design > 0 {
            text.push_str(&format!(", {} reference(s) nulled by design", self.nulled_by_design));
        }
        if let Some(first) = self.first_differences.first() {
            text.push_str(&format!(" (first: {} {})", key_text(&first.key), first.reason));
        }
        text
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct FilesVerification {
    /// Distinct files the compared source rows reference.
    pub checked: u64,
    pub identical: u64,
    /// Missing on the destination, or another size or checksum there.
    pub differs: u64,
    /// Bytes hashed on the source.
    pub bytes: u64,
    pub first_differences: Vec<Difference>,
}

impl FilesVerification {
    pub fn note(&mut self, id: &Value, reason: String) {
        self.differs += 1;
        if self.first_differences.len() < MAX_DIFFERENCES {
            self.first_differences.push(Difference { key: id.clone(), reason });
        }
    }

    pub fn line(&self) -> String {
        format!(
            "files: {} checked ({}), {} identical, {} differ",
            self.checked,
            human_bytes(self.bytes),
            self.identical,
            self.differs
        )
    }
}

/// The answer of `POST /migration/verify` (and `verification` in a run's report).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// `identical`, `contains` or `differs`: the worst of the tables' (a missing collection
    /// differs) and the files'.
    pub status: Verdict,
    /// How the destination's rows were read (the run's transport).
    pub transport: Delivery,
    pub tables: Vec<TableVerification>,
    pub files: FilesVerification,
    /// What was left out of the comparison, and why.
    pub notes: Vec<String>,
    pub seconds: f64,
    pub message: String,
}

impl Verification {
    pub fn new(transport: Delivery, notes: Vec<String>) -> Self {
        Verification {
            status: Verdict::Identical,
            transport,
            tables: Vec::new(),
            files: FilesVerification::default(),
            notes,
            seconds: 0.0,
            message: String::new(),
        }
    }

    /// Settle the overall status and write the closing line.
    pub fn finish(&mut self, seconds: f64) {
        self.seconds = round(seconds, 3);
        let differing: Vec<&TableVerification> =
            self.tables.iter().filter(|t| matches!(t.status, Verdict::Differs | Verdict::Missing)).collect();
        self.status = if !differing.is_empty() || self.files.differs > 0 {
            Verdict::Differs
        } else if self.tables.iter().any(|t| t.status == Verdict::Contains) {
            Verdict::Contains
        } else {
            Verdict::Identical
        };
        let rows: u64 = self.tables.iter().map(|t| t.checked).sum();
        let files = format!("{} file(s)", self.files.checked);
        let detail = match self.status {
            Verdict::Identical => format!("{rows} row(s) and {files} are the same on both sides"),
            Verdict::Contains => {
                format!("{rows} row(s) and {files} are the same on both sides; the destination has rows of its own too")
            }
            _ => {
                let names: Vec<String> =
                    differing.iter().map(|t| format!("{} ({})", t.collection, t.status.as_str())).collect();
                let tables = if names.is_empty() { "no collection".to_string() } else { names.join(", ") };
                format!(
                    "{} of {} collection(s) differ: {tables}; {} of {files} differ",
                    differing.len(),
                    self.tables.len(),
                    self.files.differs
                )
            }
        };
        self.message = format!("Verification {}: {detail} (checked in {:.1} s)", self.status.as_str(), seconds);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn table(checked: u64, missing: u64, different: u64, destination_rows: u64) -> TableVerification {
        let mut t = TableVerification { checked, missing, different, destination_rows, ..TableVerification::new("t") };
        t.settle(0.1);
        t
    }

    #[test]
    fn a_table_is_identical_contained_or_different() {
        assert_eq!(table(10, 0, 0, 10).status, Verdict::Identical);
        let contained = table(10, 0, 0, 12);
        assert_eq!((contained.status, contained.extra), (Verdict::Contains, 2));
        assert_eq!(table(10, 1, 0, 9).status, Verdict::Differs);
        let missing_and_extra = table(10, 1, 0, 10);
        assert_eq!((missing_and_extra.status, missing_and_extra.extra), (Verdict::Differs, 1));
        assert_eq!(table(10, 0, 2, 10).status, Verdict::Differs);
    }

    #[test]
    fn keeps_the_first_differences_and_sums_up() {
        let mut t = TableVerification::new("articles");
        for key in 0..30 {
            t.note(&json!(key), "missing on the destination".into());
        }
        t.checked = 30;
        t.missing = 30;
        t.settle(1.0);
        assert_eq!(t.first_differences.len(), MAX_DIFFERENCES);
        assert!(t.line().starts_with("articles: differs — 30 checked, 30 missing"), "{}", t.line());
        let mut answer = Verification::new(Delivery::Rest, vec![]);
        answer.tables = vec![t, table(5, 0, 0, 5)];
        answer.finish(2.0);
        assert_eq!(answer.status, Verdict::Differs);
        assert_eq!(
            answer.message,
            "Verification differs: 1 of 2 collection(s) differ: articles (differs); 0 of 0 file(s) differ (checked in 2.0 s)"
        );
        answer.tables.remove(0);
        answer.finish(2.0);
        assert_eq!(
            answer.message,
            "Verification identical: 5 row(s) and 0 file(s) are the same on both sides (checked in 2.0 s)"
        );
    }
}
