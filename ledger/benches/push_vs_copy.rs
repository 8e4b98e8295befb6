//! Push throughput benchmark (`cargo bench -p cashdesk-ledger --bench push_vs_copy`, or `make bench`).
//!
//! One terminal pushes N money events (default 100,000: cash payments and vends, payloads shaped
//! exactly like the counter's outbox, see `common`) through the HTTP API on loopback with the core's
//! own client (`cashdesk::sync::client`), in batches of `wire::MAX_BATCH`, in seq order. Each
//! payment settles against the ledger's real bills (20,000 accounts and their bills imported with
//! `cashdesk_ledger::import`), so every event is stored, checked and applied, not just inserted.
//!
//! Against it, in the same run and on the same database: a raw `COPY ... FROM STDIN` of the same rows
//! (the columns the ledger stores for them) into a table made `LIKE events INCLUDING ALL`.
//! Target from the issue: push ≥ 0.3× COPY.
//!
//! Environment: `BENCH_PUSH_EVENTS` (default 100000; 10000 with `CASHDESK_BENCH_QUICK=1`),
//! `BENCH_PUSH_ACCOUNTS` (default 20000; 4000 quick).

// Timing figures (seconds, rates, ratios), never money: floats are fine here.
#![allow(clippy::float_arithmetic, clippy::disallowed_types, clippy::cast_precision_loss)]

mod common;

use std::time::{Duration, Instant};

use cashdesk::{
    config::TerminalCode,
    desk::{Clock, Desk, InitOptions, LoginRequest, counter::OpenShiftRequest},
    payments::{CollectRequest, Method, VendRequest},
    sync::wire::{self, Outcome, PushEvent, PushRequest},
    users::Role,
};
use cashdesk_ledger::{config::DEFAULT_MAX_CONNECTIONS, import};
use common::{Ledger, Sim, ms, quantile, table};
use sqlx::Acquire;

const TERMINAL: &str = "BENCH-01";

/// The JSON shape of a value: keys and the type of each value, recursively (arrays by their first
/// element), so a payload's layout can be compared without its values.
fn shape(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(a) => format!("[{}]", a.first().map(shape).unwrap_or_default()),
        Value::Object(o) => {
            format!("{{{}}}", o.iter().map(|(k, v)| format!("{k}:{}", shape(v))).collect::<Vec<_>>().join(","))
        }
    }
}

/// A payment and a vend made by a real counter (the core's `Desk` on SQLite) on the first
/// generated accounts: their payloads' shapes, by kind.
async fn real_counter_shapes(accounts_csv: &str, bills_csv: &str) -> anyhow::Result<Vec<(String, String)>> {
    let dir = tempfile::tempdir()?;
    let clock = Clock::manual(chrono::DateTime::parse_from_rfc3339("2026-03-02T10:00:00+08:00")?);
    let desk = Desk::open(
        &dir.path().join("cashdesk.sqlite"),
        InitOptions { terminal: Some(TerminalCode::parse(TERMINAL)?), utility: None },
    )
    .await?
    // A throwaway data key next to the database, never the OS keyring.
    .with_data_key_source(cashdesk::datakey::KeySource::File(dir.path().join("cashdesk.sqlite.datakey")))
    .with_clock(clock);
    desk.add_user("bench", "cashier1", None, Role::Cashier, "Counter#1").await?;
    let few = |csv: &str| csv.lines().take(11).collect::<Vec<_>>().join("\n") + "\n";
    desk.import_accounts("bench", "accounts.csv", few(accounts_csv).as_bytes()).await?;
    desk.import_bills("bench", "bills.csv", few(bills_csv).as_bytes()).await?;
    let token = desk.login(LoginRequest { username: "cashier1".into(), password: "Counter#1".into() }).await?.token;
    desk.open_shift(OpenShiftRequest { token: token.clone(), float: "500.00".into() }).await?;
    desk.collect(CollectRequest {
        token: token.clone(),
        account_no: common::account_no(0),
        method: Method::Cash,
        amount: "123.45".into(),
        tendered: Some("200.00".into()),
        voucher: None,
        waive_late_fee: None,
        approval: None,
    })
    .await?;
    desk.vend(VendRequest {
        token: token.clone(),
        account_no: common::account_no(4),
        method: Method::Cash,
        amount: "100.00".into(),
        tendered: Some("100.00".into()),
        voucher: None,
        approval: None,
    })
    .await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, payload FROM outbox WHERE kind IN ('payment', 'vend') ORDER BY seq")
            .fetch_all(desk.pool())
            .await?;
    Ok(rows.into_iter().map(|(k, p)| (k, shape(&serde_json::from_str(&p).unwrap_or_default()))).collect())
}

/// COPY's text format: backslash, tab, newline and carriage return escaped.
fn copy_field(out: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn copy_rows(events: &[PushEvent]) -> String {
    let mut out = String::with_capacity(events.iter().map(|e| e.payload.len() + 200).sum());
    for e in events {
        let json: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let account = json["account_no"].as_str().unwrap_or_default();
        let amount = json["amount"].as_str().unwrap_or("0");
        for (i, field) in
            [&e.event_id, TERMINAL, &e.seq.to_string(), &e.kind, &e.payload, &e.payload_sha256, &e.created_at]
                .iter()
                .enumerate()
        {
            if i > 0 {
                out.push('\t');
            }
            copy_field(&mut out, field);
        }
        out.push('\t');
        copy_field(&mut out, account);
        out.push('\t');
        out.push_str(amount);
        out.push_str("\tapplied\n");
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n_events = common::env_num("BENCH_PUSH_EVENTS", 100_000, 10_000) as usize;
    let n_accounts = common::env_num("BENCH_PUSH_ACCOUNTS", 20_000, 4_000);
    println!("push_vs_copy: {n_events} events, {n_accounts} accounts, batches of {}", wire::MAX_BATCH);

    let pool = Ledger::database(DEFAULT_MAX_CONNECTIONS).await?;
    let (accounts, accounts_csv, bills_csv) = common::province(0, n_accounts, 7)?;
    let t = Instant::now();
    let imported_accounts = import::accounts(&pool, accounts_csv.as_bytes()).await?;
    let imported_bills = import::bills(&pool, bills_csv.as_bytes()).await?;
    let import_time = t.elapsed();

    // The synthetic payloads have the real counter's layout.
    let mut sim = Sim::new(TERMINAL, accounts, 11)?;
    let events = sim.batch(n_events);
    for (kind, real) in real_counter_shapes(&accounts_csv, &bills_csv).await? {
        let ours = events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| shape(&serde_json::from_str(&e.payload).unwrap_or_default()))
            .find(|s| s.contains("lines:[{") == real.contains("lines:[{"))
            .unwrap_or_default();
        anyhow::ensure!(
            ours == real,
            "a generated {kind} payload differs from the counter's:\n ours {ours}\n real {real}"
        );
    }
    let payload_bytes: usize = events.iter().map(|e| e.payload.len()).sum();

    // Raw COPY of the same rows into an identical table.
    sqlx::query("CREATE TABLE events_copy (LIKE events INCLUDING ALL)").execute(&pool).await?;
    let rows = copy_rows(&events);
    let mut conn = pool.acquire().await?;
    let conn = conn.acquire().await?;
    let t = Instant::now();
    let mut copy = conn
        .copy_in_raw(
            "COPY events_copy (event_id, terminal, seq, kind, payload, payload_sha256, created_at, account_no, amount, outcome)
             FROM STDIN",
        )
        .await?;
    copy.send(rows.as_bytes()).await?;
    let copied = copy.finish().await?;
    let copy_time = t.elapsed();
    anyhow::ensure!(copied as usize == n_events, "COPY stored {copied} rows");

    // The same events through the HTTP API, one terminal, MAX_BATCH at a time, in seq order.
    let mut ledger = Ledger::serve(pool.clone()).await?;
    let token = ledger.enrol(TERMINAL).await?;
    let client = ledger.client()?;
    let mut per_batch = Vec::new();
    let mut not_applied = 0usize;
    let t = Instant::now();
    for batch in events.chunks(wire::MAX_BATCH) {
        let b = Instant::now();
        let res = client.push(&token, &PushRequest { events: batch.to_vec() }).await?;
        per_batch.push(b.elapsed());
        not_applied += res.results.iter().filter(|r| r.outcome != Outcome::Applied).count();
    }
    let push_time = t.elapsed();
    let stored = ledger.count("SELECT COUNT(*) FROM events WHERE outcome = 'applied'").await?;
    let conflicts = ledger.count("SELECT COUNT(*) FROM conflicts").await?;
    let lines =
        ledger.count("SELECT COALESCE(SUM(json_array_length((effect::json)->'lines')), 0)::bigint FROM events").await?;
    anyhow::ensure!(
        stored as usize == n_events && not_applied == 0 && conflicts == 0,
        "{stored} applied, {not_applied} answered otherwise, {conflicts} conflicts"
    );
    ledger.stop().await;

    per_batch.sort();
    let rate = |d: Duration| n_events as f64 / d.as_secs_f64();
    let mean = push_time / per_batch.len() as u32;
    table(
        &format!(
            "push_vs_copy ({n_events} events = {} payments + {} vends, one terminal)",
            events.iter().filter(|e| e.kind == "payment").count(),
            events.iter().filter(|e| e.kind == "vend").count()
        ),
        &[
            (
                "ledger data".into(),
                format!(
                    "{imported_accounts} accounts, {imported_bills} bills (import {:.1} s)",
                    import_time.as_secs_f64()
                ),
            ),
            ("payload bytes, mean".into(), format!("{}", payload_bytes / n_events.max(1))),
            (
                "COPY into events_copy".into(),
                format!("{:.2} s  {:>9.0} events/s", copy_time.as_secs_f64(), rate(copy_time)),
            ),
            (
                "HTTP push (applied)".into(),
                format!("{:.2} s  {:>9.0} events/s", push_time.as_secs_f64(), rate(push_time)),
            ),
            (
                "ratio push / COPY".into(),
                format!("{:.2}x  (target >= 0.30x)", copy_time.as_secs_f64() / push_time.as_secs_f64()),
            ),
            (
                format!("per batch of {}", wire::MAX_BATCH),
                format!(
                    "mean {}  p50 {}  p99 {}  max {}",
                    ms(mean),
                    ms(quantile(&per_batch, 0.5)),
                    ms(quantile(&per_batch, 0.99)),
                    ms(quantile(&per_batch, 1.0))
                ),
            ),
            ("allocation lines stored".into(), lines.to_string()),
            ("not applied / conflicts".into(), format!("{not_applied} / {conflicts}")),
        ],
    );
    Ok(())
}
