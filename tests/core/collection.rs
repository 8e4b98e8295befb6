//! Collection: shifts, payments, vouchers, vends, holiday cash, approvals, voids, receipts.

use cashdesk::{
    Error,
    desk::{
        Desk, InitOptions, LoginRequest, TokenRequest,
        shift::{CloseShiftRequest, DepositRequest, OpenShiftRequest},
        void::VoidRequest,
    },
    money::Yuan,
    payments::{CollectRequest, LineKind, Method, VendRequest, VoucherInput},
    shifts::DenominationCount,
    users::approval::ApprovalInput,
};

use crate::common::{Counter, at, with_accounts};

fn y(s: &str) -> Yuan {
    Yuan::parse(s).unwrap()
}

pub(crate) async fn login(c: &Counter, user: &str) -> String {
    login_on(&c.desk, user).await
}

pub(crate) async fn login_on(desk: &Desk, user: &str) -> String {
    desk.login(LoginRequest { username: user.into(), password: "Counter#2026".into() }).await.unwrap().token
}

/// Close the counter's database and open it again, as after a restart (migrations run again).
pub(crate) async fn restart(c: &Counter) -> Desk {
    c.desk.pool().close().await;
    Desk::open(&c.db_path(), InitOptions { terminal: None, utility: None }).await.unwrap().with_clock(c.clock.clone())
}

/// What `account` owes on `day`, as a cashier asks.
async fn owed(c: &Counter, account: &str, day: chrono::NaiveDate) -> cashdesk::accounts::quote::Quote {
    c.desk.quote(&crate::common::token(&c.desk, "cashier1").await, account, day).await.unwrap()
}

pub(crate) async fn open(c: &Counter, token: &str, float: &str) {
    c.desk.open_shift(OpenShiftRequest { token: token.into(), float: float.into() }).await.unwrap();
}

/// A counter with accounts at `now` and `cashier1` on an open shift with no float: the cashier's token.
pub(crate) async fn on_shift(now: &str) -> (Counter, String) {
    let c = with_accounts(now).await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    (c, t)
}

/// Restart the counter (its database closed and opened again) and count its payments.
async fn payments_after_restart(c: &Counter) -> i64 {
    let desk = restart(c).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM payments").fetch_one(desk.pool()).await.unwrap();
    n
}

pub(crate) fn approval(user: &str, pw: &str) -> Option<ApprovalInput> {
    Some(ApprovalInput { username: user.into(), password: pw.into() })
}

pub(crate) fn cash(token: &str, account: &str, amount: &str, tendered: &str) -> CollectRequest {
    CollectRequest {
        token: token.into(),
        account_no: account.into(),
        method: Method::Cash,
        amount: amount.into(),
        tendered: Some(tendered.into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    }
}

fn voucher(serial: &str, amount: &str) -> VoucherInput {
    VoucherInput {
        bank: "中国工商银行".into(),
        serial: serial.into(),
        payer: "示范市华联商贸有限公司".into(),
        amount: amount.into(),
        transfer_date: "2026-01-09".into(),
    }
}

fn vend_cash(token: &str, amount: &str, approval: Option<ApprovalInput>) -> VendRequest {
    VendRequest {
        token: token.into(),
        account_no: "3100000003".into(),
        method: Method::Cash,
        amount: amount.into(),
        tendered: Some(amount.into()),
        confirm_large: false,
        voucher: None,
        approval,
    }
}

/// Bills, balances and the counters of everything a payment writes, to compare states.
async fn state(c: &Counter) -> Vec<String> {
    let bills: Vec<(i64, i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, paid_fen, late_fee_from, late_fee_owed_fen, late_fee_received_fen, late_fee_waived_fen FROM bills ORDER BY id",
    )
    .fetch_all(c.desk.pool())
    .await
    .unwrap();
    let balances: Vec<(String, i64)> =
        sqlx::query_as("SELECT account_no, prepaid_balance_fen FROM accounts ORDER BY id")
            .fetch_all(c.desk.pool())
            .await
            .unwrap();
    vec![format!("{bills:?}"), format!("{balances:?}")]
}

async fn count(c: &Counter, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(c.desk.pool()).await.unwrap();
    n
}

#[tokio::test]
async fn a_cash_payment_settles_oldest_first_and_writes_everything_in_one_go() {
    // 2026-01-10: 3100000001 owes 202511 (158.49, due 2025-12-20, 21 days late) and 202512 (69.06 left, not yet due).
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "500.00").await;
    let done = c.desk.collect(cash(&t, "3100000001", "300.00", "400.00")).await.unwrap();
    assert_eq!(done.receipt_no, "GY01-03-2026-000001");
    assert_eq!(done.change, Some(y("100.00")));
    let lines: Vec<(Option<String>, LineKind, Yuan)> =
        done.lines.iter().map(|l| (l.period.map(|p| p.to_string()), l.kind, l.amount)).collect();
    // Late fee 158.49 × 21 × 1‰ = 3.33 (minimum 1.00 does not apply).
    assert_eq!(
        lines,
        [
            (Some("202511".into()), LineKind::LateFee, y("3.33")),
            (Some("202511".into()), LineKind::Principal, y("158.49")),
            (Some("202512".into()), LineKind::Principal, y("69.06")),
            (None, LineKind::Prepaid, y("69.12")),
        ],
        "oldest first, late fee before principal, the rest to prepaid"
    );
    assert_eq!(done.prepaid_after, y("69.12"));
    assert_eq!(done.amount_words, "人民币叁佰元整");
    let q = owed(&c, "3100000001", at("2026-01-10T09:00:00+08:00").date_naive()).await;
    assert!(q.bills.is_empty(), "everything is settled");
    assert_eq!(count(&c, "SELECT COUNT(*) FROM outbox WHERE kind = 'payment'").await, 1);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.cash'").await, 1);
    assert_eq!(count(&c, "SELECT json_array_length(lines) FROM payments").await, 4, "the lines, in the payment row");
}

/// Rows a payment writes, in every table it writes.
const PAYMENT_WRITES: &str = "SELECT (SELECT COUNT(*) FROM payments) + (SELECT COUNT(*) FROM outbox)
    + (SELECT COUNT(*) FROM audit_log) + (SELECT SUM(paid_fen) FROM bills)";

/// A payment's transaction begins in its first read and commits in its last batch. A statement
/// failing inside that batch leaves nothing behind, and the writer's connection is not left
/// inside the transaction: the next payment commits on its own and survives a restart.
#[tokio::test]
async fn a_payment_failing_inside_its_batch_leaves_nothing_and_the_next_one_commits() {
    let (c, t) = on_shift("2026-01-10T09:00:00+08:00").await;
    // Fail the batch at its last insert, after the payment row, the bills and the audit entry.
    sqlx::raw_sql(
        "CREATE TRIGGER fail_event BEFORE INSERT ON outbox WHEN NEW.payload LIKE '%\"amount\":\"12.34\"%'
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(c.desk.pool())
    .await
    .unwrap();
    let before = count(&c, PAYMENT_WRITES).await;
    let err = c.desk.collect(cash(&t, "3100000002", "12.34", "12.34")).await.unwrap_err();
    assert_eq!(err.code(), "STORE_ERROR", "{err}");
    assert_eq!(count(&c, PAYMENT_WRITES).await, before, "nothing of the failed payment is left");
    let done = c.desk.collect(cash(&t, "3100000001", "300.00", "300.00")).await.unwrap();
    assert_eq!(done.receipt_no, "GY01-03-2026-000001", "the failed payment used no number");
    assert_eq!(payments_after_restart(&c).await, 1, "the next payment committed");
}

/// The checks of a payment run inside its transaction (session, shift, account, then the amount):
/// each refusal rolls it back and leaves the writer free for the next payment.
#[tokio::test]
async fn refusals_inside_the_payments_transaction_leave_the_writer_usable() {
    let (c, t) = on_shift("2026-01-10T09:00:00+08:00").await;
    let other = login(&c, "super1").await;
    c.desk.logout(TokenRequest { token: other.clone() }).await.unwrap();
    let before = count(&c, PAYMENT_WRITES).await;
    let refused = [
        (cash(&other, "3100000001", "1.00", "1.00"), "SESSION_EXPIRED"),
        (cash(&t, "3199999999", "1.00", "1.00"), "ACCOUNT_NOT_FOUND"),
        (cash(&t, "3100000003", "1.00", "1.00"), "WRONG_BILLING_MODE"),
        (cash(&t, "3100000001", "5.00", "1.00"), "TENDERED_TOO_LITTLE"),
    ];
    for (req, code) in refused {
        assert_eq!(c.desk.collect(req).await.unwrap_err().code(), code);
    }
    assert_eq!(count(&c, PAYMENT_WRITES).await, before, "nothing written");
    let done = c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(done.receipt_no, "GY01-03-2026-000001");
}

/// A payment abandoned while it waits for SQLite's write lock (the future dropped, as when a
/// caller times out) does not leave the writer's connection inside a transaction either.
#[tokio::test]
async fn a_payment_dropped_while_waiting_for_the_lock_leaves_the_writer_usable() {
    let (c, t) = on_shift("2026-01-10T09:00:00+08:00").await;
    // Another process holds the write lock.
    let mut other =
        <sqlx::SqliteConnection as sqlx::Connection>::connect_with(c.desk.pool().connect_options().as_ref())
            .await
            .unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    let waiting = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        c.desk.collect(cash(&t, "3100000001", "10.00", "10.00")),
    )
    .await;
    assert!(waiting.is_err(), "the payment waited for the lock and was dropped");
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    let done = c.desk.collect(cash(&t, "3100000001", "10.00", "10.00")).await.unwrap();
    assert_eq!(done.receipt_no, "GY01-03-2026-000001");
    assert_eq!(payments_after_restart(&c).await, 1, "exactly the payment that returned");
}

#[tokio::test]
async fn a_partial_payment_pays_the_fee_first_and_leaves_the_rest_owed() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    c.desk.collect(cash(&t, "3100000001", "2.00", "2.00")).await.unwrap();
    // Of the 3.33 fee, 2.00 was received and 1.33 stays owed; the principal is untouched.
    let q = owed(&c, "3100000001", at("2026-01-10T09:00:00+08:00").date_naive()).await;
    assert_eq!(q.bills[0].principal, y("158.49"));
    assert_eq!(q.bills[0].late_fee, y("1.33"), "the fee not yet paid is carried, not recomputed from the due date");
    // Five days later, 5 more days accrue on the unpaid principal: 0.79, not raised to another
    // 1.00, because the 1-yuan minimum is a minimum of the bill's total and 3.33 was charged already.
    let q = owed(&c, "3100000001", at("2026-01-15T09:00:00+08:00").date_naive()).await;
    assert_eq!(q.bills[0].late_fee, y("2.12"));
}

#[tokio::test]
async fn money_needs_an_open_shift_and_one_shift_per_cashier_and_terminal() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    assert!(matches!(c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await, Err(Error::ShiftNotOpen)));
    open(&c, &t, "500").await;
    let again = c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "1".into() }).await;
    assert!(matches!(again, Err(Error::ShiftAlreadyOpen)));
    let s = login(&c, "super1").await;
    let other = c.desk.open_shift(OpenShiftRequest { token: s, float: "1".into() }).await;
    assert!(matches!(other, Err(Error::ShiftAlreadyOpen)), "one open shift per terminal");
    let f = login(&c, "finance1").await;
    assert_eq!(
        c.desk.open_shift(OpenShiftRequest { token: f, float: "1".into() }).await.unwrap_err().code(),
        "FORBIDDEN"
    );
    let short = c.desk.collect(cash(&t, "3100000001", "10.00", "5.00")).await.unwrap_err();
    assert_eq!(short.code(), "TENDERED_TOO_LITTLE");
    let bad = c.desk.collect(cash(&t, "3100000001", "10.005", "20")).await.unwrap_err();
    assert_eq!((bad.code(), bad.params().get("field").cloned()), ("MONEY_DECIMALS", Some("amount".to_string())));
}

#[tokio::test]
async fn a_bank_voucher_pays_once_and_the_refusal_names_the_first_use() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    let transfer = |serial: &str| CollectRequest {
        token: t.clone(),
        account_no: "3100000002".into(),
        method: Method::Transfer,
        amount: String::new(),
        tendered: None,
        confirm_large: false,
        voucher: Some(voucher(serial, "10700.00")),
        waive_late_fee: None,
        approval: None,
    };
    let first = c.desk.collect(transfer("SN20260109001")).await.unwrap();
    // 10,000.00 + late fee 16 days × 2‰ + 10 days × 3‰ = 620.00; 80.00 left to prepaid.
    assert_eq!(first.prepaid_after, y("92.50"), "12.50 already on the account + 80.00");
    let second = c.desk.collect(transfer("sn20260109001")).await.unwrap_err();
    match &second {
        Error::VoucherUsed { receipt_no, cashier, .. } => {
            assert_eq!((receipt_no.as_str(), cashier.as_str()), (first.receipt_no.as_str(), "cashier1"));
        }
        other => panic!("expected VOUCHER_USED, got {other:?}"),
    }
    assert_eq!(count(&c, "SELECT COUNT(*) FROM payments").await, 1, "the refused use wrote nothing");
    // The same slip with the bank typed another way is the same voucher.
    let mut other_spelling = transfer("SN20260109001");
    other_spelling.voucher = Some(VoucherInput { bank: "工行".into(), ..voucher("SN20260109001", "10700.00") });
    assert_eq!(c.desk.collect(other_spelling).await.unwrap_err().code(), "VOUCHER_USED");
    let mut unknown_bank = transfer("SN20260109002");
    unknown_bank.voucher = Some(VoucherInput { bank: "某某银行".into(), ..voucher("SN20260109002", "10700.00") });
    assert_eq!(c.desk.collect(unknown_bank).await.unwrap_err().params().get("field").map(String::as_str), Some("bank"));
}

#[tokio::test]
async fn holiday_cash_on_a_sunday_with_a_supervisor_up_to_5000() {
    // 2026-03-01 is a Sunday: the bank cannot confirm transfers.
    let c = with_accounts("2026-03-01T10:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "500").await;
    let none = c.desk.vend(vend_cash(&t, "100.00", None)).await.unwrap_err();
    assert_eq!(none.code(), "APPROVAL_REQUIRED");
    let over = c.desk.vend(vend_cash(&t, "5000.01", approval("super1", "Counter#2026"))).await.unwrap_err();
    assert_eq!(over.code(), "HOLIDAY_CASH_LIMIT", "5,000.01 is over the limit");
    let wrong = c.desk.vend(vend_cash(&t, "5000.00", approval("super1", "wrong-password"))).await.unwrap_err();
    assert_eq!(wrong.code(), "APPROVAL_INVALID");
    assert_eq!(
        count(&c, "SELECT failed_attempts FROM users WHERE username = 'super1'").await,
        1,
        "the wrong approver password counts"
    );
    let not_sup = c.desk.vend(vend_cash(&t, "5000.00", approval("finance1", "Counter#2026"))).await.unwrap_err();
    assert_eq!(not_sup.code(), "APPROVAL_ROLE");
    let done = c.desk.vend(vend_cash(&t, "5000.00", approval("super1", "Counter#2026"))).await.unwrap();
    assert_eq!(done.holiday_cash_due.unwrap().to_string(), "2026-03-02", "due at the bank the next working day");
    assert_eq!(done.prepaid_after, y("10000.00"));
    assert_eq!(done.approved_by.as_deref(), Some("super1"));
    assert_eq!(
        count(&c, "SELECT failed_attempts FROM users WHERE username = 'super1'").await,
        0,
        "a good approval resets the count"
    );
    assert_eq!(
        count(&c, "SELECT COUNT(*) FROM audit_log WHERE action = 'approval.granted' AND actor = 'super1'").await,
        1
    );

    // Monday: everyone logging in at this terminal is told it is due; Tuesday it is overdue and blocks.
    c.clock.set(at("2026-03-02T08:30:00+08:00"));
    let monday =
        c.desk.login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() }).await.unwrap();
    assert_eq!(
        monday.notices.iter().map(|n| n.code.as_str()).filter(|c| *c != "PRINTER_NOT_SET").collect::<Vec<_>>(),
        ["HOLIDAY_CASH_DUE"]
    );
    c.clock.set(at("2026-03-07T10:00:00+08:00"));
    let saturday =
        c.desk.login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() }).await.unwrap();
    assert_eq!(saturday.notices[0].code, "HOLIDAY_CASH_OVERDUE");
    let blocked =
        c.desk.vend(vend_cash(&saturday.token, "10.00", approval("super1", "Counter#2026"))).await.unwrap_err();
    assert_eq!(blocked.code(), "HOLIDAY_CASH_OVERDUE");
    c.desk
        .deposit(DepositRequest {
            token: saturday.token.clone(),
            amount: "5000.00".into(),
            bank: "中国工商银行".into(),
            slip_no: "JK0001".into(),
        })
        .await
        .unwrap();
    c.desk
        .vend(vend_cash(&saturday.token, "10.00", approval("super1", "Counter#2026")))
        .await
        .expect("deposited: holiday cash allowed again");
}

#[tokio::test]
async fn bank_first_categories_cannot_buy_with_cash_on_a_working_day() {
    let c = with_accounts("2026-03-02T10:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    let e = c.desk.vend(vend_cash(&t, "100.00", approval("super1", "Counter#2026"))).await.unwrap_err();
    assert_eq!(e.code(), "BANK_FIRST");
    let by_voucher = VendRequest {
        token: t.clone(),
        account_no: "3100000003".into(),
        method: Method::Transfer,
        amount: String::new(),
        tendered: None,
        confirm_large: false,
        voucher: Some(VoucherInput { transfer_date: "2026-03-02".into(), ..voucher("SN777777", "3000.00") }),
        approval: None,
    };
    assert_eq!(c.desk.vend(by_voucher).await.unwrap().prepaid_after, y("8000.00"));
    let postpaid =
        c.desk.vend(VendRequest { account_no: "3100000001".into(), ..vend_cash(&t, "1", None) }).await.unwrap_err();
    assert_eq!(postpaid.code(), "WRONG_BILLING_MODE");
}

#[tokio::test]
async fn nobody_approves_their_own_request() {
    let c = with_accounts("2026-03-01T10:00:00+08:00").await;
    let t = login(&c, "super1").await;
    open(&c, &t, "0").await;
    let e = c.desk.vend(vend_cash(&t, "100.00", approval("super1", "Counter#2026"))).await.unwrap_err();
    assert_eq!(e.code(), "APPROVAL_SELF");
    assert_eq!(count(&c, "SELECT COUNT(*) FROM payments").await, 0);
}

#[tokio::test]
async fn a_void_restores_the_exact_previous_state() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "500").await;
    let before = state(&c).await;
    let done = c.desk.collect(cash(&t, "3100000001", "300.00", "300.00")).await.unwrap();
    assert_ne!(state(&c).await, before);
    let no_approval = VoidRequest {
        token: t.clone(),
        receipt_no: done.receipt_no.clone(),
        reason: "收错户号".into(),
        approval: None,
    };
    assert_eq!(c.desk.void_payment(no_approval.clone()).await.unwrap_err().code(), "APPROVAL_REQUIRED");
    c.desk
        .void_payment(VoidRequest { approval: approval("super1", "Counter#2026"), ..no_approval.clone() })
        .await
        .unwrap();
    assert_eq!(state(&c).await, before, "bills and balances are exactly as before the payment");
    assert_eq!(
        count(&c, "SELECT COUNT(*) FROM payments WHERE voided = 1").await,
        1,
        "nothing deleted: the payment is marked void"
    );
    let twice = c
        .desk
        .void_payment(VoidRequest { approval: approval("super1", "Counter#2026"), ..no_approval })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), "VOID_REFUSED");
    // The next receipt takes the next number: a voided number is never reused.
    let next = c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(next.receipt_no, "GY01-03-2026-000002");
}

#[tokio::test]
async fn shift_close_is_a_blind_count_and_a_difference_needs_a_supervisor() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "500.00").await;
    // 231.55 kept (tendered 300, change 68.45).
    c.desk.collect(cash(&t, "3100000001", "231.55", "300.00")).await.unwrap();
    let counts = |hundreds: u32| {
        vec![
            DenominationCount { denomination: "100".into(), count: hundreds },
            DenominationCount { denomination: "20".into(), count: 1 },
            DenominationCount { denomination: "10".into(), count: 1 },
            DenominationCount { denomination: "1".into(), count: 1 },
            DenominationCount { denomination: "0.5".into(), count: 1 },
            DenominationCount { denomination: "0.1".into(), count: 0 },
        ]
    };
    // Expected 731.55; counting 631.50 is short by 100.05: refused without saying by how much.
    let short = c
        .desk
        .close_shift(CloseShiftRequest { token: t.clone(), counts: counts(6), reason: None, approval: None })
        .await
        .unwrap_err();
    assert_eq!(short.code(), "COUNT_NEEDS_APPROVAL");
    assert!(short.params().is_empty(), "no amount in the refusal: {:?}", short.params());
    let mut bad = counts(7);
    bad.push(DenominationCount { denomination: "2".into(), count: 1 });
    assert!(
        c.desk
            .close_shift(CloseShiftRequest { token: t.clone(), counts: bad, reason: None, approval: None })
            .await
            .is_err(),
        "no 2-yuan denomination"
    );
    // 700 + 20 + 10 + 1 + 0.5 = 731.50: still 0.05 short, so approve it.
    let out = c
        .desk
        .close_shift(CloseShiftRequest {
            token: t.clone(),
            counts: counts(7),
            reason: Some("找零误差".into()),
            approval: approval("super1", "Counter#2026"),
        })
        .await
        .unwrap();
    assert_eq!((out.expected, out.counted, out.difference), (y("731.55"), y("731.50"), Yuan::from_fen(-5)));
    let kept: Vec<(String, Option<bool>)> = out.attempts.iter().map(|a| (a.counted.to_string(), a.matches)).collect();
    assert_eq!(kept, [("631.50".to_string(), Some(false)), ("731.50".to_string(), Some(false))], "both counts kept");
    assert!(c.desk.current_shift(TokenRequest { token: t.clone() }).await.unwrap().is_none());
    assert_eq!(count(&c, "SELECT COUNT(*) FROM outbox WHERE kind IN ('shift.open', 'shift.close')").await, 2);
}

#[tokio::test]
async fn receipt_numbers_continue_across_restarts() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    let desk = restart(&c).await;
    let t = login_on(&desk, "cashier1").await;
    let done = desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(done.receipt_no, "GY01-03-2026-000002", "the shift and the numbering survive a restart");
}

/// Six digits a year: the 999,999th number is the last, the next payment is refused and changes
/// nothing, and a new year starts again at 000001.
#[tokio::test]
async fn receipt_numbers_stop_at_999999_and_start_again_each_year() {
    let (c, t) = on_shift("2026-12-31T23:55:00+08:00").await;
    c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    sqlx::query("UPDATE payments SET receipt_no = 'GY01-03-2026-999998'").execute(c.desk.pool()).await.unwrap();
    let done = c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(done.receipt_no, "GY01-03-2026-999999");
    let before = count(&c, PAYMENT_WRITES).await;
    let err = c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap_err();
    assert_eq!(err.code(), "RECEIPT_NUMBERS_USED_UP", "{err}");
    assert_eq!((err.params()["terminal"].as_str(), err.params()["year"].as_str()), ("GY01-03", "2026"));
    assert_eq!(count(&c, PAYMENT_WRITES).await, before, "nothing written");
    c.clock.set(at("2027-01-01T00:05:00+08:00"));
    let done = c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap();
    assert_eq!(done.receipt_no, "GY01-03-2027-000001");
}

#[tokio::test]
async fn a_waiver_covers_only_the_bills_the_payment_reaches() {
    // 3100000004 owes 202512 (2,000.00) and 202601 (3,000.00), both overdue on 2026-01-18.
    let c = with_accounts("2026-01-18T10:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    let req = CollectRequest {
        waive_late_fee: Some("困难用户，经批准减免".into()),
        approval: approval("super1", "Counter#2026"),
        ..cash(&t, "3100000004", "500.00", "500.00")
    };
    let done = c.desk.collect(req).await.unwrap();
    assert_eq!(done.late_fee_waived, y("108.00"), "only 202512's fee: the payment does not reach 202601");
    let q = owed(&c, "3100000004", at("2026-01-18T10:00:00+08:00").date_naive()).await;
    assert_eq!(q.bills[1].late_fee, y("18.00"), "202601 keeps its late fee");
    assert_eq!(q.bills[0].late_fee, Yuan::ZERO, "202512's fee was waived");
}

#[tokio::test]
async fn a_closed_shift_takes_no_more_money_and_closes_once() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = login(&c, "cashier1").await;
    open(&c, &t, "0").await;
    let close = || CloseShiftRequest { token: t.clone(), counts: vec![], reason: None, approval: None };
    c.desk.close_shift(close()).await.unwrap();
    assert_eq!(c.desk.close_shift(close()).await.unwrap_err().code(), "SHIFT_NOT_OPEN");
    assert_eq!(c.desk.collect(cash(&t, "3100000001", "1.00", "1.00")).await.unwrap_err().code(), "SHIFT_NOT_OPEN");
    assert_eq!(count(&c, "SELECT COUNT(*) FROM outbox WHERE kind = 'shift.close'").await, 1);
}
