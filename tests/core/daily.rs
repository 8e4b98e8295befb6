//! The 实收日报 (issue 16): a day's report per terminal, cashier and shift; the supervisor's
//! sign-off freezes it, and a later void lands in its own day's report as a correction; the XLSX
//! read back holds the same numbers as the CSV.

use base64::Engine;
use cashdesk::{
    desk::{
        report::{DailyExportRequest, DailyReportRequest, ReportFormat, SignDailyReportRequest},
        shift::{CloseShiftRequest, DepositRequest, OpenShiftRequest},
        void::VoidRequest,
    },
    money::Yuan,
    payments::{CollectRequest, Method},
    reports::daily::Scope,
    shifts::DenominationCount,
    users::approval::ApprovalInput,
};

use crate::common::{PW, at, token, with_accounts};

fn y(s: &str) -> Yuan {
    Yuan::parse(s).unwrap()
}

fn cash(t: &str, account: &str, amount: &str) -> CollectRequest {
    CollectRequest {
        token: t.into(),
        account_no: account.into(),
        method: Method::Cash,
        amount: amount.into(),
        tendered: Some(amount.into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    }
}

fn super1() -> Option<ApprovalInput> {
    Some(ApprovalInput { username: "super1".into(), password: PW.into() })
}

fn report(t: &str, date: &str, scope: Scope) -> DailyReportRequest {
    DailyReportRequest { token: t.into(), date: date.into(), scope }
}

#[tokio::test]
async fn a_signed_day_never_changes_and_a_later_void_is_a_correction() {
    let c = with_accounts("2026-03-02T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "500.00".into() }).await.unwrap();
    let first = c.desk.collect(cash(&t, "3100000001", "100.00")).await.unwrap();
    let second = c.desk.collect(cash(&t, "3100000004", "200.00")).await.unwrap();
    let third = c.desk.collect(cash(&t, "3100000004", "50.00")).await.unwrap();
    c.desk
        .void_payment(VoidRequest {
            token: t.clone(),
            receipt_no: third.receipt_no.clone(),
            reason: "收错".into(),
            approval: super1(),
        })
        .await
        .unwrap();
    c.desk
        .deposit(DepositRequest {
            token: t.clone(),
            amount: "200.00".into(),
            bank: "工行".into(),
            slip_no: "JK0001".into(),
        })
        .await
        .unwrap();
    let day =
        c.desk.daily_report(report(&t, "2026-03-02", Scope::Cashier { username: "cashier1".into() })).await.unwrap();
    let r = &day.report;
    assert_eq!((r.total, r.voided_amount, r.corrections, r.net), (y("300.00"), y("50.00"), Yuan::ZERO, y("300.00")));
    assert_eq!((r.deposits_total, r.receipts.len(), r.voids.len()), (y("200.00"), 3, 1));
    // A cashier sees only their own takings.
    let e = c.desk.daily_report(report(&t, "2026-03-02", Scope::TerminalDay)).await.unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN");
    // super1 took nothing that day: signs the terminal-day off at the cashier's screen.
    let signed = c
        .desk
        .sign_daily_report(SignDailyReportRequest { token: t.clone(), date: "2026-03-02".into(), approval: super1() })
        .await
        .unwrap();
    assert_eq!(signed.signed_by.as_deref(), Some("super1"));
    assert_eq!(signed.report.net, y("300.00"));
    let e = c
        .desk
        .sign_daily_report(SignDailyReportRequest { token: t.clone(), date: "2026-03-02".into(), approval: super1() })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "INPUT_INVALID", "a day is signed off once");
    // The next morning the cashier logs in again; their shift, still open, voids yesterday's 200.00.
    c.clock.set(at("2026-03-03T08:30:00+08:00"));
    let t = token(&c.desk, "cashier1").await;
    c.desk
        .void_payment(VoidRequest {
            token: t.clone(),
            receipt_no: second.receipt_no.clone(),
            reason: "重复收费".into(),
            approval: super1(),
        })
        .await
        .unwrap();
    let s = token(&c.desk, "super1").await;
    let yesterday = c.desk.daily_report(report(&s, "2026-03-02", Scope::TerminalDay)).await.unwrap();
    assert_eq!(yesterday.report, signed.report, "the signed report is the day's report, unchanged");
    let today = c.desk.daily_report(report(&s, "2026-03-03", Scope::TerminalDay)).await.unwrap().report;
    assert_eq!((today.total, today.corrections, today.net), (Yuan::ZERO, y("200.00"), -y("200.00")));
    assert_eq!(today.voids[0].receipt_no, second.receipt_no);
    // Closing the shift today shows its over/short in today's report.
    c.desk
        .close_shift(CloseShiftRequest {
            token: t.clone(),
            counts: vec![DenominationCount { denomination: "100".into(), count: 3 }],
            reason: Some("点错".into()),
            approval: super1(),
        })
        .await
        .unwrap();
    let today = c.desk.daily_report(report(&s, "2026-03-03", Scope::TerminalDay)).await.unwrap().report;
    // Expected 500 + 100 (first) − 200 deposited = 400; counted 300.
    assert_eq!((today.closes.len(), today.over_short), (1, -y("100.00")));
    assert_eq!(first.amount, y("100.00"));
}

#[tokio::test]
async fn the_xlsx_holds_the_csvs_numbers() {
    let c = with_accounts("2026-03-02T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    for (account, amount) in [("3100000001", "158.49"), ("3100000004", "1234.56"), ("3100000004", "0.01")] {
        c.desk.collect(cash(&t, account, amount)).await.unwrap();
    }
    let s = token(&c.desk, "super1").await;
    let export =
        |format| DailyExportRequest { token: s.clone(), date: "2026-03-02".into(), scope: Scope::TerminalDay, format };
    let decode = |b64: &str| base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let csv = decode(&c.desk.daily_report_export(export(ReportFormat::Csv)).await.unwrap().base64);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM, so that Excel reads the Chinese");
    let csv_amounts: Vec<String> =
        csv.lines().filter(|l| l.starts_with("收据,")).map(|l| l.split(',').nth(8).unwrap().to_string()).collect();
    assert_eq!(csv_amounts, ["158.49", "1234.56", "0.01"]);
    assert!(csv.contains("汇总") && csv.contains("1393.06"), "{csv}");
    let file = c.desk.daily_report_export(export(ReportFormat::Xlsx)).await.unwrap();
    assert!(file.file_name.ends_with(".xlsx"));
    let path = c.dir.path().join(&file.file_name);
    std::fs::write(&path, decode(&file.base64)).unwrap();
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("收据").unwrap();
    let mut xlsx_amounts = Vec::new();
    for row in sheet.rows().skip(1) {
        match &row[7] {
            // A number, not text: its two-decimal rendering is the CSV's text.
            Data::Float(f) => xlsx_amounts.push(format!("{f:.2}")),
            other => panic!("amounts are numbers: {other:?}"),
        }
    }
    assert_eq!(xlsx_amounts, csv_amounts);
    let summary = book.worksheet_range("汇总").unwrap();
    let total = summary
        .rows()
        .find(|r| matches!(&r[0], Data::String(s) if s.starts_with("合计")))
        .map(|r| match &r[3] {
            Data::Float(f) => format!("{f:.2}"),
            other => panic!("{other:?}"),
        })
        .unwrap();
    assert_eq!(total, "1393.06");
}

/// A deposit stays in transit (在途) until the centre confirms it; two working days later the
/// supervisor is told at log-in.
#[tokio::test]
async fn a_deposit_is_in_transit_until_the_centre_confirms_it() {
    use cashdesk::{
        desk::{LoginRequest, shift::DepositListRequest},
        sync::wire::{Change, PullResponse, WireDeposit},
    };
    let c = with_accounts("2026-03-02T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "500.00".into() }).await.unwrap();
    c.desk
        .deposit(DepositRequest {
            token: t.clone(),
            amount: "300.00".into(),
            bank: "工行".into(),
            slip_no: "JK0009".into(),
        })
        .await
        .unwrap();
    let listed = c.desk.list_deposits(DepositListRequest { token: t.clone(), in_transit: true }).await.unwrap();
    assert_eq!((listed.len(), listed[0].in_transit, listed[0].overdue), (1, true, false));
    // Thursday, three working days on: overdue, and the supervisor is told.
    c.clock.set(at("2026-03-05T09:00:00+08:00"));
    let login = c.desk.login(LoginRequest { username: "super1".into(), password: PW.into() }).await.unwrap();
    let notice = login.notices.iter().find(|n| n.code == "DEPOSIT_OVERDUE").expect("the supervisor is told");
    assert_eq!(notice.params["slip_no"], "JK0009");
    // The centre confirms it: the pull brings it down (nothing waits to be pushed here).
    let event_id: (String,) = sqlx::query_as("SELECT event_id FROM deposits").fetch_one(c.desk.pool()).await.unwrap();
    sqlx::query("UPDATE outbox SET pushed_at = '2026-03-02T10:00:00+08:00'").execute(c.desk.writer()).await.unwrap();
    let page = PullResponse {
        changes: vec![Change::Deposit(WireDeposit {
            event_id: event_id.0,
            terminal: "GY01-03".into(),
            slip_no: "JK0009".into(),
            amount: y("300.00"),
            confirmed_at: "2026-03-05T10:00:00+08:00".into(),
            confirmed_by: "statement".into(),
            reference: Some("ICBC-CR-778".into()),
        })],
        cursor: "c1".into(),
        more: false,
    };
    cashdesk::sync::pull::apply_page(c.desk.writer(), &page, "2026-03-05T10:00:00+08:00", None).await.unwrap();
    let t = token(&c.desk, "cashier1").await;
    let listed = c.desk.list_deposits(DepositListRequest { token: t, in_transit: false }).await.unwrap();
    assert_eq!((listed[0].in_transit, listed[0].overdue), (false, false));
    assert_eq!(
        (listed[0].confirmed_by.as_deref(), listed[0].reference.as_deref()),
        (Some("statement"), Some("ICBC-CR-778"))
    );
    let login = c.desk.login(LoginRequest { username: "super1".into(), password: PW.into() }).await.unwrap();
    assert!(login.notices.iter().all(|n| n.code != "DEPOSIT_OVERDUE"));
}
