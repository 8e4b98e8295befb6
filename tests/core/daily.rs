//! The 实收日报 (issue 16): a day's report per terminal, cashier and shift; the supervisor's
//! sign-off freezes it, and a later void lands in its own day's report as a correction; the XLSX
//! read back holds the same numbers as the CSV and the PDF (read back with pdftotext), and the PDF
//! shows the sign-off and the correction. The deposit slip (解款单) shows 在途 until the centre
//! confirms the deposit, then 已确认.

use base64::Engine;
use cashdesk::{
    desk::{
        report::{DailyExportRequest, DailyReportRequest, ReportFormat, SignDailyReportRequest},
        shift::{CloseShiftRequest, DepositRequest, DepositSlipRequest, OpenShiftRequest},
        void::VoidRequest,
    },
    money::Yuan,
    payments::{CollectRequest, Method},
    reports::daily::Scope,
    shifts::DenominationCount,
    users::approval::ApprovalInput,
};

use crate::common::{PW, at, token, with_accounts};

/// The text of a PDF the desk made (`pdftotext -layout`).
fn pdf_text(pdf_base64: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, base64::engine::general_purpose::STANDARD.decode(pdf_base64).unwrap()).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext must be installed (apt install poppler-utils)");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Without any whitespace, for matching across the columns of a layout.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The amount on the first line of the PDF whose first word is `label`, as the CSV writes it:
/// `¥1,393.06` → `1393.06`, `-¥100.00` → `-100.00`.
fn pdf_amount(text: &str, label: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(label))
        .unwrap_or_else(|| panic!("no line starts with {label:?} in\n{text}"));
    let figure = line
        .split_whitespace()
        .find(|w| w.starts_with('¥') || w.starts_with("-¥"))
        .unwrap_or_else(|| panic!("no amount on {line:?}"));
    figure.replace(['¥', ','], "")
}

async fn daily_pdf(c: &crate::common::Counter, t: &str, date: &str, scope: Scope) -> String {
    pdf_text(&c.desk.daily_report_pdf(report(t, date, scope)).await.unwrap().pdf_base64)
}

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
    // The answer says who and when, not the terminal-day's figures (a cashier may not read them).
    assert_eq!((signed.signed_by.as_str(), signed.date.as_str()), ("super1", "2026-03-02"));
    let s = token(&c.desk, "super1").await;
    let signed_view = c.desk.daily_report(report(&s, "2026-03-02", Scope::TerminalDay)).await.unwrap();
    assert_eq!(signed_view.report.net, y("300.00"));
    assert_eq!(signed_view.signed_by.as_deref(), Some("super1"));
    // The signed report's PDF says who signed it off and when; the cashier's own part names it too.
    let signed_at = signed.signed_at.clone();
    let pdf = squeezed(&daily_pdf(&c, &s, "2026-03-02", Scope::TerminalDay).await);
    assert!(pdf.contains(&format!("签核：已签核：super1{}", squeezed(&signed_at))), "{pdf}");
    assert!(pdf.contains("签核后本日报不再变动") && !pdf.contains("未签核"), "{pdf}");
    let own = daily_pdf(&c, &t, "2026-03-02", Scope::Cashier { username: "cashier1".into() }).await;
    assert!(squeezed(&own).contains("已签核（终端日报）：super1"), "{own}");
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
    assert_eq!(yesterday.report, signed_view.report, "the signed report is the day's report, unchanged");
    let today = c.desk.daily_report(report(&s, "2026-03-03", Scope::TerminalDay)).await.unwrap().report;
    assert_eq!((today.total, today.corrections, today.net), (Yuan::ZERO, y("200.00"), -y("200.00")));
    assert_eq!(today.voids[0].receipt_no, second.receipt_no);
    // On paper: yesterday's report as signed, with no correction; today's with the void of
    // yesterday's receipt as a correction, and not signed yet.
    let yesterday = daily_pdf(&c, &s, "2026-03-02", Scope::TerminalDay).await;
    assert_eq!(pdf_amount(&yesterday, "合计（不含作废）"), "300.00", "{yesterday}");
    assert_eq!(pdf_amount(&yesterday, "更正（冲销往日收据）"), "0.00", "{yesterday}");
    assert!(squeezed(&yesterday).contains("本日无更正。"), "{yesterday}");
    let next = daily_pdf(&c, &s, "2026-03-03", Scope::TerminalDay).await;
    assert_eq!(pdf_amount(&next, "更正（冲销往日收据）"), "200.00", "{next}");
    assert_eq!(pdf_amount(&next, "净额"), "-200.00", "{next}");
    let squeezed_next = squeezed(&next);
    for want in [
        format!("{}2026-03-02", second.receipt_no),
        "重复收费".to_string(),
        "更正合计1笔".to_string(),
        "签核：未签核".to_string(),
    ] {
        assert!(squeezed_next.contains(&want), "{want:?} missing from\n{next}");
    }
    // Nobody without the right gets the paper: an administrator, or a cashier asking for the whole terminal.
    let admin = token(&c.desk, "admin").await;
    let e = c.desk.daily_report_pdf(report(&admin, "2026-03-03", Scope::TerminalDay)).await.unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN");
    let e = c.desk.daily_report_pdf(report(&t, "2026-03-03", Scope::TerminalDay)).await.unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN");
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
    // A supervisor who took money here that day cannot sign it off, said so; one who took none
    // signs at their own screen with their own password.
    c.desk.open_shift(OpenShiftRequest { token: s.clone(), float: "0".into() }).await.unwrap();
    c.desk.collect(cash(&s, "3100000001", "10.00")).await.unwrap();
    let e = c
        .desk
        .sign_daily_report(SignDailyReportRequest { token: s.clone(), date: "2026-03-03".into(), approval: super1() })
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.params()["approver"].as_str()), ("APPROVAL_TOOK_MONEY", "super1"));
    c.clock.set(at("2026-03-04T18:00:00+08:00"));
    let s = token(&c.desk, "super1").await;
    let own = c
        .desk
        .sign_daily_report(SignDailyReportRequest { token: s.clone(), date: "2026-03-04".into(), approval: super1() })
        .await
        .unwrap();
    assert_eq!(own.signed_by, "super1", "a supervisor signs a day they took no money on at their own screen");
}

#[tokio::test]
async fn the_xlsx_holds_the_csvs_and_the_pdfs_numbers() {
    let c = with_accounts("2026-03-02T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    for (account, amount) in [("3100000001", "158.49"), ("3100000004", "1234.56"), ("3100000004", "0.01")] {
        c.desk.collect(cash(&t, account, amount)).await.unwrap();
    }
    c.desk
        .deposit(DepositRequest {
            token: t.clone(),
            amount: "1000.00".into(),
            bank: "工行".into(),
            slip_no: "JK0042".into(),
        })
        .await
        .unwrap();
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

    // The PDF, read back: each receipt's amount, the totals by kind and method and every summary
    // line are the CSV's, and the XLSX's summary sheet holds the same numbers.
    let pdf = c
        .desk
        .daily_report_pdf(DailyReportRequest { token: s.clone(), date: "2026-03-02".into(), scope: Scope::TerminalDay })
        .await
        .unwrap();
    assert!(pdf.title.contains("实收日报") && pdf.title.contains("2026-03-02"), "{}", pdf.title);
    let text = pdf_text(&pdf.pdf_base64);
    let receipt_nos: Vec<String> =
        csv.lines().filter(|l| l.starts_with("收据,")).map(|l| l.split(',').nth(1).unwrap().to_string()).collect();
    let pdf_amounts: Vec<String> = receipt_nos
        .iter()
        .map(|no| {
            let line = text.lines().find(|l| l.contains(no.as_str())).unwrap_or_else(|| panic!("{no} not in the PDF"));
            let figure = line.split_whitespace().find(|w| w.starts_with('¥')).unwrap();
            figure.replace(['¥', ','], "")
        })
        .collect();
    assert_eq!(pdf_amounts, csv_amounts, "each receipt's amount");
    let xlsx_summary: Vec<(String, String)> = summary
        .rows()
        .filter_map(|r| match (&r[0], &r[3]) {
            (Data::String(label), Data::Float(f)) if r[1] == Data::Empty => Some((label.clone(), format!("{f:.2}"))),
            _ => None,
        })
        .collect();
    let mut compared = 0;
    for line in csv.lines().filter(|l| l.starts_with("汇总,")) {
        let cells: Vec<&str> = line.split(',').collect();
        let (kind, method, amount, note) = (cells[3], cells[4], cells[8], cells[9]);
        let label = if kind.is_empty() { note.to_string() } else { format!("{kind}·{method}") };
        assert_eq!(pdf_amount(&text, &label), amount, "{label}: the PDF and the CSV");
        if kind.is_empty() {
            let xlsx = xlsx_summary.iter().find(|(l, _)| *l == label).map(|(_, a)| a.as_str());
            assert_eq!(xlsx, Some(amount), "{label}: the XLSX and the CSV");
        }
        compared += 1;
    }
    assert_eq!(compared, 14, "four totals by kind and method, ten summary lines");
    assert_eq!(pdf_amount(&text, "解款"), "1000.00");
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
    let slip = |t: &str| DepositSlipRequest { token: t.into(), slip_no: "JK0009".into(), bank: None };
    let printed = c.desk.deposit_slip_pdf(slip(&t)).await.unwrap();
    assert_eq!(printed.title, "解款单 JK0009");
    let text = squeezed(&pdf_text(&printed.pdf_base64));
    for want in [
        "解款单号JK0009",
        "GY01-03第1班",
        "中国工商银行",
        "¥300.00",
        "叁佰元整",
        "出自本班钱箱¥300.00",
        "在途：待账务中心确认",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    assert!(!text.contains("已确认"), "{text}");
    let admin = token(&c.desk, "admin").await;
    assert_eq!(c.desk.deposit_slip_pdf(slip(&admin)).await.unwrap_err().code(), "FORBIDDEN");
    let mut unknown = slip(&t);
    unknown.slip_no = "JK9999".into();
    assert_eq!(c.desk.deposit_slip_pdf(unknown).await.unwrap_err().code(), "INPUT_INVALID");
    // Thursday, three working days on: overdue, and the supervisor is told.
    c.clock.set(at("2026-03-05T09:00:00+08:00"));
    let login = c.desk.login(LoginRequest { username: "super1".into(), password: PW.into() }).await.unwrap();
    let notice = login.notices.iter().find(|n| n.code == "DEPOSIT_OVERDUE").expect("the supervisor is told");
    assert_eq!(notice.params["slip_no"], "JK0009");
    let text = squeezed(&pdf_text(&c.desk.deposit_slip_pdf(slip(&login.token)).await.unwrap().pdf_base64));
    assert!(text.contains("在途（逾期）") && text.contains("在途：逾期未确认"), "{text}");
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
    cashdesk::sync::pull::apply_page(c.desk.writer(), &page, "2026-03-05T10:00:00+08:00").await.unwrap();
    let t = token(&c.desk, "cashier1").await;
    let listed = c.desk.list_deposits(DepositListRequest { token: t, in_transit: false }).await.unwrap();
    assert_eq!((listed[0].in_transit, listed[0].overdue), (false, false));
    assert_eq!(
        (listed[0].confirmed_by.as_deref(), listed[0].reference.as_deref()),
        (Some("statement"), Some("ICBC-CR-778"))
    );
    // The slip printed now says so, with the bank's reference; finance may print it too.
    let f = token(&c.desk, "finance1").await;
    let text = squeezed(&pdf_text(&c.desk.deposit_slip_pdf(slip(&f)).await.unwrap().pdf_base64));
    assert!(text.contains("已确认：银行对账单匹配2026-03-0510:00:00银行流水号ICBC-CR-778"), "{text}");
    assert!(!text.contains("在途"), "{text}");
    let login = c.desk.login(LoginRequest { username: "super1".into(), password: PW.into() }).await.unwrap();
    assert!(login.notices.iter().all(|n| n.code != "DEPOSIT_OVERDUE"));
}

/// From the command line: the slip with the deposit (`deposit --pdf`) and again later (`deposits
/// slip`), and the day's report as a PDF (`report daily --format pdf`).
#[test]
fn the_slip_and_the_report_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("cashdesk.sqlite");
    let run = |user: &str, pw: &str, args: &[&str]| {
        let args = [&["--user", user][..], args].concat();
        let o = crate::common::cashdeskctl(&db, &args, &format!("{pw}\n"), Some(home));
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let init = crate::common::cashdeskctl(&db, &["init", "--demo"], "", Some(home));
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let (cashier, finance, supervisor) =
        (("cashier1", "Cashier#2026"), ("finance1", "Finance#2026"), ("super1", "Super#2026"));
    run(cashier.0, cashier.1, &["shift", "open", "--float", "500"]);
    run(cashier.0, cashier.1, &["collect", "3100000001", "--amount", "100", "--exact"]);
    let slip = home.join("slip.pdf");
    let slip_arg = slip.to_str().unwrap();
    run(cashier.0, cashier.1, &["deposit", "--amount", "80", "--bank", "工行", "--slip", "JK0501", "--pdf", slip_arg]);
    let read = |path: &std::path::Path| {
        use base64::Engine;
        squeezed(&pdf_text(&base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap())))
    };
    let text = read(&slip);
    assert!(text.contains("解款单号JK0501") && text.contains("捌拾元整") && text.contains("在途"), "{text}");
    let again = home.join("again.pdf");
    let said = run(finance.0, finance.1, &["deposits", "slip", "JK0501", "--out", again.to_str().unwrap()]);
    assert!(said.contains("解款单 JK0501 written to"), "{said}");
    assert_eq!(
        read(&again).replace(char::is_numeric, ""),
        text.replace(char::is_numeric, ""),
        "the same slip, printed later"
    );
    // The counter's own day, as it recorded the deposit.
    let listed: serde_json::Value = serde_json::from_str(&run(finance.0, finance.1, &["--json", "deposits"])).unwrap();
    let day = listed[0]["deposited_at"].as_str().unwrap()[..10].to_string();
    let report = home.join("day.pdf");
    let said = run(
        supervisor.0,
        supervisor.1,
        &["report", "daily", "--date", &day, "--format", "pdf", "--out", report.to_str().unwrap()],
    );
    assert!(said.contains("实收日报") && said.contains("written to"), "{said}");
    let text = read(&report);
    for want in ["合计（不含作废）1笔¥100.00", "解款1笔¥80.00", "JK0501", "签核：未签核"] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
}
