//! Jobs across processes, natively: two keepers (two Directus processes) share one job table in
//! memory, each with its own running jobs and its own name.

use std::cell::RefCell;

use futures::executor::block_on;
use serde_json::{json, Value};

use super::callback::{Callback, CALLBACK_ROUNDS};
use super::jobs::{cancel, detail, list, reopen};
use super::recover::{recover_job, LostJob, CRASHED};
use super::resume::take_up;
use super::run_job::{run_job, Start};
use super::settings::ExtensionSettings;
use super::sweep::sweep;
use crate::commands::migrate::tests::{options, pair};
use crate::destination::{Destination, DestinationConfig};
use crate::runs::jobs::memory::MemoryJobs;
use crate::runs::jobs::{Changes, Guard, Job, JobRow, JobStatus, Jobs, Keeper, LEASE_MS};
use crate::runs::report::RunStatus;
use crate::shared::runtime::fake::FakeClock;
use crate::testing::{answer, Scripted};

/// One Directus process: its running jobs and its name.
struct Process {
    jobs: RefCell<Jobs>,
    name: &'static str,
}

impl Process {
    fn new(name: &'static str) -> Self {
        Process { jobs: RefCell::new(Jobs::default()), name }
    }

    fn keeper<'a>(&'a self, store: &'a MemoryJobs, clock: &'a FakeClock) -> Keeper<'a, MemoryJobs, FakeClock> {
        Keeper { store, clock, jobs: &self.jobs, owner: self.name }
    }
}

fn hook() -> Callback {
    Callback { url: "http://hooks/flows/trigger/1".into(), origin: "http://hooks".into(), secret: None }
}

fn body(scripted: &Scripted, i: usize) -> Value {
    serde_json::from_str(scripted.seen.borrow()[i].0.body.as_deref().unwrap()).unwrap()
}

const REQUEST: &str =
    r#"{"baseURL":"https://dest.example","token":"t0ken-xyz","scope":{"selectedTables":["tags","languages"]}}"#;

fn start() -> Start {
    Start { request: REQUEST.into(), started_by: Some("user-1".into()) }
}

#[test]
fn a_run_is_a_job_in_the_table_that_ends_with_its_report_and_one_callback() {
    let (host, fake) = pair();
    let clock = FakeClock { random: 0.5, ..FakeClock::default() };
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), &*fake, &clock).unwrap();
    let (store, a) = (MemoryJobs::default(), Process::new("a"));
    let hooks = Scripted::new(vec![answer(200, "{}")]);
    let opts = options(json!({ "selectedTables": ["tags", "languages"] }));
    let report =
        block_on(run_job(&host, &a.keeper(&store, &clock), &destination, &opts, Some((hook(), &hooks)), start()));
    let id = report.unwrap().process_id.unwrap();

    let row = store.row(&id).unwrap();
    assert_eq!((row.status.as_str(), row.lock_key.as_deref(), row.owner.as_deref()), ("completed", None, None));
    assert_eq!((row.callback_due, row.started_by.as_deref()), (false, Some("user-1")));
    assert!(!row.request.as_deref().unwrap().contains("t0ken-xyz"), "the request is kept sealed");
    assert!(!row.state.contains("t0ken") && !row.lines.as_deref().unwrap().contains("t0ken"));
    assert!(a.jobs.borrow().is_empty(), "an ended job is let go of in memory");

    let b = Process::new("b");
    let seen = block_on(detail(&store, &b.jobs, &id, 0.0)).unwrap();
    assert_eq!(seen.summary.status, JobStatus::Ended(RunStatus::Completed));
    assert_eq!(seen.summary.rows.created, 4);
    assert!(seen.callback.unwrap().delivered);
    assert_eq!(block_on(list(&store)).unwrap()[0].started_by.as_deref(), Some("user-1"));
    assert_eq!(hooks.calls(), 1);
    let sent = body(&hooks, 0);
    assert_eq!(
        (sent["processId"].as_str(), sent["status"].as_str(), sent["resumed"].as_u64()),
        (Some(id.as_str()), Some("completed"), Some(0))
    );
}

#[test]
fn one_running_job_per_destination_across_processes_and_refusals_leave_no_row() {
    let (host, fake) = pair();
    let clock = FakeClock::default();
    let destination = Destination::new(DestinationConfig::new("https://dest.example", "t"), &*fake, &clock).unwrap();
    let (store, b) = (MemoryJobs::default(), Process::new("b"));
    let none = || -> Option<(Callback, &Scripted)> { None };
    let refused = block_on(run_job(
        &host,
        &b.keeper(&store, &clock),
        &destination,
        &options(json!({ "selectedTables": ["nope"] })),
        none(),
        start(),
    ));
    assert_eq!(refused.unwrap_err().status(), 400);
    assert!(store.rows.borrow().is_empty(), "a refused run is no job");

    // Process A runs a job to the same destination, spelt otherwise.
    let mut running = Job::new("migration_1_aaaaaaaaaaaa", "run", "https://DEST.example:443", vec![], 0.0);
    running.dirty = false;
    store.rows.borrow_mut().push(JobRow {
        id: running.process_id.clone(),
        status: "running".into(),
        lock_key: Some(crate::destination::destination_key("https://DEST.example:443")),
        owner: Some("a".into()),
        lease_until: 1e15,
        state: running.state_text(),
        ..JobRow::default()
    });
    let busy = block_on(run_job(
        &host,
        &b.keeper(&store, &clock),
        &destination,
        &options(json!({ "selectedTables": ["tags"] })),
        none(),
        start(),
    ));
    let err = busy.unwrap_err();
    assert_eq!((err.status(), err.code(), err.process_id()), (409, "JOB_RUNNING", Some("migration_1_aaaaaaaaaaaa")));
    assert_eq!(store.rows.borrow().len(), 1);
}

/// A job held by process `a`, running, with a callback, whose lease runs until `lease_until`.
fn held_job(store: &MemoryJobs, id: &str, lease_until: f64) {
    let mut job = Job::new(id, "run", "https://dest.example", vec!["tags".into()], 0.0);
    job.state.callback_url = Some("http://hooks/flows/trigger/1".into());
    job.state.checkpoints.insert("tags".into(), json!({ "after": 2 }));
    store.rows.borrow_mut().push(JobRow {
        id: id.into(),
        kind: "run".into(),
        status: "running".into(),
        destination: "https://dest.example".into(),
        lock_key: Some(crate::destination::destination_key("https://dest.example")),
        owner: Some("a".into()),
        lease_until,
        request: Some(block_on(crate::runs::jobs::JobStore::seal_text(store, REQUEST)).unwrap().unwrap()),
        state: job.state_text(),
        lines: Some(job.lines_text()),
        ..JobRow::default()
    });
}

#[test]
fn a_cancel_asked_from_another_process_reaches_the_running_one_at_its_next_beat() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    let (a, b) = (Process::new("a"), Process::new("b"));
    held_job(&store, "migration_1_aaaaaaaaaaaa", 1e15);
    let job = Job::from_row(&store.row("migration_1_aaaaaaaaaaaa").unwrap());
    let flag = job.cancel.clone();
    a.jobs.borrow_mut().add(job);

    let answer = block_on(cancel(&store, &b.jobs, "migration_1_aaaaaaaaaaaa")).unwrap();
    assert_eq!(answer.status, "cancelling");
    assert!(!flag.is_cancelled(), "B only asked");
    let keeper = a.keeper(&store, &clock);
    block_on(keeper.hold("migration_1_aaaaaaaaaaaa").beat()).unwrap();
    assert!(flag.is_cancelled(), "A stops at its next batch");
}

#[test]
fn a_process_that_lost_its_lease_stops_and_writes_nothing_more() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    let (a, b) = (Process::new("a"), Process::new("b"));
    held_job(&store, "migration_1_aaaaaaaaaaaa", 10.0);
    let job = Job::from_row(&store.row("migration_1_aaaaaaaaaaaa").unwrap());
    let flag = job.cancel.clone();
    a.jobs.borrow_mut().add(job);
    *clock.now.borrow_mut() = 20.0;

    // B's sweep takes the job over; A's next beat finds it gone.
    let hooks = Scripted::new(vec![]);
    let swept =
        block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &ExtensionSettings::default(), &hooks))
            .unwrap();
    assert_eq!(swept.resume, vec!["migration_1_aaaaaaaaaaaa".to_string()]);
    let row = store.row("migration_1_aaaaaaaaaaaa").unwrap();
    assert_eq!((row.owner.as_deref(), row.resumed, row.lease_until), (Some("b"), 1, 20.0 + LEASE_MS));
    let held = a.keeper(&store, &clock);
    let held = held.hold("migration_1_aaaaaaaaaaaa");
    block_on(held.beat()).unwrap();
    assert!(held.lost() && flag.is_cancelled());
    assert_eq!(store.row("migration_1_aaaaaaaaaaaa").unwrap().owner.as_deref(), Some("b"));

    // A second sweep, by a third process at the same moment, finds nothing to take.
    let c = Process::new("c");
    let again =
        block_on(sweep(&crate::testing::NoEmit, &c.keeper(&store, &clock), &ExtensionSettings::default(), &hooks))
            .unwrap();
    assert!(again.resume.is_empty());
}

#[test]
fn a_job_taken_over_goes_on_from_its_checkpoint_with_its_request_and_callback() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    let b = Process::new("b");
    held_job(&store, "migration_1_aaaaaaaaaaaa", 10.0);
    *clock.now.borrow_mut() = 20.0;
    let keeper = b.keeper(&store, &clock);
    let settings = ExtensionSettings { storage_locations: vec!["local".into()], ..ExtensionSettings::default() };
    let first = block_on(take_up(&keeper, "migration_1_aaaaaaaaaaaa", &settings));
    assert!(
        first.err().is_some_and(|why| why.contains("another process")),
        "only a job this process holds is taken up"
    );
    block_on(sweep(&crate::testing::NoEmit, &keeper, &settings, &Scripted::new(vec![]))).unwrap();
    let taken =
        block_on(take_up(&keeper, "migration_1_aaaaaaaaaaaa", &settings)).map_err(|e| panic!("{e}")).ok().unwrap();
    assert_eq!(taken.request.destination().unwrap().base_url, "https://dest.example");
    assert_eq!(taken.options.selected, Some(vec!["tags".to_string(), "languages".to_string()]));
    let resume = taken.options.resume.unwrap();
    assert_eq!(resume.tables["tags"].after, Some(json!(2)));
    assert_eq!(taken.callback.unwrap().url, "http://hooks/flows/trigger/1");
    assert!(b.jobs.borrow().get("migration_1_aaaaaaaaaaaa").is_some());
}

#[test]
fn a_job_cancelled_while_no_process_ran_it_ends_cancelled_with_one_callback() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    let b = Process::new("b");
    held_job(&store, "migration_1_aaaaaaaaaaaa", 10.0);
    block_on(cancel(&store, &b.jobs, "migration_1_aaaaaaaaaaaa")).unwrap();
    *clock.now.borrow_mut() = 20.0;
    let hooks = Scripted::new(vec![answer(200, "{}")]);
    let swept =
        block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &ExtensionSettings::default(), &hooks))
            .unwrap();
    assert_eq!(swept.cancelled, vec!["migration_1_aaaaaaaaaaaa".to_string()]);
    let row = store.row("migration_1_aaaaaaaaaaaa").unwrap();
    assert_eq!((row.status.as_str(), row.lock_key, row.callback_due), ("cancelled", None, false));
    assert_eq!(hooks.calls(), 1);
    assert_eq!(body(&hooks, 0)["details"]["cancelled"], true);
    assert_eq!(body(&hooks, 0)["resumed"], 1);
}

#[test]
fn a_callback_not_delivered_is_tried_again_by_the_next_sweep_then_given_up() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    let b = Process::new("b");
    let mut job = Job::new("migration_1_aaaaaaaaaaaa", "run", "https://dest.example", vec![], 0.0);
    job.state.callback_url = Some("http://hooks/flows/trigger/1".into());
    job.state.callback_body = Some(r#"{"processId":"migration_1_aaaaaaaaaaaa"}"#.into());
    store.rows.borrow_mut().push(JobRow {
        id: job.process_id.clone(),
        status: "completed".into(),
        callback_due: true,
        owner: None,
        lease_until: 0.0,
        state: job.state_text(),
        ..JobRow::default()
    });
    *clock.now.borrow_mut() = 1.0;
    let settings = ExtensionSettings::default();
    let down: Vec<_> = (0..4).map(|_| answer(503, "")).collect();
    let hooks = Scripted::new(down);
    let swept = block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &settings, &hooks)).unwrap();
    assert_eq!(swept.callbacks, 1);
    let row = store.row("migration_1_aaaaaaaaaaaa").unwrap();
    assert!(row.callback_due && row.owner.is_none() && row.lease_until > crate::shared::runtime::Clock::now_ms(&clock));
    let nothing = block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &settings, &hooks)).unwrap();
    assert_eq!(nothing.callbacks, 0, "not before its next round");

    *clock.now.borrow_mut() += 120_000.0;
    let hooks = Scripted::new(vec![answer(204, "")]);
    block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &settings, &hooks)).unwrap();
    let row = store.row("migration_1_aaaaaaaaaaaa").unwrap();
    assert!(!row.callback_due);
    assert_eq!(hooks.calls(), 1);
    let state: crate::runs::jobs::JobState = serde_json::from_str(&row.state).unwrap();
    assert!(state.callback.as_ref().unwrap().delivered);
    assert_eq!(state.callback_rounds, 2);

    // A callback that never gets through is given up after its rounds.
    store.rows.borrow_mut()[0].callback_due = true;
    store.rows.borrow_mut()[0].state =
        serde_json::to_string(&crate::runs::jobs::JobState { callback_rounds: CALLBACK_ROUNDS - 1, ..state }).unwrap();
    *clock.now.borrow_mut() += 120_000.0;
    let hooks = Scripted::new((0..4).map(|_| answer(503, "")).collect());
    block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &settings, &hooks)).unwrap();
    assert!(!store.row("migration_1_aaaaaaaaaaaa").unwrap().callback_due);
}

#[test]
fn ended_jobs_are_let_go_as_the_retention_says_and_running_ones_never() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    for i in 0..5 {
        store.rows.borrow_mut().push(JobRow {
            id: format!("j{i}"),
            status: "completed".into(),
            ended_at: Some(f64::from(i)),
            ..JobRow::default()
        });
    }
    store.rows.borrow_mut().push(JobRow {
        id: "r".into(),
        status: "running".into(),
        lease_until: 1e15,
        ..JobRow::default()
    });
    *clock.now.borrow_mut() = 10.0;
    let settings = ExtensionSettings { jobs_retention: "3".into(), ..ExtensionSettings::default() };
    let b = Process::new("b");
    let swept =
        block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &settings, &Scripted::new(vec![]))).unwrap();
    assert_eq!(swept.pruned, 2);
    let ids: Vec<String> = store.rows.borrow().iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, ["j2", "j3", "j4", "r"]);
    let bad = ExtensionSettings { jobs_retention: "3w".into(), ..ExtensionSettings::default() };
    assert_eq!(
        block_on(sweep(&crate::testing::NoEmit, &b.keeper(&store, &clock), &bad, &Scripted::new(vec![])))
            .unwrap_err()
            .status(),
        400
    );
}

#[test]
fn a_stopped_job_is_reopened_once_and_a_completed_or_running_one_never() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    let b = Process::new("b");
    held_job(&store, "migration_1_aaaaaaaaaaaa", 1e15);
    assert_eq!(block_on(reopen(&b.keeper(&store, &clock), "migration_1_aaaaaaaaaaaa")).unwrap_err().status(), 409);
    let ended =
        Changes { status: Some("cancelled".into()), lock_key: Some(None), owner: Some(None), ..Changes::default() };
    assert!(block_on(crate::runs::jobs::JobStore::job_update(
        &store,
        "migration_1_aaaaaaaaaaaa",
        &Guard::default(),
        &ended
    ))
    .unwrap());
    let answer = block_on(reopen(&b.keeper(&store, &clock), "migration_1_aaaaaaaaaaaa")).unwrap();
    assert_eq!(answer.status, "resuming");
    let row = store.row("migration_1_aaaaaaaaaaaa").unwrap();
    assert_eq!((row.status.as_str(), row.owner.as_deref(), row.resumed), ("running", Some("b"), 1));
    assert!(row.lock_key.is_some());
    assert_eq!(block_on(reopen(&b.keeper(&store, &clock), "migration_1_aaaaaaaaaaaa")).unwrap_err().status(), 409);
    store.rows.borrow_mut()[0].status = "completed".into();
    let err = block_on(reopen(&b.keeper(&store, &clock), "migration_1_aaaaaaaaaaaa")).unwrap_err();
    assert!(err.to_string().contains("it completed"), "{err}");
    assert_eq!(block_on(reopen(&b.keeper(&store, &clock), "../x")).unwrap_err().status(), 400);
}

#[test]
fn a_job_of_a_core_that_crashed_ends_failed_and_its_callback_says_so() {
    let (store, clock) = (MemoryJobs::default(), FakeClock::default());
    let a = Process::new("a");
    held_job(&store, "migration_1_aaaaaaaaaaaa", 1e15);
    let hooks = Scripted::new(vec![answer(200, "{}")]);
    let lost = LostJob {
        process_id: "migration_1_aaaaaaaaaaaa".into(),
        kind: "run".into(),
        started_at: 0.0,
        callback_url: Some("http://hooks/flows/trigger/1".into()),
    };
    let report = block_on(recover_job(
        &crate::testing::NoEmit,
        &a.keeper(&store, &clock),
        lost,
        &ExtensionSettings::default(),
        &hooks,
    ))
    .unwrap();
    assert_eq!(report.status, RunStatus::Failed);
    let row = store.row("migration_1_aaaaaaaaaaaa").unwrap();
    assert_eq!((row.status.as_str(), row.lock_key), ("failed", None));
    assert_eq!(
        (body(&hooks, 0)["status"].as_str(), body(&hooks, 0)["details"]["error"].as_str()),
        (Some("failed"), Some(CRASHED))
    );
    let bad = LostJob { process_id: "job_1".into(), ..LostJob::default() };
    assert_eq!(
        block_on(recover_job(
            &crate::testing::NoEmit,
            &a.keeper(&store, &clock),
            bad,
            &ExtensionSettings::default(),
            &hooks
        ))
        .unwrap_err()
        .status(),
        400
    );
}
