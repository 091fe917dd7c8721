//! The key map: source keys that stand for other keys on the destination — the source's
//! administrator role and policy (the destination's own take their place), users whose e-mail
//! the destination already has under another id. It is applied to every reference before rows
//! are written, in system rows and user rows alike, and listed in the report. It also knows the
//! source users that are a user the destination already had (same id, or same e-mail): their
//! access on the destination stays the destination's own.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::shared::rows::{key_text, Row};

/// One source key and the destination key that takes its place.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Mapping {
    pub collection: String,
    pub source: Value,
    pub destination: Value,
    /// Why: `administrator role`, `same e-mail (ada@example.com)`, …
    pub reason: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct KeyMap {
    keys: BTreeMap<String, BTreeMap<String, Value>>,
    mappings: Vec<Mapping>,
    /// Source user ids (as text) that stand for a user the destination had before the run.
    existing_users: BTreeSet<String>,
}

impl KeyMap {
    /// Map `source` of `collection` onto `destination` (a key mapped onto itself is no mapping).
    /// The first mapping of a key wins.
    pub fn insert(&mut self, collection: &str, source: Value, destination: Value, reason: impl Into<String>) {
        if key_text(&source) == key_text(&destination) {
            return;
        }
        let keys = self.keys.entry(collection.to_string()).or_default();
        if keys.contains_key(&key_text(&source)) {
            return;
        }
        keys.insert(key_text(&source), destination.clone());
        self.mappings.push(Mapping { collection: collection.into(), source, destination, reason: reason.into() });
    }

    /// The destination key `key` of `collection` stands for, when it is mapped.
    #[cfg(test)]
    pub fn get(&self, collection: &str, key: &Value) -> Option<&Value> {
        self.keys.get(collection)?.get(&key_text(key))
    }

    pub fn mappings(&self) -> &[Mapping] {
        &self.mappings
    }

    /// The source user `user` is a user the destination already has (by id or by e-mail): the
    /// run never gives it access.
    pub fn keep_user(&mut self, user: &Value) {
        self.existing_users.insert(key_text(user));
    }

    /// Whether the source user `user` (a source key) is a user the destination already had.
    pub fn is_existing_user(&self, user: &Value) -> bool {
        !user.is_null() && self.existing_users.contains(&key_text(user))
    }

    /// Rewrite the values of `references` (field, target collection) in `rows` to the keys they
    /// stand for on the destination. Returns how many values were rewritten.
    pub fn apply(&self, references: &[(&str, &str)], rows: &mut [Row]) -> u64 {
        let mut rewritten = 0;
        for (field, target) in references {
            let Some(keys) = self.keys.get(*target) else { continue };
            for row in rows.iter_mut() {
                let mapped = row.get(*field).filter(|v| !v.is_null()).and_then(|v| keys.get(&key_text(v)));
                if let Some(destination) = mapped.cloned() {
                    row.insert(field.to_string(), destination);
                    rewritten += 1;
                }
            }
        }
        rewritten
    }

    /// Split `rows` of `collection` into those to write and those whose own key maps onto a row
    /// the destination already has (never written: the destination's row stays as it is).
    pub fn split_mapped(&self, collection: &str, key: &str, rows: Vec<Row>) -> (Vec<Row>, Vec<Row>) {
        match self.keys.get(collection) {
            None => (rows, Vec::new()),
            Some(keys) => {
                rows.into_iter().partition(|row| row.get(key).is_none_or(|k| !keys.contains_key(&key_text(k))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rows(value: Value) -> Vec<Row> {
        value.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect()
    }

    #[test]
    fn rewrites_references_and_keeps_everything_else() {
        let mut map = KeyMap::default();
        map.insert("directus_users", json!("u-source"), json!("u-dest"), "same e-mail (ada@example.com)");
        map.insert("directus_roles", json!("r-admin-source"), json!("r-admin-dest"), "administrator role");
        map.insert("directus_roles", json!("r-same"), json!("r-same"), "identity is no mapping");
        let mut page = rows(json!([
            { "id": 1, "user": "u-source", "role": "r-admin-source" },
            { "id": 2, "user": "u-other", "role": null },
            { "id": 3, "user": null, "role": "r-same" }
        ]));
        let rewritten = map.apply(&[("user", "directus_users"), ("role", "directus_roles")], &mut page);
        assert_eq!(rewritten, 2);
        assert_eq!(page[0]["user"], json!("u-dest"));
        assert_eq!(page[0]["role"], json!("r-admin-dest"));
        assert_eq!(page[1]["user"], json!("u-other"));
        assert_eq!(page[2]["role"], json!("r-same"));
        assert_eq!(map.mappings().len(), 2);
        assert_eq!(map.mappings()[0].reason, "same e-mail (ada@example.com)");
    }

    #[test]
    fn mapped_rows_are_never_written() {
        let mut map = KeyMap::default();
        map.insert("directus_users", json!("u-source"), json!("u-dest"), "same e-mail");
        map.insert("directus_users", json!("u-source"), json!("u-elsewhere"), "a second mapping is ignored");
        let (write, mapped) =
            map.split_mapped("directus_users", "id", rows(json!([{ "id": "u-source" }, { "id": "u-new" }])));
        assert_eq!(write.len(), 1);
        assert_eq!(mapped[0]["id"], json!("u-source"));
        assert_eq!(map.get("directus_users", &json!("u-source")), Some(&json!("u-dest")));
        let (write, mapped) = map.split_mapped("directus_roles", "id", rows(json!([{ "id": "r" }])));
        assert_eq!((write.len(), mapped.len()), (1, 0));
    }

    #[test]
    fn integer_and_text_keys_are_the_same_key() {
        let mut map = KeyMap::default();
        map.insert("t", json!(7), json!(9), "natural key");
        assert_eq!(map.get("t", &json!("7")), Some(&json!(9)));
    }
}
