//! A run or a dry run as a job: one running job per destination, a process id, progress kept for
//! whoever follows it, a cancel flag, the final report kept, and the callback delivered when the
//! caller asked for one.

use std::cell::RefCell;

use super::migrate::MigrateOptions;
use super::request::MigrationRequest;
use super::settings::ExtensionSettings;
use super::verify::run_and_verify;
use crate::artifacts::save_report;
use crate::callback::{check_url, deliver, payload};
use crate::destination::Destination;
use crate::host::Host;
use crate::http::Transport;
use crate::jobs::{process_id, JobHost, JobStatus, Jobs};
use crate::progress::{Emit, Event, Level};
use crate::report::{RunReport, Stop};
use crate::runtime::Clock;
use crate::CoreError;

/// Where a background run reports its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    pub url: String,
    /// `scheme://host[:port]`, what the job shows of it.
    pub origin: String,
    /// `MIGRATION_CALLBACK_SECRET`, to sign the body.
    pub secret: Option<String>,
}

impl Callback {
    /// The request's `callbackUrl`, checked, with the secret to sign with.
    pub fn from_request(request: &MigrationRequest, settings: &ExtensionSettings) -> Result<Option<Self>, CoreError> {
        request.callback_url.as_deref().map(|url| Callback::to(url, settings)).transpose()
    }

    /// `url`, checked, with the secret to sign with.
    pub fn to(url: &str, settings: &ExtensionSettings) -> Result<Self, CoreError> {
        let origin = check_url(url)?;
        let secret = Some(settings.callback_secret.clone()).filter(|s| !s.is_empty());
        Ok(Callback { url: url.trim().to_string(), origin, secret })
    }
}

/// Run `options` as a job in `jobs`. Refusals (bad selection, schema mismatch, another job
/// running to the same destination) come back as errors before the job starts, and leave no job
/// behind; after it starts (the `job` event), the report says how it ended.
pub async fn run_job<H: Host, T: Transport, C: Clock, CT: Transport>(
    host: &H,
    jobs: &RefCell<Jobs>,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
    callback: Option<(Callback, CT)>,
) -> Result<RunReport, CoreError> {
    let clock = destination.clock();
    let origin = destination.origin();
    if let Some(running) = jobs.borrow().running_to(&origin) {
        return Err(CoreError::JobRunning { destination: origin.clone(), process_id: running.to_string() });
    }
    let id = process_id(clock.now_ms(), || clock.random());
    let kind = if options.dry_run { "dry-run" } else { "run" };
    let selected = options.selected.clone().unwrap_or_default();
    jobs.borrow_mut().start(&id, kind, &origin, selected.clone(), options.cancel.clone(), clock.now_ms());
    let job_host = JobHost::new(host, jobs, id.clone(), kind);

    let result = run_and_verify(&job_host, destination, options).await;
    let mut report = match result {
        Ok(report) => report,
        Err(error) if !job_host.started() => {
            jobs.borrow_mut().forget(&id);
            return Err(error);
        }
        // Under way, then an error no report holds: the job still ends with one, saying why.
        Err(error) => {
            let mut report = RunReport::new(options.dry_run, vec![]);
            report.finish(0.0, Some(Stop::Error(error.to_string())));
            report.http_status = error.status();
            report
        }
    };
    report.process_id = Some(id.clone());
    // The report is the run's last artifact: the summary as the caller gets it, but for its own
    // entry in the list.
    if let Ok(text) = serde_json::to_string_pretty(&report) {
        save_report(host, clock, &mut report.artifacts, &text).await;
    }
    job_host.emit(&Event::step(report.artifacts.line()));
    let status = JobStatus::Ended(report.status);
    let wire = serde_json::to_value(&report).unwrap_or_default();
    job_host.emit(&Event::Summary { report: wire.clone() });
    jobs.borrow_mut().finish(&id, status, Some(wire), clock.now_ms());

    if let Some((callback, transport)) = callback {
        let tables: Vec<String> = match selected.is_empty() {
            true => report.tables.iter().map(|t| t.collection.clone()).collect(),
            false => selected,
        };
        let body = payload(&id, &report, &tables, clock.now_ms()).to_string();
        let state = deliver(&transport, clock, &callback.url, &callback.origin, body, callback.secret.as_deref()).await;
        let line = match (state.delivered, state.last_status, &state.last_error) {
            (true, _, _) => format!("Callback delivered to {} (attempt {})", state.origin, state.attempts),
            (false, Some(status), _) => {
                format!("Callback to {} not taken: HTTP {status} after {} attempt(s)", state.origin, state.attempts)
            }
            (false, None, error) => format!(
                "Callback to {} not delivered after {} attempt(s): {}",
                state.origin,
                state.attempts,
                error.as_deref().unwrap_or("no answer")
            ),
        };
        host.emit(&Event::log(Level::Info, line));
        jobs.borrow_mut().set_callback(&id, state);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::{json, Value};

    use super::*;
    use crate::commands::migrate::tests::{options, pair};
    use crate::destination::DestinationConfig;
    use crate::report::RunStatus;
    use crate::runtime::fake::FakeClock;
    use crate::runtime::Cancel;
    use crate::testing::{answer, Scripted};

    fn callback(transport: &Scripted) -> Option<(Callback, &Scripted)> {
        let target =
            Callback { url: "http://hooks/flows/trigger/1".into(), origin: "http://hooks".into(), secret: None };
        Some((target, transport))
    }

    #[test]
    fn a_run_is_a_job_that_reports_to_its_callback() {
        let (host, fake) = pair();
        let clock = FakeClock { random: 0.5, ..FakeClock::default() };
        let destination =
            Destination::new(DestinationConfig::new("https://dest.example", "t"), &*fake, &clock).unwrap();
        let jobs = RefCell::new(Jobs::default());
        let hooks = Scripted::new(vec![answer(200, "{}")]);
        let opts = options(json!({ "selectedTables": ["tags", "languages"] }));
        let report = block_on(run_job(&host, &jobs, &destination, &opts, callback(&hooks))).unwrap();
        let id = report.process_id.clone().unwrap();
        assert!(crate::jobs::is_process_id(&id), "{id}");

        let detail = jobs.borrow().detail(&id, clock.now_ms()).unwrap();
        assert_eq!(detail.summary.status, JobStatus::Ended(RunStatus::Completed));
        assert_eq!(detail.summary.rows.created, 4);
        assert!(detail.callback.as_ref().unwrap().delivered);
        let lines = jobs.borrow().lines(&id, None).unwrap().lines;
        assert_eq!(lines[0]["type"], "job", "the job is announced first");
        assert_eq!(lines.last().unwrap()["type"], "summary");
        assert_eq!(lines.last().unwrap()["processId"], json!(id));

        let sent = hooks.seen.borrow();
        let body: Value = serde_json::from_str(sent[0].0.body.as_deref().unwrap()).unwrap();
        assert_eq!(sent[0].0.url, "http://hooks/flows/trigger/1");
        assert_eq!(body["processId"], json!(id));
        assert_eq!(body["status"], "completed");
        assert_eq!(body["details"]["selectedTables"], json!(["tags", "languages"]));
        assert_eq!(body["details"]["rows"]["created"], 4);
    }

    #[test]
    fn one_running_job_per_destination_and_refusals_leave_no_job() {
        let (host, fake) = pair();
        let clock = FakeClock::default();
        let destination =
            Destination::new(DestinationConfig::new("https://dest.example", "t"), &*fake, &clock).unwrap();
        let jobs = RefCell::new(Jobs::default());
        let none: Option<(Callback, &Scripted)> = None;
        let refused =
            block_on(run_job(&host, &jobs, &destination, &options(json!({ "selectedTables": ["nope"] })), none));
        assert_eq!(refused.unwrap_err().status(), 400);
        assert!(jobs.borrow().list().is_empty(), "a refused run is no job");

        jobs.borrow_mut().start(
            "migration_1_aaaaaaaaaaaa",
            "run",
            "https://dest.example",
            vec![],
            Cancel::default(),
            0.0,
        );
        let none: Option<(Callback, &Scripted)> = None;
        let busy = block_on(run_job(&host, &jobs, &destination, &options(json!({ "selectedTables": ["tags"] })), none));
        let err = busy.unwrap_err();
        assert_eq!(err.status(), 409);
        assert!(err.to_string().contains("migration_1_aaaaaaaaaaaa"), "{err}");
        assert_eq!((err.code(), err.process_id()), ("JOB_RUNNING", Some("migration_1_aaaaaaaaaaaa")));
    }

    #[test]
    fn a_cancelled_run_ends_cancelled_and_its_callback_says_failed() {
        let (host, fake) = pair();
        let clock = FakeClock::default();
        let destination =
            Destination::new(DestinationConfig::new("https://dest.example", "t"), &*fake, &clock).unwrap();
        let jobs = RefCell::new(Jobs::default());
        let hooks = Scripted::new(vec![answer(204, "")]);
        let opts = options(json!({ "selectedTables": ["tags", "languages"] }));
        opts.cancel.cancel();
        let report = block_on(run_job(&host, &jobs, &destination, &opts, callback(&hooks))).unwrap();
        assert_eq!(report.status, RunStatus::Cancelled);
        assert!(report.message.contains("What was written stays"), "{}", report.message);
        assert!(fake.writes().is_empty());
        let body: Value = serde_json::from_str(hooks.seen.borrow()[0].0.body.as_deref().unwrap()).unwrap();
        assert_eq!((body["status"].as_str(), body["details"]["cancelled"].as_bool()), (Some("failed"), Some(true)));
        assert_eq!(jobs.borrow().list()[0].status, JobStatus::Ended(RunStatus::Cancelled));
    }
}
