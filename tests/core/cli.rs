//! The `cashdeskctl` binary as operations staff and scripts use it: exit codes, stdout, stderr.

use std::process::Output;

struct Ctl {
    dir: tempfile::TempDir,
}

impl Ctl {
    fn new() -> Ctl {
        Ctl { dir: tempfile::tempdir().unwrap() }
    }

    /// Run with `args`, `stdin` piped in, HOME and XDG_* inside the temp dir.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let home = self.dir.path();
        crate::common::cashdeskctl(&home.join("cashdesk.sqlite"), args, stdin, Some(home))
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

#[test]
fn init_import_quote_json_and_a_rejected_import() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--terminal", "GY01-03"], "");
    let dir = ctl.dir.path();
    std::fs::write(dir.join("a.csv"), crate::common::ACCOUNTS_CSV).unwrap();
    std::fs::write(dir.join("b.csv"), crate::common::BILLS_CSV).unwrap();
    assert_eq!(ctl.ok(&["import", "accounts", dir.join("a.csv").to_str().unwrap()], ""), "Imported 4 accounts.\n");
    ctl.ok(&["import", "bills", dir.join("b.csv").to_str().unwrap()], "");
    let json: serde_json::Value =
        serde_json::from_str(&ctl.ok(&["--json", "quote", "3100000002", "--on", "2026-01-10"], "")).unwrap();
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
    let err = ctl.fails(&["import", "bills", dir.join("bad.csv").to_str().unwrap()], "");
    assert!(err.contains("line 2, column due_date"), "{err}");
}

#[test]
fn a_cash_payment_from_the_command_line() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--demo"], "");
    ctl.ok(&["shift", "open", "--user", "cashier1", "--float", "500"], "Cashier#2026\n");
    let quote: serde_json::Value = serde_json::from_str(&ctl.ok(&["--json", "quote", "3100000001"], "")).unwrap();
    let total = quote["total"].as_str().unwrap().to_string();
    let paid: serde_json::Value = serde_json::from_str(&ctl.ok(
        &[
            "--json",
            "collect",
            "3100000001",
            "--user",
            "cashier1",
            "--method",
            "cash",
            "--amount",
            &total,
            "--tendered",
            &total,
        ],
        "Cashier#2026\n",
    ))
    .unwrap();
    assert!(paid["receipt_no"].as_str().unwrap().starts_with("DEMO-01-"), "{paid}");
    assert!(paid["lines"].as_array().unwrap().iter().all(|l| l["kind"] == "late_fee" || l["kind"] == "principal"));
    let after: serde_json::Value = serde_json::from_str(&ctl.ok(&["--json", "quote", "3100000001"], "")).unwrap();
    assert_eq!(after["total"], "0.00", "paying the quoted total settles the account");
    let err = ctl.fails(&["collect", "3100000001", "--user", "cashier1", "--amount", "1"], "wrong-password\n");
    assert!(err.contains("AUTH_INVALID"), "{err}");
    let err = ctl.fails(&["collect", "3100000001", "--user", "cashier1", "--amount", "1"], "");
    assert!(err.contains("standard input"), "no password on stdin says where to put it: {err}");
}

#[test]
fn sync_status_and_sync_now_before_enrolment() {
    let ctl = Ctl::new();
    ctl.ok(&["init", "--terminal", "GY01-03"], "");
    let status: serde_json::Value = serde_json::from_str(&ctl.ok(&["sync", "status", "--json"], "")).unwrap();
    assert_eq!(status["enrolled"], false, "{status}");
    assert_eq!(status["waiting"], 0);
    assert_eq!(status["cursor"], "");
    assert!(status["last_success"].is_null() && status["last_error"].is_null(), "{status}");
    let err = ctl.fails(&["sync", "now"], "");
    assert!(err.contains("SYNC_NOT_ENROLLED"), "{err}");
    let err = ctl.fails(&["sync", "enrol", "--url", "ftp://ledger", "--code", "X"], "nobody\nwrong\n");
    assert!(err.contains("AUTH_INVALID"), "the administrator is checked first: {err}");
}
