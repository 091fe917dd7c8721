//! The schema step: what the source and destination exchange to agree on collections, fields and
//! relations. The snapshot is Directus' own format, kept lossless so it can be sent back verbatim;
//! the diff is what the destination's `/schema/diff` answers, filtered so a sync never destroys
//! what only the destination has unless asked to mirror.

pub(crate) mod diff;
mod selection;
mod snapshot;
mod summary;

#[cfg(test)]
pub mod fixtures;

pub use diff::{DiffResponse, SchemaDiff, Withheld};
pub use selection::{is_system, restrict, sync_scope, tables_to_move, user_tables, SelectionError};
pub use snapshot::{FieldSnapshot, Parts, Snapshot};
pub use summary::{CollectionChanges, DiffSummary};
