use cashdesk::{
    Error,
    desk::{AccountRequest, LoginRequest, SearchRequest, TokenRequest, users::UserRequest},
};

use crate::common::{PW, at, staffed, token, with_accounts};

fn creds(u: &str, p: &str) -> LoginRequest {
    LoginRequest { username: u.into(), password: p.into() }
}

async fn audit_actions(c: &crate::common::Counter) -> Vec<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_log ORDER BY seq").fetch_all(c.desk.pool()).await.unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn good_password_logs_in_and_is_audited() {
    let c = staffed("2026-03-02T09:00:00+08:00").await;
    let r = c.desk.login(creds("cashier1", PW)).await.unwrap();
    assert_eq!(r.user.username, "cashier1");
    assert_eq!(r.token.len(), 64);
    assert_eq!(audit_actions(&c).await.last().unwrap(), "login.ok");
    // The token is not stored in clear.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE token_hash = ?")
        .bind(&r.token)
        .fetch_one(c.desk.pool())
        .await
        .unwrap();
    assert_eq!(n, 0, "only a hash of the token is stored");
}

#[tokio::test]
async fn five_wrong_passwords_lock_for_fifteen_minutes_then_it_expires() {
    let c = staffed("2026-03-02T09:00:00+08:00").await;
    for attempt in 1..=5 {
        let e = c.desk.login(creds("cashier1", "wrong-pass")).await.unwrap_err();
        assert!(matches!(e, Error::AuthInvalid), "attempt {attempt}: {e:?}");
    }
    let (failed, until): (i64, Option<String>) =
        sqlx::query_as("SELECT failed_attempts, locked_until FROM users WHERE username = 'cashier1'")
            .fetch_one(c.desk.pool())
            .await
            .unwrap();
    assert_eq!(failed, 5);
    assert_eq!(until.as_deref(), Some("2026-03-02T09:15:00+08:00"), "locked for 15 minutes from 09:00");
    // While locked even the right password is refused, with the answer a wrong one gets: the lock
    // tells a guesser nothing, and the password is not even compared.
    c.clock.set(at("2026-03-02T09:14:00+08:00"));
    assert!(matches!(c.desk.login(creds("cashier1", PW)).await, Err(Error::AuthInvalid)));
    // After 15 minutes the right password works again and resets the count.
    c.clock.set(at("2026-03-02T09:15:00+08:00"));
    c.desk.login(creds("cashier1", PW)).await.expect("the lock has expired");
    let (failed,): (i64,) = sqlx::query_as("SELECT failed_attempts FROM users WHERE username = 'cashier1'")
        .fetch_one(c.desk.pool())
        .await
        .unwrap();
    assert_eq!(failed, 0);
    let actions = audit_actions(&c).await;
    assert_eq!(actions.iter().filter(|a| *a == "login.failed").count(), 5);
    assert!(actions.contains(&"user.locked".to_string()));
    assert!(actions.contains(&"login.refused".to_string()));
}

/// Before the password is checked, nothing tells an unknown name, a locked user and a disabled
/// user apart from a wrong password; only the right password of a disabled user says so.
#[tokio::test]
async fn a_refusal_does_not_tell_whether_a_name_exists_is_locked_or_disabled() {
    let c = staffed("2026-03-02T09:00:00+08:00").await;
    let admin = token(&c.desk, "admin").await;
    c.desk.disable_user(UserRequest { token: admin, username: "finance1".into() }).await.unwrap();
    for _ in 0..5 {
        let _ = c.desk.login(creds("super1", "wrong-pass")).await;
    }
    for (who, pw) in [("nobody", "wrong-pass"), ("super1", "wrong-pass"), ("super1", PW), ("finance1", "wrong-pass")] {
        let e = c.desk.login(creds(who, pw)).await.unwrap_err();
        assert_eq!(e.code(), "AUTH_INVALID", "{who}/{pw}");
        assert_eq!(e.body().message, Error::AuthInvalid.to_string(), "one message for all of them");
    }
    assert_eq!(c.desk.login(creds("finance1", PW)).await.unwrap_err().code(), "AUTH_DISABLED");
}

/// Twenty wrong passwords at once: each attempt is counted before it is checked, so no more than
/// five are ever compared, and the right password among them does not get in once the lock holds.
#[tokio::test]
async fn parallel_wrong_passwords_cannot_exceed_the_lock_out_count() {
    let c = staffed("2026-03-02T09:00:00+08:00").await;
    let mut tries = Vec::new();
    for i in 0..20 {
        let desk = c.desk.clone();
        tries.push(tokio::spawn(async move { desk.login(creds("cashier1", &format!("wrong-{i:02}-pass"))).await }));
    }
    for t in tries {
        assert!(matches!(t.await.unwrap(), Err(Error::AuthInvalid)));
    }
    let compared: i64 = audit_actions(&c).await.iter().filter(|a| *a == "login.failed").count() as i64;
    assert_eq!(compared, 5, "only five passwords were compared; the rest were refused by the lock");
    assert!(matches!(c.desk.login(creds("cashier1", PW)).await, Err(Error::AuthInvalid)), "locked");
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let c = staffed("2026-03-02T09:00:00+08:00").await;
    for _ in 0..4 {
        let _ = c.desk.login(creds("super1", "nope-nope")).await;
    }
    c.desk.login(creds("super1", PW)).await.unwrap();
    for _ in 0..4 {
        assert!(
            matches!(c.desk.login(creds("super1", "nope-nope")).await, Err(Error::AuthInvalid)),
            "a new series of 4 does not lock"
        );
    }
}

#[tokio::test]
async fn unknown_user_gets_the_same_answer_and_is_audited() {
    let c = staffed("2026-03-02T09:00:00+08:00").await;
    assert!(matches!(c.desk.login(creds("nobody", "x")).await, Err(Error::AuthInvalid)));
    assert_eq!(audit_actions(&c).await.last().unwrap(), "login.failed");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let c = with_accounts("2026-03-02T09:00:00+08:00").await;
    let r = c.desk.login(creds("cashier1", PW)).await.unwrap();
    c.desk.logout(TokenRequest { token: r.token.clone() }).await.unwrap();
    let e = c.desk.search_accounts(SearchRequest { token: r.token, query: "310".into() }).await.unwrap_err();
    assert!(matches!(e, Error::SessionExpired));
}

#[tokio::test]
async fn sessions_expire_after_twelve_hours() {
    let c = with_accounts("2026-03-02T07:00:00+08:00").await;
    let r = c.desk.login(creds("cashier1", PW)).await.unwrap();
    c.clock.set(at("2026-03-02T19:00:01+08:00"));
    assert!(matches!(
        c.desk.search_accounts(SearchRequest { token: r.token, query: "310".into() }).await,
        Err(Error::SessionExpired)
    ));
}

#[tokio::test]
async fn administrators_do_not_see_customer_accounts() {
    let c = with_accounts("2026-03-02T09:00:00+08:00").await;
    let r = c.desk.login(creds("admin", PW)).await.unwrap();
    let e = c.desk.account_view(AccountRequest { token: r.token, account_no: "3100000001".into() }).await.unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN", "enforced in the core, not only hidden in the UI");
}

#[tokio::test]
async fn supervisors_are_told_when_next_years_calendar_is_missing() {
    let c = staffed("2026-11-23T09:00:00+08:00").await;
    let sup = c.desk.login(creds("super1", PW)).await.unwrap();
    let codes: Vec<(String, Option<String>)> = sup
        .notices
        .iter()
        .filter(|n| n.code != "PRINTER_NOT_SET")
        .map(|n| (n.code.clone(), n.params.get("year").cloned()))
        .collect();
    assert_eq!(codes, [("CALENDAR_MISSING".to_string(), Some("2027".to_string()))]);
    let cashier = c.desk.login(creds("cashier1", PW)).await.unwrap();
    assert!(
        cashier.notices.iter().all(|n| n.code == "PRINTER_NOT_SET"),
        "only supervisors and administrators are warned"
    );
}

/// A counter whose keys are kept in a file store (chosen, as the test's counter chooses one): the
/// administrator is told where, so that backups of the data directory leave it out and it is
/// backed up apart; cashiers and supervisors are not.
#[tokio::test]
async fn administrators_are_told_when_the_keys_are_kept_in_files() {
    let c = with_accounts("2026-03-02T09:00:00+08:00").await;
    let admin = c.desk.login(creds("admin", PW)).await.unwrap();
    let notice = admin.notices.iter().find(|n| n.code == "DATA_KEY_IN_FILE").expect("the administrator is told");
    let dir = notice.params.get("file").unwrap();
    assert_eq!(std::path::Path::new(dir), c.dir.path().join("keys"), "the store's directory");
    let files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".datakey") || n.ends_with(".receiptkey"))
        .collect();
    assert_eq!(files.len(), 2, "the data key and the receipt key are there: {files:?}");
    assert!(admin.notices.iter().all(|n| n.code != "KEYS_UNAVAILABLE"), "the keys can be used");
    for who in ["cashier1", "super1"] {
        let other = c.desk.login(creds(who, PW)).await.unwrap();
        assert!(other.notices.iter().all(|n| n.code != "DATA_KEY_IN_FILE"), "{who}");
    }
}

/// 界面语言 (issue 18): each user's own, kept with the user; it survives a log-out and log-in of
/// that user, changes no one else's, and anything but zh-CN or en is refused with the field named.
#[tokio::test]
async fn the_language_is_each_users_own_and_survives_a_new_log_in() {
    use cashdesk::{desk::session::SetLanguageRequest, users::Language};
    let c = staffed("2026-03-02T09:00:00+08:00").await;
    let first = c.desk.login(creds("cashier1", PW)).await.unwrap();
    assert_eq!(first.language, Language::ZhCn, "a user starts in 中文");
    let set = |token: &str, language: &str| SetLanguageRequest { token: token.into(), language: language.into() };
    assert_eq!(c.desk.set_language(set(&first.token, "en")).await.unwrap(), Language::En);
    assert_eq!(audit_actions(&c).await.last().unwrap(), "user.language");

    c.desk.logout(TokenRequest { token: first.token }).await.unwrap();
    let again = c.desk.login(creds("cashier1", PW)).await.unwrap();
    assert_eq!(again.language, Language::En, "kept with the user, not the session");
    let other = c.desk.login(creds("super1", PW)).await.unwrap();
    assert_eq!(other.language, Language::ZhCn, "another user's screens do not change");

    for bad in ["fr", "", "EN", "zh_CN"] {
        match c.desk.set_language(set(&again.token, bad)).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "language", "{bad:?}"),
            other => panic!("{bad:?} must be refused as INPUT_INVALID(language), got {other:?}"),
        }
    }
    assert!(matches!(c.desk.set_language(set("no-such-session", "en")).await, Err(Error::SessionExpired)));
    let back = c.desk.login(creds("cashier1", PW)).await.unwrap();
    assert_eq!(back.language, Language::En, "a refused change leaves the language as it was");
}

/// Every notice code the log-in sends (`notices_for` in src/desk/session.rs) is one the UI words
/// itself (`NOTICE_CODES` in ui/src/i18n/errors.ts): otherwise a cashier reads the core's English.
#[test]
fn every_notice_at_log_in_has_the_uis_own_words() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let quoted = |s: &str| -> Vec<String> {
        s.split('"')
            .skip(1)
            .step_by(2)
            .filter(|w| w.len() > 2 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .map(str::to_string)
            .collect()
    };
    let session = read("src/desk/session.rs");
    let from = session.find("fn notices_for").unwrap();
    let to = from + session[from..].find("Ok(notices)").unwrap();
    let sent = quoted(&session[from..to]);
    assert!(sent.len() >= 8, "the notice codes were found: {sent:?}");
    let errors = read("ui/src/i18n/errors.ts");
    let from = errors.find("export const NOTICE_CODES").unwrap();
    let to = from + errors[from..].find("] as const").unwrap();
    let worded: Vec<String> = quoted(&errors[from..to].replace('\'', "\""));
    for code in &sent {
        assert!(worded.contains(code), "{code} is sent at log-in but NOTICE_CODES has no words for it: {worded:?}");
    }
}
