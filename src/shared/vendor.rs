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

/// Whether a database error code says something about the row written (a constraint, a value
/// that does not fit) rather than about the database (a lost connection, a full disk): SQLite's
/// `SQLITE_CONSTRAINT…` and `SQLITE_MISMATCH`, PostgreSQL's SQLSTATE classes 22 and 23, MySQL's
/// duplicate, reference, null, data and check errors.
pub fn is_row_error(code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    code.starts_with("SQLITE_CONSTRAINT")
        || code == "SQLITE_MISMATCH"
        || (code.len() == 5 && (code.starts_with("22") || code.starts_with("23")))
        || [
            "ER_DUP_",
            "ER_NO_REFERENCED_ROW",
            "ER_ROW_IS_REFERENCED",
            "ER_BAD_NULL",
            "ER_DATA_",
            "ER_TRUNCATED_",
            "ER_WARN_DATA_",
            "ER_CHECK_CONSTRAINT",
        ]
        .iter()
        .any(|prefix| code.starts_with(prefix))
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

    #[test]
    fn tells_row_errors_from_database_errors() {
        for row in
            ["SQLITE_CONSTRAINT", "SQLITE_CONSTRAINT_UNIQUE", "23505", "22P02", "ER_DUP_ENTRY", "ER_BAD_NULL_ERROR"]
        {
            assert!(is_row_error(Some(row)), "{row}");
        }
        for other in ["SQLITE_BUSY", "ECONNREFUSED", "57P01", "ER_LOCK_DEADLOCK", "PROTOCOL_CONNECTION_LOST"] {
            assert!(!is_row_error(Some(other)), "{other}");
        }
        assert!(!is_row_error(None));
    }
}
