//! A county's first pull (`cargo bench -p cashdesk-ledger --bench first_pull`, or `make bench`).
//!
//! A ledger holding N accounts (default 1,000,000) and a fresh counter (the core's `Desk` on a new
//! SQLite file under `$CARGO_TARGET_DIR`, a real disk) that pulls them all, page by page by cursor,
//! through `GET /v1/changes` with the core's client, and applies each page with its cursor in one
//! transaction with the core's pull applier (`cashdesk::sync::pull::apply_page`): the same loop as
//! `Engine::pull_all`, at the engine's page size (`engine::PULL_LIMIT`) unless told otherwise.
//! Target from the issue: ≤ 60 s for 1,000,000 accounts.
//!
//! The accounts are written straight into PostgreSQL with one `INSERT ... SELECT generate_series`
//! (the change-tracking trigger still stamps every row): a CSV import of a million rows would time
//! the import, not the pull. Their fields pass the counter's checks (户号, meter, phone).
//!
//! Environment: `BENCH_PULL_ACCOUNTS` (default 1000000; 50000 with `CASHDESK_BENCH_QUICK=1`),
//! `BENCH_PULL_LIMIT` (changes per page, default the engine's), `BENCH_PULL_BILLS=1` to give every
//! account one bill too (twice the changes).

// Timing figures (seconds, rates), never money: floats are fine here.
#![allow(clippy::float_arithmetic, clippy::disallowed_types, clippy::cast_precision_loss)]

mod common;

use std::time::{Duration, Instant};

use cashdesk::{
    config::TerminalCode,
    desk::{Desk, InitOptions},
    sync::{
        engine::PULL_LIMIT,
        pull::{Applied, apply_page},
        wire::MAX_PAGE,
    },
};
use cashdesk_ledger::config::DEFAULT_MAX_CONNECTIONS;
use common::{Ledger, ms, quantile, table};

const TERMINAL: &str = "PULL-01";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = common::env_num("BENCH_PULL_ACCOUNTS", 1_000_000, 50_000);
    let limit =
        i64::try_from(common::env_num("BENCH_PULL_LIMIT", PULL_LIMIT as u64, PULL_LIMIT as u64))?.clamp(1, MAX_PAGE);
    let with_bills = std::env::var("BENCH_PULL_BILLS").is_ok_and(|v| v == "1");
    println!("first_pull: {n} accounts{}, pages of {limit}", if with_bills { " with one bill each" } else { "" });

    let pool = Ledger::database(DEFAULT_MAX_CONNECTIONS).await?;
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, phone, prepaid_balance,
                               area)
         SELECT '31' || lpad(i::text, 8, '0'), '用户' || i, '示范市城关区人民路' || (i % 500) || '号' || (i % 1000) || '室',
                CASE WHEN i % 10 = 3 THEN 'commercial' ELSE 'residential' END,
                CASE WHEN i % 5 = 4 THEN 'prepaid' ELSE 'postpaid' END,
                '0110' || lpad(i::text, 9, '0'), 1, '138' || lpad((i % 100000000)::text, 8, '0'), (i % 100)::numeric / 4,
                'PULL'
         FROM generate_series(0, $1 - 1) AS i",
    )
    .bind(i64::try_from(n)?)
    .execute(&pool)
    .await?;
    if with_bills {
        sqlx::query(
            "INSERT INTO bills (account_id, period, kwh, amount, due_date, late_fee_from)
             SELECT id, 202602, '300', 159.00, DATE '2026-03-20', DATE '2026-03-20' FROM accounts",
        )
        .execute(&pool)
        .await?;
    }
    sqlx::query("VACUUM ANALYZE accounts").execute(&pool).await?;
    sqlx::query("VACUUM ANALYZE bills").execute(&pool).await?;
    let load_time = t.elapsed();
    let mut ledger = Ledger::serve(pool).await?;
    let token = ledger.enrol(TERMINAL).await?;
    let client = ledger.client()?;

    let base = std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base)?;
    let dir = tempfile::tempdir_in(&base)?;
    let desk = Desk::open(
        &dir.path().join("counter.sqlite"),
        InitOptions { terminal: Some(TerminalCode::parse(TERMINAL)?), utility: None },
    )
    .await?;

    let (mut pages, mut accounts, mut bills) = (0u64, 0u64, 0u64);
    let (mut fetch, mut apply) = (Duration::ZERO, Duration::ZERO);
    let mut page_times = Vec::new();
    let mut cursor = String::new();
    let start = Instant::now();
    loop {
        let p = Instant::now();
        let page = client.pull(&token, &cursor, limit).await?;
        let fetched = p.elapsed();
        let at = chrono::Utc::now().to_rfc3339();
        match apply_page(desk.pool(), &page, &at).await? {
            Applied::Page { accounts: a, bills: b, .. } => {
                accounts += u64::from(a);
                bills += u64::from(b);
            }
            Applied::Skipped { waiting } => anyhow::bail!("a fresh counter has {waiting} events waiting"),
        }
        fetch += fetched;
        apply += p.elapsed() - fetched;
        page_times.push(p.elapsed());
        pages += 1;
        anyhow::ensure!(page.cursor != cursor || !page.more, "the cursor did not move");
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    let total = start.elapsed();
    ledger.stop().await;

    let (local,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts").fetch_one(desk.pool()).await?;
    anyhow::ensure!(
        local as u64 == n && accounts == n,
        "the counter holds {local} accounts, applied {accounts}, of {n}"
    );
    let db_mib = std::fs::metadata(dir.path().join("counter.sqlite")).map(|m| m.len() >> 20).unwrap_or(0);
    page_times.sort();
    let secs = total.as_secs_f64();
    table(
        &format!("first_pull ({n} accounts{}, pages of {limit})", if with_bills { " + 1 bill each" } else { "" }),
        &[
            (
                "ledger data".into(),
                format!("generate_series INSERT + VACUUM ANALYZE in {:.1} s", load_time.as_secs_f64()),
            ),
            ("pulled and applied".into(), format!("{accounts} accounts, {bills} bills in {pages} pages")),
            ("total".into(), format!("{secs:.1} s  (target <= 60 s)")),
            ("pages/s".into(), format!("{:.1}", pages as f64 / secs)),
            ("accounts/s".into(), format!("{:.0}", accounts as f64 / secs)),
            ("HTTP GET + JSON decode".into(), format!("{:.1} s", fetch.as_secs_f64())),
            ("apply_page (SQLite)".into(), format!("{:.1} s", apply.as_secs_f64())),
            (
                "per page".into(),
                format!("p50 {}  p99 {}", ms(quantile(&page_times, 0.5)), ms(quantile(&page_times, 0.99))),
            ),
            ("counter database".into(), format!("{db_mib} MiB")),
        ],
    );
    Ok(())
}
