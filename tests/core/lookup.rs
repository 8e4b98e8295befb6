use cashdesk::{
    accounts::{BillStatus, RiskMark},
    desk::{AccountRequest, LoginRequest, SearchRequest},
    money::Yuan,
};

use crate::common::with_accounts;

async fn token(c: &crate::common::Counter) -> String {
    c.desk.login(LoginRequest { username: "cashier1".into(), password: "Counter#2026".into() }).await.unwrap().token
}

fn y(s: &str) -> Yuan {
    Yuan::parse(s).unwrap()
}

async fn search(c: &crate::common::Counter, t: &str, q: &str) -> Vec<String> {
    c.desk
        .search_accounts(SearchRequest { token: t.into(), query: q.into() })
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.account_no.to_string())
        .collect()
}

#[tokio::test]
async fn search_by_number_name_address_and_meter() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = token(&c).await;
    assert_eq!(search(&c, &t, "3100000002").await, ["3100000002"], "exact 户号");
    assert_eq!(search(&c, &t, "310000000").await.len(), 4, "户号 prefix");
    assert_eq!(search(&c, &t, "张").await, ["3100000001"], "one-character surname");
    assert_eq!(search(&c, &t, "张建国").await, ["3100000001"], "full name");
    assert_eq!(search(&c, &t, "恒通机械").await, ["3100000003"], "part of a company name");
    assert_eq!(search(&c, &t, "解放路").await, ["3100000002"], "part of an address");
    assert_eq!(search(&c, &t, "0110000000004").await, ["3100000004"], "meter number");
    assert!(search(&c, &t, "\"OR 1=1 --").await.is_empty(), "FTS syntax in the query is treated as text");
    let e = c.desk.search_accounts(SearchRequest { token: t, query: "   ".into() }).await.unwrap_err();
    assert_eq!(e.code(), "QUERY_EMPTY");
}

#[tokio::test]
async fn account_view_shows_arrears_with_late_fees_and_words() {
    let c = with_accounts("2026-01-18T10:00:00+08:00").await;
    let t = token(&c).await;
    let v = c.desk.account_view(AccountRequest { token: t.clone(), account_no: "3100000004".into() }).await.unwrap();
    // DOMAIN.md's exam problem (agricultural counts as "other"): 18 days × 3‰ × 2000 + 3 days × 2‰ × 3000.
    assert_eq!(v.quote.late_fee_total, y("126.00"));
    assert_eq!(v.quote.total, y("5126.00"));
    assert_eq!(v.quote.total_words, "人民币伍仟壹佰贰拾陆元整");
    assert_eq!(v.account.multiplier, "20");

    let v = c.desk.account_view(AccountRequest { token: t, account_no: "3100000001".into() }).await.unwrap();
    assert_eq!(v.account.phone_masked.as_deref(), Some("138****5678"));
    let lines: Vec<(String, Yuan, u32, BillStatus)> =
        v.quote.bills.iter().map(|l| (l.period.to_string(), l.principal, l.days_overdue, l.status)).collect();
    assert_eq!(
        lines,
        [
            ("202511".to_string(), y("158.49"), 29, BillStatus::Unpaid),
            ("202512".to_string(), y("69.06"), 0, BillStatus::PartlyPaid)
        ],
        "oldest first; the partly paid bill owes its remainder and is not yet due"
    );
    // Residential 1‰: 158.49 × 29 × 0.001 = 4.59621 → 4.60; the second bill is not overdue.
    assert_eq!(v.quote.late_fee_total, y("4.60"));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'account.view'")
        .fetch_one(c.desk.pool())
        .await
        .unwrap();
    assert_eq!(n, 2, "every account opened is audited");
}

#[tokio::test]
async fn commercial_bill_across_the_year_boundary() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let q = c
        .desk
        .quote(
            &crate::common::token(&c.desk, "cashier1").await,
            "3100000002",
            chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(q.late_fee_total, y("620.00"), "DOMAIN.md: 16 days at 2‰ + 10 days at 3‰ on 10,000.00");
}

#[tokio::test]
async fn unknown_account_is_a_clear_error() {
    let c = with_accounts("2026-01-10T09:00:00+08:00").await;
    let t = token(&c).await;
    let e =
        c.desk.account_view(AccountRequest { token: t.clone(), account_no: "3199999999".into() }).await.unwrap_err();
    assert_eq!(e.code(), "ACCOUNT_NOT_FOUND");
    let e = c.desk.account_view(AccountRequest { token: t, account_no: "31x".into() }).await.unwrap_err();
    assert_eq!(e.code(), "INPUT_INVALID");
}

#[tokio::test]
async fn the_demo_has_what_the_issue_asks_for() {
    let mut c = crate::common::counter("2026-11-23T09:00:00+08:00").await;
    assert!(c.desk.seed_demo().await.unwrap());
    assert!(!c.desk.seed_demo().await.unwrap(), "seeding twice adds nothing");
    let pool = c.desk.pool();
    let (accounts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts").fetch_one(pool).await.unwrap();
    assert!(accounts >= 200);
    let kinds: Vec<(String, String)> =
        sqlx::query_as("SELECT DISTINCT category, billing_mode FROM accounts ORDER BY 1, 2")
            .fetch_all(pool)
            .await
            .unwrap();
    for cat in ["agricultural", "commercial", "industrial", "residential"] {
        assert!(kinds.iter().any(|k| k.0 == cat), "category {cat} present");
    }
    assert!(kinds.iter().any(|k| k.1 == "prepaid") && kinds.iter().any(|k| k.1 == "postpaid"));
    let (periods,): (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT period) FROM bills").fetch_one(pool).await.unwrap();
    assert_eq!(periods, 12, "12 months of bills");
    let (risky,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE risk IS NOT NULL").fetch_one(pool).await.unwrap();
    assert!(risky >= 2, "a few risk marks");
    let t = c
        .desk
        .login(LoginRequest { username: "cashier1".into(), password: "Cashier#2026".into() })
        .await
        .unwrap()
        .token;
    let v = c.desk.account_view(AccountRequest { token: t, account_no: "3100000001".into() }).await.unwrap();
    assert!(v.quote.total.is_positive(), "demo account 3100000001 is in arrears");
    assert!(
        v.quote.bills.iter().any(|b| b.due_date.format("%Y").to_string() == "2025"),
        "since before the year boundary"
    );
    assert!(v.quote.bills.iter().any(|b| b.due_date.format("%Y").to_string() == "2026"));
    let _ = RiskMark::PoorCredit;
}
