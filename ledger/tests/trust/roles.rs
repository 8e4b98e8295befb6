//! Two database roles: the schema's owner migrates (`migrate`, `migrate --grant ROLE`); `serve` and
//! the other commands run as a role that reads and writes rows but cannot change the schema, and
//! only check that the schema is this ledger's.
//!
//! Each test makes its own database owned by a new role that is not a superuser (as at a utility),
//! and a new role for `serve`; the throwaway cluster is dropped whole, roles and all.

use std::{
    process::{Command, Output, Stdio},
    sync::Arc,
};

use cashdesk::sync::{client::LedgerUrl, engine::Engine, token::MemoryStore};
use cashdesk_ledger::{changes, db, import, terminals};
use sqlx::{Connection, PgConnection};

use crate::{
    support::{
        ledger::{ACCOUNTS_CSV, BILLS_CSV, Ledger, cash, counter, http, settled},
        pg,
        refunds::{add_users, login},
    },
    transport::{lines_until, port},
};

const LEDGER: &str = env!("CARGO_BIN_EXE_cashdesk-ledger");
/// The roles' password (the throwaway cluster trusts local connections; another cluster may not).
const PW: &str = "role-pw-2026";

/// A database owned by `owner` (not a superuser) and a `serve` role that has nothing yet.
struct Roles {
    owner: String,
    serve: String,
    owner_url: String,
    serve_url: String,
    dir: tempfile::TempDir,
}

/// `url` logging in as `role`.
fn as_role(url: &str, role: &str) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    u.set_username(role).unwrap();
    u.set_password(Some(PW)).unwrap();
    u.to_string()
}

async fn two_roles() -> Roles {
    let db_url = pg::fresh_database_url().await;
    let name = reqwest::Url::parse(&db_url).unwrap().path().trim_start_matches('/').to_string();
    let (owner, serve) = (format!("{name}_owner"), format!("{name}_serve"));
    let mut admin = PgConnection::connect(&db_url).await.unwrap();
    // The names are ours (digits and underscores), quoted as identifiers.
    for sql in [
        format!("CREATE ROLE \"{owner}\" LOGIN PASSWORD '{PW}'"),
        format!("CREATE ROLE \"{serve}\" LOGIN PASSWORD '{PW}'"),
        format!("ALTER DATABASE \"{name}\" OWNER TO \"{owner}\""),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.unwrap();
    }
    let _ = admin.close().await;
    let (owner_url, serve_url) = (as_role(&db_url, &owner), as_role(&db_url, &serve));
    Roles { owner, serve, owner_url, serve_url, dir: tempfile::tempdir().unwrap() }
}

impl Roles {
    /// `cashdesk-ledger ARGS` configured with both URLs (or only the serving one), on loopback.
    fn ledger(&self, with_owner: bool, args: &[&str]) -> Command {
        let mut cmd = Command::new(LEDGER);
        cmd.args(args)
            .env_remove("CASHDESK_LEDGER_CONFIG")
            .env_remove("CASHDESK_LEDGER_TLS_CERT")
            .env_remove("CASHDESK_LEDGER_TLS_KEY")
            .env("CASHDESK_LEDGER_DATABASE_URL", &self.serve_url)
            .env("CASHDESK_LEDGER_BIND", "127.0.0.1:0")
            .env("CASHDESK_LEDGER_DATA_KEY_FILE", self.dir.path().join("ledger.datakey"))
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        if with_owner {
            cmd.env("CASHDESK_LEDGER_MIGRATION_DATABASE_URL", &self.owner_url);
        } else {
            cmd.env_remove("CASHDESK_LEDGER_MIGRATION_DATABASE_URL");
        }
        cmd
    }
}

/// Whether it succeeded, and its stdout and stderr.
fn ran(out: Output) -> (bool, String, String) {
    let text = |b: &[u8]| crate::transport::strip_ansi(&String::from_utf8_lossy(b));
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// The SQLSTATE of a statement's failure, or "ok".
async fn sqlstate(conn: &mut PgConnection, sql: &'static str) -> String {
    match sqlx::raw_sql(sql).execute(&mut *conn).await {
        Ok(_) => "ok".into(),
        Err(e) => e.as_database_error().and_then(|d| d.code()).map_or_else(|| e.to_string(), |c| c.into_owned()),
    }
}

#[tokio::test]
async fn the_serving_role_works_the_ledger_but_cannot_change_its_schema() {
    let r = two_roles().await;

    // Not migrated yet: the serving role does not migrate (it could not), it says who must.
    for with_owner in [true, false] {
        let mut cmd = r.ledger(with_owner, &["serve"]);
        if !with_owner {
            cmd.arg("--no-migrate");
        }
        let (ok, _, err) = ran(cmd.output().unwrap());
        assert!(!ok, "serve on an empty database: {err}");
        assert!(err.contains("older than this ledger") && err.contains("cashdesk-ledger migrate"), "{err}");
    }
    let mut as_serve = PgConnection::connect(&r.serve_url).await.unwrap();
    assert_eq!(sqlstate(&mut as_serve, "SELECT 1 FROM _sqlx_migrations").await, "42P01", "nothing was created");

    // The owner migrates; until it grants, the serving role is told that is what is missing.
    let (ok, out, err) = ran(r.ledger(true, &["migrate"]).output().unwrap());
    assert!(ok && out.contains("up to date"), "migrate as the owner: {out}{err}");
    let (ok, _, err) = ran(r.ledger(true, &["serve"]).output().unwrap());
    assert!(!ok && err.contains("migrate --grant"), "serve before the grant: {err}");
    let (ok, out, err) = ran(r.ledger(true, &["migrate", "--grant", &r.serve]).output().unwrap());
    assert!(ok, "migrate --grant: {out}{err}");
    assert!(out.contains("up to date") && out.contains(&r.serve), "{out}");

    // The schema is out of the serving role's reach (42501: insufficient privilege), and so are the
    // migrations' record and the append-only tables' history.
    for sql in [
        "CREATE TABLE sneak (x int)",
        "CREATE SCHEMA sneak",
        "ALTER TABLE events ADD COLUMN sneak int",
        "ALTER TABLE accounts DROP CONSTRAINT accounts_pkey",
        "CREATE INDEX sneak ON events (kind)",
        "DROP TABLE events",
        "DROP TRIGGER finance_audit_append_only ON finance_audit",
        "TRUNCATE events",
        "DELETE FROM _sqlx_migrations",
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (1, 'x', true, '', 0)",
        "UPDATE finance_audit SET actor = actor",
        "DELETE FROM refund_history",
    ] {
        assert_eq!(sqlstate(&mut as_serve, sql).await, "42501", "the serving role may not: {sql}");
    }
    let _ = as_serve.close().await;
    let owner_pool = db::connect(&r.owner_url, 2).await.unwrap();
    assert_eq!(db::schema_power(&owner_pool, &r.serve).await.unwrap(), None);
    let why = db::schema_power(&owner_pool, &r.owner).await.unwrap();
    assert!(why.as_deref().is_some_and(|w| w.contains("owns the schema")), "the owner could: {why:?}");

    // Everything the ledger does, as the serving role: the commands that import and enrol, the API
    // (a counter's first pull, its payment pushed, a finance log-in), compaction.
    let pool = db::connect(&r.serve_url, 5).await.unwrap();
    db::check_schema(&pool).await.unwrap();
    let key = crate::support::ledger::key_for(&r.serve_url);
    import::accounts(&pool, &key, ACCOUNTS_CSV.as_bytes(), Some(&crate::support::ledger::area("GY01"))).await.unwrap();
    import::bills(&pool, BILLS_CSV.as_bytes()).await.unwrap();
    add_users(&pool, &[("fin1", cashdesk::sync::finance::FinanceRole::Finance)]).await;
    let mut ledger = Ledger::serve(r.serve_url.clone(), pool.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let c = counter("GY01-07", "2026-01-10T10:00:00+08:00", false).await;
    let e =
        Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), Arc::new(MemoryStore::new()), c.desk.data_keys())
            .with_clock(c.clock.clone());
    let code = terminals::enrol(&pool, "GY01-07", None).await.unwrap();
    e.enrol(&LedgerUrl::parse(&ledger.url).unwrap(), &code).await.unwrap();
    settled(&pool).await;
    let report = e.sync_once().await.unwrap();
    assert_eq!((report.accounts, report.bills), (4, 5), "the first pull: {report:?}");
    c.desk.collect(cash(&c.cashier, "3100000001", "158.49")).await.unwrap();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.applied, 1, "the payment: {report:?}");
    changes::compact(&pool).await.unwrap();
    login(&ledger.url, "fin1").await;
    ledger.stop().await;

    // The binary itself, as the serving role with the owner's URL configured: it checks and never
    // migrates, enrols a terminal, and serves without a word about its role's powers.
    let (ok, out, err) = ran(r.ledger(true, &["terminal", "enrol", "GY01-09"]).output().unwrap());
    assert!(ok && !out.trim().is_empty(), "terminal enrol as the serving role: {out}{err}");
    let mut served = r.ledger(true, &["serve"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let lines = lines_until(&mut served, "ledger listening");
    let port = port(&lines);
    let health = http().get(format!("http://127.0.0.1:{port}/healthz")).send().await;
    let _ = served.kill();
    let _ = served.wait();
    assert_eq!(health.unwrap().text().await.unwrap(), "ok");
    assert!(!lines.iter().any(|l| l.contains("could change its schema")), "{lines:#?}");
}

#[tokio::test]
async fn grant_refuses_a_role_that_could_change_the_schema_anyway() {
    let r = two_roles().await;
    let owner = db::connect(&r.owner_url, 2).await.unwrap();
    db::migrate(&owner).await.unwrap();

    let refused = |e: Result<(), cashdesk_ledger::error::LedgerError>| e.unwrap_err().to_string();
    let m = refused(db::grant(&owner, &r.owner).await);
    assert!(m.contains("owns the schema") && m.contains("migration_database_url"), "the owner itself: {m}");
    let m = refused(db::grant(&owner, "nobody_by_that_name").await);
    assert!(m.contains("CREATE ROLE"), "a role that does not exist: {m}");

    // CREATE on the schema (every role has it on `public` in a database made before PostgreSQL 15).
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("GRANT CREATE ON SCHEMA public TO \"{}\"", r.serve)))
        .execute(&owner)
        .await
        .unwrap();
    let m = refused(db::grant(&owner, &r.serve).await);
    assert!(m.contains("may create tables") && m.contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC"), "{m}");
    // Run as that role anyway, a command says so in its log.
    let (ok, out, err) = ran(r.ledger(true, &["terminal", "enrol", "GY01-09"]).output().unwrap());
    assert!(err.contains("could change its schema"), "warned (ok={ok}): {out}{err}");

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("REVOKE CREATE ON SCHEMA public FROM \"{}\"", r.serve)))
        .execute(&owner)
        .await
        .unwrap();
    db::grant(&owner, &r.serve).await.unwrap();
    db::grant(&owner, &r.serve).await.expect("granting again (after the next upgrade) is harmless");
}

#[tokio::test]
async fn the_schema_check_knows_its_own_migrations() {
    let (_url, pool) = pg::fresh_database().await;
    let err = db::check_schema(&pool).await.unwrap_err().to_string();
    assert!(err.contains("older than this ledger"), "an empty database: {err}");
    db::migrate(&pool).await.unwrap();
    db::check_schema(&pool).await.expect("the schema this ledger made");

    // A migration this binary does not ship: the database was upgraded by a newer ledger.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (29991231000000, 'future', true, '\\x00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let err = db::check_schema(&pool).await.unwrap_err().to_string();
    assert!(err.contains("29991231000000") && err.contains("run the newer ledger"), "{err}");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 29991231000000").execute(&pool).await.unwrap();

    // A shipped migration changed after it ran.
    sqlx::query(
        "UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let err = db::check_schema(&pool).await.unwrap_err().to_string();
    assert!(err.contains("is not the one this ledger ships"), "{err}");
}
