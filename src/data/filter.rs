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
    let instant = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| {
            let local = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");
            PrimitiveDateTime::parse(text, local).map(|t| t.assume_utc())
        })
        .or_else(|_| Date::parse(text, format_description!("[year]-[month]-[day]")).map(|d| d.midnight().assume_utc()))
        .map_err(|_| {
            CoreError::InvalidInput(format!(
                "scope.updatedAfter is not a valid ISO 8601 date or time: {input:?} (expected e.g. 2026-01-31T12:00:00Z)"
            ))
        })?;
    let utc = instant.to_offset(UtcOffset::UTC).replace_nanosecond(0).expect("zero is a valid nanosecond");
    let millis = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    Ok(utc.format(millis).expect("formatting a valid instant"))
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
            assert!(err.to_string().starts_with("scope.updatedAfter is not a valid ISO 8601"));
        }
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
