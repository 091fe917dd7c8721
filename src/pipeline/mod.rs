//! The migration itself, in the order a run goes (with its `options`): the schema (snapshots, diffs, what is
//! selected), the plan (which tables, in which order, which references wait), Directus' own
//! collections (their catalogue, keys and settings), the destination's counterparts of the
//! source's rows (matching), the files rows reference, the rows themselves (data), and the
//! comparison of both sides afterwards (verify).

pub(crate) mod data;
pub(crate) mod files;
pub(crate) mod matching;
pub(crate) mod options;
pub(crate) mod plan;
pub(crate) mod schema;
pub(crate) mod system;
pub(crate) mod verify;
