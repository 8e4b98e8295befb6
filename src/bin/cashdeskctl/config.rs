//! `cashdeskctl config show|idle-lock MINUTES`: the counter settings (changing them: administrators).

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
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let settings = match cmd {
        Cmd::Show => desk.counter_settings(TokenRequest { token }).await,
        Cmd::IdleLock { minutes } => {
            desk.set_counter_settings(SetCounterSettingsRequest { token, idle_lock_minutes: minutes }).await
        }
    };
    let settings = login.end(&desk, settings).await?;
    ctx.print(&settings, |s| println!("idle lock: {} minute(s)", s.idle_lock_minutes))
}
