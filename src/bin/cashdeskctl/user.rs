//! `cashdeskctl user …` (administrators): the administrator's password is the first line of
//! standard input; a new password (`add`, `reset-password`) the second.

use cashdesk::{
    Error,
    desk::{
        TokenRequest,
        users::{AddUserRequest, ChangeRoleRequest, ResetPasswordRequest, UserListing, UserRequest},
    },
    users::Role,
};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Add a user; their password is the second line of standard input.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// The name shown on screen and on documents (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    List,
    /// Disable a user: they can no longer log in or approve; their sessions end.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
    /// Unlock a user locked after wrong passwords.
    Unlock { name: String },
    /// Give a user a new password (the second line of standard input); their sessions end.
    ResetPassword { name: String },
    /// Give a user another role; their sessions end.
    Role {
        name: String,
        #[arg(long)]
        role: String,
    },
}

fn state(u: &UserListing) -> String {
    match (&u.locked_until, u.disabled) {
        (_, true) => "disabled".to_string(),
        (Some(t), _) => format!("locked until {t}"),
        _ => "active".to_string(),
    }
}

fn print_one(ctx: &Ctx, done: &str, u: &UserListing) -> Result<(), Error> {
    ctx.print(u, |u| println!("{done} {} ({}, {}).", u.username, u.role.label_zh(), state(u)))
}

pub async fn run(ctx: &mut Ctx, cmd: Cmd) -> Result<(), Error> {
    let desk = ctx.desk().await?;
    let login = ctx.login(&desk).await?;
    let token = login.token.clone();
    let user = |name: &str| UserRequest { token: token.clone(), username: name.to_string() };
    let result = match &cmd {
        Cmd::Add { name, role, display_name } => match (Role::parse(role), ctx.secret("the new user's password")) {
            (Ok(role), Ok(password)) => desk
                .add_user(AddUserRequest {
                    token: token.clone(),
                    username: name.clone(),
                    display_name: display_name.clone(),
                    role,
                    password,
                })
                .await
                .and_then(|u| ctx.print(&u, |u| println!("Added {} ({}).", u.username, u.role.label_zh()))),
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        Cmd::List => desk.list_users(TokenRequest { token: token.clone() }).await.and_then(|users| {
            ctx.print(&users, |users| {
                for u in users {
                    println!("{:<12} {:<10} {:<12} {}", u.username, u.role.as_str(), u.display_name, state(u));
                }
            })
        }),
        Cmd::Disable { name } => desk.disable_user(user(name)).await.and_then(|u| print_one(ctx, "Disabled", &u)),
        Cmd::Enable { name } => desk.enable_user(user(name)).await.and_then(|u| print_one(ctx, "Enabled", &u)),
        Cmd::Unlock { name } => desk.unlock_user(user(name)).await.and_then(|u| print_one(ctx, "Unlocked", &u)),
        Cmd::ResetPassword { name } => match ctx.secret("the new password") {
            Ok(password) => desk
                .reset_password(ResetPasswordRequest { token: token.clone(), username: name.clone(), password })
                .await
                .and_then(|u| print_one(ctx, "New password for", &u)),
            Err(e) => Err(e),
        },
        Cmd::Role { name, role } => match Role::parse(role) {
            Ok(role) => desk
                .change_role(ChangeRoleRequest { token: token.clone(), username: name.clone(), role })
                .await
                .and_then(|u| print_one(ctx, "Changed the role of", &u)),
            Err(e) => Err(e),
        },
    };
    login.end(&desk, result).await
}
