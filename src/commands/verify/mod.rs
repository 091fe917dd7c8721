//! `POST /migration/verify` (and `scope.verify` on `/migration/run`): compare the selected tables
//! on both sides. Selection, plan and transport exactly as a run's (the same body means the same
//! tables, the same `updatedAfter` rows, the same representation); no schema guard — a collection
//! the destination lacks is reported, a field it lacks is left out and noted. Read-only on both
//! sides, whatever `dryRun` says.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::Value;

use super::migrate::{choose_delivery, plan_selection, MigrateOptions, Planned};
use crate::destination::Destination;
use crate::host::Host;
use crate::pipeline::matching::key_map;
use crate::pipeline::plan::{Plan, TablePlan};
use crate::pipeline::schema::Snapshot;
use crate::pipeline::system::KeyMap;
use crate::pipeline::verify::{columns, verify_table, FileChecker, Reading};
use crate::runs::progress::Event;
use crate::runs::report::{Delivery, TableVerification, Verdict, Verification};
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::CoreError;

/// Verify on its own: plan, choose the transport, compare.
pub async fn verify<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<Verification, CoreError> {
    let started = destination.clock().now_ms();
    let Planned { snapshot, plan, filters } = plan_selection(host, options).await?;
    // The run's key map (read-only to find): references to mapped keys are compared as written.
    let moving = plan.tables.iter().map(|t| t.collection.as_str()).collect();
    let keys = key_map(host, destination, &moving).await?;
    let (delivery, why) = choose_delivery(destination, snapshot.vendor.as_deref(), options).await?;
    let what = What { snapshot: &snapshot, plan: &plan, filters: &filters, delivery, keys: &keys, why: &why };
    verify_planned(host, destination, options, what, started).await
}

/// Compare what `what` selects: a verification of its own, or a run's plan once the run is done
/// (`scope.verify`: nothing is planned or asked again). `started` is when the work began (epoch
/// ms), for the answer's time.
pub async fn verify_planned<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
    what: What<'_>,
    started: f64,
) -> Result<Verification, CoreError> {
    // Directus' own rows are matched and mapped, not copied as they are: what a run did with
    // them is in its report.
    let (system, user): (Vec<&TablePlan>, Vec<&TablePlan>) = what.plan.tables.iter().partition(|t| t.system.is_some());
    let total: u64 = user.iter().map(|t| t.rows).sum();
    host.emit(&Event::step(format!(
        "Verifying {} collection(s), {total} row(s), against {} (pages of {})",
        user.len(),
        destination.base_url(),
        options.batch_size(what.delivery)
    )));
    host.emit(&Event::step(format!("Transport: {}", what.why)));
    let mut answer = compare(host, destination, options, &what, &user, started).await?;
    if !system.is_empty() {
        let names: Vec<&str> = system.iter().map(|t| t.collection.as_str()).collect();
        answer.notes.insert(
            0,
            format!(
                "Directus' own collections are not verified ({}): their rows are matched and mapped onto the destination's, not copied as they are; the run's report says what became of each",
                names.join(", ")
            ),
        );
    }
    Ok(answer)
}

/// What a verification compares: a planned selection, read over `delivery` (chosen for `why`).
pub struct What<'a> {
    /// The source's schema (at least the selected user collections').
    pub snapshot: &'a Snapshot,
    pub plan: &'a Plan,
    pub filters: &'a BTreeMap<String, Option<Value>>,
    pub delivery: Delivery,
    pub keys: &'a KeyMap,
    pub why: &'a str,
}

/// Compare every table of `tables`, then the files their rows reference. `started` is when the
/// work began (epoch ms), for the answer's time.
async fn compare<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
    what: &What<'_>,
    tables: &[&TablePlan],
    started: f64,
) -> Result<Verification, CoreError> {
    let theirs = destination.schema_snapshot().await?;
    let rows = options.representation(what.delivery);
    let exists = |name: &str| theirs.collections.iter().any(|c| c.collection == name);
    let tables: Vec<_> = tables
        .iter()
        .map(|&table| {
            let compared = exists(&table.collection)
                .then(|| columns(table, what.snapshot, &theirs, what.delivery, rows, options.preserve_created));
            (table, compared)
        })
        .collect();
    let notes: Vec<String> =
        tables.iter().filter_map(|(t, c)| Some(c.as_ref()?.notes(&t.collection))).flatten().collect();
    for note in &notes {
        host.emit(&Event::step(format!("Note: {note}")));
    }

    let mut answer = Verification::new(what.delivery, notes);
    let files = FileChecker::new(host, destination, options.file_concurrency as usize);
    let reading =
        Reading { delivery: what.delivery, rows, batch_size: options.batch_size(what.delivery), keys: what.keys };
    for (table, compared) in tables {
        let Some(compared) = compared else {
            let mut report =
                TableVerification { status: Verdict::Missing, ..TableVerification::new(&table.collection) };
            (report.checked, report.missing) = (table.rows, table.rows);
            report.settle(0.0);
            host.emit(&Event::TableVerified { report: report.clone() });
            answer.tables.push(report);
            continue;
        };
        host.emit(&Event::step(format!("{}: {} row(s) to compare", table.collection, table.rows)));
        let filter = what.filters.get(&table.collection).cloned().flatten();
        answer.tables.push(verify_table(host, destination, reading, table, &compared, filter, &files).await?);
    }
    let (files, file_notes) = files.finish();
    answer.files = files;
    answer.notes.extend(file_notes);
    if answer.files.checked > 0 {
        host.emit(&Event::step(answer.files.line()));
        for difference in &answer.files.first_differences {
            host.emit(&Event::step(format!(
                "file {}: {}",
                crate::shared::rows::key_text(&difference.key),
                difference.reason
            )));
        }
    }
    answer.finish((destination.clock().now_ms() - started) / 1000.0);
    Ok(answer)
}
