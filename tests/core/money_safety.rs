//! Issue 14: the blind count is blind, 实收 cannot be mistyped into the books, typed numbers are
//! forgiven their full-width digits, an idle counter locks, and users change only by an
//! administrator's hand. Real SQLite files, real PDFs read back with pdftotext.

use base64::Engine;
use cashdesk::{
    desk::{
        AccountRequest, SearchRequest, TokenRequest,
        printing::ShiftReportRequest,
        session::UnlockRequest,
        shift::{CloseShiftRequest, DepositRequest, OpenShiftRequest},
        users::{ChangeRoleRequest, ResetPasswordRequest, UserRequest},
    },
    payments::{CollectRequest, Method},
    shifts::DenominationCount,
    users::{Role, approval::ApprovalInput},
};

use crate::common::{Counter, PW, at, token, with_accounts};

fn dc(d: &str, n: u32) -> DenominationCount {
    DenominationCount { denomination: d.into(), count: n }
}

fn close(t: &str, counts: Vec<DenominationCount>, approved: bool) -> CloseShiftRequest {
    CloseShiftRequest {
        token: t.into(),
        counts,
        reason: approved.then(|| "点钞差错".into()),
        approval: approved.then(|| ApprovalInput { username: "super1".into(), password: PW.into() }),
    }
}

fn pdf_text(c: &Counter, pdf_base64: &str) -> String {
    let path = c.dir.path().join("doc.pdf");
    std::fs::write(&path, base64::engine::general_purpose::STANDARD.decode(pdf_base64).unwrap()).unwrap();
    let out = std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

async fn audit_of(c: &Counter, action: &str) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT detail FROM audit_log WHERE action = ? ORDER BY seq")
        .bind(action)
        .fetch_all(c.desk.pool())
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

fn cash(t: &str, amount: &str, tendered: Option<&str>) -> CollectRequest {
    CollectRequest {
        token: t.into(),
        account_no: "3100000001".into(),
        method: Method::Cash,
        amount: amount.into(),
        tendered: tendered.map(Into::into),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    }
}

/// A shift with 12,793.38 in the drawer by the records: float 12,500.00 and 293.38 kept.
async fn drawer_of_12793_38() -> (Counter, String) {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "12500.00".into() }).await.unwrap();
    c.desk.collect(cash(&t, "293.38", Some("300.00"))).await.unwrap();
    (c, t)
}

/// The count of 12,793.38 by denomination, fen coins included; `short`: a 20 counted as a 10.
fn counts(short: bool) -> Vec<DenominationCount> {
    let (twenties, tens) = if short { (1, 1) } else { (2, 0) };
    vec![
        dc("100", 127),
        dc("50", 1),
        dc("20", twenties),
        dc("10", tens),
        dc("1", 3),
        dc("0.1", 3),
        dc("0.05", 1),
        dc("0.02", 1),
        dc("0.01", 1),
    ]
}

#[tokio::test]
async fn a_count_ten_short_then_an_exact_one_still_needs_approval_and_both_are_kept() {
    let (c, t) = drawer_of_12793_38().await;
    let short = c.desk.close_shift(close(&t, counts(true), false)).await.unwrap_err();
    assert_eq!(short.code(), "COUNT_NEEDS_APPROVAL");
    let body = serde_json::to_string(&short.body()).unwrap();
    for secret in ["12793.38", "12783.38", "10.00", "-10.00"] {
        assert!(!body.contains(secret), "the refusal tells no amount ({secret}): {body}");
    }
    // The cashier recounts to the exact figure: still refused, with the very same answer.
    let exact = c.desk.close_shift(close(&t, counts(false), false)).await.unwrap_err();
    assert_eq!(serde_json::to_string(&exact.body()).unwrap(), body, "an exact recount teaches nothing");
    // Before the close, the cashier's own report shows the counts but no expected cash and no verdict.
    let doc = c.desk.shift_report_pdf(ShiftReportRequest { token: t.clone(), shift_id: None }).await.unwrap();
    let text = pdf_text(&c, &doc.pdf_base64);
    assert!(text.contains("应有现金：交班盲点后显示") && !text.contains("差额"), "{text}");
    assert_eq!(text.matches("12,793.38").count(), 1, "only as the second count the cashier typed: {text}");
    assert!(text.contains("第1次") && text.contains("第2次") && !text.contains("不符"), "{text}");
    // A supervisor sees the expected cash of the open shift.
    let sup = token(&c.desk, "super1").await;
    let shift_id = c.desk.current_shift(TokenRequest { token: t.clone() }).await.unwrap().unwrap().id;
    let doc = c.desk.shift_report_pdf(ShiftReportRequest { token: sup, shift_id: Some(shift_id) }).await.unwrap();
    let text = pdf_text(&c, &doc.pdf_base64);
    assert!(text.contains("应有现金") && text.contains("12,793.38"), "{text}");
    // With a reason and the supervisor, the close goes through; the first count stays on record.
    let out = c.desk.close_shift(close(&t, counts(false), true)).await.unwrap();
    assert_eq!(out.difference.to_string(), "0.00");
    let attempts: Vec<(u32, String, Option<bool>)> =
        out.attempts.iter().map(|a| (a.attempt, a.counted.to_string(), a.matches)).collect();
    assert_eq!(attempts, [(1, "12783.38".into(), Some(false)), (2, "12793.38".into(), Some(true))]);
    let counted = audit_of(&c, "shift.count").await;
    assert_eq!(counted.len(), 2, "every count is audited once (the approved resubmission is the same count)");
    assert!(counted[0].contains("\"0.01\":1") && counted[0].contains("\"matches\":false"), "{}", counted[0]);
    assert!(audit_of(&c, "approval.granted").await.iter().any(|d| d.contains("shift close")));
    let doc = c.desk.shift_report_pdf(ShiftReportRequest { token: t, shift_id: None }).await.unwrap();
    let text = pdf_text(&c, &doc.pdf_base64);
    for want in ["第1次", "12,783.38", "不符", "第2次", "相符", "点钞差错"] {
        assert!(text.contains(want), "{want} missing from the closed shift's report:\n{text}");
    }
}

#[tokio::test]
async fn a_deposit_too_large_does_not_tell_what_the_drawer_holds() {
    let (c, t) = drawer_of_12793_38().await;
    let e = c
        .desk
        .deposit(DepositRequest { token: t, amount: "20000".into(), bank: "工行".into(), slip_no: "JK0001".into() })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEPOSIT_TOO_LARGE");
    assert!(!serde_json::to_string(&e.body()).unwrap().contains("12793.38"), "{e}");
}

#[tokio::test]
async fn tendered_cash_is_required_checked_and_confirmed_when_large() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    let payments = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM payments").fetch_one(c.desk.pool()).await.unwrap();
        n
    };
    for empty in [None, Some(""), Some("  ")] {
        let e = c.desk.collect(cash(&t, "188.43", empty)).await.unwrap_err();
        assert_eq!(e.code(), "TENDERED_MISSING", "{empty:?}");
    }
    let e = c.desk.collect(cash(&t, "188.43", Some("18843"))).await.unwrap_err();
    assert_eq!(e.code(), "TENDERED_CONFIRM");
    assert_eq!(e.params()["change"], "18654.57");
    assert_eq!(e.params()["tendered_words"], "人民币壹万捌仟捌佰肆拾叁元整");
    let e = c.desk.collect(cash(&t, "188.43", Some("999999999999.99"))).await.unwrap_err();
    assert_eq!(e.code(), "TENDERED_TOO_LARGE");
    assert_eq!(payments().await, 0, "nothing was recorded");
    let done =
        c.desk.collect(CollectRequest { confirm_large: true, ..cash(&t, "188.43", Some("18843")) }).await.unwrap();
    assert_eq!(done.change.map(|y| y.to_string()).as_deref(), Some("18654.57"));
    // Full-width digits typed with a Chinese input method are digits.
    let done = c.desk.collect(cash(&t, "１．００", Some("２。００"))).await.unwrap();
    assert_eq!((done.amount.to_string(), done.change.map(|y| y.to_string())), ("1.00".into(), Some("1.00".into())));
    let e = c.desk.collect(cash(&t, "0.00", Some("1"))).await.unwrap_err();
    assert_eq!(e.code(), "AMOUNT_ZERO");
}

#[tokio::test]
async fn account_numbers_are_read_as_typed_by_a_tired_hand() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    for typed in ["３１０００００００１", "3100-0000 01", " 3100000001 "] {
        let v = c.desk.account_view(AccountRequest { token: t.clone(), account_no: typed.into() }).await.unwrap();
        assert_eq!(v.account.account_no.as_str(), "3100000001", "{typed}");
    }
    let hits =
        c.desk.search_accounts(SearchRequest { token: t.clone(), query: "０１１０－０００".into() }).await.unwrap();
    assert!(!hits.is_empty(), "a meter number typed full-width with a hyphen is found");
}

#[tokio::test]
async fn an_idle_screen_locks_until_the_same_user_unlocks_it() {
    let (c, t) = drawer_of_12793_38().await;
    c.desk.lock_session(TokenRequest { token: t.clone() }).await.unwrap();
    let e = c.desk.collect(cash(&t, "1.00", Some("1.00"))).await.unwrap_err();
    assert_eq!(e.code(), "SESSION_LOCKED", "the core refuses a locked session, on the payment's fast path too");
    assert_eq!(e.params()["username"], "cashier1");
    let e = c.desk.search_accounts(SearchRequest { token: t.clone(), query: "310".into() }).await.unwrap_err();
    assert_eq!(e.code(), "SESSION_LOCKED");
    let e = c.desk.unlock_session(UnlockRequest { token: t.clone(), password: "wrong-pass".into() }).await.unwrap_err();
    assert_eq!(e.code(), "AUTH_INVALID");
    let (failed,): (i64,) = sqlx::query_as("SELECT failed_attempts FROM users WHERE username = 'cashier1'")
        .fetch_one(c.desk.pool())
        .await
        .unwrap();
    assert_eq!(failed, 1, "a wrong unlock counts toward the lock-out");
    let user = c.desk.unlock_session(UnlockRequest { token: t.clone(), password: PW.into() }).await.unwrap();
    assert_eq!(user.username, "cashier1");
    c.desk.collect(cash(&t, "1.00", Some("1.00"))).await.unwrap();
    // Locked again, someone else logs the cashier out to log in; the shift stays open.
    c.desk.lock_session(TokenRequest { token: t.clone() }).await.unwrap();
    c.desk.logout(TokenRequest { token: t.clone() }).await.unwrap();
    let sup = token(&c.desk, "super1").await;
    assert!(c.desk.current_shift(TokenRequest { token: sup }).await.unwrap().is_none());
    let again = token(&c.desk, "cashier1").await;
    assert!(c.desk.current_shift(TokenRequest { token: again }).await.unwrap().is_some(), "the shift stayed open");
}

#[tokio::test]
async fn user_changes_end_sessions_and_keep_an_administrator() {
    let (c, t) = drawer_of_12793_38().await;
    let admin = token(&c.desk, "admin").await;
    let user = |name: &str| UserRequest { token: admin.clone(), username: name.into() };
    // A cashier with an open shift keeps a role that can close it.
    let e = c
        .desk
        .change_role(ChangeRoleRequest { token: admin.clone(), username: "cashier1".into(), role: Role::Finance })
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.params()["rule"].as_str()), ("USER_GUARD", "open_shift"), "{e}");
    let e = c
        .desk
        .reset_password(ResetPasswordRequest {
            token: admin.clone(),
            username: "cashier1".into(),
            password: "cashier1-2026x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.params()["rule"].as_str()), ("PASSWORD_WEAK", "user_name"), "{e}");
    c.desk
        .reset_password(ResetPasswordRequest {
            token: admin.clone(),
            username: "cashier1".into(),
            password: "Shouyin#2027".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        c.desk.current_shift(TokenRequest { token: t }).await.unwrap_err().code(),
        "SESSION_EXPIRED",
        "a new password ends the user's sessions"
    );
    let e = c.desk.disable_user(user("admin")).await.unwrap_err();
    assert_eq!((e.code(), e.params()["rule"].as_str()), ("USER_GUARD", "self"), "{e}");
    let sup = token(&c.desk, "super1").await;
    c.desk.disable_user(user("super1")).await.unwrap();
    assert_eq!(c.desk.sync_status(TokenRequest { token: sup }).await.unwrap_err().code(), "SESSION_EXPIRED");
    let actions = audit_of(&c, "user.disable").await;
    assert!(actions[0].contains("\"sessions_ended\":1"), "{actions:?}");
    // A disabled supervisor approves nothing.
    c.clock.set(at("2026-01-10T10:00:00+08:00"));
    let e = c.desk.bootstrap_admin("second", None, "Second#20261").await.unwrap_err();
    assert_eq!(e.code(), "ALREADY_INITIALISED");
}
