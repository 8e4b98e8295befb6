//! Cashdesk desktop shell: a thin adapter over `cashdesk::desk`.
//!
//! One Tauri command, `call(cmd, req)`, hands every request to `cashdesk::desk::commands::call`,
//! the same table the browser bridge (`cashdesk-bridge`, for tests and development) dispatches
//! through. This file only wires start-up: logging, the database, the demo seed, the background
//! sync, the window. A counter whose database cannot be opened still gets its window, which says
//! why ([`AppState::Failed`]); a second start brings the open window forward ([`bring_forward`]).
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

/// The counter behind the window: open, or why it could not be opened.
enum AppState {
    /// (The desk boxed: the two states differ much in size, and there is one of them.)
    Open { desk: Box<Desk>, sync: BackgroundSync },
    /// The database could not be opened at start: the window still opens, and every call answers
    /// with this, so that whoever started 收费台 from the menu reads why (the log-in screen shows
    /// it, in Chinese) instead of seeing nothing happen.
    Failed(ErrorBody),
}

#[tauri::command]
async fn call(state: tauri::State<'_, AppState>, cmd: String, req: Value) -> Result<Value, ErrorBody> {
    match &*state {
        AppState::Open { desk, sync } => dispatch(desk, sync, &cmd, req).await,
        AppState::Failed(why) => Err(why.clone()),
    }
}

/// What the window says when the counter's database could not be opened. A cause the person at
/// the counter can act on keeps the core's own code and params (DATABASE_TOO_NEW: install the newer
/// version; DATABASE_IN_USE: close the other program); anything else is STARTUP_FAILED, naming the
/// log directory the cause was written to, so that storage details stay in the log as with every
/// other call (`Error::body`).
pub fn startup_failure(e: &anyhow::Error, log_dir: Option<&std::path::Path>) -> ErrorBody {
    match e.chain().find_map(|c| c.downcast_ref::<cashdesk::Error>()) {
        Some(core @ (cashdesk::Error::DatabaseTooNew { .. } | cashdesk::Error::DatabaseInUse)) => core.body(),
        _ => ErrorBody {
            code: "STARTUP_FAILED".into(),
            message: "the counter's database could not be opened; the cause is in the log".into(),
            params: [("log".to_string(), log_dir.map(|d| d.display().to_string()).unwrap_or_default())].into(),
        },
    }
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
    let log_dir = config::data_dir().ok().map(|d| d.join("logs"));
    let _log = cashdesk::logging::init(log_dir.as_deref(), "info");
    let state = match tauri::async_runtime::block_on(open_desk(&startup)) {
        Ok(desk) => {
            // Inside block_on so that the runner's task is spawned on Tauri's runtime, where it
            // keeps running after block_on returns.
            let sync = tauri::async_runtime::block_on(async { BackgroundSync::start(&desk, RunnerConfig::default()) });
            AppState::Open { desk: Box::new(desk), sync }
        }
        Err(e) => {
            // Logged to stderr and the log file alike (cashdesk::logging).
            tracing::error!(error = format!("{e:#}"), "the counter database could not be opened");
            AppState::Failed(startup_failure(&e, log_dir.as_deref()))
        }
    };
    let app = tauri::Builder::default()
        // First, so that a second start hands over before anything else is set up.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| bring_forward(app)))
        .manage(state)
        .invoke_handler(tauri::generate_handler![call])
        .build(tauri::generate_context!())
        .context("the window could not be started")?;
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event
            && let AppState::Open { sync, .. } = &*tauri::Manager::state::<AppState>(app)
        {
            tauri::async_runtime::block_on(sync.stop());
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
    fn a_failed_start_says_the_cores_code_or_startup_failed() {
        let too_new =
            anyhow::Error::new(cashdesk::Error::DatabaseTooNew { found: 20991231000001, known: 20261207000002 })
                .context("cannot open the counter database /tmp/x.sqlite");
        let body = startup_failure(&too_new, None);
        assert_eq!(body.code, "DATABASE_TOO_NEW");
        assert_eq!(body.params.get("found").map(String::as_str), Some("20991231000001"));
        assert_eq!(body.params.get("known").map(String::as_str), Some("20261207000002"));
        let log = std::path::Path::new("/home/cashier/.local/share/cashdesk/logs");
        let store =
            anyhow::Error::new(cashdesk::Error::Internal("file is not a database".into())).context("cannot open");
        for e in [store, anyhow::anyhow!("cannot find the user's data directory")] {
            let body = startup_failure(&e, Some(log));
            assert_eq!(body.code, "STARTUP_FAILED");
            assert_eq!(body.params.get("log").map(String::as_str), Some("/home/cashier/.local/share/cashdesk/logs"));
            assert!(!body.message.contains("not a database"), "storage details stay in the log: {body:?}");
        }
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
