//! Backups and restores (`cashdesk::backup`, `cashdeskctl backup|restore`) on real SQLite files:
//! a backup is consistent while another connection writes, a restore brings back exactly what was
//! backed up, and a restore refuses what is not a sound backup of this very counter, or a database
//! another process has open.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use cashdesk::{
    config::TerminalCode,
    desk::{Desk, InitOptions, TokenRequest, shift::OpenShiftRequest},
    payments::{CollectRequest, Method},
};
use sqlx::{ConnectOptions, Connection, sqlite::SqliteConnectOptions};

use crate::common::{Counter, PW, counter, token, with_accounts};

fn cash(token: &str, amount: &str) -> CollectRequest {
    CollectRequest {
        token: token.into(),
        account_no: "3100000001".into(),
        method: Method::Cash,
        amount: amount.into(),
        tendered: Some(amount.into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    }
}

type PaymentRow = (i64, String, String, i64, i64, String, i64);

/// Every payment, whole.
async fn payments(desk: &Desk) -> Vec<PaymentRow> {
    sqlx::query_as(
        "SELECT id, event_id, receipt_no, account_id, amount_fen, created_at, voided FROM payments ORDER BY id",
    )
    .fetch_all(desk.pool())
    .await
    .unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A raw SQLite connection to `file` (another program, or a file made by hand).
async fn raw(file: &Path, create: bool) -> sqlx::SqliteConnection {
    SqliteConnectOptions::new().filename(file).create_if_missing(create).connect().await.unwrap()
}

/// A copy of the SQLite file `good` with the start of every third page from the second on
/// overwritten (its b-tree page headers and cell pointers): what a bad disk or a bad copy does.
fn corrupt(good: &Path) -> std::path::PathBuf {
    let mut bytes = std::fs::read(good).unwrap();
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let pages = bytes.len() / page;
    assert!(pages > 4, "a counter database has more than a few pages");
    for p in (1..pages).step_by(3) {
        for b in &mut bytes[p * page..p * page + 64] {
            *b = 0x5a;
        }
    }
    let damaged = good.with_extension("damaged");
    std::fs::write(&damaged, &bytes).unwrap();
    damaged
}

/// No file of a restore is left behind in the data directory.
fn no_staging(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".restore-"), "a refused restore leaves no staged copy: {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_another_connection_writes_is_consistent_and_opens() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let db = c.db_path();
    // Another program writes in a loop, each transaction two rows that belong together.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, written, db) = (stop.clone(), written.clone(), db.clone());
        tokio::spawn(async move {
            let mut conn = SqliteConnectOptions::new()
                .filename(&db)
                .busy_timeout(std::time::Duration::from_secs(10))
                .connect()
                .await
                .unwrap();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let mut tx = conn.begin().await.unwrap();
                for half in ["a", "b"] {
                    sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?)")
                        .bind(format!("probe_{half}_{n}"))
                        .bind(n.to_string())
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                tx.commit().await.unwrap();
                n += 1;
                written.store(n, Ordering::Relaxed);
            }
            n
        })
    };
    while written.load(Ordering::Relaxed) < 20 {
        tokio::task::yield_now().await;
    }
    let out = c.dir.path().join("backup.sqlite");
    let (db2, out2, home) = (db.clone(), out.clone(), c.dir.path().to_path_buf());
    let before = written.load(Ordering::Relaxed);
    let o = tokio::task::spawn_blocking(move || {
        crate::common::cashdeskctl(
            &db2,
            &["--user", "admin", "backup", "--out", out2.to_str().unwrap()],
            &format!("{PW}\n"),
            Some(&home),
        )
    })
    .await
    .unwrap();
    let during = written.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    let total = writer.await.unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(during > 0, "the other connection wrote while the backup ran");
    for want in ["backup: ", "size: ", "terminal: GY01-03", "made at: ", "keys are NOT in this backup"] {
        assert!(stdout.contains(want), "the command prints {want:?}: {stdout}");
    }
    #[cfg(unix)]
    assert_eq!(mode(&out), 0o600, "a backup holds customers' names: owner-only");

    // The copy is one moment of the database: every transaction in it whole, and a prefix of them.
    let mut conn = raw(&out, false).await;
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
    assert_eq!(check, "ok");
    let (a, b): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM settings WHERE key LIKE 'probe_a_%'),
                (SELECT COUNT(*) FROM settings WHERE key LIKE 'probe_b_%')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(a, b, "no transaction is in the copy by half");
    assert!(a >= 20 && (a as u64) <= total, "the copy holds the first {a} of {total} transactions");
    let (max,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(CAST(value AS INTEGER)) FROM settings WHERE key LIKE 'probe_a_%'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(max, Some(a - 1), "a prefix: no gap");
    conn.close().await.unwrap();
    assert!(!Path::new(&format!("{}-wal", out.display())).exists(), "a backup is one file");

    // It opens as a counter database (a copy of it, so that the check leaves the backup alone).
    let copy = c.dir.path().join("opened.sqlite");
    std::fs::copy(&out, &copy).unwrap();
    let opened = Desk::open(&copy, InitOptions { terminal: None, utility: None }).await.unwrap();
    assert_eq!(opened.terminal().as_str(), "GY01-03");

    // Audited where it was made, with its size.
    let admin = token(&c.desk, "admin").await;
    let tail = c.desk.audit_tail(&admin, 5).await.unwrap();
    let made = tail.iter().find(|e| e.action == "backup.made").expect("backup.made is audited");
    let size = std::fs::metadata(&out).unwrap().len();
    assert!(made.detail.contains(&format!("\"size\":{size}")), "{}", made.detail);
    assert_eq!(made.actor, "admin");
}

#[tokio::test]
async fn a_backup_never_overwrites() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let admin = token(&c.desk, "admin").await;
    let out = c.dir.path().join("taken.sqlite");
    std::fs::write(&out, "someone's file").unwrap();
    let err = c.desk.backup(&admin, &out).await.unwrap_err();
    assert_eq!(err.code(), "BACKUP_EXISTS", "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "someone's file", "left as it was");
    // An empty file is taken (and made owner-only).
    let empty = c.dir.path().join("empty.sqlite");
    std::fs::write(&empty, "").unwrap();
    let made = c.desk.backup(&admin, &empty).await.unwrap();
    assert!(made.size > 0);
    #[cfg(unix)]
    assert_eq!(mode(&empty), 0o600);
}

#[tokio::test]
async fn a_restore_brings_back_exactly_the_backed_up_payments() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let cashier = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: cashier.clone(), float: "100.00".into() }).await.unwrap();
    c.desk.collect(cash(&cashier, "50.00")).await.unwrap();
    c.desk.collect(cash(&cashier, "20.00")).await.unwrap();
    let admin = token(&c.desk, "admin").await;
    let out = c.dir.path().join("backup.sqlite");
    let made = c.desk.backup(&admin, &out).await.unwrap();
    let backed_up = payments(&c.desk).await;
    assert_eq!(backed_up.len(), 2);

    // After the backup: a third payment, which the restore takes away.
    let third = c.desk.collect(cash(&cashier, "30.00")).await.unwrap();
    assert_eq!(payments(&c.desk).await.len(), 3);

    let db = c.db_path();
    let Counter { desk, dir, .. } = c;
    let (desk, restored) = desk.restore(&admin, &out).await.unwrap();
    assert_eq!(payments(&desk).await, backed_up, "exactly the backed-up payments, nothing more or less");
    assert_eq!(restored.backup_made_at.as_deref(), Some(made.made_at.as_str()));
    #[cfg(unix)]
    {
        assert_eq!(mode(&db), 0o600, "the restored database is owner-only");
        assert_eq!(mode(&std::path::PathBuf::from(format!("{}.lock", db.display()))), 0o600);
    }
    no_staging(dir.path());

    // Nobody stays logged in from before; the audit entry is in the restored database.
    let err = desk.current_shift(TokenRequest { token: cashier }).await.unwrap_err();
    assert_eq!(err.code(), "SESSION_EXPIRED", "sessions do not survive a restore");
    let admin = token(&desk, "admin").await;
    let tail = desk.audit_tail(&admin, 3).await.unwrap();
    let entry = tail.iter().find(|e| e.action == "backup.restored").expect("backup.restored is audited");
    assert_eq!(entry.actor, "admin");
    assert!(entry.detail.contains(out.to_str().unwrap()) && entry.detail.contains(&made.made_at), "{}", entry.detail);
    assert!(desk.audit_verify(&admin).await.is_ok(), "the chain goes on from the backup's head");

    // Receipt numbers restart from the backup's: the third payment's number is issued again.
    let cashier = token(&desk, "cashier1").await;
    let again = desk.collect(cash(&cashier, "30.00")).await.unwrap();
    assert_eq!(again.receipt_no, third.receipt_no, "the next number after the backup's");
}

#[tokio::test]
async fn a_restore_refuses_what_is_not_a_sound_backup_of_this_counter() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let admin = token(&c.desk, "admin").await;
    let dir = c.dir.path();

    // Another terminal's database.
    let other_dir = tempfile::tempdir().unwrap();
    let other = Desk::open(
        &other_dir.path().join("cashdesk.sqlite"),
        InitOptions { terminal: Some(TerminalCode::parse("GY01-04").unwrap()), utility: None },
    )
    .await
    .unwrap();
    let other_file = dir.join("other-terminal.sqlite");
    sqlx::query("VACUUM INTO ?").bind(other_file.to_str().unwrap()).execute(other.pool()).await.unwrap();
    let err = c.desk.restore(&admin, &other_file).await.unwrap_err();
    assert_eq!(err.code(), "BACKUP_OTHER_TERMINAL", "{err}");
    assert!(err.to_string().contains("GY01-04"), "{err}");

    // Another database of the same terminal code (a re-installed counter, say).
    let twin = counter("2026-01-10T09:00:00+08:00").await;
    let twin_file = dir.join("twin.sqlite");
    sqlx::query("VACUUM INTO ?").bind(twin_file.to_str().unwrap()).execute(twin.desk.pool()).await.unwrap();
    let err = c.desk.restore(&admin, &twin_file).await.unwrap_err();
    assert_eq!(err.code(), "BACKUP_OTHER_DATABASE", "{err}");

    // A damaged backup: bytes in the middle of its pages overwritten.
    let good = dir.join("good.sqlite");
    c.desk.backup(&admin, &good).await.unwrap();
    let damaged = corrupt(&good);
    let err = c.desk.restore(&admin, &damaged).await.unwrap_err();
    assert_eq!(err.code(), "BACKUP_DAMAGED", "{err}");

    // A file that is no database at all is damaged as far as a restore can tell.
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a database".repeat(100)).unwrap();
    assert_eq!(c.desk.restore(&admin, &text).await.unwrap_err().code(), "BACKUP_DAMAGED");

    // A sound SQLite file that is not a Cashdesk counter database.
    let foreign = dir.join("foreign.sqlite");
    let mut conn = raw(&foreign, true).await;
    sqlx::query("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)").execute(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO things (name) VALUES ('x')").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let err = c.desk.restore(&admin, &foreign).await.unwrap_err();
    assert_eq!(err.code(), "BACKUP_NOT_CASHDESK", "{err}");

    let err = c.desk.restore(&admin, &dir.join("missing.sqlite")).await.unwrap_err();
    assert_eq!(err.code(), "BACKUP_NOT_FOUND", "{err}");

    // Nothing was replaced, the counter works on, and no staged copy is left.
    no_staging(dir);
    assert_eq!(c.desk.audit_tail(&admin, 1).await.unwrap().len(), 1, "the database is still open and the same");
    assert!(c.desk.audit_verify(&admin).await.is_ok());

    // Another `Desk` of the same database in this process (a second window, a background task):
    // refused as well, since its connections would go on writing into the replaced file.
    let second = Desk::open(&c.db_path(), InitOptions { terminal: None, utility: None }).await.unwrap();
    let err = c.desk.restore(&admin, &good).await.unwrap_err();
    assert_eq!(err.code(), "DATABASE_IN_USE", "{err}");
    second.close().await;
    drop(second);

    // The good backup itself is accepted: the refusals were about the files, not the counter.
    let (_, restored) = c.desk.restore(&admin, &good).await.unwrap();
    assert_eq!(restored.terminal, "GY01-03");
}

#[test]
fn cashdeskctl_restores_only_when_no_other_process_has_the_database_open() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("data/cashdesk.sqlite");
    let run = |args: &[&str]| crate::common::cashdeskctl(&db, args, "Admin#2026\n", Some(home.path()));
    assert!(run(&["init", "--demo"]).status.success());
    let out = home.path().join("backup.sqlite");
    let o = run(&["--user", "admin", "backup", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The counter app (a `Desk` in this process) has the database open: refused, and says what to do.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let app = rt.block_on(Desk::open(&db, InitOptions { terminal: None, utility: None })).unwrap();
    let o = run(&["--user", "admin", "restore", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr.contains("[DATABASE_IN_USE]") && stderr.contains("close the counter app first"), "{stderr}");

    // Closed: the restore goes through.
    rt.block_on(app.close());
    drop(app);
    let o = run(&["--user", "admin", "restore", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("restored: ") && stdout.contains("backup made at: "), "{stdout}");

    // A damaged file is refused through the command too, with its code.
    let damaged = corrupt(&out);
    let o = run(&["--user", "admin", "restore", damaged.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("[BACKUP_DAMAGED]"), "{stderr}");
}
