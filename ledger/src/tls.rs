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
