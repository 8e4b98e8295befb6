//! Shared by the ledger's benchmarks (`mod common;` in each): a ledger on a fresh PostgreSQL
//! database served on loopback, generated accounts and bills, and simulated counters whose events
//! are shaped exactly like the counter's outbox payloads (`src/desk/counter.rs`, `Desk::take`).
//!
//! The cluster is found like the tests find it (`ledger/tests/support/pg.rs`, reused as is):
//! `CASHDESK_TEST_PG`, which `make bench` sets to a throwaway cluster, else one started for the run.
//!
//! Event payloads: a real counter computes a payment's lines with the core's settlement rule on its
//! bills (`payments::settle`) and writes them with `serde_json::json!`. [`Sim`] keeps each account's
//! bills in memory, settles with the same rule and policy on the same dates and writes the same JSON
//! object (same keys, same types), so the ledger recomputes the same allocation and applies every
//! event without a conflict. `push_vs_copy` checks the key set against a payload a real `Desk` wrote.
#![allow(dead_code)]
// Timing figures, never money: floats are fine here.
#![allow(clippy::float_arithmetic, clippy::disallowed_types, clippy::cast_precision_loss)]

/// The service's allocator (`cashdesk-ledger` sets the same one): the benches run the ledger in
/// their own process and measure it as it is deployed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../../tests/support/pg.rs"]
pub mod pg;
#[path = "../../tests/support/served.rs"]
pub mod served;

use std::net::SocketAddr;

use anyhow::Context;
use std::time::Duration;

use cashdesk::{
    accounts::{Bill, Category, Period},
    money::Yuan,
    payments::settle,
    policy::{LateFeePolicy, Policy},
    sync::{
        client::{LedgerClient, LedgerUrl},
        token::Token,
        wire::{EnrolRequest, PushEvent},
    },
};
use cashdesk_ledger::{db, terminals};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// Whether a quick run was asked for (`CASHDESK_BENCH_QUICK=1`).
pub fn quick() -> bool {
    std::env::var("CASHDESK_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A number from the environment, else `full` (or `quick_value` on a quick run).
pub fn env_num(name: &str, full: u64, quick_value: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(if quick() { quick_value } else { full })
}

/// A ledger serving on a free loopback port, on its own fresh database.
pub struct Ledger {
    pub url: String,
    pub pool: PgPool,
    served: served::Served,
}

impl Ledger {
    /// A migrated, empty ledger database (not served yet).
    pub async fn database(max_connections: u32) -> anyhow::Result<PgPool> {
        let db_url = pg::fresh_database_url().await;
        let pool = db::connect(&db_url, max_connections).await.context("connect to the bench database")?;
        db::migrate(&pool).await.context("migrate the bench database")?;
        Ok(pool)
    }

    /// Serve `pool` on 127.0.0.1 (any free port) as `cashdesk-ledger serve` does (plain HTTP).
    pub async fn serve(pool: PgPool) -> anyhow::Result<Ledger> {
        let key = cashdesk::datakey::DataKey::generate().context("a data key")?;
        let state = cashdesk_ledger::api::AppState::new(pool.clone(), key);
        let served = served::Served::start(state, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        Ok(Ledger { url: served.url.clone(), pool, served })
    }

    /// The counter's own HTTP client (`cashdesk::sync::client`) for this ledger.
    pub fn client(&self) -> anyhow::Result<LedgerClient> {
        Ok(LedgerClient::new(LedgerUrl::parse(&self.url)?)?)
    }

    /// Enrol `terminal` the way a counter does: the administrator's one-time code, exchanged for a
    /// token over `POST /v1/enrol`.
    pub async fn enrol(&self, terminal: &str) -> anyhow::Result<Token> {
        let code = terminals::enrol(&self.pool, terminal, None).await.context("terminal enrol")?;
        let res =
            self.client()?.enrol(&EnrolRequest { terminal: terminal.into(), code }).await.context("POST /v1/enrol")?;
        Ok(Token::new(res.token)?)
    }

    pub async fn count(&self, sql: &str) -> anyhow::Result<i64> {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.pool)
            .await
            .with_context(|| format!("count: {sql}"))?;
        Ok(n)
    }

    pub async fn stop(&mut self) {
        self.served.stop().await;
    }
}

/// A small deterministic generator (xorshift64*): the same data on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The bill periods every generated postpaid account has (two overdue by March 2026: late fees).
pub const PERIODS: [(u32, &str); 3] = [(202512, "2026-01-20"), (202601, "2026-02-20"), (202602, "2026-03-20")];

/// An account of the generated province: `31` + 8 digits; every 5th is a prepaid (vend) account.
#[derive(Debug, Clone)]
pub struct GenAccount {
    pub no: String,
    pub category: Category,
    pub prepaid_mode: bool,
    pub bills: Vec<Bill>,
    pub prepaid: Yuan,
}

pub fn account_no(i: u64) -> String {
    format!("31{i:08}")
}

/// Accounts `first..first+n` with their bills (amounts from the seed), and the CSV files the
/// ledger imports them from (`cashdesk_ledger::import`, the `cashdeskctl import` formats).
pub fn province(first: u64, n: u64, seed: u64) -> anyhow::Result<(Vec<GenAccount>, String, String)> {
    let mut rng = Rng::new(seed);
    let mut accounts_csv = String::from(
        "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance\n",
    );
    let mut bills_csv = String::from("account_no,period,kwh,amount,due_date,paid\n");
    let mut out = Vec::with_capacity(n as usize);
    for i in first..first + n {
        let no = account_no(i);
        let prepaid_mode = i % 5 == 4;
        let category = if i % 10 == 3 { Category::Commercial } else { Category::Residential };
        accounts_csv.push_str(&format!(
            "{no},用户{i},示范市城关区人民路{}号{}室,{},{},0110{i:09},1,138{:08},,0\n",
            i % 500,
            i % 1000,
            category.as_str(),
            if prepaid_mode { "prepaid" } else { "postpaid" },
            i % 100_000_000
        ));
        let mut bills = Vec::new();
        if !prepaid_mode {
            for (k, (period, due)) in PERIODS.iter().enumerate() {
                let kwh = rng.range(80, 600);
                let amount = Yuan::from_fen(kwh as i64 * 53);
                let due_date = NaiveDate::parse_from_str(due, "%Y-%m-%d")?;
                bills_csv.push_str(&format!("{no},{period},{kwh},{amount},{due},0\n"));
                bills.push(Bill {
                    id: (i * 10 + k as u64) as i64,
                    period: Period::from_number(*period).with_context(|| format!("period {period}"))?,
                    kwh: kwh.to_string(),
                    amount,
                    paid: Yuan::ZERO,
                    due_date,
                    late_fee_from: due_date,
                    late_fee_received: Yuan::ZERO,
                    late_fee_waived: Yuan::ZERO,
                    late_fee_owed: Yuan::ZERO,
                    written_off: false,
                });
            }
        }
        out.push(GenAccount { no, category, prepaid_mode, bills, prepaid: Yuan::ZERO });
    }
    Ok((out, accounts_csv, bills_csv))
}

/// A simulated counter: its own accounts, cash payments and vends in seq order, payloads as
/// `Desk::take` writes them.
#[derive(Debug)]
pub struct Sim {
    pub terminal: String,
    pub seq: i64,
    receipt: u64,
    shift: i64,
    cashier: String,
    pub accounts: Vec<GenAccount>,
    rng: Rng,
    late_fee: LateFeePolicy,
    now: DateTime<FixedOffset>,
}

impl Sim {
    pub fn new(terminal: &str, accounts: Vec<GenAccount>, seed: u64) -> anyhow::Result<Sim> {
        Ok(Sim {
            terminal: terminal.to_string(),
            seq: 0,
            receipt: 0,
            shift: 1,
            cashier: "cashier1".into(),
            accounts,
            rng: Rng::new(seed),
            late_fee: Policy::default().late_fee,
            now: DateTime::parse_from_rfc3339("2026-03-02T08:30:00+08:00")?,
        })
    }

    /// The next event: a cash payment on a postpaid account (4 in 5), else a cash vend.
    pub fn next_event(&mut self) -> PushEvent {
        self.now += chrono::Duration::seconds(self.rng.range(1, 4) as i64);
        let vend = self.rng.range(0, 4) == 0;
        let idx = loop {
            let i = self.rng.range(0, self.accounts.len() as u64 - 1) as usize;
            if self.accounts[i].prepaid_mode == vend {
                break i;
            }
        };
        let amount = if vend {
            Yuan::from_fen(self.rng.range(50, 500) as i64 * 100)
        } else {
            Yuan::from_fen(self.rng.range(1_000, 30_000) as i64)
        };
        let tendered = Yuan::from_fen(((amount.fen() + 9_999) / 10_000) * 10_000);
        let today = self.now.date_naive();
        let a = &mut self.accounts[idx];
        let open: Vec<Bill> = a.bills.iter().filter(|b| b.paid < b.amount).cloned().collect();
        let s = settle::settle(&open, a.category, today, &self.late_fee, amount, false);
        for ch in &s.changes {
            if let Some(b) = a.bills.iter_mut().find(|b| b.id == ch.bill_id) {
                settle::apply_change(b, ch, today);
            }
        }
        a.prepaid += s.prepaid();
        let lines_json: Vec<serde_json::Value> = s
            .lines
            .iter()
            .map(|l| json!({"period": l.period.map(|p| p.to_string()), "kind": l.kind, "amount": l.amount}))
            .collect();
        let waived_json: Vec<serde_json::Value> = s
            .waived
            .iter()
            .filter_map(|(id, fee)| {
                open.iter().find(|b| b.id == *id).map(|b| json!({"period": b.period.to_string(), "amount": fee}))
            })
            .collect();
        self.receipt += 1;
        self.seq += 1;
        let kind = if vend { "vend" } else { "payment" };
        let event_id = uuid::Uuid::now_v7().to_string();
        let receipt_no = format!("{}-{}-{:06}", self.terminal, 2026, self.receipt);
        let voucher: Option<serde_json::Value> = None;
        let waiver: Option<String> = None;
        let due: Option<NaiveDate> = None;
        let approved: Option<String> = None;
        let payload = json!({
            "event_id": event_id, "receipt_no": receipt_no, "kind": kind, "account_no": a.no,
            "shift": self.shift, "cashier": self.cashier, "method": "cash", "amount": amount,
            "tendered": Some(tendered), "change": Some(tendered - amount), "voucher": voucher, "lines": lines_json,
            "late_fee_waived": s.waived_total(), "late_fee_waived_by_period": waived_json, "waiver_reason": waiver, "holiday_cash_due": due,
            "approved_by": approved, "prepaid_after": a.prepaid,
            "at": self.now.to_rfc3339(),
        });
        let text = payload.to_string();
        PushEvent {
            payload_sha256: hex::encode(Sha256::digest(text.as_bytes())),
            event_id,
            seq: self.seq,
            kind: kind.into(),
            terminal: self.terminal.clone(),
            payload: text,
            created_at: self.now.to_rfc3339(),
            secret: None,
        }
    }

    pub fn batch(&mut self, n: usize) -> Vec<PushEvent> {
        (0..n).map(|_| self.next_event()).collect()
    }
}

/// Sorted durations: the `q` quantile (0..=1).
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Prints a table of (figure, value) rows under a title.
pub fn table(title: &str, rows: &[(String, String)]) {
    let w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    println!("\n{title}");
    println!("{}", "-".repeat(title.chars().count().max(40)));
    for (k, v) in rows {
        let pad = w - k.chars().count();
        println!("  {k}{}  {v}", " ".repeat(pad));
    }
}
