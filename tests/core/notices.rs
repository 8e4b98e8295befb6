//! 电费催缴通知单 (issue 16): one notice at the counter, read back with pdftotext; the batch's
//! count and totals (summed in SQL) against the notices themselves (the Rust rule); the skip rule;
//! a batch streamed to a printer and cancelled, where what was logged is what the printer got.

use std::path::Path;

use base64::Engine;
use cashdesk::{
    accounts::Category,
    desk::{
        notices::{
            BatchOptions, NoticeAccountRequest, NoticeBatchRequest, NoticeLogRequest, NoticePreviewRequest,
            NoticeRunRequest, NoticeRunState, NoticeRunStatus, NoticeTarget,
        },
        printing::SetPrintSettingsRequest,
        shift::OpenShiftRequest,
    },
    money::Yuan,
    notices::NoticeFilter,
    payments::{CollectRequest, Method},
    print::PaperMode,
};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::common::{Counter, at, token, with_accounts};

fn y(s: &str) -> Yuan {
    Yuan::parse(s).unwrap()
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.pdf");
    std::fs::write(&path, pdf).unwrap();
    pdftotext_file(&path)
}

fn pdftotext_file(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext").args(["-layout"]).arg(path).arg("-").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn account(t: &str, no: &str) -> NoticeAccountRequest {
    NoticeAccountRequest { token: t.into(), account_no: no.into() }
}

/// A printer standing in for CUPS `lp`: it files each job in `jobs`; from the second job on it
/// holds the job until the file `gate` exists (a slow printer the test controls).
pub fn gated_printer(dir: &Path) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let jobs = dir.join("jobs");
    let gate = dir.join("gate");
    std::fs::create_dir_all(&jobs).unwrap();
    let script = dir.join("lp.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor last; do :; done\nn=$(ls '{jobs}' | wc -l)\ncp \"$last\" \"{jobs}/$(date +%s%N)-$(basename \"$last\")\"\n\
             if [ \"$n\" -ge 1 ]; then while [ ! -e '{gate}' ]; do sleep 0.02; done; fi\n",
            jobs = jobs.display(),
            gate = gate.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script.display().to_string(), jobs, gate)
}

async fn set_printer(c: &Counter, paper: PaperMode) {
    let s = token(&c.desk, "super1").await;
    c.desk
        .set_print_settings(SetPrintSettingsRequest { token: s, printer: Some("Counter-3".into()), paper })
        .await
        .unwrap();
}

/// Poll a run until `done` says so (the run prints in the background).
async fn wait_for(c: &Counter, t: &str, run: i64, done: impl Fn(&NoticeRunStatus) -> bool) -> NoticeRunStatus {
    for _ in 0..3000 {
        let s = c.desk.notice_run_status(NoticeRunRequest { token: t.into(), run }).await.unwrap();
        if done(&s) {
            return s;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("notice run {run} did not get there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_notice_prints_the_periods_fees_words_and_slip_and_is_logged() {
    let c = with_accounts("2026-03-02T10:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    let pdf = c.desk.notice_pdf(account(&t, "3100000001")).await.unwrap();
    // 158.49 due 2025-12-20: 72 days at 1‰ = 11.41; 69.06 due 2026-01-20: 41 days = 2.83.
    assert_eq!(pdf.total, y("241.79"));
    let text = pdftotext(&base64::engine::general_purpose::STANDARD.decode(&pdf.pdf_base64).unwrap());
    for want in [
        "电费催缴通知单",
        "张建国",
        "2025-11",
        "2025-12",
        "¥158.49",
        "¥11.41",
        "¥69.06",
        "¥2.83",
        "¥241.79",
        "贰佰肆拾壹元柒角玖分",
        // Printed on Monday 2026-03-02 + 7 days: Monday 03-09, a working day.
        "2026-03-09",
        "95598",
        "沿此线剪开",
        "签收人（签字）",
        "预览",
    ] {
        assert!(text.contains(want), "{want:?} missing in\n{text}");
    }
    // A preview logs nothing.
    let log =
        |t: &str| NoticeLogRequest { token: t.into(), account_no: Some("3100000001".into()), run: None, limit: 10 };
    assert!(c.desk.notice_log(log(&t)).await.unwrap().is_empty());

    // Printed: through the spooler, logged with its number.
    let dir = tempfile::tempdir().unwrap();
    let (lp, jobs, gate) = gated_printer(dir.path());
    std::fs::write(&gate, "").unwrap();
    let desk = c.desk.clone().with_spooler(lp);
    let no_printer = desk.print_notice(account(&t, "3100000001")).await.unwrap_err();
    assert_eq!(no_printer.code(), "PRINTER_NOT_SET");
    set_printer(&c, PaperMode::A5).await;
    let printed = desk.print_notice(account(&t, "3100000001")).await.unwrap();
    assert_eq!((printed.total, printed.printer.as_str()), (y("241.79"), "Counter-3"));
    let job = std::fs::read_dir(&jobs).unwrap().next().unwrap().unwrap().path();
    let text = pdftotext_file(&job);
    assert!(text.contains(&printed.notice_no) && !text.contains("预览"), "{text}");
    let entries = c.desk.notice_log(log(&t)).await.unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(
        (e.notice_no.as_str(), e.kind.as_str(), e.printed_by.as_str()),
        (printed.notice_no.as_str(), "single", "cashier1")
    );
    assert_eq!((e.periods, e.principal, e.late_fee, e.pay_by.as_str()), (2, y("227.55"), y("14.24"), "2026-03-09"));

    // Nothing overdue, nothing to notify; closed or unknown accounts likewise refused.
    assert_eq!(c.desk.notice_pdf(account(&t, "3100000003")).await.unwrap_err().code(), "NO_ARREARS");
    assert_eq!(c.desk.notice_pdf(account(&t, "3199999999")).await.unwrap_err().code(), "ACCOUNT_NOT_FOUND");
    // A finance user may not print one.
    let f = token(&c.desk, "finance1").await;
    assert_eq!(c.desk.notice_pdf(account(&f, "3100000001")).await.unwrap_err().code(), "FORBIDDEN");
}

#[tokio::test]
async fn the_preview_filters_count_and_total_what_the_notices_say() {
    let c = with_accounts("2026-03-02T10:00:00+08:00").await;
    let s = token(&c.desk, "super1").await;
    let preview = |filter: NoticeFilter| c.desk.notice_preview(NoticePreviewRequest { token: s.clone(), filter });
    let all = preview(NoticeFilter::default()).await.unwrap();
    // 3100000001 (residential), 3100000002 (commercial, 10000.00 due 2025-12-15), 3100000004
    // (agricultural, 2000.00 due 2025-12-31 and 3000.00 due 2026-01-15).
    assert_eq!(all.count, 3);
    assert_eq!(
        all.first.iter().map(|a| a.account_no.as_str()).collect::<Vec<_>>(),
        ["3100000001", "3100000002", "3100000004"]
    );
    let mut sum = Yuan::ZERO;
    for a in &all.first {
        let one = c.desk.notice_pdf(account(&s, &a.account_no)).await.unwrap();
        assert_eq!(one.total, a.total, "{}: the preview's line is the notice", a.account_no);
        sum += one.total;
    }
    assert_eq!(all.total, sum, "the SQL total is the notices' total");
    assert_eq!(all.principal + all.late_fee, all.total);

    let commercial =
        preview(NoticeFilter { category: Some(Category::Commercial), ..NoticeFilter::default() }).await.unwrap();
    assert_eq!((commercial.count, commercial.first[0].account_no.as_str()), (1, "3100000002"));
    let district =
        preview(NoticeFilter { address_prefix: Some("示范市郊区".into()), ..NoticeFilter::default() }).await.unwrap();
    assert_eq!((district.count, district.first[0].account_no.as_str()), (1, "3100000004"));
    let big = preview(NoticeFilter { min_owed: Some("５０００".into()), ..NoticeFilter::default() }).await.unwrap();
    assert_eq!(big.first.iter().map(|a| a.account_no.as_str()).collect::<Vec<_>>(), ["3100000002", "3100000004"]);
    assert_eq!(big.count, 2);
    // 3100000001's oldest bill is 72 days overdue; 3100000004's 61, 3100000002's 77.
    let old = preview(NoticeFilter { min_days_overdue: Some(70), ..NoticeFilter::default() }).await.unwrap();
    assert_eq!(old.first.iter().map(|a| a.account_no.as_str()).collect::<Vec<_>>(), ["3100000001", "3100000002"]);
    assert_eq!(old.count, 2);
    let bad = preview(NoticeFilter { min_owed: Some("12.345".into()), ..NoticeFilter::default() }).await.unwrap_err();
    assert_eq!(bad.code(), "MONEY_DECIMALS");
    let t = token(&c.desk, "cashier1").await;
    let refused = c.desk.notice_preview(NoticePreviewRequest { token: t, filter: NoticeFilter::default() }).await;
    assert_eq!(refused.unwrap_err().code(), "FORBIDDEN");
}

/// Random accounts, bills and part payments: the count and totals summed in SQL are those of the
/// notices the Rust rule makes, account by account, under every filter.
#[tokio::test]
async fn sql_totals_equal_the_notices_over_random_arrears() {
    for seed in 0..4_u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let c = crate::common::staffed("2026-03-02T10:00:00+08:00").await;
        let admin = token(&c.desk, "admin").await;
        let mut accounts = String::from(
            "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance\n",
        );
        let mut bills = String::from("account_no,period,kwh,amount,due_date,paid\n");
        let categories = ["residential", "commercial", "industrial", "agricultural"];
        for i in 0..25 {
            let no = format!("32000000{i:02}");
            let road = ["人民路", "解放路"][i % 2];
            accounts.push_str(&format!(
                "{no},户{i},示范市{road}{i}号,{},postpaid,01100000{i:05},1,,,0\n",
                categories[rng.gen_range(0..4)]
            ));
            for m in 0..rng.gen_range(0..5_u32) {
                let (year, month) = if m < 2 { (2025, 11 + m) } else { (2026, m - 1) };
                let amount = rng.gen_range(1..2_000_000_i64);
                let paid = if rng.gen_bool(0.3) { rng.gen_range(0..amount) } else { 0 };
                let due = chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap()
                    + chrono::Duration::days(rng.gen_range(14..60));
                bills.push_str(&format!(
                    "{no},{year}{month:02},100,{},{due},{}\n",
                    Yuan::from_fen(amount),
                    Yuan::from_fen(paid)
                ));
            }
        }
        c.desk.import_accounts(&admin, "a.csv", accounts.as_bytes()).await.unwrap();
        c.desk.import_bills(&admin, "b.csv", bills.as_bytes()).await.unwrap();
        // Some late part payments, so that late fees are owed and charged up to another day.
        let t = token(&c.desk, "cashier1").await;
        c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
        let payers: Vec<usize> = (0..25).filter(|_| rng.gen_bool(0.3)).collect();
        for i in payers {
            let amount = Yuan::from_fen(rng.gen_range(1..50_000_i64)).to_string();
            let _ = c
                .desk
                .collect(CollectRequest {
                    token: t.clone(),
                    account_no: format!("32000000{i:02}"),
                    method: Method::Cash,
                    amount: amount.clone(),
                    tendered: Some(amount),
                    confirm_large: false,
                    voucher: None,
                    waive_late_fee: None,
                    approval: None,
                })
                .await;
        }
        c.clock.set(at("2026-04-20T09:00:00+08:00"));
        let s = token(&c.desk, "super1").await;
        let mut owed = Vec::new();
        for i in 0..25 {
            match c.desk.notice_pdf(account(&s, &format!("32000000{i:02}"))).await {
                Ok(n) => owed.push((i, n.total)),
                Err(e) => assert_eq!(e.code(), "NO_ARREARS"),
            }
        }
        for (filter, keep) in [
            (NoticeFilter::default(), Box::new(|_: usize, _: Yuan| true) as Box<dyn Fn(usize, Yuan) -> bool>),
            (
                NoticeFilter { min_owed: Some("5000".into()), ..NoticeFilter::default() },
                Box::new(|_, t| t >= y("5000.00")),
            ),
            (
                NoticeFilter { address_prefix: Some("示范市人民路".into()), ..NoticeFilter::default() },
                Box::new(|i, _| i % 2 == 0),
            ),
        ] {
            let p = c.desk.notice_preview(NoticePreviewRequest { token: s.clone(), filter }).await.unwrap();
            let want: Vec<&(usize, Yuan)> = owed.iter().filter(|(i, t)| keep(*i, *t)).collect();
            assert_eq!(p.count as usize, want.len(), "seed {seed}");
            assert_eq!(p.total, want.iter().map(|(_, t)| *t).sum::<Yuan>(), "seed {seed}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_streams_to_the_printer_and_a_cancel_keeps_log_and_printer_equal() {
    let c = with_accounts("2026-03-02T10:00:00+08:00").await;
    set_printer(&c, PaperMode::A4).await;
    let dir = tempfile::tempdir().unwrap();
    let (lp, jobs, gate) = gated_printer(dir.path());
    let desk = c.desk.clone().with_spooler(lp);
    let s = token(&c.desk, "super1").await;
    // One notice per job: the first job goes through, the second is held by the printer.
    let started = desk
        .notice_batch_start(NoticeBatchRequest {
            token: s.clone(),
            filter: NoticeFilter::default(),
            per_pdf: Some(1),
            max: None,
        })
        .await
        .unwrap();
    assert_eq!((started.selected, started.state), (3, NoticeRunState::Running));
    let run = started.run;
    let after_first = wait_for(&c, &s, run, |st| st.printed >= 1).await;
    assert_eq!(after_first.state, NoticeRunState::Running);
    // Wait until the second job is at the printer, then cancel and let the printer go on.
    while std::fs::read_dir(&jobs).unwrap().count() < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    desk.notice_run_cancel(NoticeRunRequest { token: s.clone(), run }).await.unwrap();
    std::fs::write(&gate, "").unwrap();
    let end = wait_for(&c, &s, run, |st| st.state != NoticeRunState::Running).await;
    assert_eq!(end.state, NoticeRunState::Cancelled);
    let logged = c
        .desk
        .notice_log(NoticeLogRequest { token: s.clone(), account_no: None, run: Some(run), limit: 100 })
        .await
        .unwrap();
    let printed: Vec<String> = std::fs::read_dir(&jobs).unwrap().map(|e| pdftotext_file(&e.unwrap().path())).collect();
    assert_eq!(end.printed as usize, logged.len());
    assert_eq!(logged.len(), printed.len(), "what was logged is what the printer got");
    assert_eq!(logged.len(), 2, "the job in hand when cancelled finished; nothing after it was made");
    for e in &logged {
        assert_eq!(
            printed.iter().filter(|text| text.contains(&e.notice_no) && text.contains(&e.account_no)).count(),
            1,
            "{e:?}"
        );
    }

    // The skip rule: those two are not notified again within 30 days; the third is.
    let skip = NoticeFilter { skip_notified_days: Some(30), ..NoticeFilter::default() };
    let p = c.desk.notice_preview(NoticePreviewRequest { token: s.clone(), filter: skip.clone() }).await.unwrap();
    assert_eq!(p.count, 1);
    assert!(!logged.iter().any(|e| e.account_no == p.first[0].account_no));
    c.clock.set(at("2026-04-02T10:00:00+08:00"));
    let s = token(&c.desk, "super1").await;
    let p = c.desk.notice_preview(NoticePreviewRequest { token: s.clone(), filter: skip.clone() }).await.unwrap();
    assert_eq!(p.count, 3, "31 days later every account is due a notice again");

    // The rest to a folder, skipping what was notified in the last 40 days: one PDF of one notice.
    let out = dir.path().join("out");
    let to_folder = |filter: NoticeFilter, max: Option<u32>| {
        c.desk.notice_batch_start_to(
            &s,
            filter,
            NoticeTarget::Folder(out.clone()),
            BatchOptions { max, ..BatchOptions::default() },
        )
    };
    let skip40 = NoticeFilter { skip_notified_days: Some(40), ..NoticeFilter::default() };
    let st = to_folder(skip40.clone(), None).await.unwrap();
    let end = wait_for(&c, &s, st.run, |st| st.state != NoticeRunState::Running).await;
    assert_eq!((end.state, end.selected, end.printed), (NoticeRunState::Done, 1, 1));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    let all = c
        .desk
        .notice_log(NoticeLogRequest { token: s.clone(), account_no: None, run: None, limit: 100 })
        .await
        .unwrap();
    assert_eq!(all.len(), 3, "every account notified once");
    // At most two this time (a day's delivery), in one PDF; none is left once all are recent.
    assert_eq!(to_folder(NoticeFilter::default(), Some(0)).await.unwrap_err().code(), "INPUT_INVALID");
    let st = to_folder(NoticeFilter::default(), Some(2)).await.unwrap();
    let end = wait_for(&c, &s, st.run, |st| st.state != NoticeRunState::Running).await;
    assert_eq!((end.state, end.selected, end.printed), (NoticeRunState::Done, 2, 2));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
    let p = c.desk.notice_preview(NoticePreviewRequest { token: s.clone(), filter: skip40 }).await.unwrap();
    assert_eq!(p.count, 0, "every account was notified in the last 40 days");
}
