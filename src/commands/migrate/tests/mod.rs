//! The data run end to end against an in-memory source and an in-memory Directus destination.
//! This file holds the fixture; the tests are by theme beside it.

mod bulk;
mod delete_missing;
mod files;
mod held_back;
mod merge;
mod resume;
mod rows;
mod system;

use std::collections::BTreeMap;
use std::rc::Rc;

use futures::executor::block_on;
use serde_json::{json, Value};

use super::*;
use crate::commands::request::{MigrationRequest, Route};
use crate::destination::DestinationConfig;
use crate::host::memory::MemoryHost;
use crate::pipeline::schema::fixtures::publishing;
use crate::shared::http::{HttpResponse, StreamError, StreamedUpload};
use crate::shared::rows::Row;
use crate::shared::runtime::fake::FakeClock;
use crate::testing::fake_directus::FakeDirectus;

pub(crate) fn table(rows: Value) -> Vec<Row> {
    rows.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect()
}

/// The publishing sample: a tree whose children come before their parents, the authors ↔
/// articles cycle, junctions, a singleton, a `user_created` user only the source has, and files
/// (a cover image in a nested folder, attachments, one file nothing references).
pub(crate) fn source() -> MemoryHost {
    let mut host = MemoryHost::with_snapshot(publishing());
    let mut t = |name: &str, rows: Value| {
        host.tables.insert(name.into(), table(rows));
    };
    t("languages", json!([{ "code": "en-US", "name": "English" }, { "code": "ja-JP", "name": "日本語" }]));
    t(
        "authors",
        json!([
            { "id": "a1", "name": "Ada", "favorite_article": 3, "user_created": "u-shared" },
            { "id": "a2", "name": "Grace", "favorite_article": null, "user_created": "u-source-only" }
        ]),
    );
    t(
        "categories",
        json!([
            { "id": 1, "parent": 5 }, { "id": 2, "parent": 1 }, { "id": 3, "parent": 1 }, { "id": 4, "parent": 2 }, { "id": 5, "parent": null }
        ]),
    );
    t(
        "articles",
        json!([
            { "id": 1, "title": "One", "author": "a1", "category": 4, "cover": "f-photo", "date_created": "2020-01-01T00:00:00.000Z", "date_updated": null },
            { "id": 2, "title": "Two ✓", "author": "a2", "category": null, "cover": null, "date_created": "2021-06-01T00:00:00.000Z", "date_updated": "2026-02-01T00:00:00.000Z" },
            { "id": 3, "title": "Three", "author": null, "category": 1, "cover": null, "date_created": "2026-03-01T00:00:00.000Z", "date_updated": null },
            { "id": 4, "title": "Four", "author": "a1", "category": 5, "cover": "f-photo", "date_created": "2019-01-01T00:00:00.000Z", "date_updated": "2019-02-01T00:00:00.000Z" },
            { "id": 5, "title": "Five", "author": "a2", "category": 2, "cover": "f-big", "date_created": "2018-01-01T00:00:00.000Z", "date_updated": null }
        ]),
    );
    t("articles_files", json!([{ "id": 1, "articles_id": 2, "directus_files_id": "f-doc" }]));
    t("tags", json!([{ "id": 1, "name": "rust" }, { "id": 2, "name": "wasm" }]));
    t(
        "articles_tags",
        json!([{ "id": 1, "articles_id": 1, "tags_id": 2 }, { "id": 2, "articles_id": 5, "tags_id": 1 }]),
    );
    t("articles_translations", json!([{ "id": 1, "articles_id": 2, "languages_code": "ja-JP" }]));
    t("site_settings", json!([{ "id": 1, "default_language": "ja-JP" }]));
    let file = |id: &str, name: &str, size: u64, folder: Option<&str>, uploader: &str| {
        json!({ "id": id, "filename_download": name, "title": name, "type": "image/png", "filesize": size, "folder": folder,
                "storage": "local", "filename_disk": format!("{id}.png"), "uploaded_by": uploader, "uploaded_on": "2024-05-01T10:00:00.000Z",
                "width": 640, "height": 480, "tags": ["a", "b"], "focal_point_x": 10, "modified_on": "2025-01-01T00:00:00.000Z" })
    };
    t(
        "directus_files",
        json!([
            file("f-photo", "photo.png", 6_948, Some("fo-child"), "u-shared"),
            file("f-doc", "doc.pdf", 17, None, "u-source-only"),
            file("f-big", "big.bin", 52_428_800, Some("fo-root"), "u-shared"),
            file("f-unused", "unused.png", 100, None, "u-shared"),
            file("f-bad-size", "short.png", 100, None, "u-shared"),
            file("f-unreadable", "lost.png", 100, None, "u-shared")
        ]),
    );
    t(
        "directus_folders",
        json!([
            { "id": "fo-root", "name": "Media", "parent": null },
            { "id": "fo-child", "name": "Photos", "parent": "fo-root" }
        ]),
    );
    host
}

pub(crate) fn destination() -> FakeDirectus {
    let fake = FakeDirectus::new(&[
        ("languages", "code"),
        ("authors", "id"),
        ("categories", "id"),
        ("articles", "id"),
        ("articles_files", "id"),
        ("tags", "id"),
        ("articles_tags", "id"),
        ("articles_translations", "id"),
        ("site_settings", "id"),
        ("directus_users", "id"),
        ("directus_files", "id"),
        ("directus_folders", "id"),
    ])
    .singleton("site_settings")
    .foreign_key("articles", "author", "authors")
    .foreign_key("articles", "category", "categories")
    .foreign_key("articles", "cover", "directus_files")
    .foreign_key("articles_files", "articles_id", "articles")
    .foreign_key("articles_files", "directus_files_id", "directus_files")
    .foreign_key("authors", "favorite_article", "articles")
    .foreign_key("authors", "user_created", "directus_users")
    .foreign_key("categories", "parent", "categories")
    .foreign_key("articles_tags", "articles_id", "articles")
    .foreign_key("articles_tags", "tags_id", "tags")
    .foreign_key("articles_translations", "articles_id", "articles")
    .foreign_key("articles_translations", "languages_code", "languages")
    .foreign_key("site_settings", "default_language", "languages")
    .foreign_key("directus_files", "folder", "directus_folders")
    .foreign_key("directus_files", "uploaded_by", "directus_users")
    .foreign_key("directus_folders", "parent", "directus_folders")
    .rule(|collection, row| {
        (collection == "articles" && row.get("title") == Some(&json!("bad")))
            .then(|| "Title may not be \"bad\".".to_string())
    });
    fake.insert("directus_users", json!([{ "id": "u-shared" }, { "id": "migrating-admin" }]));
    fake
}

/// A source and destination wired so that file uploads land in the destination: the source
/// "streams" a file by inserting its row; `f-bad-size` is stored one byte short, `f-unreadable`
/// cannot be read.
pub(crate) fn pair() -> (MemoryHost, Rc<FakeDirectus>) {
    pair_with(destination())
}

pub(crate) fn pair_with(fake: FakeDirectus) -> (MemoryHost, Rc<FakeDirectus>) {
    pair_with_host(source(), fake)
}

pub(crate) fn pair_with_host(mut host: MemoryHost, fake: FakeDirectus) -> (MemoryHost, Rc<FakeDirectus>) {
    let fake = Rc::new(fake);
    let sink = Rc::clone(&fake);
    let sizes: BTreeMap<String, u64> = host.tables["directus_files"]
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f["filesize"].as_u64().unwrap()))
        .collect();
    host.uploader = Some(Box::new(move |upload: &StreamedUpload| {
        if upload.file == "f-unreadable" {
            return Err(StreamError::Source { code: None, message: "ENOENT: no such file or directory".into() });
        }
        let stored = sizes.get(&upload.file).copied().unwrap_or(0) - u64::from(upload.file == "f-bad-size");
        sink.insert(
            "directus_files",
            json!([{ "id": upload.file, "filesize": stored, "filename_disk": format!("dest-{}.bin", upload.file), "title": "Directus's own title" }]),
        );
        Ok(HttpResponse {
            status: 200,
            body: json!({ "data": { "id": upload.file, "filesize": stored } }).to_string(),
            ..HttpResponse::default()
        })
    }));
    (host, fake)
}

/// `excludedTables` naming every one of Directus' own collections: every user table, as the
/// tests of user rows want it (Directus' own collections have their tests in `system.rs`).
pub(crate) fn user_tables_only() -> Value {
    crate::pipeline::system::CATALOGUE.iter().map(|c| c.collection).collect()
}

pub(crate) fn options(scope: Value) -> MigrateOptions {
    let request = MigrationRequest::parse(
        &json!({ "baseURL": "https://dest.example", "token": "t", "scope": scope }).to_string(),
        Route::Run,
    )
    .unwrap();
    MigrateOptions::from_request(&request, false).unwrap()
}

pub(crate) fn run(
    host: &MemoryHost,
    fake: &Rc<FakeDirectus>,
    options: &MigrateOptions,
) -> Result<RunReport, CoreError> {
    let clock = FakeClock::default();
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), &**fake, &clock).unwrap();
    block_on(migrate(host, &destination, options))
}

pub(crate) fn without(rows: Vec<Row>, fields: &[&str]) -> Vec<Row> {
    rows.into_iter()
        .map(|mut r| {
            fields.iter().for_each(|f| {
                r.remove(*f);
            });
            r
        })
        .collect()
}
