//! Many counters at once (`cargo bench -p cashdesk-ledger --bench concurrent_terminals`, or `make bench`).
//!
//! T simulated terminals (default 200), each enrolled with its own token over `POST /v1/enrol`, each
//! with its own accounts (50 each, with bills), push small batches (1-20 cash payments and vends,
//! payloads shaped like the counter's outbox, see `common`) through the HTTP API on loopback with
//! the core's client, back to back with no pause, for a duration (default 60 s). Reports the events
//! pushed, the errors (a failed request, or an event not answered `applied`: must be 0), and the
//! request latency percentiles. Afterwards it checks that the ledger stored exactly what was
//! acknowledged.
//!
//! Environment: `BENCH_TERMINALS` (default 200), `BENCH_SECONDS` (default 60; 10 with
//! `CASHDESK_BENCH_QUICK=1`), `BENCH_POOL` (the ledger's PostgreSQL pool, default 20 as `serve`).

// Timing figures (seconds, rates), never money: floats are fine here.
#![allow(clippy::float_arithmetic, clippy::disallowed_types, clippy::cast_precision_loss)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cashdesk::sync::wire::{Outcome, PushRequest};
use cashdesk_ledger::{config::DEFAULT_MAX_CONNECTIONS, import};
use common::{Ledger, Rng, Sim, ms, quantile, table};

const ACCOUNTS_EACH: u64 = 50;

#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    events: u64,
    errors: u64,
    first_error: Option<String>,
    latencies: Vec<Duration>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let terminals = common::env_num("BENCH_TERMINALS", 200, 200);
    let seconds = common::env_num("BENCH_SECONDS", 60, 10);
    let pool_size =
        common::env_num("BENCH_POOL", u64::from(DEFAULT_MAX_CONNECTIONS), u64::from(DEFAULT_MAX_CONNECTIONS));
    println!(
        "concurrent_terminals: {terminals} terminals x {ACCOUNTS_EACH} accounts, {seconds} s, ledger pool {pool_size}"
    );

    let pool = Ledger::database(u32::try_from(pool_size)?).await?;
    let (accounts, accounts_csv, bills_csv) = common::province(0, terminals * ACCOUNTS_EACH, 23)?;
    // The terminals only push: one area for all the accounts will do.
    import::accounts(
        &pool,
        &cashdesk::datakey::DataKey::generate()?,
        accounts_csv.as_bytes(),
        Some(&cashdesk::config::Area::parse("BT")?),
    )
    .await?;
    import::bills(&pool, bills_csv.as_bytes()).await?;
    let mut ledger = Ledger::serve(pool).await?;

    let mut sims = Vec::new();
    for (t, own) in accounts.chunks(ACCOUNTS_EACH as usize).enumerate() {
        let code = format!("BT{:03}-01", t + 1);
        let token = ledger.enrol(&code).await?;
        sims.push((Sim::new(&code, own.to_vec(), 1000 + t as u64)?, token));
    }

    let client = ledger.client()?;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (mut sim, token)) in sims.into_iter().enumerate() {
        let (client, stop) = (client.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(5000 + i as u64);
            let mut tally = Tally::default();
            while !stop.load(Ordering::Relaxed) {
                let events = sim.batch(rng.range(1, 20) as usize);
                let t = Instant::now();
                let res = client.push(&token, &PushRequest { events: events.clone(), audit: None }).await;
                tally.latencies.push(t.elapsed());
                tally.requests += 1;
                match res {
                    Ok(r) => {
                        let bad = r.results.iter().filter(|r| r.outcome != Outcome::Applied).count() as u64;
                        tally.events += r.results.len() as u64 - bad;
                        if bad > 0 || r.results.len() != events.len() {
                            tally.errors += bad.max(1);
                            tally.first_error.get_or_insert_with(|| format!("{:?}", r.results));
                        }
                    }
                    Err(e) => {
                        tally.errors += 1;
                        tally.first_error.get_or_insert_with(|| e.to_string());
                        // The counter would retry this batch later; the simulation moves on (its
                        // seq stays increasing), and the error is counted.
                    }
                }
            }
            tally
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await?;
        all.requests += t.requests;
        all.events += t.events;
        all.errors += t.errors;
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
        all.latencies.extend(t.latencies);
    }
    let elapsed = started.elapsed();
    let stored = ledger.count("SELECT COUNT(*) FROM events WHERE outcome = 'applied'").await?;
    let conflicts = ledger.count("SELECT COUNT(*) FROM conflicts").await?;
    ledger.stop().await;

    all.latencies.sort();
    let l = &all.latencies;
    table(
        &format!(
            "concurrent_terminals ({terminals} terminals, batches of 1-20 events, {:.0} s)",
            elapsed.as_secs_f64()
        ),
        &[
            ("requests".into(), format!("{}  ({:.0}/s)", all.requests, all.requests as f64 / elapsed.as_secs_f64())),
            ("events applied".into(), format!("{}  ({:.0}/s)", all.events, all.events as f64 / elapsed.as_secs_f64())),
            ("errors".into(), all.errors.to_string()),
            ("stored in the ledger".into(), format!("{stored} events, {conflicts} conflicts")),
            (
                "request latency".into(),
                format!(
                    "p50 {}  p90 {}  p99 {}  max {}",
                    ms(quantile(l, 0.5)),
                    ms(quantile(l, 0.9)),
                    ms(quantile(l, 0.99)),
                    ms(quantile(l, 1.0))
                ),
            ),
        ],
    );
    if let Some(e) = &all.first_error {
        println!("  first error: {e}");
    }
    anyhow::ensure!(all.errors == 0, "{} errors", all.errors);
    anyhow::ensure!(stored as u64 == all.events, "the ledger stored {stored} events but acknowledged {}", all.events);
    Ok(())
}
