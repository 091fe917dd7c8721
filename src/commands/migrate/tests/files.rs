//! Files the rows reference: moved first, with folders and metadata; failures reported.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::runs::report::RunStatus;
use crate::shared::http::TransportError;

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
        !stored.contains_key("storage") && stored["filename_disk"] == json!("dest-f-photo.bin"),
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

/// A destination whose upload of `f-photo` is cut off `cuts` times by a crash, leaving the row
/// Directus creates before the bytes (size 0, no file on disk); a create of an id it has is
/// refused as Directus refuses it, and `PATCH /files/:id` replaces the content.
fn crashing_uploads(host: &MemoryHost, fake: &Rc<FakeDirectus>, cuts: usize) -> crate::host::memory::Uploader {
    let sizes: BTreeMap<String, u64> = host.tables["directus_files"]
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f["filesize"].as_u64().unwrap()))
        .collect();
    let sink = Rc::clone(fake);
    let left = std::cell::Cell::new(cuts);
    Box::new(move |upload: &StreamedUpload| {
        let size = sizes[&upload.file];
        let has = sink.rows("directus_files").iter().any(|f| f["id"] == json!(upload.file));
        if upload.method == crate::shared::http::Method::Post && has {
            let body = json!({ "errors": [{ "message": "Value for field \"id\" in collection \"directus_files\" has to be unique.", "extensions": { "code": "RECORD_NOT_UNIQUE" } }] });
            return Ok(HttpResponse { status: 400, body: body.to_string(), ..HttpResponse::default() });
        }
        if upload.file == "f-photo" && left.get() > 0 {
            left.set(left.get() - 1);
            sink.insert("directus_files", json!([{ "id": upload.file, "filesize": 0, "filename_disk": null }]));
            return Err(StreamError::Transfer(TransportError::Network("socket hang up".into())));
        }
        sink.insert(
            "directus_files",
            json!([{ "id": upload.file, "filesize": size, "filename_disk": format!("dest-{}.bin", upload.file) }]),
        );
        let body = json!({ "data": { "id": upload.file, "filesize": size } });
        Ok(HttpResponse { status: 200, body: body.to_string(), ..HttpResponse::default() })
    })
}

fn photo_on_the_destination(fake: &FakeDirectus) -> Row {
    fake.rows("directus_files").into_iter().find(|f| f["id"] == "f-photo").unwrap()
}

#[test]
fn an_upload_cut_off_by_a_crash_is_uploaded_again_into_the_row_it_left_empty() {
    let (mut host, fake) = pair();
    host.uploader = Some(crashing_uploads(&host, &fake, 1));
    let report =
        run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);
    let photo = photo_on_the_destination(&fake);
    assert_eq!((photo["filesize"].clone(), photo["filename_disk"].clone()), (json!(6_948), json!("dest-f-photo.bin")));
    assert_eq!((report.files.migrated, report.files.repaired, report.files.failed), (3, 1, 0), "{:?}", report.files);
    assert!(report.warnings.iter().any(|w| w.contains("f-photo") && w.contains("empty row")), "{:?}", report.warnings);
    let uploads = host.uploads.borrow();
    let patch = uploads.iter().find(|(u, _)| u.method == crate::shared::http::Method::Patch).expect("a PATCH");
    assert_eq!(patch.0.url, "https://dest.example/files/f-photo?fields=id,filesize");
    assert!(!patch.0.prefix.contains("name=\"id\""), "the row keeps its id");
    assert_eq!(fake.rows("directus_files").len(), 3, "no second row");
}

#[test]
fn a_re_run_repairs_an_empty_row_and_leaves_a_stored_file_alone() {
    let (mut host, fake) = pair();
    host.uploader = Some(crashing_uploads(&host, &fake, 0));
    fake.insert(
        "directus_files",
        json!([
            { "id": "f-photo", "filesize": 0, "filename_disk": null },
            { "id": "f-doc", "filesize": 12, "filename_disk": "someone-elses.pdf" }
        ]),
    );
    let report =
        run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.failures);
    assert_eq!(photo_on_the_destination(&fake)["filesize"], json!(6_948));
    assert_eq!((report.files.repaired, report.files.skipped), (1, 1), "{:?}", report.files);
    let uploaded: Vec<String> = host.uploads.borrow().iter().map(|(u, _)| u.file.clone()).collect();
    assert!(!uploaded.contains(&"f-doc".to_string()), "a file with its bytes is never replaced");
    let again =
        run(&host, &fake, &options(json!({ "selectedTables": ["articles", "authors", "categories"] }))).unwrap();
    assert_eq!((again.files.migrated, again.files.repaired), (0, 0), "{:?}", again.files);
}
