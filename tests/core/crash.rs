//! Atomicity under SIGKILL: a child process takes payments in a loop and is killed at random
//! moments; afterwards each payment is either all there (payment, lines, bills, balance, receipt
//! number, audit entry, outbox event) or not there at all, and receipt numbers have no gaps.
//!
//! The child is this test binary re-run with `--ignored --exact crash::worker` and the database path
//! in `CASHDESK_CRASH_DB`; it is not a test on its own (it is `#[ignore]`d and only does work when
//! that variable is set).

use std::{process::Command, time::Duration};

use cashdesk::{
    desk::{Desk, InitOptions, LoginRequest, shift::OpenShiftRequest},
    payments::{CollectRequest, Method},
};
use rand::{Rng, SeedableRng};

const DB_VAR: &str = "CASHDESK_CRASH_DB";

#[tokio::test]
#[ignore = "the child process of kill_during_payments_leaves_nothing_half_done"]
async fn worker() {
    let Some(path) = std::env::var_os(DB_VAR) else { return };
    let desk = Desk::open(std::path::Path::new(&path), InitOptions { terminal: None, utility: None }).await.unwrap();
    let token =
        desk.login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() }).await.unwrap().token;
    for i in 0u64.. {
        let amount = format!("{}.{:02}", 1 + i % 7, i % 100);
        let req = CollectRequest {
            token: token.clone(),
            account_no: if i % 2 == 0 { "3100000002" } else { "3100000004" }.into(),
            method: Method::Cash,
            amount: amount.clone(),
            tendered: Some(amount.clone()),
            confirm_large: false,
            voucher: None,
            waive_late_fee: None,
            approval: None,
        };
        desk.collect(req).await.unwrap();
    }
}

async fn scalar(pool: &sqlx::SqlitePool, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
    n
}

#[tokio::test]
async fn kill_during_payments_leaves_nothing_half_done() {
    let c = crate::common::with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = c
        .desk
        .login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() })
        .await
        .unwrap()
        .token;
    c.desk.open_shift(OpenShiftRequest { token: t, float: "0".into() }).await.unwrap();
    let path = c.db_path();
    let (bills_before, balance_before) = (
        scalar(c.desk.pool(), "SELECT SUM(paid_fen + late_fee_received_fen) FROM bills").await,
        scalar(c.desk.pool(), "SELECT SUM(prepaid_balance_fen) FROM accounts").await,
    );
    c.desk.pool().close().await;

    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let exe = std::env::current_exe().unwrap();
    for _ in 0..6 {
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "crash::worker", "--test-threads", "1", "-q"])
            .env(DB_VAR, &path)
            .env("HOME", c.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // A random moment inside the payment loop (log-in takes a few tens of milliseconds).
        std::thread::sleep(Duration::from_millis(rng.gen_range(150..600)));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    let desk = Desk::open(&path, InitOptions { terminal: None, utility: None }).await.unwrap();
    let pool = desk.pool();
    assert_eq!(
        sqlx::query_as::<_, (String,)>("PRAGMA integrity_check").fetch_one(pool).await.unwrap().0,
        "ok",
        "the database file survives SIGKILL"
    );
    let payments = scalar(pool, "SELECT COUNT(*) FROM payments").await;
    assert!(payments >= 6, "the children took some payments before being killed ({payments})");
    assert_eq!(
        scalar(
            pool,
            "SELECT COUNT(*) FROM payments p WHERE amount_fen <> (SELECT SUM(value ->> 3) FROM json_each(p.lines))"
        )
        .await,
        0,
        "every payment has all its allocation lines"
    );
    assert_eq!(
        scalar(
            pool,
            "SELECT COUNT(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = p.event_id)"
        )
        .await,
        0,
        "every payment has its outbox event"
    );
    assert_eq!(
        scalar(pool, "SELECT COUNT(*) FROM outbox WHERE kind = 'payment'").await,
        payments,
        "and no event without its payment"
    );
    assert_eq!(
        scalar(pool, "SELECT COUNT(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'payment.cash' AND a.detail LIKE '%' || p.receipt_no || '%')")
            .await,
        0,
        "every payment has its audit entry"
    );
    assert_eq!(scalar(pool, "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.cash'").await, payments);
    // The money on the bills and balances is exactly what the payments' lines say.
    let bills_after = scalar(pool, "SELECT SUM(paid_fen + late_fee_received_fen) FROM bills").await;
    let balance_after = scalar(pool, "SELECT SUM(prepaid_balance_fen) FROM accounts").await;
    let to_bills = scalar(
        pool,
        "SELECT COALESCE(SUM(j.value ->> 3), 0) FROM payments p, json_each(p.lines) j WHERE j.value ->> 0 <> 'prepaid'",
    )
    .await;
    let to_prepaid = scalar(
        pool,
        "SELECT COALESCE(SUM(j.value ->> 3), 0) FROM payments p, json_each(p.lines) j WHERE j.value ->> 0 = 'prepaid'",
    )
    .await;
    assert_eq!((bills_after - bills_before, balance_after - balance_before), (to_bills, to_prepaid));
    // Receipt numbers 1..=N with no gap (the next number is read off the largest one).
    let numbers: Vec<(String,)> =
        sqlx::query_as("SELECT receipt_no FROM payments ORDER BY id").fetch_all(pool).await.unwrap();
    // The worker runs on the machine's clock, so the year part is whatever year it is now.
    let prefix = numbers[0].0.rsplit_once('-').unwrap().0.to_string();
    for (i, (no,)) in numbers.iter().enumerate() {
        assert_eq!(no, &format!("{prefix}-{:06}", i + 1), "receipt numbers are consecutive");
    }
    assert_eq!(i64::try_from(numbers.len()).unwrap(), payments);
    desk.pool().close().await;
}
