//! The ledger's API served on loopback, as `cashdesk-ledger serve` serves it (plain HTTP), for the
//! integration tests (`support::ledger`) and the benchmarks (`benches/common`, which include this
//! file by path). Returns errors rather than panicking: the benchmarks forbid `unwrap`.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::Context;
use cashdesk::sync::client::{LedgerClient, LedgerUrl};
use cashdesk_ledger::{api, tls};
use tokio::sync::oneshot;

/// A running server; `stop` ends it (the database stays).
pub struct Served {
    pub url: String,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Served {
    /// Serve `state` on `addr` (port 0: any free port) and wait until `/healthz` answers.
    pub async fn start(state: api::AppState, addr: SocketAddr) -> anyhow::Result<Served> {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("bind {addr}"))?;
        let addr = listener.local_addr().context("local address")?;
        let (tx, rx) = oneshot::channel::<()>();
        let router = api::router(state);
        let task = tokio::spawn(async move {
            let _ = tls::serve_on(router, listener, None, async move {
                let _ = rx.await;
            })
            .await;
        });
        let url = format!("http://{addr}");
        let client = LedgerClient::new(LedgerUrl::parse(&url)?)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.health().await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "the ledger on {url} did not answer /healthz in 30 s");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(Served { url, addr, stop: Some(tx), task: Some(task) })
    }

    /// Stop serving.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}
