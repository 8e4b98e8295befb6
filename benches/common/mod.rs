//! What the counter's benchmarks share: a million-account database built inside SQLite, and
//! latency statistics.

#![allow(dead_code, reason = "each benchmark uses the part it needs")]

use std::time::Duration;

pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub struct Stats {
    pub name: &'static str,
    pub samples: Vec<Duration>,
}

impl Stats {
    pub fn pct(&self, p: usize) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        s[(s.len() * p / 100).min(s.len() - 1)]
    }

    pub fn print(&self) {
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

pub const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗";
pub const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚";
pub const ROADS: [&str; 10] =
    ["人民路", "解放路", "建设路", "中山路", "幸福路", "和平路", "光明街", "胜利街", "文化路", "团结路"];

pub async fn build(pool: &sqlx::SqlitePool, accounts: u64, bills: u64) -> anyhow::Result<()> {
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
