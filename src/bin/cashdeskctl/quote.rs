//! `cashdeskctl quote ACCOUNT` (who may look accounts up) and `cashdeskctl words AMOUNT` (no log-in).

use cashdesk::{Error, money::Yuan};
use chrono::NaiveDate;
use serde::Serialize;

use crate::{Ctx, parse_date};

#[derive(Debug, clap::Args)]
pub struct QuoteArgs {
    account_no: String,
    /// The day (default today).
    #[arg(long)]
    on: Option<String>,
}

/// `quote --json`: exactly the documented fields.
#[derive(Serialize)]
struct QuoteJson {
    account_no: String,
    on: NaiveDate,
    bills: Vec<QuoteBillJson>,
    principal_total: Yuan,
    late_fee_total: Yuan,
    total: Yuan,
}

#[derive(Serialize)]
struct QuoteBillJson {
    period: String,
    principal: Yuan,
    days_overdue: u32,
    late_fee: Yuan,
}

pub async fn run(ctx: &mut Ctx, args: QuoteArgs) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let on = match &args.on {
        Some(d) => parse_date(d)?,
        None => desk.today(),
    };
    let login = ctx.login(&desk).await?;
    let q = desk.quote(&login.token, &args.account_no, on).await;
    let q = login.end(&desk, q).await?;
    let json = QuoteJson {
        account_no: q.account_no.to_string(),
        on: q.on,
        bills: q
            .bills
            .iter()
            .map(|b| QuoteBillJson {
                period: b.period.to_string(),
                principal: b.principal,
                days_overdue: b.days_overdue,
                late_fee: b.late_fee,
            })
            .collect(),
        principal_total: q.principal_total,
        late_fee_total: q.late_fee_total,
        total: q.total,
    };
    ctx.print(&json, |_| {
        println!("户号 {}  on {}", q.account_no, q.on);
        println!("{:<8} {:>14} {:>6} {:>12}", "period", "principal", "days", "late fee");
        for b in &q.bills {
            println!(
                "{:<8} {:>14} {:>6} {:>12}",
                b.period.to_string(),
                b.principal.to_string(),
                b.days_overdue,
                b.late_fee.to_string()
            );
        }
        println!("principal {}  late fee {}  total {}", q.principal_total, q.late_fee_total, q.total);
        println!("{}", q.total_words);
    })
}

pub fn words(ctx: &Ctx, amount: &str) -> Result<(), Error> {
    let y = Yuan::parse(&cashdesk::input::amount(amount))?;
    ctx.print(&serde_json::json!({"amount": y, "words": y.words()}), |_| println!("{}", y.words()))
}
