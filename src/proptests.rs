//! Property tests: no input stops the host. Arbitrary request bodies, `updatedAfter` strings of
//! every RFC 3339 shape and arbitrary rows go through the parsers, the wire format, the
//! receiver's value encoding and the digests: each answers or gives a typed error, never panics.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::commands::request::{MigrationRequest, Route};
use crate::pipeline::data::parse_instant;
use crate::receive::values::encode_rows;
use crate::receive::TableShape;
use crate::shared::digest::{canonical, row_digest};
use crate::shared::rows::Row;
use crate::shared::wire::{Batch, Header, Mode, WIRE_VERSION};

const ROUTES: [Route; 6] = [Route::Check, Route::Tables, Route::SchemaSync, Route::DryRun, Route::Run, Route::Verify];

/// Field names a body or a row may use: the request's own, and a few others.
const NAMES: [&str; 24] = [
    "baseURL",
    "baseUrl",
    "token",
    "dryRun",
    "scope",
    "callbackUrl",
    "force",
    "selectedTables",
    "excludedTables",
    "mirror",
    "alterColumns",
    "updatedAfter",
    "batchSize",
    "concurrency",
    "fileConcurrency",
    "preserveCreated",
    "transport",
    "maxRequestsPerSecond",
    "verify",
    "userPasswords",
    "artifacts",
    "id",
    "",
    "ünïcödé",
];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![3 => proptest::sample::select(&NAMES[..]).prop_map(String::from), 1 => ".{0,12}"]
}

/// Any JSON value: extreme numbers, odd strings, nested arrays and objects.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        instant().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((name(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// `[+-]YYYY…-MM-DDTHH:MM:SS[.f][Z|±hh:mm]` with every part in and out of range.
fn instant() -> impl Strategy<Value = String> {
    let year = prop_oneof![0u32..=3000, 9990u32..=10001, Just(99999), Just(0)];
    let fraction = proptest::option::of("[0-9]{1,12}");
    let offset = prop_oneof![
        Just("Z".to_string()),
        Just("z".to_string()),
        Just(String::new()),
        (prop_oneof![Just('+'), Just('-')], 0u32..=25, 0u32..=61).prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
    ];
    let separator = prop_oneof![Just('T'), Just('t'), Just(' ')];
    (year, 0u32..=13, 0u32..=32, separator, 0u32..=25, 0u32..=61, 0u32..=61, fraction, offset).prop_map(
        |(y, mo, d, t, h, mi, s, f, o)| {
            let fraction = f.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{fraction}{o}")
        },
    )
}

fn row() -> impl Strategy<Value = Row> {
    proptest::collection::vec((name(), json()), 0..8).prop_map(|fields| fields.into_iter().collect::<Map<_, _>>())
}

const TYPES: [&str; 9] =
    ["json", "csv", "bigInteger", "integer", "boolean", "geometry.Point", "timestamp", "uuid", "string"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_body_parses_or_is_refused_with_a_400(body in json(), text in ".{0,64}") {
        for route in ROUTES {
            for input in [body.to_string(), text.clone()] {
                if let Err(error) = MigrationRequest::parse(&input, route) {
                    prop_assert_eq!(error.status(), 400, "{}", error);
                }
            }
        }
    }

    #[test]
    fn any_scope_parses_or_names_what_is_wrong(scope in proptest::collection::vec((name(), json()), 0..6)) {
        let scope: Map<String, Value> = scope.into_iter().collect();
        let body = serde_json::json!({ "baseURL": "https://dest.example", "token": "t", "scope": scope }).to_string();
        for route in ROUTES {
            if let Ok(request) = MigrationRequest::parse(&body, route) {
                let _ = request.destination();
                let _ = crate::commands::migrate::MigrateOptions::from_request(&request, route == Route::DryRun);
            }
        }
    }

    #[test]
    fn any_instant_is_utc_on_the_calendar_or_refused(text in instant()) {
        match parse_instant(&text) {
            Ok(utc) => {
                prop_assert_eq!(utc.len(), 24, "{}", utc);
                prop_assert!(utc.ends_with(".000Z") && !utc.starts_with("0000"), "{} → {}", text, utc);
            }
            Err(error) => {
                prop_assert_eq!(error.status(), 400);
                prop_assert!(error.to_string().starts_with("scope.updatedAfter "), "{}", error);
            }
        }
    }

    #[test]
    fn any_rows_go_through_the_wire_the_receiver_and_the_digests(
        rows in proptest::collection::vec(row(), 0..6),
        columns in proptest::collection::btree_set(name(), 1..6),
        types in proptest::collection::vec(proptest::sample::select(&TYPES[..]), 6),
        text in ".{0,200}",
    ) {
        let columns: Vec<String> = columns.into_iter().collect();
        for row in &rows {
            let _ = row_digest(row, &columns);
            let _ = canonical(&Value::Object(row.clone()));
        }
        let primary_key = columns.first().cloned().unwrap_or_default();
        let header = Header { wire: WIRE_VERSION, mode: Mode::Create, collection: "c".into(), primary_key, columns, rows: Default::default() };
        let encoded = Batch::encode(&header, &rows);
        let _ = Batch::decode(&text);
        if let Ok(mut batch) = Batch::decode(&encoded) {
            prop_assert!(batch.key_index().is_ok());
            let types: BTreeMap<String, String> =
                header.columns.iter().cloned().zip(types.iter().map(|t| t.to_string())).collect();
            let shape = TableShape {
                collection: "c".into(),
                primary_key: header.primary_key.clone(),
                columns: header.columns.clone(),
                auto_increment: false,
                types,
            };
            encode_rows(&mut batch.rows, &header.columns, &shape);
        }
    }
}
