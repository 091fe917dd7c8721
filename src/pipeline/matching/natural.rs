//! Rows that exist on the destination under another key: matched on their natural key (a
//! permission by policy, collection and action; an access row by role, user and policy; a preset
//! by user, role, collection and bookmark). Looked up in URL-sized chunks with an `_or` of the
//! page's tuples.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::destination::{encode, items_path, Destination, DestinationError};
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, Row};
use crate::shared::runtime::Clock;

/// Longest filter a lookup puts in a URL (like the key lookups').
const URL_BUDGET: usize = 6_000;

/// A row's natural key as text (null is not any text).
fn tuple(row: &Row, columns: &[&str]) -> Vec<Option<String>> {
    columns.iter().map(|c| row.get(*c).filter(|v| !v.is_null()).map(key_text)).collect()
}

fn condition(row: &Row, columns: &[&str]) -> Value {
    let parts: Vec<Value> = columns
        .iter()
        .map(|c| match row.get(*c).filter(|v| !v.is_null()) {
            Some(value) => json!({ *c: { "_eq": value } }),
            None => json!({ *c: { "_null": true } }),
        })
        .collect();
    json!({ "_and": parts })
}

/// The destination's rows of `collection` (their `key` and `columns`) that share their `columns`
/// with one of `rows`. Rows without a key (Directus' synthetic app permissions) are left out.
pub async fn rows_matching<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    collection: &str,
    key: &str,
    columns: &[&str],
    rows: &[&Row],
) -> Result<Vec<Row>, DestinationError> {
    let mut found = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut conditions = Vec::new();
        while let Some(row) = rows.get(end) {
            conditions.push(condition(row, columns));
            let size = encode(&json!({ "_or": conditions }).to_string()).len();
            if size > URL_BUDGET && end > start {
                conditions.pop();
                break;
            }
            end += 1;
        }
        let fields: Vec<&str> = std::iter::once(key).chain(columns.iter().copied()).collect();
        let path = format!(
            "{}?fields={}&limit={}&filter={}",
            items_path(collection),
            encode(&fields.join(",")),
            (conditions.len() * 10).max(100),
            encode(&json!({ "_or": conditions }).to_string())
        );
        let page: Vec<Row> = destination.get(&path).await?;
        found.extend(page.into_iter().filter(|r| r.get(key).is_some_and(|k| !k.is_null())));
        start = end;
    }
    Ok(found)
}

/// Which of `rows` (by index) the destination already has, by their natural key `columns`.
pub async fn natural_matches<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    collection: &str,
    key: &str,
    columns: &[&str],
    rows: &[&Row],
) -> Result<HashSet<usize>, DestinationError> {
    if rows.is_empty() || columns.is_empty() {
        return Ok(HashSet::new());
    }
    let there: HashSet<Vec<Option<String>>> =
        rows_matching(destination, collection, key, columns, rows).await?.iter().map(|r| tuple(r, columns)).collect();
    Ok(rows.iter().enumerate().filter(|(_, row)| there.contains(&tuple(row, columns))).map(|(i, _)| i).collect())
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, destination, Scripted};

    fn rows(value: Value) -> Vec<Row> {
        value.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect()
    }

    #[test]
    fn matches_tuples_nulls_included_and_ignores_synthetic_rows() {
        let there = json!({ "data": [
            { "id": 4, "policy": "p1", "collection": "projects", "action": "read" },
            { "policy": null, "collection": "directus_users", "action": "read", "system": true },
            { "id": 9, "policy": "p2", "collection": "projects", "action": null }
        ] });
        let transport = Scripted::new(vec![answer(200, &there.to_string())]);
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let page = rows(json!([
            { "id": 1, "policy": "p1", "collection": "projects", "action": "read" },
            { "id": 2, "policy": "p1", "collection": "projects", "action": "create" },
            { "id": 3, "policy": "p2", "collection": "projects", "action": null },
            { "id": 5, "policy": null, "collection": "directus_users", "action": "read" }
        ]));
        let refs: Vec<&Row> = page.iter().collect();
        let matched =
            block_on(natural_matches(&dest, "directus_permissions", "id", &["policy", "collection", "action"], &refs))
                .unwrap();
        let mut matched: Vec<usize> = matched.into_iter().collect();
        matched.sort();
        assert_eq!(matched, vec![0, 2]);
        let request = &transport.requests()[0];
        assert!(request.starts_with("GET /permissions?fields=id%2Cpolicy%2Ccollection%2Caction&limit=100&filter="));
        let filter = percent_encoding::percent_decode_str(request.split("filter=").nth(1).unwrap())
            .decode_utf8()
            .unwrap()
            .to_string();
        assert!(filter.contains(r#"{"action":{"_null":true}}"#), "{filter}");
    }

    #[test]
    fn long_pages_are_looked_up_in_url_sized_chunks() {
        let transport = Scripted::new((0..30).map(|_| answer(200, r#"{"data":[]}"#)).collect());
        let clock = FakeClock::default();
        let dest = destination(&transport, &clock);
        let page: Vec<Row> = (0..300)
            .map(|i| json!({ "policy": format!("6f1c2a3e-0000-4000-8000-{i:012}"), "collection": "projects", "action": "read" }))
            .map(|v| v.as_object().unwrap().clone())
            .collect();
        let refs: Vec<&Row> = page.iter().collect();
        block_on(natural_matches(&dest, "directus_permissions", "id", &["policy", "collection", "action"], &refs))
            .unwrap();
        assert!(transport.calls() > 1);
        assert!(transport.seen.borrow().iter().all(|(r, _)| r.url.len() < 7_000));
    }
}
