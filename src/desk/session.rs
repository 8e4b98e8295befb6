//! 登录与会话: logging in and out, the screen lock of an idle counter, the notices shown after a
//! log-in, and the counter settings every session reads (the idle time).
//!
//! Every log-in attempt is audited. A password is compared only after the attempt is counted, and
//! an unknown name, a locked user and a wrong password all answer `AUTH_INVALID` in the same time
//! (`users::credentials`); only the right password of a disabled user answers `AUTH_DISABLED`.
//!
//! 锁屏: the UI locks the session after the counter's idle time without a key or a click
//! (`lock_session`); while locked, every call with it answers `SESSION_LOCKED` (the core refuses,
//! whatever the UI shows). The same user's password unlocks it (`unlock_session`, counted toward
//! the lock-out like a log-in); anyone at the counter may log the locked session out instead, so
//! that another person can log in. The cashier's shift stays open either way.
//!
//! 界面语言: each user's own, kept with the user (`users.language`), sent with the log-in and
//! changed only by that user for themselves (`set_language`): a counter is shared by several
//! people, and one person's choice must not change another's screens.

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Desk, LoginRequest, LoginResult, Notice, TokenRequest};
use crate::{
    Error, Result, store,
    users::{
        Action, Language, Role, UserInfo,
        credentials::{self, Outcome, UNKNOWN_USER, name_digest},
        db as users_db, session,
    },
};

const SETTING_COUNTER: &str = "counter";

/// Settings of this counter that are not policy from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct CounterSettings {
    /// 锁屏: minutes without a key or a click before the screen locks (1-120, default 10).
    pub idle_lock_minutes: u32,
    /// 服务热线 printed on arrears notices (default 95598, the State Grid customer service line).
    pub hotline: String,
    /// 缴费地点及方式 printed on arrears notices.
    pub pay_where: String,
}

/// What an arrears notice says about where to pay until an administrator words it for the hall.
pub const DEFAULT_PAY_WHERE: &str = "请到供电营业厅收费窗口缴纳（现金或银行转账），缴费时请出示本通知单或告知户号。";

impl Default for CounterSettings {
    fn default() -> CounterSettings {
        CounterSettings { idle_lock_minutes: 10, hotline: "95598".into(), pay_where: DEFAULT_PAY_WHERE.into() }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SetCounterSettingsRequest {
    pub token: String,
    pub idle_lock_minutes: u32,
    /// Unchanged when absent.
    #[ts(optional)]
    pub hotline: Option<String>,
    /// Unchanged when absent.
    #[ts(optional)]
    pub pay_where: Option<String>,
}

/// The locked session's own user unlocking it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct UnlockRequest {
    pub token: String,
    pub password: String,
}

/// The logged-in user's own language.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SetLanguageRequest {
    pub token: String,
    /// `zh-CN` or `en`; anything else is refused (INPUT_INVALID, field `language`).
    #[ts(as = "Language")]
    pub language: String,
}

redact_token_debug!(SetCounterSettingsRequest, UnlockRequest, SetLanguageRequest);

impl Desk {
    /// 登录 (see the module docs).
    pub async fn login(&self, req: LoginRequest) -> Result<LoginResult> {
        let now = self.now();
        let username = req.username.trim().to_string();
        match credentials::check(&self.pool, &self.writer, &username, &req.password, now).await? {
            Outcome::Unknown => {
                // A name that is no user may be a password typed in the wrong field: keep only a hash.
                self.audit_alone(
                    UNKNOWN_USER,
                    "login.failed",
                    None,
                    json!({"reason": "unknown user", "name": name_digest(&username)}),
                )
                .await?;
                Err(Error::AuthInvalid)
            }
            Outcome::Locked { until, .. } => {
                self.audit_alone(
                    &username,
                    "login.refused",
                    Some(&username),
                    json!({"reason": "locked", "until": until.to_rfc3339()}),
                )
                .await?;
                Err(Error::AuthInvalid)
            }
            Outcome::Wrong { failed, locked_until, .. } => {
                let mut tx = store::write_tx(&self.writer).await?;
                self.audit(
                    &mut tx,
                    &username,
                    "login.failed",
                    Some(&username),
                    json!({"reason": "wrong password", "failed_attempts": failed}),
                )
                .await?;
                if let Some(until) = locked_until {
                    self.audit(
                        &mut tx,
                        &username,
                        "user.locked",
                        Some(&username),
                        json!({"until": until.to_rfc3339()}),
                    )
                    .await?;
                    tracing::warn!(user = %username, "user locked after repeated wrong passwords");
                }
                tx.commit().await?;
                Err(Error::AuthInvalid)
            }
            Outcome::Disabled(_) => {
                self.audit_alone(&username, "login.refused", Some(&username), json!({"reason": "disabled"})).await?;
                Err(Error::AuthDisabled)
            }
            Outcome::Ok(user) => {
                let mut tx = store::write_tx(&self.writer).await?;
                let token = session::create(&mut tx, user.id, self.terminal.as_str(), now).await?;
                self.audit(&mut tx, &username, "login.ok", Some(&username), json!({"role": user.info.role})).await?;
                tx.commit().await?;
                tracing::info!(user = %username, "logged in");
                let notices = self.notices_for(user.info.role).await?;
                let idle_lock_minutes = self.load_counter_settings().await?.idle_lock_minutes;
                let language = users_db::language(&mut *self.pool.acquire().await?, user.id).await?;
                Ok(LoginResult { token, notices, user: user.info, idle_lock_minutes, language })
            }
        }
    }

    /// Notices shown after log-in. Cashiers and supervisors are told when the counter has no
    /// printer. Everyone at this terminal is told about holiday cash due at the
    /// bank (and overdue); supervisors and administrators are told when the holiday calendar of this
    /// year, or from November on of next year, is not loaded; administrators when the keys are kept
    /// in a file store, and when the audit trail is broken (`audit_check`); everyone who takes money, and administrators, when the keys cannot be used
    /// (no keyring and no file store): the receipt key is loaded here, before the first payment
    /// needs it, so that a locked keyring asks for its password now.
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
        if role == Role::Supervisor {
            for d in self.deposits(true).await?.into_iter().filter(|d| d.overdue) {
                notices.push(Notice {
                    code: "DEPOSIT_OVERDUE".into(),
                    message: format!(
                        "the deposit of slip {} ({}, {}) made on {} is not confirmed by the centre yet: check it with the bank",
                        d.slip_no, d.bank, d.amount, d.deposited_at
                    ),
                    params: [
                        ("slip_no".to_string(), d.slip_no.clone()),
                        ("bank".to_string(), d.bank.clone()),
                        ("amount".to_string(), d.amount.to_string()),
                        ("deposited_at".to_string(), d.deposited_at.clone()),
                    ]
                    .into(),
                });
            }
        }
        // A counter without a printer prints no receipt: the cashier is told whom to ask at
        // log-in, not at the first payment.
        if matches!(role, Role::Cashier | Role::Supervisor) && self.load_print_settings().await?.printer.is_none() {
            notices.push(Notice {
                code: "PRINTER_NOT_SET".into(),
                message: "no printer is set for this counter: receipts cannot be printed until a supervisor picks one in Settings (F11)".into(),
                params: Default::default(),
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
            && let Some(dir) = self.key_files_dir().await?
        {
            notices.push(Notice {
                code: "DATA_KEY_IN_FILE".into(),
                message: format!(
                    "this counter's keys (the data key that encrypts ID-card and bank account numbers, and the receipt key) are kept in files in {}, as an administrator chose: keep that directory out of backups of the data directory, and back it up apart",
                    dir.display()
                ),
                params: [("file".to_string(), dir.display().to_string())].into(),
            });
        }
        if role == Role::Admin {
            self.audit_check().await?;
            if let Some((seq, why)) = self.audit_break().await? {
                notices.push(Notice {
                    code: "AUDIT_BROKEN".into(),
                    message: format!(
                        "the audit trail is broken at entry {seq} ({why}): it was edited, or entries were removed or reordered, outside Cashdesk; keep the database file as it is and report it"
                    ),
                    params: [("seq".to_string(), seq.to_string()), ("why".to_string(), why)].into(),
                });
            }
        }
        if matches!(role, Role::Cashier | Role::Supervisor | Role::Admin)
            && let Err(e @ (Error::KeyringUnavailable { .. } | Error::DataKeyUnavailable { .. })) =
                self.keys.receipt(&self.pool).await
        {
            notices.push(Notice {
                code: "KEYS_UNAVAILABLE".into(),
                message: format!(
                    "payments, vends and refund requests are refused at this counter until its keys can be used: {e}"
                ),
                // The error's code, for the UI's own words (the message is the core's English).
                params: [("error".to_string(), e.code().to_string())].into(),
            });
        }
        Ok(notices)
    }

    /// 退出. A locked session may be logged out (so that someone else can log in).
    pub async fn logout(&self, req: TokenRequest) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        let (_, user, _) = session::user_of_any(&mut conn, &req.token, self.now()).await?;
        drop(conn);
        let mut tx = store::write_tx(&self.writer).await?;
        session::end(&mut tx, &req.token, self.now()).await?;
        self.audit(&mut tx, &user.username, "logout", Some(&user.username), json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// 锁屏: lock this session (the UI calls it after the idle time). Audited.
    pub async fn lock_session(&self, req: TokenRequest) -> Result<()> {
        let s = self.authorise(&req.token, Action::LockScreen).await?;
        let mut tx = store::write_tx(&self.writer).await?;
        session::lock(&mut tx, &req.token, self.now()).await?;
        self.audit(&mut tx, &s.user.username, "session.lock", Some(&s.user.username), json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// 解锁: the session's own user unlocks it with their password. A wrong password counts toward
    /// their lock-out like a log-in; every answer but success is `AUTH_INVALID`.
    pub async fn unlock_session(&self, req: UnlockRequest) -> Result<UserInfo> {
        let now = self.now();
        let mut conn = self.pool.acquire().await?;
        let (user_id, user, _) = session::user_of_any(&mut conn, &req.token, now).await?;
        let row = users_db::by_id(&mut conn, user_id).await?.ok_or(Error::SessionExpired)?;
        drop(conn);
        let name = user.username.clone();
        match credentials::check_user(&self.writer, row, &req.password, now).await? {
            Outcome::Ok(_) => {
                let mut tx = store::write_tx(&self.writer).await?;
                session::unlock(&mut tx, &req.token).await?;
                self.audit(&mut tx, &name, "session.unlock", Some(&name), json!({})).await?;
                tx.commit().await?;
                Ok(user)
            }
            Outcome::Wrong { failed, locked_until, .. } => {
                let mut detail = json!({"reason": "wrong password", "failed_attempts": failed});
                if let Some(until) = locked_until {
                    detail["locked_until"] = json!(until.to_rfc3339());
                }
                self.audit_alone(&name, "unlock.failed", Some(&name), detail).await?;
                Err(Error::AuthInvalid)
            }
            Outcome::Locked { .. } => {
                self.audit_alone(&name, "unlock.refused", Some(&name), json!({"reason": "locked"})).await?;
                Err(Error::AuthInvalid)
            }
            Outcome::Disabled(_) | Outcome::Unknown => Err(Error::SessionExpired),
        }
    }

    /// 界面语言: the logged-in user chooses the language of their own screens (every role; nobody
    /// changes another user's). Audited. Answers the language kept.
    pub async fn set_language(&self, req: SetLanguageRequest) -> Result<Language> {
        let s = self.authorise(&req.token, Action::SetOwnLanguage).await?;
        let language = Language::parse(&req.language)?;
        let mut tx = store::write_tx(&self.writer).await?;
        users_db::set_language(&mut tx, s.user_id, language).await?;
        self.audit(&mut tx, &s.user.username, "user.language", Some(&s.user.username), json!({"language": language}))
            .await?;
        tx.commit().await?;
        Ok(language)
    }

    pub(crate) async fn load_counter_settings(&self) -> Result<CounterSettings> {
        match store::setting(&self.pool, SETTING_COUNTER).await? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| Error::Internal(format!("stored counter settings: {e}")))
            }
            None => Ok(CounterSettings::default()),
        }
    }

    /// The counter settings (any logged-in person: the UI needs the idle time).
    pub async fn counter_settings(&self, req: TokenRequest) -> Result<CounterSettings> {
        self.authorise(&req.token, Action::ViewCounterSettings).await?;
        self.load_counter_settings().await
    }

    /// Change the counter settings (administrators). Audited.
    pub async fn set_counter_settings(&self, req: SetCounterSettingsRequest) -> Result<CounterSettings> {
        let s = self.authorise(&req.token, Action::SetCounterSettings).await?;
        if !(1..=120).contains(&req.idle_lock_minutes) {
            return Err(Error::invalid("idle_lock_minutes", "lock the screen after 1 to 120 idle minutes"));
        }
        let mut settings = self.load_counter_settings().await?;
        settings.idle_lock_minutes = req.idle_lock_minutes;
        if let Some(h) = req.hotline {
            let h = crate::input::half_width(&h).trim().to_string();
            if h.is_empty() || h.chars().count() > 30 || h.chars().any(char::is_control) {
                return Err(Error::invalid("hotline", "give the service hotline, 1-30 characters (e.g. 95598)"));
            }
            settings.hotline = h;
        }
        if let Some(w) = req.pay_where {
            let w = w.trim().to_string();
            if w.is_empty() || w.chars().count() > 200 || w.chars().any(char::is_control) {
                return Err(Error::invalid("pay_where", "say where and how to pay in 1-200 characters, on one line"));
            }
            settings.pay_where = w;
        }
        let json = serde_json::to_string(&settings).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = store::write_tx(&self.writer).await?;
        store::set_setting(&mut *tx, SETTING_COUNTER, &json).await?;
        self.audit(
            &mut tx,
            &s.user.username,
            "settings.counter",
            None,
            json!({"idle_lock_minutes": settings.idle_lock_minutes, "hotline": settings.hotline, "pay_where": settings.pay_where}),
        )
        .await?;
        tx.commit().await?;
        Ok(settings)
    }
}
