//! Before any row moves: validate the selection, plan it (with row counts under the
//! `updatedAfter` filter), check the destination's schema, and choose the transport. Everything
//! here may refuse the request, and does so before the first progress event. A verification plans
//! and chooses the same way, without the schema guard.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::destination::compat::{ensure_schema_matches, receiver_fits, receiver_takes_api_rows};
use crate::destination::Destination;
use crate::host::{CountRequest, Host};
use crate::pipeline::data::{changed_since, parse_instant};
use crate::pipeline::matching::key_map;
use crate::pipeline::options::{MigrateOptions, TransportChoice};
use crate::pipeline::plan::{self, Dates, Plan};
use crate::pipeline::schema::{is_system, restrict, tables_to_move, Snapshot};
use crate::pipeline::system::KeyMap;
use crate::runs::artifacts;
use crate::runs::report::Delivery;
use crate::shared::http::Transport;
use crate::shared::runtime::Clock;
use crate::shared::wire::WIRE_VERSION;
use crate::CoreError;

pub struct Prepared {
    pub plan: Plan,
    /// Source keys of Directus' own rows that stand for other keys on the destination.
    pub keys: KeyMap,
    /// The selection's schema, as sent to the destination to compare.
    pub schema: Snapshot,
    /// Each collection's `updatedAfter` filter (`None`: every row).
    pub filters: BTreeMap<String, Option<Value>>,
    pub delivery: Delivery,
    /// Why that transport, for the progress stream.
    pub why: String,
}

/// The selection planned, with each table's row count under its filter: what a run moves and a
/// verification compares.
pub struct Planned {
    pub snapshot: Snapshot,
    pub plan: Plan,
    pub filters: BTreeMap<String, Option<Value>>,
}

pub async fn prepare<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    options: &MigrateOptions,
) -> Result<Prepared, CoreError> {
    let Planned { snapshot, plan, filters } = plan_selection(host, options).await?;
    // Directus' own collections are every instance's: the guard is about the user tables.
    let collections = plan.tables.iter().filter(|t| t.system.is_none()).map(|t| t.collection.clone()).collect();
    ensure_schema_matches(&snapshot, destination, &collections, options.force).await?;
    let (delivery, why) = choose_delivery(destination, snapshot.vendor.as_deref(), options).await?;
    let moving = plan.tables.iter().map(|t| t.collection.as_str()).collect();
    let keys = key_map(host, destination, &moving).await?;
    let schema = restrict(&snapshot, &collections);
    Ok(Prepared { plan, keys, schema, filters, delivery, why })
}

/// Validate the selection and plan it, with row counts under the `updatedAfter` filter.
pub async fn plan_selection<H: Host>(host: &H, options: &MigrateOptions) -> Result<Planned, CoreError> {
    let snapshot = host.schema_snapshot().await?;
    let selected = tables_to_move(&snapshot, options.selected.as_deref(), options.excluded.as_deref())?;
    let instant = options.updated_after.as_deref().map(parse_instant).transpose()?;

    let mut system_columns = BTreeMap::new();
    for name in selected.iter().filter(|name| is_system(name)) {
        if let Some(columns) = host.table_columns(name).await? {
            system_columns.insert(name.clone(), columns);
        }
    }
    // Earlier runs' artifacts are this instance's record: never moved with its folders and files.
    let artifacts = match selected.contains("directus_folders") || selected.contains("directus_files") {
        true => artifacts::top_folder(host).await?,
        false => None,
    };
    let mut filters = BTreeMap::new();
    let mut rows = BTreeMap::new();
    // The row counts decide which reference of a cycle waits (see `plan::build`): counted first,
    // for every collection the plan will move, under its filter.
    for collection in plan::collections(&snapshot, &selected, &system_columns) {
        let dates = Dates::of(&snapshot, &collection, system_columns.get(&collection).map(Vec::as_slice));
        let changed =
            instant.as_deref().and_then(|at| changed_since(dates.updated.as_deref(), dates.created.as_deref(), at));
        let ours = artifacts.as_deref().and_then(|top| artifacts::not_artifacts(&collection, top));
        let filter = match (changed, ours) {
            (Some(a), Some(b)) => Some(serde_json::json!({ "_and": [a, b] })),
            (a, b) => a.or(b),
        };
        let count = host.count(&CountRequest { collection: collection.clone(), filter: filter.clone() }).await?;
        rows.insert(collection.clone(), count);
        filters.insert(collection, filter);
    }
    let plan = plan::build(&snapshot, &selected, &rows, instant.is_some(), &system_columns)?;
    Ok(Planned { snapshot, plan, filters })
}

/// REST or bulk, and why.
pub async fn choose_delivery<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    vendor: Option<&str>,
    options: &MigrateOptions,
) -> Result<(Delivery, String), CoreError> {
    let choice = options.transport;
    if choice == TransportChoice::Rest {
        return Ok((Delivery::Rest, "REST API (asked for)".into()));
    }
    let receiver = destination.receiver_info().await?;
    let (fits, rows) = match options.rows_as_stored {
        true => (receiver_fits(receiver.as_ref(), vendor), "rows in the database's representation"),
        false => (
            receiver_takes_api_rows(receiver.as_ref()),
            "rows in the API's representation (the source is read through its REST API), written by the receiver as Directus writes an item",
        ),
    };
    match (fits, choice) {
        (Ok(()), _) => {
            let version = receiver.map(|r| r.version).unwrap_or_default();
            Ok((Delivery::Bulk, format!("bulk receiver {version} (wire {WIRE_VERSION}), {rows}")))
        }
        (Err(why), TransportChoice::Bulk) => Err(CoreError::Conflict(format!("scope.transport is bulk, but {why}"))),
        (Err(why), _) => Ok((Delivery::Rest, format!("REST API: {why}"))),
    }
}
