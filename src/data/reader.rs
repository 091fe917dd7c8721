//! Reads a source collection in primary-key order with a cursor (`pk > last seen`), never with
//! offsets, so every page costs the same and memory holds one page at a time.

use serde_json::Value;

use crate::host::{Host, HostError, PageRequest, Row};

pub struct PageReader<'h, H> {
    host: &'h H,
    request: PageRequest,
    done: bool,
}

impl<'h, H: Host> PageReader<'h, H> {
    pub fn new(host: &'h H, mut request: PageRequest) -> Self {
        request.limit = request.limit.max(1);
        PageReader {
            host,
            request,
            done: false,
        }
    }

    /// The cursor the next page starts after.
    pub fn cursor(&self) -> Option<&Value> {
        self.request.after.as_ref()
    }

    /// The next page, or `None` once the collection is exhausted.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Row>>, HostError> {
        if self.done {
            return Ok(None);
        }
        let rows = self.host.read_page(&self.request).await?.rows;
        if rows.len() < self.request.limit as usize {
            self.done = true;
        }
        let Some(last) = rows.last() else {
            self.done = true;
            return Ok(None);
        };
        let key = last
            .get(&self.request.primary_key)
            .filter(|k| !k.is_null())
            .cloned()
            .ok_or_else(|| {
                HostError::new(format!(
                    "a row of {} came back without its primary key {}",
                    self.request.collection, self.request.primary_key
                ))
            })?;
        if self.request.after.as_ref() == Some(&key) {
            return Err(HostError::new(format!(
                "paging {} did not advance past key {key}",
                self.request.collection
            )));
        }
        self.request.after = Some(key);
        Ok(Some(rows))
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
        assert_eq!(
            pages,
            vec![
                vec![json!(1), json!(2)],
                vec![json!(3), json!(4)],
                vec![json!(5)]
            ]
        );
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
    fn string_keys_and_empty_tables() {
        let host = MemoryHost::with_table("t", ["b", "a", "c"].map(|id| json!({ "id": id })));
        assert_eq!(
            drain(&host, 10).0,
            vec![vec![json!("a"), json!("b"), json!("c")]]
        );
        let empty = MemoryHost::with_table("t", Vec::<Value>::new());
        assert_eq!(drain(&empty, 10).0, Vec::<Vec<Value>>::new());
    }

    #[test]
    fn refuses_rows_without_keys() {
        let host = MemoryHost::with_table("t", [json!({ "name": "no id" })]);
        let mut reader = PageReader::new(&host, request("t", 10));
        let err = block_on(reader.next_page()).unwrap_err();
        assert!(err.message.contains("without its primary key id"), "{err}");
    }
}
