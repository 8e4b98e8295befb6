//! `cashdeskctl collect|vend|void|deposit|deposits`: money at the counter from the command line,
//! and the deposits with their slips (解款单). The cashier's password is the first line of standard
//! input, a supervisor's the second with `--approver`.

use std::path::PathBuf;

use base64::Engine;
use cashdesk::{
    Error,
    desk::{
        Desk,
        shift::{DepositListRequest, DepositRequest, DepositSlipRequest},
        void::VoidRequest,
    },
    payments::{CollectRequest, Method, PaymentDone, VendRequest, VoucherInput},
    users::approval::ApprovalInput,
};
use chrono::NaiveDate;

use crate::Ctx;

/// How the customer pays: shared by `collect` and `vend`.
#[derive(Debug, clap::Args)]
pub struct PayArgs {
    #[arg(long, default_value = "")]
    amount: String,
    #[arg(long, value_parser = ["cash", "transfer"], default_value = "cash")]
    method: String,
    /// Cash handed over (实收); required for cash unless --exact.
    #[arg(long)]
    tendered: Option<String>,
    /// The cash handed over is exactly the amount (no change).
    #[arg(long, conflicts_with = "tendered")]
    exact: bool,
    /// Confirm a large 实收 or 找零 (above the policy's amounts) a second time.
    #[arg(long)]
    confirm_large: bool,
    #[arg(long)]
    bank: Option<String>,
    #[arg(long)]
    serial: Option<String>,
    #[arg(long)]
    payer: Option<String>,
    #[arg(long)]
    transfer_date: Option<String>,
    /// A supervisor approving (holiday cash, waiver); their password is the second line of stdin.
    #[arg(long)]
    approver: Option<String>,
    /// Write the receipt (the original print) to this PDF file.
    #[arg(long)]
    pdf: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    account_no: String,
    #[command(flatten)]
    pay: PayArgs,
    /// Waive the late fee, with this reason (needs --approver).
    #[arg(long)]
    waive: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct VendArgs {
    account_no: String,
    #[command(flatten)]
    pay: PayArgs,
}

#[derive(Debug, clap::Args)]
pub struct VoidArgs {
    receipt_no: String,
    #[arg(long)]
    reason: String,
    #[arg(long)]
    approver: String,
}

#[derive(Debug, clap::Args)]
pub struct DepositArgs {
    #[arg(long)]
    amount: String,
    #[arg(long)]
    bank: String,
    #[arg(long)]
    slip: String,
    /// Write the deposit slip (解款单) to this PDF file.
    #[arg(long)]
    pdf: Option<PathBuf>,
}

impl PayArgs {
    fn voucher(&self, today: NaiveDate) -> Option<VoucherInput> {
        (self.method == "transfer").then(|| VoucherInput {
            bank: self.bank.clone().unwrap_or_default(),
            serial: self.serial.clone().unwrap_or_default(),
            payer: self.payer.clone().unwrap_or_default(),
            amount: self.amount.clone(),
            transfer_date: self.transfer_date.clone().unwrap_or_else(|| today.to_string()),
        })
    }

    fn method(&self) -> Method {
        if self.method == "transfer" { Method::Transfer } else { Method::Cash }
    }

    /// 实收 as typed, or the amount with --exact.
    fn tendered(&self) -> Option<String> {
        if self.exact { Some(self.amount.clone()) } else { self.tendered.clone() }
    }
}

fn print_payment(ctx: &Ctx, done: &PaymentDone) -> Result<(), Error> {
    let json = serde_json::json!({
        "receipt_no": done.receipt_no,
        "lines": done.lines.iter().map(|l| serde_json::json!({
            "period": l.period.map(|p| p.to_string()), "kind": l.kind, "amount": l.amount,
        })).collect::<Vec<_>>(),
        "amount": done.amount,
        "change": done.change,
        "prepaid_after": done.prepaid_after,
        "holiday_cash_due": done.holiday_cash_due,
    });
    ctx.print(&json, |_| {
        println!("收据 {}  {} {}  {}", done.receipt_no, done.account_no, done.name, done.amount_words);
        for l in &done.lines {
            println!(
                "  {:<8} {:<10} {:>12}",
                l.period.map(|p| p.to_string()).unwrap_or_default(),
                l.kind.label_zh(),
                l.amount.to_string()
            );
        }
        if let Some(change) = done.change {
            println!("找零 {change}");
        }
        println!("预存余额 {}  校验码 {}", done.prepaid_after, done.verification_code);
        if let Some(due) = done.holiday_cash_due {
            println!("节假日现金: due at the bank on {due}");
        }
    })
}

/// After money was taken: the receipt to a file when asked, and what was taken.
async fn finish(ctx: &Ctx, desk: &Desk, token: &str, done: &PaymentDone, pdf: Option<&PathBuf>) -> Result<(), Error> {
    if let Some(out) = pdf {
        desk.print_receipt_to_file(token, &done.receipt_no, out).await?;
    }
    print_payment(ctx, done)
}

/// What a payment and a vend share on the command line, read and checked.
struct Fields {
    token: String,
    method: Method,
    amount: String,
    tendered: Option<String>,
    confirm_large: bool,
    voucher: Option<VoucherInput>,
    approval: Option<ApprovalInput>,
}

/// Log in, take the money with the request `build` makes and `send` sends, write the receipt when
/// asked, print what was taken, log out.
async fn take<R>(
    ctx: &mut Ctx,
    pay: &PayArgs,
    build: impl FnOnce(Fields) -> R,
    send: impl AsyncFnOnce(&Desk, R) -> Result<PaymentDone, Error>,
) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let approval = ctx.approval(pay.approver.as_deref());
    let token = login.token.clone();
    let result = async {
        let fields = Fields {
            token: token.clone(),
            method: pay.method(),
            amount: pay.amount.clone(),
            tendered: pay.tendered(),
            confirm_large: pay.confirm_large,
            voucher: pay.voucher(desk.today()),
            approval: approval?,
        };
        let done = send(&desk, build(fields)).await?;
        finish(ctx, &desk, &token, &done, pay.pdf.as_ref()).await
    }
    .await;
    login.end(&desk, result).await
}

pub async fn collect(ctx: &mut Ctx, args: CollectArgs) -> Result<(), Error> {
    let CollectArgs { account_no, pay, waive } = args;
    let build = |f: Fields| CollectRequest {
        token: f.token,
        account_no,
        method: f.method,
        amount: f.amount,
        tendered: f.tendered,
        confirm_large: f.confirm_large,
        voucher: f.voucher,
        waive_late_fee: waive,
        approval: f.approval,
    };
    take(ctx, &pay, build, async |desk: &Desk, req| desk.collect(req).await).await
}

pub async fn vend(ctx: &mut Ctx, args: VendArgs) -> Result<(), Error> {
    let VendArgs { account_no, pay } = args;
    let build = |f: Fields| VendRequest {
        account_no,
        approval: f.approval,
        token: f.token,
        method: f.method,
        amount: f.amount,
        tendered: f.tendered,
        voucher: f.voucher,
        confirm_large: f.confirm_large,
    };
    take(ctx, &pay, build, async |desk: &Desk, req| desk.vend(req).await).await
}

pub async fn void(ctx: &mut Ctx, args: VoidArgs) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let approval = ctx.approval(Some(&args.approver));
    let result = match approval {
        Ok(approval) => {
            desk.void_payment(VoidRequest {
                token: login.token.clone(),
                receipt_no: args.receipt_no.clone(),
                reason: args.reason.clone(),
                approval,
            })
            .await
        }
        Err(e) => Err(e),
    };
    let done = login.end(&desk, result).await?;
    ctx.print(&done, |d| println!("Receipt {} ({}) is void, approved by {}.", d.receipt_no, d.amount, d.approved_by))
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DepositsArgs {
    #[command(subcommand)]
    cmd: Option<DepositsCmd>,
    /// Only those the centre has not confirmed yet (在途).
    #[arg(long)]
    in_transit: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum DepositsCmd {
    /// Write a deposit's slip (解款单), with where it stands (在途 / 已确认), to a PDF file.
    Slip {
        slip_no: String,
        /// The bank, when slips of two banks carry the number.
        #[arg(long)]
        bank: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

/// The slip of a deposit to `out`; what was written, in words.
async fn write_slip(
    desk: &Desk,
    token: &str,
    slip_no: &str,
    bank: Option<String>,
    out: &std::path::Path,
) -> Result<String, Error> {
    let doc = desk
        .deposit_slip_pdf(DepositSlipRequest { token: token.to_string(), slip_no: slip_no.to_string(), bank })
        .await?;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(doc.pdf_base64)
        .map_err(|e| Error::Internal(format!("slip encoding: {e}")))?;
    cashdesk::files::write_private(out, &pdf)?;
    Ok(format!("{} written to {}.", doc.title, out.display()))
}

pub async fn deposits(ctx: &mut Ctx, args: DepositsArgs) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    if let Some(DepositsCmd::Slip { slip_no, bank, out }) = args.cmd {
        let written = write_slip(&desk, &login.token, &slip_no, bank, &out).await;
        println!("{}", login.end(&desk, written).await?);
        return Ok(());
    }
    let rows = desk.list_deposits(DepositListRequest { token: login.token.clone(), in_transit: args.in_transit }).await;
    let rows = login.end(&desk, rows).await?;
    ctx.print(&rows, |rows| {
        for d in rows {
            let state = match (&d.confirmed_by, d.overdue) {
                (Some(by), _) => format!("已确认 {by} {}", d.confirmed_at.as_deref().unwrap_or("")),
                (None, true) => "在途（逾期）".to_string(),
                (None, false) => "在途".to_string(),
            };
            println!("{}  {}  {}  {}  {}  {state}", d.deposited_at, d.slip_no, d.bank, d.amount, d.deposited_by);
        }
    })
}

pub async fn deposit(ctx: &mut Ctx, args: DepositArgs) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let done = async {
        let done = desk
            .deposit(DepositRequest { token: token.clone(), amount: args.amount, bank: args.bank, slip_no: args.slip })
            .await?;
        if let Some(out) = &args.pdf {
            // On stderr: with --json, standard output holds the deposit alone.
            eprintln!("{}", write_slip(&desk, &token, &done.slip_no, Some(done.bank.clone()), out).await?);
        }
        Ok(done)
    }
    .await;
    let done = login.end(&desk, done).await?;
    ctx.print(&done, |d| {
        println!(
            "Deposited {} at {} (slip {}); holiday cash covered: {}.",
            d.amount, d.bank, d.slip_no, d.holiday_cash_covered
        )
    })
}
