//! Files the rows reference: moved first, with folders and metadata; failures reported.

use serde_json::{json, Value};

use super::*;
use crate::report::RunStatus;

#[test]
fn referenced_files_move_before_their_rows_with_their_folders_and_metadata() {
    let (host, fake) = pair();
    let report =
        run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);
    let mut uploaded: Vec<String> = host.uploads.borrow().iter().map(|(u, _)| u.file.clone()).collect();
    uploaded.sort();
    assert_eq!(uploaded, vec!["f-big", "f-doc", "f-photo"], "each referenced file once, the unused one never");

    let uploads = host.uploads.borrow();
    let (photo, token) = uploads.iter().find(|(u, _)| u.file == "f-photo").unwrap();
    assert!(photo.prefix.starts_with("------table-migration-"));
    assert!(photo.prefix.contains("name=\"id\"\r\n\r\nf-photo\r\n"));
    assert!(photo.prefix.contains("name=\"folder\"\r\n\r\nfo-child\r\n"));
    assert!(photo.prefix.ends_with("filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"));
    assert_eq!(photo.url, "https://dest.example/files?fields=id,filesize");
    assert_eq!(token, "t", "the streamer gets the token to attach");
    assert!(photo.headers.iter().all(|(name, _)| name != "Authorization"), "the token is not in the upload");
    let (big, _) = uploads.iter().find(|(u, _)| u.file == "f-big").unwrap();
    assert!(big.timeout_ms > 120_000, "large files get more time");

    let folders = fake.rows("directus_folders");
    assert_eq!(
        folders,
        table(
            json!([{ "id": "fo-child", "name": "Photos", "parent": "fo-root" }, { "id": "fo-root", "name": "Media", "parent": null }])
        )
    );
    assert!(
        fake.log.borrow().iter().position(|l| l == "POST /folders")
            < fake.log.borrow().iter().position(|l| l == "PATCH /files")
    );

    let files = fake.rows("directus_files");
    let stored = files.iter().find(|f| f["id"] == "f-photo").unwrap();
    let original = host.tables["directus_files"].iter().find(|f| f["id"] == "f-photo").unwrap();
    for field in [
        "title",
        "tags",
        "width",
        "height",
        "focal_point_x",
        "uploaded_on",
        "uploaded_by",
        "folder",
        "filename_download",
    ] {
        assert_eq!(stored[field], original[field], "{field} is written back");
    }
    assert!(
        !stored.contains_key("storage") && !stored.contains_key("filename_disk"),
        "the destination keeps its own storage"
    );
    assert_eq!(
        files.iter().find(|f| f["id"] == "f-doc").unwrap()["uploaded_by"],
        Value::Null,
        "an uploader only the source has"
    );

    assert_eq!(
        (report.files.referenced, report.files.migrated, report.files.skipped, report.files.failed),
        (3, 3, 0, 0)
    );
    assert_eq!(report.files.bytes, 6_948 + 17 + 52_428_800);
    assert_eq!(report.files.folders_created, 2);
    assert!(report.message.contains("3 file(s) uploaded (52.4 MB)"), "{}", report.message);
    let covers: Vec<Value> = fake.rows("articles").iter().map(|a| a["cover"].clone()).collect();
    assert_eq!(covers, host.tables["articles"].iter().map(|a| a["cover"].clone()).collect::<Vec<_>>());

    drop(uploads);
    let again =
        run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
    assert_eq!(host.uploads.borrow().len(), 3, "a second run uploads nothing");
    assert_eq!(again.files.migrated, 0);
}

#[test]
fn a_file_that_cannot_move_is_reported_and_its_references_are_nulled() {
    let (mut host, fake) = pair();
    let articles = host.tables.get_mut("articles").unwrap();
    articles[1].insert("cover".into(), json!("f-bad-size"));
    articles[2].insert("cover".into(), json!("f-unreadable"));
    let report =
        run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
    assert_eq!(report.status, RunStatus::CompletedWithErrors);
    let failures: Vec<(String, String)> =
        report.failures.iter().map(|f| (f.key.as_str().unwrap().to_string(), f.message.clone())).collect();
    assert!(
        failures.contains(&(
            "f-bad-size".into(),
            "size mismatch: the source has 100 bytes, the destination stored 99".into()
        )),
        "{failures:?}"
    );
    assert!(failures.contains(&(
        "f-unreadable".into(),
        "the source could not read the file: ENOENT: no such file or directory".into()
    )));
    assert_eq!(
        host.uploads.borrow().iter().filter(|(u, _)| u.file == "f-unreadable").count(),
        1,
        "a source failure is not retried"
    );
    let covers: Vec<Value> = fake.rows("articles").iter().map(|a| a["cover"].clone()).collect();
    assert_eq!(covers[2], Value::Null, "no row points at a file that did not arrive");
    assert_eq!(report.files.failed, 2);
}

#[test]
fn a_dry_run_counts_the_files_and_bytes_it_would_move() {
    let (host, fake) = pair();
    let mut options = options(json!({ "selectedTables": ["articles", "authors", "categories"] }));
    options.dry_run = true;
    let report = run(&host, &fake, &options).unwrap();
    assert!(host.uploads.borrow().is_empty());
    assert!(fake.writes().is_empty());
    assert_eq!(
        (report.files.migrated, report.files.bytes, report.files.folders_created),
        (3, 6_948 + 17 + 52_428_800, 2)
    );
    assert_eq!(report.tables.iter().map(|t| t.references_nulled).sum::<u64>(), 1, "only the user only the source has");
}
