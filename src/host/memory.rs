//! An in-memory [`Host`] for native tests: tables as vectors of rows, compared on their keys the
//! way the database would sort them (numbers numerically, strings lexically).

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

use super::{CountRequest, Host, HostError, Page, PageRequest, Row};
use crate::progress::Event;
use crate::schema::Snapshot;

#[derive(Default)]
pub struct MemoryHost {
    pub tables: BTreeMap<String, Vec<Row>>,
    pub snapshot: Option<Snapshot>,
    pub events: RefCell<Vec<Event>>,
    calls: Cell<usize>,
}

impl MemoryHost {
    pub fn with_snapshot(snapshot: Snapshot) -> Self {
        MemoryHost {
            snapshot: Some(snapshot),
            ..MemoryHost::default()
        }
    }

    pub fn with_table(name: &str, rows: impl IntoIterator<Item = Value>) -> Self {
        let mut host = MemoryHost::default();
        let rows = rows
            .into_iter()
            .map(|v| v.as_object().expect("rows are objects").clone())
            .collect();
        host.tables.insert(name.to_string(), rows);
        host
    }

    /// Number of `read_page` calls so far.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }

    fn table(&self, name: &str) -> Result<&Vec<Row>, HostError> {
        self.tables
            .get(name)
            .ok_or_else(|| HostError::new(format!("no collection {name}")))
    }
}

pub fn compare_keys(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

impl Host for MemoryHost {
    async fn read_page(&self, request: &PageRequest) -> Result<Page, HostError> {
        self.calls.set(self.calls.get() + 1);
        let key = |row: &Row| {
            row.get(&request.primary_key)
                .cloned()
                .unwrap_or(Value::Null)
        };
        let mut rows: Vec<Row> = self
            .table(&request.collection)?
            .iter()
            .filter(|row| {
                request
                    .after
                    .as_ref()
                    .is_none_or(|after| compare_keys(&key(row), after) == Ordering::Greater)
            })
            .cloned()
            .collect();
        rows.sort_by(|a, b| compare_keys(&key(a), &key(b)));
        rows.truncate(request.limit as usize);
        Ok(Page { rows })
    }

    async fn count(&self, request: &CountRequest) -> Result<u64, HostError> {
        Ok(self.table(&request.collection)?.len() as u64)
    }

    async fn schema_snapshot(&self) -> Result<Snapshot, HostError> {
        self.snapshot
            .clone()
            .ok_or_else(|| HostError::new("no snapshot"))
    }

    fn emit(&self, event: &Event) {
        self.events.borrow_mut().push(event.clone());
    }
}
