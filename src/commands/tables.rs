//! `POST /migration/tables`: the source's user collections with exact row counts, sorted by name.

use futures::future::try_join_all;
use serde::Serialize;
use serde_json::Value;

use crate::host::{CountRequest, Host};
use crate::pipeline::schema::{user_tables, Parts};
use crate::CoreError;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    /// Display name, e.g. `Articles Translations`.
    pub name: String,
    pub collection: String,
    pub icon: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub singleton: bool,
    pub count: u64,
    pub item_count: u64,
    pub selected: bool,
    /// The collection's database schema as Directus describes it.
    pub schema: Value,
}

pub async fn tables<H: Host>(host: &H) -> Result<Vec<TableInfo>, CoreError> {
    let snapshot = host.schema_snapshot().await?;
    let mut names: Vec<&str> = user_tables(&snapshot).collect();
    names.sort_unstable();
    let requests: Vec<CountRequest> =
        names.iter().map(|name| CountRequest { collection: name.to_string(), filter: None }).collect();
    let counts = try_join_all(requests.iter().map(|request| host.count(request))).await?;
    let infos = names
        .into_iter()
        .zip(counts)
        .filter_map(|(name, count)| {
            let collection = snapshot.collections.iter().find(|c| c.collection == name)?;
            let singleton = collection.meta_value("singleton").and_then(Value::as_bool).unwrap_or(false);
            let icon = collection.meta_value("icon").and_then(Value::as_str).unwrap_or("database");
            Some(TableInfo {
                name: title(name),
                collection: name.to_string(),
                icon: icon.to_string(),
                kind: if singleton { "singleton" } else { "table" },
                singleton,
                count,
                item_count: count,
                selected: false,
                schema: collection.schema().cloned().map(Value::Object).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(infos)
}

/// `articles_translations` → `Articles Translations`.
fn title(name: &str) -> String {
    name.split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::host::memory::MemoryHost;
    use crate::pipeline::schema::fixtures::publishing;

    /// The fixture's user tables, in name order (its `config` folder has no table).
    const TABLES: [&str; 9] = [
        "articles",
        "articles_files",
        "articles_tags",
        "articles_translations",
        "authors",
        "categories",
        "languages",
        "site_settings",
        "tags",
    ];

    #[test]
    fn lists_user_tables_with_counts_sorted() {
        let mut host = MemoryHost::with_snapshot(publishing());
        for name in TABLES {
            host.tables.insert(name.into(), vec![]);
        }
        host.tables
            .insert("articles".into(), (1..=3).map(|i| json!({ "id": i }).as_object().unwrap().clone()).collect());
        let list = block_on(tables(&host)).unwrap();
        let names: Vec<&str> = list.iter().map(|t| t.collection.as_str()).collect();
        assert_eq!(names, TABLES);
        assert_eq!((list[0].count, list[0].item_count), (3, 3));
        assert_eq!(list[7].kind, "singleton");
        assert!(list[7].singleton);
        assert_eq!(list[3].name, "Articles Translations");
        assert_eq!(list[0].schema, json!({ "name": "articles" }));
        assert!(list.iter().all(|t| !t.selected));
    }

    #[test]
    fn titles_like_directus() {
        assert_eq!(title("site_settings"), "Site Settings");
        assert_eq!(title("blog-posts"), "Blog Posts");
    }
}
