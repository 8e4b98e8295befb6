//! A counter syncing with a ledger over HTTPS: the ledger serves its certificate (rustls, ring), the
//! counter trusts the utility's CA given by `CASHDESK_LEDGER_CA`, enrols, pushes and pulls. Its own
//! test binary, because it sets that environment variable for the process.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use cashdesk::sync::{client::LedgerUrl, engine::Engine, token::MemoryStore};
use cashdesk_ledger::{api, config::TlsFiles, db, import, terminals, tls};
use support::ledger::{ACCOUNTS_CSV, BILLS_CSV, counter};

/// The scenario runs in a child process of this test binary, started with `CASHDESK_LEDGER_CA` set
/// (setting a variable in-process is `unsafe` in edition 2024, and the workspace forbids `unsafe`).
#[test]
fn a_counter_enrols_and_syncs_over_https_trusting_the_utilitys_ca() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = self_signed(dir.path());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "https_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir.path())
        .env("CASHDESK_LEDGER_CA", &ca)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

const CHILD: &str = "CASHDESK_TLS_CHILD_DIR";

type Server = (u16, sqlx::PgPool, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>);

/// A ledger with the test accounts serving HTTPS with the certificate in `dir`.
async fn serve_tls(dir: &std::path::Path) -> Server {
    let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    let db_url = support::pg::fresh_database_url().await;
    let pool = db::connect(&db_url, 5).await.unwrap();
    db::migrate(&pool).await.unwrap();
    let key = cashdesk::datakey::DataKey::generate().unwrap();
    import::accounts(&pool, &key, ACCOUNTS_CSV.as_bytes(), Some(&support::ledger::area("GY03"))).await.unwrap();
    import::bills(&pool, BILLS_CSV.as_bytes()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tls::serve_on(
        api::router(api::AppState::new(pool.clone(), cashdesk::datakey::DataKey::generate().unwrap())),
        listener,
        Some(tls::server_config(&files).unwrap()),
        async move {
            let _ = stopped.await;
        },
    ));
    (port, pool, stop, server)
}

fn self_signed(dir: &std::path::Path) -> std::path::PathBuf {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), ck.signing_key.serialize_pem()).unwrap();
    dir.join("cert.pem")
}

#[tokio::test]
async fn without_the_utilitys_ca_the_ledger_is_not_trusted() {
    if std::env::var_os("CASHDESK_LEDGER_CA").is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    let (port, pool, stop, server) = serve_tls(dir.path()).await;
    let c = counter("GY03-02", "2026-01-10T10:00:00+08:00", false).await;
    let engine =
        Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), Arc::new(MemoryStore::new()), c.desk.data_keys());
    let code = terminals::enrol(&pool, "GY03-02", None).await.unwrap();
    let err = engine.enrol(&LedgerUrl::parse(&format!("https://localhost:{port}")).unwrap(), &code).await.unwrap_err();
    assert_eq!(err.code(), "SYNC_OFFLINE", "{err}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn https_child() {
    let Some(dir) = std::env::var_os(CHILD) else { return };
    let dir = std::path::PathBuf::from(dir);
    let (port, pool, stop, server) = serve_tls(&dir).await;
    let c = counter("GY03-01", "2026-01-10T10:00:00+08:00", false).await;
    let engine =
        Engine::new(c.desk.pool().clone(), c.desk.terminal().clone(), Arc::new(MemoryStore::new()), c.desk.data_keys());
    let url = LedgerUrl::parse(&format!("https://localhost:{port}")).unwrap();
    let code = terminals::enrol(&pool, "GY03-01", None).await.unwrap();
    engine.enrol(&url, &code).await.unwrap();
    support::ledger::settled(&pool).await;
    let report = engine.sync_once().await.unwrap();
    assert_eq!((report.applied, report.accounts), (1, 4), "{report:?}");
    // Plain HTTP to the TLS port gets nowhere.
    let plain = LedgerUrl::parse(&format!("http://localhost:{port}")).unwrap();
    let code = terminals::enrol(&pool, "GY03-01", None).await.unwrap();
    assert!(engine.enrol(&plain, &code).await.is_err());
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
