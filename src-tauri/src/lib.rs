//! Cashdesk desktop shell: a thin adapter over `cashdesk::desk`.
//!
//! One Tauri command, `call(cmd, req)`, hands every request to `cashdesk::desk::commands::call`,
//! the same table the browser bridge (`cashdesk-bridge`, for tests and development) dispatches
//! through. This file only wires start-up: logging, the database, the demo seed, the background
//! sync, the window.
//!
//! 后台同步: while the app (or the bridge) runs, the core's sync runner
//! (`cashdesk::sync::runner`) pushes and pulls on an interval with backoff, on the async runtime,
//! never inside a command: a command only wakes it ([`BackgroundSync::wake`]) after it has
//! written money events, so they leave promptly. The runner is stopped when the app exits.

use std::{path::PathBuf, sync::Mutex};

use anyhow::Context;
use cashdesk::{
    ErrorBody,
    config::{self, TerminalCode},
    demo,
    desk::{Desk, InitOptions, commands},
    sync::runner::{Runner, RunnerConfig},
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
    if startup.demo && desk.seed_demo().await? {
        println!("Cashdesk demo counter {} seeded at {}.", desk.terminal(), path.display());
    }
    if startup.demo {
        println!("Demo log-ins (user / password / role):");
        for line in demo::login_lines() {
            println!("{line}");
        }
    }
    tracing::info!(db = %path.display(), terminal = %desk.terminal(), "counter database open");
    // The audit trail is checked at start from where the last check ended; a break is logged here
    // and told to administrators at log-in (AUDIT_BROKEN).
    if let Err(e) = desk.audit_check().await {
        tracing::warn!(error = %e, "the audit trail could not be checked at start");
    }
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

/// The background sync of a running counter: started with the app, woken after commands that
/// wrote outbox events (or enrolled the terminal), stopped on exit.
#[derive(Debug)]
pub struct BackgroundSync(Mutex<Option<Runner>>);

impl BackgroundSync {
    /// Start the core's runner on the current tokio runtime (call it inside one). The first round
    /// runs at once; on a counter not enrolled yet a round is a no-op.
    pub fn start(desk: &Desk, cfg: RunnerConfig) -> BackgroundSync {
        BackgroundSync(Mutex::new(Some(desk.spawn_sync_runner(cfg))))
    }

    /// Run a round now instead of waiting for the interval (or the backoff after failures).
    pub fn wake(&self) {
        if let Some(r) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            r.wake();
        }
    }

    /// Stop the runner and wait for it (a round in flight is abandoned safely). Idempotent.
    pub async fn stop(&self) {
        let runner = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(r) = runner {
            r.stop().await;
            tracing::info!("background sync stopped");
        }
    }
}

/// Commands after which a sync round should run at once: they append to the outbox (money
/// events, shift open and close) or have just enrolled the terminal.
pub fn wakes_sync(cmd: &str) -> bool {
    matches!(cmd, "open_shift" | "collect" | "vend" | "void_payment" | "deposit" | "close_shift" | "sync_enrol")
}

/// Run one command through the core's table, then wake the background sync if it wrote events.
pub async fn dispatch(desk: &Desk, sync: &BackgroundSync, cmd: &str, req: Value) -> Result<Value, ErrorBody> {
    let out = commands::call(desk, cmd, req).await;
    if out.is_ok() && wakes_sync(cmd) {
        sync.wake();
    }
    out
}

struct AppState {
    desk: Desk,
    sync: BackgroundSync,
}

#[tauri::command]
async fn call(state: tauri::State<'_, AppState>, cmd: String, req: Value) -> Result<Value, ErrorBody> {
    dispatch(&state.desk, &state.sync, &cmd, req).await
}

/// What `cashdesk-app --version` prints: the binary's name and the workspace version. An installer
/// check (`make package-test`) runs it on the installed binary, which must answer without a display.
pub fn version_line() -> String {
    format!("cashdesk-app {}", env!("CARGO_PKG_VERSION"))
}

/// `--version` or `-V` anywhere on the command line: print [`version_line`] and open no window.
pub fn version_requested(args: impl Iterator<Item = String>) -> bool {
    args.skip(1).any(|a| a == "--version" || a == "-V")
}

/// A second start of the app on this desktop session (a double click on 收费台 while the counter is
/// open): the open window comes forward, restored if it was minimised, and the second process exits.
/// One window per counter: two would be two sessions at one drawer. Without a D-Bus session (a
/// bare X server) the check is skipped and the app starts as usual.
fn bring_forward(app: &tauri::AppHandle) {
    use tauri::Manager;
    tracing::info!("a second start: the open window is brought forward");
    if let Some(w) = app.get_webview_window("main") {
        for (what, r) in [("unminimize", w.unminimize()), ("show", w.show()), ("set_focus", w.set_focus())] {
            if let Err(e) = r {
                tracing::warn!(error = %e, what, "the window could not be brought forward");
            }
        }
    }
}

/// Run the desktop app.
pub fn run() -> anyhow::Result<()> {
    if version_requested(std::env::args()) {
        println!("{}", version_line());
        return Ok(());
    }
    let startup = Startup::from_args(std::env::args())?;
    let _log = cashdesk::logging::init(config::data_dir().ok().map(|d| d.join("logs")).as_deref(), "info");
    let desk = tauri::async_runtime::block_on(open_desk(&startup))?;
    // Inside block_on so that the runner's task is spawned on Tauri's runtime, where it keeps
    // running after block_on returns.
    let sync = tauri::async_runtime::block_on(async { BackgroundSync::start(&desk, RunnerConfig::default()) });
    let app = tauri::Builder::default()
        // First, so that a second start hands over before anything else is set up.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| bring_forward(app)))
        .manage(AppState { desk, sync })
        .invoke_handler(tauri::generate_handler![call])
        .build(tauri::generate_context!())
        .context("the window could not be started")?;
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event {
            let state = tauri::Manager::state::<AppState>(app);
            tauri::async_runtime::block_on(state.sync.stop());
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cashdesk::desk::commands::COMMANDS;

    #[test]
    fn every_command_that_wakes_the_sync_exists() {
        let known: Vec<&str> = COMMANDS.iter().map(|(name, _, _)| *name).collect();
        for cmd in ["open_shift", "collect", "vend", "void_payment", "deposit", "close_shift", "sync_enrol"] {
            assert!(wakes_sync(cmd), "{cmd} writes outbox events or enrols: it wakes the sync");
            assert!(known.contains(&cmd), "{cmd} is not in the core's command table any more");
        }
        assert!(!wakes_sync("search_accounts"), "a read writes no events");
        assert!(!wakes_sync("sync_now"), "sync_now runs its own round");
    }

    #[test]
    fn version_is_answered_without_starting() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter();
        assert!(version_requested(args(&["cashdesk-app", "--version"])));
        assert!(version_requested(args(&["cashdesk-app", "--demo", "-V"])));
        assert!(!version_requested(args(&["--version"])), "argv[0] is the program, not an option");
        assert!(!version_requested(args(&["cashdesk-app", "--demo"])));
        assert_eq!(version_line(), format!("cashdesk-app {}", env!("CARGO_PKG_VERSION")));
    }

    #[tokio::test]
    async fn the_runner_starts_and_stops_on_a_counter_not_enrolled() {
        let dir = std::env::temp_dir().join(format!("cashdesk-app-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let init = InitOptions { terminal: Some(TerminalCode::parse("GY01-03").expect("code")), utility: None };
        let desk = Desk::open(&dir.join("db.sqlite"), init).await.expect("desk");
        let sync = BackgroundSync::start(
            &desk,
            RunnerConfig { interval: std::time::Duration::from_millis(10), ..RunnerConfig::default() },
        );
        sync.wake();
        // A command goes through while the runner runs; not enrolled is not a failure.
        let info = dispatch(&desk, &sync, "app_info", serde_json::json!({})).await.expect("app_info");
        assert_eq!(info["terminal"], "GY01-03");
        let status = desk.sync_state().await.expect("status");
        assert!(!status.enrolled && status.last_error.is_none(), "not enrolled records no error: {status:?}");
        tokio::time::timeout(std::time::Duration::from_secs(5), sync.stop()).await.expect("stops promptly");
        sync.stop().await; // a second stop is a no-op
        let _ = std::fs::remove_dir_all(&dir);
    }
}
