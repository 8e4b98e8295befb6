//! Where a counter keeps its keys (`cashdesk::keystore`, issue 17 §3): never silently a file.
//! Without an OS keyring and without a file store an administrator chose, what needs a key is
//! refused with `KEYRING_UNAVAILABLE` and nothing is written; `cashdeskctl datakey file-store`
//! takes only an absolute path outside the data directory and copies the keys in use there; the
//! receipt's verification code is 80 bits of HMAC in four groups of four, stored with the
//! payment and the same on a reprint.
//!
//! The `cashdeskctl` runs are hermetic (`common::cashdeskctl` with a home: no D-Bus session, so
//! no keyring, and never the developer's own).

use std::path::{Path, PathBuf};

use base64::Engine;
use cashdesk::{
    datakey::KeySource,
    desk::{
        Desk, InitOptions,
        printing::ReceiptRequest,
        refunds::{RefundDocRequest, RefundSubmitRequest},
        shift::OpenShiftRequest,
    },
    payments::{CollectRequest, Method, VendRequest},
    print::RefundDocKind,
    refunds::Reason,
    sync::wire::RefundDocs,
    users::approval::ApprovalInput,
};

use crate::common::{ACCOUNTS_CSV, BILLS_CSV, PW, token, with_accounts};

/// Crockford's base32, as `payments::code` prints it.
const BASE32: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 16 base32 characters in four groups of four, one space between groups.
fn is_code(code: &str) -> bool {
    let groups: Vec<&str> = code.split(' ').collect();
    groups.len() == 4 && groups.iter().all(|g| g.len() == 4 && g.chars().all(|c| BASE32.contains(c)))
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn count(db: &Path, sql: &str) -> i64 {
    let pool = cashdesk::store::open(db).await.unwrap();
    let n: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n.0
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A counter set up with `cashdeskctl` on a computer with no keyring: the administrator `admin`
/// and the cashier `cashier1`, nothing else.
struct NoKeyring {
    home: tempfile::TempDir,
}

const ADMIN_PW: &str = "Zhanggui#2026";

impl NoKeyring {
    fn new() -> NoKeyring {
        let n = NoKeyring { home: tempfile::tempdir().unwrap() };
        let init = n.run(&["init", "--terminal", "GY01-03", "--admin", "admin"], &format!("{ADMIN_PW}\n"));
        assert!(init.status.success(), "{}", stderr(&init));
        assert!(
            stderr(&init).contains("KEYRING_UNAVAILABLE"),
            "init says at once that the keys cannot be kept: {}",
            stderr(&init)
        );
        let add = n.admin(&["user", "add", "cashier1", "--role", "cashier"], &format!("{PW}\n"));
        assert!(add.status.success(), "{}", stderr(&add));
        n
    }

    fn db(&self) -> PathBuf {
        self.home.path().join("data/cashdesk.sqlite")
    }

    fn run(&self, args: &[&str], stdin: &str) -> std::process::Output {
        crate::common::cashdeskctl(&self.db(), args, stdin, Some(self.home.path()))
    }

    /// As the administrator; `more` is what the command reads after the password.
    fn admin(&self, args: &[&str], more: &str) -> std::process::Output {
        self.run(&[&["--user", "admin"], args].concat(), &format!("{ADMIN_PW}\n{more}"))
    }

    fn cashier(&self, args: &[&str]) -> std::process::Output {
        self.run(&[&["--user", "cashier1"], args].concat(), &format!("{PW}\n"))
    }

    /// Write `text` to a file in the home directory and return its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

#[tokio::test]
async fn without_a_keyring_or_a_file_store_what_needs_a_key_is_refused_and_nothing_is_written() {
    let n = NoKeyring::new();
    let db = n.db();
    let audit_before = count(&db, "SELECT COUNT(*) FROM audit_log").await;

    // Accounts with ID-card numbers: refused whole, saying how to enable a keyring or a file store.
    let accounts = n.file("a.csv", ACCOUNTS_CSV);
    let o = n.admin(&["import", "accounts", &accounts], "");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("KEYRING_UNAVAILABLE"), "{err}");
    assert!(err.contains("cashdeskctl datakey file-store --path"), "the message says what to do: {err}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts").await, 0, "no account of the file is stored");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM audit_log WHERE action = 'import.accounts'").await,
        0,
        "no import happened"
    );

    // The same accounts without their ID numbers need no key; then a payment needs its code's key.
    let without_ids: String =
        ACCOUNTS_CSV.lines().map(|l| l.replace("11010519491231002X", "")).collect::<Vec<_>>().join("\n");
    let o = n.admin(&["import", "accounts", &n.file("a2.csv", &without_ids)], "");
    assert!(o.status.success(), "accounts without ID numbers need no key: {}", stderr(&o));
    let o = n.admin(&["import", "bills", &n.file("b.csv", BILLS_CSV)], "");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = n.cashier(&["shift", "open", "--float", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = (
        count(&db, "SELECT COUNT(*) FROM audit_log").await,
        count(&db, "SELECT COUNT(*) FROM outbox").await,
        count(&db, "SELECT COALESCE(SUM(paid_fen), 0) FROM bills").await,
    );
    assert!(before.0 > audit_before);
    for args in [
        &["collect", "3100000001", "--amount", "100", "--exact"][..],
        &["vend", "3100000003", "--amount", "100", "--exact"][..],
    ] {
        let o = n.cashier(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains("KEYRING_UNAVAILABLE"), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM payments").await, 0, "no payment, no receipt number used");
    let after = (
        count(&db, "SELECT COUNT(*) FROM audit_log").await,
        count(&db, "SELECT COUNT(*) FROM outbox").await,
        count(&db, "SELECT COALESCE(SUM(paid_fen), 0) FROM bills").await,
    );
    // The two refused attempts' log-ins and log-outs are audited; nothing else is written.
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE seq > {} AND action NOT IN ('login.ok', 'logout')",
                before.0
            )
        )
        .await,
        0,
        "only log-ins and log-outs after the refusals"
    );
    assert_eq!((after.1, after.2), (before.1, before.2), "no event for the ledger, no bill paid");

    // Never silently a file: no key was written anywhere, and none recorded.
    let keys: Vec<PathBuf> =
        files_under(n.home.path()).into_iter().filter(|p| p.to_string_lossy().ends_with("key")).collect();
    assert!(keys.is_empty(), "no key file was made: {keys:?}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM settings WHERE key IN ('data_key_id', 'receipt_key_id', 'receipt_secret')")
            .await,
        0
    );
    let status = n.admin(&["datakey", "status"], "");
    assert!(status.status.success(), "{}", stderr(&status));
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("key store: OS keyring") && status.contains("KEYRING_UNAVAILABLE"), "{status}");

    // An administrator chooses a file store outside the data directory: everything works.
    let store = n.home.path().join("keys");
    let o = n.admin(&["datakey", "file-store", "--path", store.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = n.cashier(&["collect", "3100000001", "--amount", "100", "--exact"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = n.admin(&["import", "accounts", &n.file("a3.csv", &ACCOUNTS_CSV.replace("31000000", "32000000"))], "");
    assert!(o.status.success(), "ID numbers are kept once a store is chosen: {}", stderr(&o));
    let mut made: Vec<String> =
        files_under(&store).iter().map(|p| p.extension().unwrap().to_string_lossy().into_owned()).collect();
    made.sort();
    assert_eq!(made, ["auditkey", "datakey", "receiptkey"], "the three keys are in the chosen store");
}

#[tokio::test]
async fn the_file_store_is_chosen_only_outside_the_data_directory_and_the_keys_follow() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let db = c.db_path();
    // A payment and a refund request: an ID number and a payee's account number are sealed.
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    let refund = c
        .desk
        .submit_refund(RefundSubmitRequest {
            token: t.clone(),
            account_no: "3100000002".into(),
            reason: Reason::Overpaid,
            reason_text: None,
            amount: "10.00".into(),
            payee_name: None,
            payee_reason: None,
            payee_bank: "中国工商银行".into(),
            payee_branch: "示范市城关支行".into(),
            payee_account: "6222 0212 3456 7890 123".into(),
            docs: RefundDocs { closure_form: false, id_card: true, original_receipt: true },
            duplicate_of: None,
        })
        .await
        .unwrap();
    c.desk.pool().close().await;
    let home = tempfile::tempdir().unwrap();
    let ctl = |path: &str| {
        crate::common::cashdeskctl(
            &db,
            &["--user", "admin", "datakey", "file-store", "--path", path],
            &format!("{PW}\n"),
            Some(home.path()),
        )
    };
    let recorded = || async { count(&db, "SELECT COUNT(*) FROM settings WHERE key = 'key_store_dir'").await };

    let inside = c.dir.path().join("keys2");
    for (path, why) in [("keys2", "not an absolute path"), (inside.to_str().unwrap(), "inside the data directory")] {
        let o = ctl(path);
        assert_eq!(o.status.code(), Some(1), "{path}");
        assert!(stderr(&o).contains("INPUT_INVALID") && stderr(&o).contains(why), "{path}: {}", stderr(&o));
    }
    assert!(!inside.exists(), "a refused place is not made");
    assert_eq!(recorded().await, 1, "still the one store recorded");

    let outside = tempfile::tempdir().unwrap();
    let store = outside.path().join("cashdesk-keys");
    let o = ctl(store.to_str().unwrap());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("key store: files in {}", store.display())));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store), 0o700, "the store is owner-only");
        for f in files_under(&store) {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
    let pool = cashdesk::store::open(&db).await.unwrap();
    let dir: (String,) =
        sqlx::query_as("SELECT value FROM settings WHERE key = 'key_store_dir'").fetch_one(&pool).await.unwrap();
    assert_eq!(Path::new(&dir.0), store.canonicalize().unwrap());
    let moved: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'keys.file_store'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(moved.0, 2, "the test's own choice, then the administrator's");
    pool.close().await;

    // The keys were copied, not made anew: with the old store gone, what was sealed still opens.
    std::fs::remove_dir_all(c.dir.path().join("keys")).unwrap();
    let desk = Desk::open(&db, InitOptions { terminal: None, utility: None }).await.unwrap();
    let pool = desk.pool();
    let (id, sealed): (String, String) = sqlx::query_as(
        "SELECT (SELECT value FROM settings WHERE key = 'database_id'), id_number FROM accounts WHERE account_no = '3100000001'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let (key, _) = KeySource::File(store.join(format!("{id}.datakey"))).load(None).unwrap();
    assert_eq!(key.open(cashdesk::accounts::db::ID_NUMBER_COLUMN, &sealed).unwrap(), "11010519491231002X");
    let form = desk
        .refund_pdf(RefundDocRequest {
            token: token(&desk, "cashier1").await,
            request_no: refund.request_no.clone(),
            doc: RefundDocKind::Form,
        })
        .await
        .unwrap();
    let pdf = c.dir.path().join("form.pdf");
    std::fs::write(&pdf, base64::engine::general_purpose::STANDARD.decode(&form.pdf_base64).unwrap()).unwrap();
    let text = pdftotext(&pdf);
    assert!(text.contains("6222 0212 3456 7890 123"), "the payee's account number opens: {text}");
    // And the receipt key came along: the refund's stored code is printed, a new payment gets one.
    let (code,): (String,) = sqlx::query_as("SELECT verification_code FROM refunds").fetch_one(pool).await.unwrap();
    assert!(is_code(&code) && text.contains(&code), "{code}: {text}");
}

fn pdftotext(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext").arg("-layout").arg(path).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext (poppler-utils)");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_receipts_code_is_80_bits_in_groups_of_four_and_the_same_on_a_reprint() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = token(&c.desk, "cashier1").await;
    c.desk.open_shift(OpenShiftRequest { token: t.clone(), float: "0".into() }).await.unwrap();
    let pay = |account: &str| CollectRequest {
        token: t.clone(),
        account_no: account.into(),
        method: Method::Cash,
        amount: "10.00".into(),
        tendered: Some("10.00".into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    };
    let first = c.desk.collect(pay("3100000001")).await.unwrap();
    let second = c.desk.collect(pay("3100000001")).await.unwrap();
    let vend = c
        .desk
        .vend(VendRequest {
            token: t.clone(),
            account_no: "3100000003".into(),
            method: Method::Cash,
            amount: "10.00".into(),
            tendered: Some("10.00".into()),
            confirm_large: false,
            voucher: None,
            // Holiday cash (a Saturday, a bank-first account): the vend's slow path, approved.
            approval: Some(ApprovalInput { username: "super1".into(), password: PW.into() }),
        })
        .await
        .unwrap();
    let codes = [&first.verification_code, &second.verification_code, &vend.verification_code];
    for code in codes {
        assert!(is_code(code), "16 base32 characters in four groups: {code:?}");
    }
    assert!(
        codes[0] != codes[1] && codes[1] != codes[2] && codes[0] != codes[2],
        "same account, amount and cashier, another receipt: another code {codes:?}"
    );
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT receipt_no, verification_code FROM payments ORDER BY id")
            .fetch_all(c.desk.pool())
            .await
            .unwrap();
    assert_eq!(
        stored,
        [first.clone(), second.clone(), vend.clone()].map(|p| (p.receipt_no, p.verification_code)),
        "stored with its payment"
    );

    // Printed in its groups on every copy, the original and a reprint alike: the stored code.
    let mut texts = Vec::new();
    for name in ["original.pdf", "reprint.pdf"] {
        let out = c.dir.path().join(name);
        c.desk.print_receipt_to_file(&t, &first.receipt_no, &out).await.unwrap();
        texts.push(pdftotext(&out));
    }
    assert!(texts[1].contains("重打"), "the second print is a reprint");
    for text in &texts {
        assert_eq!(text.matches(&format!("校验码：{}", first.verification_code)).count(), 3, "{text}");
    }
    // A reprint by a desk opened afresh (the key loaded again) shows the same stored code.
    let again = Desk::open(&c.db_path(), InitOptions { terminal: None, utility: None }).await.unwrap();
    let pdf = again
        .receipt_pdf(ReceiptRequest { token: token(&again, "cashier1").await, receipt_no: first.receipt_no.clone() })
        .await
        .unwrap();
    let path = c.dir.path().join("preview.pdf");
    std::fs::write(&path, base64::engine::general_purpose::STANDARD.decode(&pdf.pdf_base64).unwrap()).unwrap();
    assert!(pdftotext(&path).contains(&first.verification_code));
}

const CHILD: &str = "CASHDESK_NO_KEYRING_CHILD";

/// Who takes money, and administrators, are told at log-in when the keys cannot be used; a finance
/// reviewer, who takes none, is not. Runs `no_keyring_child` in a child process of this test
/// binary with no D-Bus session (no keyring, and never the developer's own).
#[test]
fn log_in_without_usable_keys_tells_who_takes_money() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "keys::no_keyring_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, home.path())
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.path().join("run"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("no keyring child: ok"), "{stdout}\n{stderr}");
}

/// Runs only in the child process made above.
#[tokio::test]
async fn no_keyring_child() {
    let Some(home) = std::env::var_os(CHILD) else { return };
    let db = Path::new(&home).join("data/cashdesk.sqlite");
    let terminal = cashdesk::config::TerminalCode::parse("GY01-03").unwrap();
    let desk = Desk::open(&db, InitOptions { terminal: Some(terminal), utility: None }).await.unwrap();
    crate::common::add_staff(&desk).await;
    for (user, told) in [("cashier1", true), ("super1", true), ("admin", true), ("finance1", false)] {
        let login =
            desk.login(cashdesk::desk::LoginRequest { username: user.into(), password: PW.into() }).await.unwrap();
        let notice = login.notices.iter().find(|n| n.code == "KEYS_UNAVAILABLE");
        assert_eq!(notice.is_some(), told, "{user}: {:?}", login.notices);
        if let Some(n) = notice {
            assert_eq!(n.params.get("error").map(String::as_str), Some("KEYRING_UNAVAILABLE"), "{n:?}");
        }
        assert!(login.notices.iter().all(|n| n.code != "DATA_KEY_IN_FILE"), "no file store: {user}");
    }
    let err = desk.data_key().await.unwrap_err();
    assert_eq!(err.code(), "KEYRING_UNAVAILABLE", "{err}");
    assert!(files_under(Path::new(&home)).iter().all(|p| !p.to_string_lossy().ends_with("key")), "no key file");
    println!("no keyring child: ok");
}
