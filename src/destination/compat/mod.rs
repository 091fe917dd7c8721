//! What must hold between the source and the destination before rows move: the selected
//! collections' schema matches, and whether the bulk receiver fits.

mod receiver;
mod schema;

pub use receiver::{receiver_fits, receiver_takes_api_rows};
pub use schema::{diff_plan, ensure_schema_matches, DiffOptions, SyncPlan};
