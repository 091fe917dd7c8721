//! The catalogue of Directus' own collections an `excludedTables` run moves: per collection, its
//! key and how keys are matched, the columns that move, the columns that never move (and why),
//! its references to other collections, and its own rules. Written from `@directus/system-data`
//! of Directus 11.17.4 and 12.4.0: a column only one version has is listed, and moves where the
//! source has it (the plan keeps the columns the source's table really has).

use serde::Serialize;

/// How a collection's rows find their counterpart on the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Keys {
    /// The source's keys are kept (uuid collections): a row is on the destination when its key
    /// is (and, with a natural key, also when another row has the same natural key).
    Kept,
    /// The destination assigns keys: integer keys are per instance (the same number is another
    /// row there), and `directus_versions` refuses a key on create. Rows are matched by their
    /// natural key only, and written without their key.
    Assigned,
}

/// How a collection's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Handling {
    /// Created through the collection's own endpoint (`/roles`, `/users`, …), like user rows.
    Rows,
    /// Every file, with its bytes, through the files step (`POST /files`, then its metadata).
    Files,
    /// The one settings row, merged field by field into the destination's (`PATCH /settings`).
    Settings,
}

/// A foreign key of a system collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemReference {
    pub field: &'static str,
    pub target: &'static str,
    /// Set to null when its target is missing on the destination (otherwise the destination
    /// refuses the row, and it is reported).
    pub nullable: bool,
    /// Always set in the second pass, whatever the order: the reference would otherwise order
    /// its target first when the target must come after (a user's avatar: files are uploaded
    /// after the users who uploaded them).
    pub late: bool,
}

const fn to(field: &'static str, target: &'static str) -> SystemReference {
    SystemReference { field, target, nullable: true, late: false }
}

const fn required(field: &'static str, target: &'static str) -> SystemReference {
    SystemReference { field, target, nullable: false, late: false }
}

/// Nullable in the database, but never nulled when its target is missing: the row would mean
/// something else (an access row or a preset without its user applies to everyone). The
/// destination refuses such a row instead, and it is reported.
const fn strict(field: &'static str, target: &'static str) -> SystemReference {
    SystemReference { field, target, nullable: false, late: false }
}

const fn late(field: &'static str, target: &'static str) -> SystemReference {
    SystemReference { field, target, nullable: true, late: true }
}

#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemCollection {
    pub collection: &'static str,
    /// The primary-key field.
    pub key: &'static str,
    pub keys: Keys,
    pub handling: Handling,
    /// Columns read and written (where the source's table has them).
    pub moves: &'static [&'static str],
    /// Columns read but written by a step of their own (a version's `delta`).
    pub read_also: &'static [&'static str],
    /// Columns that never move, with the reason (listed in the plan's notes when the source has them).
    pub never: &'static [(&'static str, &'static str)],
    pub references: &'static [SystemReference],
    /// Columns that identify a row across instances (see [`Keys`]).
    pub natural_key: &'static [&'static str],
    /// Columns Directus stamps on create (`date_created`, `user_created`): written back after.
    pub created: &'static [&'static str],
    /// The `date-created` / `date-updated` columns, for `updatedAfter`.
    pub date_created: Option<&'static str>,
    pub date_updated: Option<&'static str>,
    /// Rows with one of these columns set are not moved, with the reason (a share's password is
    /// masked when read and cannot be set as a hash: the share would arrive unprotected).
    pub withheld_when_set: &'static [(&'static str, &'static str)],
    /// Its keys may stand for other keys on the destination (see [`crate::pipeline::system::KeyMap`]).
    pub mappable: bool,
    /// `(collection column, item column)`: each row is about an item of any collection (a
    /// comment, a share, a version). Written after every user table, and only where the item is
    /// on the destination (Directus refuses it otherwise, as if the token lacked access).
    pub item_reference: Option<(&'static str, &'static str)>,
    /// Written after every user table: event flows created earlier would fire on the rows the
    /// run writes.
    pub after_user_tables: bool,
    /// Rows already on the destination get their held-back references repaired (a run that
    /// stopped before its second pass). Not for users: a user with the same id may be the
    /// destination's own, never to be written.
    pub repaired: bool,
    /// Columns left out of a create when null: Directus validates them when present (a user
    /// without an e-mail address is created without the field).
    pub omitted_when_null: &'static [&'static str],
}

impl SystemCollection {
    const fn rows(collection: &'static str) -> Self {
        SystemCollection {
            collection,
            key: "id",
            keys: Keys::Kept,
            handling: Handling::Rows,
            moves: &[],
            read_also: &[],
            never: &[],
            references: &[],
            natural_key: &[],
            created: &[],
            date_created: None,
            date_updated: None,
            withheld_when_set: &[],
            mappable: false,
            item_reference: None,
            after_user_tables: false,
            repaired: true,
            omitted_when_null: &[],
        }
    }

    /// Whether `column` is one of the catalogue's, moving or not.
    pub fn knows(&self, column: &str) -> bool {
        column == self.key
            || self.moves.contains(&column)
            || self.read_also.contains(&column)
            || self.never.iter().any(|(c, _)| *c == column)
    }

    #[cfg(test)]
    pub fn reference(&self, field: &str) -> Option<&SystemReference> {
        self.references.iter().find(|r| r.field == field)
    }
}

const STAMPED: &str = "Directus stamps it on every write";
const INSTANCE_KEY: &str = "an integer key is per instance: the destination assigns its own";

pub const ROLES: SystemCollection = SystemCollection {
    moves: &["id", "name", "icon", "description", "parent"],
    references: &[to("parent", "directus_roles")],
    mappable: true,
    ..SystemCollection::rows("directus_roles")
};

pub const POLICIES: SystemCollection = SystemCollection {
    moves: &["id", "name", "icon", "description", "app_access", "admin_access", "ip_access", "enforce_tfa"],
    mappable: true,
    ..SystemCollection::rows("directus_policies")
};

pub const ACCESS: SystemCollection = SystemCollection {
    moves: &["id", "role", "user", "policy", "sort"],
    references: &[
        strict("role", "directus_roles"),
        strict("user", "directus_users"),
        required("policy", "directus_policies"),
    ],
    natural_key: &["role", "user", "policy"],
    ..SystemCollection::rows("directus_access")
};

pub const PERMISSIONS: SystemCollection = SystemCollection {
    keys: Keys::Assigned,
    moves: &["policy", "collection", "action", "permissions", "validation", "presets", "fields"],
    never: &[("id", INSTANCE_KEY)],
    references: &[required("policy", "directus_policies")],
    natural_key: &["policy", "collection", "action"],
    ..SystemCollection::rows("directus_permissions")
};

pub const USERS: SystemCollection = SystemCollection {
    moves: &[
        "id",
        "first_name",
        "last_name",
        "email",
        "location",
        "title",
        "description",
        "tags",
        "avatar",
        "language",
        "text_direction",
        "email_notifications",
        "appearance",
        "theme_light",
        "theme_light_overrides",
        "theme_dark",
        "theme_dark_overrides",
        "status",
        "role",
        "provider",
        "external_identifier",
    ],
    never: &[
        ("password", "a password hash: it moves only with scope.userPasswords over the bulk receiver"),
        ("token", "a static token is a credential: it never moves"),
        ("tfa_secret", "a two-factor secret is a credential: it never moves"),
        ("auth_data", "an SSO provider's tokens are credentials: they never move"),
        ("last_access", "activity on the source instance"),
        ("last_page", "activity on the source instance"),
    ],
    references: &[to("role", "directus_roles"), late("avatar", "directus_files")],
    omitted_when_null: &["email"],
    repaired: false,
    mappable: true,
    ..SystemCollection::rows("directus_users")
};

pub const FOLDERS: SystemCollection = SystemCollection {
    moves: &["id", "name", "parent", "type"],
    references: &[to("parent", "directus_folders")],
    ..SystemCollection::rows("directus_folders")
};

pub const FILES: SystemCollection = SystemCollection {
    handling: Handling::Files,
    moves: &["id"],
    references: &[to("folder", "directus_folders"), to("uploaded_by", "directus_users")],
    date_created: Some("created_on"),
    date_updated: Some("modified_on"),
    ..SystemCollection::rows("directus_files")
};

pub const COMMENTS: SystemCollection = SystemCollection {
    moves: &["id", "collection", "item", "comment", "date_created", "user_created"],
    never: &[("date_updated", STAMPED), ("user_updated", STAMPED)],
    references: &[to("user_created", "directus_users")],
    created: &["date_created", "user_created"],
    date_created: Some("date_created"),
    date_updated: Some("date_updated"),
    item_reference: Some(("collection", "item")),
    ..SystemCollection::rows("directus_comments")
};

pub const PRESETS: SystemCollection = SystemCollection {
    keys: Keys::Assigned,
    moves: &[
        "bookmark",
        "user",
        "role",
        "collection",
        "search",
        "layout",
        "layout_query",
        "layout_options",
        "refresh_interval",
        "filter",
        "icon",
        "color",
    ],
    never: &[("id", INSTANCE_KEY)],
    references: &[strict("user", "directus_users"), strict("role", "directus_roles")],
    natural_key: &["user", "role", "collection", "bookmark"],
    ..SystemCollection::rows("directus_presets")
};

pub const TRANSLATIONS: SystemCollection = SystemCollection {
    moves: &["id", "language", "key", "value"],
    natural_key: &["language", "key"],
    ..SystemCollection::rows("directus_translations")
};

pub const DASHBOARDS: SystemCollection = SystemCollection {
    moves: &["id", "name", "icon", "note", "color", "date_created", "user_created"],
    references: &[to("user_created", "directus_users")],
    created: &["date_created", "user_created"],
    date_created: Some("date_created"),
    ..SystemCollection::rows("directus_dashboards")
};

pub const PANELS: SystemCollection = SystemCollection {
    moves: &[
        "id",
        "dashboard",
        "name",
        "icon",
        "color",
        "show_header",
        "note",
        "type",
        "position_x",
        "position_y",
        "width",
        "height",
        "options",
        "date_created",
        "user_created",
    ],
    references: &[required("dashboard", "directus_dashboards"), to("user_created", "directus_users")],
    created: &["date_created", "user_created"],
    date_created: Some("date_created"),
    ..SystemCollection::rows("directus_panels")
};

pub const FLOWS: SystemCollection = SystemCollection {
    moves: &[
        "id",
        "name",
        "icon",
        "color",
        "description",
        "status",
        "trigger",
        "accountability",
        "options",
        "operation",
        "folder",
        "date_created",
        "user_created",
    ],
    references: &[
        to("operation", "directus_operations"),
        to("folder", "directus_folders"),
        to("user_created", "directus_users"),
    ],
    created: &["date_created", "user_created"],
    date_created: Some("date_created"),
    after_user_tables: true,
    ..SystemCollection::rows("directus_flows")
};

pub const OPERATIONS: SystemCollection = SystemCollection {
    moves: &[
        "id",
        "name",
        "key",
        "type",
        "position_x",
        "position_y",
        "options",
        "resolve",
        "reject",
        "flow",
        "date_created",
        "user_created",
    ],
    references: &[
        to("resolve", "directus_operations"),
        to("reject", "directus_operations"),
        required("flow", "directus_flows"),
        to("user_created", "directus_users"),
    ],
    created: &["date_created", "user_created"],
    date_created: Some("date_created"),
    ..SystemCollection::rows("directus_operations")
};

pub const SHARES: SystemCollection = SystemCollection {
    moves: &[
        "id",
        "name",
        "collection",
        "item",
        "role",
        "date_start",
        "date_end",
        "max_uses",
        "times_used",
        "date_created",
        "user_created",
    ],
    read_also: &["password"],
    references: &[strict("role", "directus_roles"), to("user_created", "directus_users")],
    created: &["date_created", "user_created"],
    date_created: Some("date_created"),
    item_reference: Some(("collection", "item")),
    withheld_when_set: &[(
        "password",
        "a share protected by a password is not migrated: Directus masks the password when it is read and hashes whatever it is given, so the share would arrive unprotected",
    )],
    ..SystemCollection::rows("directus_shares")
};

pub const VERSIONS: SystemCollection = SystemCollection {
    keys: Keys::Assigned,
    moves: &["key", "name", "collection", "item"],
    read_also: &["delta"],
    never: &[
        ("id", "Directus refuses a key when a version is created: the destination assigns its own"),
        ("hash", "the destination computes it from its own item"),
        ("date_created", "the versions endpoint does not let a client set it"),
        ("user_created", "the versions endpoint does not let a client set it"),
        ("date_updated", STAMPED),
        ("user_updated", STAMPED),
    ],
    natural_key: &["collection", "item", "key"],
    item_reference: Some(("collection", "item")),
    ..SystemCollection::rows("directus_versions")
};

pub const SETTINGS: SystemCollection = SystemCollection {
    handling: Handling::Settings,
    references: &[
        to("public_registration_role", "directus_roles"),
        to("storage_default_folder", "directus_folders"),
        to("project_logo", "directus_files"),
        to("public_foreground", "directus_files"),
        to("public_background", "directus_files"),
        to("public_favicon", "directus_files"),
    ],
    ..SystemCollection::rows("directus_settings")
};

/// Every system collection an `excludedTables` run moves.
pub const CATALOGUE: [&SystemCollection; 17] = [
    &ROLES,
    &POLICIES,
    &ACCESS,
    &PERMISSIONS,
    &USERS,
    &FOLDERS,
    &FILES,
    &COMMENTS,
    &PRESETS,
    &TRANSLATIONS,
    &DASHBOARDS,
    &PANELS,
    &FLOWS,
    &OPERATIONS,
    &SHARES,
    &VERSIONS,
    &SETTINGS,
];

/// Directus' own collections that never move, and why.
pub const NEVER: [(&str, &str); 15] = [
    ("directus_activity", "the source's own history"),
    ("directus_revisions", "the source's own history"),
    ("directus_sessions", "sessions are credentials of the source instance"),
    ("directus_notifications", "notifications were sent on the source instance"),
    ("directus_migrations", "each instance records its own database migrations"),
    ("directus_extensions", "each instance registers the extensions it has installed"),
    ("directus_collections", "the schema moves through /migration/schema-sync"),
    ("directus_fields", "the schema moves through /migration/schema-sync"),
    ("directus_relations", "the schema moves through /migration/schema-sync"),
    ("directus_deployments", "deployment targets hold credentials of the source instance"),
    ("directus_deployment_projects", "deployment targets hold credentials of the source instance"),
    ("directus_deployment_runs", "the source's own history"),
    ("directus_oauth_clients", "OAuth clients and their secrets belong to the source instance"),
    ("directus_oauth_tokens", "OAuth tokens are credentials"),
    ("directus_oauth_codes", "OAuth codes are credentials"),
];

/// The catalogue entry of `collection`.
pub fn entry(collection: &str) -> Option<&'static SystemCollection> {
    CATALOGUE.iter().copied().find(|c| c.collection == collection)
}

/// Why `collection` never moves, when it is one of those.
pub fn never_moves(collection: &str) -> Option<&'static str> {
    NEVER.iter().find(|(c, _)| *c == collection).map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn secrets_and_activity_never_move() {
        for (collection, column) in [
            ("directus_users", "password"),
            ("directus_users", "token"),
            ("directus_users", "tfa_secret"),
            ("directus_users", "auth_data"),
            ("directus_shares", "password"),
        ] {
            let entry = entry(collection).unwrap();
            assert!(!entry.moves.contains(&column), "{collection}.{column} must not move");
        }
        for never in ["directus_activity", "directus_revisions", "directus_sessions", "directus_fields"] {
            assert!(entry(never).is_none());
            assert!(never_moves(never).is_some());
        }
    }

    #[test]
    fn integer_keyed_collections_are_matched_by_a_natural_key() {
        for collection in ["directus_permissions", "directus_presets", "directus_versions"] {
            let entry = entry(collection).unwrap();
            assert_eq!(entry.keys, Keys::Assigned, "{collection}");
            assert!(!entry.natural_key.is_empty(), "{collection}");
            assert!(!entry.moves.contains(&"id"), "{collection}: the destination assigns the key");
        }
        assert_eq!(PERMISSIONS.natural_key, &["policy", "collection", "action"]);
    }

    #[test]
    fn every_reference_points_inside_the_catalogue_or_at_files() {
        let names: BTreeSet<&str> = CATALOGUE.iter().map(|c| c.collection).collect();
        for entry in CATALOGUE {
            for reference in entry.references {
                assert!(names.contains(reference.target), "{}.{}", entry.collection, reference.field);
                let column = reference.field;
                let read = entry.moves.contains(&column) || entry.handling != Handling::Rows;
                assert!(read, "{}.{column} is a reference that does not move", entry.collection);
            }
            for column in entry.natural_key {
                assert!(entry.moves.contains(column), "{}.{column}", entry.collection);
            }
            for column in entry.created {
                assert!(entry.moves.contains(column), "{}.{column}", entry.collection);
            }
        }
    }

    #[test]
    fn avatars_are_set_late_so_users_come_before_the_files_they_uploaded() {
        assert!(USERS.reference("avatar").unwrap().late);
        assert!(FILES.reference("uploaded_by").is_some_and(|r| !r.late));
        assert!(!OPERATIONS.reference("flow").unwrap().nullable, "an operation needs its flow");
        // Nulling these would hand the row to everyone.
        for (entry, field) in
            [(&ACCESS, "user"), (&ACCESS, "role"), (&PRESETS, "user"), (&PRESETS, "role"), (&SHARES, "role")]
        {
            assert!(!entry.reference(field).unwrap().nullable, "{}.{field}", entry.collection);
        }
    }
}
