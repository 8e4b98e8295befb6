//! Look-up benchmark (`cargo bench --bench lookup`, or `make bench`).
//!
//! Builds a counter database of `BENCH_ACCOUNTS` accounts (default 1,000,000) with
//! `BENCH_BILLS` monthly bills each (default 12) through the real migrations and indexes, then
//! reports p50/p99 latency of: a 户号 look-up, a name/address search (mixed: surnames, full names,
//! address fragments) and a quote (account + open bills + late fees). Targets from the foundation
//! issue: 户号 p99 ≤ 1 ms, search p99 ≤ 20 ms. Data is generated inside SQLite with a recursive CTE
//! so building a million accounts takes a minute, not an hour.

use std::time::{Duration, Instant};

use cashdesk::{
    accounts::{AccountNo, db, quote},
    policy::Policy,
    store,
};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Stats {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Stats {
    fn pct(&self, p: usize) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        s[(s.len() * p / 100).min(s.len() - 1)]
    }

    fn print(&self) {
        println!(
            "{:<28} n={:<6} p50={:>7} µs  p99={:>7} µs  max={:>7} µs",
            self.name,
            self.samples.len(),
            self.pct(50).as_micros(),
            self.pct(99).as_micros(),
            self.pct(100).as_micros()
        );
    }
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚";
const ROADS: [&str; 10] =
    ["人民路", "解放路", "建设路", "中山路", "幸福路", "和平路", "光明街", "胜利街", "文化路", "团结路"];

async fn build(pool: &sqlx::SqlitePool, accounts: u64, bills: u64) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    // Names: surname + one or two given-name characters; addresses: district, road, numbers.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, prepaid_balance_fen, updated_at)
         SELECT printf('3%09d', i),
                substr(?2, (i % 20) + 1, 1) || substr(?3, ((i / 20) % 20) + 1, 1) || CASE WHEN i % 3 = 0 THEN substr(?3, ((i / 400) % 20) + 1, 1) ELSE '' END,
                '示范市' || CASE i % 5 WHEN 0 THEN '城关区' WHEN 1 THEN '东城区' WHEN 2 THEN '西城区' WHEN 3 THEN '新华区' ELSE '开发区' END
                    || CASE (i / 5) % 10 WHEN 0 THEN '人民路' WHEN 1 THEN '解放路' WHEN 2 THEN '建设路' WHEN 3 THEN '中山路' WHEN 4 THEN '幸福路'
                                          WHEN 5 THEN '和平路' WHEN 6 THEN '光明街' WHEN 7 THEN '胜利街' WHEN 8 THEN '文化路' ELSE '团结路' END
                    || ((i / 50) % 300 + 1) || '号' || ((i / 7) % 20 + 1) || '栋' || (i % 1700 + 101) || '室',
                CASE WHEN i % 10 < 6 THEN 'residential' WHEN i % 10 < 8 THEN 'commercial' WHEN i % 10 < 9 THEN 'industrial' ELSE 'agricultural' END,
                CASE WHEN i % 7 = 0 THEN 'prepaid' ELSE 'postpaid' END,
                printf('0110%09d', (i * 7919) % 1000000000),
                1, 0, '2026-11-01T00:00:00+08:00'
         FROM n",
    )
    .bind(accounts as i64)
    .bind(SURNAMES)
    .bind(GIVEN)
    .execute(&mut *tx)
    .await?;
    // Bills: `bills` months ending 2026-10, the last one or two unpaid for one account in five.
    sqlx::query(
        "WITH RECURSIVE m(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM m WHERE k < ?1 - 1)
         INSERT INTO bills (account_id, period, kwh, amount_fen, paid_fen, due_date, late_fee_from)
         SELECT a.id,
                CAST(strftime('%Y%m', date('2026-10-01', printf('-%d months', k))) AS INTEGER),
                '200', 10566 + (a.id % 5000), CASE WHEN a.id % 5 = 0 AND k < 2 THEN 0 ELSE 10566 + (a.id % 5000) END,
                date('2026-10-01', printf('-%d months', k), '+1 month', '+19 days'),
                date('2026-10-01', printf('-%d months', k), '+1 month', '+19 days')
         FROM accounts a CROSS JOIN m WHERE a.billing_mode = 'postpaid'",
    )
    .bind(bills as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}

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
