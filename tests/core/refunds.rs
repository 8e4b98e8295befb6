//! Refunds at the counter (issue 15): a request holds its amount, the hall decides with a
//! supervisor's own password (never the submitter's), the events go up with the payee's account
//! number beside them and never in clear in the database, the forms read back with pdftotext, and
//! the centre's decisions come down with the pull.

use base64::Engine;
use cashdesk::{
    Error,
    desk::{
        refunds::{
            RefundContextRequest, RefundDecideRequest, RefundDocRequest, RefundListRequest, RefundSubmitRequest,
        },
        shift::OpenShiftRequest,
        void::VoidRequest,
    },
    money::Yuan,
    payments::{CollectRequest, Method, VoucherInput},
    print::RefundDocKind,
    refunds::{Reason, State},
    sync::wire::{self, Change, PullResponse, RefundDocs, WireRefund},
    users::approval::ApprovalInput,
};

use crate::common::{Counter, PW, token, with_accounts};

const ACCOUNT_NUMBER: &str = "6222021234567890123";

fn y(s: &str) -> Yuan {
    Yuan::parse(s).unwrap()
}

fn request(t: &str, account: &str, amount: &str) -> RefundSubmitRequest {
    RefundSubmitRequest {
        token: t.into(),
        account_no: account.into(),
        reason: Reason::Overpaid,
        reason_text: None,
        amount: amount.into(),
        payee_name: None,
        payee_reason: None,
        payee_bank: "中国工商银行".into(),
        payee_branch: "示范市城关支行".into(),
        payee_account: "6222 0212 3456 7890 123".into(),
        docs: RefundDocs { closure_form: false, id_card: true, original_receipt: true },
        duplicate_of: None,
    }
}

fn decide(t: &str, no: &str, approve: bool, who: &str) -> RefundDecideRequest {
    RefundDecideRequest {
        token: t.into(),
        request_no: no.into(),
        approve,
        reason: (!approve).then(|| "证件不全".into()),
        approval: Some(ApprovalInput { username: who.into(), password: PW.into() }),
    }
}

fn pdf_text(c: &Counter, base64: &str) -> String {
    let path = c.dir.path().join("refund.pdf");
    std::fs::write(&path, base64::engine::general_purpose::STANDARD.decode(base64).unwrap()).unwrap();
    let out = std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// A counter with the test accounts (3100000003, prepaid, holds 5,000.00) and cashier1's shift.
async fn with_balance() -> (Counter, String) {
    let c = with_accounts("2026-03-02T10:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    (c, t)
}

#[tokio::test]
async fn a_request_holds_its_amount_until_the_hall_rejects_it() {
    let (c, t) = with_balance().await;
    // 3100000003 (prepaid) holds 5,000.00.
    let ctx = c
        .desk
        .refund_context(RefundContextRequest { token: t.clone(), account_no: "3100000003".into() })
        .await
        .unwrap();
    assert_eq!((ctx.balance, ctx.held, ctx.refundable), (y("5000.00"), Yuan::ZERO, y("5000.00")));
    let e = c.desk.submit_refund(request(&t, "3100000003", "5000.01")).await.unwrap_err();
    assert_eq!(e.code(), "REFUND_AMOUNT");
    assert_eq!(e.params()["refundable"], "5000.00");
    let r = c.desk.submit_refund(request(&t, "3100000003", "3000.00")).await.unwrap();
    assert_eq!(r.state, State::Submitted);
    assert!(r.request_no.starts_with("GY01-03-TF-2026-"), "{}", r.request_no);
    assert_eq!(r.payee_account_masked, "6222 **** **** 0123");
    assert_eq!(r.payee_name, "示范市恒通机械制造有限公司", "the payee defaults to the 户名");
    // Held: a second request can have only what is left.
    let ctx = c
        .desk
        .refund_context(RefundContextRequest { token: t.clone(), account_no: "3100000003".into() })
        .await
        .unwrap();
    assert_eq!((ctx.held, ctx.refundable), (y("3000.00"), y("2000.00")));
    let e = c.desk.submit_refund(request(&t, "3100000003", "2000.01")).await.unwrap_err();
    assert_eq!(e.code(), "REFUND_AMOUNT", "the held amount is not refunded twice");
    // The submitter cannot approve it, even as a supervisor with their own password.
    let s = token(&c.desk, "super1").await;
    let own = c.desk.submit_refund(request(&s, "3100000003", "10.00")).await.unwrap();
    let e = c.desk.decide_refund(decide(&s, &own.request_no, true, "super1")).await.unwrap_err();
    assert_eq!(e.code(), "APPROVAL_SELF");
    let e = c.desk.decide_refund(decide(&t, &r.request_no, true, "cashier1")).await.unwrap_err();
    assert_eq!(e.code(), "APPROVAL_SELF");
    let e = c.desk.decide_refund(decide(&t, &r.request_no, true, "finance1")).await.unwrap_err();
    assert_eq!(e.code(), "APPROVAL_ROLE", "only a supervisor decides at the hall");
    // Rejected with a reason: the hold is released; a second decision is refused.
    let rejected = c.desk.decide_refund(decide(&t, &r.request_no, false, "super1")).await.unwrap();
    assert_eq!((rejected.state, rejected.hall_reason.as_deref()), (State::HallRejected, Some("证件不全")));
    let e = c.desk.decide_refund(decide(&t, &r.request_no, true, "super1")).await.unwrap_err();
    assert_eq!(e.code(), "REFUND_STATE");
    let ctx = c
        .desk
        .refund_context(RefundContextRequest { token: t.clone(), account_no: "3100000003".into() })
        .await
        .unwrap();
    assert_eq!(ctx.held, y("10.00"), "only super1's own request still holds");
    let steps: Vec<String> = rejected.history.iter().map(|h| h.step.clone()).collect();
    assert_eq!(steps, ["submit", "hall_reject"]);
    // A supervisor logged in at their own screen decides a cashier's request with their password:
    // the four eyes are the submitter's and the approver's, not the session's.
    let cashiers = c.desk.submit_refund(request(&t, "3100000003", "5.00")).await.unwrap();
    let approved = c.desk.decide_refund(decide(&s, &cashiers.request_no, true, "super1")).await.unwrap();
    assert_eq!(approved.state, State::HallApproved);
}

#[tokio::test]
async fn a_held_amount_is_not_taken_back_by_a_void() {
    let c = with_accounts("2026-03-02T10:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    // 3100000002 owes 10,000.00 + late fees; paying 20,000.00 by transfer leaves a prepaid credit.
    let paid = c
        .desk
        .collect(CollectRequest {
            token: t.clone(),
            account_no: "3100000002".into(),
            method: Method::Transfer,
            amount: String::new(),
            tendered: None,
            confirm_large: false,
            voucher: Some(VoucherInput {
                bank: "工行".into(),
                serial: "SN20260302".into(),
                payer: "示范市华联商贸有限公司".into(),
                amount: "20000.00".into(),
                transfer_date: "2026-03-02".into(),
            }),
            waive_late_fee: None,
            approval: None,
        })
        .await
        .unwrap();
    let credit = paid.prepaid_after;
    assert!(credit > y("7000.00"), "most of it is prepaid credit: {credit}");
    let mut dup = request(&t, "3100000002", "100.00");
    dup.reason = Reason::Duplicate;
    dup.duplicate_of = Some(paid.receipt_no.clone());
    c.desk.submit_refund(dup).await.unwrap();
    let e = c
        .desk
        .void_payment(VoidRequest {
            token: t.clone(),
            receipt_no: paid.receipt_no.clone(),
            reason: "收错户号".into(),
            approval: Some(ApprovalInput { username: "super1".into(), password: PW.into() }),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "VOID_REFUSED");
    assert!(e.to_string().contains("refund request"), "{e}");
}

#[tokio::test]
async fn requests_go_up_with_the_account_number_sealed_and_the_centres_decision_comes_down() {
    let (c, t) = with_balance().await;
    let r = c.desk.submit_refund(request(&t, "3100000003", "800.00")).await.unwrap();
    c.desk.decide_refund(decide(&t, &r.request_no, true, "super1")).await.unwrap();
    // The outbox: one refund.submit with the number beside it (sealed), one refund.hall.
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT kind, payload, secret FROM outbox WHERE kind LIKE 'refund.%' ORDER BY seq")
            .fetch_all(c.desk.pool())
            .await
            .unwrap();
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["refund.submit", "refund.hall"]);
    let Ok(wire::Event::RefundSubmit(sub)) = wire::Event::read(&rows[0].0, &rows[0].1) else { panic!("{rows:?}") };
    assert_eq!((sub.amount, sub.payee_account_masked.as_str()), (y("800.00"), "6222 **** **** 0123"));
    assert!(rows[0].2.as_deref().is_some_and(cashdesk::datakey::is_sealed), "the secret is sealed at rest");
    let Ok(wire::Event::RefundHall(hall)) = wire::Event::read(&rows[1].0, &rows[1].1) else { panic!("{rows:?}") };
    assert_eq!(
        (hall.refund_id.as_str(), hall.by.as_str(), hall.decision),
        (sub.event_id.as_str(), "super1", wire::HallDecision::Approved)
    );
    // Nowhere in the database file is the number in clear.
    c.desk.pool().close().await;
    for file in ["cashdesk.sqlite", "cashdesk.sqlite-wal"] {
        let bytes = std::fs::read(c.dir.path().join(file)).unwrap_or_default();
        assert!(!bytes.windows(ACCOUNT_NUMBER.len()).any(|w| w == ACCOUNT_NUMBER.as_bytes()), "{file}");
    }
    let desk = crate::collection::restart(&c).await;
    // The centre pays it: the pull brings the refund's state and the account's new balance.
    sqlx::query("UPDATE outbox SET pushed_at = '2026-03-02T10:05:00+08:00'").execute(desk.writer()).await.unwrap();
    let paid = WireRefund {
        refund_id: sub.event_id.clone(),
        request_no: r.request_no.clone(),
        terminal: "GY01-03".into(),
        account_no: "3100000003".into(),
        state: State::Paid,
        finance_by: Some("finance9".into()),
        finance_at: Some("2026-03-05T09:00:00+08:00".into()),
        finance_reason: None,
        paid_amount: Some(y("800.00")),
        payout_date: Some("2026-03-06".into()),
        payout_ref: Some("PAY-0001".into()),
        flag: None,
    };
    let page = PullResponse { changes: vec![Change::Refund(Box::new(paid))], cursor: "c1".into(), more: false };
    cashdesk::sync::pull::apply_page(desk.writer(), &page, "2026-03-06T10:00:00+08:00").await.unwrap();
    let t = token(&desk, "cashier1").await;
    let list = desk.list_refunds(RefundListRequest { token: t.clone(), state: Some(State::Paid) }).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].paid_amount, list[0].payout_ref.as_deref()), (Some(y("800.00")), Some("PAY-0001")));
    assert!(list[0].sent, "its submission reached the ledger");
    assert_eq!(list[0].history.last().map(|h| h.step.as_str()), Some("pay"));
    // The forms: the whole number on the application, masked on the notice.
    let form = desk
        .refund_pdf(RefundDocRequest { token: t.clone(), request_no: r.request_no.clone(), doc: RefundDocKind::Form })
        .await
        .unwrap();
    let text = pdf_text(&c, &form.pdf_base64);
    for want in ["退费申请单", r.request_no.as_str(), "6222 0212 3456 7890 123", "人民币捌佰元整", "申请人（签字）"]
    {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    let notice = desk
        .refund_pdf(RefundDocRequest { token: t.clone(), request_no: r.request_no.clone(), doc: RefundDocKind::Notice })
        .await
        .unwrap();
    let text = pdf_text(&c, &notice.pdf_base64);
    for want in ["退费通知单", "已付款", "PAY-0001", "6222 **** **** 0123"] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert!(!text.contains("6222 0212"), "the notice masks the number");
    let again = desk
        .refund_pdf(RefundDocRequest { token: t, request_no: r.request_no.clone(), doc: RefundDocKind::Form })
        .await
        .unwrap();
    assert!(!pdf_text(&c, &again.pdf_base64).contains("重打"), "a preview is not a print: nothing to reprint yet");
    // A request of another counter that the pull mentions is not kept here.
    let other = WireRefund {
        refund_id: "0192d5d2-0000-7000-8000-000000000099".into(),
        request_no: "GY09-01-TF-2026-000001".into(),
        terminal: "GY09-01".into(),
        account_no: "3100000003".into(),
        state: State::FinanceRejected,
        finance_by: Some("finance9".into()),
        finance_at: None,
        finance_reason: Some("不符".into()),
        paid_amount: None,
        payout_date: None,
        payout_ref: None,
        flag: None,
    };
    let page = PullResponse { changes: vec![Change::Refund(Box::new(other))], cursor: "c2".into(), more: false };
    cashdesk::sync::pull::apply_page(desk.writer(), &page, "2026-03-06T10:00:00+08:00").await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refunds").fetch_one(desk.pool()).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_request_is_checked_before_anything_is_written() {
    let (c, t) = with_balance().await;
    let mut other = request(&t, "3100000003", "10.00");
    other.reason = Reason::Other;
    assert_eq!(c.desk.submit_refund(other.clone()).await.unwrap_err().code(), "INPUT_INVALID", "其他 needs words");
    let mut payee = request(&t, "3100000003", "10.00");
    payee.payee_name = Some("李四".into());
    let e = c.desk.submit_refund(payee).await.unwrap_err();
    assert_eq!(e.params()["field"], "payee_reason", "a different payee says why");
    let mut bad = request(&t, "3100000003", "10.00");
    bad.payee_account = "１２３".into();
    assert_eq!(c.desk.submit_refund(bad).await.unwrap_err().code(), "REFUND_INPUT");
    let mut dup = request(&t, "3100000003", "10.00");
    dup.reason = Reason::Duplicate;
    assert_eq!(c.desk.submit_refund(dup).await.unwrap_err().code(), "INPUT_INVALID", "name the receipt");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refunds").fetch_one(c.desk.pool()).await.unwrap();
    assert_eq!(n, 0, "nothing was written");
    let e = c.desk.list_refunds(RefundListRequest { token: token(&c.desk, "admin").await, state: None }).await;
    assert!(matches!(e, Err(Error::Forbidden { .. })), "an administrator sees no customer's refund");
}

/// Documents other than receipts go to the counter's printer through `print_document`: a refund
/// form is counted (重打 after the first) when printed and never when previewed; the 解款单 and
/// the 实收日报 are spooled as their previews show them; the document's own right applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_print_on_the_counters_printer_and_only_a_print_counts() {
    use cashdesk::desk::{
        documents::{DocumentRef, PrintDocumentRequest},
        printing::SetPrintSettingsRequest,
        shift::DepositRequest,
    };
    use cashdesk::{print::PaperMode, reports::daily::Scope};
    let (c, t) = with_balance().await;
    let r = c.desk.submit_refund(request(&t, "3100000003", "300.00")).await.unwrap();
    let form =
        |t: &str| RefundDocRequest { token: t.into(), request_no: r.request_no.clone(), doc: RefundDocKind::Form };
    let print = |t: &str, document: DocumentRef| PrintDocumentRequest { token: t.into(), document };
    let refund = || DocumentRef::Refund { request_no: r.request_no.clone(), doc: RefundDocKind::Form };
    let dir = tempfile::tempdir().unwrap();
    let (lp, jobs, gate) = crate::notices::gated_printer(dir.path());
    std::fs::write(&gate, "").unwrap();
    let desk = c.desk.clone().with_spooler(lp);
    // No printer yet: said first, and nothing counted.
    assert_eq!(desk.print_document(print(&t, refund())).await.unwrap_err().code(), "PRINTER_NOT_SET");
    let s = token(&c.desk, "super1").await;
    c.desk
        .set_print_settings(SetPrintSettingsRequest {
            token: s.clone(),
            printer: Some("Counter-3".into()),
            paper: PaperMode::A5,
        })
        .await
        .unwrap();
    // Previews count nothing, however many.
    for _ in 0..2 {
        let text = pdf_text(&c, &c.desk.refund_pdf(form(&t)).await.unwrap().pdf_base64);
        assert!(!text.contains("重打"), "{text}");
    }
    let printed = desk.print_document(print(&t, refund())).await.unwrap();
    assert_eq!(printed.printer, "Counter-3");
    let again = pdf_text(&c, &c.desk.refund_pdf(form(&t)).await.unwrap().pdf_base64);
    assert!(again.contains("重打"), "after one print, the next is a reprint: {again}");
    desk.print_document(print(&t, refund())).await.unwrap();
    // The deposit slip and the day's report, as their previews render them.
    c.desk
        .collect(CollectRequest {
            token: t.clone(),
            account_no: "3100000001".into(),
            method: Method::Cash,
            amount: "10.00".into(),
            tendered: Some("10.00".into()),
            confirm_large: false,
            voucher: None,
            waive_late_fee: None,
            approval: None,
        })
        .await
        .unwrap();
    c.desk
        .deposit(DepositRequest {
            token: t.clone(),
            amount: "10.00".into(),
            bank: "工行".into(),
            slip_no: "JK0009".into(),
        })
        .await
        .unwrap();
    desk.print_document(print(&t, DocumentRef::DepositSlip { slip_no: "JK0009".into(), bank: None })).await.unwrap();
    let day = DocumentRef::DailyReport { date: "2026-03-02".into(), scope: Scope::TerminalDay };
    assert_eq!(
        desk.print_document(print(&t, day.clone())).await.unwrap_err().code(),
        "FORBIDDEN",
        "a cashier's own day only"
    );
    desk.print_document(print(&s, day)).await.unwrap();
    let texts: Vec<String> = std::fs::read_dir(&jobs)
        .unwrap()
        .map(|e| {
            let out = std::process::Command::new("pdftotext")
                .arg("-layout")
                .arg(e.unwrap().path())
                .arg("-")
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    assert_eq!(texts.len(), 4, "two forms, a slip, a report");
    assert_eq!(texts.iter().filter(|t| t.contains("退费申请单") && t.contains("重打")).count(), 1);
    assert_eq!(texts.iter().filter(|t| t.contains("退费申请单") && !t.contains("重打")).count(), 1);
    assert!(texts.iter().any(|t| t.contains("解款单") && t.contains("JK0009")));
    assert!(texts.iter().any(|t| t.contains("实收日报")));
}
