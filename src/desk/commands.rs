//! The command table: the one place where a command name meets its request type, its `Desk` method
//! and its result type. The Tauri shell (`invoke('call', {cmd, req})`) and the browser bridge
//! (`POST /api/call/{cmd}`) both dispatch through [`call`], so the UI exercises the same path in the
//! desktop app and in the browser tests.
//!
//! The TypeScript types of every request, result and error, and the `Commands` map, are generated
//! from these Rust types into `ui/src/bindings/` (see the `bindings` test: it fails when the
//! committed files are stale; `UPDATE_BINDINGS=1 cargo test --lib bindings` rewrites them).

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::{
    AccountRequest, Desk, LoginRequest, SearchRequest, TokenRequest,
    documents::PrintDocumentRequest,
    finance::{
        FinanceDecideRequest, FinanceListRequest, FinanceLoginRequest, FinancePayRequest, FinanceRefundRequest,
        FinanceTokenRequest,
    },
    notices::{NoticeAccountRequest, NoticeBatchRequest, NoticeLogRequest, NoticePreviewRequest, NoticeRunRequest},
    printing::{ReceiptRequest, SetPrintSettingsRequest, ShiftReportRequest, TestPageRequest},
    refunds::{RefundContextRequest, RefundDecideRequest, RefundDocRequest, RefundListRequest, RefundSubmitRequest},
    report::{DailyExportRequest, DailyReportRequest, SignDailyReportRequest},
    session::{SetCounterSettingsRequest, SetLanguageRequest, UnlockRequest},
    shift::{CloseShiftRequest, DepositListRequest, DepositRequest, DepositSlipRequest, OpenShiftRequest},
    sync::SyncEnrolRequest,
    users::{AddUserRequest, ChangeRoleRequest, ResetPasswordRequest, UserRequest},
    void::VoidRequest,
};
use crate::payments::{CollectRequest, VendRequest};
use crate::{Error, ErrorBody};

/// Every command: (name, request type, result type), as the TypeScript `Commands` map shows it.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("app_info", "Record<string, never>", "AppInfo"),
    ("login", "LoginRequest", "LoginResult"),
    ("logout", "TokenRequest", "null"),
    ("lock_session", "TokenRequest", "null"),
    ("unlock_session", "UnlockRequest", "UserInfo"),
    ("counter_settings", "TokenRequest", "CounterSettings"),
    ("set_counter_settings", "SetCounterSettingsRequest", "CounterSettings"),
    ("set_language", "SetLanguageRequest", "Language"),
    ("search_accounts", "SearchRequest", "Array<AccountHit>"),
    ("account_view", "AccountRequest", "AccountView"),
    ("current_shift", "TokenRequest", "ShiftInfo | null"),
    ("open_shift", "OpenShiftRequest", "ShiftInfo"),
    ("collect", "CollectRequest", "PaymentDone"),
    ("vend", "VendRequest", "PaymentDone"),
    ("void_payment", "VoidRequest", "VoidDone"),
    ("deposit", "DepositRequest", "DepositDone"),
    ("close_shift", "CloseShiftRequest", "CloseOutcome"),
    ("print_settings", "TokenRequest", "PrintSettings"),
    ("set_print_settings", "SetPrintSettingsRequest", "PrintSettings"),
    ("printer_queues", "TokenRequest", "Queues"),
    ("print_test_page", "TestPageRequest", "Printed"),
    ("receipt_pdf", "ReceiptRequest", "ReceiptPdf"),
    ("print_receipt", "ReceiptRequest", "Printed"),
    ("shift_report", "ShiftReportRequest", "DocumentPdf"),
    ("sync_status", "TokenRequest", "SyncStatus"),
    ("sync_enrol", "SyncEnrolRequest", "SyncStatus"),
    ("sync_now", "TokenRequest", "SyncReport"),
    ("sync_flagged", "TokenRequest", "Array<FlaggedEvent>"),
    ("list_users", "TokenRequest", "Array<UserListing>"),
    ("add_user", "AddUserRequest", "UserInfo"),
    ("disable_user", "UserRequest", "UserListing"),
    ("enable_user", "UserRequest", "UserListing"),
    ("unlock_user", "UserRequest", "UserListing"),
    ("reset_password", "ResetPasswordRequest", "UserListing"),
    ("change_role", "ChangeRoleRequest", "UserListing"),
    ("refund_context", "RefundContextRequest", "RefundContext"),
    ("submit_refund", "RefundSubmitRequest", "RefundInfo"),
    ("decide_refund", "RefundDecideRequest", "RefundInfo"),
    ("list_refunds", "RefundListRequest", "Array<RefundInfo>"),
    ("refund_pdf", "RefundDocRequest", "DocumentPdf"),
    ("list_deposits", "DepositListRequest", "Array<DepositInfo>"),
    ("print_document", "PrintDocumentRequest", "PrintedDocument"),
    ("notice_preview", "NoticePreviewRequest", "NoticePreview"),
    ("notice_pdf", "NoticeAccountRequest", "NoticePdf"),
    ("print_notice", "NoticeAccountRequest", "PrintedNotice"),
    ("notice_batch_start", "NoticeBatchRequest", "NoticeRunStatus"),
    ("notice_run_status", "NoticeRunRequest", "NoticeRunStatus"),
    ("notice_run_cancel", "NoticeRunRequest", "NoticeRunStatus"),
    ("notice_log", "NoticeLogRequest", "Array<NoticeLogEntry>"),
    ("daily_report", "DailyReportRequest", "DailyReportView"),
    ("sign_daily_report", "SignDailyReportRequest", "DailySignOff"),
    ("daily_report_export", "DailyExportRequest", "ExportedFile"),
    ("daily_report_pdf", "DailyReportRequest", "DocumentPdf"),
    ("deposit_slip_pdf", "DepositSlipRequest", "DocumentPdf"),
    ("finance_login", "FinanceLoginRequest", "FinanceSession"),
    ("finance_logout", "FinanceTokenRequest", "null"),
    ("finance_refunds", "FinanceListRequest", "RefundList"),
    ("finance_refund", "FinanceRefundRequest", "RefundDetail"),
    ("finance_decide", "FinanceDecideRequest", "RefundDetail"),
    ("finance_pay", "FinancePayRequest", "RefundDetail"),
];

fn parse<T: DeserializeOwned>(req: Value) -> Result<T, Error> {
    serde_json::from_value(req).map_err(|e| Error::invalid("request", e.to_string()))
}

fn reply<T: Serialize>(r: Result<T, Error>) -> Result<Value, Error> {
    let v = r?;
    serde_json::to_value(v).map_err(|e| Error::Internal(format!("cannot encode the reply: {e}")))
}

/// One arm per command: parse the request as its type, call the method, encode the reply.
macro_rules! dispatch {
    ($cmd:expr, $req:ident; $($name:literal: $ty:ty => |$r:ident| $call:expr;)*) => {
        match $cmd {
            $($name => match parse::<$ty>($req) {
                Ok($r) => reply($call.await),
                Err(e) => Err(e),
            },)*
            other => Err(Error::invalid("cmd", format!("unknown command '{other}'"))),
        }
    };
}

/// Run one command. Errors come back as the body the UI shows.
pub async fn call(desk: &Desk, cmd: &str, req: Value) -> Result<Value, ErrorBody> {
    if cmd == "app_info" {
        return reply(Ok(desk.app_info())).map_err(|e| e.body());
    }
    let result = dispatch!(cmd, req;
        "login": LoginRequest => |r| desk.login(r);
        "logout": TokenRequest => |r| desk.logout(r);
        "lock_session": TokenRequest => |r| desk.lock_session(r);
        "unlock_session": UnlockRequest => |r| desk.unlock_session(r);
        "counter_settings": TokenRequest => |r| desk.counter_settings(r);
        "set_counter_settings": SetCounterSettingsRequest => |r| desk.set_counter_settings(r);
        "set_language": SetLanguageRequest => |r| desk.set_language(r);
        "search_accounts": SearchRequest => |r| desk.search_accounts(r);
        "account_view": AccountRequest => |r| desk.account_view(r);
        "current_shift": TokenRequest => |r| desk.current_shift(r);
        "open_shift": OpenShiftRequest => |r| desk.open_shift(r);
        "collect": CollectRequest => |r| desk.collect(r);
        "vend": VendRequest => |r| desk.vend(r);
        "void_payment": VoidRequest => |r| desk.void_payment(r);
        "deposit": DepositRequest => |r| desk.deposit(r);
        "close_shift": CloseShiftRequest => |r| desk.close_shift(r);
        "print_settings": TokenRequest => |r| desk.print_settings(r);
        "set_print_settings": SetPrintSettingsRequest => |r| desk.set_print_settings(r);
        "printer_queues": TokenRequest => |r| desk.printer_queues(r);
        "print_test_page": TestPageRequest => |r| desk.print_test_page(r);
        "receipt_pdf": ReceiptRequest => |r| desk.receipt_pdf(r);
        "print_receipt": ReceiptRequest => |r| desk.print_receipt(r);
        "shift_report": ShiftReportRequest => |r| desk.shift_report_pdf(r);
        "sync_status": TokenRequest => |r| desk.sync_status(r);
        "sync_enrol": SyncEnrolRequest => |r| desk.sync_enrol(r);
        "sync_flagged": TokenRequest => |r| desk.sync_review(r);
        "sync_now": TokenRequest => |r| desk.sync_now(r);
        "list_users": TokenRequest => |r| desk.list_users(r);
        "add_user": AddUserRequest => |r| desk.add_user(r);
        "disable_user": UserRequest => |r| desk.disable_user(r);
        "enable_user": UserRequest => |r| desk.enable_user(r);
        "unlock_user": UserRequest => |r| desk.unlock_user(r);
        "reset_password": ResetPasswordRequest => |r| desk.reset_password(r);
        "change_role": ChangeRoleRequest => |r| desk.change_role(r);
        "refund_context": RefundContextRequest => |r| desk.refund_context(r);
        "submit_refund": RefundSubmitRequest => |r| desk.submit_refund(r);
        "decide_refund": RefundDecideRequest => |r| desk.decide_refund(r);
        "list_refunds": RefundListRequest => |r| desk.list_refunds(r);
        "refund_pdf": RefundDocRequest => |r| desk.refund_pdf(r);
        "list_deposits": DepositListRequest => |r| desk.list_deposits(r);
        "print_document": PrintDocumentRequest => |r| desk.print_document(r);
        "notice_preview": NoticePreviewRequest => |r| desk.notice_preview(r);
        "notice_pdf": NoticeAccountRequest => |r| desk.notice_pdf(r);
        "print_notice": NoticeAccountRequest => |r| desk.print_notice(r);
        "notice_batch_start": NoticeBatchRequest => |r| desk.notice_batch_start(r);
        "notice_run_status": NoticeRunRequest => |r| desk.notice_run_status(r);
        "notice_run_cancel": NoticeRunRequest => |r| desk.notice_run_cancel(r);
        "notice_log": NoticeLogRequest => |r| desk.notice_log(r);
        "daily_report": DailyReportRequest => |r| desk.daily_report(r);
        "sign_daily_report": SignDailyReportRequest => |r| desk.sign_daily_report(r);
        "daily_report_export": DailyExportRequest => |r| desk.daily_report_export(r);
        "daily_report_pdf": DailyReportRequest => |r| desk.daily_report_pdf(r);
        "deposit_slip_pdf": DepositSlipRequest => |r| desk.deposit_slip_pdf(r);
        "finance_login": FinanceLoginRequest => |r| desk.finance_login(r);
        "finance_logout": FinanceTokenRequest => |r| desk.finance_logout(r);
        "finance_refunds": FinanceListRequest => |r| desk.finance_refunds(r);
        "finance_refund": FinanceRefundRequest => |r| desk.finance_refund(r);
        "finance_decide": FinanceDecideRequest => |r| desk.finance_decide(r);
        "finance_pay": FinancePayRequest => |r| desk.finance_pay(r);
    );
    result.map_err(|e| e.body())
}

#[cfg(test)]
mod dispatch {
    use super::{COMMANDS, call};
    use crate::{
        config::TerminalCode,
        desk::{Desk, InitOptions},
    };

    #[tokio::test]
    async fn every_listed_command_is_dispatched() {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(
            &dir.path().join("db.sqlite"),
            InitOptions { terminal: Some(TerminalCode::parse("GY01-03").unwrap()), utility: None },
        )
        .await
        .unwrap();
        for (name, _, _) in COMMANDS {
            // An empty request is refused by each command's own parsing or checks, never as unknown.
            if let Err(body) = call(&desk, name, serde_json::json!({})).await {
                assert!(!body.message.contains("unknown command"), "{name} is listed but not dispatched");
            }
        }
        let unknown = call(&desk, "no_such_command", serde_json::json!({})).await.unwrap_err();
        assert!(unknown.message.contains("unknown command"));
    }
}

#[cfg(test)]
mod bindings {
    //! Generates `ui/src/bindings/` and checks that the committed copy is current.
    use std::{collections::BTreeMap, path::Path};

    use ts_rs::{Config, TS};

    use super::COMMANDS;
    use crate::{
        ErrorBody,
        accounts::{
            AccountDetail, AccountHit, BillStatus, BillingMode, Category, Period, RiskMark,
            quote::{Quote, QuoteLine},
        },
        desk::{
            AccountRequest, AccountView, AppInfo, LoginRequest, LoginResult, Notice, SearchRequest, TokenRequest,
            finance::{
                FinanceDecideRequest, FinanceListRequest, FinanceLoginRequest, FinancePayRequest, FinanceRefundRequest,
                FinanceTokenRequest,
            },
            printing::{
                DocumentPdf, PrintSettings, Printed, ReceiptPdf, ReceiptRequest, SetPrintSettingsRequest,
                ShiftReportRequest, TestPageRequest,
            },
            refunds::{
                DuplicateCandidate, RefundContext, RefundContextRequest, RefundDecideRequest, RefundDocRequest,
                RefundHistoryStep, RefundInfo, RefundListRequest, RefundSubmitRequest,
            },
            report::{
                DailyExportRequest, DailyReportRequest, DailyReportView, DailySignOff, ExportedFile, ReportFormat,
                SignDailyReportRequest,
            },
            session::{CounterSettings, SetCounterSettingsRequest, SetLanguageRequest, UnlockRequest},
            shift::{
                CloseShiftRequest, DepositDone, DepositInfo, DepositListRequest, DepositRequest, OpenShiftRequest,
            },
            sync::{SyncEnrolRequest, SyncStatus},
            users::{AddUserRequest, ChangeRoleRequest, ResetPasswordRequest, UserListing, UserRequest},
            void::{VoidDone, VoidRequest},
        },
        payments::{CollectRequest, PaymentDone, VendRequest},
        print::{PaperMode, RefundDocKind},
        refunds::{Reason, State},
        shifts::{CloseOutcome, CountAttempt, DenominationCount, HolidayCashDue, ShiftInfo},
        sync::{
            SyncReport,
            state::{FlaggedEvent, SyncErrorInfo},
        },
        users::{Language, Role, UserInfo},
    };

    fn generate(dir: &Path) {
        let cfg = Config::new().with_out_dir(dir);
        macro_rules! export {
            ($($t:ty),*) => {$( <$t>::export_all(&cfg).expect(concat!("export ", stringify!($t))); )*};
        }
        export!(
            AppInfo,
            LoginRequest,
            LoginResult,
            Notice,
            TokenRequest,
            SearchRequest,
            AccountRequest,
            AccountView,
            AccountHit,
            AccountDetail,
            Quote,
            QuoteLine,
            Category,
            BillingMode,
            RiskMark,
            BillStatus,
            Role,
            UserInfo,
            ErrorBody,
            OpenShiftRequest,
            CloseShiftRequest,
            VoidRequest,
            DepositRequest,
            DepositDone,
            VoidDone,
            CollectRequest,
            VendRequest,
            PaymentDone,
            ShiftInfo,
            CloseOutcome,
            HolidayCashDue,
            DenominationCount,
            PrintSettings,
            SetPrintSettingsRequest,
            TestPageRequest,
            crate::print::queues::Queues,
            ReceiptRequest,
            ReceiptPdf,
            Printed,
            PaperMode,
            ShiftReportRequest,
            DocumentPdf,
            SyncStatus,
            SyncErrorInfo,
            SyncEnrolRequest,
            SyncReport,
            FlaggedEvent,
            UnlockRequest,
            SetLanguageRequest,
            Language,
            CounterSettings,
            SetCounterSettingsRequest,
            UserListing,
            AddUserRequest,
            UserRequest,
            ResetPasswordRequest,
            ChangeRoleRequest,
            CountAttempt,
            RefundContextRequest,
            RefundContext,
            DuplicateCandidate,
            RefundInfo,
            RefundHistoryStep,
            RefundSubmitRequest,
            RefundDecideRequest,
            RefundListRequest,
            RefundDocRequest,
            RefundDocKind,
            Reason,
            State,
            crate::sync::wire::RefundDocs,
            FinanceLoginRequest,
            FinanceTokenRequest,
            FinanceListRequest,
            FinanceRefundRequest,
            FinanceDecideRequest,
            FinancePayRequest,
            crate::sync::finance::FinanceSession,
            crate::sync::finance::FinanceRole,
            crate::sync::finance::RefundQuery,
            crate::sync::finance::RefundList,
            crate::sync::finance::RefundSummary,
            crate::sync::finance::RefundDetail,
            crate::sync::finance::RefundStep,
            crate::sync::finance::Payout,
            DailyReportRequest,
            DailyReportView,
            SignDailyReportRequest,
            DailySignOff,
            DailyExportRequest,
            ReportFormat,
            ExportedFile,
            crate::reports::daily::DailyReport,
            crate::reports::daily::Scope,
            crate::reports::daily::ReceiptRow,
            crate::reports::daily::VoidRow,
            crate::reports::daily::DepositRow,
            crate::reports::daily::CloseRow,
            crate::reports::daily::TotalRow,
            DepositListRequest,
            DepositInfo,
            crate::desk::shift::DepositSlipRequest,
            crate::desk::documents::PrintDocumentRequest,
            crate::desk::documents::PrintedDocument,
            crate::desk::documents::DocumentRef,
            crate::desk::notices::NoticePreviewRequest,
            crate::desk::notices::NoticePreview,
            crate::desk::notices::NoticeCandidate,
            crate::notices::NoticeFilter,
            crate::desk::notices::NoticeAccountRequest,
            crate::desk::notices::NoticeBatchRequest,
            crate::desk::notices::NoticeRunRequest,
            crate::desk::notices::NoticeLogRequest,
            crate::desk::notices::NoticePdf,
            crate::desk::notices::PrintedNotice,
            crate::desk::notices::NoticeRunState,
            crate::desk::notices::NoticeRunStatus,
            crate::desk::notices::NoticeLogEntry
        );
        let _ = Period::name(&cfg);
        let mut imports: Vec<&str> = COMMANDS
            .iter()
            .flat_map(|(_, req, res)| [*req, *res])
            .map(|t| t.trim_start_matches("Array<").trim_end_matches('>').trim_end_matches(" | null"))
            .filter(|t| t.chars().next().is_some_and(char::is_uppercase) && !t.starts_with("Record"))
            .collect();
        imports.sort();
        imports.dedup();
        let mut out = String::from(
            "// Generated from src/desk/commands.rs by `UPDATE_BINDINGS=1 cargo test --lib bindings`. Do not edit.\n",
        );
        for t in &imports {
            out.push_str(&format!("import type {{ {t} }} from \"./{t}\";\n"));
        }
        out.push_str("\n/** Every backend command: its request and its result. */\nexport type Commands = {\n");
        for (name, req, res) in COMMANDS {
            out.push_str(&format!("  {name}: {{ req: {req}; res: {res} }};\n"));
        }
        out.push_str("};\n");
        std::fs::write(dir.join("Commands.ts"), out).expect("write Commands.ts");
    }

    fn read_dir(dir: &Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| {
                        (
                            e.file_name().to_string_lossy().into_owned(),
                            std::fs::read_to_string(e.path()).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn bindings_are_current() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            let _ = std::fs::remove_dir_all(&committed);
            std::fs::create_dir_all(&committed).unwrap();
            generate(&committed);
            return;
        }
        let fresh = tempfile::tempdir().unwrap();
        generate(fresh.path());
        let (want, have) = (read_dir(fresh.path()), read_dir(&committed));
        let stale: Vec<&String> = want
            .keys()
            .filter(|k| want.get(*k) != have.get(*k))
            .chain(have.keys().filter(|k| !want.contains_key(*k)))
            .collect();
        assert!(
            stale.is_empty(),
            "ui/src/bindings is stale ({stale:?}): run `UPDATE_BINDINGS=1 cargo test --lib bindings` and commit"
        );
    }
}
