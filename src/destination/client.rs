//! `Destination`: the typed client the migration steps use to talk to the destination instance.
//! The token stays inside it: it is handed only to the transport (and the file streamer) that
//! attach it as a header.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::config::{check_allowed, normalize_base_url, DestinationConfig};
use super::error::DestinationError;
use super::retry::{parse_retry_after, Failure, RetryDecision, RetryPolicy};
use super::throttle::{PaceChange, Throttle};
use crate::shared::http::{HttpRequest, HttpResponse, Method, Transport, TransportError};
use crate::shared::runtime::Clock;

/// What the client tells its observer (for progress streams and logs).
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// A request failed and will be tried again after `delay_ms`.
    Retry { attempt: u32, delay_ms: u64, reason: String },
    /// The client changed how many requests it keeps in flight.
    Pace(PaceChange),
}

/// Directus wraps every successful payload as `{"data": …}`.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// Called with every notice the client gives (retries, pace changes).
type Observer = Box<dyn Fn(&Notice)>;

pub struct Destination<T, C> {
    base_url: String,
    token: String,
    timeout_ms: u32,
    retry: RetryPolicy,
    transport: T,
    clock: C,
    throttle: Throttle,
    /// The most rows one read may ask for, once learnt (`QUERY_LIMIT_MAX`).
    query_limit: std::cell::Cell<Option<usize>>,
    observer: Option<Observer>,
}

impl<T: Transport, C: Clock> Destination<T, C> {
    /// Validates the base URL; the token is kept private to this client and its transport.
    pub fn new(config: DestinationConfig, transport: T, clock: C) -> Result<Self, DestinationError> {
        let base_url = normalize_base_url(&config.base_url)?;
        check_allowed(&base_url, config.allowed_origins.as_deref())?;
        Ok(Destination {
            base_url,
            token: config.token,
            timeout_ms: config.timeout_ms,
            retry: config.retry,
            transport,
            clock,
            throttle: Throttle::new(config.max_in_flight, config.max_requests_per_second),
            query_limit: std::cell::Cell::new(None),
            observer: None,
        })
    }

    /// Be told of every retry and change of pace (for progress streams and logs).
    pub fn with_observer(mut self, observer: impl Fn(&Notice) + 'static) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `scheme://host[:port]` of the destination, lower-cased: what identifies it.
    pub fn origin(&self) -> String {
        let (scheme, rest) = self.base_url.split_once("://").unwrap_or(("", &self.base_url));
        format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()).to_ascii_lowercase()
    }

    /// The clock the client waits with; migration steps time themselves with it too.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    pub(super) fn token(&self) -> &str {
        &self.token
    }

    pub(super) fn query_limit(&self) -> Option<usize> {
        self.query_limit.get()
    }

    pub(super) fn set_query_limit(&self, limit: usize) {
        self.query_limit.set(Some(limit));
    }

    pub(super) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// `GET path`, unwrapping Directus' `data` envelope.
    pub async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, DestinationError> {
        let response = self.send(Method::Get, path, None).await?;
        decode_data(path, &response)
    }

    /// `POST path` with a JSON body, unwrapping the `data` envelope of the answer.
    pub async fn post<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, DestinationError> {
        let body = serde_json::to_string(body).map_err(|e| DestinationError::Unexpected {
            path: path_only(path).to_string(),
            reason: format!("request body could not be encoded: {e}"),
        })?;
        let response = self.send(Method::Post, path, Some(body)).await?;
        decode_data(path, &response)
    }

    /// Send with the client's retry policy and timeout; any non-2xx answer that is not retried
    /// is an error.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<HttpResponse, DestinationError> {
        self.send_with(method, path, body, &self.retry, self.timeout_ms).await
    }

    /// Send with an explicit retry policy (e.g. [`RetryPolicy::none`] for requests that must not
    /// repeat) and timeout (for slow operations such as applying a schema).
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        policy: &RetryPolicy,
        timeout_ms: u32,
    ) -> Result<HttpResponse, DestinationError> {
        self.exchange(method, path, body.map(|b| (b, "application/json")), policy, timeout_ms).await
    }

    /// `POST` a body of another type (NDJSON batches for the bulk receiver).
    pub async fn post_typed(
        &self,
        path: &str,
        body: String,
        content_type: &str,
    ) -> Result<HttpResponse, DestinationError> {
        self.exchange(Method::Post, path, Some((body, content_type)), &self.retry, self.timeout_ms).await
    }

    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<(String, &str)>,
        policy: &RetryPolicy,
        timeout_ms: u32,
    ) -> Result<HttpResponse, DestinationError> {
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if let Some((_, content_type)) = &body {
            headers.push(("Content-Type".to_string(), content_type.to_string()));
        }
        let body = body.map(|(b, _)| b);
        let request = HttpRequest { method, url: self.url(path), headers, body, timeout_ms };
        let never = self.retrying(path, policy, || async {
            Ok::<_, std::convert::Infallible>(self.transport.send(&request, Some(&self.token)).await)
        });
        match never.await {
            Ok(result) => result,
            Err(infallible) => match infallible {},
        }
    }

    /// Run `attempt` until it succeeds, fails for good, or the policy gives up. An attempt may
    /// also fail with its own error `E` (not retried, returned as is): a source file that cannot
    /// be read, say.
    pub(super) async fn retrying<E, F, Fut>(
        &self,
        path: &str,
        policy: &RetryPolicy,
        mut attempt: F,
    ) -> Result<Result<HttpResponse, DestinationError>, E>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Result<HttpResponse, TransportError>, E>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            let slot = self.throttle.admit(&self.clock).await;
            let outcome = attempt().await;
            drop(slot);
            let outcome = match outcome? {
                Ok(response) if response.is_success() => {
                    self.pace(self.throttle.healthy());
                    return Ok(Ok(response));
                }
                failed => failed,
            };
            let failure = classify(&outcome, self.clock.now_ms());
            if let Failure::Status { status: status @ (429 | 503), .. } = failure {
                self.pace(self.throttle.overwhelmed(&format!("HTTP {status} on {}", path_only(path))));
            }
            match policy.decide(tries, &failure, self.clock.random()) {
                RetryDecision::RetryAfter(delay_ms) => {
                    self.notify(Notice::Retry { attempt: tries, delay_ms, reason: describe(&outcome, path) });
                    self.clock.sleep(delay_ms).await;
                }
                RetryDecision::WaitTooLong(wait_ms) => {
                    return Ok(Err(DestinationError::Busy {
                        url: self.base_url.clone(),
                        wait_seconds: wait_ms / 1000,
                        most_seconds: policy.max_retry_after_ms / 1000,
                    }))
                }
                RetryDecision::GiveUp => return Ok(Err(self.error_of(path, outcome))),
            }
        }
    }

    fn notify(&self, notice: Notice) {
        if let Some(observer) = &self.observer {
            observer(&notice);
        }
    }

    fn pace(&self, change: Option<PaceChange>) {
        if let Some(change) = change {
            self.notify(Notice::Pace(change));
        }
    }

    /// Full URL of a path on the destination.
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    fn error_of(&self, path: &str, outcome: Result<HttpResponse, TransportError>) -> DestinationError {
        match outcome {
            Ok(response) if (300..400).contains(&response.status) => DestinationError::Redirected {
                path: path_only(path).to_string(),
                status: response.status,
                location: response.location,
            },
            Ok(response) => DestinationError::rejected(path_only(path), response.status, &response.body),
            Err(TransportError::Network(reason)) => {
                DestinationError::Unreachable { url: self.base_url.clone(), reason }
            }
            Err(TransportError::Timeout(timeout_ms)) => {
                DestinationError::Timeout { url: self.base_url.clone(), timeout_ms }
            }
        }
    }
}

fn classify(outcome: &Result<HttpResponse, TransportError>, now_ms: f64) -> Failure {
    match outcome {
        Ok(response) => Failure::Status {
            status: response.status,
            retry_after_ms: response.retry_after.as_deref().and_then(|v| parse_retry_after(v, now_ms)),
        },
        Err(TransportError::Network(_)) => Failure::Network,
        Err(TransportError::Timeout(_)) => Failure::Timeout,
    }
}

fn describe(outcome: &Result<HttpResponse, TransportError>, path: &str) -> String {
    match outcome {
        Ok(response) => format!("{} answered HTTP {}", path_only(path), response.status),
        Err(e) => format!("{}: {e}", path_only(path)),
    }
}

pub(super) fn decode_data<R: DeserializeOwned>(path: &str, response: &HttpResponse) -> Result<R, DestinationError> {
    serde_json::from_str::<Envelope<R>>(&response.body)
        .map(|e| e.data)
        .map_err(|e| DestinationError::Unexpected { path: path_only(path).to_string(), reason: e.to_string() })
}

/// The path without its query string, for messages.
pub(super) fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use futures::executor::block_on;
    use serde_json::{json, Value};

    use super::*;
    use crate::destination::PaceChange;
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, destination as client, Scripted};

    #[test]
    fn sends_the_token_as_a_header_never_in_the_url() {
        let transport = Scripted::new(vec![answer(200, r#"{"data":{"id":"u1"}}"#)]);
        let clock = FakeClock::default();
        let me: Value = block_on(client(&transport, &clock).get("/users/me?fields=id")).unwrap();
        assert_eq!(me, json!({"id": "u1"}));
        let seen = transport.seen.borrow();
        let (request, token) = &seen[0];
        assert_eq!(request.url, "https://dest.example/users/me?fields=id");
        assert_eq!(token, "s3cret");
        assert!(!request.url.contains("s3cret"));
        assert!(request.headers.iter().all(|(_, v)| !v.contains("s3cret")));
    }

    #[test]
    fn retries_transient_failures_then_succeeds() {
        let transport = Scripted::new(vec![
            Err(TransportError::Network("ECONNRESET".into())),
            answer(503, ""),
            Err(TransportError::Timeout(60_000)),
            answer(200, r#"{"data":[1,2]}"#),
        ]);
        let clock = FakeClock { random: 0.0, ..FakeClock::default() };
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        let client = client(&transport, &clock).with_observer(move |e| {
            if let Notice::Retry { .. } = e {
                sink.borrow_mut().push(e.clone())
            }
        });
        let data: Vec<u32> = block_on(client.post("/items/t", &json!([{"id": 1}]))).unwrap();
        assert_eq!(data, vec![1, 2]);
        assert_eq!(transport.seen.borrow().len(), 4);
        assert_eq!(*clock.sleeps.borrow(), vec![125, 250, 500], "exponential backoff, lower jitter bound");
        assert_eq!(events.borrow().len(), 3);
        assert!(
            matches!(&events.borrow()[1], Notice::Retry { attempt: 2, reason, .. } if reason == "/items/t answered HTTP 503")
        );
        // The same body is sent on every attempt.
        assert!(transport.seen.borrow().iter().all(|(r, _)| r.body.as_deref() == Some(r#"[{"id":1}]"#)));
    }

    #[test]
    fn honours_retry_after() {
        let transport = Scripted::new(vec![
            Ok(HttpResponse { status: 429, retry_after: Some("2".into()), location: None, body: String::new() }),
            answer(200, r#"{"data":null}"#),
        ]);
        let clock = FakeClock::default();
        let _: Option<Value> = block_on(client(&transport, &clock).get("/server/ping")).unwrap();
        assert_eq!(*clock.sleeps.borrow(), vec![2_000]);
    }

    #[test]
    fn does_not_retry_client_errors_and_reports_directus_message() {
        let body =
            r#"{"errors":[{"message":"You don't have permission to access this.","extensions":{"code":"FORBIDDEN"}}]}"#;
        let transport = Scripted::new(vec![answer(403, body)]);
        let clock = FakeClock::default();
        let err = block_on(client(&transport, &clock).get::<Value>("/users/me?fields=id")).unwrap_err();
        assert_eq!(transport.seen.borrow().len(), 1);
        assert!(clock.sleeps.borrow().is_empty());
        assert_eq!(err.code(), "DESTINATION_FORBIDDEN");
        assert_eq!(
            err.to_string(),
            "destination refused /users/me with HTTP 403 FORBIDDEN: You don't have permission to access this."
        );
    }

    #[test]
    fn gives_up_after_the_last_attempt() {
        let transport = Scripted::new(
            (0..8).map(|_| Err(TransportError::Network("connect ECONNREFUSED 127.0.0.1:9".into()))).collect(),
        );
        let clock = FakeClock::default();
        let err = block_on(client(&transport, &clock).get::<Value>("/server/info")).unwrap_err();
        assert_eq!(transport.seen.borrow().len(), 8);
        assert_eq!(clock.sleeps.borrow().len(), 7);
        let waited: u64 = clock.sleeps.borrow().iter().sum();
        assert!((12_875..=25_750).contains(&waited), "long enough to ride out a restart: {waited} ms");
        assert_eq!(
            err.to_string(),
            "destination https://dest.example is unreachable: connect ECONNREFUSED 127.0.0.1:9"
        );
        assert_eq!(err.status(), 502);
    }

    #[test]
    fn an_overwhelmed_destination_gets_fewer_requests_and_a_long_wait_stops_clearly() {
        let busy =
            |after: &str| HttpResponse { status: 429, retry_after: Some(after.into()), ..HttpResponse::default() };
        let transport = Scripted::new(vec![Ok(busy("1")), answer(200, r#"{"data":1}"#), Ok(busy("3600"))]);
        let clock = FakeClock::default();
        let notices = Rc::new(RefCell::new(Vec::new()));
        let sink = notices.clone();
        let client = client(&transport, &clock).with_observer(move |n| sink.borrow_mut().push(n.clone()));
        let _: Value = block_on(client.get("/items/t")).unwrap();
        assert!(matches!(
            &notices.borrow()[0],
            Notice::Pace(PaceChange::SlowDown { limit: 4, reason }) if reason == "HTTP 429 on /items/t"
        ));
        let err = block_on(client.get::<Value>("/items/t")).unwrap_err();
        assert_eq!((err.code(), err.status()), ("DESTINATION_BUSY", 503));
        assert!(err.to_string().contains("asked to wait 3600 s"), "{err}");
    }

    #[test]
    fn redirects_are_reported_not_followed() {
        let moved =
            HttpResponse { status: 301, location: Some("https://new.example/".into()), ..HttpResponse::default() };
        let transport = Scripted::new(vec![Ok(moved)]);
        let clock = FakeClock::default();
        let err = block_on(client(&transport, &clock).get::<Value>("/server/ping")).unwrap_err();
        assert_eq!(transport.calls(), 1);
        assert_eq!((err.code(), err.status()), ("DESTINATION_REDIRECTED", 400));
        assert!(err.to_string().contains("HTTP 301, a redirect to https://new.example/"), "{err}");
    }

    #[test]
    fn reports_undecodable_answers() {
        let transport = Scripted::new(vec![answer(200, "<html>")]);
        let clock = FakeClock::default();
        let err = block_on(client(&transport, &clock).get::<Value>("/server/info?x=1")).unwrap_err();
        assert!(matches!(err, DestinationError::Unexpected { ref path, .. } if path == "/server/info"));
    }
}
