//! Which columns of a table the verification compares, and which it leaves out and why: over REST,
//! the values Directus stamps itself when the run writes (`date-updated` / `user-updated`, and
//! `date-created` / `user-created` without `preserveCreated`) and the values it masks when read
//! (hashed, concealed); on both transports, columns the destination does not have.

use std::collections::{BTreeMap, BTreeSet};

use crate::pipeline::plan::{Reference, TablePlan};
use crate::pipeline::schema::Snapshot;
use crate::runs::report::Delivery;
use crate::shared::wire::Representation;

/// What one table's comparison covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    /// Compared columns, the primary key first.
    pub compared: Vec<String>,
    /// Left out, with the reason (grouped for the notes).
    pub left_out: BTreeMap<String, Vec<String>>,
    /// References whose value the run sets to null when the target row is not on the
    /// destination: such a null is no difference.
    pub nullable_by_design: Vec<Reference>,
}

const STAMPED: &str = "Directus stamps date-updated and user-updated values when the run writes over REST";
const CREATED: &str = "Directus stamps date-created and user-created values on create (scope.preserveCreated is false)";
const MASKED: &str = "Directus masks hashed and concealed values when they are read";
const ABSENT: &str = "the destination has no such field";

/// The comparison of `table`, whose rows are read over `delivery`; `destination` is the
/// destination's schema snapshot.
pub fn columns(
    table: &TablePlan,
    source: &Snapshot,
    destination: &Snapshot,
    delivery: Delivery,
    rows: Representation,
    preserve_created: bool,
) -> Columns {
    let there: BTreeSet<&str> =
        destination.fields.iter().filter(|f| f.collection == table.collection).map(|f| f.field.as_str()).collect();
    let mut left_out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut leave = |why: &str, field: &str| left_out.entry(why.to_string()).or_default().push(field.to_string());
    let mut compared = vec![table.primary_key.clone()];
    if rows == Representation::Api {
        for (field, _) in &table.excluded {
            leave(MASKED, field);
        }
    }
    for field in table.columns(rows).into_iter().filter(|f| *f != table.primary_key) {
        let specials = source
            .fields
            .iter()
            .find(|f| f.collection == table.collection && f.field == field)
            .map(|f| f.special().into_iter().map(String::from).collect::<Vec<_>>())
            .unwrap_or_default();
        let has = |flag: &str| specials.iter().any(|s| s == flag);
        if !there.contains(field.as_str()) {
            leave(ABSENT, &field);
        } else if delivery == Delivery::Rest && (has("date-updated") || has("user-updated")) {
            leave(STAMPED, &field);
        } else if delivery == Delivery::Rest && !preserve_created && table.created_fields.contains(&field) {
            leave(CREATED, &field);
        } else {
            compared.push(field);
        }
    }
    let nullable_by_design = table
        .checked
        .iter()
        .chain(&table.deferred)
        .filter(|r| r.nullable && compared.contains(&r.field))
        .cloned()
        .collect();
    Columns { compared, left_out, nullable_by_design }
}

impl Columns {
    /// `articles: date_updated not compared: Directus stamps …`, one line per reason.
    pub fn notes(&self, collection: &str) -> Vec<String> {
        self.left_out
            .iter()
            .map(|(why, fields)| format!("{collection}: {} not compared: {why}", fields.join(", ")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::pipeline::plan;
    use crate::pipeline::schema::fixtures::publishing;

    fn articles_and_authors(delivery: Delivery, preserve_created: bool) -> (Columns, Columns) {
        let snapshot = publishing();
        let selected = ["articles", "authors", "categories"].iter().map(|s| s.to_string()).collect();
        let plan = plan::build(&snapshot, &selected, &BTreeMap::new(), false, &BTreeMap::new()).unwrap();
        let rows = if delivery == Delivery::Rest { Representation::Api } else { Representation::Stored };
        let of =
            |name: &str| columns(plan.table(name).unwrap(), &snapshot, &snapshot, delivery, rows, preserve_created);
        (of("articles"), of("authors"))
    }

    #[test]
    fn over_rest_what_directus_stamps_is_left_out() {
        let (articles, authors) = articles_and_authors(Delivery::Rest, true);
        assert_eq!(articles.compared, vec!["id", "title", "author", "category", "cover", "date_created"]);
        assert_eq!(articles.notes("articles"), vec![format!("articles: date_updated not compared: {STAMPED}")]);
        assert!(authors.compared.contains(&"user_created".to_string()));
        let by_design: Vec<&str> = authors.nullable_by_design.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(by_design, vec!["user_created"], "references outside the selection");
        let by_design: Vec<&str> = articles.nullable_by_design.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(by_design, vec!["cover", "author"], "files, and the side of the cycle held back");
        let (articles, _) = articles_and_authors(Delivery::Rest, false);
        assert!(!articles.compared.contains(&"date_created".to_string()));
        assert!(articles.left_out[CREATED].contains(&"date_created".to_string()));
    }

    #[test]
    fn bulk_copies_compare_every_column_the_destination_has() {
        let (articles, _) = articles_and_authors(Delivery::Bulk, true);
        assert!(articles.compared.contains(&"date_updated".to_string()));
        assert!(articles.left_out.is_empty());
        let snapshot = publishing();
        let mut fewer = snapshot.clone();
        fewer.fields.retain(|f| !(f.collection == "articles" && f.field == "title"));
        let selected = ["articles"].iter().map(|s| s.to_string()).collect();
        let plan = plan::build(&snapshot, &selected, &BTreeMap::new(), false, &BTreeMap::new()).unwrap();
        let columns =
            columns(plan.table("articles").unwrap(), &snapshot, &fewer, Delivery::Bulk, Representation::Stored, true);
        assert!(!columns.compared.contains(&"title".to_string()));
        assert_eq!(columns.left_out[ABSENT], vec!["title"]);
    }
}
