//! References to rows that may not exist on the destination (a `user_created` user only the source
//! has, a row of a collection that is not selected): looked up per page, and set to null when the
//! row is missing, so the reference does not fail the whole row. Required references are left as
//! they are; the destination then refuses the row and it is reported.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::destination::{Destination, DestinationError};
use crate::pipeline::plan::Reference;
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, Row};
use crate::shared::runtime::Clock;

/// Keys known to exist or to be missing on the destination, per collection. Bounded: a collection
/// whose cache fills up starts over.
#[derive(Default)]
pub struct KnownKeys {
    /// Per collection: key text → whether the row exists on the destination.
    by_collection: RefCell<BTreeMap<String, HashMap<String, bool>>>,
}

const CAPACITY: usize = 50_000;

impl KnownKeys {
    /// Whether `key` of `collection` is known to exist on the destination.
    pub fn knows_present(&self, collection: &str, key: &Value) -> bool {
        self.lookup(collection, &key_text(key)) == Some(true)
    }

    /// Record that `key` of `collection` exists on the destination (it was just written).
    pub fn mark_present(&self, collection: &str, key: &Value) {
        self.remember(collection, key_text(key), true);
    }

    /// `Some(true)` exists, `Some(false)` missing, `None` unknown.
    fn lookup(&self, collection: &str, key: &str) -> Option<bool> {
        self.by_collection.borrow().get(collection)?.get(key).copied()
    }

    fn remember(&self, collection: &str, key: String, exists: bool) {
        let mut cache = self.by_collection.borrow_mut();
        let known = cache.entry(collection.to_string()).or_default();
        if known.len() >= CAPACITY {
            known.clear();
        }
        known.insert(key, exists);
    }
}

/// Null the references in `rows` whose target row is missing on the destination. Returns how
/// many values were set to null.
pub async fn null_missing<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    known: &KnownKeys,
    references: &[Reference],
    rows: &mut [Row],
) -> Result<u64, DestinationError> {
    let mut nulled = 0;
    for reference in references {
        let mut unknown: BTreeMap<String, Value> = BTreeMap::new();
        for row in rows.iter() {
            if let Some(value) = row.get(&reference.field).filter(|v| !v.is_null()) {
                let text = key_text(value);
                if known.lookup(&reference.target, &text).is_none() {
                    unknown.insert(text, value.clone());
                }
            }
        }
        if !unknown.is_empty() {
            let values: Vec<Value> = unknown.values().cloned().collect();
            let found: BTreeSet<String> = destination
                .existing_keys(&reference.target, &reference.target_key, &values)
                .await?
                .iter()
                .map(key_text)
                .collect();
            for text in unknown.into_keys() {
                let exists = found.contains(&text);
                known.remember(&reference.target, text, exists);
            }
        }
        if !reference.nullable {
            continue;
        }
        for row in rows.iter_mut() {
            let missing = row
                .get(&reference.field)
                .filter(|v| !v.is_null())
                .is_some_and(|v| known.lookup(&reference.target, &key_text(v)) == Some(false));
            if missing {
                row.insert(reference.field.clone(), Value::Null);
                nulled += 1;
            }
        }
    }
    Ok(nulled)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, destination, Scripted};

    fn reference(field: &str, target: &str, nullable: bool) -> Reference {
        Reference { field: field.into(), target: target.into(), target_key: "id".into(), nullable }
    }

    fn rows(values: Value) -> Vec<Row> {
        values.as_array().unwrap().iter().map(|v| v.as_object().unwrap().clone()).collect()
    }

    #[test]
    fn missing_targets_are_nulled_and_lookups_are_cached() {
        let transport = Scripted::new(vec![answer(200, r#"{"data":[{"id":"u1"}]}"#)]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let known = KnownKeys::default();
        let refs = [reference("user_created", "directus_users", true)];
        let mut page = rows(
            json!([{ "id": 1, "user_created": "u1" }, { "id": 2, "user_created": "u2" }, { "id": 3, "user_created": null }, { "id": 4, "user_created": "u2" }]),
        );
        let nulled = block_on(null_missing(&dest, &known, &refs, &mut page)).unwrap();
        assert_eq!(nulled, 2);
        assert_eq!(
            page.iter().map(|r| r["user_created"].clone()).collect::<Vec<_>>(),
            vec![json!("u1"), Value::Null, Value::Null, Value::Null]
        );
        assert_eq!(transport.calls(), 1, "one lookup for the distinct values");

        let mut next = rows(json!([{ "id": 5, "user_created": "u1" }, { "id": 6, "user_created": "u2" }]));
        assert_eq!(block_on(null_missing(&dest, &known, &refs, &mut next)).unwrap(), 1);
        assert_eq!(transport.calls(), 1, "answered from the cache");
    }

    #[test]
    fn required_references_are_left_for_the_destination_to_refuse() {
        let transport = Scripted::new(vec![answer(200, r#"{"data":[]}"#)]);
        let clock = FakeClock::default();
        let refs = [reference("owner", "people", false)];
        let mut page = rows(json!([{ "id": 1, "owner": 9 }]));
        assert_eq!(
            block_on(null_missing(&destination(&transport, &clock), &KnownKeys::default(), &refs, &mut page)).unwrap(),
            0
        );
        assert_eq!(page[0]["owner"], json!(9));
    }
}
