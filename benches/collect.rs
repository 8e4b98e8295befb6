//! Payment-commit benchmark (`cargo bench --bench collect`, or `make bench`).
//!
//! Compares, in one run on the same disk and the same SQLite settings (WAL, synchronous=FULL):
//! - a bare single-row `INSERT` + `COMMIT` (`BEGIN IMMEDIATE`), the floor any durable write pays;
//! - a full cash payment through `Desk::collect`: session check, open bills, late fees, allocation,
//!   receipt number, payment and line rows, bill updates, audit entry, outbox event, one commit.
//!
//! It also counts the pages each commit writes to the WAL (`pages_per_commit`): the figure that
//! explains the gap and does not drift with the disk.
//!
//! Target from the collection issue: payment ≤ 1.5× the bare insert. The database lives under
//! `$CARGO_TARGET_DIR` (a real disk, not tmpfs, so fsync costs what it costs at a counter).

use std::time::{Duration, Instant};

use cashdesk::{
    config::TerminalCode,
    desk::{Desk, InitOptions, LoginRequest, shift::OpenShiftRequest},
    payments::{CollectRequest, Method},
    store,
};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

/// Pages a commit writes, read off the write-ahead log: after a truncating checkpoint the log is
/// empty, so its size after one commit is its 32-byte header plus one frame (a 24-byte header and
/// the page) per page written. Unlike the timings this figure is the same on every run; the
/// difference in pages is what the commit's fsync pays for. Runs after the timed loop, so its
/// checkpoints do not touch the timings.
async fn pages_per_commit(
    bare: &sqlx::SqlitePool,
    desk: &Desk,
    token: &str,
    postpaid: &[(String,)],
    from: usize,
) -> anyhow::Result<(u64, u64)> {
    async fn frames(pool: &sqlx::SqlitePool) -> anyhow::Result<u64> {
        let (page_size,): (i64,) = sqlx::query_as("PRAGMA page_size").fetch_one(pool).await?;
        let (file,): (String,) =
            sqlx::query_as("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_one(pool).await?;
        let len = std::fs::metadata(format!("{file}-wal"))?.len();
        Ok(len.saturating_sub(32) / (u64::try_from(page_size)? + 24))
    }
    async fn truncate(pool: &sqlx::SqlitePool) -> anyhow::Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await?;
        Ok(())
    }
    let (mut b, mut p) = (Vec::new(), Vec::new());
    for i in from..from + 50 {
        truncate(bare).await?;
        bare_commit(bare, i).await?;
        b.push(frames(bare).await?);

        // Through the writer connection: the desk's other connections may hold a read snapshot
        // that a truncating checkpoint would wait for.
        truncate(desk.writer()).await?;
        desk.collect(request(token, &postpaid[i % postpaid.len()].0, i)).await?;
        p.push(frames(desk.writer()).await?);
    }
    b.sort_unstable();
    p.sort_unstable();
    Ok((b[b.len() / 2], p[p.len() / 2]))
}

/// The floor: one row, one durable commit.
async fn bare_commit(pool: &sqlx::SqlitePool, i: usize) -> anyhow::Result<()> {
    let mut tx = store::write_tx(pool).await?;
    sqlx::query("INSERT INTO t (v) VALUES (?)").bind(i.to_string()).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

fn request(token: &str, account_no: &str, i: usize) -> CollectRequest {
    CollectRequest {
        token: token.to_owned(),
        account_no: account_no.to_owned(),
        method: Method::Cash,
        amount: format!("{}.{:02}", 50 + i % 300, i % 100),
        tendered: Some("1000.00".into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_PAYMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let base = std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base)?;
    let dir = tempfile::tempdir_in(&base)?;

    // The floor: one row, one durable commit.
    let bare = store::open(&dir.path().join("bare.sqlite")).await?;
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)").execute(&bare).await?;

    // The payment: demo-sized counter, one open shift, cash payments on accounts in arrears.
    let desk = Desk::open(
        &dir.path().join("counter.sqlite"),
        InitOptions { terminal: Some(TerminalCode::parse("BENCH-01")?), utility: None },
    )
    .await?
    // A throwaway data key next to the database, never the OS keyring.
    .with_data_key_source(cashdesk::datakey::KeySource::File(dir.path().join("counter.sqlite.datakey")));
    let mut seeded = desk.clone();
    seeded.seed_demo().await?;
    // The demo's own cashier (`demo::USERS`).
    let token = desk.login(LoginRequest { username: "cashier1".into(), password: "Cashier#2026".into() }).await?.token;
    desk.open_shift(OpenShiftRequest { token: token.clone(), float: "500".into() }).await?;
    let postpaid: Vec<(String,)> =
        sqlx::query_as("SELECT account_no FROM accounts WHERE billing_mode = 'postpaid' AND closed = 0 ORDER BY id")
            .fetch_all(desk.pool())
            .await?;

    // Interleaved, one bare commit then one payment, so that both meet the disk in the same state
    // (a virtual disk's fsync latency drifts over a run).
    let mut bare_times = Vec::with_capacity(n);
    let mut pay_times = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        bare_commit(&bare, i).await?;
        bare_times.push(t.elapsed());

        let req = request(&token, &postpaid[i % postpaid.len()].0, i);
        let t = Instant::now();
        desk.collect(req).await?;
        pay_times.push(t.elapsed());
    }
    let (bare_pages, pay_pages) = pages_per_commit(&bare, &desk, &token, &postpaid, n).await?;
    let (bm, pm) = (median(bare_times.clone()), median(pay_times.clone()));
    println!("{n} commits each, WAL + synchronous=FULL, on {}:", base.display());
    println!("bare INSERT+COMMIT   median {:>6} µs  p99 {:>6} µs", bm.as_micros(), p99(bare_times).as_micros());
    println!("payment (collect)    median {:>6} µs  p99 {:>6} µs", pm.as_micros(), p99(pay_times).as_micros());
    // Ratio in hundredths, integer arithmetic.
    let ratio = pm.as_micros() * 100 / bm.as_micros().max(1);
    let (page_size,): (i64,) = sqlx::query_as("PRAGMA page_size").fetch_one(desk.writer()).await?;
    println!("pages written per commit (median, {page_size} bytes each): bare {bare_pages}, payment {pay_pages}");
    println!(
        "ratio payment / bare = {}.{:02} (target ≤ 1.50: {})",
        ratio / 100,
        ratio % 100,
        if ratio <= 150 { "met" } else { "MISSED" }
    );
    Ok(())
}
