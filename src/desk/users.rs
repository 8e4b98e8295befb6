//! 用户管理: the first administrator of a new counter, and the life of a user after it — added,
//! disabled, enabled, unlocked, given a new password or another role — by an administrator who
//! logged in (`cashdeskctl user …`, Settings → 用户). Every change is audited with the
//! administrator, and ends every session of the user changed, so that it takes effect at once.
//!
//! Guards: an administrator never disables or demotes themselves, and the last enabled
//! administrator cannot be disabled or demoted (a counter always has someone who can manage it); a
//! user with an open shift keeps a role that can close it. The first administrator is made only on a
//! database that has none (`cashdeskctl init`); after that, only an administrator adds users.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Desk, Session, TokenRequest, hash_blocking};
use crate::{
    Error, Result, store,
    users::{
        self, Action, Role, UserInfo,
        db::{self as users_db, UserRow},
        lockout, password, session,
    },
};

/// A user as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UserListing {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Locked after wrong passwords until then (RFC 3339), if still locked.
    pub locked_until: Option<String>,
    pub disabled: bool,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AddUserRequest {
    pub token: String,
    pub username: String,
    /// The name shown on screen and on documents (default: the user name).
    pub display_name: Option<String>,
    pub role: Role,
    pub password: String,
}

/// An administrator's action on one user (disable, enable, unlock).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct UserRequest {
    pub token: String,
    pub username: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub token: String,
    pub username: String,
    pub password: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleRequest {
    pub token: String,
    pub username: String,
    pub role: Role,
}

redact_token_debug!(AddUserRequest, UserRequest, ResetPasswordRequest, ChangeRoleRequest);

fn display_name_of(username: &str, display_name: Option<&str>) -> Result<String> {
    let name = display_name.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(username).to_string();
    if name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(Error::invalid("display_name", "use at most 40 characters"));
    }
    Ok(name)
}

/// Which lifecycle change, for [`Desk::change_user`].
#[derive(Debug, Clone)]
enum Change {
    Disable,
    Enable,
    Unlock,
    Password(String),
    Role(Role),
}

impl Change {
    fn action(&self) -> Action {
        match self {
            Change::Disable => Action::DisableUser,
            Change::Enable => Action::EnableUser,
            Change::Unlock => Action::UnlockUser,
            Change::Password(_) => Action::ResetPassword,
            Change::Role(_) => Action::ChangeRole,
        }
    }

    fn audit_action(&self) -> &'static str {
        match self {
            Change::Disable => "user.disable",
            Change::Enable => "user.enable",
            Change::Unlock => "user.unlock",
            Change::Password(_) => "user.reset_password",
            Change::Role(_) => "user.role",
        }
    }
}

impl Desk {
    /// 初始化: the first administrator of a counter, on a database that has none. Nobody is
    /// logged in yet: the audit entry's actor is `bootstrap`.
    pub async fn bootstrap_admin(&self, username: &str, display_name: Option<&str>, pw: &str) -> Result<UserInfo> {
        if self.has_admin().await? {
            return Err(Error::AlreadyInitialised);
        }
        let username = users::validate_username(username)?;
        password::validate_new(&username, pw)?;
        let display_name = display_name_of(&username, display_name)?;
        let hash = hash_blocking(pw.to_string()).await?;
        let info = UserInfo { username: username.clone(), display_name, role: Role::Admin };
        let mut tx = store::write_tx(&self.writer).await?;
        let (admins,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin'").fetch_one(&mut *tx).await?;
        if admins > 0 {
            return Err(Error::AlreadyInitialised);
        }
        users_db::insert(&mut tx, &info, &hash, self.now()).await?;
        self.audit(&mut tx, "bootstrap", "user.add", Some(&username), json!({"role": Role::Admin})).await?;
        tx.commit().await?;
        Ok(info)
    }

    /// Whether this counter has its first administrator (then `bootstrap_admin` is refused).
    pub async fn has_admin(&self) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        let (admins,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin'").fetch_one(&mut *conn).await?;
        Ok(admins > 0)
    }

    /// Add a user (administrators).
    pub async fn add_user(&self, req: AddUserRequest) -> Result<UserInfo> {
        let s = self.authorise(&req.token, Action::AddUser).await?;
        let username = users::validate_username(&req.username)?;
        password::validate_new(&username, &req.password)?;
        let display_name = display_name_of(&username, req.display_name.as_deref())?;
        let hash = hash_blocking(req.password.clone()).await?;
        let info = UserInfo { username: username.clone(), display_name, role: req.role };
        let mut tx = store::write_tx(&self.writer).await?;
        users_db::insert(&mut tx, &info, &hash, self.now()).await?;
        self.audit(&mut tx, &s.user.username, "user.add", Some(&username), json!({"role": req.role})).await?;
        tx.commit().await?;
        Ok(info)
    }

    /// Every user (administrators).
    pub async fn list_users(&self, req: TokenRequest) -> Result<Vec<UserListing>> {
        self.authorise(&req.token, Action::ListUsers).await?;
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

    /// 停用: the user can no longer log in or approve; their sessions end.
    pub async fn disable_user(&self, req: UserRequest) -> Result<UserListing> {
        self.change_user(&req.token, &req.username, Change::Disable).await
    }

    /// 启用 a disabled user again.
    pub async fn enable_user(&self, req: UserRequest) -> Result<UserListing> {
        self.change_user(&req.token, &req.username, Change::Enable).await
    }

    /// 解锁 a user locked after wrong passwords.
    pub async fn unlock_user(&self, req: UserRequest) -> Result<UserListing> {
        self.change_user(&req.token, &req.username, Change::Unlock).await
    }

    /// 重置口令: a new password (the policy of `users::password`), which the administrator hands
    /// over in person.
    pub async fn reset_password(&self, req: ResetPasswordRequest) -> Result<UserListing> {
        self.change_user(&req.token, &req.username, Change::Password(req.password.clone())).await
    }

    /// 变更角色.
    pub async fn change_role(&self, req: ChangeRoleRequest) -> Result<UserListing> {
        self.change_user(&req.token, &req.username, Change::Role(req.role)).await
    }

    async fn change_user(&self, token: &str, username: &str, change: Change) -> Result<UserListing> {
        let s = self.authorise(token, change.action()).await?;
        let username = username.trim();
        let hash = match &change {
            Change::Password(pw) => {
                password::validate_new(username, pw)?;
                Some(hash_blocking(pw.clone()).await?)
            }
            _ => None,
        };
        let now = self.now();
        let mut tx = store::write_tx(&self.writer).await?;
        let user = users_db::by_name(&mut tx, username)
            .await?
            .ok_or_else(|| Error::UserNotFound { username: username.to_string() })?;
        self.guard(&mut tx, &s, &user, &change).await?;
        let mut detail = json!({});
        match &change {
            Change::Disable => users_db::set_disabled(&mut tx, user.id, true).await?,
            Change::Enable => users_db::set_disabled(&mut tx, user.id, false).await?,
            Change::Unlock => users_db::set_failures(&mut tx, user.id, 0, None).await?,
            Change::Password(_) => {
                if let Some(hash) = &hash {
                    users_db::set_password(&mut tx, user.id, hash).await?;
                }
            }
            Change::Role(role) => {
                users_db::set_role(&mut tx, user.id, *role).await?;
                detail = json!({"from": user.info.role, "to": role});
            }
        }
        let ended = session::end_all_of(&mut tx, user.id, now).await?;
        detail["sessions_ended"] = json!(ended);
        self.audit(&mut tx, &s.user.username, change.audit_action(), Some(&user.info.username), detail).await?;
        tx.commit().await?;
        let mut conn = self.pool.acquire().await?;
        let u =
            users_db::by_id(&mut conn, user.id).await?.ok_or_else(|| Error::Internal("the user vanished".into()))?;
        Ok(UserListing {
            locked_until: lockout::locked(u.locked_until, now).map(|t| t.to_rfc3339()),
            username: u.info.username,
            display_name: u.info.display_name,
            role: u.info.role,
            disabled: u.disabled,
        })
    }

    /// The guards of the module docs, read under the write lock.
    async fn guard(
        &self,
        conn: &mut sqlx::SqliteConnection,
        by: &Session,
        user: &UserRow,
        change: &Change,
    ) -> Result<()> {
        let demotes = matches!(change, Change::Role(r) if *r != Role::Admin);
        if user.id == by.user_id && (matches!(change, Change::Disable) || demotes) {
            return Err(Error::UserGuard { rule: "self" });
        }
        if user.info.role == Role::Admin
            && !user.disabled
            && (matches!(change, Change::Disable) || demotes)
            && users_db::enabled_admins(conn).await? <= 1
        {
            return Err(Error::UserGuard { rule: "last_admin" });
        }
        if let Change::Role(role) = change
            && !role.permits(Action::CloseShift)
            && crate::shifts::db::open_terminal_of(conn, user.id).await?.is_some()
        {
            return Err(Error::UserGuard { rule: "open_shift" });
        }
        Ok(())
    }
}
