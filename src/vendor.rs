//! What the core knows about database vendors, by the names Directus gives them (`vendor` in a
//! schema snapshot): which ones the bulk receiver can write, and which ones need their identity
//! sequences moved after explicit keys are inserted.

/// Vendors whose tables the bulk receiver writes, keys and sequences included. (MS SQL and
/// Oracle identity columns need care the receiver does not have yet.)
pub const BULK: [&str; 4] = ["sqlite", "postgres", "mysql", "cockroachdb"];

/// The vendor behind a knex client name (`pg`, `mysql2`, `sqlite3`…), as Directus names it.
pub fn from_client(client: &str) -> &'static str {
    match client {
        "pg" | "postgres" | "postgresql" => "postgres",
        "cockroachdb" => "cockroachdb",
        "mysql" | "mysql2" => "mysql",
        "sqlite3" | "better-sqlite3" => "sqlite",
        "oracledb" | "oracle" => "oracle",
        "mssql" => "mssql",
        "redshift" => "redshift",
        _ => "unknown",
    }
}

/// Whether explicit integer keys leave the vendor's sequence behind (SQLite, MySQL and MariaDB
/// move their counters past inserted keys themselves; PostgreSQL and CockroachDB do not).
pub fn needs_sequence_advance(vendor: &str) -> bool {
    matches!(vendor, "postgres" | "cockroachdb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_vendors_like_directus() {
        assert_eq!(from_client("pg"), "postgres");
        assert_eq!(from_client("mysql2"), "mysql");
        assert_eq!(from_client("sqlite3"), "sqlite");
        assert!(needs_sequence_advance(from_client("pg")));
        assert!(!needs_sequence_advance(from_client("sqlite3")));
        assert!(BULK.contains(&from_client("cockroachdb")));
        assert!(!BULK.contains(&from_client("mssql")));
    }
}
