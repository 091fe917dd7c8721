//! The data step: moving rows, page by page, through a [`crate::destination::sink::RowSink`], with the files
//! they reference moved first and held-back references set in a second pass.

mod checkpoint;
mod delete_missing;
mod directus_rows;
mod filter;
mod held_back;
mod merge;
mod pages;
mod table;

pub use checkpoint::TableCheckpoint;
pub use delete_missing::{delete_missing, deletes_missing};
pub use filter::{changed_since, parse_instant};
#[cfg(test)]
pub use held_back::gauge;
pub use held_back::{complete, complete_from_source, Held};
pub use pages::migrate_table;

use crate::destination::sink::{KnownKeys, Target};
use crate::destination::Destination;
use crate::pipeline::files::FileMover;
use crate::pipeline::options::MigrateOptions;
use crate::pipeline::plan::TablePlan;
use crate::pipeline::system::KeyMap;
use crate::runs::progress::{Recorder, Timings};

/// Everything the data step works with, shared by every table of a run.
pub struct Context<'a, H, S, T, C> {
    pub host: &'a H,
    /// For reference lookups and timing; rows go through `sink`.
    pub destination: &'a Destination<T, C>,
    pub sink: &'a S,
    pub known: &'a KnownKeys,
    pub recorder: &'a Recorder<'a>,
    pub files: Option<&'a FileMover<'a, H, T, C>>,
    /// The run's options: `cancel` stops new pages (those in flight finish); `merge` updates user
    /// rows the destination has with other content; `preserve_created` writes back
    /// `date-created` / `user-created` values where the destination stamps them.
    pub options: &'a MigrateOptions,
    /// Rows per page read and per write, for the run's transport.
    pub batch_size: u32,
    /// Directus' own collections go through this one (the REST API, their own endpoints),
    /// whatever the run's transport.
    pub system_sink: &'a S,
    /// Source keys that stand for other keys on the destination (empty unless Directus' own
    /// collections move).
    pub keys: &'a KeyMap,
    /// Where the run's time goes, by phase.
    pub timings: &'a Timings,
}

impl<'a, H, S, T, C> Context<'a, H, S, T, C> {
    /// Where `table`'s rows go.
    pub fn sink_for(&self, table: &TablePlan) -> &'a S {
        if table.system.is_some() {
            self.system_sink
        } else {
            self.sink
        }
    }
}

/// Where a table's rows go.
pub fn target(table: &TablePlan) -> Target<'_> {
    Target {
        collection: &table.collection,
        key: &table.primary_key,
        singleton: table.singleton,
        keeps_key: !table.assigns_keys(),
    }
}
