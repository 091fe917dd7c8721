//! `POST /migration/check`: is the destination usable? Reachable, a Directus instance, the token
//! valid and an admin's, and the same Directus version and database vendor as the source.
//!
//! Every outcome is an answer (never an error), with an HTTP status a Flow can branch on: 200 only
//! when the destination is usable.

use serde::Serialize;

use crate::destination::compat::{receiver_fits, receiver_takes_api_rows};
use crate::destination::{Destination, DestinationError};
use crate::host::Host;
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::shared::wire::ReceiverInfo;
use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(missing_as_null, hashmap_as_object, rename = "CheckStatus")
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Warning,
    Danger,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct InstanceInfo {
    pub version: String,
    pub vendor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(missing_as_null, hashmap_as_object, rename = "CheckVerdict")
)]
pub struct Verdict {
    #[cfg_attr(target_arch = "wasm32", tsify(type = "CheckStatus"))]
    pub status: Status,
    pub icon: &'static str,
    /// For refusals: the same codes as every other error answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<InstanceInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<InstanceInfo>,
    /// `yes (version 0.1.0, wire 1)` or `no (…why)`: whether runs can use the bulk transport.
    #[serde(rename = "bulkReceiver", skip_serializing_if = "Option::is_none")]
    pub bulk_receiver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<ReceiverInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct CheckAnswer {
    pub http_status: u16,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "CheckVerdict"))]
    pub body: Verdict,
}

impl CheckAnswer {
    fn new(http_status: u16, status: Status, message: String) -> Self {
        let icon = match status {
            Status::Success => "check",
            Status::Warning => "warning",
            Status::Danger => "error",
        };
        CheckAnswer {
            http_status,
            body: Verdict {
                status,
                icon,
                code: None,
                message,
                source: None,
                destination: None,
                bulk_receiver: None,
                receiver: None,
            },
        }
    }

    /// A refusal, with its code.
    fn danger(http_status: u16, code: &'static str, message: String) -> Self {
        let mut answer = CheckAnswer::new(http_status, Status::Danger, message);
        answer.body.code = Some(code);
        answer
    }

    /// A refusal for a request that could not even be tried (e.g. no baseURL).
    pub fn refused(error: &CoreError) -> Self {
        CheckAnswer::danger(error.status(), error.code(), error.to_string())
    }
}

/// Check `destination` against the source `host` reads; `rows_as_stored`: the host reads rows as
/// stored (in-process), not through the source's API (the command line), which decides which
/// bulk receiver a run can use.
pub async fn check<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    force: bool,
    rows_as_stored: bool,
) -> CheckAnswer {
    match compare(host, destination, force, rows_as_stored).await {
        Ok(answer) => answer,
        Err((http_status, code, message)) => CheckAnswer::danger(http_status, code, message),
    }
}

async fn compare<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    force: bool,
    rows_as_stored: bool,
) -> Result<CheckAnswer, (u16, &'static str, String)> {
    let url = destination.base_url().to_string();
    let not_directus = "DESTINATION_BAD_RESPONSE";
    destination.ping().await.map_err(|e| match e {
        DestinationError::Unreachable { .. }
        | DestinationError::Timeout { .. }
        | DestinationError::Redirected { .. } => (e.status(), e.code(), e.to_string()),
        DestinationError::Rejected { status, .. } => (
            502,
            not_directus,
            format!("{url} does not look like a Directus instance: GET /server/ping answered HTTP {status}"),
        ),
        other => (502, not_directus, format!("{url} does not look like a Directus instance: {other}")),
    })?;
    destination.current_user().await.map_err(|e| match e {
        DestinationError::Rejected { status: 401, message, .. } => (
            400,
            "DESTINATION_UNAUTHORIZED",
            format!("The destination token is not valid on {url} (the destination says: {message})"),
        ),
        other => (other.status(), other.code(), other.to_string()),
    })?;
    let theirs = destination.schema_snapshot().await.map_err(|e| match e {
        DestinationError::Rejected { status: 401 | 403, .. } => (
            400,
            "DESTINATION_FORBIDDEN",
            format!("The destination token does not belong to an admin on {url}: it may not read the schema"),
        ),
        other => (other.status(), other.code(), other.to_string()),
    })?;
    let ours = host
        .schema_snapshot()
        .await
        .map_err(|e| (500, "SOURCE_ERROR", format!("Could not read the source schema: {e}")))?;

    let mut differences = Vec::new();
    if ours.directus != theirs.directus {
        differences
            .push(format!("Directus versions differ: source {}, destination {}", ours.directus, theirs.directus));
    }
    if ours.vendor != theirs.vendor {
        let name = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
        differences.push(format!(
            "database vendors differ: source {}, destination {}",
            name(&ours.vendor),
            name(&theirs.vendor)
        ));
    }

    let mut answer = if differences.is_empty() {
        CheckAnswer::new(200, Status::Success, "This instance is compatible for migration.".into())
    } else if force {
        let message =
            format!("Forced despite differences: {}. A migration may fail or change data.", differences.join("; "));
        CheckAnswer::new(200, Status::Warning, message)
    } else {
        let message = format!("{}. Pass scope.force to migrate anyway.", capitalise(&differences.join("; ")));
        CheckAnswer::danger(409, "INCOMPATIBLE", message)
    };
    let receiver = destination.receiver_info().await.ok().flatten();
    let (fits, rows) = match rows_as_stored {
        true => (receiver_fits(receiver.as_ref(), ours.vendor.as_deref()), ""),
        false => (receiver_takes_api_rows(receiver.as_ref()), ", rows in the API's representation"),
    };
    answer.body.bulk_receiver = Some(match (fits, &receiver) {
        (Ok(()), Some(info)) => format!("yes (version {}, wire {}{rows})", info.version, info.wire),
        (Err(why), _) => format!("no ({why})"),
        (Ok(()), None) => "no".to_string(),
    });
    answer.body.receiver = receiver;
    answer.body.source = Some(InstanceInfo { version: ours.directus, vendor: ours.vendor });
    answer.body.destination = Some(InstanceInfo { version: theirs.directus, vendor: theirs.vendor });
    Ok(answer)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::shared::http::{HttpResponse, TransportError};
    use crate::shared::runtime::fake::FakeClock;
    use crate::testing::{answer, destination, source_host, Scripted};

    fn snapshot(version: &str, vendor: &str) -> String {
        json!({ "data": { "version": 1, "directus": version, "vendor": vendor, "collections": [], "fields": [], "relations": [] } }).to_string()
    }

    fn run(answers: Vec<Result<HttpResponse, TransportError>>, force: bool) -> (CheckAnswer, usize) {
        run_from("sqlite", answers, force)
    }

    fn run_from(
        source_vendor: &str,
        answers: Vec<Result<HttpResponse, TransportError>>,
        force: bool,
    ) -> (CheckAnswer, usize) {
        let transport = Scripted::new(answers);
        let clock = FakeClock::default();
        let result =
            block_on(check(&source_host("11.17.4", source_vendor), &destination(&transport, &clock), force, true));
        let calls = transport.calls();
        (result, calls)
    }

    fn usable(version: &str, vendor: &str) -> Vec<Result<HttpResponse, TransportError>> {
        let receiver = json!({ "receiver": "directus-extension-table-migration", "version": "0.1.0", "wire": 1, "vendor": vendor });
        vec![
            answer(200, "pong"),
            answer(200, r#"{"data":{"id":"u"}}"#),
            answer(200, &snapshot(version, vendor)),
            answer(200, &receiver.to_string()),
        ]
    }

    #[test]
    fn compatible_destination() {
        let (result, _) = run(usable("11.17.4", "sqlite"), false);
        assert_eq!(result.http_status, 200);
        assert_eq!(result.body.status, Status::Success);
        assert_eq!(result.body.icon, "check");
        assert_eq!(result.body.message, "This instance is compatible for migration.");
        assert_eq!(result.body.bulk_receiver.as_deref(), Some("yes (version 0.1.0, wire 1)"));
    }

    #[test]
    fn reports_a_missing_receiver() {
        let mut answers = usable("11.17.4", "sqlite");
        answers[3] = answer(
            404,
            r#"{"errors":[{"message":"Route /migration/receive/info doesn't exist.","extensions":{"code":"ROUTE_NOT_FOUND"}}]}"#,
        );
        let (result, _) = run(answers, false);
        assert_eq!(result.http_status, 200);
        assert_eq!(
            result.body.bulk_receiver.as_deref(),
            Some("no (the destination has no bulk receiver; install this extension there too)")
        );
    }

    /// The command line (a source read through its API) uses a receiver that takes the API's
    /// rows, on another vendor too; one of an earlier release it does not.
    #[test]
    fn the_command_line_is_told_about_the_receiver_it_would_use() {
        let ask = |receiver: serde_json::Value| {
            let mut answers = usable("11.17.4", "postgres");
            answers[3] = answer(200, &receiver.to_string());
            let transport = Scripted::new(answers);
            let clock = FakeClock::default();
            block_on(check(&source_host("11.17.4", "sqlite"), &destination(&transport, &clock), true, false))
        };
        let receiver = json!({ "receiver": "r", "version": "0.2.0", "wire": 1, "vendor": "postgres", "apiRows": true });
        assert_eq!(
            ask(receiver).body.bulk_receiver.as_deref(),
            Some("yes (version 0.2.0, wire 1, rows in the API's representation)")
        );
        let earlier = json!({ "receiver": "r", "version": "0.1.0", "wire": 1, "vendor": "postgres" });
        assert_eq!(
            ask(earlier).body.bulk_receiver.as_deref(),
            Some("no (its receiver (0.1.0) predates rows read through the source's API: update the extension there)")
        );
    }

    #[test]
    fn says_no_to_a_receiver_the_run_would_not_use() {
        // The same vendor on both sides, but one the bulk receiver cannot write: the run falls
        // back to REST, so the check must not promise the bulk path.
        let (result, _) = run_from("mssql", usable("11.17.4", "mssql"), false);
        assert_eq!(result.http_status, 200);
        assert_eq!(
            result.body.bulk_receiver.as_deref(),
            Some("no (bulk copies are not supported on mssql databases yet)")
        );
    }

    #[test]
    fn version_or_vendor_mismatch_is_a_conflict_unless_forced() {
        let (result, _) = run(usable("12.4.0", "postgres"), false);
        assert_eq!(result.http_status, 409);
        assert_eq!(result.body.status, Status::Danger);
        assert_eq!(
            result.body.message,
            "Directus versions differ: source 11.17.4, destination 12.4.0; database vendors differ: source sqlite, destination postgres. Pass scope.force to migrate anyway."
        );
        let (forced, _) = run(usable("12.4.0", "sqlite"), true);
        assert_eq!(forced.http_status, 200);
        assert_eq!(forced.body.status, Status::Warning);
        assert_eq!(forced.body.icon, "warning");
        assert!(forced.body.message.contains("Directus versions differ: source 11.17.4, destination 12.4.0"));
    }

    #[test]
    fn says_which_thing_is_wrong() {
        let unreachable =
            (0..3).map(|_| Err(TransportError::Network("connect ECONNREFUSED 127.0.0.1:9".into()))).collect();
        let (result, calls) = run(unreachable, false);
        assert_eq!((result.http_status, calls), (502, 3), "a wrong address fails fast");
        assert_eq!(
            result.body.message,
            "destination https://dest.example is unreachable: connect ECONNREFUSED 127.0.0.1:9"
        );

        let (result, _) = run(vec![answer(404, "<html>Not found</html>")], false);
        assert_eq!(result.http_status, 502);
        assert!(result.body.message.contains("does not look like a Directus instance"));

        let bad_token =
            r#"{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}"#;
        let (result, _) = run(vec![answer(200, "pong"), answer(401, bad_token)], false);
        assert_eq!(result.http_status, 400);
        assert!(result.body.message.starts_with("The destination token is not valid"), "{}", result.body.message);
        assert_eq!(result.body.code, Some("DESTINATION_UNAUTHORIZED"));

        let forbidden =
            r#"{"errors":[{"message":"You don't have permission to access this.","extensions":{"code":"FORBIDDEN"}}]}"#;
        let (result, _) =
            run(vec![answer(200, "pong"), answer(200, r#"{"data":{"id":"u"}}"#), answer(403, forbidden)], false);
        assert_eq!(result.http_status, 400);
        assert!(result.body.message.contains("does not belong to an admin"));
        assert_eq!(result.body.icon, "error");
    }
}
