//! The data step: moving rows. For now, reading a source table page by page.

mod bulk;
mod deferred;
mod filter;
mod reader;
mod references;
mod table;
mod writer;

pub use bulk::write_bulk;
pub use deferred::complete;
pub use filter::{changed_since, parse_instant};
pub use reader::PageReader;
pub use references::{key_text, null_missing, KnownKeys};
pub use table::{migrate_table, Delivery, Settings, TableOutcome};
pub use writer::{is_about_rows, message_of, write, Write, Written};
