//! Where the destination is and how to talk to it. The base URL is checked before anything is
//! sent; the token is never printed.

use std::fmt;

use super::error::DestinationError;
use super::retry::RetryPolicy;

#[derive(Clone)]
pub struct DestinationConfig {
    pub base_url: String,
    pub token: String,
    pub timeout_ms: u32,
    pub retry: RetryPolicy,
}

impl DestinationConfig {
    pub const DEFAULT_TIMEOUT_MS: u32 = 60_000;

    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        DestinationConfig {
            base_url: base_url.into(),
            token: token.into(),
            timeout_ms: Self::DEFAULT_TIMEOUT_MS,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for DestinationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DestinationConfig")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Accepts `http(s)://host[:port][/prefix]`, drops trailing slashes, refuses anything that could
/// carry a secret or confuse path joining (user info, query, fragment).
pub(super) fn normalize_base_url(raw: &str) -> Result<String, DestinationError> {
    let invalid = |reason| DestinationError::InvalidUrl { url: redact_userinfo(raw.trim()), reason };
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid("it must start with http:// or https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(invalid("it has no host"));
    }
    if authority.contains('@') {
        return Err(invalid("credentials in the URL are not accepted; pass the token instead"));
    }
    if url.contains(['?', '#']) || url.chars().any(char::is_whitespace) {
        return Err(invalid("it must not contain a query, a fragment or spaces"));
    }
    Ok(url.to_string())
}

fn redact_userinfo(raw: &str) -> String {
    match (raw.find("://"), raw.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://<redacted>{}", &raw[..scheme_end], &raw[at..])
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_base_urls() {
        assert_eq!(normalize_base_url(" https://d.example/api/ ").unwrap(), "https://d.example/api");
        assert_eq!(normalize_base_url("http://127.0.0.1:8055").unwrap(), "http://127.0.0.1:8055");
        for bad in
            ["", "ftp://x", "d.example", "https://", "https:///path", "https://d.example?x=1", "https://d .example"]
        {
            assert!(normalize_base_url(bad).is_err(), "{bad:?}");
        }
        let err = normalize_base_url("https://user:pw@d.example").unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn never_prints_the_token() {
        assert!(!format!("{:?}", DestinationConfig::new("https://d", "s3cret")).contains("s3cret"));
    }
}
