//! The finance list (`cargo bench -p cashdesk-ledger --bench refund_list`, or `make bench`).
//!
//! A ledger holding N refund requests (default 100,000) from 1,000 terminals in 40 areas over two
//! years, most of them long paid or rejected and the recent ones open, and the finance list asked
//! the questions a reviewer asks: what waits at the ledger in my area this quarter between two
//! amounts, what is overdue (everywhere, in an area), one terminal's requests, an area's payouts
//! over a year, and the first page of everything. Each query runs many times; the figures are the
//! storage function (`refunds::list`, what the finance API and the command line call) and the HTTP
//! endpoint (`GET /v1/finance/refunds` with a session, JSON included). Target from the issue:
//! p99 ≤ 50 ms at the ledger.
//!
//! The requests are written straight into PostgreSQL with one `INSERT ... SELECT generate_series`
//! (pushing 100,000 submissions would time the push, not the list), in shapes a push and the
//! finance work leave (the table's checks hold: a paid request has its payout, a decided one its
//! reviewer).
//!
//! Environment: `BENCH_REFUNDS` (default 100000; 20000 with `CASHDESK_BENCH_QUICK=1`),
//! `BENCH_REFUND_RUNS` (runs of each query, default 300; 50 quick).

// Timing figures, never money: floats are fine here.
#![allow(clippy::float_arithmetic, clippy::disallowed_types, clippy::cast_precision_loss)]

mod common;

use std::time::{Duration, Instant};

use cashdesk::{
    datakey::DataKey,
    refunds::State,
    sync::finance::{FinanceRole, RefundList, RefundQuery},
};
use cashdesk_ledger::{
    audit::Channel,
    config::DEFAULT_MAX_CONNECTIONS,
    refunds::{self, china},
    sessions, users,
};
use chrono::{Duration as Days, Utc};
use common::{Ledger, ms, quantile, table};

const PASSWORD: &str = "Bench#2026-finance";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = common::env_num("BENCH_REFUNDS", 100_000, 20_000);
    let runs = usize::try_from(common::env_num("BENCH_REFUND_RUNS", 300, 50))?;
    println!("refund_list: {n} requests, {runs} runs of each query");

    let pool = Ledger::database(DEFAULT_MAX_CONNECTIONS).await?;
    let now = Utc::now().with_timezone(&china());
    let today = now.date_naive();
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier, prepaid_balance)
         SELECT '31' || lpad(i::text, 8, '0'), '用户' || i, '示范市城关区人民路' || (i % 500) || '号',
                'residential', 'prepaid', '0110' || lpad(i::text, 9, '0'), 1, 10000
         FROM generate_series(0, 49999) AS i",
    )
    .execute(&pool)
    .await?;
    let sealed = DataKey::generate()?.seal(cashdesk_ledger::datakey::PAYEE_ACCOUNT, "6222021234567890123")?;
    // Age in days (0..729) and minutes spread the submissions; the last 30 days are mostly open,
    // older ones paid (80%), rejected by finance (10%) or at the hall (9%), and 1% still open
    // (overdue). Areas C00..C39, 25 terminals each.
    sqlx::query(
        "WITH g AS (
             SELECT i, (i * 7919) % 730 AS age, (i * 104729) % 500000 AS cents, i % 100 AS pick FROM generate_series(1, $1) AS i
         ), s AS (
             SELECT i, age, cents, pick,
                    CASE WHEN age < 30 THEN (ARRAY['submitted', 'hall_approved', 'at_ledger', 'at_ledger', 'finance_approved',
                                                  'paid', 'finance_rejected', 'hall_rejected'])[1 + pick % 8]
                         WHEN pick < 80 THEN 'paid' WHEN pick < 90 THEN 'finance_rejected'
                         WHEN pick < 99 THEN 'hall_rejected' ELSE 'at_ledger' END AS state,
                    $2::timestamptz - age * interval '1 day' - (i % 600) * interval '1 minute' AS at
             FROM g
         )
         INSERT INTO refunds (refund_id, request_no, terminal, account_no, amount, reason, payee_name, payee_bank,
                              payee_branch, payee_account_sealed, payee_account_masked, docs, state, submitted_by,
                              submitted_at, hall_by, hall_at, finance_by, finance_at, finance_reason, paid_by, paid_at,
                              paid_amount, payout_date, payout_ref)
         SELECT gen_random_uuid(), 'C' || lpad((i % 40)::text, 2, '0') || '-TF-' || i, 
                'C' || lpad((i % 40)::text, 2, '0') || '-' || lpad(((i / 40) % 25)::text, 2, '0'),
                '31' || lpad((i % 50000)::text, 8, '0'), 1 + cents / 100.0,
                (ARRAY['overpaid', 'duplicate', 'closure', 'billing_error', 'other'])[1 + (i / 40) % 5],
                '用户' || (i % 50000), '102', '工行示范市支行', $3, '6222 **** **** 0123',
                '{\"closure_form\":false,\"id_card\":true,\"original_receipt\":true}'::jsonb, state, 'cashier' || (i % 300),
                at,
                CASE WHEN state <> 'submitted' THEN 'super' || (i % 100) END,
                CASE WHEN state <> 'submitted' THEN at + interval '1 hour' END,
                CASE WHEN state IN ('finance_approved', 'finance_rejected', 'paid') THEN 'finance' || (i % 20) END,
                CASE WHEN state IN ('finance_approved', 'finance_rejected', 'paid') THEN at + interval '2 days' END,
                CASE WHEN state = 'finance_rejected' THEN '资料不全' END,
                CASE WHEN state = 'paid' THEN 'finance' || (i % 20) END,
                CASE WHEN state = 'paid' THEN at + interval '3 days' END,
                CASE WHEN state = 'paid' THEN 1 + cents / 100.0 END,
                CASE WHEN state = 'paid' THEN (at + interval '3 days')::date END,
                CASE WHEN state = 'paid' THEN 'ICBC' || i END
         FROM s",
    )
    .bind(i64::try_from(n)?)
    .bind(now)
    .bind(&sealed)
    .execute(&pool)
    .await?;
    sqlx::query("VACUUM ANALYZE accounts").execute(&pool).await?;
    // The list counts its matches from the indexes alone when the table's pages are all-visible,
    // as the older (decided) requests' pages are once autovacuum has passed. A VACUUM right after
    // the load can leave them unmarked while an autovacuum worker holds an older snapshot: vacuum
    // until they are marked (the figures below say how many are).
    let mut visible = (0, 0);
    for _ in 0..20 {
        sqlx::query("VACUUM ANALYZE refunds").execute(&pool).await?;
        visible =
            sqlx::query_as::<_, (i32, i32)>("SELECT relallvisible, relpages FROM pg_class WHERE relname = 'refunds'")
                .fetch_one(&pool)
                .await?;
        if visible.0 >= visible.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let load_time = t.elapsed();

    let mut ledger = Ledger::serve(pool.clone()).await?;
    users::add(&pool, "bench", "finance1", None, FinanceRole::Finance, PASSWORD, now.fixed_offset(), Channel::Cli)
        .await?;
    let session = sessions::login(&pool, "finance1", PASSWORD, now.fixed_offset(), Channel::Api).await?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();

    let date = |days: i64| (today - Days::days(days)).to_string();
    let queries: Vec<(&str, RefundQuery, String)> = vec![
        (
            "at_ledger, area, 90 days, 100-2000",
            RefundQuery {
                state: Some(State::AtLedger),
                area: Some("C07".into()),
                from: Some(date(90)),
                to: Some(date(0)),
                min_amount: Some("100.00".into()),
                max_amount: Some("2000.00".into()),
                ..RefundQuery::default()
            },
            format!("state=at_ledger&area=C07&from={}&to={}&min_amount=100.00&max_amount=2000.00", date(90), date(0)),
        ),
        ("overdue", RefundQuery { overdue: Some(true), ..RefundQuery::default() }, "overdue=true".to_string()),
        (
            "overdue, area",
            RefundQuery { overdue: Some(true), area: Some("C12".into()), ..RefundQuery::default() },
            "overdue=true&area=C12".to_string(),
        ),
        (
            "paid, area, a year, reason",
            RefundQuery {
                state: Some(State::Paid),
                area: Some("C21".into()),
                from: Some(date(365)),
                reason: Some(cashdesk::refunds::Reason::Overpaid),
                ..RefundQuery::default()
            },
            format!("state=paid&area=C21&from={}&reason=overpaid", date(365)),
        ),
        (
            "one terminal",
            RefundQuery { terminal: Some("C03-04".into()), ..RefundQuery::default() },
            "terminal=C03-04".to_string(),
        ),
        ("everything, first page", RefundQuery::default(), String::new()),
        ("everything, 500 a page", RefundQuery { limit: Some(500), ..RefundQuery::default() }, "limit=500".to_string()),
    ];

    let mut rows = vec![(
        "ledger data".to_string(),
        format!(
            "{n} requests (generate_series INSERT + VACUUM ANALYZE in {:.1} s; {} of {} pages all-visible)",
            load_time.as_secs_f64(),
            visible.0,
            visible.1
        ),
    )];
    let (mut all_fn, mut all_http) = (Vec::new(), Vec::new());
    for (name, q, qs) in &queries {
        // Warm up (plans, caches), then measure.
        let first = refunds::list(&pool, q, today).await?;
        for _ in 0..5 {
            refunds::list(&pool, q, today).await?;
        }
        let mut by_fn = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let list = refunds::list(&pool, q, today).await?;
            by_fn.push(t.elapsed());
            anyhow::ensure!(list.total == first.total, "{name}: the answer changed");
        }
        let mut by_http = Vec::with_capacity(runs);
        for i in 0..runs + 5 {
            let t = Instant::now();
            let r =
                http.get(format!("{}/v1/finance/refunds?{qs}", ledger.url)).bearer_auth(&session.token).send().await?;
            anyhow::ensure!(r.status().is_success(), "{name}: HTTP {}", r.status());
            let list: RefundList = r.json().await?;
            if i >= 5 {
                by_http.push(t.elapsed());
            }
            anyhow::ensure!(list.total == first.total, "{name}: the API's answer differs");
        }
        by_fn.sort();
        by_http.sort();
        rows.push((
            format!("{name} ({} match, {} shown)", first.total, first.items.len()),
            format!(
                "function p50 {} p99 {} | HTTP p50 {} p99 {}",
                ms(quantile(&by_fn, 0.5)),
                ms(quantile(&by_fn, 0.99)),
                ms(quantile(&by_http, 0.5)),
                ms(quantile(&by_http, 0.99))
            ),
        ));
        all_fn.extend(by_fn);
        all_http.extend(by_http);
    }
    all_fn.sort();
    all_http.sort();
    let p99 = |v: &[Duration]| quantile(v, 0.99);
    rows.push((
        "all queries".into(),
        format!(
            "function p50 {} p99 {} | HTTP p50 {} p99 {}  (target p99 <= 50 ms)",
            ms(quantile(&all_fn, 0.5)),
            ms(p99(&all_fn)),
            ms(quantile(&all_http, 0.5)),
            ms(p99(&all_http))
        ),
    ));
    ledger.stop().await;
    table(&format!("refund_list ({n} requests, {runs} runs each)"), &rows);
    Ok(())
}
