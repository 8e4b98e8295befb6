//! 柜台业务: the use-case layer a counter runs. The Tauri shell, the browser bridge, `cashdeskctl`
//! and the tests all call these methods; none of them talks to the database directly.
//!
//! Each method that acts for a person takes their session token, checks the role in the core
//! (`Role::require`), runs its writes in one transaction and writes its audit entry in that same
//! transaction. The clock is read here (the counter's local time, `Clock::System`) and passed to the
//! pure rules; tests use `Clock::Manual`.

/// `Debug` for a request that carries a session token: the token never reaches a log line.
/// Defined before the submodules so `counter` and `printing` use it too.
macro_rules! redact_token_debug {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { token: <redacted>, .. }"))
            }
        }
    )*};
}

pub mod commands;
pub mod counter;
pub mod printing;
pub mod sync;

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Datelike, FixedOffset, Local, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::{
    Error, Result,
    accounts::{AccountDetail, AccountHit, AccountNo, db as accounts_db, import, quote::Quote},
    audit,
    calendar::{Calendar, YearCalendar},
    config::{self, TerminalCode},
    policy::Policy,
    store,
    users::{self, Permission, Role, UserInfo, db as users_db, lockout, password, session},
};

pub(crate) const SETTING_POLICY: &str = "policy";

/// The counter's clock.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The machine's local time, as at the counter.
    #[default]
    System,
    /// A settable time, for tests.
    Manual(Arc<Mutex<DateTime<FixedOffset>>>),
}

impl Clock {
    pub fn manual(at: DateTime<FixedOffset>) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        match self {
            Clock::System => Local::now().fixed_offset(),
            Clock::Manual(t) => match t.lock() {
                Ok(t) => *t,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// Move a manual clock (no effect on the system clock).
    pub fn set(&self, at: DateTime<FixedOffset>) {
        if let Clock::Manual(t) = self {
            match t.lock() {
                Ok(mut t) => *t = at,
                Err(poisoned) => *poisoned.into_inner() = at,
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AppInfo {
    pub terminal: String,
    pub utility: String,
    pub version: String,
    pub today: NaiveDate,
    pub demo: bool,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

/// Something the user must know after logging in (e.g. a missing holiday calendar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Notice {
    pub code: String,
    pub message: String,
    pub params: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LoginResult {
    pub token: String,
    pub user: UserInfo,
    pub notices: Vec<Notice>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    pub token: String,
    pub query: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AccountRequest {
    pub token: String,
    pub account_no: String,
}

redact_token_debug!(TokenRequest, SearchRequest, AccountRequest);

/// The account card and what it owes today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccountView {
    pub account: AccountDetail,
    pub quote: Quote,
}

/// A logged-in person at this terminal.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    pub user: UserInfo,
}

/// A user as `cashdeskctl user list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UserListing {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub locked_until: Option<String>,
    pub disabled: bool,
}

/// Options for creating or opening a counter database.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub terminal: Option<TerminalCode>,
    pub utility: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Desk {
    /// Reads (any number of connections).
    pool: SqlitePool,
    /// Writes: one connection (`store` module docs).
    writer: SqlitePool,
    terminal: TerminalCode,
    utility: String,
    /// Replaced as a whole when the ledger sends a new one (shared by every clone of this `Desk`).
    policy: Swappable<Policy>,
    /// Replaced as a whole when a year is loaded or the ledger sends one.
    calendar: Swappable<Calendar>,
    clock: Clock,
    demo: bool,
    /// Keys receipts' verification codes (校验码); made on first open, kept in `settings`.
    receipt_secret: String,
    /// The CJK font for printing, located on first use (see `printing`).
    font: std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<crate::print::CjkFont>>>,
    /// Where the ledger token is kept (the OS keyring unless a test gives another store).
    tokens: Arc<dyn crate::sync::token::TokenStore>,
    /// The data key personal numbers are sealed with (`datakey`), loaded on first use.
    keys: crate::datakey::DataKeys,
    /// The database file (its data key's fallback file sits next to it).
    db_path: std::path::PathBuf,
    /// One sync round at a time in this process (the background runner and "sync now").
    sync_lock: Arc<tokio::sync::Mutex<()>>,
    /// The token store was seen holding this terminal's token (read once, or set by enrolment): the
    /// status bar asks every few seconds and a keyring read is a D-Bus round trip. Only the
    /// positive answer is kept; an absent token is looked for again on the next ask.
    token_seen: Arc<std::sync::atomic::AtomicBool>,
}

/// A value read by every call and replaced as a whole: readers take an `Arc` and never wait on a
/// replacement in progress for longer than a pointer swap.
#[derive(Debug)]
struct Swappable<T>(Arc<std::sync::RwLock<Arc<T>>>);

impl<T> Clone for Swappable<T> {
    fn clone(&self) -> Swappable<T> {
        Swappable(self.0.clone())
    }
}

impl<T> Swappable<T> {
    fn new(v: T) -> Swappable<T> {
        Swappable(Arc::new(std::sync::RwLock::new(Arc::new(v))))
    }

    fn get(&self) -> Arc<T> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, v: T) {
        match self.0.write() {
            Ok(mut g) => *g = Arc::new(v),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(v),
        }
    }
}

impl Desk {
    /// Open (create and migrate if needed) the database at `path`. The terminal code must have been
    /// set, here through `init` or earlier by `cashdeskctl init --terminal`.
    pub async fn open(path: &Path, init: InitOptions) -> Result<Desk> {
        let pool = store::open(path).await?;
        if let Some(t) = &init.terminal {
            match store::setting(&pool, config::SETTING_TERMINAL).await? {
                // Shifts, receipt numbers and holiday cash are kept per terminal code: changing it
                // under an existing database would orphan them.
                Some(existing) if existing != t.as_str() => {
                    return Err(Error::invalid(
                        "terminal",
                        format!(
                            "this database belongs to terminal {existing}; a different counter needs its own database"
                        ),
                    ));
                }
                Some(_) => {}
                None => store::set_setting(&pool, config::SETTING_TERMINAL, t.as_str()).await?,
            }
        }
        if let Some(u) = &init.utility {
            let u = u.trim();
            if u.is_empty() || u.chars().count() > 60 {
                return Err(Error::invalid("utility", "give the utility's name, 1-60 characters"));
            }
            store::set_setting(&pool, config::SETTING_UTILITY, u).await?;
        }
        let terminal = match store::setting(&pool, config::SETTING_TERMINAL).await? {
            Some(t) => TerminalCode::parse(&t)?,
            None => {
                return Err(Error::invalid(
                    "terminal",
                    "this counter has no terminal code yet: run `cashdeskctl init --terminal CODE` (e.g. GY01-03)",
                ));
            }
        };
        let utility = store::setting(&pool, config::SETTING_UTILITY)
            .await?
            .unwrap_or_else(|| config::DEFAULT_UTILITY.to_string());
        let policy = load_policy(&pool).await?;
        let calendar = load_calendar(&pool).await?;
        let demo = store::setting(&pool, crate::demo::SETTING_DEMO).await?.is_some();
        let receipt_secret = crate::payments::db::receipt_secret(&pool).await?;
        let keys =
            crate::datakey::DataKeys::new(crate::datakey::KeySource::for_database(path, database_id(&pool).await?));
        Ok(Desk {
            writer: store::writer_for(&pool),
            pool,
            terminal,
            utility,
            policy: Swappable::new(policy),
            calendar: Swappable::new(calendar),
            clock: Clock::System,
            demo,
            receipt_secret,
            font: Default::default(),
            tokens: Arc::new(crate::sync::token::KeyringStore),
            keys,
            db_path: path.to_path_buf(),
            sync_lock: Default::default(),
            token_seen: Default::default(),
        })
    }

    /// Keep the ledger token in `tokens` instead of the OS keyring (tests where the keyring is not
    /// the thing under test).
    pub fn with_token_store(mut self, tokens: Arc<dyn crate::sync::token::TokenStore>) -> Desk {
        self.tokens = tokens;
        self.token_seen = Default::default();
        self
    }

    /// Keep the data key where `source` says instead of the OS keyring (tests where the keyring is
    /// not the thing under test).
    pub fn with_data_key_source(mut self, source: crate::datakey::KeySource) -> Desk {
        self.keys = crate::datakey::DataKeys::new(source);
        self
    }

    /// Where this database's data key comes from (for a sync `Engine` built outside the desk).
    pub fn data_keys(&self) -> crate::datakey::DataKeys {
        self.keys.clone()
    }

    /// The data key personal numbers are sealed with.
    pub async fn data_key(&self) -> Result<Arc<crate::datakey::DataKey>> {
        self.keys.get(&self.pool).await
    }

    /// Read the policy and the calendar again from the database (after the ledger sent new ones).
    pub async fn reload_policy_and_calendar(&self) -> Result<()> {
        let policy = load_policy(&self.pool).await?;
        let calendar = load_calendar(&self.pool).await?;
        self.policy.set(policy);
        self.calendar.set(calendar);
        Ok(())
    }

    pub fn with_clock(mut self, clock: Clock) -> Desk {
        self.clock = clock;
        self
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The database's writer (one connection): every write of this `Desk` goes through it.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    pub fn terminal(&self) -> &TerminalCode {
        &self.terminal
    }

    /// The policy in force now (a snapshot: a later replacement does not change it).
    pub fn policy(&self) -> Arc<Policy> {
        self.policy.get()
    }

    /// The holiday calendar in force now (a snapshot).
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar.get()
    }

    pub fn utility(&self) -> &str {
        &self.utility
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            terminal: self.terminal.to_string(),
            utility: self.utility.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            today: self.today(),
            demo: self.demo,
        }
    }

    async fn audit(
        &self,
        conn: &mut sqlx::SqliteConnection,
        actor: &str,
        action: &str,
        subject: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<()> {
        audit::append(
            conn,
            audit::Entry { at: self.now(), terminal: self.terminal.as_str(), actor, action, subject, detail },
        )
        .await
    }

    /// Write one audit entry in its own transaction (operations that change nothing else).
    async fn audit_alone(
        &self,
        actor: &str,
        action: &str,
        subject: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<()> {
        let mut tx = store::write_tx(&self.writer).await?;
        self.audit(&mut tx, actor, action, subject, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// 登录. Every attempt is audited; five failures in a row lock the user for 15 minutes, and the
    /// fifth failure itself answers `AUTH_LOCKED`.
    pub async fn login(&self, req: LoginRequest) -> Result<LoginResult> {
        let now = self.now();
        let username = req.username.trim().to_string();
        let mut conn = self.pool.acquire().await?;
        let user = users_db::by_name(&mut conn, &username).await?;
        drop(conn);
        let Some(user) = user else {
            // Same work as a real check, so timing does not tell which names exist.
            let _ = verify_blocking(req.password, DUMMY_HASH.to_string()).await;
            // A name that is no user may be a password typed in the wrong field: keep only a hash.
            self.audit_alone(
                UNKNOWN_USER,
                "login.failed",
                None,
                serde_json::json!({"reason": "unknown user", "name": name_digest(&username)}),
            )
            .await?;
            return Err(Error::AuthInvalid);
        };
        if user.disabled {
            self.audit_alone(&username, "login.failed", Some(&username), serde_json::json!({"reason": "disabled"}))
                .await?;
            return Err(Error::AuthDisabled);
        }
        if let Some(until) = lockout::locked(user.locked_until, now) {
            self.audit_alone(
                &username,
                "login.refused",
                Some(&username),
                serde_json::json!({"reason": "locked", "until": until.to_rfc3339()}),
            )
            .await?;
            return Err(Error::AuthLocked { until: until.format("%H:%M").to_string() });
        }
        let ok = verify_blocking(req.password, user.password_hash.clone()).await?;
        let mut tx = store::write_tx(&self.writer).await?;
        if !ok {
            // Read the count again under the write lock: parallel wrong guesses each count.
            let fresh = users_db::by_id(&mut tx, user.id).await?.ok_or(Error::AuthInvalid)?;
            let (failed, locked_until) = lockout::after_failure(fresh.failed_attempts, fresh.locked_until, now);
            users_db::set_failures(&mut tx, user.id, failed, locked_until).await?;
            self.audit(
                &mut tx,
                &username,
                "login.failed",
                Some(&username),
                serde_json::json!({"reason": "wrong password", "failed_attempts": failed}),
            )
            .await?;
            if let Some(until) = locked_until {
                self.audit(
                    &mut tx,
                    &username,
                    "user.locked",
                    Some(&username),
                    serde_json::json!({"until": until.to_rfc3339()}),
                )
                .await?;
                tx.commit().await?;
                tracing::warn!(user = %username, "user locked after repeated wrong passwords");
                return Err(Error::AuthLocked { until: until.format("%H:%M").to_string() });
            }
            tx.commit().await?;
            return Err(Error::AuthInvalid);
        }
        users_db::set_failures(&mut tx, user.id, 0, None).await?;
        let token = session::create(&mut tx, user.id, self.terminal.as_str(), now).await?;
        self.audit(&mut tx, &username, "login.ok", Some(&username), serde_json::json!({"role": user.info.role}))
            .await?;
        tx.commit().await?;
        tracing::info!(user = %username, "logged in");
        let notices = self.notices_for(user.info.role).await?;
        Ok(LoginResult { token, notices, user: user.info })
    }

    /// Notices shown after log-in. Everyone at this terminal is told about holiday cash due at the
    /// bank (and overdue); supervisors and administrators are told when the holiday calendar of this
    /// year, or from November on of next year, is not loaded; administrators when the data key had to
    /// go to a file (no OS keyring).
    async fn notices_for(&self, role: Role) -> Result<Vec<Notice>> {
        let today = self.today();
        let mut notices = Vec::new();
        for h in self.holiday_cash_due().await? {
            let overdue = h.due_on < today;
            notices.push(Notice {
                code: if overdue { "HOLIDAY_CASH_OVERDUE" } else { "HOLIDAY_CASH_DUE" }.into(),
                message: format!(
                    "holiday cash of receipt {} ({}) is due at the bank on {}{}",
                    h.receipt_no,
                    h.amount_left,
                    h.due_on,
                    if overdue {
                        " and is overdue: no holiday cash can be taken here until it is deposited"
                    } else {
                        ""
                    }
                ),
                params: [
                    ("receipt_no".to_string(), h.receipt_no.clone()),
                    ("amount".to_string(), h.amount_left.to_string()),
                    ("due_on".to_string(), h.due_on.to_string()),
                ]
                .into(),
            });
        }
        if matches!(role, Role::Supervisor | Role::Admin) {
            let last = if today.month() >= 11 { today.year() + 1 } else { today.year() };
            notices.extend(self.calendar().missing_years(today.year(), last).into_iter().map(|year| Notice {
                code: "CALENDAR_MISSING".into(),
                message: format!("the holiday calendar for {year} is not loaded: weekends count as days off until it is; ask an administrator to load it"),
                params: [("year".to_string(), year.to_string())].into(),
            }));
        }
        if role == Role::Admin
            && store::setting(&self.pool, crate::datakey::SETTING_KEY_KEPT).await?.as_deref() == Some("file")
        {
            notices.push(Notice {
                code: "DATA_KEY_IN_FILE".into(),
                message: format!(
                    "this computer has no OS keyring: the data key that encrypts ID-card numbers is in {}; keep that file out of backups of the database",
                    crate::datakey::KeySource::file_for(&self.db_path).display()
                ),
                params: [("file".to_string(), crate::datakey::KeySource::file_for(&self.db_path).display().to_string())]
                    .into(),
            });
        }
        Ok(notices)
    }

    /// The person behind a session token.
    pub async fn session(&self, token: &str) -> Result<Session> {
        let mut conn = self.pool.acquire().await?;
        self.session_on(&mut conn, token).await
    }

    /// The person behind a session token, read on a connection the caller holds.
    async fn session_on(&self, conn: &mut sqlx::SqliteConnection, token: &str) -> Result<Session> {
        let (user_id, user) = session::user_of(conn, token, self.now()).await?;
        Ok(Session { user_id, user })
    }

    /// 退出.
    pub async fn logout(&self, req: TokenRequest) -> Result<()> {
        let s = self.session(&req.token).await?;
        let mut tx = store::write_tx(&self.writer).await?;
        session::end(&mut tx, &req.token, self.now()).await?;
        self.audit(&mut tx, &s.user.username, "logout", Some(&s.user.username), serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// 查找用户: by 户号, meter number, or part of a name or address. Searches are not audited
    /// (each keystroke may search); opening an account is.
    pub async fn search_accounts(&self, req: SearchRequest) -> Result<Vec<AccountHit>> {
        let s = self.session(&req.token).await?;
        s.user.role.require(Permission::ViewAccounts, "look up accounts")?;
        if req.query.chars().count() > 100 {
            return Err(Error::invalid("query", "type at most 100 characters"));
        }
        let mut conn = self.pool.acquire().await?;
        accounts_db::search(&mut conn, &req.query).await
    }

    /// 用户信息与欠费: the account card and what it owes today. Audited.
    pub async fn account_view(&self, req: AccountRequest) -> Result<AccountView> {
        let s = self.session(&req.token).await?;
        s.user.role.require(Permission::ViewAccounts, "look up accounts")?;
        let no = AccountNo::parse(&req.account_no)?;
        let view = self.view(&no, self.today()).await?;
        self.audit_alone(
            &s.user.username,
            "account.view",
            Some(no.as_str()),
            serde_json::json!({"total": view.quote.total}),
        )
        .await?;
        Ok(view)
    }

    async fn view(&self, no: &AccountNo, on: NaiveDate) -> Result<AccountView> {
        let mut conn = self.pool.acquire().await?;
        let account = accounts_db::by_no(&mut conn, no)
            .await?
            .ok_or_else(|| Error::AccountNotFound { account_no: no.to_string() })?;
        let bills = accounts_db::open_bills(&mut conn, account.id).await?;
        let quote = crate::accounts::quote::quote(no, account.category, &bills, on, &self.policy().late_fee);
        Ok(AccountView { account: AccountDetail::from(&account), quote })
    }

    /// What an account owes on `on`, for operations staff (`cashdeskctl quote`). Audited.
    pub async fn quote(&self, actor: &str, account_no: &str, on: NaiveDate) -> Result<Quote> {
        let no = AccountNo::parse(account_no)?;
        let view = self.view(&no, on).await?;
        self.audit_alone(
            actor,
            "account.quote",
            Some(no.as_str()),
            serde_json::json!({"on": on, "total": view.quote.total}),
        )
        .await?;
        Ok(view.quote)
    }

    /// Add a user (administration through `cashdeskctl`).
    pub async fn add_user(
        &self,
        actor: &str,
        username: &str,
        display_name: Option<&str>,
        role: Role,
        password: &str,
    ) -> Result<UserInfo> {
        let username = users::validate_username(username)?;
        password::validate_new(password)?;
        let display_name = display_name.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(&username).to_string();
        if display_name.chars().count() > 40 {
            return Err(Error::invalid("display_name", "use at most 40 characters"));
        }
        let hash = hash_blocking(password.to_string()).await?;
        let info = UserInfo { username: username.clone(), display_name, role };
        let mut tx = store::write_tx(&self.writer).await?;
        users_db::insert(&mut tx, &info, &hash, self.now()).await?;
        self.audit(&mut tx, actor, "user.add", Some(&username), serde_json::json!({"role": role})).await?;
        tx.commit().await?;
        Ok(info)
    }

    pub async fn list_users(&self) -> Result<Vec<UserListing>> {
        let mut conn = self.pool.acquire().await?;
        let now = self.now();
        Ok(users_db::list(&mut conn)
            .await?
            .into_iter()
            .map(|u| UserListing {
                locked_until: lockout::locked(u.locked_until, now).map(|t| t.to_rfc3339()),
                username: u.info.username,
                display_name: u.info.display_name,
                role: u.info.role,
                disabled: u.disabled,
            })
            .collect())
    }

    /// Import an accounts CSV, all or nothing. Returns the number of accounts imported.
    pub async fn import_accounts(&self, actor: &str, source: &str, bytes: &[u8]) -> Result<u64> {
        let rows = import::parse_accounts(bytes)?;
        let key = self.data_key().await?;
        let mut tx = store::write_tx(&self.writer).await?;
        let n = import::write_accounts(&mut tx, &rows, &self.now().to_rfc3339(), &key).await?;
        self.audit(&mut tx, actor, "import.accounts", None, serde_json::json!({"file": source, "rows": n})).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Import a bills CSV, all or nothing. Returns the number of bills imported.
    pub async fn import_bills(&self, actor: &str, source: &str, bytes: &[u8]) -> Result<u64> {
        let rows = import::parse_bills(bytes)?;
        let mut tx = store::write_tx(&self.writer).await?;
        let n = import::write_bills(&mut tx, &rows).await?;
        self.audit(&mut tx, actor, "import.bills", None, serde_json::json!({"file": source, "rows": n})).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Seed the demo data if the database holds no accounts and no users yet. Returns whether it did.
    pub async fn seed_demo(&mut self, actor: &str) -> Result<bool> {
        let key = self.data_key().await?;
        let mut tx = store::write_tx(&self.writer).await?;
        let (accounts, _) = accounts_db::count(&mut tx).await?;
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await?;
        if accounts > 0 || users > 0 {
            return Ok(false);
        }
        crate::demo::seed(&mut tx, self.today(), &self.now().to_rfc3339(), &key).await?;
        self.audit(&mut tx, actor, "demo.seed", None, serde_json::json!({"accounts": crate::demo::ACCOUNTS})).await?;
        tx.commit().await?;
        self.demo = true;
        Ok(true)
    }

    /// Load a year's holiday notice (JSON, see `calendar::YearCalendar`). Replaces that year.
    pub async fn load_calendar_year(&self, actor: &str, json: &str) -> Result<i32> {
        let year = YearCalendar::from_json(json)?;
        let y = year.year;
        let mut tx = store::write_tx(&self.writer).await?;
        sqlx::query("INSERT INTO calendar_years (year, notice, loaded_at) VALUES (?, ?, ?) ON CONFLICT (year) DO UPDATE SET notice = excluded.notice, loaded_at = excluded.loaded_at")
            .bind(y)
            .bind(json)
            .bind(self.now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        self.audit(&mut tx, actor, "calendar.load", Some(&y.to_string()), serde_json::json!({})).await?;
        tx.commit().await?;
        let mut calendar = (*self.calendar()).clone();
        calendar.insert_year(year)?;
        self.calendar.set(calendar);
        Ok(y)
    }
}

async fn load_policy(pool: &SqlitePool) -> Result<Policy> {
    Ok(match store::setting(pool, SETTING_POLICY).await? {
        Some(json) => Policy::from_json(&json)?,
        None => Policy::default(),
    })
}

/// The shipped years, replaced or extended by the notices loaded into the database.
/// This database's id (`settings`), made on first open: it names the database's data key in the
/// OS keyring, so two databases (a re-installed counter, a test) never share a key.
async fn database_id(pool: &SqlitePool) -> Result<String> {
    const SETTING: &str = "database_id";
    if let Some(id) = store::setting(pool, SETTING).await? {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
        .bind(SETTING)
        .bind(&id)
        .execute(pool)
        .await?;
    // Another process may have made it first: theirs stands.
    store::setting(pool, SETTING).await?.ok_or_else(|| Error::Internal("the database id was not kept".into()))
}

async fn load_calendar(pool: &SqlitePool) -> Result<Calendar> {
    let mut calendar = Calendar::shipped();
    let years: Vec<(String,)> =
        sqlx::query_as("SELECT notice FROM calendar_years ORDER BY year").fetch_all(pool).await?;
    for (json,) in years {
        calendar.insert_year(YearCalendar::from_json(&json)?)?;
    }
    Ok(calendar)
}

/// The audit actor for a name that is no user.
pub(crate) const UNKNOWN_USER: &str = "(unknown)";

/// What the audit trail keeps of a name that is no user: the first 12 hex digits of its SHA-256.
pub(crate) fn name_digest(name: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(name.as_bytes()))[..12].to_string()
}

/// A valid argon2id hash of a random string, checked against when the user does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5bq8cGSmp0D6FvZhZ8bTd/bbdU9hEnCq45Yk4mzBIO8";

async fn verify_blocking(password: String, hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .map_err(|e| Error::Internal(format!("password check did not finish: {e}")))
}

async fn hash_blocking(pw: String) -> Result<String> {
    tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| Error::Internal(format!("password hashing did not finish: {e}")))?
}
