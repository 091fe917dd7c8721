//! Fields added to Directus' own collections whose values the API never gives as they are: a
//! `conceal` or `hash` field is read as the mask `**********`, an `encrypt` field is stored as
//! ciphertext under the source's `SECRET`. Written to the destination, either would replace a
//! secret with a mask or with bytes the destination cannot decrypt, so they never move: each is
//! left out of the plan and named once in the report's warnings.

use crate::pipeline::schema::FieldSnapshot;

/// The specials that keep a field from moving, and why.
const SPECIALS: [(&str, &str); 3] = [
    ("conceal", "Directus reads a concealed value as the mask **********, which the destination would store"),
    ("hash", "Directus reads a hashed value as the mask **********, which the destination would hash again"),
    ("encrypt", "its stored value is encrypted with the source's SECRET, which the destination does not have"),
];

/// Why `field` never moves, when it carries one of those specials.
pub fn why(field: &FieldSnapshot) -> Option<&'static str> {
    SPECIALS.iter().find(|(special, _)| field.has_special(special)).map(|(_, why)| *why)
}

/// The report's warning for `collection.field`, left out for `why`.
pub fn warning(collection: &str, field: &str, why: &str) -> String {
    format!("not moved: concealed field {collection}.{field} ({why})")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(special: &[&str]) -> FieldSnapshot {
        serde_json::from_value(json!({ "collection": "directus_users", "field": "pin", "type": "string",
                                       "meta": { "special": special }, "schema": { "name": "pin" } }))
        .unwrap()
    }

    #[test]
    fn conceal_hash_and_encrypt_keep_a_field_from_moving() {
        assert!(why(&field(&["conceal"])).is_some_and(|w| w.contains("**********")));
        assert!(why(&field(&["hash"])).is_some_and(|w| w.contains("hash again")));
        assert!(why(&field(&["cast-json", "encrypt"])).is_some_and(|w| w.contains("SECRET")));
        assert_eq!(why(&field(&["cast-json"])), None);
        assert_eq!(why(&field(&[])), None);
    }
}
