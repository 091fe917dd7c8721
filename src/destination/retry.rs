//! When to try a destination request again, and how long to wait first.
//!
//! Transient failures are retried: network errors, timeouts, 408, 429, 502, 503 and 504. Waits
//! grow exponentially with "equal jitter" (half fixed, half random) so concurrent batches do not
//! retry in lockstep. A `Retry-After` header is honoured: the wait is what the server asked for
//! plus a little jitter, and a request is abandoned rather than waiting longer than
//! `max_retry_after_ms`.

use std::time::UNIX_EPOCH;

/// What went wrong with one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Network,
    Timeout,
    Status { status: u16, retry_after_ms: Option<u64> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    RetryAfter(u64),
    /// The destination asked to wait longer than the client ever waits (milliseconds asked).
    WaitTooLong(u64),
    GiveUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// The longest `Retry-After` the client will wait for.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // Eight attempts wait 12.9–25.8 s in all between them: enough to ride out a destination
        // restarting (a Directus start takes 4–13 s on a small machine).
        RetryPolicy { max_attempts: 8, base_delay_ms: 250, max_delay_ms: 10_000, max_retry_after_ms: 900_000 }
    }
}

impl RetryPolicy {
    /// Three attempts: for the first contact, where a wrong address should fail fast.
    pub fn quick() -> Self {
        RetryPolicy { max_attempts: 3, ..Self::default() }
    }

    /// Never retries: for requests whose repetition could do harm.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..Self::default() }
    }

    pub fn is_transient(failure: &Failure) -> bool {
        match failure {
            Failure::Network | Failure::Timeout => true,
            Failure::Status { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
        }
    }

    /// Decide after failed attempt number `attempt` (1-based). `random` is uniform in `[0, 1)`.
    pub fn decide(&self, attempt: u32, failure: &Failure, random: f64) -> RetryDecision {
        if attempt >= self.max_attempts || !Self::is_transient(failure) {
            return RetryDecision::GiveUp;
        }
        match failure {
            Failure::Status { retry_after_ms: Some(asked), .. } => {
                if *asked > self.max_retry_after_ms {
                    RetryDecision::WaitTooLong(*asked)
                } else {
                    let jitter = (random.clamp(0.0, 1.0) * self.base_delay_ms as f64) as u64;
                    RetryDecision::RetryAfter(asked + jitter)
                }
            }
            _ => RetryDecision::RetryAfter(self.backoff_ms(attempt, random)),
        }
    }

    /// Exponential backoff with equal jitter: `cap/2 + random * cap/2`, `cap = min(max, base·2^(n-1))`.
    pub fn backoff_ms(&self, attempt: u32, random: f64) -> u64 {
        let exponent = attempt.saturating_sub(1).min(32);
        let cap = self.base_delay_ms.saturating_mul(1u64 << exponent).min(self.max_delay_ms);
        let half = cap / 2;
        half + (random.clamp(0.0, 1.0) * half as f64) as u64
    }
}

/// Parse a `Retry-After` header: delay-seconds or an HTTP date, relative to `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_ms = at.duration_since(UNIX_EPOCH).ok()?.as_millis() as f64;
    Some((at_ms - now_ms).max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Failure {
        Failure::Status { status, retry_after_ms: None }
    }

    #[test]
    fn retries_only_transient_failures() {
        let policy = RetryPolicy::default();
        for failure in
            [Failure::Network, Failure::Timeout, status(408), status(429), status(502), status(503), status(504)]
        {
            assert!(matches!(policy.decide(1, &failure, 0.5), RetryDecision::RetryAfter(_)), "{failure:?}");
        }
        for code in [400, 401, 403, 404, 409, 422, 500, 501] {
            assert_eq!(policy.decide(1, &status(code), 0.5), RetryDecision::GiveUp, "{code}");
        }
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        assert!(matches!(policy.decide(2, &Failure::Network, 0.0), RetryDecision::RetryAfter(_)));
        assert_eq!(policy.decide(3, &Failure::Network, 0.0), RetryDecision::GiveUp);
        assert_eq!(RetryPolicy::none().decide(1, &Failure::Network, 0.0), RetryDecision::GiveUp);
    }

    #[test]
    fn backoff_doubles_with_equal_jitter_and_is_capped() {
        let policy = RetryPolicy { base_delay_ms: 100, max_delay_ms: 1_000, ..RetryPolicy::default() };
        assert_eq!(policy.backoff_ms(1, 0.0), 50);
        assert_eq!(policy.backoff_ms(1, 0.999_999), 99);
        assert_eq!(policy.backoff_ms(2, 0.0), 100);
        assert_eq!(policy.backoff_ms(3, 0.0), 200);
        assert_eq!(policy.backoff_ms(4, 1.0), 800);
        assert_eq!(policy.backoff_ms(5, 0.0), 500, "capped at max_delay_ms");
        assert_eq!(policy.backoff_ms(60, 1.0), 1_000, "huge attempts never overflow");
    }

    #[test]
    fn honours_retry_after_and_refuses_absurd_waits() {
        let policy = RetryPolicy::default();
        let asked = |ms| Failure::Status { status: 429, retry_after_ms: Some(ms) };
        assert_eq!(policy.decide(1, &asked(3_000), 0.0), RetryDecision::RetryAfter(3_000));
        // The server's wait replaces the backoff; only a little jitter is added to it.
        assert_eq!(policy.decide(4, &asked(0), 1.0), RetryDecision::RetryAfter(policy.base_delay_ms));
        assert_eq!(policy.decide(1, &asked(600_000), 0.0), RetryDecision::RetryAfter(600_000), "ten minutes: waited");
        assert_eq!(policy.decide(1, &asked(3_600_000), 0.0), RetryDecision::WaitTooLong(3_600_000));
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("120", 0.0), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0));
        // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s since the epoch.
        let now = 784_111_777_000.0 - 5_000.0;
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(5_000));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 60_000.0), Some(0), "past dates mean now");
        assert_eq!(parse_retry_after("soon", 0.0), None);
    }
}
