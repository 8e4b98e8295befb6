//! Arrears-notice benchmark (`cargo bench --bench notices`, or `make bench`).
//!
//! Builds the look-up benchmark's database (`BENCH_ACCOUNTS`, default 1,000,000 accounts with 12
//! monthly bills each, one postpaid account in five with its last two bills unpaid), then times
//! the batch preview — how many accounts a batch reaches and what they owe, each account's late
//! fee worked out to the print date — through `Desk::notice_preview`, with no filter and with
//! typical ones. Target from issue 16: ≤ 300 ms over 1,000,000 accounts. Then a batch of
//! `BENCH_NOTICES` (10,000) notices to a folder, timed, with the process's peak memory during it.
//! Target: ≤ 20 s and ≤ 200 MB.

mod common;

use std::time::{Duration, Instant};

use cashdesk::{
    accounts::Category,
    config::TerminalCode,
    desk::{
        Clock, Desk, InitOptions, LoginRequest,
        notices::{BatchOptions, NoticePreviewRequest, NoticeRunRequest, NoticeRunState, NoticeTarget},
        users::AddUserRequest,
    },
    notices::NoticeFilter,
    users::Role,
};
use common::{Stats, build, env_num};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let accounts = env_num("BENCH_ACCOUNTS", 1_000_000);
    let samples = env_num("BENCH_SAMPLES", 15) as usize;
    let dir = tempfile::tempdir()?;
    // BENCH_DB keeps the built database for the next run (a minute saved per run).
    let path =
        std::env::var("BENCH_DB").map(std::path::PathBuf::from).unwrap_or_else(|_| dir.path().join("bench.sqlite"));
    if !path.exists() {
        let pool = cashdesk::store::open(&path).await?;
        let t = Instant::now();
        build(&pool, accounts, 12).await?;
        pool.close().await;
        println!("built {accounts} accounts in {} s", t.elapsed().as_secs());
    }
    let desk = Desk::open(&path, InitOptions { terminal: Some(TerminalCode::parse("BENCH-01")?), utility: None })
        .await?
        .with_clock(Clock::manual(chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00")?));
    const PW: &str = "Bench#20261";
    if !desk.has_admin().await? {
        desk.bootstrap_admin("admin", None, PW).await?;
        let admin = desk.login(LoginRequest { username: "admin".into(), password: PW.into() }).await?.token;
        desk.add_user(AddUserRequest {
            token: admin,
            username: "super1".into(),
            display_name: None,
            role: Role::Supervisor,
            password: PW.into(),
        })
        .await?;
    }
    let token = desk.login(LoginRequest { username: "super1".into(), password: PW.into() }).await?.token;
    let cases: [(&'static str, NoticeFilter); 4] = [
        ("no filter", NoticeFilter::default()),
        (
            "a road of a district (prefix)",
            NoticeFilter { address_prefix: Some("示范市城关区人民路".into()), ..NoticeFilter::default() },
        ),
        (
            "residential, ≥ 250.00, ≥ 30 days",
            NoticeFilter {
                category: Some(Category::Residential),
                min_owed: Some("250.00".into()),
                min_days_overdue: Some(30),
                ..NoticeFilter::default()
            },
        ),
        ("not notified in 30 days", NoticeFilter { skip_notified_days: Some(30), ..NoticeFilter::default() }),
    ];
    if samples == 0 {
        return Ok(());
    }
    // The first preview on a fresh connection reads its pages and prepares its statements: timed
    // on its own, as a supervisor's first one of the day.
    let t = Instant::now();
    desk.notice_preview(NoticePreviewRequest { token: token.clone(), filter: NoticeFilter::default() }).await?;
    println!("first preview after opening: {} ms", t.elapsed().as_millis());
    println!("\nnotice preview, {samples} runs each, release build:");
    let mut worst = Duration::ZERO;
    for (name, filter) in cases {
        let mut stats = Stats { name, samples: Vec::new() };
        let mut last = None;
        for _ in 0..samples {
            let t = Instant::now();
            let p = desk.notice_preview(NoticePreviewRequest { token: token.clone(), filter: filter.clone() }).await?;
            stats.samples.push(t.elapsed());
            last = Some(p);
        }
        stats.print();
        if let Some(p) = last {
            println!("{:<28} {} accounts, owing {} ({} late fees)", "", p.count, p.total, p.late_fee);
        }
        worst = worst.max(stats.pct(99));
    }
    println!(
        "\ntarget: preview ≤ 300 ms: {} (worst p99 {} ms)",
        if worst <= Duration::from_millis(300) { "met" } else { "MISSED" },
        worst.as_millis()
    );

    // A batch of BENCH_NOTICES notices (default 10,000) written as PDFs of 50 into a folder: the
    // same stream, rendering and logging as to a printer, without a spooler's own time.
    let notices = env_num("BENCH_NOTICES", 10_000) as u32;
    let out = dir.path().join("notices");
    // The peak memory of the batch alone: the high-water mark is reset first (Linux).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let started = desk
        .notice_batch_start_to(
            &token,
            NoticeFilter::default(),
            NoticeTarget::Folder(out.clone()),
            BatchOptions { per_pdf: Some(50), max: Some(notices), paper: None },
        )
        .await?;
    let end = loop {
        let st = desk.notice_run_status(NoticeRunRequest { token: token.clone(), run: started.run }).await?;
        if st.state != NoticeRunState::Running {
            break st;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = t.elapsed();
    let peak_mb = peak_rss_kb().map(|kb| kb / 1024);
    let bytes: u64 = std::fs::read_dir(&out)?.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
    println!(
        "\nbatch: {} of {} notices ({:?}) in {:.1} s, {} PDFs, {} MB on disk, peak RSS {} MB",
        end.printed,
        end.selected,
        end.state,
        took.as_secs_f64(),
        std::fs::read_dir(&out)?.count(),
        bytes / 1_000_000,
        peak_mb.map_or_else(|| "?".to_string(), |m| m.to_string())
    );
    println!(
        "target: {notices} notices ≤ 20 s and ≤ 200 MB: {}",
        if took <= Duration::from_secs(20) && peak_mb.is_some_and(|m| m <= 200) { "met" } else { "MISSED" }
    );
    Ok(())
}

/// The process's peak resident memory since the last reset (`VmHWM`), in KB.
fn peak_rss_kb() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
