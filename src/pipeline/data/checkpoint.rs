//! Where a table's run got to, so that an interrupted run can be resumed: the longest prefix of
//! its pages (in key order) that is fully written, with that prefix's counts, and whether its
//! first and second passes are done ([`TableCheckpoint`]).
//!
//! Pages complete out of order (several are in flight at once): [`Prefix`] tracks them by read
//! order, and the prefix advances only when its front pages are all done. A page that failed
//! never completes, so the prefix never goes past it; pages after it that were written are
//! written again on resume — harmless, rows already there are skipped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::runs::report::TableReport;

/// A table's checkpoint, as emitted in [`crate::runs::progress::Event::Checkpoint`] and given back in
/// a resume ([`crate::commands::migrate::Resume`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase", default)]
pub struct TableCheckpoint {
    /// The last key (the read cursor) of the longest prefix of pages fully written; `None`: no
    /// page yet (or the table is empty).
    pub after: Option<Value>,
    /// Every page of the first pass is written.
    pub first_pass_done: bool,
    /// The table's held-back references are set (or it has none to set).
    pub second_pass_done: bool,
    /// The counts of that prefix only (once both passes are done: the table's whole report).
    /// `seconds` is the time spent on the table so far, over every run.
    pub report: TableReport,
    /// Rows created in the prefix with a held-back reference to set.
    pub held: u64,
}

/// One page's contribution to the table's counts.
#[derive(Debug, Clone, Default)]
pub struct PageCounts {
    pub report: TableReport,
    pub held: u64,
}

/// The pages of one table in flight, by read order, and the prefix fully written.
#[derive(Debug)]
pub struct Prefix {
    /// The read order of the next page started.
    next: u64,
    /// The read order of the first page not in the prefix.
    front: u64,
    /// Pages started and not yet in the prefix: their cursor, and their counts once done.
    pages: BTreeMap<u64, (Option<Value>, Option<PageCounts>)>,
    checkpoint: TableCheckpoint,
}

impl Prefix {
    /// Start after `resumed` (a checkpoint of an earlier run), or from the beginning.
    pub fn new(collection: &str, resumed: Option<&TableCheckpoint>) -> Self {
        let checkpoint = match resumed {
            Some(checkpoint) => TableCheckpoint {
                first_pass_done: false,
                second_pass_done: false,
                report: TableReport { collection: collection.to_string(), ..checkpoint.report.clone() },
                ..checkpoint.clone()
            },
            None => TableCheckpoint { report: TableReport::new(collection), ..TableCheckpoint::default() },
        };
        Prefix { next: 0, front: 0, pages: BTreeMap::new(), checkpoint }
    }

    /// A page read (its reader now at `cursor`) starts moving: its read order.
    pub fn start(&mut self, cursor: Option<Value>) -> u64 {
        let page = self.next;
        self.next += 1;
        self.pages.insert(page, (cursor, None));
        page
    }

    /// Page `page` is written with `counts`. Returns the new checkpoint when the prefix
    /// advanced (`seconds`: the time spent on the table so far, this run included).
    pub fn done(&mut self, page: u64, counts: PageCounts, seconds: f64) -> Option<TableCheckpoint> {
        if let Some((_, slot)) = self.pages.get_mut(&page) {
            *slot = Some(counts);
        }
        let mut advanced = false;
        while let Some(entry) = self.pages.first_entry() {
            if *entry.key() != self.front || entry.get().1.is_none() {
                break;
            }
            let (cursor, counts) = entry.remove();
            self.front += 1;
            if let Some(counts) = counts {
                add_counts(&mut self.checkpoint.report, &counts.report);
                self.checkpoint.held += counts.held;
            }
            if cursor.is_some() {
                self.checkpoint.after = cursor;
            }
            advanced = true;
        }
        advanced.then(|| self.stamped(seconds))
    }

    /// The first pass ended without a stop: every page started is in the prefix.
    pub fn finished(&self, seconds: f64, second_pass_done: bool) -> TableCheckpoint {
        TableCheckpoint { first_pass_done: true, second_pass_done, ..self.stamped(seconds) }
    }

    fn stamped(&self, seconds: f64) -> TableCheckpoint {
        let mut checkpoint = self.checkpoint.clone();
        checkpoint.report.finish(seconds);
        checkpoint
    }
}

/// Add `from`'s counts (not its timing) into `into`.
pub fn add_counts(into: &mut TableReport, from: &TableReport) {
    into.read += from.read;
    into.created += from.created;
    into.skipped += from.skipped;
    into.failed += from.failed;
    into.mapped += from.mapped;
    into.updated += from.updated;
    into.unchanged += from.unchanged;
    into.references_nulled += from.references_nulled;
    into.second_pass += from.second_pass;
    into.repaired += from.repaired;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn counts(read: u64, held: u64) -> PageCounts {
        PageCounts { report: TableReport { read, created: read, ..TableReport::default() }, held }
    }

    #[test]
    fn the_prefix_advances_only_over_front_pages_all_done() {
        let mut prefix = Prefix::new("t", None);
        let (a, b, c) = (prefix.start(Some(json!(2))), prefix.start(Some(json!(4))), prefix.start(Some(json!(6))));
        assert_eq!(prefix.done(b, counts(2, 1), 1.0), None, "page a is still moving");
        assert_eq!(prefix.done(c, counts(2, 0), 1.0), None);
        let checkpoint = prefix.done(a, counts(2, 1), 2.0).unwrap();
        assert_eq!(checkpoint.after, Some(json!(6)));
        assert_eq!((checkpoint.report.read, checkpoint.report.created, checkpoint.held), (6, 6, 2));
        assert_eq!(checkpoint.report.seconds, 2.0);
        assert!(!checkpoint.first_pass_done && !checkpoint.second_pass_done);
        let last = prefix.finished(3.0, true);
        assert!(last.first_pass_done && last.second_pass_done);
        assert_eq!(last.after, Some(json!(6)));
    }

    #[test]
    fn a_resumed_prefix_starts_from_the_stored_counts() {
        let stored = TableCheckpoint {
            after: Some(json!("k")),
            report: TableReport { collection: "t".into(), read: 10, created: 9, skipped: 1, ..TableReport::default() },
            held: 3,
            ..TableCheckpoint::default()
        };
        let mut prefix = Prefix::new("t", Some(&stored));
        let page = prefix.start(Some(json!("m")));
        let checkpoint = prefix.done(page, counts(5, 2), 1.0).unwrap();
        assert_eq!((checkpoint.report.read, checkpoint.report.created, checkpoint.report.skipped), (15, 14, 1));
        assert_eq!((checkpoint.after, checkpoint.held), (Some(json!("m")), 5));
    }

    #[test]
    fn serialises_in_camel_case_and_reads_back() {
        let checkpoint = TableCheckpoint { after: Some(json!(4)), first_pass_done: true, ..TableCheckpoint::default() };
        let value = serde_json::to_value(&checkpoint).unwrap();
        assert_eq!(value["firstPassDone"], json!(true));
        assert_eq!(value["secondPassDone"], json!(false));
        assert_eq!(value["report"]["referencesNulled"], json!(0));
        assert_eq!(serde_json::from_value::<TableCheckpoint>(value).unwrap(), checkpoint);
    }
}
