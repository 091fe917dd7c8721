//! The pages of Directus' own collections that are not plain rows: every file (with its bytes,
//! through the files step), the settings row (merged field by field), and what follows a create
//! (a version's changes, the password hashes of new users).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::table::{Mover, PageOutcome};
use super::{target, Context};
use crate::destination::encode;
use crate::destination::sink::{null_missing, Mode, RowSink, Target};
use crate::host::{Host, KeysRequest};
use crate::pipeline::matching::rows_matching;
use crate::pipeline::schema::is_system;
use crate::pipeline::system::settings;
use crate::runs::progress::Event;
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, value_of, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

const USERS: Target = Target { collection: "directus_users", key: "id", singleton: false, keeps_key: true };

impl<H: Host, S: RowSink, T: Transport, C: Clock> Mover<'_, '_, H, S, T, C> {
    /// Rows the catalogue says must not move while a column is set (a share's password), each
    /// one reported with the reason.
    pub(super) fn withhold(&self, rows: Vec<Row>) -> (Vec<Row>, Vec<(Value, String)>) {
        let Some(rules) = self.table.system.map(|s| s.withheld_when_set).filter(|r| !r.is_empty()) else {
            return (rows, Vec::new());
        };
        let key = self.table.primary_key.as_str();
        let mut kept = Vec::with_capacity(rows.len());
        let mut withheld = Vec::new();
        for row in rows {
            match rules.iter().find(|(column, _)| row.get(*column).is_some_and(|v| !v.is_null())) {
                Some((_, why)) => withheld.push((value_of(&row, key), why.to_string())),
                None => kept.push(row),
            }
        }
        (kept, withheld)
    }

    /// Of `directus_access` rows, those that give a policy to a user the destination already had
    /// (by id or by e-mail) are never applied: that user keeps its own role, policies and access.
    /// Each one is reported as a warning; they count as skipped.
    pub(super) fn access_of_existing_users(&self, rows: Vec<Row>) -> (Vec<Row>, u64) {
        if self.table.collection != "directus_access" {
            return (rows, 0);
        }
        let keys = self.context.keys;
        let (applied, kept): (Vec<Row>, Vec<Row>) =
            rows.into_iter().partition(|row| !row.get("user").is_some_and(|user| keys.is_existing_user(user)));
        let text = |row: &Row, field: &str| row.get(field).map(key_text).unwrap_or_default();
        for row in &kept {
            self.context.recorder.warn(format!(
                "directus_access {}: not applied: the destination's user keeps its access (the source gives user {} the policy {})",
                text(row, "id"),
                text(row, "user"),
                text(row, "policy")
            ));
        }
        (applied, kept.len() as u64)
    }

    /// Of rows about an item (a comment, a share, a version), those whose item is not on the
    /// destination are not written: Directus would refuse them as if the token lacked access.
    /// Each one is reported.
    pub(super) async fn missing_items(&self, rows: Vec<Row>) -> Result<(Vec<Row>, Vec<(Value, String)>), CoreError> {
        let Some((collection_field, item_field)) = self.table.system.and_then(|s| s.item_reference) else {
            return Ok((rows, Vec::new()));
        };
        let key = self.table.primary_key.as_str();
        let text = |row: &Row, field: &str| row.get(field).filter(|v| !v.is_null()).map(key_text);
        let mut wanted: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for row in &rows {
            if let (Some(collection), Some(item)) = (text(row, collection_field), row.get(item_field)) {
                wanted.entry(collection).or_default().push(item.clone());
            }
        }
        let mut there: BTreeSet<(String, String)> = BTreeSet::new();
        for (collection, items) in wanted {
            let primary_key = match self.table.item_keys.get(&collection) {
                Some(field) => field.as_str(),
                None if is_system(&collection) => "id",
                None => continue,
            };
            for item in self.context.destination.existing_keys(&collection, primary_key, &items).await? {
                there.insert((collection.clone(), key_text(&item)));
            }
        }
        let (kept, missing): (Vec<Row>, Vec<Row>) =
            rows.into_iter().partition(|row| match (text(row, collection_field), text(row, item_field)) {
                (Some(collection), Some(item)) => there.contains(&(collection, item)),
                _ => false,
            });
        let refused = missing
            .into_iter()
            .map(|row| {
                let item = format!(
                    "{} {}",
                    text(&row, collection_field).unwrap_or_default(),
                    text(&row, item_field).unwrap_or_default()
                );
                (value_of(&row, key), format!("its item ({item}) is not on the destination"))
            })
            .collect();
        Ok((kept, refused))
    }

    /// `directus_files` in `excludedTables` mode: every file of the page, with its bytes and its
    /// folder, referenced by a row or not.
    pub(super) async fn move_every_file(&self, rows: Vec<Row>) -> Result<PageOutcome, CoreError> {
        let read = rows.len() as u64;
        let ids: Vec<Value> = rows.iter().filter_map(|r| r.get("id").cloned()).collect();
        let Some(files) = self.context.files else {
            return Ok(PageOutcome { read, skipped: read, ..PageOutcome::default() });
        };
        let ensured = files.ensure(ids).await?;
        Ok(PageOutcome {
            read,
            created: ensured.uploaded,
            skipped: ensured.there,
            failed_elsewhere: ensured.failed,
            ..PageOutcome::default()
        })
    }

    /// `directus_settings`: the source's row merged into the destination's, field by field;
    /// only the fields that differ are written, so a second run writes nothing.
    pub(super) async fn merge_settings(&self, rows: Vec<Row>) -> Result<PageOutcome, CoreError> {
        let Context { destination, known, keys, options: run, host, .. } = self.context;
        let table = self.table;
        let mut outcome = PageOutcome { read: rows.len() as u64, ..PageOutcome::default() };
        let mut rows = rows;
        keys.apply(&table.reference_pairs(), &mut rows);
        outcome.nulled = null_missing(destination, known, &table.checked, &mut rows).await?;
        let Some(mut source) = rows.into_iter().next() else { return Ok(outcome) };
        source.remove(&table.primary_key);
        let columns: Vec<&str> = source.keys().map(String::as_str).collect();
        let theirs: Row = destination.get(&format!("/settings?fields={}", encode(&columns.join(",")))).await?;
        let patch = settings::merge(&source, &theirs);
        if patch.is_empty() {
            outcome.skipped = 1;
            return Ok(outcome);
        }
        let fields: Vec<String> = patch.keys().cloned().collect();
        let verb = if run.dry_run { "would merge" } else { "merging" };
        host.emit(&Event::step(format!("{}: {verb} {}", table.collection, fields.join(", "))));
        if run.dry_run {
            outcome.updated = 1;
            return Ok(outcome);
        }
        let mut row = patch;
        row.insert(table.primary_key.clone(), json!(1));
        let written = self.context.sink_for(table).write(Mode::Update, target(table), &fields, vec![row]).await?;
        outcome.updated = written.keys.len() as u64;
        outcome.refused = written.refused;
        Ok(outcome)
    }

    /// What follows the create of Directus' own rows: a version's changes are saved into it, and
    /// with `scope.userPasswords` over the bulk receiver, new users get their password hashes.
    pub(super) async fn after_create(&self, created: &[&Row]) -> Result<(), CoreError> {
        if created.is_empty() {
            return Ok(());
        }
        match self.table.collection.as_str() {
            "directus_versions" => self.save_version_changes(created).await,
            "directus_users" => self.copy_passwords(created).await,
            _ => Ok(()),
        }
    }

    /// `POST /versions/:id/save` with each new version's `delta` (the versions endpoint takes no
    /// delta on create, and assigns the version's key: found again by its natural key).
    async fn save_version_changes(&self, created: &[&Row]) -> Result<(), CoreError> {
        let Context { destination, recorder, .. } = self.context;
        let natural = ["collection", "item", "key"];
        let with_changes: Vec<&Row> =
            created.iter().copied().filter(|v| v.get("delta").is_some_and(|d| !d.is_null())).collect();
        if with_changes.is_empty() {
            return Ok(());
        }
        let there = rows_matching(destination, "directus_versions", "id", &natural, &with_changes).await?;
        let id_of = |row: &Row| {
            there
                .iter()
                .find(|t| natural.iter().all(|c| t.get(*c).map(key_text) == row.get(*c).map(key_text)))
                .and_then(|t| t.get("id").cloned())
        };
        for version in with_changes {
            let (Some(id), Some(delta)) = (id_of(version), version.get("delta")) else { continue };
            let path = format!("/versions/{}/save", encode(&key_text(&id)));
            if let Err(error) = destination.post::<Value, Value>(&path, delta).await {
                if !error.is_about_rows() {
                    return Err(error.into());
                }
                recorder.warn(format!(
                    "directus_versions {}: its changes could not be saved: {}",
                    key_text(&id),
                    error.row_message()
                ));
            }
        }
        Ok(())
    }

    /// `scope.userPasswords`: the password hashes of the users this run created, read from the
    /// source's table as stored and written by the bulk receiver (the REST API hashes whatever it
    /// is given, so a hash cannot travel that way). Never for users that were already there.
    async fn copy_passwords(&self, created: &[&Row]) -> Result<(), CoreError> {
        let Context { host, sink, options, recorder, .. } = self.context;
        if !options.user_passwords || !sink.raw_rows() {
            return Ok(());
        }
        let request = KeysRequest {
            collection: USERS.collection.into(),
            primary_key: USERS.key.into(),
            keys: created.iter().filter_map(|u| u.get("id").cloned()).collect(),
            fields: vec!["id".into(), "password".into()],
            raw: true,
        };
        let hashes: Vec<Row> = host
            .read_by_keys(&request)
            .await?
            .into_iter()
            .filter(|u| u.get("password").is_some_and(|p| !p.is_null()))
            .collect();
        if hashes.is_empty() {
            return Ok(());
        }
        let columns = vec!["id".to_string(), "password".to_string()];
        let written = sink.write(Mode::Update, USERS, &columns, hashes).await?;
        for (user, message) in &written.refused {
            recorder.warn(format!("directus_users {}: password not copied: {message}", key_text(user)));
        }
        host.emit(&Event::step(format!(
            "directus_users: password hashes of {} new user(s) copied",
            written.keys.len()
        )));
        Ok(())
    }
}
