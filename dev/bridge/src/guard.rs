//! What the bridge lets in. It serves the counter's whole command table, so only the test or
//! developer who started it may call it:
//! - every call carries the run's secret (32 random bytes, printed at start) in
//!   [`SECRET_HEADER`]; another local user or process does not have it;
//! - the `Host` is the loopback address and port it listens on (`127.0.0.1:PORT` or
//!   `localhost:PORT`), so a web page that rebinds its own name to 127.0.0.1 is refused, static
//!   files included;
//! - a call's body is `application/json`, which a page of another origin cannot send without a
//!   preflight the bridge never answers (no CORS), so a cross-site form post is refused too.
//!
//! The checks are pure functions of the request's headers, compared in constant time.

/// The header that carries the run's secret.
pub const SECRET_HEADER: &str = "x-cashdesk-bridge-secret";

/// Why a request is refused, with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 421: not addressed to this bridge's loopback address.
    Host(String),
    /// 401: the secret is missing or wrong.
    Secret,
    /// 415: a call whose body is not JSON.
    ContentType(String),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Host(_) => 421,
            Refusal::Secret => 401,
            Refusal::ContentType(_) => 415,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Host(_) => "BRIDGE_HOST",
            Refusal::Secret => "BRIDGE_SECRET",
            Refusal::ContentType(_) => "BRIDGE_CONTENT_TYPE",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Host(h) => format!("Host '{h}' is not this bridge: call it at 127.0.0.1 or localhost on its port"),
            Refusal::Secret => format!("the {SECRET_HEADER} header must carry the secret the bridge printed at start"),
            Refusal::ContentType(t) => {
                format!("a call's body is JSON: send Content-Type: application/json (not '{t}')")
            }
        }
    }
}

/// A new run's secret: 32 random bytes, as 64 hex digits.
pub fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Whether `host` (the `Host` header) names this bridge on `port`.
pub fn check_host(host: Option<&str>, port: u16) -> Result<(), Refusal> {
    let host = host.unwrap_or("");
    let ok = [format!("127.0.0.1:{port}"), format!("localhost:{port}")].iter().any(|h| h.eq_ignore_ascii_case(host));
    if ok { Ok(()) } else { Err(Refusal::Host(host.chars().take(100).collect())) }
}

/// Whether a call may go through: the secret, and a JSON body.
pub fn check_call(secret: Option<&[u8]>, expected: &str, content_type: Option<&str>) -> Result<(), Refusal> {
    if !same(secret.unwrap_or(b""), expected.as_bytes()) {
        return Err(Refusal::Secret);
    }
    let content_type = content_type.unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(Refusal::ContentType(content_type.chars().take(100).collect()));
    }
    Ok(())
}

/// `a == b`, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_bridge_on_loopback() {
        assert!(check_host(Some("127.0.0.1:4100"), 4100).is_ok());
        assert!(check_host(Some("LOCALHOST:4100"), 4100).is_ok());
        for bad in
            [None, Some(""), Some("127.0.0.1"), Some("127.0.0.1:4101"), Some("evil.example:4100"), Some("[::1]:4100")]
        {
            let e = check_host(bad, 4100).unwrap_err();
            assert_eq!((e.status(), e.code()), (421, "BRIDGE_HOST"), "{bad:?}");
        }
    }

    #[test]
    fn a_call_needs_the_secret_and_json() {
        let secret = new_secret();
        assert_eq!(secret.len(), 64);
        assert_ne!(secret, new_secret(), "a new secret each run");
        let json = Some("application/json");
        assert!(check_call(Some(secret.as_bytes()), &secret, json).is_ok());
        assert!(check_call(Some(secret.as_bytes()), &secret, Some("Application/JSON; charset=utf-8")).is_ok());
        for wrong in [None, Some(&b""[..]), Some(&secret.as_bytes()[..63]), Some(&b"0"[..])] {
            assert_eq!(check_call(wrong, &secret, json), Err(Refusal::Secret));
        }
        let mut flipped = secret.clone().into_bytes();
        flipped[63] = if flipped[63] == b'0' { b'1' } else { b'0' };
        assert_eq!(check_call(Some(&flipped), &secret, json), Err(Refusal::Secret));
        for ct in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")] {
            let e = check_call(Some(secret.as_bytes()), &secret, ct).unwrap_err();
            assert_eq!((e.status(), e.code()), (415, "BRIDGE_CONTENT_TYPE"), "{ct:?}");
        }
    }
}
