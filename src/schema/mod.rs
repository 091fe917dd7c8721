//! The schema step: what the source and destination exchange to agree on collections, fields and
//! relations. The snapshot is Directus' own format, kept lossless so it can be sent back verbatim;
//! the diff is what the destination's `/schema/diff` answers, filtered so a sync never destroys
//! what only the destination has unless asked to mirror.

mod diff;
mod selection;
mod snapshot;
mod summary;

#[cfg(test)]
pub mod fixtures;

pub use diff::{Change, DiffEntry, DiffKind, DiffResponse, ItemDiff, SchemaDiff, Withheld};
pub use selection::{close_selection, is_system, restrict, user_tables, validate_names};
pub use snapshot::{CollectionSnapshot, FieldSnapshot, Parts, RelationSnapshot, Snapshot};
pub use summary::{CollectionChanges, Counts, DiffSummary, Totals};
