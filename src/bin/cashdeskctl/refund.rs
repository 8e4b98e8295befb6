//! `cashdeskctl refund …`: refund requests from the command line, as at the counter (F3). The
//! logged-in person's password is the first line of standard input; a supervisor's, for `approve`
//! and `reject`, the second (`--approver`).

use std::path::PathBuf;

use base64::Engine;
use cashdesk::{
    Error,
    desk::refunds::{RefundDecideRequest, RefundDocRequest, RefundInfo, RefundListRequest, RefundSubmitRequest},
    print::RefundDocKind,
    refunds::{Reason, State},
    sync::wire::RefundDocs,
};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Submit a request for an account: the amount is held from now on.
    Submit {
        account_no: String,
        /// overpaid, duplicate, closure, billing_error or other.
        #[arg(long)]
        reason: String,
        /// The reason in words (required for other).
        #[arg(long)]
        reason_text: Option<String>,
        #[arg(long)]
        amount: String,
        /// The payee (default: the account's 户名).
        #[arg(long)]
        payee: Option<String>,
        /// Why the payee is not the 户名.
        #[arg(long)]
        payee_reason: Option<String>,
        #[arg(long)]
        bank: String,
        #[arg(long)]
        branch: String,
        /// The payee's bank account number.
        #[arg(long)]
        account: String,
        /// 重复缴费: the receipt it refers to.
        #[arg(long)]
        duplicate_of: Option<String>,
        #[arg(long)]
        id_card: bool,
        #[arg(long)]
        original_receipt: bool,
        #[arg(long)]
        closure_form: bool,
        /// Write the 退费申请单 to this PDF file.
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// A supervisor approves a request (their password on the second line).
    Approve {
        request_no: String,
        #[arg(long)]
        approver: String,
    },
    /// A supervisor rejects a request, with the reason; the hold is released.
    Reject {
        request_no: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        approver: String,
    },
    /// This counter's requests (newest first).
    List {
        #[arg(long)]
        state: Option<String>,
    },
    /// One request with its history.
    Show { request_no: String },
    /// The 退费申请单 (form) or 退费通知单 (notice) to a PDF file.
    Print {
        request_no: String,
        #[arg(long, value_parser = ["form", "notice"], default_value = "form")]
        doc: String,
        #[arg(long)]
        out: PathBuf,
    },
}

fn line(r: &RefundInfo) -> String {
    format!(
        "{}  {}  {} {}  {}  {}{}",
        r.request_no,
        r.submitted_at,
        r.account_no,
        r.account_name,
        r.amount,
        r.state.label_zh(),
        if r.overdue { "  (逾期)" } else { "" }
    )
}

fn show(ctx: &Ctx, r: &RefundInfo) -> Result<(), Error> {
    ctx.print(r, |r| {
        println!("{}", line(r));
        println!(
            "  原因 {}{}",
            r.reason.label_zh(),
            r.reason_text.as_deref().map(|t| format!("（{t}）")).unwrap_or_default()
        );
        println!("  收款人 {}  {} {}  {}", r.payee_name, r.payee_bank, r.payee_branch, r.payee_account_masked);
        for h in &r.history {
            println!("  {}  {:<16} {:<16} {}", h.at, h.step, h.actor, h.note.as_deref().unwrap_or(""));
        }
    })
}

async fn write_pdf(
    desk: &cashdesk::desk::Desk,
    token: &str,
    request_no: &str,
    doc: RefundDocKind,
    out: &std::path::Path,
) -> Result<(), Error> {
    let pdf = desk
        .refund_document(RefundDocRequest { token: token.to_string(), request_no: request_no.to_string(), doc }, true)
        .await?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pdf.pdf_base64)
        .map_err(|e| Error::Internal(format!("document encoding: {e}")))?;
    cashdesk::files::write_private(out, &bytes)?;
    println!("{} written to {}.", pdf.title, out.display());
    Ok(())
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let result = async {
        match cmd {
            Cmd::Submit {
                account_no,
                reason,
                reason_text,
                amount,
                payee,
                payee_reason,
                bank,
                branch,
                account,
                duplicate_of,
                id_card,
                original_receipt,
                closure_form,
                pdf,
            } => {
                let reason = Reason::parse(&reason).ok_or_else(|| {
                    Error::invalid("reason", "use overpaid, duplicate, closure, billing_error or other")
                })?;
                let r = desk
                    .submit_refund(RefundSubmitRequest {
                        token: token.clone(),
                        account_no,
                        reason,
                        reason_text,
                        amount,
                        payee_name: payee,
                        payee_reason,
                        payee_bank: bank,
                        payee_branch: branch,
                        payee_account: account,
                        docs: RefundDocs { closure_form, id_card, original_receipt },
                        duplicate_of,
                    })
                    .await?;
                if let Some(out) = &pdf {
                    write_pdf(&desk, &token, &r.request_no, RefundDocKind::Form, out).await?;
                }
                show(ctx, &r)
            }
            Cmd::Approve { request_no, approver } => {
                let approval = ctx.approval(Some(&approver))?;
                let r = desk
                    .decide_refund(RefundDecideRequest { token: token.clone(), request_no, approve: true, reason: None, approval })
                    .await?;
                show(ctx, &r)
            }
            Cmd::Reject { request_no, reason, approver } => {
                let approval = ctx.approval(Some(&approver))?;
                let r = desk
                    .decide_refund(RefundDecideRequest {
                        token: token.clone(),
                        request_no,
                        approve: false,
                        reason: Some(reason),
                        approval,
                    })
                    .await?;
                show(ctx, &r)
            }
            Cmd::List { state } => {
                let state = match state.as_deref() {
                    Some(s) => Some(State::parse(s).ok_or_else(|| {
                        Error::invalid("state", "use submitted, hall_approved, hall_rejected, at_ledger, finance_approved, finance_rejected or paid")
                    })?),
                    None => None,
                };
                let rows = desk.list_refunds(RefundListRequest { token: token.clone(), state }).await?;
                ctx.print(&rows, |rows| rows.iter().for_each(|r| println!("{}", line(r))))
            }
            Cmd::Show { request_no } => {
                let rows = desk.list_refunds(RefundListRequest { token: token.clone(), state: None }).await?;
                let r = rows
                    .into_iter()
                    .find(|r| r.request_no == request_no.trim())
                    .ok_or(Error::RefundNotFound { request_no: request_no.trim().to_string() })?;
                show(ctx, &r)
            }
            Cmd::Print { request_no, doc, out } => {
                let doc = if doc == "notice" { RefundDocKind::Notice } else { RefundDocKind::Form };
                write_pdf(&desk, &token, &request_no, doc, &out).await
            }
        }
    }
    .await;
    login.end(&desk, result).await
}
