//! Pushing a real counter's outbox to a real ledger on PostgreSQL: exactly once in effect, conflicts
//! listed, money never refused, bad requests refused whole.

#![allow(clippy::unwrap_used)]

mod support;

use cashdesk::{
    desk::void::VoidRequest,
    payments::{Method, VendRequest, VoucherInput},
    sync::wire::Outcome,
    users::approval::ApprovalInput,
};
use std::collections::BTreeMap;

use cashdesk_ledger::{reports, terminals};
use support::ledger::{Counter, Ledger, cash, counter, push, push_raw};

async fn pay(c: &Counter, account: &str, amount: &str) -> String {
    c.desk.collect(cash(&c.cashier, account, amount)).await.unwrap().receipt_no
}

/// Bills (period, paid, fee received, fee owed) and prepaid balance of an account at the counter.
async fn counter_account(c: &Counter, no: &str) -> (Vec<(i64, String, String, String, String)>, String) {
    let bills: Vec<(i64, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT b.period, b.paid_fen, b.late_fee_received_fen, b.late_fee_owed_fen, b.late_fee_from FROM bills b
         JOIN accounts a ON a.id = b.account_id WHERE a.account_no = ? ORDER BY b.period",
    )
    .bind(no)
    .fetch_all(c.desk.pool())
    .await
    .unwrap();
    let (prepaid,): (i64,) = sqlx::query_as("SELECT prepaid_balance_fen FROM accounts WHERE account_no = ?")
        .bind(no)
        .fetch_one(c.desk.pool())
        .await
        .unwrap();
    let y = |f: i64| cashdesk::money::Yuan::from_fen(f).to_string();
    (bills.into_iter().map(|(p, paid, fee, owed, from)| (p, y(paid), y(fee), y(owed), from)).collect(), y(prepaid))
}

async fn ledger_account(l: &Ledger, no: &str) -> (Vec<(i64, String, String, String, String)>, String) {
    let v = reports::account(&l.pool, no).await.unwrap().unwrap();
    (
        v.bills
            .iter()
            .map(|b| {
                (
                    i64::from(b.period),
                    b.paid.to_string(),
                    b.late_fee_received.to_string(),
                    b.late_fee_owed.to_string(),
                    b.late_fee_from.to_string(),
                )
            })
            .collect(),
        v.prepaid_balance.to_string(),
    )
}

#[tokio::test]
async fn a_resent_batch_is_all_duplicate_and_changes_nothing() {
    let mut ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    pay(&c, "3100000001", "100.00").await;
    pay(&c, "3100000004", "6000.00").await;
    let events = c.outbox(false).await;
    assert_eq!(events.len(), 3, "shift.open and two payments");
    let first = push(&ledger.url, &token, &events).await;
    assert!(first.results.iter().all(|r| r.outcome == Outcome::Applied), "{first:?}");
    let after_first = (ledger_account(&ledger, "3100000001").await, ledger_account(&ledger, "3100000004").await);
    // The response was lost: the counter sends the same batch again, and again a part of it.
    let again = push(&ledger.url, &token, &events).await;
    assert!(again.results.iter().all(|r| r.outcome == Outcome::Duplicate), "{again:?}");
    let part = push(&ledger.url, &token, &events[1..]).await;
    assert!(part.results.iter().all(|r| r.outcome == Outcome::Duplicate));
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events").await, 3);
    assert_eq!(after_first, (ledger_account(&ledger, "3100000001").await, ledger_account(&ledger, "3100000004").await));
    // The ledger applied the payments exactly as the counter did (shared settlement rule).
    for no in ["3100000001", "3100000004"] {
        assert_eq!(ledger_account(&ledger, no).await, counter_account(&c, no).await, "account {no}");
    }
    let totals = reports::totals(&ledger.pool, "GY01-01").await.unwrap();
    let payment = totals.iter().find(|t| t.kind == "payment").unwrap();
    assert_eq!((payment.count, payment.sum.to_string()), (2, "6100.00".to_string()));
    ledger.stop().await;
}

#[tokio::test]
async fn two_counters_paying_one_bill_offline_are_both_recorded_and_one_conflict_listed() {
    let mut ledger = Ledger::start().await;
    let (ta, tb) = (ledger.token_for("GY01-01").await, ledger.token_for("GY01-02").await);
    let a = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    let b = counter("GY01-02", "2026-01-10T10:05:00+08:00", true).await;
    // Both counters settle the same arrears while offline.
    pay(&a, "3100000004", "5200.00").await;
    pay(&b, "3100000004", "5200.00").await;
    let ra = push(&ledger.url, &ta, &a.outbox(true).await).await;
    assert!(ra.results.iter().all(|r| r.outcome == Outcome::Applied));
    let rb = push(&ledger.url, &tb, &b.outbox(true).await).await;
    let flagged: Vec<_> = rb.results.iter().filter(|r| r.outcome == Outcome::Flagged).collect();
    assert_eq!(flagged.len(), 1, "{rb:?}");
    assert!(flagged[0].flag.as_deref().unwrap_or("").contains("allocation_differs"));
    let view = reports::account(&ledger.pool, "3100000004").await.unwrap().unwrap();
    assert!(view.bills.iter().all(|b| b.outstanding.is_zero()), "the bills are settled once");
    // The second payment is kept whole: all of it is prepaid balance at the centre, on top of what
    // the first payment left over (5,200.00 − 5,000.00 principal − 60.00 late fee = 140.00).
    assert_eq!(counter_account(&a, "3100000004").await.1, "140.00");
    assert_eq!(view.prepaid_balance.to_string(), "5340.00");
    let conflicts = reports::conflicts(&ledger.pool).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].kind, "allocation_differs");
    assert_eq!(conflicts[0].terminal, "GY01-02");
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events WHERE kind = 'payment'").await, 2);
    ledger.stop().await;
}

#[tokio::test]
async fn a_token_pushes_only_as_its_terminal_and_a_revoked_token_is_refused() {
    let mut ledger = Ledger::start().await;
    let ta = ledger.token_for("GY01-01").await;
    let _tb = ledger.token_for("GY01-02").await;
    let b = counter("GY01-02", "2026-01-10T10:00:00+08:00", true).await;
    pay(&b, "3100000001", "10.00").await;
    let (status, body) = push_raw(&ledger.url, &ta, &b.outbox(true).await).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "FORBIDDEN");
    let (status, body) = push_raw(&ledger.url, "not-a-token", &b.outbox(true).await).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHORIZED")));
    assert!(terminals::revoke(&ledger.pool, "GY01-01").await.unwrap());
    let a = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    let (status, body) = push_raw(&ledger.url, &ta, &a.outbox(true).await).await;
    assert_eq!((status, body["code"].as_str(), body["retry"].as_bool()), (401, Some("TOKEN_REVOKED"), Some(false)));
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events").await, 0);
    // A used or wrong enrolment code is refused too.
    let code = terminals::enrol(&ledger.pool, "GY01-01", None).await.unwrap();
    terminals::exchange(&ledger.pool, "GY01-01", &code).await.unwrap();
    assert!(terminals::exchange(&ledger.pool, "GY01-01", &code).await.is_err());
    ledger.stop().await;
}

#[tokio::test]
async fn malformed_or_oversized_requests_get_400_or_413_and_store_nothing() {
    let mut ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    pay(&c, "3100000001", "10.00").await;
    let good = c.outbox(true).await;
    // A tampered payload (hash mismatch) in the middle of a good batch: the whole batch is refused.
    let mut tampered = good.clone();
    tampered[1].payload = tampered[1].payload.replace("10.00", "1000.00");
    let (status, body) = push_raw(&ledger.url, &token, &tampered).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("BAD_REQUEST")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("payload_sha256"));
    // Not JSON at all.
    let r = support::ledger::http()
        .post(format!("{}/v1/events", ledger.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"events\": [oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "BAD_REQUEST");
    // Too many bytes.
    let huge = format!("{{\"events\": [], \"pad\": \"{}\"}}", "x".repeat(9 * 1024 * 1024));
    let r = support::ledger::http()
        .post(format!("{}/v1/events", ledger.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events").await, 0);
    // The good batch still goes through afterwards.
    let ok = push(&ledger.url, &token, &good).await;
    assert!(ok.results.iter().all(|r| r.outcome == Outcome::Applied));
    ledger.stop().await;
}

#[tokio::test]
async fn a_counter_restored_from_an_old_backup_resending_old_ids_with_other_payloads_is_flagged_not_lost() {
    let mut ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    pay(&c, "3100000001", "50.00").await;
    let sent = c.outbox(true).await;
    push(&ledger.url, &token, &sent).await;
    // The restored database holds the same ids with different contents (e.g. a different amount).
    let mut restored = sent.clone();
    for e in &mut restored {
        e.payload = e.payload.replace("50.00", "55.00");
        e.payload_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(e.payload.as_bytes()));
    }
    let r = push(&ledger.url, &token, &restored).await;
    let payment = r.results.iter().find(|x| x.event_id == sent[1].event_id).unwrap();
    assert_eq!(payment.outcome, Outcome::Flagged);
    assert!(payment.flag.as_deref().unwrap().contains("id_reused"));
    // Kept whole for review, listed, and the first version still stands. (The shift.open event's
    // payload did not change: it is a plain duplicate.)
    assert_eq!(ledger.count("SELECT COUNT(*) FROM event_rejects").await, 1);
    let conflicts = reports::conflicts(&ledger.pool).await.unwrap();
    assert!(conflicts.iter().any(|k| k.kind == "id_reused"));
    assert_eq!(ledger.count("SELECT COUNT(*) FROM events").await, 2);
    let totals = reports::totals(&ledger.pool, "GY01-01").await.unwrap();
    assert_eq!(totals.iter().find(|t| t.kind == "payment").unwrap().sum.to_string(), "50.00");
    // Resending the restored version again lists nothing new.
    push(&ledger.url, &token, &restored).await;
    assert_eq!(ledger.count("SELECT COUNT(*) FROM event_rejects").await, 1);
    assert_eq!(reports::conflicts(&ledger.pool).await.unwrap().len(), conflicts.len());
    ledger.stop().await;
}

#[tokio::test]
async fn vends_vouchers_voids_deposits_and_closed_accounts_land_as_at_the_counter() {
    let mut ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let c = counter("GY01-01", "2026-01-12T10:00:00+08:00", true).await;
    let voucher = VoucherInput {
        bank: "工行".into(),
        serial: "TX-0001".into(),
        payer: "示范市恒通机械制造有限公司".into(),
        amount: "3000.00".into(),
        transfer_date: "2026-01-12".into(),
    };
    c.desk
        .vend(VendRequest {
            token: c.cashier.clone(),
            account_no: "3100000003".into(),
            method: Method::Transfer,
            amount: "3000.00".into(),
            tendered: None,
            confirm_large: false,
            voucher: Some(voucher),
            approval: None,
        })
        .await
        .unwrap();
    let voided = pay(&c, "3100000001", "300.00").await;
    c.desk
        .void_payment(VoidRequest {
            token: c.cashier.clone(),
            receipt_no: voided,
            reason: "收错户号".into(),
            approval: Some(ApprovalInput { username: "super1".into(), password: "Counter#2026".into() }),
        })
        .await
        .unwrap();
    pay(&c, "3100000002", "20000.00").await;
    // Account 3100000002 was closed centrally meanwhile: its payment goes to suspense, listed.
    sqlx::query("UPDATE accounts SET closed = true WHERE account_no = '3100000002'")
        .execute(&ledger.pool)
        .await
        .unwrap();
    let r = push(&ledger.url, &token, &c.outbox(true).await).await;
    let flagged: Vec<_> = r.results.iter().filter(|x| x.outcome == Outcome::Flagged).collect();
    assert_eq!(flagged.len(), 1, "{r:?}");
    assert!(flagged[0].flag.as_deref().unwrap().contains("account_closed"));
    for no in ["3100000001", "3100000003"] {
        assert_eq!(ledger_account(&ledger, no).await, counter_account(&c, no).await, "account {no}");
    }
    let closed = reports::account(&ledger.pool, "3100000002").await.unwrap().unwrap();
    assert_eq!(closed.suspense.to_string(), "20000.00");
    assert_eq!(ledger.count("SELECT COUNT(*) FROM vouchers").await, 1);
    assert_eq!(ledger.count("SELECT COUNT(*) FROM voids").await, 1);
    ledger.stop().await;
}

#[tokio::test]
async fn one_bank_slip_used_at_two_counters_and_pushed_at_the_same_moment_is_listed_once() {
    let mut ledger = Ledger::start().await;
    let (ta, tb) = (ledger.token_for("GY01-01").await, ledger.token_for("GY01-02").await);
    let a = counter("GY01-01", "2026-01-12T10:00:00+08:00", true).await;
    let b = counter("GY01-02", "2026-01-12T10:00:00+08:00", true).await;
    for c in [&a, &b] {
        c.desk
            .vend(VendRequest {
                token: c.cashier.clone(),
                account_no: "3100000003".into(),
                method: Method::Transfer,
                amount: "800.00".into(),
                tendered: None,
                confirm_large: false,
                voucher: Some(VoucherInput {
                    bank: "中国工商银行".into(),
                    serial: "SAME-SLIP-1".into(),
                    payer: "示范市恒通机械制造有限公司".into(),
                    amount: "800.00".into(),
                    transfer_date: "2026-01-12".into(),
                }),
                approval: None,
            })
            .await
            .unwrap();
    }
    let (ea, eb) = (a.outbox(true).await, b.outbox(true).await);
    let (ra, rb) = tokio::join!(push(&ledger.url, &ta, &ea), push(&ledger.url, &tb, &eb));
    let flagged = ra.results.iter().chain(&rb.results).filter(|r| r.outcome == Outcome::Flagged).count();
    assert_eq!(flagged, 1, "{ra:?} {rb:?}");
    let conflicts = reports::conflicts(&ledger.pool).await.unwrap();
    assert_eq!(conflicts.iter().filter(|k| k.kind == "voucher_reused").count(), 1);
    // Both vends are money taken: both credited.
    let view = reports::account(&ledger.pool, "3100000003").await.unwrap().unwrap();
    assert_eq!(view.prepaid_balance.to_string(), "6600.00");
    ledger.stop().await;
}

/// A migrated ledger database holding `n` generated accounts 3900000001.. (no bills, no terminals).
async fn ledger_with_generated_accounts(n: i32) -> sqlx::PgPool {
    let (_url, pool) = support::pg::fresh_database().await;
    cashdesk_ledger::db::migrate(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO accounts (account_no, name, address, category, billing_mode, meter_no, multiplier)
         SELECT (3900000000 + i)::text, '测试', '测试路', 'residential', 'postpaid', 'M' || i, 1 FROM generate_series(1, $1) i",
    )
    .bind(n)
    .execute(&pool)
    .await
    .unwrap();
    pool
}

/// A pull page is ordered by the transaction id as a number (the `xid8` column), never by its text:
/// text order puts "10000" before "9999", and once ids gain a digit a cursor would skip rows.
#[tokio::test]
async fn pull_pages_are_ordered_by_the_numeric_transaction_id() {
    let pool = ledger_with_generated_accounts(2000).await;
    sqlx::query("ANALYZE accounts").execute(&pool).await.unwrap();
    for sql in [cashdesk_ledger::pull::CHANGES_PAGE] {
        let plan: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
            .bind("0")
            .bind(0i64)
            .bind("9999999999")
            .bind(1000i64)
            .fetch_all(&pool)
            .await
            .unwrap();
        let text: Vec<String> = plan.into_iter().map(|r| r.0).collect();
        assert!(
            !text.iter().any(|l| l.contains("Sort Key") && l.contains("::text")),
            "a page is sorted by the text of the transaction id:\n{}",
            text.join("\n")
        );
    }
    // And the first page really comes in (txid, rev) order, every row once.
    support::ledger::settled(&pool).await;
    let page = cashdesk_ledger::pull::changes(&pool, "", Some(5000)).await.unwrap();
    assert_eq!(page.changes.len(), 2000 + 1 + 2, "2,000 accounts, the policy and two calendar years");
}

/// Compaction keeps the latest change-log entry of each row, and a counter whose cursor is behind the
/// dropped entries still gets the row as it is now, once.
#[tokio::test]
async fn compaction_keeps_the_latest_change_of_each_row() {
    use cashdesk::sync::wire::Change;
    use cashdesk_ledger::{changes, pull};
    let pool = ledger_with_generated_accounts(3).await;
    support::ledger::settled(&pool).await;
    let seen = pull::changes(&pool, "", None).await.unwrap();
    for name in ["改名一", "改名二"] {
        sqlx::query("UPDATE accounts SET name = $1 WHERE account_no = '3900000001'")
            .bind(name)
            .execute(&pool)
            .await
            .unwrap();
    }
    let count =
        || async { sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM changes").fetch_one(&pool).await.unwrap().0 };
    assert_eq!(count().await, 5, "three inserts and two renames, each logged");
    assert_eq!(changes::compact(&pool).await.unwrap(), 2);
    assert_eq!(count().await, 3, "one entry per account");
    assert_eq!(changes::compact(&pool).await.unwrap(), 0);

    support::ledger::settled(&pool).await;
    let names = |page: cashdesk::sync::wire::PullResponse| -> Vec<(String, String)> {
        page.changes
            .into_iter()
            .filter_map(|c| match c {
                Change::Account(a) => Some((a.account_no, a.name)),
                _ => None,
            })
            .collect()
    };
    // A counter that had pulled the inserts gets the rename once, as it is now.
    let after = names(pull::changes(&pool, &seen.cursor, None).await.unwrap());
    assert_eq!(after, vec![("3900000001".to_string(), "改名二".to_string())]);
    // A new counter gets every account once.
    let first = names(pull::changes(&pool, "", None).await.unwrap());
    assert_eq!(first.len(), 3);
    assert!(first.contains(&("3900000001".to_string(), "改名二".to_string())));
}

/// After compaction an account's only log entry can come after its bills' (a vend changed the account
/// later). A page still brings each bill's account before the bill, since the counter stores a bill
/// under its account, and a new counter gets every row, whatever the page size.
#[tokio::test]
async fn a_bill_brings_its_account_even_when_the_accounts_entry_comes_later() {
    use std::collections::HashSet;

    use cashdesk::sync::wire::Change;
    use cashdesk_ledger::{changes, pull};
    let pool = ledger_with_generated_accounts(3).await;
    sqlx::query(
        "INSERT INTO bills (account_id, period, kwh, amount, due_date, late_fee_from)
         SELECT a.id, p, '100', 50, DATE '2026-02-20', DATE '2026-02-20' FROM accounts a, (VALUES (202601), (202602)) AS v(p)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // A vend: only the account changes, long after its bills were imported.
    sqlx::query("UPDATE accounts SET prepaid_balance = 10 WHERE account_no = '3900000001'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(changes::compact(&pool).await.unwrap(), 1);

    support::ledger::settled(&pool).await;
    for limit in [1i64, 2, 3, 4, 5000] {
        let (mut cursor, mut accounts, mut bills) = (String::new(), HashSet::new(), 0);
        loop {
            let page = pull::changes(&pool, &cursor, Some(limit)).await.unwrap();
            assert!(page.changes.len() as i64 <= limit.max(2), "limit {limit}: a page of {}", page.changes.len());
            for change in &page.changes {
                match change {
                    Change::Account(a) => {
                        accounts.insert(a.account_no.clone());
                    }
                    Change::Bill(b) => {
                        assert!(
                            accounts.contains(&b.account_no),
                            "limit {limit}: bill of {} before its account",
                            b.account_no
                        );
                        bills += 1;
                    }
                    _ => {}
                }
            }
            if !page.more {
                break;
            }
            assert_ne!(page.cursor, cursor, "limit {limit}: the cursor moves");
            cursor = page.cursor;
        }
        assert_eq!((accounts.len(), bills), (3, 6), "limit {limit}");
    }
}

/// A page never moves the cursor past log entries it did not read. Here the log's first page-full
/// is two changes of one account (the second adds nothing to the page), and a policy change comes
/// after another account's change that the page did not read: the policy must wait for the next
/// page, or that account's change would be skipped.
#[tokio::test]
async fn a_page_never_passes_log_entries_it_did_not_read() {
    use cashdesk::sync::wire::Change;
    use cashdesk_ledger::pull;
    let pool = ledger_with_generated_accounts(3).await;
    support::ledger::settled(&pool).await;
    let seen = pull::changes(&pool, "", None).await.unwrap();
    for (no, name) in [("3900000001", "改名一"), ("3900000001", "改名二"), ("3900000002", "改名三")] {
        sqlx::query("UPDATE accounts SET name = $1 WHERE account_no = $2")
            .bind(name)
            .bind(no)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE policy SET body = body WHERE id = 1").execute(&pool).await.unwrap();
    support::ledger::settled(&pool).await;

    let (mut cursor, mut got) = (seen.cursor, Vec::new());
    loop {
        let page = pull::changes(&pool, &cursor, Some(2)).await.unwrap();
        for change in page.changes {
            match change {
                Change::Account(a) => got.push(format!("{} {}", a.account_no, a.name)),
                Change::Policy(_) => got.push("policy".into()),
                _ => {}
            }
        }
        if !page.more {
            break;
        }
        cursor = page.cursor;
    }
    assert!(got.contains(&"3900000002 改名三".to_string()), "the second account's change was skipped: {got:?}");
    assert!(got.contains(&"policy".to_string()), "{got:?}");
}

/// Accounts (户号 → prepaid balance) and bills ((户号, period) → paid) as a counter receives them.
type Pulled = (BTreeMap<String, String>, BTreeMap<(String, String), String>);

/// Everything a counter gets when it pulls from `cursor` with pages of `limit`, checking that each
/// bill comes after its account.
async fn pull_all(pool: &sqlx::PgPool, cursor: &str, limit: i64) -> Pulled {
    use cashdesk::sync::wire::Change;
    let (mut cursor, mut pulled) = (cursor.to_string(), Pulled::default());
    loop {
        let page = cashdesk_ledger::pull::changes(pool, &cursor, Some(limit)).await.unwrap();
        for change in page.changes {
            match change {
                Change::Account(a) => {
                    pulled.0.insert(a.account_no, a.prepaid_balance.to_string());
                }
                Change::Bill(b) => {
                    assert!(
                        pulled.0.contains_key(&b.account_no),
                        "limit {limit}: bill of {} before its account",
                        b.account_no
                    );
                    pulled.1.insert((b.account_no, b.period), b.paid.to_string());
                }
                _ => {}
            }
        }
        if !page.more {
            break;
        }
        assert_ne!(page.cursor, cursor, "limit {limit}: the cursor moves");
        cursor = page.cursor;
    }
    pulled
}

/// Compacts the change log and checks what compaction leaves: no change set, one entry per row.
/// Returns how many entries went.
async fn compact_to_one_entry_per_row(ledger: &Ledger) -> u64 {
    let dropped = cashdesk_ledger::changes::compact(&ledger.pool).await.unwrap();
    assert_eq!(ledger.count("SELECT COUNT(*) FROM change_sets").await, 0);
    let (entries, rows): (i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT (kind, row_id)) FROM changes")
        .fetch_one(&ledger.pool)
        .await
        .unwrap();
    assert_eq!(entries, rows, "one entry per row");
    dropped
}

/// A push logs what it changed as one change set, not one log entry per row; other counters' pulls
/// get the set whole (each bill after its account, whatever the page size). Compaction turns the
/// sets into log entries at their own places: a counter past them gets nothing again, a new one
/// gets every row once.
#[tokio::test]
async fn a_push_reaches_pulls_as_one_change_set_and_compaction_keeps_one_entry_per_row() {
    use cashdesk_ledger::changes;
    let mut ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    support::ledger::settled(&ledger.pool).await;
    let before = cashdesk_ledger::pull::changes(&ledger.pool, "", None).await.unwrap();
    let logged = ledger.count("SELECT COUNT(*) FROM changes").await;

    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    let mut sent = 0;
    for (no, amount, renamed) in [
        ("3100000001", "10.00", "3100000002"),
        ("3100000004", "6000.00", "3100000003"),
        ("3100000001", "5.00", "3100000002"),
    ] {
        // An administrator's change between the pushes: logged a row at a time, between the sets.
        sqlx::query("UPDATE accounts SET name = name || '（更名）' WHERE account_no = $1")
            .bind(renamed)
            .execute(&ledger.pool)
            .await
            .unwrap();
        pay(&c, no, amount).await;
        let events = c.outbox(false).await;
        let reply = push(&ledger.url, &token, &events[sent..]).await;
        assert!(reply.results.iter().all(|r| r.outcome == Outcome::Applied), "{reply:?}");
        sent = events.len();
    }
    assert_eq!(ledger.count("SELECT COUNT(*) FROM change_sets").await, 3, "one set per push that changed something");
    assert_eq!(ledger.count("SELECT COUNT(*) FROM changes").await, logged + 3, "the pushes add no per-row entries");
    support::ledger::settled(&ledger.pool).await;

    // What the ledger holds now, as a counter should come to hold it.
    let (mut want_accounts, mut want_bills) = Pulled::default();
    for no in ["3100000001", "3100000002", "3100000003", "3100000004"] {
        let v = reports::account(&ledger.pool, no).await.unwrap().unwrap();
        want_accounts.insert(no.to_string(), v.prepaid_balance.to_string());
        for b in v.bills {
            want_bills.insert((no.to_string(), b.period.to_string()), b.paid.to_string());
        }
    }
    // A counter that had everything before the pushes gets what they changed.
    let after_sets = cashdesk_ledger::pull::changes(&ledger.pool, &before.cursor, None).await.unwrap().cursor;
    for limit in [1, 2, 5000] {
        let (accounts, bills) = pull_all(&ledger.pool, &before.cursor, limit).await;
        assert_eq!(
            accounts.keys().collect::<Vec<_>>(),
            ["3100000001", "3100000002", "3100000003", "3100000004"],
            "limit {limit}"
        );
        for (key, paid) in &bills {
            assert_eq!(want_bills.get(key), Some(paid), "limit {limit}: bill {key:?}");
        }
        assert_eq!(bills.len(), 3, "limit {limit}: {bills:?}");
    }

    // Compaction turns the sets into log entries and keeps one entry per row.
    let dropped = compact_to_one_entry_per_row(&ledger).await;
    assert!(dropped >= 5, "the import's entries of the two accounts and three bills the sets changed: {dropped}");
    assert_eq!(changes::compact(&ledger.pool).await.unwrap(), 0);
    // A counter that had pulled up to the end of the sets gets nothing again.
    let (accounts, bills) = pull_all(&ledger.pool, &after_sets, 5000).await;
    assert!(accounts.is_empty() && bills.is_empty(), "{accounts:?} {bills:?}");
    // A new counter still gets every row as it is now, whatever the page size.
    for limit in [1, 2, 3, 5000] {
        let (accounts, bills) = pull_all(&ledger.pool, "", limit).await;
        assert_eq!(accounts, want_accounts, "limit {limit}");
        assert_eq!(bills, want_bills, "limit {limit}");
    }
    ledger.stop().await;
}

/// A batch that changes more rows than one change set holds (500 payments, each settling two
/// bills: 1,500 ids) is logged as several sets, each under the limit and each with its bills'
/// accounts; pulls get every row, and compaction turns the sets into one log entry per row
/// (their places do not collide).
#[tokio::test]
async fn a_batch_larger_than_a_change_set_is_split_and_compacts_cleanly() {
    use cashdesk_ledger::import;
    let mut ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    let nos: Vec<String> = (1..=520).map(|i| format!("{}", 3_200_000_000u64 + i)).collect();
    let mut accounts_csv = String::from(
        "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance\n",
    );
    let mut bills_csv = String::from("account_no,period,kwh,amount,due_date,paid\n");
    for no in &nos {
        accounts_csv.push_str(&format!("{no},测试户{no},示范市测试路{no}号,residential,postpaid,M{no},1,,,0\n"));
        bills_csv.push_str(&format!("{no},202511,100,50.00,2026-02-20,0\n{no},202512,120,60.00,2026-02-20,0\n"));
    }
    import::accounts(&ledger.pool, &ledger.key, accounts_csv.as_bytes(), Some(&support::ledger::area("GY01")))
        .await
        .unwrap();
    import::bills(&ledger.pool, bills_csv.as_bytes()).await.unwrap();
    let admin = support::ledger::admin_token(&c.desk).await;
    c.desk.import_accounts(&admin, "more.csv", accounts_csv.as_bytes()).await.unwrap();
    c.desk.import_bills(&admin, "more-bills.csv", bills_csv.as_bytes()).await.unwrap();
    support::ledger::settled(&ledger.pool).await;
    let before = cashdesk_ledger::pull::changes(&ledger.pool, "", None).await.unwrap();
    assert!(!before.more);

    for no in &nos {
        pay(&c, no, "110.00").await;
    }
    let events = c.outbox(false).await;
    for batch in events.chunks(cashdesk::sync::wire::MAX_BATCH) {
        let reply = push(&ledger.url, &token, batch).await;
        assert!(reply.results.iter().all(|r| r.outcome == Outcome::Applied), "{reply:?}");
    }
    let (sets, largest): (i64, i32) =
        sqlx::query_as("SELECT COUNT(*), MAX(size) FROM change_sets").fetch_one(&ledger.pool).await.unwrap();
    assert!(sets >= 3 && largest <= 1000, "{sets} sets, the largest of {largest} ids");
    support::ledger::settled(&ledger.pool).await;

    let want_bills: BTreeMap<(String, String), String> = nos
        .iter()
        .flat_map(|no| [((no.clone(), "202511".to_string()), "50.00"), ((no.clone(), "202512".to_string()), "60.00")])
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    for limit in [1, 7, 5000] {
        let (accounts, bills) = pull_all(&ledger.pool, &before.cursor, limit).await;
        assert_eq!(accounts.len(), 520, "limit {limit}");
        assert_eq!(bills, want_bills, "limit {limit}");
    }
    let after_sets = cashdesk_ledger::pull::changes(&ledger.pool, &before.cursor, None).await.unwrap();
    assert!(after_sets.changes.len() <= cashdesk::sync::wire::MAX_PAGE as usize);

    compact_to_one_entry_per_row(&ledger).await;
    let (mut cursor, mut pages) = (before.cursor.clone(), 0);
    loop {
        let page = cashdesk_ledger::pull::changes(&ledger.pool, &cursor, None).await.unwrap();
        pages += 1;
        if !page.more {
            break;
        }
        cursor = page.cursor;
        assert!(pages < 10);
    }
    let (accounts, bills) = pull_all(&ledger.pool, "", 5000).await;
    assert_eq!((accounts.len(), bills.len()), (524, 1045), "every account and bill, once compacted");
    for (key, paid) in &want_bills {
        assert_eq!(bills.get(key), Some(paid), "{key:?}");
    }
    ledger.stop().await;
}
