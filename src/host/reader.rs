//! Reads a source collection in primary-key order with a cursor (`pk > last key scanned`), never
//! with offsets, so every page costs the same and memory holds one page at a time. A page whose
//! rows the filter all dropped is skipped; a page with fewer keys than the limit ends the scan.

use serde_json::Value;

use super::{Host, HostError, PageRequest};
use crate::shared::rows::Row;

pub struct PageReader<'h, H> {
    host: &'h H,
    request: PageRequest,
    done: bool,
}

impl<'h, H: Host> PageReader<'h, H> {
    pub fn new(host: &'h H, mut request: PageRequest) -> Self {
        request.limit = request.limit.max(1);
        PageReader { host, request, done: false }
    }

    /// The cursor the next page starts after.
    pub fn cursor(&self) -> Option<&Value> {
        self.request.after.as_ref()
    }

    /// The next page with rows, or `None` once the collection is exhausted.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Row>>, HostError> {
        while !self.done {
            let page = self.host.read_page(&self.request).await?;
            if page.scanned < self.request.limit {
                self.done = true;
            }
            let Some(last) = page.last.filter(|k| !k.is_null()) else {
                self.done = true;
                break;
            };
            if self.request.after.as_ref() == Some(&last) {
                return Err(HostError::new(format!(
                    "paging {} did not advance past key {last}",
                    self.request.collection
                )));
            }
            if page.rows.iter().any(|r| r.get(&self.request.primary_key).is_none_or(Value::is_null)) {
                return Err(HostError::new(format!(
                    "a row of {} came back without its primary key {}",
                    self.request.collection, self.request.primary_key
                )));
            }
            self.request.after = Some(last);
            if !page.rows.is_empty() {
                return Ok(Some(page.rows));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::host::memory::MemoryHost;

    fn request(collection: &str, limit: u32) -> PageRequest {
        PageRequest {
            collection: collection.into(),
            primary_key: "id".into(),
            fields: vec![],
            after: None,
            limit,
            filter: None,
            raw: false,
            exact: vec![],
        }
    }

    fn drain(host: &MemoryHost, limit: u32) -> (Vec<Vec<Value>>, usize) {
        let mut reader = PageReader::new(host, request("t", limit));
        let mut pages = Vec::new();
        while let Some(rows) = block_on(reader.next_page()).unwrap() {
            pages.push(rows.iter().map(|r| r["id"].clone()).collect());
        }
        (pages, host.calls())
    }

    #[test]
    fn pages_in_key_order_whatever_the_insertion_order() {
        let host = MemoryHost::with_table("t", [5, 1, 4, 2, 3].map(|id| json!({ "id": id })));
        let (pages, calls) = drain(&host, 2);
        assert_eq!(pages, vec![vec![json!(1), json!(2)], vec![json!(3), json!(4)], vec![json!(5)]]);
        assert_eq!(calls, 3, "a short page ends the scan without another read");
    }

    #[test]
    fn an_exact_multiple_needs_one_empty_read() {
        let host = MemoryHost::with_table("t", (1..=4).map(|id| json!({ "id": id })));
        let (pages, calls) = drain(&host, 2);
        assert_eq!(pages.len(), 2);
        assert_eq!(calls, 3);
    }

    #[test]
    fn pages_the_filter_empties_are_skipped_not_mistaken_for_the_end() {
        let host = MemoryHost::with_table("t", (1..=7).map(|id| json!({ "id": id, "keep": id == 6 || id == 7 })));
        let filter = Some(json!({ "keep": { "_in": [true] } }));
        let mut reader = PageReader::new(&host, PageRequest { filter, ..request("t", 2) });
        let first = block_on(reader.next_page()).unwrap().unwrap();
        assert_eq!(first.iter().map(|r| r["id"].clone()).collect::<Vec<_>>(), vec![json!(6)]);
        assert_eq!(reader.cursor(), Some(&json!(6)));
        let second = block_on(reader.next_page()).unwrap().unwrap();
        assert_eq!(second[0]["id"], json!(7));
        assert_eq!(block_on(reader.next_page()).unwrap(), None);
        assert_eq!(host.calls(), 4, "keys 1-2, 3-4, 5-6, 7");
    }

    #[test]
    fn string_keys_and_empty_tables() {
        let host = MemoryHost::with_table("t", ["b", "a", "c"].map(|id| json!({ "id": id })));
        assert_eq!(drain(&host, 10).0, vec![vec![json!("a"), json!("b"), json!("c")]]);
        let empty = MemoryHost::with_table("t", Vec::<Value>::new());
        assert_eq!(drain(&empty, 10).0, Vec::<Vec<Value>>::new());
    }

    #[test]
    fn refuses_rows_without_keys() {
        let host = MemoryHost::with_table("t", [json!({ "id": 1, "name": "no id" })]);
        let mut reader = PageReader::new(&host, PageRequest { fields: vec!["name".into()], ..request("t", 10) });
        let err = block_on(reader.next_page()).unwrap_err();
        assert!(err.message.contains("without its primary key id"), "{err}");
    }
}
