//! Finding the destination's counterparts of Directus' own rows before anything is written: the
//! key map (the destination's administrator role and policy, users by e-mail) and the rows that
//! exist there under another key (a natural key: a permission's policy, collection and action).
//! Read-only on both sides.

mod keys;
mod natural;

pub use keys::key_map;
pub use natural::{natural_matches, rows_matching};
