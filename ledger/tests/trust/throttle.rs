//! Failed enrolments and token uses are limited per client address: after 10 in a minute the address
//! is answered 429 with Retry-After, before the database is asked anything.

use serde_json::json;

use crate::support::ledger::{Ledger, http};

#[tokio::test]
async fn ten_failed_tokens_or_enrolments_then_429_with_retry_after_without_the_database() {
    let ledger = Ledger::start().await;
    let token = ledger.token_for("GY01-01").await;
    let changes = format!("{}/v1/changes", ledger.url);
    let pull = |t: String| {
        let url = changes.clone();
        async move { http().get(url).bearer_auth(t).send().await.unwrap() }
    };
    assert_eq!(pull(token.clone()).await.status(), 200, "a good token passes");
    for i in 0..10 {
        assert_eq!(pull(format!("guess-{i}")).await.status(), 401, "failure {}", i + 1);
    }
    let r = pull("guess-10".into()).await;
    assert_eq!(r.status(), 429, "the eleventh try from this address");
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "TOO_MANY_FAILURES", "{body}");

    // Refused before the database: with the terminals table gone a lookup would be a 500.
    sqlx::query("ALTER TABLE terminals RENAME TO terminals_gone").execute(&ledger.pool).await.unwrap();
    assert_eq!(pull(token.clone()).await.status(), 429, "even a good token waits: the address is closed");
    let r = http()
        .post(format!("{}/v1/enrol", ledger.url))
        .json(&json!({"terminal": "GY01-02", "code": "AAAA-BBBB-CCCC-DDDD"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "enrolment from the same address too");
    sqlx::query("ALTER TABLE terminals_gone RENAME TO terminals").execute(&ledger.pool).await.unwrap();
}

#[tokio::test]
async fn failed_enrolments_count_too() {
    let ledger = Ledger::start().await;
    let enrol = |code: String| {
        let url = format!("{}/v1/enrol", ledger.url);
        async move { http().post(url).json(&json!({"terminal": "GY01-02", "code": code})).send().await.unwrap() }
    };
    for i in 0..10 {
        assert_eq!(enrol(format!("AAAA-BBBB-CCCC-{i:04}")).await.status(), 401, "failure {}", i + 1);
    }
    let r = enrol("AAAA-BBBB-CCCC-9999".into()).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

/// Behind a trusted reverse proxy (here the test itself on loopback, named in `trusted_proxies`)
/// each forwarded client is counted on its own: one guesser closes its own address, not the
/// proxy's, and a forwarded-for address it makes up in front of the proxy's entry changes nothing.
#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_limited_on_its_own() {
    let ledger = Ledger::start_trusting(vec!["127.0.0.1".parse().unwrap()]).await;
    let token = ledger.token_for("GY01-01").await;
    let pull = |t: String, forwarded: &'static str| {
        let url = format!("{}/v1/changes", ledger.url);
        async move { http().get(url).bearer_auth(t).header("x-forwarded-for", forwarded).send().await.unwrap() }
    };
    for i in 0..10 {
        // The guesser prepends an address of its choice; the proxy appends the real one.
        assert_eq!(pull(format!("guess-{i}"), "192.0.2.99, 198.51.100.1").await.status(), 401);
    }
    assert_eq!(pull("guess-10".into(), "192.0.2.1, 198.51.100.1").await.status(), 429, "the guesser is closed");
    assert_eq!(pull(token.clone(), "198.51.100.2").await.status(), 200, "another counter behind the proxy is not");
}
