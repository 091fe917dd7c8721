//! [`Transport`] over the platform's `fetch` (Node's undici inside Directus), with requests built
//! by gloo-net. Nothing here may throw into JavaScript: headers are set through `web_sys` calls
//! that return errors (gloo's own setters throw on a value a header cannot carry), and `fetch` is
//! called through our own binding so that a network failure keeps its `cause` (`ECONNREFUSED`,
//! `ENOTFOUND`…) instead of a bare "fetch failed". Redirects are not followed: the token would go
//! with them.

use gloo_net::http::{Headers, Method as GlooMethod, RequestBuilder, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestRedirect;

use crate::shared::http::{HttpRequest, HttpResponse, Method, Transport, TransportError};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_request(request: &web_sys::Request) -> js_sys::Promise;
}

#[derive(Clone, Copy)]
pub struct FetchTransport;

fn headers(request: &HttpRequest, token: Option<&str>) -> Result<Headers, TransportError> {
    let refused = |e: JsValue| TransportError::Network(format!("a request header could not be set: {}", describe(&e)));
    let raw = web_sys::Headers::new().map_err(refused)?;
    if let Some(token) = token {
        raw.set("Authorization", &format!("Bearer {token}")).map_err(refused)?;
    }
    for (name, value) in &request.headers {
        raw.set(name, value).map_err(refused)?;
    }
    Ok(Headers::from_raw(raw))
}

impl Transport for FetchTransport {
    async fn send(&self, request: &HttpRequest, token: Option<&str>) -> Result<HttpResponse, TransportError> {
        let signal = web_sys::AbortSignal::timeout_with_u32(request.timeout_ms);
        let builder = RequestBuilder::new(&request.url)
            .method(gloo_method(request.method))
            .headers(headers(request, token)?)
            .redirect(RequestRedirect::Manual)
            .abort_signal(Some(&signal));
        let built = match &request.body {
            // As bytes: a JS string would be decoded from UTF-8 here and encoded again by fetch.
            Some(body) => builder.body(js_sys::Uint8Array::from(body.as_bytes())),
            None => builder.build(),
        }
        .map_err(|e| TransportError::Network(e.to_string()))?;
        let raw: web_sys::Request = built.into();
        let timeout = request.timeout_ms;
        let answered = JsFuture::from(fetch_request(&raw)).await.map_err(|e| fetch_error(e, timeout))?;
        let response = Response::from(answered.unchecked_into::<web_sys::Response>());
        let retry_after = response.headers().get("retry-after");
        let location = response.headers().get("location");
        let status = response.status();
        let body = response.text().await.map_err(|e| match e {
            gloo_net::Error::JsError(js) if matches!(js.name.as_str(), "TimeoutError" | "AbortError") => {
                TransportError::Timeout(timeout)
            }
            other => TransportError::Network(format!("reading the response failed: {other}")),
        })?;
        Ok(HttpResponse { status, retry_after, location, body })
    }
}

fn gloo_method(method: Method) -> GlooMethod {
    match method {
        Method::Get => GlooMethod::GET,
        Method::Post => GlooMethod::POST,
        Method::Patch => GlooMethod::PATCH,
        Method::Delete => GlooMethod::DELETE,
    }
}

fn prop(value: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(value, &name.into()).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty())
}

fn describe(value: &JsValue) -> String {
    prop(value, "message").or_else(|| value.as_string()).unwrap_or_else(|| "unknown reason".into())
}

/// Timeouts (the abort signal fired) versus network failures, with the most specific reason.
pub fn fetch_error(thrown: JsValue, timeout_ms: u32) -> TransportError {
    if matches!(prop(&thrown, "name").as_deref(), Some("TimeoutError" | "AbortError")) {
        return TransportError::Timeout(timeout_ms);
    }
    let cause = js_sys::Reflect::get(&thrown, &"cause".into()).unwrap_or(JsValue::UNDEFINED);
    let reason = match (prop(&cause, "code"), prop(&cause, "message")) {
        (Some(code), Some(message)) if message.contains(&code) => message,
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        (None, Some(message)) => message,
        (None, None) => prop(&thrown, "message").unwrap_or_else(|| "fetch failed".into()),
    };
    TransportError::Network(reason)
}
