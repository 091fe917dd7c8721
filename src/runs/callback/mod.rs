//! A run's callback: when a background run ends, `POST` its outcome as JSON to the caller's
//! `callbackUrl` — the payload Flows built on the earlier extension read (`processId`, `status`
//! `completed` | `failed`, `message`, `timestamp`, `details`), optionally signed with
//! `MIGRATION_CALLBACK_SECRET` — a few times with backoff until it is taken.

mod deliver;
mod payload;

pub use deliver::deliver;
pub use payload::payload;

use crate::destination::check_authority;
use crate::CoreError;

/// Check a `callbackUrl`: `http(s)`, a reachable host and port, no credentials (a path and a
/// query are fine: a Flow's webhook is `/flows/trigger/<id>`). Answers its origin, for the job.
pub fn check_url(url: &str) -> Result<String, CoreError> {
    let invalid = |why: &str| CoreError::InvalidInput(format!("callbackUrl is not valid: {why}"));
    let url = url.trim();
    let (scheme, rest) = url
        .strip_prefix("https://")
        .map(|r| ("https", r))
        .or_else(|| url.strip_prefix("http://").map(|r| ("http", r)))
        .ok_or_else(|| invalid("it must start with http:// or https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("credentials in the URL are not accepted"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it must not contain spaces"));
    }
    check_authority(authority).map_err(invalid)?;
    Ok(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_webhooks_and_refuses_what_could_leak_or_never_arrive() {
        assert_eq!(check_url("http://127.0.0.1:8055/flows/trigger/3f2a?x=1").unwrap(), "http://127.0.0.1:8055");
        assert_eq!(check_url("https://Hooks.example/migration").unwrap(), "https://hooks.example");
        for bad in ["ftp://x", "https://user:pw@x.example/hook", "http://", "http://x .example", "http://127.0.0.1:0/h"]
        {
            let err = check_url(bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
            assert!(err.to_string().starts_with("callbackUrl is not valid"), "{err}");
            assert!(!err.to_string().contains("pw"));
        }
    }
}
