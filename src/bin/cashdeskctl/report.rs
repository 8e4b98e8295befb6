//! `cashdeskctl report daily --date D [--shift N | --cashier NAME] --format csv|xlsx|pdf --out FILE` and
//! `cashdeskctl report sign --date D --approver NAME` (the supervisor's password on the second line).

use std::path::PathBuf;

use base64::Engine;
use cashdesk::{
    Error,
    desk::report::{DailyExportRequest, DailyReportRequest, ReportFormat, SignDailyReportRequest},
    reports::daily::Scope,
};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// The 实收日报 of a day: the whole terminal, one shift, or one cashier.
    Daily {
        #[arg(long)]
        date: String,
        #[arg(long, conflicts_with = "cashier")]
        shift: Option<i64>,
        #[arg(long)]
        cashier: Option<String>,
        /// Without it, the summary is printed.
        #[arg(long, value_parser = ["csv", "xlsx", "pdf"])]
        format: Option<String>,
        #[arg(long, requires = "format")]
        out: Option<PathBuf>,
    },
    /// A supervisor who took no money that day signs the terminal-day off.
    Sign {
        #[arg(long)]
        date: String,
        #[arg(long)]
        approver: String,
    },
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let result = async {
        match cmd {
            Cmd::Daily { date, shift, cashier, format, out } => {
                let scope = match (shift, cashier) {
                    (Some(shift_id), _) => Scope::Shift { shift_id },
                    (None, Some(username)) => Scope::Cashier { username },
                    (None, None) => Scope::TerminalDay,
                };
                match (format.as_deref(), out) {
                    (Some("pdf"), Some(out)) => {
                        let doc =
                            desk.daily_report_pdf(DailyReportRequest { token: token.clone(), date, scope }).await?;
                        let pdf = base64::engine::general_purpose::STANDARD
                            .decode(doc.pdf_base64)
                            .map_err(|e| Error::Internal(format!("report encoding: {e}")))?;
                        cashdesk::files::write_private(&out, &pdf)?;
                        println!("{} written to {}.", doc.title, out.display());
                        Ok(())
                    }
                    (Some(f), Some(out)) => {
                        let format = if f == "xlsx" { ReportFormat::Xlsx } else { ReportFormat::Csv };
                        let file = desk
                            .daily_report_export(DailyExportRequest { token: token.clone(), date, scope, format })
                            .await?;
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(file.base64)
                            .map_err(|e| Error::Internal(format!("export encoding: {e}")))?;
                        cashdesk::files::write_private(&out, &bytes)?;
                        println!("{} written to {}.", file.file_name, out.display());
                        Ok(())
                    }
                    (Some(_), None) => Err(Error::invalid("out", "give --out FILE with --format")),
                    _ => {
                        let v = desk.daily_report(DailyReportRequest { token: token.clone(), date, scope }).await?;
                        ctx.print(&v, |v| {
                            let r = &v.report;
                            println!("实收日报 {} {}", r.terminal, r.date);
                            for t in &r.totals {
                                println!("  {:?} {:?}  {} 笔  {}", t.kind, t.method, t.count, t.amount);
                            }
                            println!(
                                "  合计 {}  作废 {}  更正 {}  净额 {}",
                                r.total, r.voided_amount, r.corrections, r.net
                            );
                            println!("  解款 {}  长短款 {}", r.deposits_total, r.over_short);
                            if let (Some(by), Some(at)) = (&v.signed_by, &v.signed_at) {
                                println!("  已签核：{by} {at}");
                            }
                        })
                    }
                }
            }
            Cmd::Sign { date, approver } => {
                let approval = ctx.approval(Some(&approver))?;
                let v = desk.sign_daily_report(SignDailyReportRequest { token: token.clone(), date, approval }).await?;
                ctx.print(&v, |v| {
                    println!("实收日报 {} {} signed off by {} at {}.", v.terminal, v.date, v.signed_by, v.signed_at)
                })
            }
        }
    }
    .await;
    login.end(&desk, result).await
}
