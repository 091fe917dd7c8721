//! The data step: moving rows. For now, reading a source table page by page.

mod reader;

pub use reader::PageReader;
