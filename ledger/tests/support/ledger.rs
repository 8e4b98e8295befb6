//! A real ledger (the crate's router on its own PostgreSQL database, on a free loopback port) and
//! real counters (the core's `Desk` on SQLite files in temp dirs) for the sync tests.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
};

use cashdesk::{
    config::TerminalCode,
    desk::{Clock, Desk, InitOptions, LoginRequest, shift::OpenShiftRequest, users::AddUserRequest},
    payments::{CollectRequest, Method},
    sync::wire::{PushEvent, PushRequest, PushResponse},
    users::Role,
};
use cashdesk_ledger::{api::AppState, db, import, terminals};

use super::served::Served;
use chrono::DateTime;
use sqlx::PgPool;

pub const ACCOUNTS_CSV: &str =
    "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance
3100000001,张建国,示范市城关区人民路12号1栋2单元301室,residential,postpaid,0110000000001,1,13812345678,,0
3100000002,示范市华联商贸有限公司,示范市东城区解放路8号,commercial,postpaid,0110000000002,30,,,12.50
3100000003,示范市恒通机械制造有限公司,示范市开发区建设路100号,industrial,prepaid,0110000000003,400,,,5000
3100000004,前进村灌溉站,示范市郊区前进村3组,agricultural,postpaid,0110000000004,20,,,0
";

pub const BILLS_CSV: &str = "account_no,period,kwh,amount,due_date,paid
3100000001,202511,300,158.49,2025-12-20,0
3100000001,202512,320,169.06,2026-01-20,100.00
3100000002,202511,13298,10000.00,2025-12-15,0
3100000004,202512,2000,2000.00,2025-12-31,0
3100000004,202601,3000,3000.00,2026-01-15,0
";

/// An area (the test accounts are in GY01, the area of the GY01-xx terminals).
pub fn area(s: &str) -> cashdesk::config::Area {
    cashdesk::config::Area::parse(s).unwrap()
}

/// A cash payment of exactly `amount` (no change) on `account`.
pub fn cash(token: &str, account: &str, amount: &str) -> CollectRequest {
    CollectRequest {
        token: token.into(),
        account_no: account.into(),
        method: Method::Cash,
        amount: amount.into(),
        tendered: Some(amount.into()),
        confirm_large: false,
        voucher: None,
        waive_late_fee: None,
        approval: None,
    }
}

/// A plain-HTTP client (reqwest is built without a crypto provider; install ring's once).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A ledger serving on loopback.
pub struct Ledger {
    pub url: String,
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub db_url: String,
    /// The ledger's data key (one per database, kept across restarts).
    pub key: Arc<cashdesk::datakey::DataKey>,
    /// The ledger's clock: the system's unless a test serves with a manual one.
    pub clock: Clock,
    served: Served,
}

/// The data key of the database at `db_url`: made on first use, the same for every ledger served
/// on that database in this test binary (as a real ledger finds its key file again).
pub fn key_for(db_url: &str) -> Arc<cashdesk::datakey::DataKey> {
    static KEYS: OnceLock<Mutex<HashMap<String, Arc<cashdesk::datakey::DataKey>>>> = OnceLock::new();
    let mut keys = KEYS.get_or_init(Default::default).lock().unwrap();
    keys.entry(db_url.to_string()).or_insert_with(|| Arc::new(cashdesk::datakey::DataKey::generate().unwrap())).clone()
}

impl Ledger {
    /// A new ledger on a fresh database, with the test accounts and bills imported.
    pub async fn start() -> Ledger {
        let db_url = super::pg::fresh_database_url().await;
        let pool = db::connect(&db_url, 10).await.unwrap();
        db::migrate(&pool).await.unwrap();
        import::accounts(&pool, &key_for(&db_url), ACCOUNTS_CSV.as_bytes(), Some(&area("GY01"))).await.unwrap();
        import::bills(&pool, BILLS_CSV.as_bytes()).await.unwrap();
        Ledger::serve(db_url, pool, "127.0.0.1:0".parse().unwrap()).await
    }

    /// Serve `pool` on `addr` (port 0: any free port) and wait until it answers.
    pub async fn serve(db_url: String, pool: PgPool, addr: SocketAddr) -> Ledger {
        Ledger::serve_with_clock(db_url, pool, addr, Clock::System).await
    }

    /// The same with the ledger's clock given (a manual one for overdue requests and sessions).
    pub async fn serve_with_clock(db_url: String, pool: PgPool, addr: SocketAddr, clock: Clock) -> Ledger {
        Ledger::serve_trusting(db_url, pool, addr, clock, Vec::new()).await
    }

    /// A new ledger as [`Ledger::start`] that believes the reverse proxies `proxies` about the
    /// client they forward for (`trusted_proxies`).
    pub async fn start_trusting(proxies: Vec<std::net::IpAddr>) -> Ledger {
        let db_url = super::pg::fresh_database_url().await;
        let pool = db::connect(&db_url, 10).await.unwrap();
        db::migrate(&pool).await.unwrap();
        Ledger::serve_trusting(db_url, pool, "127.0.0.1:0".parse().unwrap(), Clock::System, proxies).await
    }

    async fn serve_trusting(
        db_url: String,
        pool: PgPool,
        addr: SocketAddr,
        clock: Clock,
        proxies: Vec<std::net::IpAddr>,
    ) -> Ledger {
        let key = key_for(&db_url);
        let state = AppState {
            pool: pool.clone(),
            key: key.clone(),
            clock: clock.clone(),
            review: Default::default(),
            failures: Default::default(),
            trusted_proxies: proxies.into(),
        };
        let served = Served::start(state, addr).await.unwrap();
        Ledger { url: served.url.clone(), addr: served.addr, pool, db_url, key, clock, served }
    }

    /// Stop serving (the database stays).
    pub async fn stop(&mut self) {
        self.served.stop().await;
    }

    /// Enrol `terminal` and return its token.
    pub async fn token_for(&self, terminal: &str) -> String {
        let code = terminals::enrol(&self.pool, terminal, None).await.unwrap();
        terminals::exchange(&self.pool, terminal, &code).await.unwrap()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await.unwrap();
        n
    }
}

/// A counter for `terminal` with the test staff (password `Counter#2026`) and the test accounts.
pub struct Counter {
    pub desk: Desk,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    pub cashier: String,
}

/// A session of the counter's administrator.
pub async fn admin_token(desk: &Desk) -> String {
    desk.login(LoginRequest { username: "admin".into(), password: "Counter#2026".into() }).await.unwrap().token
}

pub async fn counter(terminal: &str, now: &str, with_accounts: bool) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(DateTime::parse_from_rfc3339(now).unwrap());
    let path = dir.path().join("cashdesk.sqlite");
    let desk = Desk::open(&path, InitOptions { terminal: Some(TerminalCode::parse(terminal).unwrap()), utility: None })
        .await
        .unwrap()
        // The data key in a file in the test's directory, never in the developer's own keyring.
        .with_data_key_source(cashdesk::datakey::KeySource::File(cashdesk::datakey::KeySource::file_for(&path)))
        .with_clock(clock.clone());
    desk.bootstrap_admin("admin", None, "Counter#2026").await.unwrap();
    let admin = admin_token(&desk).await;
    for (name, role) in [("cashier1", Role::Cashier), ("super1", Role::Supervisor)] {
        desk.add_user(AddUserRequest {
            token: admin.clone(),
            username: name.into(),
            display_name: None,
            role,
            password: "Counter#2026".into(),
        })
        .await
        .unwrap();
    }
    if with_accounts {
        desk.import_accounts(&admin, "accounts.csv", ACCOUNTS_CSV.as_bytes()).await.unwrap();
        desk.import_bills(&admin, "bills.csv", BILLS_CSV.as_bytes()).await.unwrap();
    }
    let cashier =
        desk.login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() }).await.unwrap().token;
    desk.open_shift(OpenShiftRequest { token: cashier.clone(), float: "500.00".into() }).await.unwrap();
    Counter { desk, clock, dir, cashier }
}

impl Counter {
    /// The outbox as push events (all, or only those not yet pushed), in seq order.
    pub async fn outbox(&self, only_waiting: bool) -> Vec<PushEvent> {
        let rows: Vec<(i64, String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, event_id, kind, terminal, payload, payload_sha256, created_at FROM outbox
             WHERE pushed_at IS NULL OR NOT ? ORDER BY seq",
        )
        .bind(only_waiting)
        .fetch_all(self.desk.pool())
        .await
        .unwrap();
        rows.into_iter()
            .map(|(seq, event_id, kind, terminal, payload, payload_sha256, created_at)| PushEvent {
                event_id,
                seq,
                kind,
                terminal,
                payload,
                payload_sha256,
                created_at,
                secret: None,
            })
            .collect()
    }
}

/// POST events with a token; the status and the parsed body (a PushResponse or an ApiError).
pub async fn push_raw(url: &str, token: &str, events: &[PushEvent]) -> (u16, serde_json::Value) {
    let r = http()
        .post(format!("{url}/v1/events"))
        .bearer_auth(token)
        .json(&PushRequest { events: events.to_vec(), audit: None })
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

pub async fn push(url: &str, token: &str, events: &[PushEvent]) -> PushResponse {
    let (status, body) = push_raw(url, token, events).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Wait until every change written so far is below the pull horizon. The horizon is the oldest
/// transaction still running in the whole cluster, and other tests run theirs at the same time on
/// other databases: until theirs end, a pull rightly holds back what was committed after they
/// began. A test that asserts what one pull brings waits for this first.
pub async fn settled(pool: &sqlx::PgPool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (done,): (bool,) = sqlx::query_as(
            "SELECT pg_snapshot_xmin(pg_current_snapshot()) > ALL (
                 SELECT txid FROM changes UNION ALL SELECT txid FROM change_sets UNION ALL SELECT txid FROM policy UNION ALL SELECT txid FROM calendar_years)",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if done {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the pull horizon did not pass the test's changes in 60 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
