//! Cashdesk desktop shell: a thin adapter over `cashdesk::desk`.
//!
//! One Tauri command, `call(cmd, req)`, hands every request to `cashdesk::desk::commands::call`,
//! the same table the browser bridge (`cashdesk-bridge`, for tests and development) dispatches
//! through. This file only wires start-up: logging, the database, the demo seed, the window.

use std::path::PathBuf;

use anyhow::Context;
use cashdesk::{
    ErrorBody,
    config::{self, TerminalCode},
    demo,
    desk::{Desk, InitOptions, commands},
};
use serde_json::Value;

/// Start-up options shared by the app and the bridge.
#[derive(Debug, Clone, Default)]
pub struct Startup {
    /// The database (default: the app's data directory).
    pub db: Option<PathBuf>,
    /// Seed the demo data on first start and print the demo log-ins.
    pub demo: bool,
}

impl Startup {
    /// Read `--db PATH` and `--demo` from the command line (anything else is refused).
    pub fn from_args(args: impl Iterator<Item = String>) -> anyhow::Result<Startup> {
        let mut s = Startup::default();
        let mut args = args.skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--demo" => s.demo = true,
                "--db" => s.db = Some(args.next().context("--db needs a path")?.into()),
                other => anyhow::bail!("unknown option {other}; use --db PATH and/or --demo"),
            }
        }
        Ok(s)
    }
}

/// Open the counter's database, seeding the demo data when asked and the database is empty.
pub async fn open_desk(startup: &Startup) -> anyhow::Result<Desk> {
    let path = match &startup.db {
        Some(p) => p.clone(),
        None => config::default_db_path()?,
    };
    let terminal = if startup.demo { Some(TerminalCode::parse(demo::TERMINAL)?) } else { None };
    let terminal = terminal_if_unset(&path, terminal).await;
    let mut desk = Desk::open(&path, InitOptions { terminal, utility: None })
        .await
        .with_context(|| format!("cannot open the counter database {}", path.display()))?;
    if startup.demo && desk.seed_demo("cashdesk-app").await? {
        println!("Cashdesk demo counter {} seeded at {}.", desk.terminal(), path.display());
    }
    if startup.demo {
        println!("Demo log-ins (user / password / role):");
        for line in demo::login_lines() {
            println!("{line}");
        }
    }
    tracing::info!(db = %path.display(), terminal = %desk.terminal(), "counter database open");
    Ok(desk)
}

/// The demo terminal code is only applied to a database that has none yet.
async fn terminal_if_unset(path: &std::path::Path, demo_terminal: Option<TerminalCode>) -> Option<TerminalCode> {
    let demo_terminal = demo_terminal?;
    if !path.exists() {
        return Some(demo_terminal);
    }
    let pool = cashdesk::store::open(path).await.ok()?;
    let existing = cashdesk::store::setting(&pool, config::SETTING_TERMINAL).await.ok()?;
    pool.close().await;
    existing.is_none().then_some(demo_terminal)
}

struct AppState {
    desk: Desk,
}

#[tauri::command]
async fn call(state: tauri::State<'_, AppState>, cmd: String, req: Value) -> Result<Value, ErrorBody> {
    commands::call(&state.desk, &cmd, req).await
}

/// Run the desktop app.
pub fn run() -> anyhow::Result<()> {
    let startup = Startup::from_args(std::env::args())?;
    let _log = cashdesk::logging::init(config::data_dir().ok().map(|d| d.join("logs")).as_deref(), "info");
    let desk = tauri::async_runtime::block_on(open_desk(&startup))?;
    tauri::Builder::default()
        .manage(AppState { desk })
        .invoke_handler(tauri::generate_handler![call])
        .run(tauri::generate_context!())
        .context("the window could not be started")
}
