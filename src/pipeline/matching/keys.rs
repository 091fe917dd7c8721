//! The key map of a run, filled before any row moves (so every run maps the same keys):
//!
//! - **The administrator role and policy.** The destination's own — the role of the user whose
//!   token runs the migration, and the admin-access policy given to that role (or to that user)
//!   — take the place of the source's: the source role holding an admin-access policy with the
//!   same id, else the same name, else the first by id; likewise its admin-access policy. The
//!   destination's are never written.
//! - **Users by e-mail.** A source user whose id the destination lacks, but whose e-mail address
//!   the destination has (compared without regard to case, as Directus does), is that user there.
//! - **Users the destination has.** Those (by id or by e-mail) keep their own role, policies and
//!   access: the source's access rows for them are not applied.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::destination::{encode, Destination};
use crate::host::{Host, PageReader, PageRequest};
use crate::pipeline::system::KeyMap;
use crate::shared::http::Transport;
use crate::shared::rows::{key_text, value_of, Row};
use crate::shared::runtime::Clock;
use crate::CoreError;

const PAGE: u32 = 500;

/// A scan of a source table's `fields` in key order, a page at a time.
fn pages<'h, H: Host>(host: &'h H, collection: &str, fields: &[&str]) -> PageReader<'h, H> {
    PageReader::new(
        host,
        PageRequest {
            collection: collection.into(),
            primary_key: "id".into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            after: None,
            limit: PAGE,
            filter: None,
            raw: false,
            exact: vec![],
        },
    )
}

/// Every row of a source table (its `fields`), in key order: for the small access tables.
async fn scan<H: Host>(host: &H, collection: &str, fields: &[&str]) -> Result<Vec<Row>, CoreError> {
    let mut rows = Vec::new();
    let mut reader = pages(host, collection, fields);
    while let Some(page) = reader.next_page().await? {
        rows.extend(page);
    }
    Ok(rows)
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => s == "1" || s == "true",
        _ => false,
    }
}

fn text(row: &Row, field: &str) -> Option<String> {
    row.get(field).filter(|v| !v.is_null()).map(key_text)
}

/// Of `candidates` (`{id, name}` rows), the one matching `wanted` by id, else the first by id
/// of those with its name, else the first by id.
fn choose<'r>(candidates: &[&'r Row], wanted: &Row) -> Option<&'r Row> {
    let id = text(wanted, "id");
    let name = text(wanted, "name");
    candidates
        .iter()
        .find(|c| text(c, "id") == id)
        .or_else(|| {
            candidates.iter().filter(|c| name.is_some() && text(c, "name") == name).min_by_key(|c| text(c, "id"))
        })
        .or_else(|| candidates.iter().min_by_key(|c| text(c, "id")))
        .copied()
}

/// The destination's administrator: `(role {id, name}, policy {id, name})` of the token's user.
/// Of the admin-access policies it holds, the first by id of those the source does not have by
/// id (`ours`): a second admin policy an earlier run brought from the source is the source's
/// own, never what the source's administrator policy maps onto, so every run maps the same.
async fn destination_administrator<T: Transport, C: Clock>(
    destination: &Destination<T, C>,
    ours: &BTreeSet<String>,
) -> Result<(Option<Row>, Option<Row>), CoreError> {
    let me: Row = destination.get("/users/me?fields=id,role").await?;
    let user = value_of(&me, "id");
    let role = me.get("role").cloned().filter(|r| !r.is_null());
    let holders = match &role {
        Some(role) => json!({ "_or": [{ "role": { "_eq": role } }, { "user": { "_eq": user } }] }),
        None => json!({ "user": { "_eq": user } }),
    };
    let access: Vec<Row> =
        destination.get(&format!("/access?fields=policy&limit=1000&filter={}", encode(&holders.to_string()))).await?;
    let held: BTreeSet<String> = access.iter().filter_map(|a| text(a, "policy")).collect();
    let admin = json!({ "admin_access": { "_eq": true } }).to_string();
    let policies: Vec<Row> =
        destination.get(&format!("/policies?fields=id,name&limit=1000&filter={}", encode(&admin))).await?;
    let policy = policies
        .into_iter()
        .filter(|p| text(p, "id").is_some_and(|id| held.contains(&id) && !ours.contains(&id)))
        .min_by_key(|p| text(p, "id"));
    let role = match role {
        Some(role) => {
            let filter = json!({ "id": { "_eq": role } }).to_string();
            let roles: Vec<Row> = destination.get(&format!("/roles?fields=id,name&filter={}", encode(&filter))).await?;
            roles.into_iter().next()
        }
        None => None,
    };
    Ok((role, policy))
}

/// Map the source's administrator role and policy onto the destination's.
async fn administrator<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    map: &mut KeyMap,
) -> Result<(), CoreError> {
    let policies = scan(host, "directus_policies", &["id", "name", "admin_access"]).await?;
    let ours: BTreeSet<String> = policies.iter().filter_map(|p| text(p, "id")).collect();
    let (role, policy) = destination_administrator(destination, &ours).await?;
    let admin_policies: Vec<&Row> = policies.iter().filter(|p| truthy(p.get("admin_access"))).collect();
    if admin_policies.is_empty() {
        return Ok(());
    }
    let admin_ids: BTreeSet<String> = admin_policies.iter().filter_map(|p| text(p, "id")).collect();
    let access = scan(host, "directus_access", &["id", "role", "policy"]).await?;
    let linked: Vec<(String, String)> = access
        .iter()
        .filter_map(|a| Some((text(a, "role")?, text(a, "policy")?)))
        .filter(|(_, policy)| admin_ids.contains(policy))
        .collect();
    let roles = scan(host, "directus_roles", &["id", "name"]).await?;
    let admin_roles: Vec<&Row> =
        roles.iter().filter(|r| text(r, "id").is_some_and(|id| linked.iter().any(|(role, _)| *role == id))).collect();

    let mut source_role = None;
    if let Some(role) = &role {
        if let Some(chosen) = choose(&admin_roles, role) {
            // The destination's answer may lack the key: then there is nothing to map it to.
            if let (Some(ours), Some(theirs)) = (chosen.get("id"), role.get("id")) {
                map.insert("directus_roles", ours.clone(), theirs.clone(), "administrator role");
            }
            source_role = text(chosen, "id");
        }
    }
    if let Some(policy) = &policy {
        // The admin-access policies of the source's administrator role, else all of them.
        let of_role: Vec<&Row> = admin_policies
            .iter()
            .copied()
            .filter(|p| {
                linked.iter().any(|(r, pid)| Some(r) == source_role.as_ref() && text(p, "id").as_ref() == Some(pid))
            })
            .collect();
        let candidates = if of_role.is_empty() { admin_policies.clone() } else { of_role };
        if let Some((ours, theirs)) = choose(&candidates, policy).and_then(|c| c.get("id")).zip(policy.get("id")) {
            map.insert("directus_policies", ours.clone(), theirs.clone(), "administrator policy");
        }
    }
    Ok(())
}

/// Note the source users the destination has by id, and (`by_email`: when users move) map those
/// it lacks by id but has by e-mail.
async fn users_by_email<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    map: &mut KeyMap,
    by_email: bool,
) -> Result<(), CoreError> {
    let mut reader = pages(host, "directus_users", &["id", "email"]);
    while let Some(rows) = reader.next_page().await? {
        let ids: Vec<Value> = rows.iter().filter_map(|u| u.get("id").cloned()).collect();
        let there: BTreeSet<String> =
            destination.existing_keys("directus_users", "id", &ids).await?.iter().map(key_text).collect();
        for user in rows.iter().filter_map(|u| u.get("id")).filter(|id| there.contains(&key_text(id))) {
            map.keep_user(user);
        }
        let lacking: BTreeMap<String, Value> = rows
            .iter()
            .filter(|u| text(u, "id").is_some_and(|id| !there.contains(&id)))
            .filter_map(|u| Some((text(u, "email")?.to_lowercase(), u.get("id")?.clone())))
            .collect();
        if by_email && !lacking.is_empty() {
            // Addresses as the source spells them and in lower case: Directus compares them so.
            let mut spellings: Vec<Value> = rows
                .iter()
                .filter_map(|u| text(u, "email"))
                .filter(|e| lacking.contains_key(&e.to_lowercase()))
                .flat_map(|e| [e.to_lowercase(), e])
                .map(Value::String)
                .collect();
            spellings.sort_by_key(key_text);
            spellings.dedup();
            for chunk in spellings.chunks(100) {
                let filter = json!({ "email": { "_in": chunk } }).to_string();
                let path = format!("/users?fields=id,email&limit={}&filter={}", chunk.len() * 2, encode(&filter));
                let found: Vec<Row> = destination.get(&path).await?;
                for user in found {
                    let (Some(email), Some(id)) = (text(&user, "email"), user.get("id")) else { continue };
                    if let Some(source) = lacking.get(&email.to_lowercase()) {
                        map.keep_user(source);
                        map.insert("directus_users", source.clone(), id.clone(), format!("same e-mail ({email})"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The key map of a run that moves `collections`: the administrator's role and policy when
/// roles or policies move, users by e-mail (and the users the destination has) when users or
/// access rows do.
pub async fn key_map<H: Host, T: Transport, C: Clock>(
    host: &H,
    destination: &Destination<T, C>,
    collections: &BTreeSet<&str>,
) -> Result<KeyMap, CoreError> {
    let mut map = KeyMap::default();
    if collections.contains("directus_roles") || collections.contains("directus_policies") {
        administrator(host, destination, &mut map).await?;
    }
    let users = collections.contains("directus_users");
    if users || collections.contains("directus_access") {
        users_by_email(host, destination, &mut map, users).await?;
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::row;

    #[test]
    fn the_source_administrator_is_the_same_id_else_the_same_name_else_the_first() {
        let a = row(json!({ "id": "r-b", "name": "Administrator" }));
        let b = row(json!({ "id": "r-a", "name": "Admins" }));
        let candidates = [&a, &b];
        let same_id = row(json!({ "id": "r-a", "name": "Administrator" }));
        assert_eq!(choose(&candidates, &same_id).unwrap()["id"], json!("r-a"), "the same id first");
        let same_name = row(json!({ "id": "r-dest", "name": "Administrator" }));
        assert_eq!(choose(&candidates, &same_name).unwrap()["id"], json!("r-b"), "then the same name");
        let neither = row(json!({ "id": "r-dest", "name": "Root" }));
        assert_eq!(choose(&candidates, &neither).unwrap()["id"], json!("r-a"), "then the first by id");
        assert!(choose(&[], &neither).is_none());
    }

    #[test]
    fn admin_access_as_the_api_or_the_database_gives_it() {
        for yes in [json!(true), json!(1), json!("1"), json!("true")] {
            assert!(truthy(Some(&yes)), "{yes}");
        }
        for no in [json!(false), json!(0), json!(null)] {
            assert!(!truthy(Some(&no)), "{no}");
        }
        assert!(!truthy(None));
    }
}
