//! 柜台业务: the use-case layer a counter runs. The Tauri shell, the browser bridge, `cashdeskctl`
//! and the tests all call these methods; none of them talks to the database directly.
//!
//! Each method that acts for a person takes their session token, never a bare name, and checks
//! their role against the one role matrix (`users::rights`, through [`Desk::authorise`]) before it
//! looks at anything else; it runs its writes in one transaction and writes its audit entry, with
//! the person's user name, in that same transaction. The few methods without a session act for
//! nobody: `bootstrap_admin` and `seed_demo` (an empty database has no one to log in),
//! `sync_once` and `sync_state` (the background sync). The rules live in the domain modules;
//! the files here load, call and store: `session` (log-in, screen lock), `accounts`, `shift`,
//! `take` (payments and vends), `void`, `printing`, `users`, `data` (imports, calendar), `audit`,
//! `backup` (backups and restores), `sync`, and `commands`, the table the UI calls through. The
//! clock is read here (the counter's local time, `Clock::System`) and passed to the pure rules;
//! tests use `Clock::Manual`.

/// `Debug` for a request that carries a session token: the token never reaches a log line.
/// Defined before the submodules so that they all use it.
macro_rules! redact_token_debug {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { token: <redacted>, .. }"))
            }
        }
    )*};
}

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod commands;
pub mod data;
pub mod documents;
pub mod finance;
pub mod keys;
pub mod notices;
pub mod printing;
pub mod refunds;
pub mod report;
pub mod session;
pub mod shift;
pub mod sync;
pub mod take;
pub mod users;
pub mod void;

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, FixedOffset, Local, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::{
    Error, Result,
    accounts::{AccountDetail, quote::Quote},
    calendar::{Calendar, YearCalendar},
    config::{self, TerminalCode},
    policy::Policy,
    store,
    users::{Action, Language, UserInfo, db as users_db, password},
};

pub(crate) const SETTING_POLICY: &str = "policy";
/// This database's id in `settings`, made on first open (it names the database's keys).
pub const SETTING_DATABASE_ID: &str = "database_id";

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
    /// The screen locks after this many minutes without a key or a click (a counter setting).
    pub idle_lock_minutes: u32,
    /// The user's own language (界面语言), which their screens switch to after the log-in.
    pub language: Language,
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
    /// The CJK font for printing, located on first use (see `printing`).
    font: std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<crate::print::CjkFont>>>,
    /// Where the ledger token is kept (the OS keyring unless a test gives another store).
    tokens: Arc<dyn crate::sync::token::TokenStore>,
    /// The data key personal numbers are sealed with (`datakey`) and the receipt key, where the
    /// database keeps them (`keystore`), loaded on first use.
    keys: crate::keystore::Keys,
    /// The database file.
    db_path: std::path::PathBuf,
    /// One sync round at a time in this process (the background runner and "sync now").
    sync_lock: Arc<tokio::sync::Mutex<()>>,
    /// The token store was seen holding this terminal's token (read once, or set by enrolment): the
    /// status bar asks every few seconds and a keyring read is a D-Bus round trip. Only the
    /// positive answer is kept; an absent token is looked for again on the next ask.
    token_seen: Arc<std::sync::atomic::AtomicBool>,
    /// The notice runs printing now, each with its cancel flag (`notices`).
    notice_runs: notices::Runs,
    /// The spooler program instead of `lp` (`CASHDESK_LP`, or a test's printer).
    spooler: Option<String>,
    /// The program listing print queues instead of `lpstat` (`CASHDESK_LPSTAT`, or a test's).
    queue_lister: Option<String>,
    /// This process's open lock of the database (`store::hold`), held while any clone lives.
    lock: Arc<store::DbLock>,
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
        // Before the first connection: a restore in another process must not replace the file
        // under this one's connections (`store` module docs).
        let lock = store::hold(path).await?;
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
            // The utility's name is printed on every receipt: once a counter has users, it is
            // changed only by an administrator who logged in, never by a bare `init`.
            let mut conn = pool.acquire().await?;
            if users_db::count(&mut conn).await? > 0 {
                return Err(Error::AlreadyInitialised);
            }
            drop(conn);
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
        let keys = crate::keystore::Keys::new(path, database_id(&pool).await?, terminal.as_str());
        Ok(Desk {
            writer: store::writer_for(&pool),
            pool,
            terminal,
            utility,
            policy: Swappable::new(policy),
            calendar: Swappable::new(calendar),
            clock: Clock::System,
            demo,
            font: Default::default(),
            tokens: Arc::new(crate::sync::token::KeyringStore),
            keys,
            db_path: path.to_path_buf(),
            sync_lock: Default::default(),
            token_seen: Default::default(),
            notice_runs: Default::default(),
            spooler: std::env::var("CASHDESK_LP").ok().filter(|p| !p.is_empty()),
            queue_lister: std::env::var(crate::print::queues::LPSTAT_ENV).ok().filter(|p| !p.is_empty()),
            lock,
        })
    }

    /// Keep the ledger token in `tokens` instead of the OS keyring (tests where the keyring is not
    /// the thing under test).
    pub fn with_token_store(mut self, tokens: Arc<dyn crate::sync::token::TokenStore>) -> Desk {
        self.tokens = tokens;
        self.token_seen = Default::default();
        self
    }

    /// Keep this process's keys in `store` whatever the database recorded (tests where the keyring
    /// is not the thing under test, the ledger's demo). A database's own choice is made with
    /// [`Desk::choose_key_file_store`] (or [`Desk::use_key_files`] for the demo and tests).
    pub fn with_key_store(mut self, store: crate::keystore::KeyStore) -> Desk {
        self.keys = self.keys.clone().in_store(store);
        self
    }

    /// [`Desk::with_key_store`] with the data key in `source` and the other keys beside it.
    pub fn with_data_key_source(self, source: crate::datakey::KeySource) -> Desk {
        self.with_key_store(crate::keystore::KeyStore::beside(source))
    }

    /// This database's keys (for a sync `Engine` built outside the desk).
    pub fn data_keys(&self) -> crate::keystore::Keys {
        self.keys.clone()
    }

    /// The data key personal numbers are sealed with.
    pub async fn data_key(&self) -> Result<Arc<crate::datakey::DataKey>> {
        self.keys.data(&self.pool).await
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

    /// Print through `program` instead of `lp` (a test's printer).
    pub fn with_spooler(mut self, program: impl Into<String>) -> Desk {
        self.spooler = Some(program.into());
        self
    }

    /// List print queues with `program` instead of `lpstat` (a test's printers).
    pub fn with_queue_lister(mut self, program: impl Into<String>) -> Desk {
        self.queue_lister = Some(program.into());
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
        let key = self.keys.audit_in(&self.pool, conn).await?;
        crate::audit::append(
            conn,
            key.as_deref(),
            crate::audit::Entry { at: self.now(), terminal: self.terminal.as_str(), actor, action, subject, detail },
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

    /// The person behind a session token.
    pub async fn session(&self, token: &str) -> Result<Session> {
        let mut conn = self.pool.acquire().await?;
        self.session_on(&mut conn, token).await
    }

    /// The person behind a session token, read on a connection the caller holds.
    async fn session_on(&self, conn: &mut sqlx::SqliteConnection, token: &str) -> Result<Session> {
        let (user_id, user) = crate::users::session::user_of(conn, token, self.now()).await?;
        Ok(Session { user_id, user })
    }

    /// A supervisor's approval of `action` asked by `requester` (`users::approval`).
    pub(crate) async fn approve(
        &self,
        input: Option<&crate::users::approval::ApprovalInput>,
        requester: &Session,
        action: &'static str,
    ) -> Result<crate::users::approval::Approver> {
        self.approve_for(input, requester.user_id, &requester.user.username, action).await
    }

    /// [`Desk::approve`] for a request made by someone other than the session's user (a refund
    /// submitted earlier, decided at whichever screen the supervisor uses).
    pub(crate) async fn approve_for(
        &self,
        input: Option<&crate::users::approval::ApprovalInput>,
        requester_id: i64,
        requester: &str,
        action: &'static str,
    ) -> Result<crate::users::approval::Approver> {
        let audit_key = self.keys.audit(&self.pool).await?;
        crate::users::approval::check(
            &self.pool,
            &self.writer,
            input,
            crate::users::approval::Request {
                requester_id,
                requester,
                action,
                terminal: self.terminal.as_str(),
                now: self.now(),
                audit_key: audit_key.as_deref(),
            },
        )
        .await
    }

    /// The person behind a session token, if their role may do `action` (the role matrix,
    /// `users::rights`).
    pub async fn authorise(&self, token: &str, action: Action) -> Result<Session> {
        let s = self.session(token).await?;
        s.user.role.require(action)?;
        Ok(s)
    }
}

/// A free-text field a person typed: trimmed, `min..=max` characters, no control characters.
pub(crate) fn text(field: &'static str, s: &str, min: usize, max: usize) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(char::is_control) {
        return Err(Error::invalid(field, format!("give {min}-{max} characters")));
    }
    Ok(t.to_string())
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
    const SETTING: &str = SETTING_DATABASE_ID;
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

pub(crate) async fn hash_blocking(pw: String) -> Result<String> {
    tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| Error::Internal(format!("password hashing did not finish: {e}")))?
}
