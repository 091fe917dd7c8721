//! Directus' own collections in `excludedTables` mode: order (roles before their users, flows
//! before their operations, users before the files they uploaded), the key map (the
//! administrator's role and policy, users by e-mail) applied to system rows and user rows,
//! natural keys for integer-keyed rows, secrets left behind, the settings merge, re-runs and
//! dry runs.

use serde_json::{json, Value};

use super::*;
use crate::runs::progress::Event;
use crate::runs::report::{Delivery, RunStatus};

const PUBLIC: &str = "abf8a154-5b1c-4a46-ac9c-7300570f4f17";
const SYSTEM: [&str; 17] = [
    "directus_roles",
    "directus_policies",
    "directus_access",
    "directus_permissions",
    "directus_users",
    "directus_folders",
    "directus_files",
    "directus_comments",
    "directus_presets",
    "directus_translations",
    "directus_dashboards",
    "directus_panels",
    "directus_flows",
    "directus_operations",
    "directus_shares",
    "directus_versions",
    "directus_settings",
];

/// The publishing sample with a whole project around it: nested roles (the child's key sorts
/// first), an administrator whose ids differ from the destination's, a user the destination has
/// by e-mail, secrets, a flow whose operations chain, settings.
fn project() -> MemoryHost {
    let mut host = source();
    let mut t = |name: &str, rows: Value| {
        host.tables.insert(name.into(), table(rows));
    };
    t(
        "directus_roles",
        json!([
            { "id": "r-admin-src", "name": "Administrator", "icon": "verified", "description": null, "parent": null },
            { "id": "r-contrib", "name": "Contributors", "icon": "edit", "description": null, "parent": "r-editors" },
            { "id": "r-editors", "name": "Editors", "icon": "group", "description": null, "parent": null }
        ]),
    );
    t(
        "directus_policies",
        json!([
            { "id": PUBLIC, "name": "$t:public_label", "app_access": false, "admin_access": false },
            { "id": "p-admin-src", "name": "Administrator", "app_access": true, "admin_access": true },
            { "id": "p-editors", "name": "Editors", "app_access": true, "admin_access": false }
        ]),
    );
    t(
        "directus_access",
        json!([
            { "id": "a-admin", "role": "r-admin-src", "user": null, "policy": "p-admin-src", "sort": null },
            { "id": "a-bot", "role": null, "user": "u-bot", "policy": "p-editors", "sort": 1 },
            { "id": "a-editors", "role": "r-editors", "user": null, "policy": "p-editors", "sort": 1 },
            { "id": "a-public", "role": null, "user": null, "policy": PUBLIC, "sort": 1 }
        ]),
    );
    t(
        "directus_permissions",
        json!([
            { "id": 1, "policy": "p-editors", "collection": "articles", "action": "read", "fields": ["id", "title"], "permissions": { "title": { "_nnull": true } }, "validation": null, "presets": null },
            { "id": 2, "policy": PUBLIC, "collection": "articles", "action": "read", "fields": ["*"], "permissions": null, "validation": null, "presets": null },
            { "id": 3, "policy": "p-editors", "collection": "articles", "action": "create", "fields": ["*"], "permissions": null, "validation": null, "presets": null }
        ]),
    );
    let user = |id: &str, email: Option<&str>, role: Option<&str>, avatar: Option<&str>| {
        json!({ "id": id, "email": email, "first_name": id, "role": role, "avatar": avatar, "status": "active",
                "password": "$argon2id$v=19$m=65536,t=3,p=4$secret-hash", "token": format!("{id}-static-token"),
                "tfa_secret": "JBSWY3DPEHPK3PXP", "auth_data": "{\"refresh\":\"x\"}", "last_access": "2025-01-01T00:00:00.000Z",
                "provider": "default", "external_identifier": null })
    };
    t(
        "directus_users",
        json!([
            user("u-admin-src", Some("admin@source.example"), Some("r-admin-src"), None),
            user("u-bot", None, None, None),
            user("u-editor", Some("editor@example.com"), Some("r-editors"), Some("f-avatar")),
            user("u-mail", Some("Shared@Example.com"), Some("r-contrib"), None),
        ]),
    );
    let files = host.tables.get_mut("directus_files").unwrap();
    files.retain(|f| !["f-bad-size", "f-unreadable"].contains(&f["id"].as_str().unwrap()));
    files.push(
        json!({ "id": "f-avatar", "filename_download": "avatar.png", "title": "Avatar", "type": "image/png", "filesize": 10,
                "folder": "fo-child", "storage": "local", "filename_disk": "f-avatar.png", "uploaded_by": "u-mail",
                "uploaded_on": "2024-05-01T10:00:00.000Z" })
        .as_object()
        .unwrap()
        .clone(),
    );
    for file in files.iter_mut() {
        file.insert("uploaded_by".into(), json!("u-mail"));
    }
    let mut t = |name: &str, rows: Value| {
        host.tables.insert(name.into(), table(rows));
    };
    t(
        "directus_flows",
        json!([{ "id": "fl-1", "name": "Create", "status": "active", "trigger": "webhook", "accountability": "all",
                 "options": { "method": "POST" }, "operation": "op-1", "date_created": "2024-01-01T00:00:00.000Z", "user_created": "u-mail" }]),
    );
    t(
        "directus_operations",
        json!([
            { "id": "op-1", "flow": "fl-1", "key": "check", "type": "condition", "resolve": "op-2", "reject": "op-3", "options": {}, "user_created": "u-mail" },
            { "id": "op-2", "flow": "fl-1", "key": "create", "type": "item-create", "resolve": null, "reject": null, "options": {}, "user_created": "u-mail" },
            { "id": "op-3", "flow": "fl-1", "key": "log", "type": "log", "resolve": null, "reject": null, "options": {}, "user_created": null }
        ]),
    );
    t(
        "directus_dashboards",
        json!([{ "id": "d-1", "name": "Overview", "icon": "dashboard", "user_created": "u-mail" }]),
    );
    t(
        "directus_panels",
        json!([
            { "id": "pa-1", "dashboard": "d-1", "type": "label", "width": 6, "height": 4, "options": { "text": "Hi" }, "user_created": "u-editor" },
            { "id": "pa-2", "dashboard": "d-1", "type": "metric", "width": 6, "height": 4, "options": {}, "user_created": "u-mail" }
        ]),
    );
    t(
        "directus_presets",
        json!([
            { "id": 1, "bookmark": "Mine", "user": "u-mail", "role": null, "collection": "articles", "layout": "tabular", "layout_query": { "tabular": { "sort": ["title"] } } },
            { "id": 2, "bookmark": null, "user": null, "role": "r-editors", "collection": "articles", "layout": "cards", "layout_query": null }
        ]),
    );
    t("directus_translations", json!([{ "id": "t-1", "language": "en-US", "key": "hello", "value": "Hello" }]));
    t(
        "directus_comments",
        json!([{ "id": "c-1", "collection": "articles", "item": "1", "comment": "Nice", "date_created": "2024-02-02T00:00:00.000Z",
                 "user_created": "u-mail", "date_updated": null, "user_updated": null }]),
    );
    t(
        "directus_shares",
        json!([
            { "id": "s-open", "name": "Open", "collection": "articles", "item": "1", "role": "r-editors", "password": null, "times_used": 2 },
            { "id": "s-locked", "name": "Locked", "collection": "articles", "item": "2", "role": "r-editors", "password": "**********", "times_used": 0 }
        ]),
    );
    t(
        "directus_versions",
        json!([{ "id": "v-src", "key": "draft", "name": "Draft", "collection": "articles", "item": "1", "hash": "abc",
                 "delta": { "title": "One, revised" }, "user_created": "u-mail" }]),
    );
    t(
        "directus_settings",
        json!([{ "id": 1, "project_name": "Source", "project_color": "#112233", "project_id": "src-project", "module_bar": [{ "id": "content" }],
                 "mapbox_key": "pk.source", "public_registration_role": "r-contrib", "project_logo": "f-avatar", "default_language": "en-US" }]),
    );
    // The authors the shared user created on the source.
    for author in host.tables.get_mut("authors").unwrap() {
        author.insert("user_created".into(), json!("u-mail"));
    }
    host
}

/// A destination bootstrapped on its own: its administrator (role, policy, user) under other
/// ids, the public policy (same id everywhere) and its access row, a public permission the
/// source has too, a user with the shared user's address, its own settings.
fn fresh_destination() -> FakeDirectus {
    let system = [
        ("directus_roles", "id"),
        ("directus_policies", "id"),
        ("directus_access", "id"),
        ("directus_permissions", "id"),
        ("directus_comments", "id"),
        ("directus_presets", "id"),
        ("directus_translations", "id"),
        ("directus_dashboards", "id"),
        ("directus_panels", "id"),
        ("directus_flows", "id"),
        ("directus_operations", "id"),
        ("directus_shares", "id"),
        ("directus_versions", "id"),
        ("directus_settings", "id"),
    ];
    let mut fake = destination();
    fake = fake
        .with_collections(&system)
        .singleton("directus_settings")
        .foreign_key("directus_roles", "parent", "directus_roles")
        .foreign_key("directus_access", "role", "directus_roles")
        .foreign_key("directus_access", "user", "directus_users")
        .foreign_key("directus_access", "policy", "directus_policies")
        .foreign_key("directus_permissions", "policy", "directus_policies")
        .foreign_key("directus_users", "role", "directus_roles")
        .foreign_key("directus_users", "avatar", "directus_files")
        .foreign_key("directus_presets", "user", "directus_users")
        .foreign_key("directus_presets", "role", "directus_roles")
        .foreign_key("directus_panels", "dashboard", "directus_dashboards")
        .foreign_key("directus_flows", "operation", "directus_operations")
        .foreign_key("directus_operations", "flow", "directus_flows")
        .foreign_key("directus_operations", "resolve", "directus_operations")
        .foreign_key("directus_operations", "reject", "directus_operations")
        .foreign_key("directus_comments", "user_created", "directus_users")
        .foreign_key("directus_settings", "public_registration_role", "directus_roles")
        .me(json!({ "id": "u-dest-admin", "role": "r-dest-admin" }));
    fake.insert("directus_roles", json!([{ "id": "r-dest-admin", "name": "Administrator", "parent": null }]));
    fake.insert(
        "directus_policies",
        json!([
            { "id": PUBLIC, "name": "$t:public_label", "app_access": false, "admin_access": false },
            { "id": "p-dest-admin", "name": "Administrator", "app_access": true, "admin_access": true }
        ]),
    );
    fake.insert(
        "directus_access",
        json!([
            { "id": "a-dest-admin", "role": "r-dest-admin", "user": null, "policy": "p-dest-admin" },
            { "id": "a-dest-public", "role": null, "user": null, "policy": PUBLIC }
        ]),
    );
    fake.insert(
        "directus_permissions",
        json!([{ "id": 7, "policy": PUBLIC, "collection": "articles", "action": "read", "fields": ["*"] }]),
    );
    fake.insert(
        "directus_users",
        json!([
            { "id": "u-dest-admin", "email": "admin@dest.example", "role": "r-dest-admin" },
            { "id": "u-shared-dest", "email": "shared@example.com", "role": null }
        ]),
    );
    fake.insert(
        "directus_settings",
        json!([{ "id": 1, "project_name": "Destination", "project_color": "#112233", "project_id": "dest-project",
                 "module_bar": null, "mapbox_key": "pk.dest", "public_registration_role": null, "project_logo": null,
                 "default_language": "en-US" }]),
    );
    fake
}

fn everything() -> MigrateOptions {
    options(json!({ "excludedTables": [], "batchSize": 2 }))
}

fn by_id(rows: Vec<Row>) -> BTreeMap<String, Row> {
    rows.into_iter().map(|r| (crate::shared::rows::key_text(&r["id"]), r)).collect()
}

#[test]
fn a_whole_project_arrives_mapped_onto_the_destinations_administrator_and_users() {
    let (host, fake) = pair_with_host(project(), fresh_destination());
    let report = run(&host, &fake, &everything()).unwrap();
    // The one failure: a share protected by a password cannot arrive protected.
    assert_eq!(report.status, RunStatus::CompletedWithErrors, "{:?} {:?}", report.failures, report.error);
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!(
        (report.failures[0].collection.as_str(), report.failures[0].key.clone()),
        ("directus_shares", json!("s-locked"))
    );
    assert!(report.failures[0].message.contains("password"));

    // The key map, in the report.
    let mappings: Vec<(String, String, String)> = report
        .mappings
        .iter()
        .map(|m| {
            (
                m.collection.clone(),
                crate::shared::rows::key_text(&m.source),
                crate::shared::rows::key_text(&m.destination),
            )
        })
        .collect();
    assert_eq!(
        mappings,
        vec![
            ("directus_roles".into(), "r-admin-src".into(), "r-dest-admin".into()),
            ("directus_policies".into(), "p-admin-src".into(), "p-dest-admin".into()),
            ("directus_users".into(), "u-mail".into(), "u-shared-dest".into()),
        ]
    );
    assert_eq!(report.mappings[2].reason, "same e-mail (shared@example.com)");

    // Roles: the administrator's is the destination's own, untouched; the nested role got its parent.
    let roles = by_id(fake.rows("directus_roles"));
    assert_eq!(roles.keys().collect::<Vec<_>>(), vec!["r-contrib", "r-dest-admin", "r-editors"]);
    assert_eq!(roles["r-contrib"]["parent"], json!("r-editors"));
    assert_eq!(roles["r-dest-admin"]["name"], json!("Administrator"));
    let policies = by_id(fake.rows("directus_policies"));
    assert_eq!(policies.keys().collect::<Vec<_>>(), vec![PUBLIC, "p-dest-admin", "p-editors"]);

    // Access: the administrator's link and the public one exist already (by role, user and
    // policy); the others arrive with their ids.
    let access = by_id(fake.rows("directus_access"));
    assert_eq!(access.keys().collect::<Vec<_>>(), vec!["a-bot", "a-dest-admin", "a-dest-public", "a-editors"]);

    // Permissions: the destination assigns ids; the public one was there (natural key).
    let permissions = fake.rows("directus_permissions");
    assert_eq!(permissions.len(), 3);
    let editors: Vec<&Row> = permissions.iter().filter(|p| p["policy"] == json!("p-editors")).collect();
    assert_eq!(editors.len(), 2);
    assert!(editors.iter().all(|p| p["id"].as_u64().unwrap() >= 1000), "ids assigned by the destination");
    assert_eq!(editors.iter().find(|p| p["action"] == json!("read")).unwrap()["fields"], json!(["id", "title"]));

    // Users: no secret travels; the administrator arrives in the destination's administrator
    // role; the shared user is the destination's own, untouched; avatars are set once files exist.
    let users = by_id(fake.rows("directus_users"));
    let ids: Vec<&str> = users.keys().map(String::as_str).collect();
    // The destination's own, and the source's but the one it has by e-mail.
    assert_eq!(
        ids,
        vec!["migrating-admin", "u-admin-src", "u-bot", "u-dest-admin", "u-editor", "u-shared", "u-shared-dest"]
    );
    for user in ["u-admin-src", "u-bot", "u-editor"] {
        for secret in ["password", "token", "tfa_secret", "auth_data", "last_access"] {
            assert!(!users[user].contains_key(secret), "{user}.{secret} must not arrive");
        }
    }
    assert_eq!(users["u-admin-src"]["role"], json!("r-dest-admin"));
    assert!(!users["u-bot"].contains_key("email"), "a null e-mail is left out: Directus validates it when present");
    assert_eq!(users["u-editor"]["avatar"], json!("f-avatar"));
    assert_eq!(users["u-shared-dest"]["role"], Value::Null, "never overwritten");
    assert!(report.notes.iter().any(|n| n.starts_with("directus_users.password is not migrated")));

    // Every file, referenced or not, with its folder; uploaders mapped.
    let files = by_id(fake.rows("directus_files"));
    for file in ["f-avatar", "f-unused", "f-photo", "f-doc", "f-big"] {
        assert!(files.contains_key(file), "{file}");
        assert_eq!(files[file]["uploaded_by"], json!("u-shared-dest"), "{file}");
    }
    assert_eq!(by_id(fake.rows("directus_folders")).len(), 2);

    // The flow's chain: the flow's first operation and each operation's next ones.
    assert_eq!(by_id(fake.rows("directus_flows"))["fl-1"]["operation"], json!("op-1"));
    let operations = by_id(fake.rows("directus_operations"));
    assert_eq!(
        (operations["op-1"]["resolve"].clone(), operations["op-1"]["reject"].clone()),
        (json!("op-2"), json!("op-3"))
    );

    // References to the shared user point at the destination's, in system rows and user rows.
    assert_eq!(by_id(fake.rows("directus_comments"))["c-1"]["user_created"], json!("u-shared-dest"));
    assert_eq!(by_id(fake.rows("directus_panels"))["pa-2"]["user_created"], json!("u-shared-dest"));
    assert!(fake.rows("authors").iter().all(|a| a["user_created"] == json!("u-shared-dest")));
    let presets = fake.rows("directus_presets");
    assert_eq!(presets.len(), 2);
    assert!(presets.iter().any(|p| p["user"] == json!("u-shared-dest") && p["bookmark"] == json!("Mine")));

    // The version, with its changes saved into it.
    let versions = fake.rows("directus_versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["delta"], json!({ "title": "One, revised" }));
    assert_ne!(versions[0]["id"], json!("v-src"));

    // Settings: merged, the destination's own left.
    let settings = &fake.rows("directus_settings")[0];
    assert_eq!(settings["project_name"], json!("Source"));
    assert_eq!(settings["public_registration_role"], json!("r-contrib"));
    assert_eq!(settings["project_logo"], json!("f-avatar"));
    assert_eq!(
        (settings["project_id"].clone(), settings["mapbox_key"].clone()),
        (json!("dest-project"), json!("pk.dest"))
    );
    assert_eq!(settings["module_bar"], Value::Null);
    let settings_report = report.tables.iter().find(|t| t.collection == "directus_settings").unwrap();
    assert_eq!((settings_report.updated, settings_report.created), (1, 0));

    let table = |name: &str| report.tables.iter().find(|t| t.collection == name).unwrap().clone();
    assert_eq!((table("directus_roles").created, table("directus_roles").mapped), (2, 1));
    assert_eq!((table("directus_users").created, table("directus_users").mapped), (3, 1));
    assert_eq!((table("directus_access").created, table("directus_access").skipped), (2, 2));
    assert_eq!((table("directus_permissions").created, table("directus_permissions").skipped), (2, 1));
    assert_eq!(table("directus_files").created, 5);
    let order: Vec<&str> = report.tables.iter().map(|t| t.collection.as_str()).collect();
    let at = |name: &str| order.iter().position(|c| *c == name).unwrap();
    assert!(at("directus_roles") < at("directus_users") && at("directus_users") < at("directus_files"));
    assert!(at("directus_flows") < at("directus_operations") && at("directus_files") < at("articles"));
    assert!(at("directus_policies") < at("directus_permissions") && at("directus_users") < at("authors"));

    // A second run creates nothing and writes nothing.
    let writes = fake.writes().len();
    let again = run(&host, &fake, &everything()).unwrap();
    assert!(again.tables.iter().all(|t| t.created == 0 && t.updated == 0), "{:?}", again.tables);
    assert_eq!(fake.writes().len(), writes, "{:?}", &fake.writes()[writes..]);
    assert_eq!(again.mappings, report.mappings, "the same mappings on every run");
}

#[test]
fn a_dry_run_reports_every_system_collection_and_writes_nothing() {
    let (host, fake) = pair_with_host(project(), fresh_destination());
    let mut options = everything();
    options.dry_run = true;
    let report = run(&host, &fake, &options).unwrap();
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    for name in SYSTEM {
        assert!(report.tables.iter().any(|t| t.collection == name), "{name}");
    }
    let table = |name: &str| report.tables.iter().find(|t| t.collection == name).unwrap().clone();
    assert_eq!((table("directus_roles").created, table("directus_roles").mapped), (2, 1));
    assert_eq!((table("directus_permissions").created, table("directus_permissions").skipped), (2, 1));
    assert_eq!(table("directus_settings").updated, 1);
    assert_eq!(report.mappings.len(), 3);
    let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
    assert!(lines.iter().any(|l| l.starts_with("Mapping: directus_users u-mail is u-shared-dest on the destination")));
    assert!(lines.iter().any(|l| l.starts_with("directus_settings: would merge ")), "{lines:?}");
}

#[test]
fn listed_system_collections_stay_and_selected_tables_never_bring_them() {
    let (host, fake) = pair_with_host(project(), fresh_destination());
    let report =
        run(&host, &fake, &options(json!({ "excludedTables": ["directus_users", "directus_activity"] }))).unwrap();
    assert!(!report.tables.iter().any(|t| t.collection == "directus_users"));
    assert!(report.tables.iter().any(|t| t.collection == "directus_roles"));
    assert!(!report.mappings.iter().any(|m| m.collection == "directus_users"), "no user moves: none is mapped");
    assert_eq!(by_id(fake.rows("directus_users")).len(), 4, "the destination's own users, nobody else");
    // Access rows of a user the destination lacks are refused, never nulled into public ones.
    let access = by_id(fake.rows("directus_access"));
    assert!(!access.contains_key("a-bot"));
    assert!(report.failures.iter().any(|f| f.collection == "directus_access" && f.key == json!("a-bot")));

    let (host, fake) = pair_with_host(project(), fresh_destination());
    let report = run(&host, &fake, &options(json!({ "selectedTables": ["tags"] }))).unwrap();
    assert_eq!(report.tables.len(), 1);
    assert!(fake.rows("directus_roles").len() == 1 && report.mappings.is_empty());
}

#[test]
fn user_passwords_travel_only_over_the_bulk_receiver_and_only_for_new_users() {
    let (host, fake) = pair_with_host(project(), fresh_destination());
    let report =
        run(&host, &fake, &options(json!({ "excludedTables": [], "userPasswords": true, "transport": "rest" })))
            .unwrap();
    assert!(report
        .warnings
        .iter()
        .any(|w| w.starts_with("scope.userPasswords: password hashes cannot be set over the REST API")));
    assert!(fake.rows("directus_users").iter().all(|u| !u.contains_key("password")));

    let mut store = super::bulk::receiving_store();
    store.describe("directus_users", "id", &[("id", "uuid"), ("password", "hash"), ("email", "string")]);
    // The users the REST API creates land in the same database the receiver writes to.
    let ids = ["u-admin-src", "u-bot", "u-editor", "u-mail"];
    store.tables.borrow_mut().insert(
        "directus_users".into(),
        ids.iter().map(|id| json!({ "id": id }).as_object().unwrap().clone()).collect(),
    );
    let (host, fake) = pair_with_host(project(), fresh_destination().with_receiver(store));
    let report = run(&host, &fake, &options(json!({ "excludedTables": [], "userPasswords": true }))).unwrap();
    assert_eq!(report.transport, Delivery::Bulk);
    assert!(report.warnings.iter().all(|w| !w.contains("userPasswords")), "{:?}", report.warnings);
    let hashed: Vec<Row> =
        fake.store().rows("directus_users").into_iter().filter(|u| u.contains_key("password")).collect();
    let ids: Vec<String> = hashed.iter().map(|u| crate::shared::rows::key_text(&u["id"])).collect();
    assert_eq!(ids, vec!["u-admin-src", "u-bot", "u-editor"], "created users only: never the shared one");
    assert!(hashed.iter().all(|u| u["password"] == json!("$argon2id$v=19$m=65536,t=3,p=4$secret-hash")));
    assert!(hashed.iter().all(|u| u.keys().all(|k| k == "id" || k == "password")), "nothing but the hash");
    let lines: Vec<String> = host.events.borrow().iter().map(Event::message).collect();
    assert!(lines.iter().any(|l| l == "directus_users: password hashes of 3 new user(s) copied"));
}

#[test]
fn the_settings_merge_and_the_source_admin_are_the_same_on_every_run() {
    let (host, fake) = pair_with_host(project(), fresh_destination());
    let first = run(&host, &fake, &options(json!({ "excludedTables": [] }))).unwrap();
    fake.insert("directus_settings", json!([{ "id": 1, "project_name": "Changed on the destination" }]));
    let again = run(&host, &fake, &options(json!({ "excludedTables": [] }))).unwrap();
    assert_eq!(first.mappings, again.mappings);
    let settings = again.tables.iter().find(|t| t.collection == "directus_settings").unwrap();
    assert_eq!(settings.updated, 1, "the source's values are merged again");
    assert_eq!(fake.rows("directus_settings")[0]["project_name"], json!("Source"));
}

#[test]
fn a_comment_about_an_item_the_destination_lacks_is_reported_not_sent() {
    let mut host = project();
    host.tables.get_mut("directus_comments").unwrap().push(
        json!({ "id": "c-gone", "collection": "articles", "item": "999", "comment": "About a deleted article" })
            .as_object()
            .unwrap()
            .clone(),
    );
    let (host, fake) = pair_with_host(host, fresh_destination());
    let report = run(&host, &fake, &everything()).unwrap();
    let failure = report.failures.iter().find(|f| f.key == json!("c-gone")).unwrap();
    assert_eq!(failure.message, "its item (articles 999) is not on the destination");
    assert!(!fake.writes().iter().any(|w| w.contains("c-gone")));
    assert_eq!(by_id(fake.rows("directus_comments")).len(), 1);
    let order: Vec<&str> = report.tables.iter().map(|t| t.collection.as_str()).collect();
    let at = |name: &str| order.iter().position(|c| *c == name).unwrap();
    assert!(order.iter().filter(|c| !c.starts_with("directus_")).all(|c| at(c) < at("directus_comments")));
}

#[test]
fn what_the_destinations_licence_refuses_is_reported_per_row_and_the_run_goes_on() {
    let unlicensed = fresh_destination().restricted(|collection, row| {
        let custom = row.get("fields") != Some(&json!(["*"])) || row.get("permissions").is_some_and(|p| !p.is_null());
        (collection == "directus_permissions" && custom)
            .then(|| "custom_permission_rules_enabled is a restricted resource.".to_string())
    });
    let (host, fake) = pair_with_host(project(), unlicensed);
    let report = run(&host, &fake, &everything()).unwrap();
    let refused: Vec<_> = report.failures.iter().filter(|f| f.collection == "directus_permissions").collect();
    assert_eq!(refused.len(), 1, "{:?}", report.failures);
    assert_eq!(refused[0].key, json!(1), "reported by the source's key");
    assert_eq!(refused[0].message, "custom_permission_rules_enabled is a restricted resource. (RESOURCE_RESTRICTED)");
    assert_eq!(fake.rows("directus_permissions").len(), 2, "the other one arrived; the public one was there");
    assert!(report
        .warnings
        .iter()
        .any(|w| w.starts_with("the destination's licence refused 1 row(s) (directus_permissions)")));
    assert!(report.tables.iter().any(|t| t.collection == "articles" && t.created == 5), "the run went on");
}

#[test]
fn a_user_the_destination_already_has_is_never_written_not_even_repaired() {
    let destination = fresh_destination();
    destination.insert(
        "directus_users",
        json!([{ "id": "u-editor", "email": "editor@example.com", "avatar": null, "role": null }]),
    );
    let (host, fake) = pair_with_host(project(), destination);
    let report = run(&host, &fake, &everything()).unwrap();
    let editor = by_id(fake.rows("directus_users")).remove("u-editor").unwrap();
    assert_eq!((editor["avatar"].clone(), editor["role"].clone()), (Value::Null, Value::Null));
    let users = report.tables.iter().find(|t| t.collection == "directus_users").unwrap();
    assert_eq!((users.skipped, users.repaired), (1, 0));
    assert!(!fake.writes().iter().any(|w| w == "PATCH /users"), "{:?}", fake.writes());
}

/// The project, whose source gives its user with the shared address a direct link to the
/// administrator policy, and the editor (whom the destination has under the same id) one to the
/// editors'.
fn project_with_user_access() -> (MemoryHost, std::rc::Rc<FakeDirectus>) {
    let mut source = project();
    if let Some(access) = source.tables.get_mut("directus_access") {
        for (id, user, policy) in USER_ACCESS {
            let row = json!({ "id": id, "role": null, "user": user, "policy": policy, "sort": 1 });
            access.extend(row.as_object().cloned());
        }
    }
    let destination = fresh_destination();
    destination.insert("directus_users", json!([{ "id": "u-editor", "email": "editor@example.com", "role": null }]));
    pair_with_host(source, destination)
}

const USER_ACCESS: [(&str, &str, &str); 2] =
    [("a-mail-admin", "u-mail", "p-admin-src"), ("a-editor", "u-editor", "p-editors")];

#[test]
fn access_never_follows_an_email_or_an_id_onto_a_user_the_destination_has() {
    let (host, fake) = project_with_user_access();
    let report = run(&host, &fake, &everything()).unwrap();

    let access = by_id(fake.rows("directus_access"));
    let users_with_access: Vec<String> = access
        .values()
        .filter_map(|a| a.get("user").filter(|u| !u.is_null()).map(crate::shared::rows::key_text))
        .collect();
    assert_eq!(users_with_access, vec!["u-bot"], "only the user this run created got its access: {access:?}");
    let users = by_id(fake.rows("directus_users"));
    assert_eq!(users["u-shared-dest"]["role"], Value::Null, "the matched user keeps its own role");
    for (id, user, policy) in USER_ACCESS {
        let expected = format!(
            "directus_access {id}: not applied: the destination's user keeps its access (the source gives user {user} the policy {policy})"
        );
        assert!(report.warnings.contains(&expected), "{expected} in {:?}", report.warnings);
    }
    let table = report.tables.iter().find(|t| t.collection == "directus_access").unwrap();
    assert_eq!((table.created, table.failed), (2, 0), "a-bot and a-editors; the two not applied are skipped");
    assert_eq!(report.failures.len(), 1, "only the locked share: {:?}", report.failures);

    // A second run applies them no more, and says so again.
    let again = run(&host, &fake, &everything()).unwrap();
    assert_eq!(by_id(fake.rows("directus_access")).len(), access.len());
    assert!(
        again.warnings.iter().any(|w| w.starts_with("directus_access a-editor: not applied")),
        "{:?}",
        again.warnings
    );
}

#[test]
fn a_dry_run_says_which_access_it_would_not_apply() {
    let (host, fake) = project_with_user_access();
    let mut options = everything();
    options.dry_run = true;
    let report = run(&host, &fake, &options).unwrap();
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    for (id, _, _) in USER_ACCESS {
        let prefix = format!("directus_access {id}: not applied");
        assert!(report.warnings.iter().any(|w| w.starts_with(&prefix)), "{prefix} in {:?}", report.warnings);
    }
}

/// The starter templates ship two admin-access policies named "Administrator" for the one
/// administrator role. The first run maps one onto the destination's and brings the other, so the
/// destination's administrator then holds two: the second run must still map the same one (not
/// the one it brought, whatever the ids' order), and so create nothing.
#[test]
fn a_second_administrator_policy_brought_by_a_run_never_changes_what_the_next_run_maps() {
    let mut host = project();
    // Sorts before the destination's "p-dest-admin", as a random id does one time in several.
    host.tables.get_mut("directus_policies").unwrap().push(
        table(json!([{ "id": "p-admin-b", "name": "Administrator", "app_access": true, "admin_access": true }]))
            .remove(0),
    );
    host.tables.get_mut("directus_access").unwrap().push(
        table(json!([{ "id": "a-admin-b", "role": "r-admin-src", "user": null, "policy": "p-admin-b", "sort": null }]))
            .remove(0),
    );
    let (host, fake) = pair_with_host(host, fresh_destination());
    let first = run(&host, &fake, &everything()).unwrap();
    let again = run(&host, &fake, &everything()).unwrap();
    assert_eq!(first.mappings, again.mappings);
    for collection in ["directus_policies", "directus_access"] {
        let table = again.tables.iter().find(|t| t.collection == collection).unwrap();
        assert_eq!(table.created, 0, "{collection}: {table:?}");
    }
    let policies: Vec<String> =
        fake.rows("directus_policies").iter().map(|p| crate::shared::rows::key_text(&p["id"])).collect();
    assert_eq!(policies.iter().filter(|id| id.starts_with("p-admin")).count(), 1, "{policies:?}");
}

#[test]
fn concealed_hashed_and_encrypted_fields_added_to_directus_own_collections_never_move() {
    let mut host = project();
    let snapshot = host.snapshot.as_mut().unwrap();
    for (collection, field, special) in [
        ("directus_users", "pin", "conceal"),
        ("directus_users", "recovery_code", "hash"),
        ("directus_users", "nickname", "cast-json"),
        ("directus_settings", "webhook_secret", "conceal"),
        ("directus_settings", "vault", "encrypt"),
    ] {
        let value = json!({ "collection": collection, "field": field, "type": "string",
                            "meta": { "special": [special] }, "schema": { "name": field } });
        snapshot.fields.push(serde_json::from_value(value).unwrap());
    }
    // As Directus' API reads them: masks, and the encrypted value as stored.
    for user in host.tables.get_mut("directus_users").unwrap() {
        user.insert("pin".into(), json!("**********"));
        user.insert("recovery_code".into(), json!("**********"));
        user.insert("nickname".into(), json!("nick"));
    }
    let settings = host.tables.get_mut("directus_settings").unwrap();
    settings[0].insert("webhook_secret".into(), json!("**********"));
    settings[0].insert("vault".into(), json!("$enc$source-secret-ciphertext"));
    let (host, fake) = pair_with_host(host, fresh_destination());
    let report = run(&host, &fake, &everything()).unwrap();
    assert!(report.tables.iter().any(|t| t.collection == "directus_users" && t.created > 0), "{:?}", report.tables);

    let mut written = fake.rows("directus_users");
    written.extend(fake.rows("directus_settings"));
    for row in &written {
        for field in ["pin", "recovery_code", "webhook_secret", "vault"] {
            assert!(row.get(field).is_none_or(Value::is_null), "{field} written: {row:?}");
        }
    }
    let users = fake.rows("directus_users");
    assert!(users.iter().any(|u| u.get("nickname") == Some(&json!("nick"))), "other custom fields move: {users:?}");
    for (field, word) in [
        ("directus_users.pin", "mask"),
        ("directus_users.recovery_code", "hash again"),
        ("directus_settings.webhook_secret", "mask"),
        ("directus_settings.vault", "SECRET"),
    ] {
        let named: Vec<&String> = report
            .warnings
            .iter()
            .filter(|w| w.starts_with(&format!("not moved: concealed field {field} (")))
            .collect();
        assert_eq!(named.len(), 1, "once per field: {:?}", report.warnings);
        assert!(named[0].contains(word), "{}", named[0]);
    }
    assert!(!report.warnings.iter().any(|w| w.contains("nickname")));
    assert!(report
        .notes
        .iter()
        .any(|n| n.starts_with("directus_users.pin is not migrated: Directus reads a concealed")));
}
