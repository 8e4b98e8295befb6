//! Upgrades: a counter's database written by an earlier build keeps all its data when a
//! migration rebuilds a table, and works on afterwards (numbering, voids, sync).

use cashdesk::desk::counter::VoidRequest;

use crate::{
    collection::{approval, cash, login, login_on, open, restart},
    common::{at, with_accounts},
};

/// Every row of the tables migration 20261206000006 rebuilds, as JSON, in order.
async fn rebuilt_rows(pool: &sqlx::SqlitePool) -> Vec<(String,)> {
    sqlx::query_as(
        "SELECT json_array(payment_id, seq, kind, bill_id, period, amount_fen) FROM payment_lines
         UNION ALL SELECT json_array(payment_id, bill_id, paid_fen, late_fee_from, late_fee_owed_fen,
                                     late_fee_received_fen, late_fee_waived_fen) FROM payment_bill_before
         UNION ALL SELECT json_array(terminal, year, last) FROM receipt_counters ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// How many of those tables keep their key in a separate index (rowid tables do, WITHOUT ROWID do not).
async fn key_indexes(pool: &sqlx::SqlitePool) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sqlite_autoindex_%'
         AND tbl_name IN ('receipt_counters', 'payment_lines', 'payment_bill_before')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    n
}

/// A counter upgraded from a build whose payment tables were rowid tables (before migration
/// 20261206000006): the rebuild keeps every row, a void still restores exactly, and numbering
/// continues.
#[tokio::test]
async fn the_payment_table_rebuild_keeps_a_counters_data() {
    let c = with_accounts("2026-01-18T10:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    let day = at("2026-01-18T10:00:00+08:00").date_naive();
    let owed_at_first = c.desk.quote("test", "3100000004", day).await.unwrap();
    let first = c.desk.collect(cash(&t, "3100000004", "2500.00", "2500.00")).await.unwrap();
    let before = rebuilt_rows(c.desk.pool()).await;
    assert!(before.len() >= 4, "lines, bill states and the counter: {before:?}");
    // Put the tables back as the earlier build had them and forget the migration.
    sqlx::raw_sql(
        "CREATE TABLE rc (terminal TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL CHECK (last >= 0),
                          PRIMARY KEY (terminal, year)) STRICT;
         INSERT INTO rc SELECT * FROM receipt_counters; DROP TABLE receipt_counters; ALTER TABLE rc RENAME TO receipt_counters;
         CREATE TABLE pl (payment_id INTEGER NOT NULL REFERENCES payments (id), seq INTEGER NOT NULL, kind TEXT NOT NULL,
                          bill_id INTEGER REFERENCES bills (id), period INTEGER, amount_fen INTEGER NOT NULL,
                          PRIMARY KEY (payment_id, seq)) STRICT;
         INSERT INTO pl SELECT * FROM payment_lines; DROP TABLE payment_lines; ALTER TABLE pl RENAME TO payment_lines;
         CREATE TABLE pb (payment_id INTEGER NOT NULL REFERENCES payments (id), bill_id INTEGER NOT NULL REFERENCES bills (id),
                          paid_fen INTEGER NOT NULL, late_fee_from TEXT NOT NULL, late_fee_owed_fen INTEGER NOT NULL,
                          late_fee_received_fen INTEGER NOT NULL, late_fee_waived_fen INTEGER NOT NULL,
                          PRIMARY KEY (payment_id, bill_id)) STRICT;
         INSERT INTO pb SELECT * FROM payment_bill_before; DROP TABLE payment_bill_before; ALTER TABLE pb RENAME TO payment_bill_before;
         DELETE FROM _sqlx_migrations WHERE version = 20261206000006;",
    )
    .execute(c.desk.pool())
    .await
    .unwrap();
    assert_eq!(key_indexes(c.desk.pool()).await, 3, "the earlier layout: each key in a b-tree of its own");

    let desk = restart(&c).await;
    assert_eq!(rebuilt_rows(desk.pool()).await, before, "every row survives the rebuild");
    assert_eq!(key_indexes(desk.pool()).await, 0, "WITHOUT ROWID: one b-tree per table");
    let t = login_on(&desk, "cashier1").await;
    let next = desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(next.receipt_no, "GY01-03-2026-000002", "numbering continues after the rebuild");
    desk.void_payment(VoidRequest {
        token: t.clone(),
        receipt_no: first.receipt_no.clone(),
        reason: "金额录错".into(),
        approval: approval("super1", "Counter#1"),
    })
    .await
    .unwrap();
    let owed_after_void = desk.quote("test", "3100000004", day).await.unwrap();
    assert_eq!(
        format!("{owed_after_void:?}"),
        format!("{owed_at_first:?}"),
        "the void restores the bills exactly, from the rebuilt table"
    );
}

/// Every row of `payments` and `outbox` (migration 20261206000007 rebuilds both), as JSON, in order.
async fn payment_and_outbox_rows(pool: &sqlx::SqlitePool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT json_array(id, event_id, receipt_no, kind, shift_id, account_id, method, amount_fen, tendered_fen,
                           change_fen, voucher_id, holiday_cash, approved_by, waived_fen, waiver_reason,
                           prepaid_after_fen, verification_code, created_at, reprints, voided, receipt, printed_at)
         FROM payments
         UNION ALL SELECT json_array(seq, event_id, kind, terminal, payload, payload_sha256, created_at, pushed_at)
         FROM outbox ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn scalar(pool: &sqlx::SqlitePool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A counter upgraded from a build whose payments had a second unique index on the event id and
/// whose outbox had AUTOINCREMENT and an index of waiting events (before migration
/// 20261206000007): every row survives, foreign keys still hold, the same events wait, and seq and
/// receipt numbers go on from where they were.
#[tokio::test]
async fn the_outbox_rebuild_keeps_every_event_and_what_waits() {
    let c = with_accounts("2026-01-18T10:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    let first = c.desk.collect(cash(&t, "3100000004", "2500.00", "2500.00")).await.unwrap();
    c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    let void = |receipt_no: &str| VoidRequest {
        token: t.clone(),
        receipt_no: receipt_no.into(),
        reason: "金额录错".into(),
        approval: approval("super1", "Counter#1"),
    };
    c.desk.void_payment(void(&first.receipt_no)).await.unwrap();
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
    let before = payment_and_outbox_rows(pool).await;
    let third = scalar(pool, "SELECT seq FROM outbox ORDER BY seq LIMIT 1 OFFSET 2").await;
    let newest = scalar(pool, "SELECT MAX(seq) FROM outbox").await;
    let waiting = scalar(pool, "SELECT COUNT(*) FROM outbox WHERE pushed_at IS NULL").await;
    assert!(waiting >= 2, "the second payment and the void wait: {waiting}");

    // Put both tables back as the earlier build had them and forget the migration.
    let ddl = |name: &str| {
        let name = name.to_string();
        async move {
            sqlx::query_scalar::<_, String>("SELECT sql FROM sqlite_master WHERE name = ?")
                .bind(name)
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    let payments = ddl("payments").await;
    let old_payments = payments.replacen("event_id           TEXT NOT NULL,", "event_id TEXT NOT NULL UNIQUE,", 1);
    let outbox = ddl("outbox").await;
    let old_outbox =
        outbox.replacen("seq            INTEGER PRIMARY KEY,", "seq INTEGER PRIMARY KEY AUTOINCREMENT,", 1);
    assert!(old_payments != payments && old_outbox != outbox, "the current layout changed: update this test");
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "BEGIN; PRAGMA defer_foreign_keys = ON;
         CREATE TEMP TABLE pc AS SELECT * FROM payments; DROP TABLE payments; {old_payments};
         INSERT INTO payments SELECT * FROM temp.pc; DROP TABLE temp.pc;
         CREATE INDEX payments_shift ON payments (shift_id);
         CREATE UNIQUE INDEX payments_voucher_once ON payments (voucher_id) WHERE voucher_id IS NOT NULL AND voided = 0;
         CREATE INDEX payments_account ON payments (account_id);
         CREATE TEMP TABLE oc AS SELECT * FROM outbox; DROP TABLE outbox; {old_outbox};
         INSERT INTO outbox SELECT * FROM temp.oc; DROP TABLE temp.oc;
         CREATE INDEX outbox_unpushed ON outbox (seq) WHERE pushed_at IS NULL;
         ALTER TABLE sync_state DROP COLUMN push_from;
         DELETE FROM _sqlx_migrations WHERE version = 20261206000007;
         COMMIT;"
    )))
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert_eq!(scalar(pool, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").await, newest);

    let desk = restart(&c).await;
    let pool = desk.pool();
    assert_eq!(payment_and_outbox_rows(pool).await, before, "every row survives the rebuild");
    assert!(sqlx::query("PRAGMA foreign_key_check").fetch_all(pool).await.unwrap().is_empty(), "references hold");
    assert_eq!(scalar(pool, "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'outbox'").await, 0);
    assert_eq!(
        scalar(pool, "SELECT COUNT(*) FROM sqlite_master WHERE tbl_name IN ('payments', 'outbox') AND type = 'index'")
            .await,
        5,
        "payments: receipt_no, shift, voucher, account; outbox: event_id"
    );
    assert_eq!(scalar(pool, "SELECT push_from FROM sync_state").await, third, "the oldest event still waiting");
    assert_eq!(desk.sync_state().await.unwrap().waiting, waiting, "the same events wait");

    let t = login_on(&desk, "cashier1").await;
    let next = desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(next.receipt_no, "GY01-03-2026-000003", "numbering continues after the rebuild");
    assert_eq!(scalar(pool, "SELECT MAX(seq) FROM outbox").await, newest + 1, "seq continues");
    assert_eq!(
        scalar(pool, "SELECT COUNT(*) FROM payments WHERE event_id = (SELECT event_id FROM outbox WHERE seq = (SELECT MAX(seq) FROM outbox))").await,
        1,
        "the payment and its event share one id"
    );
}
