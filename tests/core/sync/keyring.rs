//! The token in a REAL OS keyring: the Secret Service, served by gnome-keyring-daemon in a private
//! D-Bus session (`dbus-run-session`), with HOME and XDG_* in a temp dir so nothing touches the
//! user's own keyring. `the_token_lives_in_the_os_keyring` re-executes this test binary inside that
//! session to run `keyring_child`, which does the work: `KeyringStore` itself, the Desk enrolling
//! through it, and `cashdeskctl sync enrol|now|status` as operations staff use them.
//!
//! Needs the Debian packages `gnome-keyring dbus-daemon dbus-bin`. Without them the test says so
//! loudly and passes, unless CASHDESK_REQUIRE_KEYRING=1 (then it fails).

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
    sync::Arc,
};

use cashdesk::{
    desk::{LoginRequest, sync::SyncEnrolRequest},
    sync::token::{KeyringStore, Token, TokenStore},
};

use super::fake_ledger::{self, CODE, TOKEN};
use crate::common::staffed;

const CHILD: &str = "CASHDESK_KEYRING_CHILD";

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

#[test]
fn the_token_lives_in_the_os_keyring() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let missing: Vec<&str> = ["dbus-run-session", "gnome-keyring-daemon"].into_iter().filter(|t| !on_path(t)).collect();
    if !missing.is_empty() {
        let msg = format!(
            "\n\n*** KEYRING TEST NOT RUN: {missing:?} not found. Install the Debian packages \
             `gnome-keyring dbus-daemon dbus-bin` (listed in scripts/system-packages.txt). ***\n"
        );
        // Straight to stderr, not eprintln!: the test harness hides a passing test's eprintln output.
        let _ = writeln!(std::io::stderr(), "{msg}");
        assert!(std::env::var_os("CASHDESK_REQUIRE_KEYRING").is_none(), "{msg}");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let runtime = home.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    // The daemon's output goes to /dev/null: it forks, and inherited pipes would never close.
    let script = "printf '%s' cashdesk-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 \
                  && exec \"$0\" \"$@\"";
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "sync::keyring::keyring_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && stdout.contains("keyring child: ok"),
        "the keyring test failed inside its D-Bus session:\n{stdout}\n{stderr}"
    );
}

/// Runs only inside the D-Bus session made above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyring_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    // 1. The store itself: absent, stored, replaced, deleted.
    let store = KeyringStore;
    let terminal = "KT-TEST-01";
    assert_eq!(store.get(terminal).unwrap(), None);
    let first = Token::new("first-token-0123456789").unwrap();
    let second = Token::new("second-token-0123456789").unwrap();
    store.set(terminal, &first).unwrap();
    assert_eq!(store.get(terminal).unwrap(), Some(first));
    store.set(terminal, &second).unwrap();
    assert_eq!(KeyringStore.get(terminal).unwrap(), Some(second), "a new store instance reads the same entry");
    store.delete(terminal).unwrap();
    assert_eq!(store.get(terminal).unwrap(), None);
    store.delete(terminal).unwrap();

    // 2. The Desk enrols through the keyring (its default store), and syncs with the token from it.
    let (url, ledger) = fake_ledger::start().await;
    let c = staffed("2026-11-23T10:00:00+08:00").await;
    let desk = c.desk.clone().with_token_store(Arc::new(KeyringStore));
    let admin =
        desk.login(LoginRequest { username: "admin".into(), password: "Counter#2026".into() }).await.unwrap().token;
    desk.sync_enrol(SyncEnrolRequest { token: admin, url: url.clone(), code: CODE.into() }).await.unwrap();
    assert_eq!(KeyringStore.get("GY01-03").unwrap(), Some(Token::new(TOKEN).unwrap()));
    desk.sync_once().await.unwrap();
    assert!(desk.sync_state().await.unwrap().enrolled);
    desk.pool().close().await;
    assert_no_token_in(c.dir.path());

    // 3. cashdeskctl, as operations staff use it (another terminal code: another keyring entry).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ctl.sqlite");
    let ctl = move |args: Vec<String>, stdin: &'static str| {
        let db = db.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                crate::common::cashdeskctl(&db, &args, stdin, None)
            })
            .await
            .unwrap()
        }
    };
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    const PW: &str = "Zhanggui#2026\n";
    let init = ctl(s(&["init", "--terminal", "GY01-04", "--admin", "admin"]), PW).await;
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let admin = |rest: &[&str]| s(&[&["--user", "admin"], rest].concat());
    // With a keyring, `init` made the counter's keys there (the data key and the receipt key).
    assert!(!String::from_utf8_lossy(&init.stderr).contains("KEYRING_UNAVAILABLE"), "{init:?}");
    let out = ctl(admin(&["datakey", "status"]), PW).await;
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && status.contains("key store: OS keyring"), "{status}");
    assert!(!status.contains("found -") && !status.contains('('), "both keys found, no problem: {status}");
    let out = ctl(admin(&["sync", "now"]), PW).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SYNC_NOT_ENROLLED"), "{out:?}");
    let out = ctl(admin(&["sync", "enrol", "--url", &url, "--code", CODE]), PW).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    assert_eq!(KeyringStore.get("GY01-04").unwrap(), Some(Token::new(TOKEN).unwrap()));
    let out = ctl(admin(&["sync", "now"]), PW).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ctl(admin(&["sync", "status", "--json"]), PW).await;
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["enrolled"], true, "{status}");
    assert_eq!(status["waiting"], 0);
    assert!(status["last_success"].is_string() && status["last_error"].is_null(), "{status}");
    ledger.lock().unwrap().revoked = true;
    let out = ctl(admin(&["sync", "now"]), PW).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SYNC_UNAUTHORIZED"), "{out:?}");
    let out = ctl(admin(&["sync", "status", "--json"]), PW).await;
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["last_error"]["code"], "SYNC_UNAUTHORIZED", "{status}");
    assert_eq!(status["last_error"]["retryable"], false);
    assert_no_token_in(dir.path());
    println!("keyring child: ok");
}

fn assert_no_token_in(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "the token is in {}", path.display());
        }
    }
}
