//! `cashdeskctl config show|idle-lock MINUTES|hotline TEXT|pay-where TEXT`: the counter settings
//! (changing them: administrators).

use cashdesk::{
    Error,
    desk::{TokenRequest, session::SetCounterSettingsRequest},
};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Show the counter settings.
    Show,
    /// Lock an idle counter's screen after MINUTES without a key or a click (1-120).
    IdleLock { minutes: u32 },
    /// The service hotline printed on arrears notices (default 95598).
    Hotline { number: String },
    /// Where and how to pay, as arrears notices say it (one line, up to 200 characters).
    PayWhere { text: String },
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let settings = match cmd {
        Cmd::Show => desk.counter_settings(TokenRequest { token }).await,
        cmd => match desk.counter_settings(TokenRequest { token: token.clone() }).await {
            Ok(now) => {
                let mut req = SetCounterSettingsRequest {
                    token,
                    idle_lock_minutes: now.idle_lock_minutes,
                    hotline: None,
                    pay_where: None,
                };
                match cmd {
                    Cmd::IdleLock { minutes } => req.idle_lock_minutes = minutes,
                    Cmd::Hotline { number } => req.hotline = Some(number),
                    Cmd::PayWhere { text } => req.pay_where = Some(text),
                    Cmd::Show => {}
                }
                desk.set_counter_settings(req).await
            }
            Err(e) => Err(e),
        },
    };
    let settings = login.end(&desk, settings).await?;
    ctx.print(&settings, |s| {
        println!("idle lock: {} minute(s)", s.idle_lock_minutes);
        println!("hotline:   {}", s.hotline);
        println!("pay where: {}", s.pay_where);
    })
}
