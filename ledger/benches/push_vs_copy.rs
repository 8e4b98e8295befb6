//! Push throughput benchmark (`cargo bench -p cashdesk-ledger --bench push_vs_copy`, or `make bench`).
//!
//! N money events (default 100,000: cash payments and vends, payloads shaped exactly like the
//! counter's outbox, see `common`) are pushed through the HTTP API on loopback with the core's own
//! client (`cashdesk::sync::client`), in batches of `wire::MAX_BATCH`, each terminal's in seq order
//! and waiting for each answer as a counter does. Each payment settles against the ledger's real
//! bills (20,000 accounts and their bills imported with `cashdesk_ledger::import`), so every event
//! is stored, checked and applied, not just inserted.
//!
//! Two runs, each on a fresh database: the N events from one terminal, then N other events from T
//! terminals at once (default 4), each with its own share of the accounts as a service hall serves
//! its own area. One terminal's batches follow each other (the counter sends the next when the
//! ledger has answered the last), so a lone terminal keeps at most one core busy at a time: client,
//! ledger and PostgreSQL take turns. A province's ledger is pushed to by many terminals at once.
//!
//! Against each run, in the same run, like for like: as many raw `COPY ... FROM STDIN` streams at
//! once as terminals pushed (one connection each), on a fresh ledger database, after the push's
//! database has been vacuumed:
//! - the reference: the very rows the push stored, every column, as `COPY ... TO` writes them out,
//!   into the ledger's `events` table (the `effect` a push works out for each event, which a void
//!   reverses, makes a stored row about 40% longer than what the counter sent);
//! - for comparison: only the columns a counter sends (no `effect`) into a table made `LIKE events
//!   INCLUDING ALL` (the same indexes).
//!
//! Target from the issue: push ≥ 0.3× a raw COPY of the same rows.
//!
//! Rounds (`BENCH_PUSH_ROUNDS`) repeat both runs, each time on fresh databases; the summary gives
//! each ratio's median and range over the rounds (one run of a few seconds on a virtual machine
//! varies by ±10%).
//!
//! Environment: `BENCH_PUSH_EVENTS` (default 100000; 10000 with `CASHDESK_BENCH_QUICK=1`),
//! `BENCH_PUSH_ACCOUNTS` (default 20000; 4000 quick), `BENCH_PUSH_TERMINALS` (default 4),
//! `BENCH_PUSH_ROUNDS` (default 3; 1 quick).

// Timing figures (seconds, rates, ratios), never money: floats are fine here.
#![allow(clippy::float_arithmetic, clippy::disallowed_types, clippy::cast_precision_loss)]

mod common;

use std::time::{Duration, Instant};

use anyhow::Context;
use cashdesk::{
    config::TerminalCode,
    desk::{Clock, Desk, InitOptions, LoginRequest, shift::OpenShiftRequest, users::AddUserRequest},
    payments::{CollectRequest, Method, VendRequest},
    sync::{
        client::LedgerClient,
        token::Token,
        wire::{self, Outcome, PushEvent, PushRequest},
    },
    users::Role,
};
use cashdesk_ledger::{config::DEFAULT_MAX_CONNECTIONS, import};
use common::{Ledger, Sim, ms, quantile, table};
use futures_util::TryStreamExt;

/// The terminal whose real counter checks the payloads' layout.
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
    desk.bootstrap_admin("admin", None, "Counter#2026").await?;
    let admin = desk.login(LoginRequest { username: "admin".into(), password: "Counter#2026".into() }).await?.token;
    desk.add_user(AddUserRequest {
        token: admin.clone(),
        username: "cashier1".into(),
        display_name: None,
        role: Role::Cashier,
        password: "Counter#2026".into(),
    })
    .await?;
    let few = |csv: &str| csv.lines().take(11).collect::<Vec<_>>().join("\n") + "\n";
    desk.import_accounts(&admin, "accounts.csv", few(accounts_csv).as_bytes()).await?;
    desk.import_bills(&admin, "bills.csv", few(bills_csv).as_bytes()).await?;
    let token = desk.login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() }).await?.token;
    desk.open_shift(OpenShiftRequest { token: token.clone(), float: "500.00".into() }).await?;
    desk.collect(CollectRequest {
        token: token.clone(),
        account_no: common::account_no(0),
        method: Method::Cash,
        amount: "123.45".into(),
        tendered: Some("200.00".into()),
        confirm_large: false,
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
        confirm_large: false,
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
            [&e.event_id, &e.terminal, &e.seq.to_string(), &e.kind, &e.payload, &e.payload_sha256, &e.created_at]
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

/// One terminal's pushes, one request after the other: how long each took, and how many events
/// were not answered `applied`.
async fn push_all(
    client: LedgerClient,
    token: Token,
    requests: Vec<PushRequest>,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut per_batch = Vec::new();
    let mut not_applied = 0usize;
    for req in &requests {
        let b = Instant::now();
        let res = client.push(&token, req).await?;
        per_batch.push(b.elapsed());
        not_applied += res.results.iter().filter(|r| r.outcome != Outcome::Applied).count();
    }
    Ok((per_batch, not_applied))
}

/// `COPY ... FROM STDIN` of each part (COPY's text format) at once, each on a connection of its
/// own (taken before the clock starts); how long until the last finished.
async fn copy_in(
    pool: &sqlx::PgPool,
    statement: &'static str,
    parts: &[Vec<u8>],
    expect: usize,
) -> anyhow::Result<Duration> {
    let mut conns = Vec::new();
    for _ in parts {
        conns.push(pool.acquire().await?);
    }
    let t = Instant::now();
    let copies = conns.iter_mut().zip(parts).map(|(conn, rows)| async move {
        let mut copy = conn.copy_in_raw(statement).await?;
        copy.send(rows.as_slice()).await?;
        copy.finish().await
    });
    let copied: u64 = futures_util::future::try_join_all(copies).await?.into_iter().sum();
    let took = t.elapsed();
    anyhow::ensure!(copied as usize == expect, "COPY stored {copied} rows, not {expect}");
    Ok(took)
}

/// One run on a fresh database: import, push the events from `terminals` terminals at once, then
/// COPY the same rows (see the module docs); prints the figures and returns the ratio push / COPY.
async fn run(n_events: usize, n_accounts: u64, terminals: usize) -> anyhow::Result<f64> {
    let pool = Ledger::database(DEFAULT_MAX_CONNECTIONS).await?;
    let (accounts, accounts_csv, bills_csv) = common::province(0, n_accounts, 7)?;
    let t = Instant::now();
    let imported_accounts = import::accounts(
        &pool,
        &cashdesk::datakey::DataKey::generate()?,
        accounts_csv.as_bytes(),
        Some(&cashdesk::config::Area::parse("BENCH")?),
    )
    .await?;
    let imported_bills = import::bills(&pool, bills_csv.as_bytes()).await?;
    let import_time = t.elapsed();

    // Each terminal its own share of the accounts; the synthetic payloads have the real counter's layout.
    anyhow::ensure!(accounts.len() >= terminals * 100, "give each terminal at least 100 accounts");
    let share = accounts.len().div_ceil(terminals);
    let mut streams = Vec::new();
    for (t, own) in accounts.chunks(share).enumerate() {
        let code = if terminals == 1 { TERMINAL.to_string() } else { format!("BENCH-{:02}", t + 11) };
        let each = n_events / terminals + usize::from(t < n_events % terminals);
        streams.push((code.clone(), Sim::new(&code, own.to_vec(), 11 + t as u64)?.batch(each)));
    }
    let events: Vec<&PushEvent> = streams.iter().flat_map(|s| &s.1).collect();
    if terminals == 1 {
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
    }
    let payload_bytes: usize = events.iter().map(|e| e.payload.len()).sum();
    let payments = events.iter().filter(|e| e.kind == "payment").count();

    // COPY's text of the columns the counter sends, one part per terminal, built beforehand as the
    // requests are.
    let sent_parts: Vec<Vec<u8>> = streams.iter().map(|(_, evs)| copy_rows(evs).into_bytes()).collect();
    let sent_bytes: usize = sent_parts.iter().map(Vec::len).sum();

    // The same events through the HTTP API: each terminal MAX_BATCH at a time, in seq order.
    let mut ledger = Ledger::serve(pool.clone()).await?;
    let mut pushes = Vec::new();
    let codes: Vec<String> = streams.iter().map(|s| s.0.clone()).collect();
    for (code, events) in streams {
        let token = ledger.enrol(&code).await?;
        let requests: Vec<PushRequest> =
            events.chunks(wire::MAX_BATCH).map(|b| PushRequest { events: b.to_vec(), audit: None }).collect();
        pushes.push((ledger.client()?, token, requests));
    }
    let t = Instant::now();
    let tasks: Vec<_> =
        pushes.into_iter().map(|(client, token, requests)| tokio::spawn(push_all(client, token, requests))).collect();
    let mut per_batch = Vec::new();
    let mut not_applied = 0usize;
    for task in tasks {
        let (times, n) = task.await.context("a pushing terminal panicked")??;
        per_batch.extend(times);
        not_applied += n;
    }
    let push_time = t.elapsed();

    // The references, like for like: as many COPY streams at once as terminals pushed (one
    // connection each), on a fresh database of their own, after the push's database has been
    // vacuumed (so that autovacuum is not working through the push's changes meanwhile):
    // - the very rows the push stored (every column, as PostgreSQL writes them out), COPYed raw
    //   into the ledger's own `events` table: the reference for the ratio;
    // - only the columns a counter sends (no `effect`, which only applying an event produces),
    //   into a table made like it.
    let mut stored_parts = Vec::new();
    for code in &codes {
        let mut conn = pool.acquire().await?;
        let chunks: Vec<bytes::Bytes> = conn
            .copy_out_raw(&format!("COPY (SELECT * FROM events WHERE terminal = '{code}' ORDER BY seq) TO STDOUT"))
            .await?
            .try_collect()
            .await?;
        stored_parts.push(chunks.concat());
    }
    let stored_bytes: usize = stored_parts.iter().map(Vec::len).sum();
    sqlx::query("VACUUM (ANALYZE)").execute(&pool).await?;
    let reference = Ledger::database(u32::try_from(terminals)? + 1).await?;
    let copy_time = copy_in(&reference, "COPY events FROM STDIN", &stored_parts, n_events).await?;
    sqlx::query("CREATE TABLE events_sent (LIKE events INCLUDING ALL)").execute(&reference).await?;
    let sent_time = copy_in(
        &reference,
        "COPY events_sent (event_id, terminal, seq, kind, payload, payload_sha256, created_at, account_no, amount, outcome)
         FROM STDIN",
        &sent_parts,
        n_events,
    )
    .await?;
    reference.close().await;

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
    let ratio = copy_time.as_secs_f64() / push_time.as_secs_f64();
    let mean = per_batch.iter().sum::<Duration>() / per_batch.len().max(1) as u32;
    table(
        &format!(
            "push_vs_copy ({n_events} events = {payments} payments + {} vends, {terminals} terminal{} at once)",
            n_events - payments,
            if terminals == 1 { "" } else { "s" }
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
                "COPY, the rows as stored".into(),
                format!(
                    "{:.2} s  {:>9.0} events/s  ({} bytes a row)",
                    copy_time.as_secs_f64(),
                    rate(copy_time),
                    stored_bytes / n_events.max(1)
                ),
            ),
            (
                "COPY, the columns sent".into(),
                format!(
                    "{:.2} s  {:>9.0} events/s  ({} bytes a row; push is {:.2}x this)",
                    sent_time.as_secs_f64(),
                    rate(sent_time),
                    sent_bytes / n_events.max(1),
                    sent_time.as_secs_f64() / push_time.as_secs_f64()
                ),
            ),
            (
                "HTTP push (applied)".into(),
                format!("{:.2} s  {:>9.0} events/s", push_time.as_secs_f64(), rate(push_time)),
            ),
            ("ratio push / COPY of the rows as stored".into(), format!("{ratio:.2}x  (target >= 0.30x)")),
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
    Ok(ratio)
}

/// The median and the range of some ratios, as "median 0.32x (0.30-0.34x, 3 rounds)".
fn summary(ratios: &mut [f64]) -> String {
    ratios.sort_by(f64::total_cmp);
    let (lo, hi) = (ratios.first().copied().unwrap_or(0.0), ratios.last().copied().unwrap_or(0.0));
    let mid = ratios.len() / 2;
    let median = match ratios.len() {
        0 => 0.0,
        n if n % 2 == 0 => (ratios[mid - 1] + ratios[mid]) / 2.0,
        _ => ratios[mid],
    };
    format!(
        "median {median:.2}x ({lo:.2}-{hi:.2}x, {} round{})",
        ratios.len(),
        if ratios.len() == 1 { "" } else { "s" }
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n_events = common::env_num("BENCH_PUSH_EVENTS", 100_000, 10_000) as usize;
    let n_accounts = common::env_num("BENCH_PUSH_ACCOUNTS", 20_000, 4_000);
    let terminals = common::env_num("BENCH_PUSH_TERMINALS", 4, 4).max(1) as usize;
    let rounds = common::env_num("BENCH_PUSH_ROUNDS", 3, 1).max(1);
    println!(
        "push_vs_copy: {n_events} events, {n_accounts} accounts, batches of {}, {rounds} round{}",
        wire::MAX_BATCH,
        if rounds == 1 { "" } else { "s" }
    );
    // Each round measures both ways, one after the other, so that the machine's own drift (a
    // virtual machine's CPU and disk vary from minute to minute) falls on both alike.
    let (mut one, mut many) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        one.push(run(n_events, n_accounts, 1).await?);
        if terminals > 1 {
            many.push(run(n_events, n_accounts, terminals).await?);
        }
    }
    println!("\nratio push / COPY of the rows as stored (target >= 0.30x):");
    println!("  one terminal      {}", summary(&mut one));
    if terminals > 1 {
        println!("  {terminals} terminals at once {}", summary(&mut many));
    }
    Ok(())
}
