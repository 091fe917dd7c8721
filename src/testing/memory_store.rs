//! An in-memory destination database for the receiver's native tests.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::host::{HostError, KeysRequest};
use crate::receive::{FieldDescription, RowsRequest, RowsWrite, Store, TableDescription, TableShape};
use crate::shared::rows::Row;

/// An in-memory destination database for the receiver's native tests: tables of rows, unique
/// columns, and the sequences it was asked to advance.
#[derive(Default)]
pub struct MemoryStore {
    pub tables: RefCell<BTreeMap<String, Vec<Row>>>,
    pub tables_described: BTreeMap<String, TableDescription>,
    /// The knex client it pretends to be (`sqlite3` unless set).
    pub client: Option<String>,
    /// (collection, column) pairs whose values must be unique.
    pub unique: Vec<(String, String)>,
    pub sequences: RefCell<Vec<String>>,
}

impl MemoryStore {
    /// A database with `snapshot`'s user tables, empty.
    pub fn with_tables_of(snapshot: &crate::pipeline::schema::Snapshot) -> Self {
        let mut store = MemoryStore::default();
        for name in crate::pipeline::schema::user_tables(snapshot) {
            let fields: Vec<_> = snapshot.fields.iter().filter(|f| f.collection == name && !f.is_alias()).collect();
            let key = fields.iter().find(|f| f.is_primary_key()).expect("a user table has a key");
            let columns: Vec<(&str, &str)> = fields.iter().map(|f| (f.field.as_str(), f.kind.as_str())).collect();
            store.describe(name, &key.field, &columns);
        }
        store
    }

    /// Describe a user table: its key and `(field, Directus type)` columns; an integer key
    /// auto-increments.
    pub fn describe(&mut self, collection: &str, key: &str, fields: &[(&str, &str)]) {
        let fields = fields
            .iter()
            .map(|(field, kind)| FieldDescription {
                field: field.to_string(),
                kind: kind.to_string(),
                default_value: (*field == key && *kind == "integer").then(|| "AUTO_INCREMENT".into()),
            })
            .collect();
        let description = TableDescription { collection: collection.into(), primary_key: key.into(), fields };
        self.tables_described.insert(collection.into(), description);
    }

    pub fn rows(&self, collection: &str) -> Vec<Row> {
        self.tables.borrow().get(collection).cloned().unwrap_or_default()
    }

    fn objects(write: &RowsWrite) -> Vec<Row> {
        write.rows.iter().map(|values| write.columns.iter().cloned().zip(values.iter().cloned()).collect()).collect()
    }
}

impl Store for MemoryStore {
    async fn database_client(&self) -> Result<String, HostError> {
        Ok(self.client.clone().unwrap_or_else(|| "sqlite3".into()))
    }

    async fn describe_table(&self, collection: &str) -> Result<Option<TableDescription>, HostError> {
        Ok(self.tables_described.get(collection).cloned())
    }

    async fn existing_keys(&self, request: &KeysRequest) -> Result<Vec<Value>, HostError> {
        let tables = self.tables.borrow();
        let rows = tables.get(&request.collection).map(Vec::as_slice).unwrap_or_default();
        Ok(rows
            .iter()
            .filter_map(|r| r.get(&request.primary_key))
            .filter(|k| request.keys.contains(k))
            .cloned()
            .collect())
    }

    async fn keys_with_null(&self, request: &KeysRequest, field: &str) -> Result<Vec<Value>, HostError> {
        let tables = self.tables.borrow();
        let rows = tables.get(&request.collection).map(Vec::as_slice).unwrap_or_default();
        Ok(rows
            .iter()
            .filter(|r| r.get(field).is_none_or(Value::is_null))
            .filter_map(|r| r.get(&request.primary_key))
            .filter(|k| request.keys.contains(k))
            .cloned()
            .collect())
    }

    async fn insert_rows(&self, write: &RowsWrite) -> Result<(), HostError> {
        let mut tables = self.tables.borrow_mut();
        let mut staged = tables.get(&write.collection).cloned().unwrap_or_default();
        for row in Self::objects(write) {
            for (collection, column) in self.unique.iter().filter(|(c, _)| *c == write.collection) {
                if staged.iter().any(|r| r.get(column) == row.get(column)) {
                    return Err(HostError::new(format!("UNIQUE constraint failed: {collection}.{column}")));
                }
            }
            if staged.iter().any(|r| r.get(&write.primary_key) == row.get(&write.primary_key)) {
                return Err(HostError::new(format!(
                    "UNIQUE constraint failed: {}.{}",
                    write.collection, write.primary_key
                )));
            }
            staged.push(row);
        }
        tables.insert(write.collection.clone(), staged);
        Ok(())
    }

    async fn update_rows(&self, write: &RowsWrite) -> Result<(), HostError> {
        let mut tables = self.tables.borrow_mut();
        let rows = tables.entry(write.collection.clone()).or_default();
        for patch in Self::objects(write) {
            if let Some(row) = rows.iter_mut().find(|r| r.get(&write.primary_key) == patch.get(&write.primary_key)) {
                row.extend(patch);
            }
        }
        Ok(())
    }

    async fn advance_sequence(&self, table: &TableShape) -> Result<(), HostError> {
        self.sequences.borrow_mut().push(table.collection.clone());
        Ok(())
    }

    async fn read_rows(&self, request: &RowsRequest) -> Result<Vec<Row>, HostError> {
        let tables = self.tables.borrow();
        let rows = tables.get(&request.collection).map(Vec::as_slice).unwrap_or_default();
        Ok(rows
            .iter()
            .filter(|r| r.get(&request.primary_key).is_some_and(|k| request.keys.contains(k)))
            .map(|r| request.columns.iter().map(|c| (c.clone(), r.get(c).cloned().unwrap_or(Value::Null))).collect())
            .collect())
    }
}
