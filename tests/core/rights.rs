//! The role matrix (`cashdesk::users::rights::MATRIX`) walked end to end: every action for every
//! role, and for nobody logged in, through the `Desk` API and through `cashdeskctl`. A permitted
//! role may still be refused for another reason (no shift open, no such receipt, bad input); what
//! this checks is that a role the matrix refuses always gets `FORBIDDEN` (before anything else is
//! looked at), a role it permits never does, and nobody is let in without a session.

use cashdesk::{
    Error,
    desk::{
        AccountRequest, Desk, SearchRequest, TokenRequest,
        notices::{NoticeAccountRequest, NoticeLogRequest, NoticePreviewRequest},
        printing::{ReceiptRequest, SetPrintSettingsRequest, ShiftReportRequest},
        refunds::{RefundDecideRequest, RefundDocRequest, RefundListRequest, RefundSubmitRequest},
        report::{DailyReportRequest, SignDailyReportRequest},
        session::{SetCounterSettingsRequest, SetLanguageRequest, UnlockRequest},
        shift::{CloseShiftRequest, DepositListRequest, DepositRequest, OpenShiftRequest},
        sync::SyncEnrolRequest,
        users::{AddUserRequest, ChangeRoleRequest, ResetPasswordRequest, UserRequest},
        void::VoidRequest,
    },
    notices::NoticeFilter,
    payments::{CollectRequest, Method, VendRequest},
    print::{PaperMode, RefundDocKind},
    refunds::Reason,
    reports::daily::Scope,
    shifts::DenominationCount,
    sync::wire::RefundDocs,
    users::{Action, Role, approval::ApprovalInput, rights::MATRIX},
};

use crate::common::{PW, token, with_accounts};

const ROLES: [(Role, &str); 4] =
    [(Role::Cashier, "cashier1"), (Role::Supervisor, "super1"), (Role::Finance, "finance1"), (Role::Admin, "admin")];

/// A token that is no session.
const NOBODY: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn cash(token: &str, account: &str) -> CollectRequest {
    CollectRequest {
        token: token.into(),
        account_no: account.into(),
        method: Method::Cash,
        amount: "1.00".into(),
        tendered: Some("1.00".into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    }
}

/// Ask for `action` with `token` (for `Approve`: `approver` approves a waiver `cashier2` asks for).
async fn attempt(desk: &Desk, action: Action, token: &str, approver: &str, requester: &str) -> Result<(), Error> {
    let t = || token.to_string();
    let tr = || TokenRequest { token: t() };
    let user = |name: &str| UserRequest { token: t(), username: name.into() };
    match action {
        Action::SearchAccounts => {
            desk.search_accounts(SearchRequest { token: t(), query: "310".into() }).await.map(drop)
        }
        Action::ViewAccount => {
            desk.account_view(AccountRequest { token: t(), account_no: "3100000001".into() }).await.map(drop)
        }
        Action::Quote => desk.quote(token, "3100000001", desk.today()).await.map(drop),
        Action::CurrentShift => desk.current_shift(tr()).await.map(drop),
        Action::OpenShift => desk.open_shift(OpenShiftRequest { token: t(), float: "0".into() }).await.map(drop),
        Action::Collect => desk.collect(cash(token, "3100000001")).await.map(drop),
        Action::Vend => desk
            .vend(VendRequest {
                token: t(),
                account_no: "3100000003".into(),
                method: Method::Cash,
                amount: "1.00".into(),
                tendered: Some("1.00".into()),
                confirm_large: false,
                voucher: None,
                approval: None,
            })
            .await
            .map(drop),
        Action::Void => desk
            .void_payment(VoidRequest {
                token: t(),
                receipt_no: "NO-SUCH".into(),
                reason: "测试".into(),
                approval: None,
            })
            .await
            .map(drop),
        Action::Deposit => desk
            .deposit(DepositRequest {
                token: t(),
                amount: "1.00".into(),
                bank: "工行".into(),
                slip_no: "SLIP-1".into(),
            })
            .await
            .map(drop),
        Action::CloseShift => {
            let counts = vec![DenominationCount { denomination: "3".into(), count: 1 }];
            desk.close_shift(CloseShiftRequest { token: t(), counts, reason: None, approval: None }).await.map(drop)
        }
        Action::ShiftReport => {
            desk.shift_report_pdf(ShiftReportRequest { token: t(), shift_id: Some(999_999) }).await.map(drop)
        }
        Action::ViewReceipt => {
            desk.receipt_pdf(ReceiptRequest { token: t(), receipt_no: "NO-SUCH".into() }).await.map(drop)
        }
        Action::PrintReceipt => {
            desk.print_receipt(ReceiptRequest { token: t(), receipt_no: "NO-SUCH".into() }).await.map(drop)
        }
        Action::Approve => {
            let mut req = cash(requester, "3100000004");
            req.waive_late_fee = Some("测试减免".into());
            req.approval = Some(ApprovalInput { username: approver.into(), password: PW.into() });
            match desk.collect(req).await {
                // The approver's role is what this asks about: name it as the matrix would.
                Err(Error::ApprovalRole { .. }) => Err(Error::Forbidden { role: "", action: "approve" }),
                other => other.map(drop),
            }
        }
        Action::ViewPrintSettings => desk.print_settings(tr()).await.map(drop),
        Action::SetPrintSettings => desk
            .set_print_settings(SetPrintSettingsRequest { token: t(), printer: None, paper: PaperMode::A5 })
            .await
            .map(drop),
        Action::ViewCounterSettings => desk.counter_settings(tr()).await.map(drop),
        Action::SetCounterSettings => desk
            .set_counter_settings(SetCounterSettingsRequest {
                token: t(),
                idle_lock_minutes: 10,
                hotline: None,
                pay_where: None,
            })
            .await
            .map(drop),
        Action::SyncStatus => desk.sync_status(tr()).await.map(drop),
        Action::SyncNow => desk.sync_now(tr()).await.map(drop),
        Action::SyncFlagged => desk.sync_review(tr()).await.map(drop),
        Action::SyncEnrol => {
            desk.sync_enrol(SyncEnrolRequest { token: t(), url: "ftp://x".into(), code: "X".into() }).await.map(drop)
        }
        Action::SyncResend => desk.sync_resend(token, "not a time").await.map(drop),
        Action::ListUsers => desk.list_users(tr()).await.map(drop),
        Action::AddUser => desk
            .add_user(AddUserRequest {
                token: t(),
                username: "x".into(),
                display_name: None,
                role: Role::Cashier,
                password: "Probe#2026xx".into(),
            })
            .await
            .map(drop),
        Action::DisableUser => desk.disable_user(user("nobody")).await.map(drop),
        Action::EnableUser => desk.enable_user(user("nobody")).await.map(drop),
        Action::UnlockUser => desk.unlock_user(user("nobody")).await.map(drop),
        Action::ResetPassword => desk
            .reset_password(ResetPasswordRequest {
                token: t(),
                username: "nobody".into(),
                password: "Probe#2026xx".into(),
            })
            .await
            .map(drop),
        Action::ChangeRole => desk
            .change_role(ChangeRoleRequest { token: t(), username: "nobody".into(), role: Role::Cashier })
            .await
            .map(drop),
        Action::ImportAccounts => desk.import_accounts(token, "x.csv", b"garbage").await.map(drop),
        Action::ImportBills => desk.import_bills(token, "x.csv", b"garbage").await.map(drop),
        Action::LoadCalendar => desk.load_calendar_year(token, "{}").await.map(drop),
        Action::ManageKeys => desk.key_store_status(token).await.map(drop),
        // A directory that does not exist: a permitted role gets as far as writing, and fails there.
        Action::Backup => desk.backup(token, std::path::Path::new("/nonexistent/backup.sqlite")).await.map(drop),
        Action::Restore => desk.restore(token, std::path::Path::new("/nonexistent/backup.sqlite")).await.map(drop),
        Action::AuditVerify => desk.audit_verify(token).await.map(drop),
        Action::AuditTail => desk.audit_tail(token, 5).await.map(drop),
        Action::RefundSubmit => desk
            .submit_refund(RefundSubmitRequest {
                token: t(),
                account_no: "3100000002".into(),
                reason: Reason::Overpaid,
                reason_text: None,
                amount: "not money".into(),
                payee_name: None,
                payee_reason: None,
                payee_bank: "中国工商银行".into(),
                payee_branch: "城关支行".into(),
                payee_account: "6222021234567890123".into(),
                docs: RefundDocs::default(),
                duplicate_of: None,
            })
            .await
            .map(drop),
        Action::RefundDecide => desk
            .decide_refund(RefundDecideRequest {
                token: t(),
                request_no: "NO-SUCH".into(),
                approve: true,
                reason: None,
                approval: None,
            })
            .await
            .map(drop),
        Action::RefundList => desk.list_refunds(RefundListRequest { token: t(), state: None }).await.map(drop),
        Action::RefundPrint => desk
            .refund_pdf(RefundDocRequest { token: t(), request_no: "NO-SUCH".into(), doc: RefundDocKind::Form })
            .await
            .map(drop),
        Action::DailyReport => desk
            .daily_report(DailyReportRequest {
                token: t(),
                date: "2026-01-18".into(),
                scope: Scope::Cashier { username: approver.into() },
            })
            .await
            .map(drop),
        Action::SignDailyReport => desk
            .sign_daily_report(SignDailyReportRequest { token: t(), date: "2099-01-01".into(), approval: None })
            .await
            .map(drop),
        Action::ListDeposits => desk.list_deposits(DepositListRequest { token: t(), in_transit: true }).await.map(drop),
        Action::NoticeBatch => {
            desk.notice_preview(NoticePreviewRequest { token: t(), filter: NoticeFilter::default() }).await.map(drop)
        }
        Action::NoticePrint => {
            desk.notice_pdf(NoticeAccountRequest { token: t(), account_no: "3100000001".into() }).await.map(drop)
        }
        Action::NoticeLog => {
            desk.notice_log(NoticeLogRequest { token: t(), account_no: None, run: None, limit: 10 }).await.map(drop)
        }
        Action::LockScreen => desk.lock_session(tr()).await,
        Action::Logout => desk.logout(tr()).await,
        Action::SetOwnLanguage => {
            desk.set_language(SetLanguageRequest { token: t(), language: "en".into() }).await.map(drop)
        }
    }
}

fn forbidden(r: &Result<(), Error>) -> bool {
    matches!(r, Err(Error::Forbidden { .. }))
}

#[tokio::test]
async fn every_action_for_every_role_through_the_desk_api() {
    let c = with_accounts("2026-01-18T10:00:00+08:00").await;
    // The requester of the approvals: another cashier with a shift open at this terminal.
    let admin = token(&c.desk, "admin").await;
    c.desk
        .add_user(AddUserRequest {
            token: admin,
            username: "cashier2".into(),
            display_name: None,
            role: Role::Cashier,
            password: PW.into(),
        })
        .await
        .unwrap();
    let requester = token(&c.desk, "cashier2").await;
    c.desk.open_shift(OpenShiftRequest { token: requester.clone(), float: "0".into() }).await.unwrap();
    let mut checked = 0;
    for action in Action::all() {
        for (role, name) in ROLES {
            // A fresh session for each: locking or logging out must not spill into the next.
            let t = token(&c.desk, name).await;
            let got = attempt(&c.desk, action, &t, name, &requester).await;
            assert_eq!(
                forbidden(&got),
                !role.permits(action),
                "{action:?} as {role:?}: {got:?} (the matrix says {:?})",
                action.roles()
            );
            checked += 1;
        }
        let got = attempt(&c.desk, action, NOBODY, "nobody", &requester).await;
        let want = if action == Action::Approve { "APPROVAL_INVALID" } else { "SESSION_EXPIRED" };
        assert_eq!(got.as_ref().err().map(Error::code), Some(want), "{action:?} with no session");
    }
    assert_eq!(checked, MATRIX.len() * ROLES.len());
}

/// Every command of the UI's command table is one row of the matrix (or needs no session).
#[test]
fn every_ipc_command_has_its_row() {
    let row = |cmd: &str| -> Option<Action> {
        Some(match cmd {
            "logout" => Action::Logout,
            "lock_session" => Action::LockScreen,
            "counter_settings" => Action::ViewCounterSettings,
            "set_counter_settings" => Action::SetCounterSettings,
            "set_language" => Action::SetOwnLanguage,
            "search_accounts" => Action::SearchAccounts,
            "account_view" => Action::ViewAccount,
            "current_shift" => Action::CurrentShift,
            "open_shift" => Action::OpenShift,
            "collect" => Action::Collect,
            "vend" => Action::Vend,
            "void_payment" => Action::Void,
            "deposit" => Action::Deposit,
            "close_shift" => Action::CloseShift,
            "print_settings" => Action::ViewPrintSettings,
            "set_print_settings" | "printer_queues" | "print_test_page" => Action::SetPrintSettings,
            "receipt_pdf" => Action::ViewReceipt,
            "print_receipt" => Action::PrintReceipt,
            "shift_report" => Action::ShiftReport,
            "sync_status" => Action::SyncStatus,
            "sync_enrol" => Action::SyncEnrol,
            "sync_now" => Action::SyncNow,
            "sync_flagged" => Action::SyncFlagged,
            "list_users" => Action::ListUsers,
            "add_user" => Action::AddUser,
            "disable_user" => Action::DisableUser,
            "enable_user" => Action::EnableUser,
            "unlock_user" => Action::UnlockUser,
            "reset_password" => Action::ResetPassword,
            "change_role" => Action::ChangeRole,
            "refund_context" | "submit_refund" => Action::RefundSubmit,
            "decide_refund" => Action::RefundDecide,
            "list_refunds" => Action::RefundList,
            "refund_pdf" => Action::RefundPrint,
            "daily_report" | "daily_report_export" | "daily_report_pdf" => Action::DailyReport,
            "sign_daily_report" => Action::SignDailyReport,
            "list_deposits" | "deposit_slip_pdf" => Action::ListDeposits,
            "notice_preview" | "notice_batch_start" | "notice_run_status" | "notice_run_cancel" => Action::NoticeBatch,
            "notice_pdf" | "print_notice" => Action::NoticePrint,
            "notice_log" => Action::NoticeLog,
            _ => return None,
        })
    };
    for (cmd, _, _) in cashdesk::desk::commands::COMMANDS {
        // No session yet (log-in, the app's name), the session's own user (unlock), the
        // ledger's finance users, whose roles the ledger checks (`desk::finance`), or a printout
        // whose right is its document's (print_document: refund_pdf, deposit_slip_pdf, daily_report_pdf).
        if matches!(*cmd, "app_info" | "login" | "unlock_session" | "print_document") || cmd.starts_with("finance_") {
            continue;
        }
        assert!(row(cmd).is_some(), "the command {cmd} has no row in the role matrix");
    }
    let _ = UnlockRequest { token: String::new(), password: String::new() };
}

/// `cashdeskctl` commands and the matrix row each one is.
const CLI: &[(&[&str], Action)] = &[
    (&["quote", "3100000001"], Action::Quote),
    (&["import", "accounts", "{garbage}"], Action::ImportAccounts),
    (&["import", "bills", "{garbage}"], Action::ImportBills),
    (&["calendar", "load", "{garbage}"], Action::LoadCalendar),
    (&["datakey", "status"], Action::ManageKeys),
    (&["user", "list"], Action::ListUsers),
    (&["user", "add", "probe", "--role", "cashier"], Action::AddUser),
    (&["user", "disable", "nobody"], Action::DisableUser),
    (&["user", "enable", "nobody"], Action::EnableUser),
    (&["user", "unlock", "nobody"], Action::UnlockUser),
    (&["user", "reset-password", "nobody"], Action::ResetPassword),
    (&["user", "role", "nobody", "--role", "cashier"], Action::ChangeRole),
    (&["audit", "verify"], Action::AuditVerify),
    (&["audit", "tail"], Action::AuditTail),
    (&["shift", "open", "--float", "0"], Action::OpenShift),
    (&["shift", "close", "--count", "3=1"], Action::CloseShift),
    (&["shift", "report", "--shift", "999999", "--out", "{out}"], Action::ShiftReport),
    (&["collect", "3100000001", "--amount", "1", "--exact"], Action::Collect),
    (&["vend", "3100000003", "--amount", "1", "--exact"], Action::Vend),
    (&["void", "NO-SUCH", "--reason", "测试", "--approver", "super1"], Action::Void),
    (&["deposit", "--amount", "1", "--bank", "工行", "--slip", "SLIP-1"], Action::Deposit),
    (&["receipt", "print", "NO-SUCH", "--out", "{out}"], Action::PrintReceipt),
    (&["sync", "enrol", "--url", "ftp://x", "--code", "X"], Action::SyncEnrol),
    (&["sync", "now"], Action::SyncNow),
    (&["sync", "status"], Action::SyncStatus),
    (&["sync", "flagged"], Action::SyncFlagged),
    (&["sync", "resend", "--since", "not-a-time"], Action::SyncResend),
    (&["config", "show"], Action::ViewCounterSettings),
    (&["config", "idle-lock", "10"], Action::SetCounterSettings),
    (
        &[
            "refund",
            "submit",
            "3100000002",
            "--reason",
            "overpaid",
            "--amount",
            "x",
            "--bank",
            "工行",
            "--branch",
            "城关",
            "--account",
            "6222021234567890123",
        ],
        Action::RefundSubmit,
    ),
    (&["refund", "approve", "NO-SUCH", "--approver", "super1"], Action::RefundDecide),
    (&["refund", "reject", "NO-SUCH", "--reason", "测试", "--approver", "super1"], Action::RefundDecide),
    (&["refund", "list"], Action::RefundList),
    (&["refund", "show", "NO-SUCH"], Action::RefundList),
    (&["refund", "print", "NO-SUCH", "--out", "{out}"], Action::RefundPrint),
    (&["report", "daily", "--date", "2026-01-18", "--cashier", "{user}"], Action::DailyReport),
    (
        &["report", "daily", "--date", "2026-01-18", "--cashier", "{user}", "--format", "pdf", "--out", "{out}"],
        Action::DailyReport,
    ),
    (&["deposits", "--in-transit"], Action::ListDeposits),
    (&["deposits", "slip", "NO-SUCH", "--out", "{out}"], Action::ListDeposits),
    (&["report", "sign", "--date", "2099-01-01", "--approver", "super1"], Action::SignDailyReport),
    // Last: a permitted backup writes `{out}` (the next ones are refused as it is not empty).
    (&["backup", "--out", "{out}"], Action::Backup),
    (&["restore", "{garbage}"], Action::Restore),
];

#[test]
fn every_command_for_every_role_through_cashdeskctl() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("cashdesk.sqlite");
    let garbage = home.join("garbage.txt");
    std::fs::write(&garbage, "garbage").unwrap();
    let out = home.join("out.pdf");
    let run = |args: &[&str], stdin: &str| crate::common::cashdeskctl(&db, args, stdin, Some(home));
    assert!(run(&["init", "--demo"], "").status.success());
    let demo_pw = |name: &str| match name {
        "cashier1" => "Cashier#2026",
        "super1" => "Super#2026",
        "finance1" => "Finance#2026",
        _ => "Admin#2026",
    };
    for (args, action) in CLI {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{garbage}", garbage.to_str().unwrap()).replace("{out}", out.to_str().unwrap()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for (role, name) in ROLES {
            let own: Vec<String> = args.iter().map(|a| a.replace("{user}", name)).collect();
            let own: Vec<&str> = own.iter().map(String::as_str).collect();
            let full = [&["--user", name][..], &own].concat();
            // The user's password, then a second line (an approver's or a new password).
            let stdin = format!("{}\nProbe#2026xx\n", demo_pw(name));
            let o = run(&full, &stdin);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(
                stderr.contains("[FORBIDDEN]"),
                !role.permits(*action),
                "cashdeskctl {full:?} as {role:?}: {stderr}"
            );
            assert!(!stderr.contains("AUTH_INVALID"), "{full:?}: the log-in itself must work: {stderr}");
        }
        let o = run(&args, "");
        assert_eq!(o.status.code(), Some(1), "{args:?} without a log-in");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--user"),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // And the commands that need no log-in do not ask for one.
    assert!(run(&["words", "1.00"], "").status.success());
    assert!(run(&["calendar", "is-working-day", "2026-02-14"], "").status.success());
}
