//! A server error tells the client what to do and a reference, never the database's own words.

use serde_json::Value;

use crate::support::{
    ledger::{Ledger, counter, http, push_raw},
    refunds::{add_users, call},
};

/// A 5xx body: generic, with a reference, and none of the given words of the real error.
fn generic(status: u16, body: &Value, code: &str, hidden: &[&str]) {
    assert!((500..600).contains(&status), "a server error: {status} {body}");
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("reference"), "the log's reference is given: {message}");
    for word in hidden {
        assert!(!message.contains(word), "{word:?} must not reach the client: {message}");
    }
}

#[tokio::test]
async fn database_errors_reach_the_log_but_never_the_client() {
    let mut ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    add_users(&ledger.pool, &[("fin1", cashdesk::sync::finance::FinanceRole::Finance)]).await;
    let c = counter("GY01-01", "2026-01-10T10:00:00+08:00", true).await;
    c.desk.collect(crate::support::ledger::cash(&c.cashier, "3100000001", "10.00")).await.unwrap();
    let events = c.outbox(true).await;

    // Each endpoint's table taken away under it: the database says "relation ... does not exist".
    let db_words = ["relation", "does not exist", "_gone", "sqlx", "database error"];
    sqlx::query("ALTER TABLE events RENAME TO events_gone").execute(&ledger.pool).await.unwrap();
    let (status, body) = push_raw(&ledger.url, &token, &events).await;
    generic(status, &body, "INTERNAL", &db_words);
    assert_eq!(body["retry"], true, "an internal error may pass");

    sqlx::query("ALTER TABLE changes RENAME TO changes_gone").execute(&ledger.pool).await.unwrap();
    let r = http().get(format!("{}/v1/changes", ledger.url)).bearer_auth(&token).send().await.unwrap();
    let status = r.status().as_u16();
    generic(status, &r.json().await.unwrap(), "INTERNAL", &db_words);

    sqlx::query("ALTER TABLE ledger_sessions RENAME TO ledger_sessions_gone").execute(&ledger.pool).await.unwrap();
    let (status, body) = call(
        "POST",
        &format!("{}/v1/finance/login", ledger.url),
        None,
        Some(serde_json::json!({"username": "fin1", "password": crate::support::refunds::PW})),
    )
    .await;
    generic(status, &body, "INTERNAL", &db_words);

    sqlx::query("ALTER TABLE terminals RENAME TO terminals_gone").execute(&ledger.pool).await.unwrap();
    let r = http()
        .post(format!("{}/v1/enrol", ledger.url))
        .json(&serde_json::json!({"terminal": "GY01-09", "code": "AAAA-BBBB-CCCC-DDDD"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    generic(status, &r.json().await.unwrap(), "INTERNAL", &db_words);

    // The database gone altogether: 503, worth a retry, and still no driver text.
    ledger.pool.close().await;
    let r = http().get(format!("{}/healthz", ledger.url)).send().await.unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    generic(status, &body, "UNAVAILABLE", &["pool", "closed", "sqlx"]);
    assert_eq!((status, body["retry"].as_bool()), (503, Some(true)));
    ledger.stop().await;
}
