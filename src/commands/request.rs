//! The JSON bodies the endpoint accepts, parsed with error messages that name the offending field.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::destination::DestinationConfig;
use crate::CoreError;

/// `scope` of a request; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Scope {
    /// Go ahead despite a Directus version or database vendor difference.
    pub force: bool,
    pub selected_tables: Option<Vec<String>>,
    pub excluded_tables: Option<Vec<String>>,
    /// Schema sync only: also delete what the destination has and the source does not.
    pub mirror: bool,
    pub updated_after: Option<String>,
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
    /// Run: verify the selected tables once the rows have moved (see `/migration/verify`).
    pub verify: bool,
}

/// `{ baseURL, token, dryRun, scope }`: every endpoint but `/test` takes this shape.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MigrationRequest {
    #[serde(rename = "baseURL", alias = "baseUrl")]
    pub base_url: Option<String>,
    pub token: Option<String>,
    #[serde(rename = "dryRun")]
    pub dry_run: bool,
    pub scope: Scope,
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
        let path = e.path().to_string();
        CoreError::InvalidInput(format!("{path}: {}", e.into_inner()))
    })
}

impl MigrationRequest {
    pub fn parse(json: &str) -> Result<Self, CoreError> {
        parse_body(json)
    }

    /// The destination's address and token; both are required.
    pub fn destination(&self) -> Result<DestinationConfig, CoreError> {
        let present =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        let base_url = present(&self.base_url).ok_or_else(|| {
            CoreError::InvalidInput("baseURL is required: the destination's address, e.g. https://dest.example".into())
        })?;
        let token = present(&self.token).ok_or_else(|| {
            CoreError::InvalidInput("token is required: a static token of an admin on the destination".into())
        })?;
        Ok(DestinationConfig::new(base_url, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let request = MigrationRequest::parse(
            r#"{"baseURL":"https://d","token":"t","dryRun":true,"scope":{"force":true,"selectedTables":["a","b"],"mirror":false}}"#,
        )
        .unwrap();
        assert!(request.dry_run);
        assert!(request.scope.force);
        assert_eq!(request.scope.selected_tables, Some(vec!["a".to_string(), "b".to_string()]));
        let config = request.destination().unwrap();
        assert_eq!(config.base_url, "https://d");
        assert_eq!(config.token, "t");
    }

    #[test]
    fn missing_pieces_default_and_unknown_fields_are_ignored() {
        let request = MigrationRequest::parse(r#"{"baseUrl":"https://d","extra":1}"#).unwrap();
        assert_eq!(request.scope, Scope::default());
        assert_eq!(request.base_url.as_deref(), Some("https://d"));
        assert_eq!(MigrationRequest::parse("").unwrap(), MigrationRequest::default());
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let err = MigrationRequest::parse(r#"{"scope":{"selectedTables":"articles"}}"#).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().starts_with("scope.selectedTables: invalid type: string"), "{err}");
        let err = MigrationRequest::parse("[1]").unwrap_err();
        assert_eq!(err.to_string(), "the request body must be a JSON object");
    }

    #[test]
    fn requires_base_url_and_token() {
        let err = MigrationRequest::parse(r#"{"token":"t"}"#).unwrap().destination().unwrap_err();
        assert!(err.to_string().starts_with("baseURL is required"));
        let err =
            MigrationRequest::parse(r#"{"baseURL":"https://d","token":"  "}"#).unwrap().destination().unwrap_err();
        assert!(err.to_string().starts_with("token is required"));
    }
}
