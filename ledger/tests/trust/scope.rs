//! Scoped pulls: a terminal receives the accounts of its own area and their bills, never an ID-card
//! number, and phone numbers masked; ID numbers are sealed at rest, including those an earlier
//! version stored in clear.

use cashdesk_ledger::{datakey, import, terminals};
use serde_json::Value;

use crate::support::ledger::{Ledger, area, http, settled};

/// Accounts of area GY02 (the test ledger's own are in GY01), one with an ID number and a mobile.
const GY02_CSV: &str =
    "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance,area
3300000001,李四,示范市南区和平路1号,residential,postpaid,0330000000001,1,13812345678,11010519491231002X,0,GY02
3300000002,南区农机站,示范市南区和平路2号,agricultural,postpaid,0330000000002,1,0851-86123456,,0,GY02
";

const GY02_BILLS: &str = "account_no,period,kwh,amount,due_date,paid
3300000001,202511,100,50.00,2025-12-20,0
";

/// Every change of a terminal's first pull, through the HTTP API.
async fn first_pull(ledger: &Ledger, token: &str) -> Vec<Value> {
    settled(&ledger.pool).await;
    let r = http().get(format!("{}/v1/changes?limit=5000", ledger.url)).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["more"], false, "one page holds the test data: {body}");
    body["changes"].as_array().unwrap().clone()
}

fn accounts_of(changes: &[Value]) -> Vec<String> {
    let mut nos: Vec<String> = changes
        .iter()
        .filter(|c| c["type"] == "account")
        .map(|c| c["account_no"].as_str().unwrap().to_string())
        .collect();
    nos.sort();
    nos
}

#[tokio::test]
async fn a_terminal_pulls_its_own_area_only_without_id_numbers_and_with_phones_masked() {
    let ledger = Ledger::start().await;
    import::accounts(&ledger.pool, &ledger.key, GY02_CSV.as_bytes(), None).await.unwrap();
    import::bills(&ledger.pool, GY02_BILLS.as_bytes()).await.unwrap();

    let gy02 = ledger.token_for("GY02-01").await;
    let changes = first_pull(&ledger, &gy02).await;
    assert_eq!(accounts_of(&changes), ["3300000001", "3300000002"], "GY02's accounts, none of GY01's");
    let bills: Vec<&Value> = changes.iter().filter(|c| c["type"] == "bill").collect();
    assert_eq!(bills.len(), 1, "only the bills of its accounts: {bills:?}");
    assert_eq!(bills[0]["account_no"], "3300000001");
    let text = serde_json::to_string(&changes).unwrap();
    assert!(!text.contains("id_number") && !text.contains("11010519491231002X"), "no ID number goes down: {text}");
    let phones: Vec<&str> = changes.iter().filter_map(|c| c["phone"].as_str()).collect();
    assert_eq!(phones, ["138****5678", "085*****3456"], "masked: {text}");

    // GY01's terminal gets GY01's four test accounts; a terminal enrolled into GY02 with another
    // code gets GY02's.
    let gy01 = ledger.token_for("GY01-01").await;
    let nos = accounts_of(&first_pull(&ledger, &gy01).await);
    assert_eq!(nos.len(), 4, "{nos:?}");
    assert!(nos.iter().all(|n| n.starts_with("31")), "{nos:?}");
    let code = terminals::enrol(&ledger.pool, "GY09-01", Some("GY02")).await.unwrap();
    let token = terminals::exchange(&ledger.pool, "GY09-01", &code).await.unwrap();
    assert_eq!(accounts_of(&first_pull(&ledger, &token).await), ["3300000001", "3300000002"]);
    // Enrolled again without --area, it keeps its area.
    terminals::enrol(&ledger.pool, "GY09-01", None).await.unwrap();
    assert_eq!(terminals::area(&ledger.pool, "GY09-01").await.unwrap().as_deref(), Some("GY02"));

    // At rest the number is sealed with the ledger's key, never in clear.
    let (plain, sealed): (Option<String>, String) =
        sqlx::query_as("SELECT id_number, id_number_sealed FROM accounts WHERE account_no = '3300000001'")
            .fetch_one(&ledger.pool)
            .await
            .unwrap();
    assert_eq!(plain, None);
    assert!(!sealed.contains("110105"), "{sealed}");
    assert_eq!(ledger.key.open(datakey::ID_NUMBER, &sealed).unwrap(), "11010519491231002X");
}

#[tokio::test]
async fn an_import_needs_an_area_for_every_account_and_areas_can_be_given_later() {
    let ledger = Ledger::start().await;
    let no_area = "account_no,name,address,category,billing_mode,meter_no,multiplier,phone,id_number,prepaid_balance
3400000001,王五,示范市北区1号,residential,postpaid,0340000000001,1,,,0
";
    let err = import::accounts(&ledger.pool, &ledger.key, no_area.as_bytes(), None).await.unwrap_err();
    assert!(err.to_string().contains("no area"), "{err}");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE account_no = '3400000001'")
        .fetch_one(&ledger.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing imported");
    import::accounts(&ledger.pool, &ledger.key, no_area.as_bytes(), Some(&area("GY04"))).await.unwrap();
    let gy04 = ledger.token_for("GY04-01").await;
    assert_eq!(accounts_of(&first_pull(&ledger, &gy04).await), ["3400000001"]);

    // An account from before areas (none) goes to nobody until `import areas` gives it one.
    sqlx::query("UPDATE accounts SET area = NULL WHERE account_no = '3100000001'").execute(&ledger.pool).await.unwrap();
    let gy05 = ledger.token_for("GY05-01").await;
    assert!(accounts_of(&first_pull(&ledger, &gy05).await).is_empty());
    let err = import::areas(&ledger.pool, b"account_no,area\n3100000001,GY05\n3999999999,GY05\n").await.unwrap_err();
    assert!(err.to_string().contains("3999999999"), "an unknown account refuses the file: {err}");
    assert_eq!(import::areas(&ledger.pool, b"account_no,area\n3100000001,GY05\n").await.unwrap(), 1);
    assert_eq!(accounts_of(&first_pull(&ledger, &gy05).await), ["3100000001"]);
}

#[tokio::test]
async fn id_numbers_stored_in_clear_before_are_sealed_when_the_ledger_starts() {
    let ledger = Ledger::start().await;
    sqlx::query("UPDATE accounts SET id_number = '11010519491231002X' WHERE account_no = '3100000002'")
        .execute(&ledger.pool)
        .await
        .unwrap();
    assert_eq!(datakey::seal_id_numbers(&ledger.pool, &ledger.key).await.unwrap(), 1);
    let (plain, sealed): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT id_number, id_number_sealed FROM accounts WHERE account_no = '3100000002'")
            .fetch_one(&ledger.pool)
            .await
            .unwrap();
    assert_eq!(plain, None, "the clear column is emptied");
    assert_eq!(ledger.key.open(datakey::ID_NUMBER, &sealed.unwrap()).unwrap(), "11010519491231002X");
    assert_eq!(datakey::seal_id_numbers(&ledger.pool, &ledger.key).await.unwrap(), 0, "once");
}
