//! `directus_settings` is merged field by field into the destination's own row: every column
//! the source has moves, except the ones that belong to the destination instance.

use serde_json::Value;

use crate::shared::rows::Row;

/// Columns of `directus_settings` that stay as the destination has them, and why.
pub const KEPT: [(&str, &str); 16] = [
    ("id", "the one settings row's key"),
    ("project_id", "identifies the destination instance"),
    ("project_owner", "the destination's owner registration"),
    ("project_usage", "the destination's owner registration"),
    ("org_name", "the destination's owner registration"),
    ("product_updates", "the destination's owner registration"),
    ("project_status", "the destination's owner registration"),
    ("license_key", "the destination's licence"),
    ("license_token", "the destination's licence"),
    ("ai_openai_api_key", "an API key is a secret of the destination instance"),
    ("ai_anthropic_api_key", "an API key is a secret of the destination instance"),
    ("ai_google_api_key", "an API key is a secret of the destination instance"),
    ("ai_openai_compatible_api_key", "an API key is a secret of the destination instance"),
    ("ai_openai_compatible_headers", "may carry credentials of the destination instance"),
    ("mapbox_key", "an API key is a secret of the destination instance"),
    ("module_bar", "it lists the modules of the extensions each instance has installed"),
];

/// Why `column` stays as the destination has it, when it does.
pub fn kept(column: &str) -> Option<&'static str> {
    KEPT.iter().find(|(c, _)| *c == column).map(|(_, why)| *why)
}

/// Of `columns` (the source's real settings columns), those that move.
pub fn moving(columns: &[String]) -> Vec<String> {
    columns.iter().filter(|c| kept(c).is_none()).cloned().collect()
}

/// The fields of `source` (already restricted to the moving columns, references mapped) whose
/// value the destination's row `destination` does not have: what a `PATCH /settings` sets.
pub fn merge(source: &Row, destination: &Row) -> Row {
    source
        .iter()
        .filter(|(column, _)| kept(column).is_none())
        .filter(|(column, value)| destination.get(*column).unwrap_or(&Value::Null) != *value)
        .map(|(column, value)| (column.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::row;
    use serde_json::json;

    use super::*;

    #[test]
    fn moves_what_differs_and_leaves_the_instance_its_own() {
        let source = row(json!({
            "id": 1, "project_name": "Source", "project_color": "#112233", "project_id": "src-id",
            "ai_openai_api_key": "sk-source", "module_bar": [{ "id": "content" }], "default_language": "en-US",
            "basemaps": [{ "name": "OSM", "type": "raster" }], "public_note": null
        }));
        let destination = row(json!({
            "id": 1, "project_name": "Destination", "project_color": "#112233", "project_id": "dest-id",
            "ai_openai_api_key": "sk-dest", "module_bar": null, "default_language": "en-US", "basemaps": null,
            "public_note": "welcome"
        }));
        let patch = merge(&source, &destination);
        assert_eq!(
            Value::Object(patch),
            json!({ "project_name": "Source", "basemaps": [{ "name": "OSM", "type": "raster" }], "public_note": null })
        );
        assert!(merge(&destination, &destination).is_empty(), "a second run changes nothing");
    }

    #[test]
    fn json_values_compare_whatever_their_key_order() {
        let source = row(json!({ "storage_asset_presets": [{ "key": "a", "fit": "cover" }] }));
        let destination: Row =
            serde_json::from_str(r#"{"storage_asset_presets":[{"fit":"cover","key":"a"}]}"#).unwrap();
        assert!(merge(&source, &destination).is_empty());
    }

    #[test]
    fn secrets_and_the_licence_stay() {
        let columns: Vec<String> =
            ["id", "project_name", "license_key", "mapbox_key", "custom_css"].iter().map(|c| c.to_string()).collect();
        assert_eq!(moving(&columns), vec!["project_name", "custom_css"]);
        assert!(kept("ai_anthropic_api_key").is_some());
        assert!(kept("project_url").is_none(), "the project's own site address moves");
    }
}
