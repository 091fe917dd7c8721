//! Directus' own collections in an `excludedTables` run: which ones move and how
//! ([`catalogue`]), the keys that stand for other keys on the destination ([`KeyMap`]), and the
//! settings merge ([`settings`]), the fields that never move whatever the catalogue says
//! ([`concealed`]). Plain data and rules; the lookups on the destination that fill
//! the key map live in `matching`, the writes in `data`.

pub mod catalogue;
pub mod concealed;
mod keymap;
pub mod settings;

pub use catalogue::{entry, never_moves, Handling, Keys, SystemCollection, CATALOGUE};
pub use keymap::{KeyMap, Mapping};
