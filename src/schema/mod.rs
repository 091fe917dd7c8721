//! The schema step: what the source and destination exchange to agree on collections, fields and
//! relations. The snapshot is Directus' own format, kept lossless so it can be sent back verbatim.

mod snapshot;

pub use snapshot::{CollectionSnapshot, FieldSnapshot, RelationSnapshot, Snapshot};
