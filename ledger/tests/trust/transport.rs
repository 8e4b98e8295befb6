//! HTTPS is required except on a loopback address: `cashdesk-ledger serve` itself, as a process,
//! on this machine's own network address when it has one.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const LEDGER: &str = env!("CARGO_BIN_EXE_cashdesk-ledger");

/// `cashdesk-ledger serve ARGS` with the given bind and database, its data key in `dir`.
fn serve(dir: &std::path::Path, bind: &str, db_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(LEDGER);
    cmd.arg("serve")
        .args(args)
        .env_remove("CASHDESK_LEDGER_CONFIG")
        .env_remove("CASHDESK_LEDGER_TLS_CERT")
        .env_remove("CASHDESK_LEDGER_TLS_KEY")
        .env("CASHDESK_LEDGER_DATABASE_URL", db_url)
        .env("CASHDESK_LEDGER_BIND", bind)
        .env("CASHDESK_LEDGER_DATA_KEY_FILE", dir.join("ledger.datakey"))
        .env("RUST_LOG", "info,sqlx=warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Its log lines (ANSI colours removed) until one contains `until`, within 60 s.
pub(crate) fn lines_until(child: &mut Child, until: &str) -> Vec<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let clean = strip_ansi(&line);
                let done = clean.contains(until);
                seen.push(clean);
                if done {
                    return seen;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    panic!("no log line with {until:?}; the log was:\n{}", seen.join("\n"));
}

pub(crate) fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The port of a `ledger listening (HTTP) local=ADDR` line.
pub(crate) fn port(lines: &[String]) -> u16 {
    let line = lines.iter().find(|l| l.contains("ledger listening")).unwrap();
    let addr = line.rsplit("local=").next().unwrap().trim();
    addr.parse::<std::net::SocketAddr>().unwrap().port()
}

/// A non-loopback address of this machine, if it has one: the one a UDP socket would send from
/// toward TEST-NET-2 (connecting a UDP socket sends nothing).
fn network_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("198.51.100.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Where to listen on the network: this machine's own address when it has one, else every address.
fn network_bind() -> String {
    match network_address() {
        Some(ip) => std::net::SocketAddr::new(ip, 0).to_string(),
        None => {
            eprintln!("no non-loopback address on this machine: the wildcard 0.0.0.0 stands in for one");
            "0.0.0.0:0".into()
        }
    }
}

#[test]
fn plain_http_on_a_network_address_is_refused_before_the_database_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    // No database listens there: the refusal must come first.
    for bind in [network_bind(), "0.0.0.0:0".into(), "[::]:0".into()] {
        let out = serve(dir.path(), &bind, "postgres://nobody@127.0.0.1:1/none", &[]).output().unwrap();
        let err = strip_ansi(&String::from_utf8_lossy(&out.stderr));
        assert!(!out.status.success(), "{bind}: {err}");
        assert!(err.contains("will not serve plain HTTP") && err.contains("--insecure-http"), "{bind}: {err}");
        assert!(err.contains("[tls]"), "says how to give it a certificate: {err}");
        assert!(!err.contains("cannot connect"), "refused before connecting: {err}");
    }
}

#[tokio::test]
async fn insecure_http_serves_and_warns_loopback_http_serves_quietly() {
    let db_url = crate::support::pg::fresh_database_url().await;
    let dir = tempfile::tempdir().unwrap();

    let bind = network_bind();
    let mut insecure = serve(dir.path(), &bind, &db_url, &["--insecure-http"]).spawn().unwrap();
    let lines = lines_until(&mut insecure, "ledger listening");
    let warned = lines.iter().filter(|l| l.contains("WARN") && l.contains("INSECURE")).count();
    assert_eq!(warned, 1, "the warning at start, before listening (then every minute): {lines:#?}");
    let port = port(&lines);
    let host = network_address().map_or_else(|| "127.0.0.1".to_string(), |ip| ip.to_string());
    let health = crate::support::ledger::http().get(format!("http://{host}:{port}/healthz")).send().await;
    let _ = insecure.kill();
    let _ = insecure.wait();
    assert_eq!(health.unwrap().text().await.unwrap(), "ok", "served on {bind}");

    let mut quiet = serve(dir.path(), "127.0.0.1:0", &db_url, &[]).spawn().unwrap();
    let lines = lines_until(&mut quiet, "ledger listening");
    let _ = quiet.kill();
    let _ = quiet.wait();
    assert!(!lines.iter().any(|l| l.contains("INSECURE")), "loopback needs no warning: {lines:#?}");
}
