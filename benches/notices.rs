//! Arrears-notice benchmark (`cargo bench --bench notices`, or `make bench`).
//!
//! Builds the look-up benchmark's database (`BENCH_ACCOUNTS`, default 1,000,000 accounts with 12
//! monthly bills each, one postpaid account in five with its last two bills unpaid), then times
//! the batch preview — how many accounts a batch reaches and what they owe, each account's late
//! fee worked out to the print date — through `Desk::notice_preview`, with no filter and with
//! typical ones. Target from issue 16: ≤ 300 ms over 1,000,000 accounts.

mod common;

use std::time::{Duration, Instant};

use cashdesk::{
    accounts::Category,
    config::TerminalCode,
    desk::{Clock, Desk, InitOptions, LoginRequest, notices::NoticePreviewRequest, users::AddUserRequest},
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
            "district (address prefix)",
            NoticeFilter { address_prefix: Some("示范市城关区".into()), ..NoticeFilter::default() },
        ),
        (
            "commercial, ≥ 100.00, ≥ 30 days",
            NoticeFilter {
                category: Some(Category::Commercial),
                min_owed: Some("100.00".into()),
                min_days_overdue: Some(30),
                ..NoticeFilter::default()
            },
        ),
        ("not notified in 30 days", NoticeFilter { skip_notified_days: Some(30), ..NoticeFilter::default() }),
    ];
    if samples == 0 {
        return Ok(());
    }
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
    Ok(())
}
