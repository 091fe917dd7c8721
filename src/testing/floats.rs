//! Property tests: every f64 survives each encoding the core applies to row values, bit for bit —
//! serde_json rows (the host's pages, the destination's REST bodies, artifacts and reports), the
//! bulk wire format, the receiver's decoding of a batch into the rows it binds, and the
//! verification's canonical form and digests (equal for the same bits, different for the next
//! float).

use futures::executor::block_on;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::receive::receive;
use crate::shared::digest::{canonical, row_digest};
use crate::shared::rows::Row;
use crate::shared::wire::{Batch, Header, Mode, WIRE_VERSION};
use crate::testing::MemoryStore;

/// Finite doubles of every kind: any bit pattern, subnormals, the extremes, ±0, and `i / 7`.
fn finite() -> impl Strategy<Value = f64> {
    let subnormal = (1u64..(1u64 << 52), any::<bool>())
        .prop_map(|(bits, negative)| f64::from_bits(bits | (u64::from(negative) << 63)));
    prop_oneof![
        4 => any::<u64>().prop_map(f64::from_bits).prop_filter("finite", |f| f.is_finite()),
        2 => subnormal,
        2 => (1u32..1_000_000).prop_map(|i| f64::from(i) / 7.0),
        1 => prop::sample::select(vec![
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::EPSILON,
            9_007_199_254_740_993.0,
            f64::from(f32::MAX),
            f64::from(f32::MIN_POSITIVE),
            f64::from(f32::from_bits(1)),
        ]),
    ]
}

fn number(float: f64) -> Value {
    json!(float)
}

fn bits(value: &Value) -> Option<u64> {
    value.as_f64().map(f64::to_bits)
}

fn row(id: u32, float: f64) -> Row {
    json!({ "id": id, "x": number(float) }).as_object().cloned().unwrap_or_default()
}

/// The float after `float` (towards +∞), for finite `float` below the largest.
fn next_up(float: f64) -> f64 {
    if float == 0.0 {
        f64::from_bits(1)
    } else if float > 0.0 {
        f64::from_bits(float.to_bits() + 1)
    } else {
        f64::from_bits(float.to_bits() - 1)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn rows_as_json_text_keep_every_bit(float in finite()) {
        let text = serde_json::to_string(&row(1, float)).unwrap();
        let back: Row = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(bits(&back["x"]), Some(float.to_bits()), "{}", text);
        // With and without the exponent's `+` (`1e+21`, as JavaScript writes it): the same bits.
        let bare: Row = serde_json::from_str(&text.replace("e+", "e")).unwrap();
        prop_assert_eq!(bits(&bare["x"]), Some(float.to_bits()));
        let js = text.replace("e+", "e").replace("e", "e+").replace("e+-", "e-");
        let back: Row = serde_json::from_str(&js).map_err(|e| TestCaseError::fail(format!("{js}: {e}")))?;
        prop_assert_eq!(bits(&back["x"]), Some(float.to_bits()), "{}", js);
    }

    #[test]
    fn the_wire_and_the_receiver_keep_every_bit(floats in prop::collection::vec(finite(), 1..20)) {
        let header = Header {
            wire: WIRE_VERSION,
            mode: Mode::Create,
            collection: "measures".into(),
            primary_key: "id".into(),
            columns: vec!["id".into(), "x".into()],
            rows: Default::default(),
        };
        let rows: Vec<Row> = floats.iter().enumerate().map(|(i, f)| row(i as u32 + 1, *f)).collect();
        let text = Batch::encode(&header, &rows);
        let batch = Batch::decode(&text).unwrap();
        let decoded: Vec<Option<u64>> = batch.rows.iter().map(|r| bits(&r[1])).collect();
        prop_assert_eq!(decoded, floats.iter().map(|f| Some(f.to_bits())).collect::<Vec<_>>());

        for kind in ["float", "double"] {
            let mut store = MemoryStore::default();
            store.describe("measures", "id", &[("id", "integer"), ("x", kind)]);
            let receipt = block_on(receive(&store, &crate::shared::runtime::fake::FakeClock::default(), text.as_bytes())).unwrap();
            prop_assert_eq!(receipt.written.len(), floats.len());
            // What the store is asked to bind crosses to the host as JSON text.
            let stored = serde_json::to_string(&store.rows("measures")).unwrap();
            let stored: Vec<Row> = serde_json::from_str(&stored).unwrap();
            let written: Vec<Option<u64>> = stored.iter().map(|r| bits(&r["x"])).collect();
            prop_assert_eq!(written, floats.iter().map(|f| Some(f.to_bits())).collect::<Vec<_>>());
        }
    }

    #[test]
    fn digests_tell_every_float_from_the_next(float in finite()) {
        let columns = vec!["id".to_string(), "x".to_string()];
        let text = serde_json::to_string(&row(1, float)).unwrap();
        let back: Row = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(canonical(&back["x"]), canonical(&number(float)));
        prop_assert_eq!(row_digest(&back, &columns), row_digest(&row(1, float), &columns));
        if float != f64::MAX {
            let next = next_up(float);
            prop_assert_ne!(canonical(&number(next)), canonical(&number(float)));
            prop_assert_ne!(row_digest(&row(1, next), &columns), row_digest(&row(1, float), &columns));
        }
    }
}

#[test]
fn negative_zero_is_not_zero() {
    assert_eq!(canonical(&json!(-0.0)), "-0");
    assert_eq!(canonical(&json!(0.0)), "0");
    let back: Value = serde_json::from_str("-0").unwrap();
    assert_eq!(back.as_f64().map(f64::to_bits), Some((-0.0f64).to_bits()));
}
