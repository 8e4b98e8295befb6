//! `cashdeskctl notices preview|print|one|log`: arrears notices (电费催缴通知单). `print` runs a
//! batch to a folder (`--out DIR`) or a print queue (`--printer Q`, or the counter's printer),
//! with a progress bar on a terminal; Ctrl-C cancels it after the PDF in hand, which stays logged.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use cashdesk::{
    Error,
    accounts::{BillingMode, Category},
    desk::notices::{
        BatchOptions, NoticeLogRequest, NoticePreviewRequest, NoticeRunRequest, NoticeRunState, NoticeRunStatus,
        NoticeTarget,
    },
    notices::NoticeFilter,
    print::PaperMode,
};

use crate::Ctx;

/// The filters of a batch.
#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// 用电地址 starts with this (a district, a road).
    #[arg(long)]
    area: Option<String>,
    #[arg(long, value_parser = ["residential", "commercial", "industrial", "agricultural"])]
    category: Option<String>,
    #[arg(long, value_parser = ["postpaid", "prepaid"])]
    billing_mode: Option<String>,
    /// Owing at least this (principal + late fee), e.g. 100.00.
    #[arg(long)]
    min_amount: Option<String>,
    /// The oldest unpaid bill at least this many days overdue.
    #[arg(long)]
    min_days: Option<u32>,
    /// Skip accounts notified in the last N days.
    #[arg(long)]
    skip_notified_days: Option<u32>,
}

impl FilterArgs {
    fn filter(self) -> NoticeFilter {
        NoticeFilter {
            address_prefix: self.area,
            category: self.category.as_deref().and_then(Category::parse),
            billing_mode: self.billing_mode.as_deref().and_then(BillingMode::parse),
            min_owed: self.min_amount,
            min_days_overdue: self.min_days,
            skip_notified_days: self.skip_notified_days,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// How many accounts a batch reaches, what they owe, and the first of them (supervisors).
    Preview {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Print a batch (supervisors): PDFs into a folder, or to a print queue.
    Print {
        #[command(flatten)]
        filter: FilterArgs,
        /// Write the PDFs into this folder.
        #[arg(long, conflicts_with = "printer")]
        out: Option<PathBuf>,
        /// Send them to this print queue (without --out or --printer: the counter's printer).
        #[arg(long)]
        printer: Option<String>,
        /// Notices per PDF (1-500).
        #[arg(long, default_value_t = cashdesk::desk::notices::DEFAULT_PER_PDF)]
        per_pdf: u32,
        /// At most this many notices (the rest next time, with --skip-notified-days).
        #[arg(long)]
        max: Option<u32>,
        /// The paper (default: the counter's).
        #[arg(long, value_parser = ["a4", "a5", "continuous241"])]
        paper: Option<String>,
    },
    /// One account's notice, to a file (logged as printed).
    One {
        account_no: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// The notice log: one account's notices, one run's, or the latest.
    Log {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        run: Option<i64>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let result = async {
        match cmd {
            Cmd::Preview { filter } => {
                let p =
                    desk.notice_preview(NoticePreviewRequest { token: token.clone(), filter: filter.filter() }).await?;
                ctx.print(&p, |p| {
                    println!("{} 户  欠费 {}  违约金 {}  合计 {}", p.count, p.principal, p.late_fee, p.total);
                    for a in &p.first {
                        println!(
                            "  {}  {}  {} 期  {}  逾期 {} 天  {}",
                            a.account_no, a.name, a.periods, a.total, a.days_overdue, a.address
                        );
                    }
                })
            }
            Cmd::Print { filter, out, printer, per_pdf, max, paper } => {
                let target = match out {
                    Some(dir) => NoticeTarget::Folder(dir),
                    None => NoticeTarget::Printer(printer),
                };
                let paper = match paper.as_deref() {
                    Some("a4") => Some(PaperMode::A4),
                    Some("a5") => Some(PaperMode::A5),
                    Some(_) => Some(PaperMode::Continuous241),
                    None => None,
                };
                let options = BatchOptions { per_pdf: Some(per_pdf), max, paper };
                let started = desk.notice_batch_start_to(&token, filter.filter(), target, options).await?;
                let end = follow(&desk, &token, started).await?;
                ctx.print(&end, |e| {
                    let state = match e.state {
                        NoticeRunState::Done => "完成",
                        NoticeRunState::Cancelled => "已取消",
                        NoticeRunState::Failed => "失败",
                        NoticeRunState::Interrupted => "中断",
                        NoticeRunState::Running => "进行中",
                    };
                    println!("批次 {}：{state}，已打印 {} / {} 份（已记入催费记录）", e.run, e.printed, e.selected);
                    if let (Some(code), Some(message)) = (&e.error_code, &e.error_message) {
                        println!("  {code}: {message}");
                    }
                })?;
                match end.state {
                    NoticeRunState::Done => Ok(()),
                    NoticeRunState::Failed => Err(Error::invalid(
                        "notices",
                        end.error_message.unwrap_or_else(|| "the batch stopped on an error".into()),
                    )),
                    _ => Err(Error::invalid("notices", "the batch was cancelled: what was printed is logged")),
                }
            }
            Cmd::One { account_no, out } => {
                let notice_no = desk.notice_to_file(&token, &account_no, &out).await?;
                println!("{notice_no} written to {}.", out.display());
                Ok(())
            }
            Cmd::Log { account, run, limit } => {
                let entries =
                    desk.notice_log(NoticeLogRequest { token: token.clone(), account_no: account, run, limit }).await?;
                ctx.print(&entries, |entries| {
                    for e in entries {
                        println!(
                            "{}  {}  {}  {}  {} 期  {}（违约金 {}）  缴费期限 {}  {}",
                            e.notice_no,
                            e.printed_at,
                            e.account_no,
                            e.name,
                            e.periods,
                            e.total,
                            e.late_fee,
                            e.pay_by,
                            e.printed_by
                        );
                    }
                })
            }
        }
    }
    .await;
    login.end(&desk, result).await
}

/// Wait for a run to end, drawing its progress on a terminal; Ctrl-C cancels it.
async fn follow(desk: &cashdesk::desk::Desk, token: &str, started: NoticeRunStatus) -> Result<NoticeRunStatus, Error> {
    let tty = std::io::stderr().is_terminal();
    let req = || NoticeRunRequest { token: token.to_string(), run: started.run };
    let mut cancelled = false;
    loop {
        let status = desk.notice_run_status(req()).await?;
        if tty {
            bar(&status);
        }
        if status.state != NoticeRunState::Running {
            if tty {
                eprintln!();
            }
            return Ok(status);
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
            _ = tokio::signal::ctrl_c(), if !cancelled => {
                cancelled = true;
                eprintln!("\n取消中：当前这份 PDF 打完即停……");
                desk.notice_run_cancel(req()).await?;
            }
        }
    }
}

fn bar(s: &NoticeRunStatus) {
    const WIDTH: u32 = 30;
    let total = s.selected.max(1);
    let done = s.printed.min(total);
    let filled = usize::try_from(done * WIDTH / total).unwrap_or(0);
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "\r[{}{}] {}/{} 份",
        "#".repeat(filled),
        ".".repeat(usize::try_from(WIDTH).unwrap_or(30).saturating_sub(filled)),
        s.printed,
        s.selected
    );
    let _ = err.flush();
}
