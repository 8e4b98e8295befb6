use cashdesk::{
    config::TerminalCode,
    desk::{Clock, Desk, InitOptions, LoginRequest, users::AddUserRequest},
    users::Role,
};
use chrono::{DateTime, FixedOffset};

pub struct Counter {
    pub desk: Desk,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
}

/// Run the `cashdeskctl` binary on the database `db` with `args`, `stdin` piped in. With `home`,
/// HOME and XDG_* point inside it and there is no D-Bus session, so no OS keyring (hermetic: never
/// the developer's own); without, the caller's environment stands (the keyring test runs inside its
/// own D-Bus session).
pub fn cashdeskctl(
    db: &std::path::Path,
    args: &[&str],
    stdin: &str,
    home: Option<&std::path::Path>,
) -> std::process::Output {
    use std::{io::Write, process::Stdio};
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cashdeskctl"));
    cmd.arg("--db").arg(db).args(args);
    if let Some(home) = home {
        cmd.env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("RUST_LOG");
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

impl Counter {
    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("cashdesk.sqlite")
    }
}

/// A fresh counter database `GY01-03` with a manual clock.
pub async fn counter(now: &str) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(at(now));
    let path = dir.path().join("cashdesk.sqlite");
    let desk =
        Desk::open(&path, InitOptions { terminal: Some(TerminalCode::parse("GY01-03").unwrap()), utility: None })
            .await
            .unwrap()
            .with_clock(clock.clone());
    // The keys in files in the test's directory, never in the developer's own keyring: chosen as the
    // demo chooses them (recorded and audited), so that every `Desk` and `cashdeskctl` opening this
    // database uses them.
    desk.use_key_files(&dir.path().join("keys"), "test").await.unwrap();
    let desk = desk.with_queue_lister(fake_lpstat(dir.path(), &["counter-1", "Counter-3"], None));
    Counter { desk, clock, dir }
}

/// A stand-in for CUPS `lpstat` in `dir` that lists the print queues `queues` (`-e`) and
/// `default` as the system's default (`-d`), as `lpstat` prints them.
pub fn fake_lpstat(dir: &std::path::Path, queues: &[&str], default: Option<&str>) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("lpstat-{}", queues.len()));
    let default = match default {
        Some(d) => format!("system default destination: {d}"),
        None => "no system default destination".to_string(),
    };
    let script = format!(
        "#!/bin/sh\ncase \"$1\" in\n  -e) printf '%s\\n' {} ;;\n  -d) echo '{default}' ;;\n  *) exit 1 ;;\nesac\n",
        queues.iter().map(|q| format!("'{q}'")).collect::<Vec<_>>().join(" ")
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// The test staff's password.
pub const PW: &str = "Counter#2026";

/// A session of `user` (password [`PW`]).
pub async fn token(desk: &Desk, user: &str) -> String {
    desk.login(LoginRequest { username: user.into(), password: PW.into() }).await.unwrap().token
}

/// The first administrator `admin`, then one user of each other role, as a counter gets them:
/// `init`, then the administrator adds the others.
pub async fn add_staff(desk: &Desk) {
    desk.bootstrap_admin("admin", None, PW).await.unwrap();
    let admin = token(desk, "admin").await;
    for (name, role) in [("cashier1", Role::Cashier), ("super1", Role::Supervisor), ("finance1", Role::Finance)] {
        desk.add_user(AddUserRequest {
            token: admin.clone(),
            username: name.into(),
            display_name: None,
            role,
            password: PW.into(),
        })
        .await
        .unwrap();
    }
    desk.logout(cashdesk::desk::TokenRequest { token: admin }).await.unwrap();
}

/// A counter with one user of each role, password [`PW`].
pub async fn staffed(now: &str) -> Counter {
    let c = counter(now).await;
    add_staff(&c.desk).await;
    c
}

pub const ACCOUNTS_CSV: &str = "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance
3100000001,张建国,示范市城关区人民路12号1栋2单元301室,residential,postpaid,0110000000001,1,13812345678,11010519491231002X,0
3100000002,示范市华联商贸有限公司,示范市东城区解放路8号,commercial,postpaid,0110000000002,30,,,12.50
3100000003,示范市恒通机械制造有限公司,示范市开发区建设路100号,industrial,prepaid,0110000000003,400,0311-86001234,,5000
3100000004,前进村灌溉站,示范市郊区前进村3组,agricultural,postpaid,0110000000004,20,,,0
";

pub const BILLS_CSV: &str = "account_no,period,kwh,amount,due_date,paid
3100000001,202511,300,158.49,2025-12-20,0
3100000001,202512,320,169.06,2026-01-20,100.00
3100000002,202511,13298,10000.00,2025-12-15,0
3100000004,202512,2000,2000.00,2025-12-31,0
3100000004,202601,3000,3000.00,2026-01-15,0
";

pub async fn with_accounts(now: &str) -> Counter {
    let c = staffed(now).await;
    let admin = token(&c.desk, "admin").await;
    c.desk.import_accounts(&admin, "accounts.csv", ACCOUNTS_CSV.as_bytes()).await.unwrap();
    c.desk.import_bills(&admin, "bills.csv", BILLS_CSV.as_bytes()).await.unwrap();
    c
}
