//! Receipt benchmark (`cargo bench --bench receipt`, or `make bench`).
//!
//! A triplicate payment receipt rendered to PDF by the core (font loaded once, as at the counter):
//! median time and size, against the collection issue's targets (≤ 10 ms median, ≤ 80 KB). In the
//! same run, the same receipt as an HTML page printed to PDF by headless Chromium
//! (`--print-to-pdf`, the path a web counter would take), each print a fresh browser as a web
//! counter's print job would be; the ratio of the medians is reported. Skips Chromium with a
//! message when `/usr/bin/chromium` is missing.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use cashdesk::{
    money::Yuan,
    print::{CjkFont, PaperMode, Receipt, ReceiptKind, ReceiptLine, Tender, render_receipt},
};

fn y(s: &str) -> anyhow::Result<Yuan> {
    Ok(Yuan::parse(s)?)
}

fn receipt() -> anyhow::Result<Receipt> {
    Ok(Receipt {
        kind: ReceiptKind::Payment,
        utility: "国网示范供电公司营业厅".into(),
        receipt_no: "DEMO-01-2026-000123".into(),
        issued_at: "2026-11-23 09:41:05".into(),
        terminal: "DEMO-01".into(),
        cashier: "张丽".into(),
        account_no: "3100000001".into(),
        name: "示范市金鼎超市".into(),
        address: "示范市西城区光明街63号19栋1单元147室".into(),
        meter_no: "0110100007919".into(),
        lines: vec![
            ReceiptLine {
                period: "202511".into(),
                kwh: "2843".into(),
                principal: y("2137.94")?,
                late_fee: y("2144.35")?,
            },
            ReceiptLine {
                period: "202512".into(),
                kwh: "3242".into(),
                principal: y("2437.98")?,
                late_fee: y("1496.92")?,
            },
            ReceiptLine {
                period: "202608".into(),
                kwh: "2909".into(),
                principal: y("2187.57")?,
                late_fee: y("280.01")?,
            },
        ],
        to_prepaid: y("315.23")?,
        total: y("11000.00")?,
        tender: Tender::Cash { tendered: y("11000.00")?, change: y("0.00")? },
        prepaid_after: y("315.23")?,
        verification_code: "8698F668".into(),
        reprint: None,
        void: false,
        holiday_cash_approved_by: None,
    })
}

fn html(r: &Receipt) -> String {
    let rows: String = r
        .lines
        .iter()
        .map(|l| {
            format!("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", l.period, l.kwh, l.principal, l.late_fee)
        })
        .collect();
    let copy = |label: &str| {
        format!(
            "<section style='page-break-after:always'><h1>{} 收费收据</h1><p>{label} 收据号 {} 时间 {} 终端 {} 收款员 {}</p>\
             <p>户号 {} 户名 {} 用电地址 {} 表号 {}</p><table border=1><tr><th>账期</th><th>电量</th><th>电费本金</th><th>违约金</th></tr>{rows}</table>\
             <p>预存 {} 合计 ¥{} {}</p><p>现金 实收 {} 找零 0.00 预存余额 {} 校验码 {}</p><p>收款人 ______ 复核 ______</p></section>",
            r.utility,
            r.receipt_no,
            r.issued_at,
            r.terminal,
            r.cashier,
            r.account_no,
            r.name,
            r.address,
            r.meter_no,
            r.to_prepaid,
            r.total,
            r.total.words(),
            r.total,
            r.prepaid_after,
            r.verification_code
        )
    };
    format!(
        "<!doctype html><meta charset=utf-8><style>@page{{size:A5 landscape}} body{{font-family:'Noto Sans CJK SC',sans-serif}}</style>{}{}{}",
        copy("第一联 存根联"),
        copy("第二联 客户联"),
        copy("第三联 记账联")
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_RECEIPTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let t = Instant::now();
    let font = CjkFont::locate()?;
    println!("font {} (face {}) loaded in {} ms", font.path().display(), font.face(), t.elapsed().as_millis());
    let r = receipt()?;
    let mut times = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        let pdf = render_receipt(&r, PaperMode::A5, &font)?;
        times.push(t.elapsed());
        size = pdf.len();
    }
    let core = median(times);
    println!(
        "core: triplicate receipt, A5, median {} µs, {} KB (targets ≤ 10 ms: {}, ≤ 80 KB: {})",
        core.as_micros(),
        size / 1024,
        if core <= Duration::from_millis(10) { "met" } else { "MISSED" },
        if size <= 80 * 1024 { "met" } else { "MISSED" }
    );

    let chromium = std::path::Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        println!("chromium: /usr/bin/chromium not found, comparison skipped");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("receipt.html");
    std::fs::write(&page, html(&r))?;
    let runs = n.min(10);
    let mut times = Vec::with_capacity(runs);
    let mut csize = 0;
    for i in 0..runs {
        let out = dir.path().join(format!("c{i}.pdf"));
        let profile = dir.path().join(format!("profile{i}"));
        let t = Instant::now();
        let status = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ])
            .args(["--disable-sync", "--no-first-run", "--disable-quic", "--no-pdf-header-footer"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--print-to-pdf={}", out.display()))
            .arg(format!("file://{}", page.display()))
            .env("HOME", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()?;
        times.push(t.elapsed());
        anyhow::ensure!(status.success(), "chromium failed to print");
        csize = std::fs::metadata(&out)?.len();
    }
    let browser = median(times);
    let ratio = browser.as_micros() * 10 / core.as_micros().max(1);
    println!(
        "chromium: same receipt as HTML → PDF, median {} ms, {} KB ({runs} runs)",
        browser.as_millis(),
        csize / 1024
    );
    println!("ratio chromium / core = {}.{}×", ratio / 10, ratio % 10);
    Ok(())
}
