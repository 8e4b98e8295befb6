//! Upgrades: a counter's database written by an earlier build keeps all its data when migrations
//! rebuild its tables, and works on afterwards (numbering, voids, sync).

use cashdesk::{
    desk::{shift::CloseShiftRequest, void::VoidRequest},
    shifts::DenominationCount,
};

use crate::{
    collection::{approval, cash, login_on, on_shift, open, restart},
    common::at,
};

/// Every row of the tables migrations 20261206000006 to 20261206000008 rebuild, as JSON, in order.
async fn payment_rows(pool: &sqlx::SqlitePool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT json_array('payment', id, event_id, receipt_no, kind, shift_id, account_id, method, amount_fen,
                           tendered_fen, change_fen, voucher_id, holiday_cash, approved_by, waived_fen, waiver_reason,
                           prepaid_after_fen, verification_code, created_at, reprints, voided, receipt, printed_at,
                           lines, bills_before)
         FROM payments
         UNION ALL SELECT json_array('event', seq, event_id, kind, terminal, payload, payload_sha256, created_at, pushed_at)
         FROM outbox ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn scalar(pool: &sqlx::SqlitePool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// The payment tables as builds before migration 20261206000006 had them: rowid tables with
/// composite keys, `receipt_counters`, `payment_lines`, `payment_bill_before`, a second unique index on the
/// payment's event id, an index of payments by shift and no payment range on shifts, an outbox
/// with AUTOINCREMENT and an index of waiting events, no push mark.
/// Columns, keys and indexes as they were; CHECK constraints are left out (they do not change what
/// a rebuild does). Built from the current tables' rows, in one transaction.
const EARLIER_LAYOUT: &str = "
BEGIN;
PRAGMA defer_foreign_keys = ON;
CREATE TABLE receipt_counters (terminal TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL,
                               PRIMARY KEY (terminal, year)) STRICT;
INSERT INTO receipt_counters
    SELECT substr(receipt_no, 1, length(receipt_no) - 12), CAST(substr(receipt_no, -11, 4) AS INTEGER),
           MAX(CAST(substr(receipt_no, -6) AS INTEGER))
    FROM payments GROUP BY 1, 2;
CREATE TABLE payment_bill_before (
    payment_id INTEGER NOT NULL REFERENCES payments (id), bill_id INTEGER NOT NULL REFERENCES bills (id),
    paid_fen INTEGER NOT NULL, late_fee_from TEXT NOT NULL, late_fee_owed_fen INTEGER NOT NULL,
    late_fee_received_fen INTEGER NOT NULL, late_fee_waived_fen INTEGER NOT NULL,
    PRIMARY KEY (payment_id, bill_id)) STRICT;
INSERT INTO payment_bill_before
    SELECT p.id, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5
    FROM payments p, json_each(p.bills_before) j;
CREATE TABLE payment_lines (
    payment_id INTEGER NOT NULL REFERENCES payments (id), seq INTEGER NOT NULL, kind TEXT NOT NULL,
    bill_id INTEGER REFERENCES bills (id), period INTEGER, amount_fen INTEGER NOT NULL,
    PRIMARY KEY (payment_id, seq)) STRICT;
INSERT INTO payment_lines
    SELECT p.id, j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM payments p, json_each(p.lines) j;
CREATE TEMP TABLE pc AS SELECT * FROM payments;
DROP TABLE payments;
CREATE TABLE payments (
    id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, receipt_no TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    shift_id INTEGER NOT NULL REFERENCES shifts (id), account_id INTEGER NOT NULL REFERENCES accounts (id),
    method TEXT NOT NULL, amount_fen INTEGER NOT NULL, tendered_fen INTEGER, change_fen INTEGER,
    voucher_id INTEGER REFERENCES vouchers (id), holiday_cash INTEGER NOT NULL DEFAULT 0,
    approved_by INTEGER REFERENCES users (id), waived_fen INTEGER NOT NULL DEFAULT 0, waiver_reason TEXT,
    prepaid_after_fen INTEGER NOT NULL, verification_code TEXT NOT NULL, created_at TEXT NOT NULL,
    reprints INTEGER NOT NULL DEFAULT 0, voided INTEGER NOT NULL DEFAULT 0, receipt TEXT, printed_at TEXT) STRICT;
INSERT INTO payments
    SELECT id, event_id, receipt_no, kind, shift_id, account_id, method, amount_fen, tendered_fen, change_fen,
           voucher_id, holiday_cash, approved_by, waived_fen, waiver_reason, prepaid_after_fen, verification_code,
           created_at, reprints, voided, receipt, printed_at
    FROM temp.pc;
CREATE INDEX payments_shift ON payments (shift_id);
CREATE UNIQUE INDEX payments_voucher_once ON payments (voucher_id) WHERE voucher_id IS NOT NULL AND voided = 0;
CREATE INDEX payments_account ON payments (account_id);
CREATE TEMP TABLE oc AS SELECT * FROM outbox;
DROP TABLE outbox;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, terminal TEXT NOT NULL,
    payload TEXT NOT NULL, payload_sha256 TEXT NOT NULL, created_at TEXT NOT NULL, pushed_at TEXT) STRICT;
INSERT INTO outbox SELECT seq, event_id, kind, terminal, payload, payload_sha256, created_at, pushed_at FROM temp.oc;
CREATE INDEX outbox_unpushed ON outbox (seq) WHERE pushed_at IS NULL;
ALTER TABLE sync_state DROP COLUMN push_from;
ALTER TABLE shifts DROP COLUMN payments_from;
ALTER TABLE shifts DROP COLUMN payments_to;
DROP TABLE temp.pc;
DROP TABLE temp.oc;
-- What the migrations after 20261206000008 added goes too: such a build had none of it (a later
-- migration that changes a table adds its undoing here).
DROP TABLE shift_counts;
ALTER TABLE sessions DROP COLUMN locked_at;
DROP TABLE refund_history;
DROP TABLE refunds;
DROP TABLE daily_signoffs;
ALTER TABLE deposits DROP COLUMN confirmed_at;
ALTER TABLE deposits DROP COLUMN confirmed_by;
ALTER TABLE deposits DROP COLUMN confirm_ref;
DROP TABLE notice_log;
DROP TABLE notice_batches;
DROP INDEX bills_arrears;
ALTER TABLE bills DROP COLUMN due_day;
ALTER TABLE bills DROP COLUMN fee_from_day;
ALTER TABLE bills DROP COLUMN due_year_end_day;
ALTER TABLE audit_log DROP COLUMN scheme;
ALTER TABLE users DROP COLUMN language;
DELETE FROM _sqlx_migrations WHERE version >= 20261206000006;
COMMIT;
";

/// A counter upgraded from a build before migrations 20261206000006 to 20261206000008: every
/// row survives the rebuilds, foreign keys still hold, each shift gets the range of its payments,
/// a void restores the bills exactly from the moved before-state, the same events wait, and seq
/// and receipt numbers go on from where they were.
#[tokio::test]
async fn the_payment_table_rebuilds_keep_a_counters_data() {
    // A closed shift with one payment, then the open shift the rest happens in.
    let (c, t) = on_shift("2026-01-18T10:00:00+08:00").await;
    c.desk.collect(cash(&t, "3100000002", "5.00", "5.00")).await.unwrap();
    let five = vec![DenominationCount { denomination: "5".into(), count: 1 }];
    c.desk
        .close_shift(CloseShiftRequest { token: t.clone(), counts: five, reason: None, approval: None })
        .await
        .unwrap();
    open(&c, &t, "0").await;
    let day = at("2026-01-18T10:00:00+08:00").date_naive();
    let owed_at_first =
        c.desk.quote(&crate::common::token(&c.desk, "cashier1").await, "3100000004", day).await.unwrap();
    // 3100000004 owes two overdue periods: the payment settles bills and records their state before.
    let first = c.desk.collect(cash(&t, "3100000004", "2500.00", "2500.00")).await.unwrap();
    let second = c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    let void = |token: &str, receipt_no: &str| VoidRequest {
        token: token.into(),
        receipt_no: receipt_no.into(),
        reason: "金额录错".into(),
        approval: approval("super1", "Counter#2026"),
    };
    c.desk.void_payment(void(&t, &second.receipt_no)).await.unwrap();
    let pool = c.desk.pool();
    // The ledger acknowledged the two oldest events and flagged the second.
    sqlx::raw_sql(
        "UPDATE outbox SET pushed_at = '2026-01-18T10:05:00+08:00' WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT 2);
         INSERT INTO sync_flagged (event_id, seq, kind, reason, flagged_at)
             SELECT event_id, seq, kind, 'suspense', '2026-01-18T10:05:00+08:00' FROM outbox ORDER BY seq LIMIT 1 OFFSET 1",
    )
    .execute(pool)
    .await
    .unwrap();
    let before = payment_rows(pool).await;
    assert!(before.iter().any(|r| r.contains("late_fee")), "allocation lines: {before:?}");
    let bills_before =
        scalar(pool, "SELECT json_array_length(bills_before) FROM payments WHERE receipt_no = 'GY01-03-2026-000002'")
            .await;
    assert_eq!(bills_before, 2, "the first payment touched two bills");
    let third = scalar(pool, "SELECT seq FROM outbox ORDER BY seq LIMIT 1 OFFSET 2").await;
    let newest = scalar(pool, "SELECT MAX(seq) FROM outbox").await;
    let waiting = scalar(pool, "SELECT COUNT(*) FROM outbox WHERE pushed_at IS NULL").await;
    assert!(waiting >= 2, "the second payment and the void wait: {waiting}");

    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(EARLIER_LAYOUT).execute(&mut *conn).await.unwrap();
    drop(conn);
    assert_eq!(scalar(pool, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").await, newest);
    assert_eq!(scalar(pool, "SELECT COUNT(*) FROM payment_bill_before").await, 4, "one bill, two, then one");
    assert_eq!(scalar(pool, "SELECT last FROM receipt_counters").await, 3);

    let desk = restart(&c).await;
    let pool = desk.pool();
    assert_eq!(payment_rows(pool).await, before, "every row survives the rebuilds");
    assert!(sqlx::query("PRAGMA foreign_key_check").fetch_all(pool).await.unwrap().is_empty(), "references hold");
    assert_eq!(
        scalar(
            pool,
            "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('receipt_counters', 'payment_bill_before', 'payment_lines')"
        )
        .await,
        0,
        "the counter, the lines and the before-state live in payments"
    );
    assert_eq!(scalar(pool, "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'outbox'").await, 0);
    assert_eq!(
        scalar(pool, "SELECT COUNT(*) FROM sqlite_master WHERE tbl_name IN ('payments', 'outbox') AND type = 'index'")
            .await,
        4,
        "payments: receipt_no, voucher, account; outbox: event_id"
    );
    let ranges: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT payments_from, payments_to FROM shifts ORDER BY id").fetch_all(pool).await.unwrap();
    assert_eq!(ranges, [(1, Some(1)), (2, None)], "the closed shift holds payment 1; the open one from 2 on");
    assert_eq!(scalar(pool, "SELECT push_from FROM sync_state").await, third, "the oldest event still waiting");
    assert_eq!(desk.sync_state().await.unwrap().waiting, waiting, "the same events wait");
    for table in ["payments", "outbox"] {
        let err = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(pool).await.unwrap_err();
        assert!(err.to_string().contains("never deleted"), "{table}: {err}");
    }

    let t = login_on(&desk, "cashier1").await;
    let next = desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(next.receipt_no, "GY01-03-2026-000004", "numbering continues after the rebuild");
    assert_eq!(scalar(pool, "SELECT MAX(seq) FROM outbox").await, newest + 1, "seq continues");
    desk.void_payment(void(&t, &first.receipt_no)).await.unwrap();
    let owed_after_void = desk.quote(&t, "3100000004", day).await.unwrap();
    assert_eq!(
        format!("{owed_after_void:?}"),
        format!("{owed_at_first:?}"),
        "the void restores the bills exactly, from the moved before-state"
    );
    // The open shift kept 2,500.00 + 1.00 (voided) + 1.00 and 2,500.00 was voided: 1.00 in the drawer.
    let one = vec![DenominationCount { denomination: "1".into(), count: 1 }];
    let closed = desk
        .close_shift(CloseShiftRequest { token: t.clone(), counts: one, reason: None, approval: None })
        .await
        .unwrap();
    assert_eq!(closed.expected.to_string(), "1.00", "the shift's payments, found by their id range");
}
