//! The files step: every file a migrated row references (single-file fields, and M2M "files"
//! fields through their junctions) moves with it, before it, so no row on the destination points
//! at a missing file. File bytes never enter the core: the host streams them.

mod folders;
mod mover;
mod multipart;
mod stored;

pub use mover::FileMover;
