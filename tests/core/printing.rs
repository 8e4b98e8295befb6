//! Receipts on paper: the stored snapshot rendered to PDF and read back with pdftotext.

use cashdesk::{
    desk::{
        LoginRequest,
        printing::{ReceiptRequest, SetPrintSettingsRequest},
        shift::OpenShiftRequest,
        void::VoidRequest,
    },
    payments::{CollectRequest, Method, VendRequest},
    print::PaperMode,
    users::approval::ApprovalInput,
};

use crate::common::{Counter, with_accounts};

fn pdftotext(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

async fn paid(c: &Counter) -> (String, String) {
    let t = c
        .desk
        .login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() })
        .await
        .unwrap()
        .token;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "500".into() }).await.unwrap();
    let req = CollectRequest {
        token: t.clone(),
        account_no: "3100000001".into(),
        method: Method::Cash,
        amount: "300.00".into(),
        tendered: Some("400.00".into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    };
    (t, c.desk.collect(req).await.unwrap().receipt_no)
}

async fn actions(c: &Counter) -> Vec<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_log WHERE action LIKE 'receipt.%' ORDER BY seq")
            .fetch_all(c.desk.pool())
            .await
            .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn the_receipt_has_three_copies_the_words_and_reprints_are_marked_and_audited() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let (_, receipt_no) = paid(&c).await;
    let first = c.dir.path().join("first.pdf");
    assert_eq!(
        c.desk
            .print_receipt_to_file(&crate::common::token(&c.desk, "cashier1").await, &receipt_no, &first)
            .await
            .unwrap(),
        None,
        "the first print is the original"
    );
    let text = pdftotext(&first);
    for label in ["第一联", "存根联", "第二联", "客户联", "第三联", "记账联"] {
        assert!(text.contains(label), "copy label {label} missing:\n{text}");
    }
    assert!(text.contains(&receipt_no), "receipt number");
    assert!(text.contains("人民币叁佰元整"), "the total in 大写");
    assert!(
        text.contains("3100000001") && text.contains("2025-11"),
        "户号 and the settled period, as the screen shows it (2025-11)"
    );
    assert!(!text.contains("重打"), "an original is not marked as a reprint");

    let again = c.dir.path().join("again.pdf");
    assert_eq!(
        c.desk
            .print_receipt_to_file(&crate::common::token(&c.desk, "cashier1").await, &receipt_no, &again)
            .await
            .unwrap(),
        Some(1)
    );
    let text = pdftotext(&again);
    assert!(text.contains("重打"), "{text}");
    assert_eq!(actions(&c).await, ["receipt.print", "receipt.reprint"]);
}

#[tokio::test]
async fn a_reprint_shows_the_original_even_after_the_account_changes() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let (_, receipt_no) = paid(&c).await;
    sqlx::query("UPDATE accounts SET name = '李四' WHERE account_no = '3100000001'")
        .execute(c.desk.pool())
        .await
        .unwrap();
    let out = c.dir.path().join("r.pdf");
    c.desk.print_receipt_to_file(&crate::common::token(&c.desk, "cashier1").await, &receipt_no, &out).await.unwrap();
    let text = pdftotext(&out);
    assert!(text.contains("张建国") && !text.contains("李四"), "the receipt is a snapshot of the payment");
}

#[tokio::test]
async fn a_voided_receipt_prints_void() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let (t, receipt_no) = paid(&c).await;
    let approval = Some(ApprovalInput { username: "super1".into(), password: "Counter#2026".into() });
    c.desk
        .void_payment(VoidRequest { token: t, receipt_no: receipt_no.clone(), reason: "收错户号".into(), approval })
        .await
        .unwrap();
    let out = c.dir.path().join("void.pdf");
    c.desk.print_receipt_to_file(&crate::common::token(&c.desk, "cashier1").await, &receipt_no, &out).await.unwrap();
    assert!(pdftotext(&out).contains("作废"));
}

#[tokio::test]
async fn a_vend_slip_has_two_copies() {
    let c = with_accounts("2026-03-01T10:00:00+08:00").await;
    let t = c
        .desk
        .login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() })
        .await
        .unwrap()
        .token;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    let approval = Some(ApprovalInput { username: "super1".into(), password: "Counter#2026".into() });
    let req = VendRequest {
        token: t,
        account_no: "3100000003".into(),
        method: Method::Cash,
        amount: "800.00".into(),
        tendered: Some("800.00".into()),
        confirm_large: false,
        voucher: None,
        approval,
    };
    let done = c.desk.vend(req).await.unwrap();
    let out = c.dir.path().join("vend.pdf");
    c.desk
        .print_receipt_to_file(&crate::common::token(&c.desk, "cashier1").await, &done.receipt_no, &out)
        .await
        .unwrap();
    let text = pdftotext(&out);
    assert!(
        text.contains("第一联") && text.contains("第二联") && !text.contains("第三联"),
        "a recharge slip is in duplicate:\n{text}"
    );
    assert!(text.contains("人民币捌佰元整"));
    assert!(
        text.contains("节假日现金") && text.contains("super1"),
        "holiday cash names the approving supervisor:\n{text}"
    );
}

#[tokio::test]
async fn printing_needs_a_configured_printer_and_only_supervisors_configure_it() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let (t, receipt_no) = paid(&c).await;
    let e =
        c.desk.print_receipt(ReceiptRequest { token: t.clone(), receipt_no: receipt_no.clone() }).await.unwrap_err();
    assert_eq!(e.code(), "PRINTER_NOT_SET");
    let e = c
        .desk
        .set_print_settings(SetPrintSettingsRequest {
            token: t.clone(),
            printer: Some("counter-1".into()),
            paper: PaperMode::A4,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN", "a cashier does not change the printer");
    let s =
        c.desk.login(LoginRequest { username: "super1".into(), password: "Counter#2026".into() }).await.unwrap().token;
    let set = c
        .desk
        .set_print_settings(SetPrintSettingsRequest {
            token: s,
            printer: Some("counter-1".into()),
            paper: PaperMode::Continuous241,
        })
        .await
        .unwrap();
    assert_eq!(set.paper, PaperMode::Continuous241);
    // The preview renders what the next print shows, and prints nothing.
    let preview = c.desk.receipt_pdf(ReceiptRequest { token: t, receipt_no }).await.unwrap();
    assert!(preview.pdf_base64.starts_with("JVBERi0"), "base64 of %PDF-");
    assert!(preview.copies.is_empty(), "the continuous form is one impression: no copy tabs in the preview");
    assert!(actions(&c).await.is_empty(), "a preview is not a print");
}

#[tokio::test]
async fn the_shift_report_lists_every_transaction_and_the_shortage() {
    use base64::Engine;
    use cashdesk::{
        desk::{printing::ShiftReportRequest, shift::CloseShiftRequest},
        shifts::DenominationCount,
    };
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let (t, receipt_no) = paid(&c).await;
    // Expected 500 + 300 = 800; 790 counted: 10.00 short.
    let counts = vec![
        DenominationCount { denomination: "100".into(), count: 7 },
        DenominationCount { denomination: "10".into(), count: 9 },
    ];
    let approval = Some(ApprovalInput { username: "super1".into(), password: "Counter#2026".into() });
    c.desk
        .close_shift(CloseShiftRequest { token: t.clone(), counts, reason: Some("找零误差".into()), approval })
        .await
        .unwrap();
    let doc = c.desk.shift_report_pdf(ShiftReportRequest { token: t, shift_id: None }).await.unwrap();
    let out = c.dir.path().join("report.pdf");
    std::fs::write(&out, base64::engine::general_purpose::STANDARD.decode(doc.pdf_base64).unwrap()).unwrap();
    let text = pdftotext(&out);
    for want in ["收费日报", receipt_no.as_str(), "短款", "找零误差", "super1"] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    let f = c
        .desk
        .login(LoginRequest { username: "finance1".into(), password: "Counter#2026".into() })
        .await
        .unwrap()
        .token;
    assert!(
        c.desk.shift_report_pdf(ShiftReportRequest { token: f, shift_id: Some(1) }).await.is_ok(),
        "finance reviews any shift"
    );
}
