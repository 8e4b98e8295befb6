//! `cashdesk-bridge`: a development tool, never part of an installation (its own crate, which the
//! desktop app's bundle does not contain). It serves the desktop app's command table over HTTP on
//! loopback, so the built UI runs in a browser against the real core (end-to-end tests, UI
//! development).
//!
//! `cashdesk-bridge --db PATH [--demo] [--static DIR] [--port N] [--now T]` prints
//! `LISTENING http://127.0.0.1:PORT secret=HEX` once it accepts connections, then
//! `OPEN http://127.0.0.1:PORT/#bridge-secret=HEX` for a person with a browser (the UI keeps the
//! secret for the tab and sends it). `GET /healthz` answers `ok`; `POST /api/call/{cmd}` takes the
//! request JSON and answers the result, or an `ErrorBody` with a 4xx/5xx status.
//!
//! What it lets in is in [`guard`]: the run's secret on every call, a loopback `Host`, a JSON
//! body. It serves only a demo database (made with `--demo` or `cashdeskctl init --demo`): a
//! counter's real database is refused before anything is served. Like the app, it runs the
//! background sync while it serves (a no-op until the terminal is enrolled) and stops it on
//! shutdown (SIGINT).

mod guard;

use std::{io::Write, path::PathBuf, sync::Arc};

use anyhow::Context;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
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
    about = "Serve a demo counter's commands over HTTP on loopback (tests and development only)"
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
    secret: String,
    port: u16,
}

fn refused(r: &guard::Refusal) -> Response {
    let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::FORBIDDEN);
    let body = ErrorBody { code: r.code().to_string(), message: r.message(), params: Default::default() };
    (status, Json(body)).into_response()
}

/// Every request: addressed to this bridge's loopback address and port.
async fn host_guard(State(bridge): State<Arc<Bridge>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    match guard::check_host(host, bridge.port) {
        Ok(()) => next.run(req).await,
        Err(r) => refused(&r),
    }
}

/// A call: the run's secret and a JSON body.
fn call_guard(bridge: &Bridge, headers: &HeaderMap) -> Result<(), guard::Refusal> {
    let secret = headers.get(guard::SECRET_HEADER).map(|v| v.as_bytes());
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    guard::check_call(secret, &bridge.secret, content_type)
}

async fn call(State(bridge): State<Arc<Bridge>>, Path(cmd): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = call_guard(&bridge, &headers) {
        return refused(&r);
    }
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
    if !args.demo && !args.db.exists() {
        anyhow::bail!("no database at {}: make a demo one with --demo", args.db.display());
    }
    let mut desk = cashdesk_app::open_desk(&Startup { db: Some(args.db.clone()), demo: args.demo }).await?;
    if !desk.app_info().demo {
        anyhow::bail!(
            "{} is not a demo database: the bridge serves only demo databases (--demo on an empty one, or `cashdeskctl init --demo`), never a counter's",
            args.db.display()
        );
    }
    if let Some(now) = &args.now {
        let at = chrono::DateTime::parse_from_rfc3339(now)
            .context("--now takes an RFC 3339 instant, e.g. 2026-03-01T10:00:00+08:00")?;
        desk = desk.with_clock(Clock::manual(at));
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await.context("cannot bind on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let sync = BackgroundSync::start(&desk, RunnerConfig::default());
    let bridge = Arc::new(Bridge { desk, sync, secret: guard::new_secret(), port: addr.port() });
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/call/{cmd}", post(call))
        .with_state(bridge.clone());
    if let Some(dir) = &args.static_dir {
        app = app.fallback_service(ServeDir::new(dir));
    }
    let app = app.layer(middleware::from_fn_with_state(bridge.clone(), host_guard));
    println!("LISTENING http://{addr} secret={}", bridge.secret);
    println!("OPEN http://{addr}/#bridge-secret={}", bridge.secret);
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
