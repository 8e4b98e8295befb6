//! The bridge as a test or a developer starts it: a real process on a real demo database, called
//! over real HTTP. Only its own run's secret, its own loopback Host and a JSON body get a call
//! through; a database that is not a demo one is never served.

#![allow(clippy::unwrap_used)] // a test's set-up failing is the test failing

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
};

use cashdesk::{
    config::TerminalCode,
    desk::{Desk, InitOptions},
};

const BRIDGE: &str = env!("CARGO_BIN_EXE_cashdesk-bridge");

/// The bridge with HOME and XDG_* inside `home` (its demo keys go there) and no D-Bus session.
fn bridge(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BRIDGE);
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null());
    cmd
}

struct Running {
    child: Child,
    port: u16,
    secret: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start the bridge and read its LISTENING line.
fn start(home: &Path, db: &Path) -> Running {
    let mut child = bridge(home, &["--db", db.to_str().unwrap(), "--demo", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening =
        lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("LISTENING ")).expect("a LISTENING line");
    let open = lines.next().unwrap().unwrap();
    let (url, secret) = listening["LISTENING ".len()..].split_once(" secret=").unwrap();
    assert_eq!(open, format!("OPEN {url}/#bridge-secret={secret}"));
    let port = url.rsplit(':').next().unwrap().parse().unwrap();
    Running { child, port, secret: secret.to_string() }
}

/// One HTTP/1.1 request; the status and the body.
fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn only_the_runs_secret_its_own_host_and_json_get_a_call_through() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path(), &dir.path().join("demo.sqlite"));
    let host = format!("127.0.0.1:{}", b.port);
    let json = ("Content-Type", "application/json");
    let call = |headers: &[(&str, &str)]| request(b.port, "POST", "/api/call/app_info", headers, "{}");

    let (status, body) = call(&[("Host", &host), json, ("x-cashdesk-bridge-secret", &b.secret)]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"demo\":true"), "{body}");
    let (status, body) =
        call(&[("Host", &format!("localhost:{}", b.port)), json, ("x-cashdesk-bridge-secret", &b.secret)]);
    assert_eq!(status, 200, "{body}");

    let (status, body) = call(&[("Host", &host), json]);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("BRIDGE_SECRET"), "{body}");
    let wrong = "0".repeat(64);
    assert_eq!(call(&[("Host", &host), json, ("x-cashdesk-bridge-secret", &wrong)]).0, 401);

    let (status, body) =
        call(&[("Host", &format!("rebound.example:{}", b.port)), json, ("x-cashdesk-bridge-secret", &b.secret)]);
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("BRIDGE_HOST"), "{body}");
    let (status, _) = request(b.port, "GET", "/healthz", &[("Host", "rebound.example")], "");
    assert_eq!(status, 421, "a rebound name gets nothing, not even the health check");
    let (status, body) = request(b.port, "GET", "/healthz", &[("Host", &host)], "");
    assert_eq!((status, body.as_str()), (200, "ok"));

    let (status, body) =
        call(&[("Host", &host), ("Content-Type", "text/plain"), ("x-cashdesk-bridge-secret", &b.secret)]);
    assert_eq!(status, 415, "{body}");
    assert!(body.contains("BRIDGE_CONTENT_TYPE"), "{body}");
}

#[test]
fn each_run_has_its_own_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let first = start(dir.path(), &db).secret.clone();
    let second = start(dir.path(), &db).secret.clone();
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_database_that_is_not_a_demo_one_is_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("counter.sqlite");
    let desk = Desk::open(&db, InitOptions { terminal: Some(TerminalCode::parse("GY01-03").unwrap()), utility: None })
        .await
        .unwrap();
    desk.bootstrap_admin("hall-it", None, "Counter#2026-setup").await.unwrap();
    drop(desk);
    for args in
        [&["--db", db.to_str().unwrap(), "--port", "0"][..], &["--db", db.to_str().unwrap(), "--demo", "--port", "0"]]
    {
        let out = bridge(dir.path(), args).output().unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("is not a demo database"), "{stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("LISTENING"));
    }

    let missing = dir.path().join("missing.sqlite");
    let out = bridge(dir.path(), &["--db", missing.to_str().unwrap(), "--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database at"));
    assert!(!missing.exists(), "nothing made");
}
