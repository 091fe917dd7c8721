//! `POST /migration/dry-run` and `POST /migration/run`: move the rows of the selected user tables,
//! in five steps — [`prepare`] (validate, plan, guard the schema, choose the transport), the
//! [`first_pass`] (every table, the files its rows reference first), the [`second_pass`]
//! (references held back to break cycles), [`deletions`] (`scope.deleteMissing`), and [`finish`]
//! (caches, summary, report). The run's
//! artifacts are written alongside, as the first pass reads (see `crate::runs::artifacts`).
//!
//! A refusal comes before any progress event, so it is a plain HTTP error. Once rows move, a
//! failure stops the run and is reported in the final report (`status: "failed"`) with
//! everything done so far.

mod deletions;
mod finish;
mod first_pass;
mod options;
mod prepare;
mod second_pass;
#[cfg(test)]
pub(crate) mod tests;

pub use crate::pipeline::options::{
    MigrateOptions, Resume, TransportChoice, DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, DEFAULT_FILE_CONCURRENCY,
};
pub(crate) use prepare::{choose_delivery, plan_selection, Planned};

use deletions::deletions;
use finish::finish;
use first_pass::first_pass;
pub(crate) use prepare::{prepare, Prepared};
use second_pass::second_pass;

use crate::destination::sink::{KnownKeys, Sink};
use crate::destination::Destination;
use crate::host::Host;
use crate::pipeline::data::Context;
use crate::pipeline::files::FileMover;
use crate::runs::artifacts::{tapped, RunArtifacts};
use crate::runs::progress::{Event, Phase, PlannedTable, Recorder, Timings};
use crate::runs::report::{ArtifactsStatus, Delivery, RunReport};
use crate::shared::http::Transport;
use crate::shared::rows::key_text;
use crate::shared::runtime::Clock;
use crate::shared::wire::Representation;
use crate::CoreError;

pub async fn migrate<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<RunReport, CoreError> {
    let started = destination.clock().now_ms();
    let prepared = prepare(host, destination, options).await?;
    Ok(migrate_prepared(host, destination, options, &prepared, started).await)
}

/// Move what `prepared` selects (the steps after [`prepare`]); `started` is when the run began
/// (epoch ms). From here on nothing is refused: a failure ends the run, and the report says so.
pub async fn migrate_prepared<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
    prepared: &Prepared,
    started: f64,
) -> RunReport {
    host.emit(&Event::Started);
    announce(host, destination, options, prepared);
    let clock = destination.clock();
    let with_users = prepared.plan.table("directus_users").is_some();
    let storage = options.artifacts.as_deref();
    let artifacts = RunArtifacts::start(host, clock, storage, options.dry_run, &prepared.schema, with_users).await;
    let timings = Timings::default();
    // From here on, every page read is written to the artifacts too.
    let tapped = tapped(&artifacts, clock, &timings);
    let host = &tapped;

    let mut report = RunReport::new(options.dry_run, prepared.plan.notes.clone());
    report.transport = prepared.delivery;
    let keys = &prepared.keys;
    report.mappings = keys.mappings().to_vec();
    for table in &prepared.plan.tables {
        for (field, why) in &table.concealed {
            report.warnings.push(crate::pipeline::system::concealed::warning(&table.collection, field, why));
        }
    }
    let moves_users = prepared.plan.tables.iter().any(|t| t.collection == "directus_users");
    if options.user_passwords && moves_users && prepared.delivery == Delivery::Rest {
        report.warnings.push(
            "scope.userPasswords: password hashes cannot be set over the REST API (Directus hashes whatever it is given): users arrive without a password; install this extension on the destination to copy them over its bulk receiver".into(),
        );
    }
    let sink = Sink::new(prepared.delivery, options.representation(prepared.delivery), destination).timed(&timings);
    // Directus' own collections go through their REST endpoints, whatever the transport.
    let system_sink = Sink::new(Delivery::Rest, Representation::Api, destination);
    let known = KnownKeys::default();
    let recorder = Recorder::new(host);
    let files = FileMover::new(host, destination, &known, &recorder, options).with_keys(keys);
    let context = Context {
        host,
        destination,
        sink: &sink,
        known: &known,
        recorder: &recorder,
        files: Some(&files),
        options,
        batch_size: options.batch_size(prepared.delivery),
        system_sink: &system_sink,
        keys,
        timings: &timings,
    };

    // The second pass runs even when the first stopped early, for the tables that were done: a
    // re-run repairs whatever it could not reach.
    let resume = options.resume.as_ref().filter(|_| !options.dry_run);
    let (pending, first) = first_pass(&context, prepared, &artifacts, resume, &mut report).await;
    let outcome = match first {
        Err(CoreError::Cancelled) => Err(CoreError::Cancelled),
        first => {
            let second = second_pass(&context, pending, options.updated_after.is_some(), &mut report);
            first.and(timings.time(clock, Phase::SecondPass, second).await)
        }
    };
    let outcome = match (outcome, options.selected.as_deref()) {
        (Ok(()), Some(selected)) if options.delete_missing => {
            deletions(&context, &prepared.plan, selected, &mut report).await
        }
        (outcome, _) => outcome,
    };
    stamped_updates(&prepared.plan, &mut report);
    report.files = files.finish();
    recorder.fill(&mut report);
    report.artifacts = timings.time(clock, Phase::Artifacts, artifacts.finish()).await;
    report.timings = timings.report();
    if report.artifacts.status == ArtifactsStatus::Failed {
        report.warnings.push(format!(
            "artifacts missing in the source's file library ({}): {}",
            report.artifacts.missing.join(", "),
            report.artifacts.reason.as_deref().unwrap_or_default()
        ));
    }
    finish(host, destination, &mut report, outcome, started).await;
    report
}

/// A merge over REST: the rows it updated carry Directus' own stamp in their `date-updated` /
/// `user-updated` fields (its API sets them on every update), not the source's.
fn stamped_updates(plan: &crate::pipeline::plan::Plan, report: &mut RunReport) {
    if report.transport != Delivery::Rest {
        return;
    }
    for line in report.tables.iter().filter(|line| line.updated > 0 && !line.collection.starts_with("directus_")) {
        let Some(table) = plan.table(&line.collection).filter(|t| !t.updated_fields.is_empty()) else { continue };
        let what = if report.dry_run { "would carry" } else { "carry" };
        report.warnings.push(format!(
            "{}: the {} row(s) a merge updated over REST {what} the destination's own {} (Directus' API stamps every update); the bulk receiver writes the source's",
            line.collection,
            line.updated,
            table.updated_fields.join(", ")
        ));
    }
}

fn announce<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
    prepared: &Prepared,
) {
    let what = if options.dry_run { "Dry run: migrating" } else { "Migrating" };
    let total: u64 = prepared.plan.tables.iter().map(|t| t.rows).sum();
    let line = format!(
        "{what} {} collection(s), {total} row(s), to {} (batches of {}, {} in flight)",
        prepared.plan.tables.len(),
        destination.base_url(),
        options.batch_size(prepared.delivery),
        options.concurrency
    );
    let collections =
        prepared.plan.tables.iter().map(|t| PlannedTable { collection: t.collection.clone(), total: t.rows }).collect();
    host.emit(&Event::Planned { collections, total_rows: total, line });
    host.emit(&Event::step(format!("Transport: {}", prepared.why)));
    for note in &prepared.plan.notes {
        host.emit(&Event::step(format!("Note: {note}")));
    }
    for mapping in prepared.keys.mappings() {
        host.emit(&Event::step(format!(
            "Mapping: {} {} is {} on the destination ({})",
            mapping.collection,
            key_text(&mapping.source),
            key_text(&mapping.destination),
            mapping.reason
        )));
    }
}
