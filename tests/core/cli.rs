//! The `cashdeskctl` binary as operations staff and scripts use it: exit codes, stdout, stderr.

use std::process::Output;

struct Ctl {
    dir: tempfile::TempDir,
}

impl Ctl {
    fn new() -> Ctl {
        Ctl { dir: tempfile::tempdir().unwrap() }
    }

    /// The database, in a data directory of its own inside the temp dir.
    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("data/cashdesk.sqlite")
    }

    /// Run with `args`, `stdin` piped in, HOME and XDG_* inside the temp dir (no OS keyring).
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        crate::common::cashdeskctl(&self.db(), args, stdin, Some(self.dir.path()))
    }

    /// As an administrator would on a computer without a keyring: `user` (password `pw`) chooses
    /// the file store `keys` in the temp dir, outside the data directory.
    fn file_store(&self, user: &str, pw: &str) {
        let keys = self.dir.path().join("keys");
        let out = self.ok(&as_user(user, &["datakey", "file-store", "--path", keys.to_str().unwrap()]), pw);
        assert!(out.contains("key store: files in"), "{out}");
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert_eq!(out.status.code(), Some(1), "{args:?} must fail with status 1");
        assert!(out.stdout.is_empty(), "errors go to stderr only");
        String::from_utf8(out.stderr).unwrap()
    }
}

#[test]
fn words_and_calendar() {
    let ctl = Ctl::new();
    assert_eq!(ctl.ok(&["words", "1005.30"], ""), "人民币壹仟零伍元叁角整\n");
    assert_eq!(ctl.ok(&["calendar", "is-working-day", "2026-02-14"], ""), "true\n", "调休上班 Saturday");
    assert_eq!(ctl.ok(&["calendar", "is-working-day", "2026-02-16"], ""), "false\n", "Spring Festival");
    assert_eq!(ctl.ok(&["calendar", "next-working-day", "2026-02-14"], ""), "2026-02-24\n");
    let err = ctl.fails(&["words", "12.345"], "");
    assert!(err.contains("MONEY_DECIMALS"), "{err}");
    let err = ctl.fails(&["calendar", "is-working-day", "2026-2-14"], "");
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

const ADMIN_PW: &str = "Zhanggui#2026";

/// `--user NAME` before the command's own arguments.
fn as_user<'a>(user: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    [&["--user", user][..], args].concat()
}

#[test]
fn init_makes_the_first_administrator_once_and_import_needs_them() {
    let ctl = Ctl::new();
    let err = ctl.fails(&["init", "--terminal", "GY01-03"], "");
    assert!(err.contains("standard input"), "the first administrator's password is asked for: {err}");
    let err = ctl.fails(&["init", "--terminal", "GY01-03"], "short\n");
    assert!(err.contains("at least 10 characters"), "{err}");
    let out = ctl.ok(&["init", "--terminal", "GY01-03", "--admin", "wangli"], &format!("{ADMIN_PW}\n"));
    assert!(out.contains("administrator wangli added"), "{out}");
    // Once there is an administrator, `init` changes nothing, whoever runs it.
    let err = ctl.fails(&["init", "--terminal", "GY01-03", "--admin", "mallory"], "Mallory#2026x\n");
    assert!(err.contains("ALREADY_INITIALISED"), "{err}");
    let err = ctl.fails(&["init", "--terminal", "GY01-03", "--utility", "某公司"], "Mallory#2026x\n");
    assert!(err.contains("ALREADY_INITIALISED"), "the utility's name is not changed by a bare init: {err}");
    ctl.file_store("wangli", &format!("{ADMIN_PW}\n"));
    let dir = ctl.dir.path();
    std::fs::write(dir.join("a.csv"), crate::common::ACCOUNTS_CSV).unwrap();
    let a = dir.join("a.csv");
    let err = ctl.fails(&["import", "accounts", a.to_str().unwrap()], "");
    assert!(err.contains("--user"), "an import logs someone in: {err}");
    let err = ctl.fails(&as_user("wangli", &["import", "accounts", a.to_str().unwrap()]), "wrong-password\n");
    assert!(err.contains("AUTH_INVALID"), "{err}");
    let out = ctl.ok(&as_user("wangli", &["import", "accounts", a.to_str().unwrap()]), &format!("{ADMIN_PW}\n"));
    assert_eq!(out, "Imported 4 accounts.\n");
    let audit = ctl.ok(&as_user("wangli", &["--json", "audit", "tail", "-n", "3"]), &format!("{ADMIN_PW}\n"));
    assert!(audit.contains("\"import.accounts\"") && audit.contains("\"actor\": \"wangli\""), "{audit}");
    assert!(!audit.contains("cashdeskctl:"), "the audit names the person, not the OS account");
}

#[test]
fn init_import_quote_json_and_a_rejected_import() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--terminal", "GY01-03"], &format!("{ADMIN_PW}\n"));
    let admin = format!("{ADMIN_PW}\n");
    ctl.ok(&as_user("admin", &["user", "add", "wangfang", "--role", "cashier"]), &format!("{admin}Counter#2026\n"));
    ctl.file_store("admin", &admin);
    let dir = ctl.dir.path();
    std::fs::write(dir.join("a.csv"), crate::common::ACCOUNTS_CSV).unwrap();
    std::fs::write(dir.join("b.csv"), crate::common::BILLS_CSV).unwrap();
    ctl.ok(&as_user("admin", &["import", "accounts", dir.join("a.csv").to_str().unwrap()]), &admin);
    ctl.ok(&as_user("admin", &["import", "bills", dir.join("b.csv").to_str().unwrap()]), &admin);
    let err = ctl.fails(&as_user("admin", &["quote", "3100000002"]), &admin);
    assert!(err.contains("FORBIDDEN"), "an administrator sees no customer's account: {err}");
    let json: serde_json::Value = serde_json::from_str(
        &ctl.ok(&as_user("wangfang", &["--json", "quote", "3100000002", "--on", "2026-01-10"]), "Counter#2026\n"),
    )
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "account_no": "3100000002", "on": "2026-01-10",
            "bills": [{"period": "202511", "principal": "10000.00", "days_overdue": 26, "late_fee": "620.00"}],
            "principal_total": "10000.00", "late_fee_total": "620.00", "total": "10620.00"
        }),
        "exactly the documented shape, money as strings"
    );
    std::fs::write(
        dir.join("bad.csv"),
        "account_no,period,kwh,amount,due_date,paid\n3100000002,202601,1,1.00,2026-02-30,0\n",
    )
    .unwrap();
    let err = ctl.fails(&as_user("admin", &["import", "bills", dir.join("bad.csv").to_str().unwrap()]), &admin);
    assert!(err.contains("line 2, column due_date"), "{err}");
}

#[test]
fn a_cash_payment_from_the_command_line() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--demo"], "");
    let pw = "Cashier#2026\n";
    ctl.ok(&as_user("cashier1", &["shift", "open", "--float", "500"]), pw);
    let quote: serde_json::Value =
        serde_json::from_str(&ctl.ok(&as_user("cashier1", &["--json", "quote", "3100000001"]), pw)).unwrap();
    let total = quote["total"].as_str().unwrap().to_string();
    let err = ctl.fails(&as_user("cashier1", &["collect", "3100000001", "--amount", &total]), pw);
    assert!(err.contains("TENDERED_MISSING"), "an empty 实收 is not a payment: {err}");
    let paid: serde_json::Value = serde_json::from_str(&ctl.ok(
        &as_user("cashier1", &["--json", "collect", "3100000001", "--method", "cash", "--amount", &total, "--exact"]),
        pw,
    ))
    .unwrap();
    assert!(paid["receipt_no"].as_str().unwrap().starts_with("DEMO-01-"), "{paid}");
    assert!(paid["lines"].as_array().unwrap().iter().all(|l| l["kind"] == "late_fee" || l["kind"] == "principal"));
    // A document written to a file is owner-only, also over a file that was not (it names the customer).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let out = ctl.dir.path().join("receipt.pdf");
        std::fs::write(&out, b"").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        let no = paid["receipt_no"].as_str().unwrap();
        ctl.ok(&as_user("cashier1", &["receipt", "print", no, "--out", out.to_str().unwrap()]), pw);
        assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF"));
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let after: serde_json::Value =
        serde_json::from_str(&ctl.ok(&as_user("cashier1", &["--json", "quote", "3100000001"]), pw)).unwrap();
    assert_eq!(after["total"], "0.00", "paying the quoted total settles the account");
    let err =
        ctl.fails(&as_user("cashier1", &["collect", "3100000001", "--amount", "1", "--exact"]), "wrong-password\n");
    assert!(err.contains("AUTH_INVALID"), "{err}");
    let err = ctl.fails(&as_user("cashier1", &["collect", "3100000001", "--amount", "1", "--exact"]), "");
    assert!(err.contains("standard input"), "no password on stdin says where to put it: {err}");
    // A forgotten decimal point asks for a second confirmation, with both amounts in words.
    let err =
        ctl.fails(&as_user("cashier1", &["collect", "3100000001", "--amount", "188.43", "--tendered", "18843"]), pw);
    assert!(err.contains("TENDERED_CONFIRM") && err.contains("壹万捌仟陆佰伍拾肆元伍角柒分"), "{err}");
    let ok = ctl.ok(
        &as_user(
            "cashier1",
            &["--json", "collect", "3100000001", "--amount", "188.43", "--tendered", "18843", "--confirm-large"],
        ),
        pw,
    );
    assert!(ok.contains("\"change\": \"18654.57\""), "{ok}");
}

/// A differing count is refused with no amount anywhere a cashier sees it: not in the error, not
/// on stdout, not in any log line (at every level).
#[test]
fn a_differing_count_shows_no_amount_on_the_command_line() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--demo"], "");
    let pw = "Cashier#2026\n";
    ctl.ok(&as_user("cashier1", &["shift", "open", "--float", "500.37"]), pw);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cashdeskctl"));
    let home = ctl.dir.path();
    let out = {
        use std::io::Write;
        cmd.arg("--db")
            .arg(ctl.db())
            .args(as_user("cashier1", &["shift", "close", "--count", "100=5"]))
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("RUST_LOG", "trace")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(pw.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
    assert!(all.contains("COUNT_NEEDS_APPROVAL"), "{all}");
    for secret in ["500.37", "0.37", "-0.37", "500.00"] {
        let mentioned = all.lines().filter(|l| !l.contains("--float")).any(|l| mentions_amount(l, secret));
        assert!(!mentioned, "the expected cash or the difference ({secret}) leaked: {all}");
    }
    // The supervisor closes it with a reason; only then are the figures shown.
    let out = ctl.ok(
        &as_user("cashier1", &["shift", "close", "--count", "100=5", "--reason", "点钞差错", "--approver", "super1"]),
        "Cashier#2026\nSuper#2026\n",
    );
    assert!(out.contains("expected 500.37, counted 500.00, difference -0.37 (1 count(s))"), "{out}");
}

/// Whether `line` names `amount` as a number of its own: not as the tail of another number, as a
/// trace line's timing does ("elapsed=10.37µs" holds "0.37" but says nothing about money).
fn mentions_amount(line: &str, amount: &str) -> bool {
    line.match_indices(amount).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + amount.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn mentions_amount_sees_amounts_not_the_digits_of_timings() {
    assert!(mentions_amount("difference -0.37 (1 count(s))", "0.37"));
    assert!(mentions_amount("expected=500.37", "500.37"));
    assert!(mentions_amount("0.37", "0.37"));
    assert!(!mentions_amount("elapsed=10.37µs elapsed_secs=1.037e-5", "0.37"));
    assert!(!mentions_amount("at 09:20:13.971898Z", "0.37"));
    assert!(!mentions_amount("elapsed_secs=0.3701", "0.37"));
}

#[test]
fn users_are_managed_by_an_administrator_who_logged_in() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--demo"], "");
    let admin = "Admin#2026\n";
    let err = ctl.fails(&as_user("cashier1", &["user", "list"]), "Cashier#2026\n");
    assert!(err.contains("FORBIDDEN"), "{err}");
    let err = ctl
        .fails(&as_user("admin", &["user", "add", "wangfang", "--role", "cashier"]), &format!("{admin}wangfang2026\n"));
    assert!(err.contains("user name"), "the password policy: {err}");
    ctl.ok(&as_user("admin", &["user", "add", "wangfang", "--role", "cashier"]), &format!("{admin}Counter#2026\n"));
    ctl.ok(&as_user("wangfang", &["sync", "status"]), "Counter#2026\n");
    ctl.ok(&as_user("admin", &["user", "disable", "wangfang"]), admin);
    let err = ctl.fails(&as_user("wangfang", &["sync", "status"]), "Counter#2026\n");
    assert!(err.contains("AUTH_DISABLED"), "{err}");
    ctl.ok(&as_user("admin", &["user", "enable", "wangfang"]), admin);
    ctl.ok(&as_user("admin", &["user", "reset-password", "wangfang"]), &format!("{admin}Counter#2027x\n"));
    ctl.fails(&as_user("wangfang", &["sync", "status"]), "Counter#2026\n");
    ctl.ok(&as_user("wangfang", &["sync", "status"]), "Counter#2027x\n");
    ctl.ok(&as_user("admin", &["user", "role", "wangfang", "--role", "supervisor"]), admin);
    let list: serde_json::Value =
        serde_json::from_str(&ctl.ok(&as_user("admin", &["--json", "user", "list"]), admin)).unwrap();
    let wf = list.as_array().unwrap().iter().find(|u| u["username"] == "wangfang").unwrap().clone();
    assert_eq!((wf["role"].as_str(), wf["disabled"].as_bool()), (Some("supervisor"), Some(false)));
    let err = ctl.fails(&as_user("admin", &["user", "disable", "admin"]), admin);
    assert!(err.contains("yourself"), "{err}");
    for _ in 0..5 {
        ctl.fails(&as_user("wangfang", &["sync", "status"]), "wrong-password\n");
    }
    ctl.fails(&as_user("wangfang", &["sync", "status"]), "Counter#2027x\n");
    ctl.ok(&as_user("admin", &["user", "unlock", "wangfang"]), admin);
    ctl.ok(&as_user("wangfang", &["sync", "status"]), "Counter#2027x\n");
}

#[test]
fn sync_status_and_sync_now_before_enrolment() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--terminal", "GY01-03"], &format!("{ADMIN_PW}\n"));
    let admin = format!("{ADMIN_PW}\n");
    let status: serde_json::Value =
        serde_json::from_str(&ctl.ok(&as_user("admin", &["sync", "status", "--json"]), &admin)).unwrap();
    assert_eq!(status["enrolled"], false, "{status}");
    assert_eq!(status["waiting"], 0);
    assert_eq!(status["cursor"], "");
    assert!(status["last_success"].is_null() && status["last_error"].is_null(), "{status}");
    let err = ctl.fails(&as_user("admin", &["sync", "now"]), &admin);
    assert!(err.contains("SYNC_NOT_ENROLLED"), "{err}");
    let err = ctl.fails(&["sync", "now"], "");
    assert!(err.contains("--user"), "sync logs someone in: {err}");
    let err = ctl.fails(&as_user("nobody", &["sync", "enrol", "--url", "ftp://ledger", "--code", "X"]), "wrong\n");
    assert!(err.contains("AUTH_INVALID"), "the person is checked first: {err}");
}
