use cashdesk::{
    Error,
    config::TerminalCode,
    desk::{Desk, InitOptions},
    store,
};

#[tokio::test]
async fn migrations_apply_to_an_existing_database_and_keep_its_data() {
    let c = crate::common::with_accounts("2026-01-10T09:00:00+08:00").await;
    let path = c.db_path();
    c.desk.pool().close().await;
    // Re-opening runs the migrator again on a database that already has the schema and data.
    let desk = Desk::open(&path, InitOptions { terminal: None, utility: None }).await.unwrap();
    let mut conn = desk.pool().acquire().await.unwrap();
    let (accounts, bills) = cashdesk::accounts::db::count(&mut conn).await.unwrap();
    assert_eq!((accounts, bills), (4, 5), "data survives a re-open");
    assert_eq!(desk.terminal().as_str(), "GY01-03", "the terminal code is kept in the database");
}

#[tokio::test]
async fn pragmas_protect_money() {
    let c = crate::common::counter("2026-01-10T09:00:00+08:00").await;
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(c.desk.pool()).await.unwrap();
    let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(c.desk.pool()).await.unwrap();
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys").fetch_one(c.desk.pool()).await.unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1), "WAL, synchronous=FULL (2), foreign keys on");
}

#[tokio::test]
async fn a_newer_database_is_refused_with_a_readable_message() {
    let c = crate::common::counter("2026-01-10T09:00:00+08:00").await;
    let path = c.db_path();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99991231000000, 'future', 1, x'00', 0)")
        .execute(c.desk.pool())
        .await
        .unwrap();
    c.desk.pool().close().await;
    let err = store::open(&path).await.unwrap_err();
    assert!(matches!(err, Error::DatabaseTooNew { .. }), "{err}");
    assert!(err.to_string().contains("newer Cashdesk"), "{err}");
}

#[tokio::test]
async fn a_database_without_terminal_code_says_how_to_set_it() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        Desk::open(&dir.path().join("x.sqlite"), InitOptions { terminal: None, utility: None }).await.unwrap_err();
    assert!(err.to_string().contains("cashdeskctl init --terminal"), "{err}");
    let ok = Desk::open(
        &dir.path().join("x.sqlite"),
        InitOptions { terminal: Some(TerminalCode::parse("GY01-03").unwrap()), utility: None },
    )
    .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn the_audit_trail_is_append_only_and_chained() {
    let c = crate::common::staffed("2026-01-10T09:00:00+08:00").await;
    let key = c.desk.audit_key().await.unwrap();
    let key = key.as_deref();
    assert!(key.is_some(), "the test's key store makes an audit key");
    let mut conn = c.desk.pool().acquire().await.unwrap();
    assert_eq!(
        cashdesk::audit::verify(&mut conn, key).await.unwrap(),
        8,
        "the test's key store, its audit key, the first administrator, their log-in, three users added, their log-out"
    );
    let update = sqlx::query("UPDATE audit_log SET actor = 'mallory'").execute(&mut *conn).await;
    assert!(update.is_err(), "UPDATE must be refused by the trigger");
    let delete = sqlx::query("DELETE FROM audit_log").execute(&mut *conn).await;
    assert!(delete.is_err(), "DELETE must be refused by the trigger");
    // Editing behind the triggers' back (dropping them) is detected by the hash chain.
    sqlx::query("DROP TRIGGER audit_log_no_update").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").execute(&mut *conn).await.unwrap();
    let err = cashdesk::audit::verify(&mut conn, key).await.unwrap_err();
    assert!(err.to_string().contains("entry 3"), "{err}");
}

#[tokio::test]
async fn the_terminal_code_of_a_database_does_not_change() {
    let c = crate::common::counter("2026-01-10T09:00:00+08:00").await;
    let path = c.db_path();
    c.desk.pool().close().await;
    let err = Desk::open(&path, InitOptions { terminal: Some(TerminalCode::parse("GY01-04").unwrap()), utility: None })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to terminal GY01-03"), "{err}");
    let same =
        Desk::open(&path, InitOptions { terminal: Some(TerminalCode::parse("GY01-03").unwrap()), utility: None }).await;
    assert!(same.is_ok(), "giving the same code again is fine");
}

#[tokio::test]
async fn two_processes_appending_keep_one_audit_chain() {
    // The app and cashdeskctl on one database: each caches the chain's tip; a stale tip must fall
    // back to the stored one, never fork the chain.
    let c = crate::common::staffed("2026-01-10T09:00:00+08:00").await;
    let other = Desk::open(&c.db_path(), InitOptions { terminal: None, utility: None }).await.unwrap();
    for round in 0..3 {
        for desk in [&c.desk, &other] {
            let r = desk
                .login(cashdesk::desk::LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() })
                .await;
            assert!(r.is_ok(), "round {round}");
        }
    }
    let key = c.desk.audit_key().await.unwrap();
    let mut conn = c.desk.pool().acquire().await.unwrap();
    assert_eq!(
        cashdesk::audit::verify(&mut conn, key.as_deref()).await.unwrap(),
        8 + 6,
        "8 entries of the set-up, 6 log-ins, one unbroken chain"
    );
}

/// DOMAIN (issue 17): the data directory is made owner-only, and the database with its WAL and
/// shared-memory files are readable by their owner alone.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_the_database_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new/cashdesk");
    let path = data.join("cashdesk.sqlite");
    let desk =
        Desk::open(&path, InitOptions { terminal: Some(TerminalCode::parse("GY01-03").unwrap()), utility: None })
            .await
            .unwrap();
    sqlx::query("INSERT INTO settings (key, value) VALUES ('probe', 'x')").execute(desk.writer()).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the directory");
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    // A database made by an earlier build with looser permissions is tightened when opened.
    desk.pool().close().await;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let again = Desk::open(&path, InitOptions { terminal: None, utility: None }).await.unwrap();
    assert_eq!(mode(&path), 0o600);
    again.pool().close().await;
}
