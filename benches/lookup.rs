//! Look-up benchmark (`cargo bench --bench lookup`, or `make bench`).
//!
//! Builds a counter database of `BENCH_ACCOUNTS` accounts (default 1,000,000) with
//! `BENCH_BILLS` monthly bills each (default 12) through the real migrations and indexes, then
//! reports p50/p99 latency of: a 户号 look-up, a name/address search (mixed: surnames, full names,
//! address fragments) and a quote (account + open bills + late fees). Targets from the foundation
//! issue: 户号 p99 ≤ 1 ms, search p99 ≤ 20 ms. Data is generated inside SQLite with a recursive CTE
//! so building a million accounts takes a minute, not an hour.

mod common;

use std::time::{Duration, Instant};

use cashdesk::{
    accounts::{AccountNo, db, quote},
    policy::Policy,
    store,
};
use chrono::NaiveDate;
use common::{GIVEN, ROADS, SURNAMES, Stats, build, env_num};
use rand::{Rng, SeedableRng, rngs::StdRng};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let accounts = env_num("BENCH_ACCOUNTS", 1_000_000);
    let bills = env_num("BENCH_BILLS", 12);
    let samples = env_num("BENCH_SAMPLES", 2_000) as usize;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.sqlite");
    let pool = store::open(&path).await?;
    let t = Instant::now();
    build(&pool, accounts, bills).await?;
    let (a, b) = db::count(&mut *pool.acquire().await?).await?;
    let size = std::fs::metadata(&path)?.len() / (1024 * 1024);
    println!("built {a} accounts and {b} bills in {} s (database {size} MiB)", t.elapsed().as_secs());

    let mut rng = StdRng::seed_from_u64(7);
    let mut conn = pool.acquire().await?;
    let policy = Policy::default();
    let on = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();

    let mut by_no = Stats { name: "户号 look-up", samples: Vec::new() };
    let mut quote_s = Stats { name: "quote (account+bills+fees)", samples: Vec::new() };
    for _ in 0..samples {
        let no = AccountNo::parse(&format!("3{:09}", rng.gen_range(1..=accounts)))?;
        let t = Instant::now();
        let acc = db::by_no(&mut conn, &no).await?;
        by_no.samples.push(t.elapsed());
        let t = Instant::now();
        if let Some(acc) = db::by_no(&mut conn, &no).await? {
            let open = db::open_bills(&mut conn, acc.id).await?;
            std::hint::black_box(quote::quote(&no, acc.category, &open, on, &policy.late_fee));
        }
        quote_s.samples.push(t.elapsed());
        std::hint::black_box(acc);
    }

    let surnames: Vec<char> = SURNAMES.chars().collect();
    let given: Vec<char> = GIVEN.chars().collect();
    let mut search = Stats { name: "search (mixed)", samples: Vec::new() };
    let mut kinds = [
        Stats { name: "  surname (1 char)", samples: Vec::new() },
        Stats { name: "  full name (2 chars)", samples: Vec::new() },
        Stats { name: "  name/address (3+ chars)", samples: Vec::new() },
        Stats { name: "  户号 prefix", samples: Vec::new() },
    ];
    for i in 0..samples {
        let kind = i % 4;
        let q = match kind {
            0 => surnames[rng.gen_range(0..surnames.len())].to_string(),
            1 => format!("{}{}", surnames[rng.gen_range(0..surnames.len())], given[rng.gen_range(0..given.len())]),
            2 => {
                let road = ROADS[rng.gen_range(0..ROADS.len())];
                if rng.gen_bool(0.5) { format!("{road}{}号", rng.gen_range(1..300)) } else { road.to_string() }
            }
            _ => format!("3{:05}", rng.gen_range(0..100_000)),
        };
        let t = Instant::now();
        let hits = db::search(&mut conn, &q).await?;
        let d = t.elapsed();
        std::hint::black_box(hits);
        search.samples.push(d);
        kinds[kind].samples.push(d);
    }
    println!("\n{samples} samples each, 2026-11-23 quotes, release build:");
    by_no.print();
    search.print();
    for k in &kinds {
        k.print();
    }
    quote_s.print();
    let ok_no = by_no.pct(99) <= Duration::from_millis(1);
    let ok_search = search.pct(99) <= Duration::from_millis(20);
    println!(
        "\ntargets: 户号 p99 ≤ 1 ms: {}; search p99 ≤ 20 ms: {}",
        if ok_no { "met" } else { "MISSED" },
        if ok_search { "met" } else { "MISSED" }
    );
    Ok(())
}
