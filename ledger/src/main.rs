//! `cashdesk-ledger`: the province's central ledger (账务中心). This is the skeleton the ledger issue
//! builds on: an axum service with a health check. Accounts, pushed money events, pulls and
//! PostgreSQL storage come with that issue.

use std::net::SocketAddr;

use anyhow::Context;
use axum::{Router, routing::get};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cashdesk-ledger", version, about = "Cashdesk central ledger")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the ledger's HTTP API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CASHDESK_LEDGER_BIND", default_value = "127.0.0.1:8700")]
        bind: SocketAddr,
    },
}

/// The HTTP routes.
fn app() -> Router {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz() -> &'static str {
    "ok"
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).try_init();
    match Cli::parse().cmd {
        Cmd::Serve { bind } => {
            let listener =
                tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
            tracing::info!(%bind, "ledger listening");
            axum::serve(listener, app()).await.context("the server stopped")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    #[tokio::test]
    async fn healthz_answers_ok() {
        let res = super::app().oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), 200);
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"ok");
    }
}
