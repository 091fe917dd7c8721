//! The verification pass: compare the selected tables on both sides — row counts, an
//! order-independent content digest per table, the first differing keys with the reason — and
//! the files their rows reference (size and sha256). Read-only on both sides; computed in pages,
//! so memory stays bounded whatever the tables' size.

mod columns;
mod compare;
mod files;
mod table;

pub use columns::columns;
pub use files::FileChecker;
pub use table::{verify_table, Reading};
