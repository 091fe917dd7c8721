//! `updatedAfter`: which rows an incremental migration moves.
//!
//! A row moves when its `date-updated` field is at or after the instant; where that field is null
//! (or the collection has none), its `date-created` field decides; a collection with neither field
//! moves every row.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::CoreError;

/// Parse an ISO 8601 instant (`2026-01-31T12:00:00Z`, with an offset, without one = UTC, or a
/// bare date = its midnight UTC) into RFC 3339 UTC, rounded down to the whole second: MySQL's and
/// MariaDB's timestamp columns (as Directus creates them) keep whole seconds, so a row changed in
/// the instant's second may be stored just before it. Taking the whole second moves at most a few
/// more rows, which is safe (rows the destination has are skipped).
pub fn parse_instant(input: &str) -> Result<String, CoreError> {
    let text = input.trim();
    let refused = |why: &str| CoreError::InvalidInput(format!("scope.updatedAfter {why}: {input:?}"));
    // RFC 3339 allows a leap second; no database Directus runs on stores one.
    if text.get(16..17) == Some(":") && text.get(17..19) == Some("60") {
        return Err(refused("is a leap second (:60), which no database stores: send :59 instead"));
    }
    let instant = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| {
            let local = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");
            PrimitiveDateTime::parse(text, local).map(|t| t.assume_utc())
        })
        .or_else(|_| Date::parse(text, format_description!("[year]-[month]-[day]")).map(|d| d.midnight().assume_utc()))
        .map_err(|_| refused("is not a valid ISO 8601 date or time (expected e.g. 2026-01-31T12:00:00Z)"))?;
    // An offset may carry the instant off the calendar (9999-12-31T23:59:59-23:59): refused, as
    // is any instant whose UTC year has not four digits.
    let out_of_range = || refused("is out of range: in UTC it must fall between 0001-01-01 and 9999-12-31");
    let utc = instant
        .checked_to_offset(UtcOffset::UTC)
        .filter(|utc| (1..=9999).contains(&utc.year()))
        .ok_or_else(out_of_range)?;
    let utc = utc.replace_nanosecond(0).map_err(|_| out_of_range())?;
    let millis = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    utc.format(millis).map_err(|_| out_of_range())
}

/// The Directus filter for rows changed at or after `instant` (already normalised).
pub fn changed_since(date_updated: Option<&str>, date_created: Option<&str>, instant: &str) -> Option<Value> {
    match (date_updated, date_created) {
        (Some(updated), Some(created)) => Some(json!({ "_or": [
            { updated: { "_gte": instant } },
            { "_and": [{ updated: { "_null": true } }, { created: { "_gte": instant } }] }
        ] })),
        (Some(updated), None) => {
            Some(json!({ "_or": [{ updated: { "_gte": instant } }, { updated: { "_null": true } }] }))
        }
        (None, Some(created)) => Some(json!({ created: { "_gte": instant } })),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_iso_forms_into_utc() {
        assert_eq!(parse_instant("2026-01-31T12:00:00Z").unwrap(), "2026-01-31T12:00:00.000Z");
        assert_eq!(parse_instant("2026-01-31T12:00:00.5+02:00").unwrap(), "2026-01-31T10:00:00.000Z", "whole seconds");
        assert_eq!(parse_instant("2026-01-31T12:00:00").unwrap(), "2026-01-31T12:00:00.000Z");
        assert_eq!(parse_instant(" 2026-01-31 ").unwrap(), "2026-01-31T00:00:00.000Z");
    }

    #[test]
    fn refuses_everything_else() {
        for bad in ["", "yesterday", "2026-13-01", "2026-01-31T25:00:00Z", "1700000000"] {
            let err = parse_instant(bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
            assert!(err.to_string().starts_with("scope.updatedAfter is not a valid ISO 8601"), "{err}");
        }
    }

    #[test]
    fn refuses_instants_off_the_calendar_without_panicking() {
        for (bad, why) in [
            ("9999-12-31T23:59:59-23:59", "is out of range"),
            ("0000-01-01T00:00:00+23:59", "is out of range"),
            ("0000-06-01T00:00:00Z", "is out of range"),
            ("10000-01-01T00:00:00Z", "is not a valid ISO 8601"),
            ("2016-12-31T23:59:60Z", "is a leap second"),
            ("2026-01-31T12:00:60+02:00", "is a leap second"),
        ] {
            let err = parse_instant(bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
            assert!(err.to_string().starts_with(&format!("scope.updatedAfter {why}")), "{bad}: {err}");
        }
        assert_eq!(parse_instant("9999-12-31T23:59:59+23:59").unwrap(), "9999-12-31T00:00:59.000Z");
        assert_eq!(parse_instant("0001-01-01T23:59:00+23:59").unwrap(), "0001-01-01T00:00:00.000Z");
    }

    #[test]
    fn filters_by_the_fields_the_collection_has() {
        let at = "2026-01-01T00:00:00.000Z";
        assert_eq!(
            changed_since(Some("date_updated"), Some("date_created"), at).unwrap(),
            json!({ "_or": [
                { "date_updated": { "_gte": at } },
                { "_and": [{ "date_updated": { "_null": true } }, { "date_created": { "_gte": at } }] }
            ] })
        );
        assert_eq!(changed_since(None, Some("created_on"), at).unwrap(), json!({ "created_on": { "_gte": at } }));
        assert_eq!(
            changed_since(Some("modified"), None, at).unwrap(),
            json!({ "_or": [{ "modified": { "_gte": at } }, { "modified": { "_null": true } }] })
        );
        assert_eq!(changed_since(None, None, at), None);
    }
}
