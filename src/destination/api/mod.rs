//! The Directus REST calls the migration steps make, typed, one file per area.

mod files;
mod items;
mod receiver;
mod schema;
mod verify;

pub use files::{SourceUnreadable, Upload};
pub use items::{encode, items_path};
