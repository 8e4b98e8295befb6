//! `cashdeskctl calendar …`: asking about working days needs no log-in (no data); loading a year's
//! holiday notice is for administrators.

use std::path::PathBuf;

use cashdesk::{Error, calendar::Calendar, config};
use chrono::Datelike;

use crate::{Ctx, parse_date};

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Prints true or false.
    IsWorkingDay { date: String },
    /// The first working day strictly after DATE.
    NextWorkingDay { date: String },
    /// Load a year's State Council holiday notice from a JSON file
    /// ({"year":2027,"days_off":[...],"working_weekends":[...]}).
    Load { file: PathBuf },
}

/// The shipped years plus any loaded into the database (when there is one).
async fn calendar(ctx: &Ctx) -> Result<Calendar, Error> {
    let path = match &ctx.db {
        Some(p) => p.clone(),
        None => config::default_db_path()?,
    };
    Ok(if path.exists() { (*ctx.desk().await?.calendar()).clone() } else { Calendar::shipped() })
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    match cmd {
        Cmd::IsWorkingDay { date } => {
            let d = parse_date(&date)?;
            let calendar = calendar(ctx).await?;
            if !calendar.has_year(d.year()) {
                eprintln!("warning: no holiday notice loaded for {}; weekends count as days off", d.format("%Y"));
            }
            println!("{}", calendar.is_working_day(d));
        }
        Cmd::NextWorkingDay { date } => {
            let d = parse_date(&date)?;
            println!("{}", calendar(ctx).await?.next_working_day(d));
        }
        Cmd::Load { file } => {
            let json = std::fs::read_to_string(&file)
                .map_err(|e| Error::invalid("file", format!("cannot read {}: {e}", file.display())))?;
            let desk = ctx.desk().await?;
            let login = ctx.login(&desk).await?;
            let year = desk.load_calendar_year(&login.token, &json).await;
            let year = login.end(&desk, year).await?;
            println!("Loaded the holiday calendar for {year}.");
        }
    }
    Ok(())
}
