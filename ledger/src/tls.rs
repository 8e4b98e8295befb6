//! Serving the ledger's router over HTTPS (rustls with the *ring* provider: no aws-lc, no OpenSSL) or,
//! without a certificate, plain HTTP.
//!
//! HTTPS goes through `axum-server`, which runs each TLS handshake in the connection's own task with
//! a 10 s timeout, so a client that stalls mid-handshake holds up nobody else. The rustls
//! `ServerConfig` is built here with an explicit ring provider, so nothing depends on a process-wide
//! default provider being installed.
//!
//! Both paths shut down gracefully when the `shutdown` future completes: no new connections, requests
//! in flight finish (HTTPS gives them [`GRACE`] at most).
//!
//! Plain HTTP is for this machine only ([`transport`]): terminal tokens, enrolment codes, finance
//! passwords and payees' account numbers cross the wire, so `serve` refuses to listen without TLS on
//! any address but a loopback one, unless its administrator starts it with `--insecure-http`; then
//! it says so in its log at start and every minute after ([`warn_insecure_http`]).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// How long requests in flight may take to finish once HTTPS shutdown starts.
pub const GRACE: Duration = Duration::from_secs(30);

/// Why the certificate or key could not be used. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS certificate {path}: {message}")]
    Certificate { path: PathBuf, message: String },
    #[error("TLS private key {path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error("TLS certificate {cert} and key {key} cannot be used together: {source}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
}

/// Loads a PEM certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1) into a
/// rustls server configuration on the ring provider, offering HTTP/2 and HTTP/1.1 by ALPN.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_err = |message: String| TlsError::Certificate { path: files.cert.clone(), message };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| cert_err(pem_message(&e)))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_err(pem_message(&e)))?;
    if certs.is_empty() {
        return Err(cert_err("no certificate in it (expected PEM \"-----BEGIN CERTIFICATE-----\")".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.clone(),
        message: match e {
            rustls::pki_types::pem::Error::NoItemsFound => "no private key in it (expected PEM \"-----BEGIN PRIVATE \
                                                            KEY-----\", \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\")"
                .into(),
            other => pem_message(&other),
        },
    })?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mismatch = |source| TlsError::Mismatch { cert: files.cert.clone(), key: files.key.clone(), source };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(mismatch)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(mismatch)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn pem_message(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => format!("cannot read it: {io}"),
        other => format!("not a usable PEM file: {other}"),
    }
}

/// How the ledger listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// With a certificate: on any address.
    Https,
    /// Plain HTTP on a loopback address: only programs on this machine reach it (a TLS proxy on the
    /// same machine, tests, the demo).
    LoopbackHttp,
    /// Plain HTTP on a network address, because the administrator said `--insecure-http`.
    InsecureHttp,
}

/// Why the ledger will not listen as configured.
#[derive(Debug, thiserror::Error)]
#[error(
    "the ledger will not serve plain HTTP on {bind}: terminal tokens, finance passwords and payees' account \
     numbers would cross the network in clear. Give it a certificate ([tls] cert and key in the configuration, \
     or CASHDESK_LEDGER_TLS_CERT and CASHDESK_LEDGER_TLS_KEY), or bind a loopback address (127.0.0.1:8700, \
     [::1]:8700) behind a TLS proxy on this machine, or, on a network you trust, start it with --insecure-http"
)]
pub struct PlainHttpRefused {
    pub bind: SocketAddr,
}

/// Whether `bind` is a loopback address (127.0.0.0/8, ::1, or an IPv4-mapped loopback).
fn loopback(bind: SocketAddr) -> bool {
    bind.ip().to_canonical().is_loopback()
}

/// How the ledger may listen on `bind`: HTTPS with `tls`; without it plain HTTP on a loopback address,
/// or on any other address only when `insecure_http` (`serve --insecure-http`).
pub fn transport(bind: SocketAddr, tls: bool, insecure_http: bool) -> Result<Transport, PlainHttpRefused> {
    match (tls, loopback(bind), insecure_http) {
        (true, ..) => Ok(Transport::Https),
        (false, true, _) => Ok(Transport::LoopbackHttp),
        (false, false, true) => Ok(Transport::InsecureHttp),
        (false, false, false) => Err(PlainHttpRefused { bind }),
    }
}

/// How often an insecure ledger says so in its log.
pub const INSECURE_WARNING_EVERY: Duration = Duration::from_secs(60);

/// Log a warning now (before this returns, so it precedes the "listening" line) and then every
/// `every` that the ledger serves plain HTTP on the network address `bind` (`--insecure-http`), for
/// as long as the returned task runs.
pub fn warn_insecure_http(bind: SocketAddr, every: Duration) -> tokio::task::JoinHandle<()> {
    let warn = move || {
        tracing::warn!(
            %bind,
            "INSECURE: serving plain HTTP on a network address (--insecure-http): terminal tokens, finance \
             passwords and payees' account numbers cross the network in clear; configure [tls] and restart \
             without --insecure-http"
        );
    };
    warn();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            warn();
        }
    })
}

/// Binds `bind` and serves `router` on it until `shutdown` completes: HTTPS with `tls`, plain HTTP
/// without. The certificate and key are loaded before binding, so a bad file fails at start-up.
pub async fn serve(
    router: Router,
    bind: SocketAddr,
    tls: Option<&TlsFiles>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tls_config = tls.map(server_config).transpose()?;
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    serve_on(router, listener, tls_config, shutdown).await
}

/// [`serve`] on a listener the caller bound (tests bind port 0 and read the port back first).
pub async fn serve_on(
    router: Router,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let local = listener.local_addr().context("the listening socket has no address")?;
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            tracing::info!(%local, "ledger listening (HTTP)");
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.context("the HTTP server stopped")?;
        }
        Some(config) => {
            tracing::info!(%local, "ledger listening (HTTPS)");
            let std_listener = listener.into_std().context("cannot hand the listening socket to the TLS server")?;
            let handle = axum_server::Handle::new();
            let on_shutdown = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                on_shutdown.graceful_shutdown(Some(GRACE));
            });
            axum_server::tls_rustls::from_tcp_rustls(std_listener, RustlsConfig::from_config(config))
                .context("cannot start the TLS server")?
                .handle(handle)
                .serve(app)
                .await
                .context("the HTTPS server stopped")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    fn router() -> Router {
        // reqwest's plain clients (`reqwest::get`) need a process-wide provider: ring, like the server.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Router::new().route("/healthz", get(|| async { "ok" }))
    }

    /// A self-signed certificate for `localhost`, written as PEM files in `dir`.
    fn self_signed(dir: &std::path::Path) -> (TlsFiles, CertificateDer<'static>) {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&files.cert, ck.cert.pem()).unwrap();
        std::fs::write(&files.key, ck.signing_key.serialize_pem()).unwrap();
        (files, ck.cert.der().clone())
    }

    /// A client whose only trusted root is `root` (ring provider, HTTP/1.1).
    fn client_trusting(root: Option<CertificateDer<'static>>, addr: SocketAddr) -> reqwest::Client {
        let mut roots = rustls::RootCertStore::empty();
        if let Some(root) = root {
            roots.add(root).unwrap();
        }
        let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        reqwest::Client::builder().tls_backend_preconfigured(tls).resolve("localhost", addr).build().unwrap()
    }

    async fn start(
        tls: Option<Arc<ServerConfig>>,
    ) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_on(router(), listener, tls, async move {
            let _ = stopped.await;
        }));
        (addr, stop, server)
    }

    #[tokio::test]
    async fn https_answers_a_client_that_trusts_the_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (files, root) = self_signed(dir.path());
        let (addr, stop, server) = start(Some(server_config(&files).unwrap())).await;
        let url = format!("https://localhost:{}/healthz", addr.port());

        let res = client_trusting(Some(root), addr).get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "ok");

        // The same server refuses a client that does not trust it: TLS really is in the way.
        let err = client_trusting(None, addr).get(&url).send().await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        // And plain HTTP on the TLS port gets no answer.
        assert!(reqwest::get(format!("http://127.0.0.1:{}/healthz", addr.port())).await.is_err());

        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), server).await.unwrap().unwrap().unwrap();
    }

    #[tokio::test]
    async fn plain_http_without_tls_and_graceful_stop() {
        let (addr, stop, server) = start(None).await;
        let body = reqwest::get(format!("http://{addr}/healthz")).await.unwrap().text().await.unwrap();
        assert_eq!(body, "ok");
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), server).await.unwrap().unwrap().unwrap();
    }

    #[tokio::test]
    async fn serve_binds_the_address_and_stops_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = self_signed(dir.path());
        // Port 0 is fine for serve(); it only has to start and stop cleanly.
        let run = serve(router(), "127.0.0.1:0".parse().unwrap(), Some(&files), async {});
        tokio::time::timeout(Duration::from_secs(10), run).await.unwrap().unwrap();
    }

    #[test]
    fn plain_http_only_on_loopback_unless_insecure() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        for (bind, tls, insecure, expected) in [
            ("127.0.0.1:8700", false, false, Some(Transport::LoopbackHttp)),
            ("127.8.9.10:8700", false, false, Some(Transport::LoopbackHttp)),
            ("[::1]:8700", false, false, Some(Transport::LoopbackHttp)),
            ("[::ffff:127.0.0.1]:8700", false, false, Some(Transport::LoopbackHttp)),
            ("0.0.0.0:8700", false, false, None),
            ("[::]:8700", false, false, None),
            ("10.0.0.5:8700", false, false, None),
            ("[::ffff:10.0.0.5]:8700", false, false, None),
            ("0.0.0.0:8700", false, true, Some(Transport::InsecureHttp)),
            ("10.0.0.5:8700", true, false, Some(Transport::Https)),
            ("127.0.0.1:8700", true, true, Some(Transport::Https)),
        ] {
            let got = transport(at(bind), tls, insecure);
            assert_eq!(got.as_ref().ok().copied(), expected, "{bind} tls={tls} insecure={insecure}: {got:?}");
            if let Err(e) = got {
                let m = e.to_string();
                assert!(m.contains(bind) && m.contains("--insecure-http") && m.contains("[tls]"), "{m}");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_insecure_ledger_says_so_every_minute() {
        // Counted through a subscriber that only counts warnings of this module.
        use std::sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        };
        #[derive(Clone, Default)]
        struct Count(Arc<AtomicUsize>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
            fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
                if *e.metadata().level() == tracing::Level::WARN {
                    self.0.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        use tracing_subscriber::layer::SubscriberExt;
        let count = Count::default();
        let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(count.clone()));
        let task = warn_insecure_http("0.0.0.0:8700".parse().unwrap(), INSECURE_WARNING_EVERY);
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "at start, before serving begins");
        tokio::time::sleep(Duration::from_secs(59)).await;
        tokio::task::yield_now().await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "not again within the minute");
        tokio::time::sleep(Duration::from_secs(60 * 2 + 2)).await;
        tokio::task::yield_now().await;
        assert_eq!(count.0.load(Ordering::SeqCst), 4, "then once a minute");
        task.abort();
    }

    #[test]
    fn bad_files_are_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let (good, _) = self_signed(dir.path());

        let missing = TlsFiles { cert: dir.path().join("nope.pem"), key: good.key.clone() };
        let e = server_config(&missing).unwrap_err().to_string();
        assert!(e.contains("nope.pem") && e.contains("cannot read"), "{e}");

        // The certificate file given as the key: a PEM file without a key in it.
        let swapped = TlsFiles { cert: good.cert.clone(), key: good.cert.clone() };
        let e = server_config(&swapped).unwrap_err().to_string();
        assert!(e.starts_with("TLS private key") && e.contains("no private key"), "{e}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let e = server_config(&TlsFiles { cert: empty, key: good.key.clone() }).unwrap_err().to_string();
        assert!(e.contains("empty.pem") && e.contains("no certificate"), "{e}");

        // A key that belongs to another certificate.
        let other = tempfile::tempdir().unwrap();
        let (other, _) = self_signed(other.path());
        let e = server_config(&TlsFiles { cert: good.cert, key: other.key }).unwrap_err().to_string();
        assert!(e.contains("cannot be used together"), "{e}");
    }
}
