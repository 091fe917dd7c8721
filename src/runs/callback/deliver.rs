//! Delivering a callback: `POST` JSON with no token, a timeout per attempt and a few attempts with
//! backoff; a 2xx answer is delivered, a client error (but 408/429) is given up at once.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::runs::jobs::CallbackState;
use crate::shared::http::{HttpRequest, Method, Transport, TransportError};
use crate::shared::runtime::Clock;

const ATTEMPTS: u32 = 4;
const TIMEOUT_MS: u32 = 10_000;
const FIRST_WAIT_MS: u64 = 1_000;

/// `sha256=<hex HMAC-SHA256 of body under secret>`, for `X-Migration-Signature`.
pub fn sign(secret: &str, body: &str) -> String {
    #[allow(clippy::expect_used)] // HMAC takes a key of any length (a longer one is hashed first).
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// POST `body` to `url` (checked beforehand), signed when there is a `secret`.
pub async fn deliver<T: Transport, C: Clock>(
    transport: &T,
    clock: &C,
    url: &str,
    origin: &str,
    body: String,
    secret: Option<&str>,
) -> CallbackState {
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("Accept".to_string(), "application/json".to_string()),
    ];
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        headers.push(("X-Migration-Signature".to_string(), sign(secret, &body)));
    }
    let request =
        HttpRequest { method: Method::Post, url: url.to_string(), headers, body: Some(body), timeout_ms: TIMEOUT_MS };
    let mut state = CallbackState { origin: origin.to_string(), ..CallbackState::default() };
    let mut wait = FIRST_WAIT_MS;
    while state.attempts < ATTEMPTS {
        state.attempts += 1;
        let retry = match transport.send(&request, None).await {
            Ok(response) => {
                state.last_status = Some(response.status);
                state.last_error = None;
                if response.is_success() {
                    state.delivered = true;
                    return state;
                }
                matches!(response.status, 408 | 429) || response.status >= 500
            }
            Err(error) => {
                state.last_error = Some(match error {
                    TransportError::Network(reason) => reason,
                    TransportError::Timeout(ms) => format!("no answer within {ms} ms"),
                });
                true
            }
        };
        if !retry || state.attempts == ATTEMPTS {
            break;
        }
        clock.sleep(wait).await;
        wait *= 2;
    }
    state
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, Scripted};

    #[test]
    fn signs_like_the_documented_recipe() {
        // echo -n '{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign("secret", r#"{"a":1}"#),
            "sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494"
        );
    }

    #[test]
    fn retries_until_taken_without_a_token() {
        let transport = Scripted::new(vec![
            Err(TransportError::Network("ECONNREFUSED".into())),
            answer(503, ""),
            answer(200, "{}"),
        ]);
        let clock = FakeClock::default();
        let state =
            block_on(deliver(&&transport, &clock, "http://h/flows/trigger/1", "http://h", "{}".into(), Some("k")));
        assert_eq!((state.delivered, state.attempts, state.last_status), (true, 3, Some(200)));
        assert_eq!(*clock.sleeps.borrow(), vec![1_000, 2_000]);
        let seen = transport.seen.borrow();
        assert!(seen.iter().all(|(_, token)| token.is_empty()), "no token goes to a callback");
        assert!(seen[0]
            .0
            .headers
            .iter()
            .any(|(name, value)| name == "X-Migration-Signature" && value.starts_with("sha256=")));
    }

    #[test]
    fn a_refusal_is_not_retried_and_a_dead_end_is_bounded() {
        let transport = Scripted::new(vec![answer(404, "no such flow")]);
        let clock = FakeClock::default();
        let state = block_on(deliver(&&transport, &clock, "http://h/x", "http://h", "{}".into(), None));
        assert_eq!((state.delivered, state.attempts, state.last_status), (false, 1, Some(404)));
        let transport = Scripted::new((0..ATTEMPTS).map(|_| Err(TransportError::Timeout(TIMEOUT_MS))).collect());
        let state = block_on(deliver(&&transport, &clock, "http://h/x", "http://h", "{}".into(), None));
        assert_eq!((state.delivered, state.attempts), (false, ATTEMPTS));
        assert_eq!(state.last_error.as_deref(), Some("no answer within 10000 ms"));
    }
}
