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
    /// Origins tokens may be sent to (`MIGRATION_ALLOWED_DESTINATIONS`); `None` allows any.
    pub allowed_origins: Option<Vec<String>>,
    /// Requests in flight at most (lowered while the destination is overwhelmed).
    pub max_in_flight: usize,
    /// Request starts per second at most (`scope.maxRequestsPerSecond`).
    pub max_requests_per_second: Option<f64>,
}

impl DestinationConfig {
    pub const DEFAULT_TIMEOUT_MS: u32 = 60_000;
    /// Enough for the default 4 pages and 2 file uploads in flight, with room for lookups.
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 8;

    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        DestinationConfig {
            base_url: base_url.into(),
            token: token.into(),
            timeout_ms: Self::DEFAULT_TIMEOUT_MS,
            retry: RetryPolicy::default(),
            allowed_origins: None,
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
            max_requests_per_second: None,
        }
    }

    /// Only these origins (`https://dest.example`, `http://10.0.0.5:8055`; comma-separated, as
    /// `MIGRATION_ALLOWED_DESTINATIONS` gives them) may receive the token. Empty text allows any.
    pub fn allowing(mut self, origins: &str) -> Self {
        let list: Vec<String> = origins
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| !o.is_empty())
            .collect();
        self.allowed_origins = (!list.is_empty()).then_some(list);
        self
    }
}

/// `scheme://host[:port]` of a normalized base URL, lower-cased.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// The destination a base URL names, as one string whatever its spelling: the scheme, the host
/// lower-cased without a trailing dot, the port always given (80 or 443 when the URL has none),
/// and every loopback name (`localhost`, `127.0.0.0/8`, `::1`) as `loopback`. Two URLs that
/// reach the same instance give the same key (what the one-run-per-destination lock compares).
pub fn destination_key(url: &str) -> String {
    let trimmed = url.trim();
    let (scheme, rest) = trimmed.split_once("://").unwrap_or(("", trimmed));
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = match authority.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        Some((address, after)) => (address, after.strip_prefix(':')),
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = port.filter(|p| !p.is_empty()).unwrap_or(default_port(&scheme));
    let host = host.trim_end_matches('.').to_lowercase();
    let host = match (is_loopback(&host), host.contains(':')) {
        (true, _) => "loopback".to_string(),
        (false, true) => match host.parse::<std::net::Ipv6Addr>() {
            Ok(address) => format!("[{address}]"),
            Err(_) => format!("[{host}]"),
        },
        (false, false) => host,
    };
    format!("{scheme}://{host}:{port}")
}

fn default_port(scheme: &str) -> &'static str {
    match scheme {
        "https" => "443",
        _ => "80",
    }
}

/// `localhost` (and names under it), `127.0.0.0/8`, `::1` (also as an IPv4-mapped address).
fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Ok(v4) = host.parse::<std::net::Ipv4Addr>() {
        return v4.is_loopback();
    }
    match host.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
}

/// Refuse a base URL whose origin is not on the allow-list (when there is one).
pub(super) fn check_allowed(url: &str, allowed: Option<&[String]>) -> Result<(), DestinationError> {
    match allowed {
        Some(list) if !list.contains(&origin(url)) => {
            Err(DestinationError::NotAllowed { url: origin(url), allowed: list.join(", ") })
        }
        _ => Ok(()),
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
/// carry a secret or confuse path joining (user info, query, fragment), and hosts or ports no
/// request could reach.
pub fn normalize_base_url(raw: &str) -> Result<String, DestinationError> {
    let invalid = |reason| DestinationError::InvalidUrl { url: shorten(&redact_userinfo(raw.trim())), reason };
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
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it must not contain a query, a fragment or spaces"));
    }
    check_authority(authority).map_err(invalid)?;
    Ok(url.to_string())
}

/// `host[:port]` that a request could reach: a host name or IP address, a port from 1 to 65535.
pub fn check_authority(authority: &str) -> Result<(), &'static str> {
    let (host, port) = split_host_port(authority).ok_or("its host or port is not valid")?;
    if !valid_host(host) {
        return Err("its host is not a valid host name or IP address");
    }
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
        return Err("its port must be a number from 1 to 65535");
    }
    Ok(())
}

/// `host[:port]` or `[ipv6][:port]`.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        return address.parse::<std::net::Ipv6Addr>().is_ok().then_some((authority, port));
    }
    match authority.split_once(':') {
        Some((host, port)) => Some((host, Some(port))),
        None => Some((authority, None)),
    }
}

/// A DNS name (labels of at most 63 characters, 253 in all; internationalised names allowed) or
/// an IP address.
fn valid_host(host: &str) -> bool {
    if host.starts_with('[') {
        return true; // checked as an IPv6 address above
    }
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

/// Long addresses are cut in messages.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
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
        assert_eq!(normalize_base_url("http://[::1]:8055/").unwrap(), "http://[::1]:8055");
        assert_eq!(normalize_base_url("https://bücher.example").unwrap(), "https://bücher.example");
        let long = format!("http://{}", "a".repeat(300));
        for bad in [
            "",
            "ftp://x",
            "d.example",
            "https://",
            "https:///path",
            "https://d.example?x=1",
            "https://d .example",
            "http://[::1",
            "http://[nope]:80",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:0",
            "http://127.0.0.1:",
            "http://a..b",
            "http://<script>",
            long.as_str(),
        ] {
            assert!(normalize_base_url(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_base_url(&long).unwrap_err().to_string().len() < 300, "long addresses are cut");
        let err = normalize_base_url("https://user:pw@d.example").unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn only_allowed_origins_when_a_list_is_set() {
        let config = DestinationConfig::new("https://d", "t").allowing(" https://Dest.example/ , http://10.0.0.5:8055");
        let allowed = config.allowed_origins.as_deref();
        assert!(check_allowed("https://dest.example/api", allowed).is_ok());
        assert!(check_allowed("http://10.0.0.5:8055", allowed).is_ok());
        let err = check_allowed("http://10.0.0.5:8056", allowed).unwrap_err();
        assert_eq!((err.code(), err.status()), ("DESTINATION_NOT_ALLOWED", 400));
        assert_eq!(
            err.to_string(),
            "http://10.0.0.5:8056 is not an allowed destination: MIGRATION_ALLOWED_DESTINATIONS allows https://dest.example, http://10.0.0.5:8055"
        );
        assert!(check_allowed(
            "https://anything",
            DestinationConfig::new("x", "t").allowing(" ").allowed_origins.as_deref()
        )
        .is_ok());
    }

    #[test]
    fn one_destination_key_for_every_spelling_of_an_origin() {
        let key = |url: &str| destination_key(url);
        assert_eq!(key("https://d.example"), "https://d.example:443");
        for same in ["https://d.example:443", "HTTPS://D.Example/api", "https://d.example./", "https://d.example:443/x"]
        {
            assert_eq!(key(same), key("https://d.example"), "{same}");
        }
        assert_eq!(key("http://d.example"), key("http://d.example:80"));
        assert_ne!(key("http://d.example"), key("https://d.example"), "another scheme is another origin");
        assert_ne!(key("https://d.example"), key("https://d.example:8443"));
        assert_ne!(key("https://d.example"), key("https://e.example"));
        let loopback = key("http://localhost:8055");
        assert_eq!(loopback, "http://loopback:8055");
        for same in [
            "http://127.0.0.1:8055",
            "http://127.1.2.3:8055/",
            "http://LOCALHOST.:8055",
            "http://[::1]:8055",
            "http://[::ffff:127.0.0.1]:8055",
        ] {
            assert_eq!(key(same), loopback, "{same}");
        }
        assert_ne!(key("http://localhost:8056"), loopback, "another port is another instance");
        assert_ne!(key("http://128.0.0.1:8055"), loopback);
        assert_eq!(key("http://[2001:DB8::1]"), "http://[2001:db8::1]:80");
        assert_eq!(key("http://[2001:db8:0:0::1]:80/"), "http://[2001:db8::1]:80");
    }

    #[test]
    fn never_prints_the_token() {
        assert!(!format!("{:?}", DestinationConfig::new("https://d", "s3cret")).contains("s3cret"));
    }
}
