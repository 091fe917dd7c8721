//! The JSON bodies the endpoint accepts: strict (an unknown or misspelled field is refused, named,
//! with the accepted ones), with errors that name the offending field.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::destination::{normalize_base_url, DestinationConfig};
use crate::pipeline::data::parse_instant;
use crate::CoreError;

/// `scope` of a request; every field is optional, and each route reads the ones it uses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Scope {
    /// Go ahead despite a Directus version or database vendor difference.
    pub force: bool,
    pub selected_tables: Option<Vec<String>>,
    pub excluded_tables: Option<Vec<String>>,
    /// Schema sync only: also delete what the destination has and the source does not.
    pub mirror: bool,
    /// Schema sync only: also change existing columns (type, length, nullability, defaults,
    /// foreign-key actions) to the source's, without deleting anything.
    pub alter_columns: bool,
    pub updated_after: Option<String>,
    /// `add` (default: rows the destination has are skipped) or `merge` (rows the destination has
    /// and whose content differs are updated to the source's; data endpoints).
    pub mode: Option<String>,
    /// With `mode: "merge"` and `selectedTables`: delete the destination rows of the named tables
    /// whose key the source no longer has (data endpoints).
    pub delete_missing: bool,
    /// Rows per page and per insert request (data endpoints).
    pub batch_size: Option<u32>,
    /// Pages in flight at once (data endpoints).
    pub concurrency: Option<u32>,
    /// File uploads in flight at once (data endpoints).
    pub file_concurrency: Option<u32>,
    /// Write back created dates and users after the insert (data endpoints; default true).
    pub preserve_created: Option<bool>,
    /// `rest`, `bulk` or `auto` (data endpoints; default auto).
    pub transport: Option<String>,
    /// At most this many requests per second to the destination (data endpoints).
    pub max_requests_per_second: Option<f64>,
    /// Run: verify the selected tables once the rows have moved (see `/migration/verify`).
    pub verify: bool,
    /// `excludedTables` mode: copy the password hashes of the users a run creates, where the
    /// transport can (the bulk receiver).
    pub user_passwords: bool,
    /// Run, dry run and an applying schema sync: save the artifacts in the source's file library
    /// (default true).
    pub artifacts: Option<bool>,
}

/// Rows per page and per insert request, pages and uploads in flight: the ranges accepted.
pub const BATCH_SIZES: std::ops::RangeInclusive<u32> = 1..=5_000;
pub const CONCURRENCIES: std::ops::RangeInclusive<u32> = 1..=16;
pub const FILE_CONCURRENCIES: std::ops::RangeInclusive<u32> = 1..=8;
pub const TRANSPORTS: [&str; 3] = ["rest", "bulk", "auto"];
pub const MODES: [&str; 2] = ["add", "merge"];

impl Scope {
    /// Every value within what it may be, whichever route reads it: a body that one route would
    /// refuse is refused by all.
    pub fn validate(&self) -> Result<(), CoreError> {
        let range = |field: &str, value: Option<u32>, range: std::ops::RangeInclusive<u32>| match value {
            Some(value) if !range.contains(&value) => Err(CoreError::InvalidInput(format!(
                "scope.{field} must be between {} and {}, not {value}",
                range.start(),
                range.end()
            ))),
            _ => Ok(()),
        };
        range("batchSize", self.batch_size, BATCH_SIZES)?;
        range("concurrency", self.concurrency, CONCURRENCIES)?;
        range("fileConcurrency", self.file_concurrency, FILE_CONCURRENCIES)?;
        if let Some(other) = self.transport.as_deref().filter(|t| !TRANSPORTS.contains(t)) {
            return Err(CoreError::InvalidInput(format!("scope.transport must be rest, bulk or auto, not {other:?}")));
        }
        if let Some(other) = self.mode.as_deref().filter(|m| !MODES.contains(m)) {
            return Err(CoreError::InvalidInput(format!("scope.mode must be add or merge, not {other:?}")));
        }
        self.validate_delete_missing()?;
        if let Some(rate) = self.max_requests_per_second.filter(|r| !(*r > 0.0 && *r <= 10_000.0)) {
            return Err(CoreError::InvalidInput(format!(
                "scope.maxRequestsPerSecond must be more than 0 and at most 10000, not {rate}"
            )));
        }
        if let Some(instant) = self.updated_after.as_deref() {
            parse_instant(instant)?;
        }
        Ok(())
    }
}

impl Scope {
    /// `deleteMissing` deletes only what the caller named: user tables listed in
    /// `selectedTables`, in a merge.
    fn validate_delete_missing(&self) -> Result<(), CoreError> {
        if !self.delete_missing {
            return Ok(());
        }
        let invalid = |message: String| Err(CoreError::InvalidInput(message));
        if self.mode.as_deref() != Some("merge") {
            return invalid("scope.deleteMissing needs scope.mode: \"merge\"".into());
        }
        let Some(selected) = &self.selected_tables else {
            return invalid(
                "scope.deleteMissing needs scope.selectedTables: it deletes only in the tables named there".into(),
            );
        };
        if let Some(own) = selected.iter().find(|c| crate::pipeline::schema::is_system(c)) {
            return invalid(format!(
                "scope.deleteMissing never deletes from Directus' own collections: leave {own} out of scope.selectedTables"
            ));
        }
        Ok(())
    }
}

/// `{ baseURL, token, dryRun, scope, callbackUrl }`: every endpoint but `/test` takes this shape.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrationRequest {
    #[serde(rename = "baseURL", alias = "baseUrl")]
    pub base_url: Option<String>,
    pub token: Option<String>,
    #[serde(rename = "dryRun")]
    pub dry_run: Option<bool>,
    pub scope: Scope,
    /// Data endpoints: run in the background and `POST` the outcome here.
    #[serde(rename = "callbackUrl")]
    pub callback_url: Option<String>,
}

/// The route a body was sent to: what it may contain depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Check,
    Tables,
    SchemaSync,
    DryRun,
    Run,
    /// `/migration/verify`: the body of a run; it writes nothing, so `dryRun` changes nothing.
    Verify,
}

/// Parse a JSON body; errors say where (`scope.selectedTables: invalid type…`).
pub fn parse_body<T: DeserializeOwned + Default>(json: &str) -> Result<T, CoreError> {
    let body = json.trim_start();
    if body.is_empty() {
        return Ok(T::default());
    }
    if !body.starts_with('{') {
        return Err(CoreError::InvalidInput("the request body must be a JSON object".into()));
    }
    let deserializer = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let mut path = e.path().to_string();
        let inner = e.into_inner();
        // Where in the text matters for malformed JSON only.
        let message = match inner.classify() {
            serde_json::error::Category::Data => {
                let text = inner.to_string();
                text.rsplit_once(" at line ").map(|(m, _)| m.to_string()).unwrap_or(text)
            }
            _ => inner.to_string(),
        };
        // An unknown field is named in the message: the path is where it was found.
        if message.starts_with("unknown field") {
            path = path.rsplit_once('.').map(|(parent, _)| parent.to_string()).unwrap_or_else(|| ".".into());
        }
        CoreError::InvalidInput(if path == "." { message } else { format!("{path}: {message}") })
    })
}

impl MigrationRequest {
    /// Parse a body sent to `route`, refusing fields that contradict it.
    pub fn parse(json: &str, route: Route) -> Result<Self, CoreError> {
        let request: MigrationRequest = parse_body(json)?;
        request.check_for(route)?;
        Ok(request)
    }

    fn check_for(&self, route: Route) -> Result<(), CoreError> {
        // Whatever the route, a token or address that could never be sent is refused.
        if let Some(token) = &self.token {
            check_token(token.trim())?;
        }
        if let Some(url) = self.base_url.as_deref().filter(|u| !u.trim().is_empty()) {
            normalize_base_url(url)?;
        }
        // Every field the body holds is checked whatever the route, before any route acts on it.
        self.scope.validate()?;
        let invalid = |message: &str| Err(CoreError::InvalidInput(message.into()));
        if self.scope.selected_tables.is_some() && self.scope.excluded_tables.is_some() {
            return invalid("scope.selectedTables and scope.excludedTables exclude each other: send one of them");
        }
        match (route, self.dry_run) {
            (Route::Run, Some(_)) => {
                invalid("dryRun is not taken by /migration/run: send the same body to /migration/dry-run to try it")
            }
            (Route::DryRun, Some(false)) => {
                invalid("dryRun: false contradicts /migration/dry-run: send the same body to /migration/run")
            }
            (Route::Check | Route::Tables | Route::SchemaSync | Route::Verify, _) if self.callback_url.is_some() => {
                invalid("callbackUrl is taken by /migration/run and /migration/dry-run only")
            }
            _ => Ok(()),
        }
    }

    /// Schema sync applies its changes unless `dryRun: true`.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run.unwrap_or(false)
    }

    /// The destination's address and token; both are required, and the token must be sendable
    /// as an HTTP header.
    pub fn destination(&self) -> Result<DestinationConfig, CoreError> {
        let present =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        let base_url = present(&self.base_url).ok_or_else(|| {
            CoreError::InvalidInput("baseURL is required: the destination's address, e.g. https://dest.example".into())
        })?;
        let token = present(&self.token).ok_or_else(|| {
            CoreError::InvalidInput("token is required: a static token of an admin on the destination".into())
        })?;
        let mut config = DestinationConfig::new(base_url, token);
        self.scope.validate()?;
        config.max_requests_per_second = self.scope.max_requests_per_second;
        // Room for the pages and uploads a run keeps in flight, and their lookups.
        let pages = self.scope.concurrency.unwrap_or(4) as usize;
        let uploads = self.scope.file_concurrency.unwrap_or(2) as usize;
        config.max_in_flight = config.max_in_flight.max(pages + uploads + 2);
        Ok(config)
    }
}

/// A token travels as `Authorization: Bearer <token>`: only visible ASCII characters can. A token
/// pasted from a chat or a document often carries a typographic quote or a line break; say so,
/// and where, without echoing the token.
fn check_token(token: &str) -> Result<(), CoreError> {
    match token.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
        None => Ok(()),
        Some((position, c)) => {
            let what = match c {
                '\n' | '\r' => "a line break".to_string(),
                ' ' | '\t' => "a space".to_string(),
                c if c.is_control() => format!("the control character U+{:04X}", c as u32),
                c => format!("the character {c:?} (U+{:04X})", c as u32),
            };
            Err(CoreError::InvalidInput(format!(
                "token contains {what} at position {}: a token is letters, digits and ASCII punctuation only; copy it again from the destination",
                position + 1
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let request = MigrationRequest::parse(
            r#"{"baseURL":"https://d","token":"t","dryRun":true,"scope":{"force":true,"selectedTables":["a","b"],"mirror":false}}"#,
            Route::SchemaSync,
        )
        .unwrap();
        assert!(request.is_dry_run());
        assert!(request.scope.force);
        assert_eq!(request.scope.selected_tables, Some(vec!["a".to_string(), "b".to_string()]));
        let config = request.destination().unwrap();
        assert_eq!(config.base_url, "https://d");
        assert_eq!(config.token, "t");
        assert_eq!(MigrationRequest::parse("", Route::Tables).unwrap(), MigrationRequest::default());
        let alias = MigrationRequest::parse(r#"{"baseUrl":"https://d"}"#, Route::Check).unwrap();
        assert_eq!(alias.base_url.as_deref(), Some("https://d"));
    }

    #[test]
    fn unknown_fields_are_refused_by_name_with_the_accepted_ones() {
        let err = MigrationRequest::parse(r#"{"dry_run":true}"#, Route::SchemaSync).unwrap_err();
        assert_eq!(err.status(), 400);
        let message = err.to_string();
        assert!(message.starts_with("unknown field `dry_run`, expected one of"), "{message}");
        for accepted in ["`baseURL`", "`token`", "`dryRun`", "`scope`", "`callbackUrl`"] {
            assert!(message.contains(accepted), "{message}");
        }
        let err = MigrationRequest::parse(r#"{"scope":{"selectedtables":["a"]}}"#, Route::SchemaSync).unwrap_err();
        assert!(err.to_string().starts_with("scope: unknown field `selectedtables`, expected one of"), "{err}");
        assert!(err.to_string().contains("`selectedTables`"));
    }

    #[test]
    fn contradictions_are_refused() {
        let both = r#"{"scope":{"selectedTables":["a"],"excludedTables":[]}}"#;
        let err = MigrationRequest::parse(both, Route::Run).unwrap_err();
        assert!(err.to_string().contains("exclude each other"), "{err}");
        let err = MigrationRequest::parse(r#"{"dryRun":true}"#, Route::Run).unwrap_err();
        assert!(err.to_string().starts_with("dryRun is not taken by /migration/run"));
        assert!(MigrationRequest::parse(r#"{"dryRun":false}"#, Route::DryRun).is_err());
        assert!(MigrationRequest::parse(r#"{"dryRun":true}"#, Route::DryRun).is_ok());
        assert!(MigrationRequest::parse(r#"{"callbackUrl":"https://x"}"#, Route::SchemaSync).is_err());
    }

    #[test]
    fn every_value_is_checked_on_every_route() {
        let routes = [Route::Check, Route::Tables, Route::SchemaSync, Route::DryRun, Route::Run, Route::Verify];
        for (scope, named) in [
            (r#"{"batchSize":1000000000}"#, "scope.batchSize must be between 1 and 5000, not 1000000000"),
            (r#"{"batchSize":0}"#, "scope.batchSize must be between 1 and 5000, not 0"),
            (r#"{"batchSize":1e9}"#, "scope.batchSize: invalid type: floating point"),
            (r#"{"concurrency":17}"#, "scope.concurrency must be between 1 and 16, not 17"),
            (r#"{"fileConcurrency":0}"#, "scope.fileConcurrency must be between 1 and 8, not 0"),
            (r#"{"transport":"carrier pigeon"}"#, "scope.transport must be rest, bulk or auto"),
            (r#"{"maxRequestsPerSecond":0}"#, "scope.maxRequestsPerSecond must be more than 0"),
            (r#"{"updatedAfter":"yesterday"}"#, "scope.updatedAfter"),
        ] {
            for route in routes {
                let err = MigrationRequest::parse(&format!(r#"{{"scope":{scope}}}"#), route).unwrap_err();
                assert_eq!(err.status(), 400, "{scope} {route:?}");
                assert!(err.to_string().starts_with(named), "{scope} {route:?}: {err}");
            }
        }
        let good = r#"{"scope":{"batchSize":5000,"concurrency":16,"fileConcurrency":8,"transport":"bulk","maxRequestsPerSecond":10000,"updatedAfter":"2026-01-31"}}"#;
        for route in routes {
            assert!(MigrationRequest::parse(good, route).is_ok(), "{route:?}");
        }
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let err = MigrationRequest::parse(r#"{"scope":{"selectedTables":"articles"}}"#, Route::Run).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().starts_with("scope.selectedTables: invalid type: string"), "{err}");
        for route in [Route::Check, Route::Tables, Route::SchemaSync, Route::DryRun, Route::Run, Route::Verify] {
            let body = r#"{"scope":{"selectedTables":["tags"],"updatedAfter":"9999-12-31T23:59:59-23:59"}}"#;
            let err = MigrationRequest::parse(body, route).unwrap_err();
            assert_eq!(err.status(), 400);
            assert!(err.to_string().starts_with("scope.updatedAfter is out of range"), "{route:?}: {err}");
        }
        let err = MigrationRequest::parse("[1]", Route::Run).unwrap_err();
        assert_eq!(err.to_string(), "the request body must be a JSON object");
    }

    #[test]
    fn requires_base_url_and_a_token_that_fits_in_a_header() {
        let parse = |json: &str| MigrationRequest::parse(json, Route::Check).unwrap();
        let refuse = |json: &str| MigrationRequest::parse(json, Route::Tables).unwrap_err();
        let err = parse(r#"{"token":"t"}"#).destination().unwrap_err();
        assert!(err.to_string().starts_with("baseURL is required"));
        let err = parse(r#"{"baseURL":"https://d","token":"  "}"#).destination().unwrap_err();
        assert!(err.to_string().starts_with("token is required"));
        for (token, what) in [
            ("tok’en", "the character '’' (U+2019) at position 4"),
            ("a\nb", "a line break at position 2"),
            ("a b", "a space at position 2"),
            ("a\u{0}b", "the control character U+0000 at position 2"),
        ] {
            let body = serde_json::json!({ "baseURL": "https://d", "token": token }).to_string();
            let err = refuse(&body);
            assert_eq!(err.status(), 400);
            assert!(err.to_string().starts_with(&format!("token contains {what}")), "{err}");
            assert!(!err.to_string().contains(token), "the token is not echoed");
        }
    }
}
