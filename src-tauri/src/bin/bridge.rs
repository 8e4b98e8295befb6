//! `cashdesk-bridge`: the same command table as the desktop app, served over HTTP on loopback so
//! the built UI runs in a browser against the real core (end-to-end tests, UI development).
//! Not part of a counter installation: it binds 127.0.0.1 only.
//!
//! `cashdesk-bridge --db PATH [--demo] [--static DIR] [--port N]` prints
//! `LISTENING http://127.0.0.1:PORT` once it accepts connections; `GET /healthz` answers `ok`;
//! `POST /api/call/{cmd}` takes the request JSON and answers the result, or an `ErrorBody` with a
//! 4xx/5xx status. Like the app, it runs the background sync while it serves (a no-op until the
//! terminal is enrolled) and stops it on shutdown (SIGINT).

use std::{io::Write, path::PathBuf, sync::Arc};

use anyhow::Context;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use cashdesk::{
    Error, ErrorBody,
    desk::{Clock, Desk},
    sync::runner::RunnerConfig,
};
use cashdesk_app::{BackgroundSync, Startup};
use clap::Parser;
use tower_http::services::ServeDir;

#[derive(Debug, Parser)]
#[command(
    name = "cashdesk-bridge",
    about = "Serve the counter's commands over HTTP on loopback (tests and development)"
)]
struct Args {
    #[arg(long)]
    db: PathBuf,
    #[arg(long)]
    demo: bool,
    /// Serve the built UI from this directory.
    #[arg(long = "static")]
    static_dir: Option<PathBuf>,
    /// 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Run the counter's clock at this fixed instant (RFC 3339), for tests of dated rules such as
    /// holiday cash on a Sunday. The desktop app has no such option.
    #[arg(long)]
    now: Option<String>,
}

fn status_for(code: &str) -> StatusCode {
    match code {
        "AUTH_INVALID" | "AUTH_DISABLED" | "SESSION_EXPIRED" => StatusCode::UNAUTHORIZED,
        "SESSION_LOCKED" => StatusCode::LOCKED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "ACCOUNT_NOT_FOUND" => StatusCode::NOT_FOUND,
        "STORE_ERROR" | "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn error_response(body: ErrorBody) -> Response {
    (status_for(&body.code), Json(body)).into_response()
}

struct Bridge {
    desk: Desk,
    sync: BackgroundSync,
}

async fn call(State(bridge): State<Arc<Bridge>>, Path(cmd): Path<String>, body: Bytes) -> Response {
    let req: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return error_response(Error::invalid("request", format!("the body is not JSON: {e}")).body()),
        }
    };
    match cashdesk_app::dispatch(&bridge.desk, &bridge.sync, &cmd, req).await {
        Ok(v) => Json(v).into_response(),
        Err(body) => error_response(body),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _log = cashdesk::logging::init(None, "info");
    let mut desk = cashdesk_app::open_desk(&Startup { db: Some(args.db.clone()), demo: args.demo }).await?;
    if let Some(now) = &args.now {
        let at = chrono::DateTime::parse_from_rfc3339(now)
            .context("--now takes an RFC 3339 instant, e.g. 2026-03-01T10:00:00+08:00")?;
        desk = desk.with_clock(Clock::manual(at));
    }
    let sync = BackgroundSync::start(&desk, RunnerConfig::default());
    let bridge = Arc::new(Bridge { desk, sync });
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/call/{cmd}", post(call))
        .with_state(bridge.clone());
    if let Some(dir) = &args.static_dir {
        app = app.fallback_service(ServeDir::new(dir));
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await.context("cannot bind on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    println!("LISTENING http://{addr}");
    std::io::stdout().flush()?;
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    bridge.sync.stop().await;
    served?;
    Ok(())
}
