//! Errors talking to the destination, and the parsing of Directus' error envelope
//! `{"errors":[{"message":"…","extensions":{"code":"…"}}]}`.
//!
//! Messages name the destination by its base URL and the failing path, never by headers, so they
//! are safe to log and to return to callers.

use serde::Deserialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum DestinationError {
    #[error("invalid destination URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: &'static str },
    #[error("destination {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("destination {url} did not answer within {timeout_ms} ms")]
    Timeout { url: String, timeout_ms: u32 },
    #[error("destination refused {path} with HTTP {status}{}: {message}", code.as_ref().map(|c| format!(" {c}")).unwrap_or_default())]
    Rejected { path: String, status: u16, code: Option<String>, message: String },
    #[error("destination sent an unexpected response to {path}: {reason}")]
    Unexpected { path: String, reason: String },
    #[error("destination answered {path} with HTTP {status}, a redirect to {}: redirects are not followed (the token would go along); use the address it redirects to as baseURL", location.as_deref().unwrap_or("an address it did not give"))]
    Redirected { path: String, status: u16, location: Option<String> },
    #[error("destination {url} asked to wait {wait_seconds} s before trying again (Retry-After), longer than the {most_seconds} s a run waits: stopped; run again later")]
    Busy { url: String, wait_seconds: u64, most_seconds: u64 },
    #[error("destination {url} keeps refusing writes: {refused} rows in a row were refused and none accepted (last: {last}); stopped rather than try every row alone")]
    Failing { url: String, refused: usize, last: String },
    #[error("{url} is not an allowed destination: MIGRATION_ALLOWED_DESTINATIONS allows {allowed}")]
    NotAllowed { url: String, allowed: String },
}

impl DestinationError {
    pub fn code(&self) -> &'static str {
        match self {
            DestinationError::InvalidUrl { .. } => "INVALID_DESTINATION_URL",
            DestinationError::Unreachable { .. } => "DESTINATION_UNREACHABLE",
            DestinationError::Timeout { .. } => "DESTINATION_TIMEOUT",
            DestinationError::Rejected { status: 401, .. } => "DESTINATION_UNAUTHORIZED",
            DestinationError::Rejected { status: 403, .. } => "DESTINATION_FORBIDDEN",
            DestinationError::Rejected { .. } => "DESTINATION_ERROR",
            DestinationError::Unexpected { .. } => "DESTINATION_BAD_RESPONSE",
            DestinationError::Redirected { .. } => "DESTINATION_REDIRECTED",
            DestinationError::Busy { .. } => "DESTINATION_BUSY",
            DestinationError::Failing { .. } => "DESTINATION_FAILING",
            DestinationError::NotAllowed { .. } => "DESTINATION_NOT_ALLOWED",
        }
    }

    /// Status for the caller of the source endpoint. A bad destination URL or token is the
    /// caller's input, hence 400 (never 401, which would end the caller's own session in the
    /// Directus app); anything else the destination did is a bad gateway.
    pub fn status(&self) -> u16 {
        match self {
            DestinationError::InvalidUrl { .. }
            | DestinationError::Redirected { .. }
            | DestinationError::NotAllowed { .. } => 400,
            DestinationError::Rejected { status: 401 | 403, .. } => 400,
            DestinationError::Timeout { .. } => 504,
            DestinationError::Busy { .. } => 503,
            _ => 502,
        }
    }

    /// Whether a refusal may be about particular rows (so splitting the batch can isolate them)
    /// rather than about the whole request (the destination is down, the token stopped working).
    pub fn is_about_rows(&self) -> bool {
        match self {
            DestinationError::Rejected { status: 400 | 409 | 413 | 422 | 500, .. } => true,
            // Directus 12's licence: a limit reached (seats, flows) or a feature it does not
            // include (custom permission rules) refuses that row, not the token.
            DestinationError::Rejected { status: 403, code: Some(code), .. } => {
                code == "LIMIT_EXCEEDED" || code == "RESOURCE_RESTRICTED"
            }
            _ => false,
        }
    }

    /// The destination refused a read because its `limit` is above `QUERY_LIMIT_MAX`.
    pub fn is_query_limit(&self) -> bool {
        matches!(self, DestinationError::Rejected { status: 400, message, .. } if message.contains("\"limit\""))
    }

    /// The destination's own words for a refused row: its message and code.
    pub fn row_message(&self) -> String {
        match self {
            DestinationError::Rejected { message, code: Some(code), .. } => format!("{message} ({code})"),
            DestinationError::Rejected { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// Build the error for a non-2xx answer from the destination's body.
    pub fn rejected(path: &str, status: u16, body: &str) -> Self {
        let (code, message) = match serde_json::from_str::<DirectusErrorBody>(body) {
            Ok(parsed) if !parsed.errors.is_empty() => (parsed.code(), parsed.message()),
            _ => (None, excerpt(body, status)),
        };
        DestinationError::Rejected { path: path.to_string(), status, code, message }
    }
}

/// Directus' error envelope.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DirectusErrorBody {
    pub errors: Vec<DirectusErrorItem>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DirectusErrorItem {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<DirectusErrorExtensions>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DirectusErrorExtensions {
    #[serde(default)]
    pub code: Option<String>,
}

impl DirectusErrorBody {
    /// The first error's code.
    pub fn code(&self) -> Option<String> {
        self.errors.iter().find_map(|e| e.extensions.as_ref()?.code.clone())
    }

    /// Every message, joined.
    pub fn message(&self) -> String {
        self.errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
    }
}

/// A short, single-line excerpt of a non-Directus body (a proxy's HTML page, say).
fn excerpt(body: &str, status: u16) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return format!("empty response (HTTP {status})");
    }
    let mut cut: String = flat.chars().take(200).collect();
    if cut.len() < flat.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directus_errors() {
        let body =
            r#"{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}"#;
        let err = DestinationError::rejected("/users/me", 401, body);
        assert_eq!(
            err,
            DestinationError::Rejected {
                path: "/users/me".into(),
                status: 401,
                code: Some("INVALID_CREDENTIALS".into()),
                message: "Invalid user credentials.".into(),
            }
        );
        assert_eq!(err.code(), "DESTINATION_UNAUTHORIZED");
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.to_string(),
            "destination refused /users/me with HTTP 401 INVALID_CREDENTIALS: Invalid user credentials."
        );
    }

    #[test]
    fn licence_refusals_are_about_rows_other_403s_about_the_token() {
        let restricted = r#"{"errors":[{"message":"custom_permission_rules_enabled is a restricted resource.","extensions":{"category":"custom_permission_rules_enabled","code":"RESOURCE_RESTRICTED"}}]}"#;
        let err = DestinationError::rejected("/permissions", 403, restricted);
        assert!(err.is_about_rows());
        assert_eq!(
            err.row_message(),
            "custom_permission_rules_enabled is a restricted resource. (RESOURCE_RESTRICTED)"
        );
        let seats = r#"{"errors":[{"message":"Limit exceeded.","extensions":{"code":"LIMIT_EXCEEDED"}}]}"#;
        assert!(DestinationError::rejected("/users", 403, seats).is_about_rows());
        let forbidden =
            r#"{"errors":[{"message":"You don't have permission to access this.","extensions":{"code":"FORBIDDEN"}}]}"#;
        assert!(!DestinationError::rejected("/users", 403, forbidden).is_about_rows());
    }

    #[test]
    fn joins_several_messages() {
        let body = r#"{"errors":[{"message":"a"},{"message":"b","extensions":{"code":"X"}}]}"#;
        let err = DestinationError::rejected("/items/t", 400, body);
        assert!(
            matches!(err, DestinationError::Rejected { ref message, ref code, .. } if message == "a; b" && code.as_deref() == Some("X"))
        );
        assert_eq!(err.status(), 502);
    }

    #[test]
    fn falls_back_to_a_short_excerpt_for_non_directus_bodies() {
        let html = format!("<html>\n<body>Bad   gateway {}</body></html>", "x".repeat(500));
        let DestinationError::Rejected { message, code, .. } = DestinationError::rejected("/p", 502, &html) else {
            panic!("expected Rejected")
        };
        assert_eq!(code, None);
        assert!(message.starts_with("<html> <body>Bad gateway xxx"));
        assert_eq!(message.chars().count(), 201);
        let DestinationError::Rejected { message, .. } = DestinationError::rejected("/p", 500, "") else { panic!() };
        assert_eq!(message, "empty response (HTTP 500)");
    }
}
