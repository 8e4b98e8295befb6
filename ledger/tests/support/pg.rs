//! A PostgreSQL database of its own for each test.
//!
//! The cluster: `CASHDESK_TEST_PG` (a `postgres://` URL with the right to `CREATE DATABASE`), which
//! `make test` / `make test-ledger` set to a throwaway cluster they start and stop around the whole
//! run (`scripts/pg-throwaway.sh with ...`). When it is unset — a developer running
//! `cargo test -p cashdesk-ledger` directly — the first test in the binary starts a throwaway
//! cluster with the same script, under the temp directory, once for the whole test binary.
//!
//! Stopping that cluster: Rust never drops statics, and an `atexit` hook would need `unsafe` FFI
//! (the workspace forbids `unsafe`), so the script is started with `--owner-pid <this process>`: a
//! detached watchdog waits for the test binary to exit, however it exits (success, panic, abort,
//! Ctrl-C, SIGKILL), then stops the server and deletes its directory. It takes about a second after
//! the binary exits.
//!
//! Each call to [`fresh_database`] creates a new, uniquely named database on the cluster, so tests run
//! in parallel without seeing each other's rows. Databases are not dropped: the cluster is thrown
//! away whole.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};

/// The variable naming the cluster to create test databases on.
pub const ENV: &str = "CASHDESK_TEST_PG";

/// How long to wait for a cluster to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Creates a new empty database and returns its URL and a small pool (5 connections) on it.
/// Panics with a clear message when no cluster can be reached or started.
pub async fn fresh_database() -> (String, PgPool) {
    let url = fresh_database_url().await;
    let pool = match PgPoolOptions::new().max_connections(5).connect(&url).await {
        Ok(pool) => pool,
        Err(e) => panic!("cannot connect to the new test database {url}: {e}"),
    };
    (url, pool)
}

/// Creates a new empty database and returns only its URL (for a test that opens its own pool, or
/// hands the URL to a ledger it starts).
pub async fn fresh_database_url() -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let base = cluster_url();
    let mut admin = connect_when_ready(&base).await;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name = format!("cd_test_{}_{}_{nanos}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
    let create = format!("CREATE DATABASE \"{name}\"");
    // The name is ours (digits and underscores), quoted as an identifier.
    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&mut admin).await {
        panic!("cannot create the test database {name} on {base}: {e}");
    }
    let _ = admin.close().await;
    with_database(&base, &name)
}

/// The cluster's URL (its `postgres` database): `CASHDESK_TEST_PG`, or a cluster started for this
/// test binary on first use.
pub fn cluster_url() -> String {
    if let Ok(url) = std::env::var(ENV)
        && !url.trim().is_empty()
    {
        return url.trim().to_owned();
    }
    static OWN: OnceLock<Result<String, String>> = OnceLock::new();
    match OWN.get_or_init(start_own_cluster) {
        Ok(url) => url.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// `base` with its database (the URL's path) replaced by `name`; the query string is kept.
pub fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let authority_start = head.find("://").map_or(0, |i| i + 3);
    let authority_end = head[authority_start..].find('/').map_or(head.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &head[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scripts").join("pg-throwaway.sh")
}

/// Starts a throwaway cluster that lives as long as this process (see the module's notes).
fn start_own_cluster() -> Result<String, String> {
    let pid = std::process::id();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("cashdesk-ledger-pg-{pid}-{nanos}"));
    let script = script();
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(&dir)
        .arg("--owner-pid")
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{ENV} is not set and starting a throwaway PostgreSQL with {} failed ({}):\n{}\n\
             Install the server (`make deps-system` installs the Debian package postgresql), run the tests \
             through `make test-ledger`, or point {ENV} at a cluster where you may CREATE DATABASE.",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !url.starts_with("postgres://") {
        return Err(format!("{} printed no URL (stdout: {url:?})", script.display()));
    }
    eprintln!("test support: {ENV} unset; started a throwaway PostgreSQL at {url} (data in {})", dir.display());
    Ok(url)
}

/// Connects to `url`, retrying until the server accepts connections or [`READY_TIMEOUT`] passes.
async fn connect_when_ready(url: &str) -> PgConnection {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut pause = Duration::from_millis(20);
    loop {
        match PgConnection::connect(url).await {
            Ok(conn) => return conn,
            Err(e) if Instant::now() >= deadline => {
                panic!("PostgreSQL at {url} did not accept connections within {READY_TIMEOUT:?}: {e}")
            }
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
        }
    }
}
