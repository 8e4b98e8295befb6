//! 账务中心接口: the counter's HTTP client to the central ledger (the contract is in [`super::wire`]).
//!
//! Invariants:
//! - TLS is rustls with the *ring* provider (no aws-lc, no OpenSSL); certificates are checked against
//!   the platform's roots, plus the utility's own CA when `CASHDESK_LEDGER_CA` names a PEM file (a
//!   file that cannot be read or parsed is an error, never silently ignored). Plain `http://` is
//!   accepted only for a ledger on this machine ([`LedgerUrl::crosses_network_in_clear`]): a
//!   client for any other host is never made ([`LedgerUrl::require_encryption`], `INPUT_INVALID` on
//!   the field `url`), so neither an enrolment nor a sync round nor a finance call sends a code, a
//!   token or a password in clear, not even to a URL stored before this rule; the ledger likewise
//!   refuses to serve plain HTTP there.
//! - Every request has a connect timeout ([`CONNECT_TIMEOUT`]) and a total timeout
//!   ([`REQUEST_TIMEOUT`]); redirects are not followed (a redirect could carry the token elsewhere).
//! - Every failure is classified: [`Error::SyncOffline`] (network, timeout, any 5xx without a body we
//!   understand: worth retrying), [`Error::SyncRefused`] (the ledger's [`ApiError`] with its code,
//!   message and `retry`), [`Error::SyncBadReply`] (a 2xx body that is not the contract's JSON).
//! - Reply bodies are read up to a bound ([`MAX_REPLY_BYTES`]) and parsed strictly; the caller still
//!   validates the content (see `pull`).
//! - The bearer token is only ever put in the `Authorization` header: it is not in any URL, error
//!   message or log line.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::{Serialize, de::DeserializeOwned};

use super::{
    finance::{FinanceDecision, FinanceLogin, FinanceSession, Payout, RefundDetail, RefundList, RefundQuery},
    token::Token,
    wire::{ApiError, AuditHeadHeld, EnrolRequest, EnrolResponse, PullResponse, PushRequest, PushResponse},
};
use crate::{Error, Result};

/// A PEM file of the utility's own certificate authority, trusted for the ledger besides the
/// platform's roots.
pub const CA_ENV: &str = "CASHDESK_LEDGER_CA";

/// Time allowed to open a connection to the ledger.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a whole request, reply included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest reply body read (a pull page of `wire::MAX_PAGE` changes is far below this).
pub const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;
/// Characters of a ledger's error message kept (it is shown and stored).
const MAX_MESSAGE_CHARS: usize = 300;

/// The ledger's base URL: `http` or `https`, a host, no user or password, no query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerUrl(Url);

impl LedgerUrl {
    pub fn parse(s: &str) -> Result<LedgerUrl> {
        let s = s.trim();
        let bad = |why: &str| {
            Error::invalid("url", format!("'{s}' is not a ledger URL: {why} (e.g. https://ledger.example.cn:8443)"))
        };
        if s.is_empty() || s.len() > 300 {
            return Err(bad("give 1-300 characters"));
        }
        let mut url = Url::parse(s).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("use http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("give a host name or address"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("leave out any user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("leave out '?' and '#' parts"));
        }
        // Endpoints are joined to the base: it must end with '/' to keep a path prefix.
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(LedgerUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether requests would cross a network unencrypted: `http://` to anything but this machine
    /// (`localhost`, 127.0.0.0/8, `[::1]`).
    pub fn crosses_network_in_clear(&self) -> bool {
        // An IPv6 host comes with its brackets.
        let host = self.0.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback());
        self.0.scheme() == "http" && !loopback
    }

    /// `Ok` unless [`crosses_network_in_clear`](Self::crosses_network_in_clear): then the error says
    /// to use the ledger's `https://` address (and to enrol again when the URL is a stored one).
    pub fn require_encryption(&self) -> Result<()> {
        if !self.crosses_network_in_clear() {
            return Ok(());
        }
        Err(Error::invalid(
            "url",
            format!(
                "'{self}' is plain http:// to another machine: the terminal's token would cross the network in \
                 clear. Use the ledger's https:// address (enrol again with it), or plain http:// only to this \
                 machine (127.0.0.1, [::1], localhost)"
            ),
        ))
    }

    fn endpoint(&self, path: &str) -> Result<Url> {
        self.0.join(path).map_err(|e| Error::Internal(format!("cannot build the ledger URL for {path}: {e}")))
    }
}

impl std::fmt::Display for LedgerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Make *ring* the process's rustls provider unless the host application installed one already.
fn ensure_crypto_provider() {
    // `Err` only means a provider is already installed, which is what is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client for one ledger.
#[derive(Debug, Clone)]
pub struct LedgerClient {
    base: LedgerUrl,
    http: reqwest::Client,
}

impl LedgerClient {
    /// A client for `base`; refused for plain `http://` to another machine
    /// ([`LedgerUrl::require_encryption`]).
    pub fn new(base: LedgerUrl) -> Result<LedgerClient> {
        base.require_encryption()?;
        ensure_crypto_provider();
        let mut builder = reqwest::Client::builder();
        if let Some(path) = std::env::var_os(CA_ENV).filter(|p| !p.is_empty()) {
            let path = std::path::PathBuf::from(path);
            let pem = std::fs::read(&path)
                .map_err(|e| Error::invalid("ledger_ca", format!("cannot read {CA_ENV}={}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::invalid("ledger_ca", format!("{CA_ENV}={} is not a PEM certificate: {e}", path.display()))
            })?;
            if certs.is_empty() {
                return Err(Error::invalid("ledger_ca", format!("{CA_ENV}={} holds no certificate", path.display())));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cashdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("cannot set up the HTTP client: {e}")))?;
        Ok(LedgerClient { base, http })
    }

    pub fn base(&self) -> &LedgerUrl {
        &self.base
    }

    /// `POST /v1/enrol`: a one-time code for the terminal's token (no authorization).
    pub async fn enrol(&self, req: &EnrolRequest) -> Result<EnrolResponse> {
        let url = self.base.endpoint("v1/enrol")?;
        self.send(self.http.post(url).json_body(req)?).await
    }

    /// `POST /v1/events`: one batch of outbox events.
    pub async fn push(&self, token: &Token, req: &PushRequest) -> Result<PushResponse> {
        let url = self.base.endpoint("v1/events")?;
        self.send(self.http.post(url).bearer_auth(token.secret()).json_body(req)?).await
    }

    /// `GET /v1/changes?cursor=C&limit=N`: one page of changes after `cursor`.
    pub async fn pull(&self, token: &Token, cursor: &str, limit: i64) -> Result<PullResponse> {
        let mut url = self.base.endpoint("v1/changes")?;
        url.query_pairs_mut().append_pair("cursor", cursor).append_pair("limit", &limit.to_string());
        self.send(self.http.get(url).bearer_auth(token.secret())).await
    }

    /// `GET /v1/audit-head`: the audit chain head the ledger holds for this terminal.
    pub async fn audit_head(&self, token: &Token) -> Result<AuditHeadHeld> {
        let url = self.base.endpoint("v1/audit-head")?;
        self.send(self.http.get(url).bearer_auth(token.secret())).await
    }

    /// `POST /v1/finance/login`: a finance user's session (`finance` module of `sync`).
    pub async fn finance_login(&self, req: &FinanceLogin) -> Result<FinanceSession> {
        let url = self.base.endpoint("v1/finance/login")?;
        self.send(self.http.post(url).json_body(req)?).await
    }

    /// `POST /v1/finance/logout`.
    pub async fn finance_logout(&self, token: &str) -> Result<()> {
        let url = self.base.endpoint("v1/finance/logout")?;
        let resp = self.http.post(url).bearer_auth(token).send().await.map_err(offline)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = read_capped(resp, 64 * 1024).await?;
        Err(refusal(status, &body))
    }

    /// `GET /v1/finance/refunds?…`: the requests matching `q`.
    pub async fn finance_refunds(&self, token: &str, q: &RefundQuery) -> Result<RefundList> {
        let mut url = self.base.endpoint("v1/finance/refunds")?;
        {
            let mut pairs = url.query_pairs_mut();
            let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
            if let Some(s) = q.state {
                pairs.append_pair("state", s.as_str());
            }
            for (k, v) in [
                ("terminal", &q.terminal),
                ("area", &q.area),
                ("from", &q.from),
                ("to", &q.to),
                ("min_amount", &q.min_amount),
                ("max_amount", &q.max_amount),
            ] {
                if let Some(v) = text(v) {
                    pairs.append_pair(k, &v);
                }
            }
            if let Some(r) = q.reason {
                pairs.append_pair("reason", r.as_str());
            }
            if let Some(o) = q.overdue {
                pairs.append_pair("overdue", if o { "true" } else { "false" });
            }
            if let Some(l) = q.limit {
                pairs.append_pair("limit", &l.to_string());
            }
            if let Some(o) = q.offset {
                pairs.append_pair("offset", &o.to_string());
            }
        }
        self.send(self.http.get(url).bearer_auth(token)).await
    }

    /// `GET /v1/finance/refunds/{id}`.
    pub async fn finance_refund(&self, token: &str, refund_id: &str) -> Result<RefundDetail> {
        let url = self.refund_url(refund_id, "")?;
        self.send(self.http.get(url).bearer_auth(token)).await
    }

    /// `POST /v1/finance/refunds/{id}/approve` or `/reject`.
    pub async fn finance_decide(
        &self,
        token: &str,
        refund_id: &str,
        approve: bool,
        req: &FinanceDecision,
    ) -> Result<RefundDetail> {
        let url = self.refund_url(refund_id, if approve { "/approve" } else { "/reject" })?;
        self.send(self.http.post(url).bearer_auth(token).json_body(req)?).await
    }

    /// `POST /v1/finance/refunds/{id}/pay`.
    pub async fn finance_pay(&self, token: &str, refund_id: &str, req: &Payout) -> Result<RefundDetail> {
        let url = self.refund_url(refund_id, "/pay")?;
        self.send(self.http.post(url).bearer_auth(token).json_body(req)?).await
    }

    /// A refund's URL: its id is a UUID, checked, so nothing else reaches the path.
    fn refund_url(&self, refund_id: &str, rest: &str) -> Result<Url> {
        let id = uuid::Uuid::parse_str(refund_id.trim())
            .map_err(|_| Error::invalid("refund_id", "a refund's id is a UUID"))?;
        self.base.endpoint(&format!("v1/finance/refunds/{id}{rest}"))
    }

    /// `GET /healthz`: whether the ledger answers.
    pub async fn health(&self) -> Result<()> {
        let url = self.base.endpoint("healthz")?;
        let resp = self.http.get(url).send().await.map_err(offline)?;
        if resp.status().is_success() {
            Ok(())
        } else {
            let status = resp.status();
            let body = read_capped(resp, 64 * 1024).await?;
            Err(refusal(status, &body))
        }
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T> {
        let resp = req.send().await.map_err(offline)?;
        let status = resp.status();
        if status.is_success() {
            let body = read_capped(resp, MAX_REPLY_BYTES).await?;
            serde_json::from_slice(&body).map_err(|e| Error::SyncBadReply { detail: format!("HTTP {status}: {e}") })
        } else {
            let body = read_capped(resp, 64 * 1024).await?;
            Err(refusal(status, &body))
        }
    }
}

/// JSON request bodies (reqwest is built without its `json` feature: one serializer, ours).
trait JsonBody: Sized {
    fn json_body<B: Serialize>(self, body: &B) -> Result<Self>;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body<B: Serialize>(self, body: &B) -> Result<reqwest::RequestBuilder> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Internal(format!("cannot encode the request: {e}")))?;
        Ok(self.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes))
    }
}

/// A transport failure: no connection, a timeout, a reset. Always worth retrying.
fn offline(e: reqwest::Error) -> Error {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "no connection"
    } else {
        "the connection failed"
    };
    // The URL is in reqwest's message; the token never is (it is a header).
    let mut detail = format!("{what}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(&format!(": {s}"));
        source = s.source();
    }
    Error::SyncOffline { detail: clip(&detail, 500) }
}

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(offline)? {
        if body.len() + chunk.len() > cap {
            return Err(Error::SyncBadReply { detail: format!("the reply is larger than {cap} bytes") });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An answer other than 2xx: the ledger's [`ApiError`] when it sent one.
fn refusal(status: StatusCode, body: &[u8]) -> Error {
    let server_side = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
    match serde_json::from_slice::<ApiError>(body) {
        Ok(api) => Error::SyncRefused {
            status: status.as_u16(),
            ledger_code: clip(&api.code, 40),
            message: clip(&api.message, MAX_MESSAGE_CHARS),
            retry: api.retry || server_side,
        },
        Err(_) if server_side => Error::SyncOffline { detail: format!("the ledger answered HTTP {status}") },
        Err(_) => Error::SyncRefused {
            status: status.as_u16(),
            ledger_code: format!("HTTP_{}", status.as_u16()),
            message: clip(&String::from_utf8_lossy(body), MAX_MESSAGE_CHARS),
            retry: false,
        },
    }
}

/// At most `max` characters, control characters replaced: text from the network is shown and stored.
pub(crate) fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_urls() {
        assert_eq!(
            LedgerUrl::parse("https://ledger.example.cn:8443").unwrap().as_str(),
            "https://ledger.example.cn:8443/"
        );
        let prefixed = LedgerUrl::parse("http://10.0.0.5/cashdesk").unwrap();
        assert_eq!(prefixed.endpoint("v1/events").unwrap().as_str(), "http://10.0.0.5/cashdesk/v1/events");
        for bad in [
            "",
            "ftp://x",
            "ledger.example.cn",
            "https://u:p@x.cn",
            "https://x.cn/?a=1",
            "https://x.cn/#f",
            "file:///etc",
        ] {
            let e = LedgerUrl::parse(bad).unwrap_err();
            assert_eq!(e.code(), "INPUT_INVALID", "{bad}");
        }
    }

    #[test]
    fn plain_http_is_only_for_this_machine() {
        for (url, clear) in [
            ("http://127.0.0.1:8700", false),
            ("http://127.0.0.2:8700", false),
            ("http://localhost:8700", false),
            ("http://[::1]:8700", false),
            ("http://10.0.0.5:8700", true),
            ("http://ledger.example.cn", true),
            ("http://[fe80::1]:8700", true),
            ("https://10.0.0.5:8443", false),
            ("https://ledger.example.cn", false),
        ] {
            let url = LedgerUrl::parse(url).unwrap();
            assert_eq!(url.crosses_network_in_clear(), clear, "{url}");
            match LedgerClient::new(url.clone()) {
                Ok(_) => assert!(!clear, "{url}: a client that would send the token in clear"),
                Err(e) => {
                    assert!(clear, "{url}: refused although encrypted or local: {e}");
                    assert_eq!(e.code(), "INPUT_INVALID", "{e}");
                    let m = e.to_string();
                    assert!(m.contains("https://") && m.contains("127.0.0.1"), "says what to use instead: {m}");
                }
            }
        }
    }

    #[test]
    fn refusals_are_classified() {
        let body = br#"{"code":"TOKEN_REVOKED","message":"revoked","retry":false}"#;
        let e = refusal(StatusCode::UNAUTHORIZED, body);
        assert_eq!((e.code(), e.retryable()), ("SYNC_UNAUTHORIZED", false));
        assert_eq!(e.params()["ledger_code"], "TOKEN_REVOKED");
        let e = refusal(StatusCode::SERVICE_UNAVAILABLE, br#"{"code":"UNAVAILABLE","message":"busy","retry":true}"#);
        assert_eq!((e.code(), e.retryable()), ("SYNC_OFFLINE", true));
        let e = refusal(StatusCode::BAD_GATEWAY, b"<html>proxy</html>");
        assert_eq!((e.code(), e.retryable()), ("SYNC_OFFLINE", true));
        let e = refusal(StatusCode::BAD_REQUEST, br#"{"code":"BAD_REQUEST","message":"no\nevents","retry":false}"#);
        assert_eq!((e.code(), e.retryable()), ("SYNC_REFUSED", false));
        assert_eq!(e.params()["message"], "no events", "control characters from the network are replaced");
        let e = refusal(StatusCode::FORBIDDEN, b"nope");
        assert_eq!((e.code(), e.retryable()), ("SYNC_REFUSED", false));
    }
}
