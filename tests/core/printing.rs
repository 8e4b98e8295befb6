//! Receipts on paper: the stored snapshot rendered to PDF and read back with pdftotext.

use cashdesk::{
    desk::{
        LoginRequest, TokenRequest,
        printing::{ReceiptRequest, SetPrintSettingsRequest, TestPageRequest},
        shift::OpenShiftRequest,
        void::VoidRequest,
    },
    payments::{CollectRequest, Method, VendRequest},
    print::PaperMode,
    users::approval::ApprovalInput,
};

use crate::common::{Counter, PW, token, with_accounts};

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

/// DOMAIN (issue 18): a supervisor chooses the counter's printer from the computer's print queues
/// (`lpstat`): the list is theirs and administrators' to see, a name the computer does not have is
/// refused whatever a client sends, and the settings stay as they were.
#[tokio::test]
async fn the_printer_is_one_of_the_computers_queues() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let sup = token(&c.desk, "super1").await;
    let q = c.desk.printer_queues(TokenRequest { token: sup.clone() }).await.unwrap();
    assert_eq!(q.names, ["counter-1", "Counter-3"]);
    let cashier = token(&c.desk, "cashier1").await;
    let e = c.desk.printer_queues(TokenRequest { token: cashier }).await.unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN");
    for name in ["nope", "counter-1 ", "COUNTER-1"] {
        let r = c
            .desk
            .set_print_settings(SetPrintSettingsRequest {
                token: sup.clone(),
                printer: Some(name.into()),
                paper: PaperMode::A4,
            })
            .await;
        match name.trim() {
            "counter-1" => assert!(r.is_ok(), "{name:?}: a trailing space is trimmed"),
            _ => {
                let e = r.unwrap_err();
                assert_eq!(e.code(), "PRINT_PRINTER_UNKNOWN", "{name:?}");
                assert!(e.to_string().contains("counter-1, Counter-3"), "names the printers there are: {e}");
            }
        }
    }
    let s = c.desk.print_settings(TokenRequest { token: sup }).await.unwrap();
    assert_eq!(s.printer.as_deref(), Some("counter-1"), "the refused names changed nothing");
}

/// DOMAIN (issue 18): a test page goes to the printer chosen (or the counter's), names the counter
/// and the printer, and is audited; a cashier cannot print one, and a queue that is not there is
/// refused before anything is printed.
#[tokio::test]
async fn a_test_page_is_printed_on_the_chosen_queue() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let (lp, jobs, _gate) = crate::notices::gated_printer(c.dir.path());
    let desk = c.desk.clone().with_spooler(lp);
    let sup = token(&desk, "super1").await;
    let e = desk.print_test_page(TestPageRequest { token: sup.clone(), printer: None, paper: None }).await.unwrap_err();
    assert_eq!(e.code(), "PRINTER_NOT_SET", "no printer chosen yet and none given");
    let e = desk
        .print_test_page(TestPageRequest { token: sup.clone(), printer: Some("gone".into()), paper: None })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "PRINT_PRINTER_UNKNOWN");
    let cashier = token(&desk, "cashier1").await;
    let e = desk
        .print_test_page(TestPageRequest { token: cashier, printer: Some("Counter-3".into()), paper: None })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN");
    assert_eq!(std::fs::read_dir(&jobs).unwrap().count(), 0, "nothing printed so far");

    let printed = desk
        .print_test_page(TestPageRequest {
            token: sup.clone(),
            printer: Some("Counter-3".into()),
            paper: Some(PaperMode::A4),
        })
        .await
        .unwrap();
    assert_eq!(printed.printer, "Counter-3");
    let job = std::fs::read_dir(&jobs).unwrap().next().unwrap().unwrap().path();
    let text = pdftotext(&job);
    for want in ["打印测试页", "GY01-03", "Counter-3", "100 mm"] {
        assert!(text.contains(want), "{want} in {text}");
    }
    let pool = desk.pool();
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'print.test_page' AND actor = 'super1'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
}

/// DOMAIN (issue 18): a counter without a printer tells cashiers and supervisors at log-in whom to
/// ask; once a printer is chosen, nobody is told.
#[tokio::test]
async fn a_counter_without_a_printer_says_so_at_log_in() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let told = |user: &'static str| {
        let desk = c.desk.clone();
        async move {
            let r = desk.login(LoginRequest { username: user.into(), password: PW.into() }).await.unwrap();
            r.notices.iter().any(|n| n.code == "PRINTER_NOT_SET")
        }
    };
    assert!(told("cashier1").await);
    assert!(told("super1").await);
    assert!(!told("admin").await, "administrators do not choose printers");
    let sup = token(&c.desk, "super1").await;
    c.desk
        .set_print_settings(SetPrintSettingsRequest {
            token: sup,
            printer: Some("counter-1".into()),
            paper: PaperMode::A5,
        })
        .await
        .unwrap();
    assert!(!told("cashier1").await);
}

/// DOMAIN (issue 18): a fresh demo counter takes the computer's default queue, else its first, and
/// none when the computer has none (then the log-in notice says whom to ask).
#[tokio::test]
async fn a_fresh_demo_counter_takes_the_default_queue() {
    for (queues, default, chosen) in [
        (&["a4-hall", "receipts"][..], Some("receipts"), Some("receipts")),
        (&["a4-hall", "receipts"][..], None, Some("a4-hall")),
        (&[][..], None, None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        let mut desk = cashdesk::desk::Desk::open(
            &dir.path().join("demo.sqlite"),
            cashdesk::desk::InitOptions {
                terminal: Some(cashdesk::config::TerminalCode::parse("DEMO-01").unwrap()),
                utility: None,
            },
        )
        .await
        .unwrap()
        .with_key_store(cashdesk::keystore::KeyStore::Files { dir: dir.path().join("keys"), name: "demo".into() })
        .with_queue_lister(crate::common::fake_lpstat(dir.path(), queues, default));
        assert!(desk.seed_demo().await.unwrap());
        let admin =
            desk.login(LoginRequest { username: "super1".into(), password: "Super#2026".into() }).await.unwrap().token;
        let s = desk.print_settings(TokenRequest { token: admin }).await.unwrap();
        assert_eq!(s.printer.as_deref(), chosen, "{queues:?} {default:?}");
    }
}
