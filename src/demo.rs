//! 演示数据: the demo counter that `make run` and `cashdeskctl init --demo` create.
//!
//! Deterministic (a fixed seed) and dated relative to `today`, so the arrears stay realistic
//! whenever it is run: 240 accounts over the four categories and both billing modes, 12 months of
//! bills for the postpaid ones, about a fifth in arrears (some partly paid, some since before
//! 1 January), a few risk marks and closed accounts, the four demo users and terminal `DEMO-01`.
//! Account 3100000001 is always in arrears across the year boundary (the end-to-end tests rely on it).

use chrono::{Datelike, Months, NaiveDate};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rust_decimal::Decimal;
use sqlx::SqliteConnection;

use crate::{
    Result,
    accounts::{
        AccountNo, BillingMode, Category, Period, RiskMark,
        db::{self, NewAccount, NewBill},
    },
    money::Yuan,
    users::{Role, UserInfo, db as users_db, password},
};

pub const SETTING_DEMO: &str = "demo";
pub const TERMINAL: &str = "DEMO-01";
pub const ACCOUNTS: u32 = 240;

/// The demo log-ins, printed by `make run` and `cashdeskctl init --demo`.
pub const USERS: [(&str, &str, Role, &str); 4] = [
    ("cashier1", "张丽", Role::Cashier, "Cashier#2026"),
    ("super1", "王建国", Role::Supervisor, "Super#2026"),
    ("finance1", "李娜", Role::Finance, "Finance#2026"),
    ("admin", "系统管理员", Role::Admin, "Admin#2026"),
];

/// Lines to print for a person starting the demo.
pub fn login_lines() -> Vec<String> {
    USERS.iter().map(|(u, name, role, pw)| format!("  {u:<9} {pw:<13} {} {name}", role.label_zh())).collect()
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "春梅", "国庆",
];
const DISTRICTS: &[&str] = &["城关区", "东城区", "西城区", "新华区", "开发区"];
const ROADS: &[&str] =
    &["人民路", "解放路", "建设路", "中山路", "幸福路", "和平路", "光明街", "胜利街", "文化路", "团结路"];
const FIRMS: &[&str] = &["华联", "鑫源", "恒通", "宏达", "金鼎", "瑞丰", "新华", "永盛", "天成", "明珠"];
const TRADES: &[(&str, Category)] = &[
    ("商贸有限公司", Category::Commercial),
    ("餐饮店", Category::Commercial),
    ("超市", Category::Commercial),
    ("酒店", Category::Commercial),
    ("机械制造有限公司", Category::Industrial),
    ("水泥有限公司", Category::Industrial),
    ("纺织厂", Category::Industrial),
];
const VILLAGES: &[&str] = &["李家庄", "王家湾", "前进村", "红星村", "柳树屯", "河西村"];

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.gen_range(0..xs.len())]
}

fn id_number(rng: &mut StdRng) -> String {
    let birth = NaiveDate::from_ymd_opt(rng.gen_range(1950..2000), rng.gen_range(1..=12), rng.gen_range(1..=28))
        .unwrap_or_default();
    let body = format!("{}{}{:03}", 130102, birth.format("%Y%m%d"), rng.gen_range(1..999));
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let check = char::from(b"10X98765432"[(sum % 11) as usize]);
    format!("{body}{check}")
}

/// The shape of one demo account.
fn account(rng: &mut StdRng, i: u32) -> NewAccount {
    let category = match i {
        1 => Category::Commercial,
        _ => match rng.gen_range(0..100) {
            0..=59 => Category::Residential,
            60..=79 => Category::Commercial,
            80..=87 => Category::Industrial,
            _ => Category::Agricultural,
        },
    };
    let name = match category {
        Category::Residential => format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN)),
        Category::Agricultural => {
            format!("{}{}", pick(rng, VILLAGES), if rng.gen_bool(0.5) { "灌溉站" } else { "农业合作社" })
        }
        _ => {
            let (trade, _) = loop {
                let t = pick(rng, TRADES);
                if t.1 == category {
                    break *t;
                }
            };
            format!("示范市{}{}", pick(rng, FIRMS), trade)
        }
    };
    let address = match category {
        Category::Agricultural => format!("示范市郊区{}{}组", pick(rng, VILLAGES), rng.gen_range(1..9)),
        _ => format!(
            "示范市{}{}{}号{}栋{}单元{}室",
            pick(rng, DISTRICTS),
            pick(rng, ROADS),
            rng.gen_range(1..300),
            rng.gen_range(1..20),
            rng.gen_range(1..5),
            rng.gen_range(101..1802)
        ),
    };
    let prepaid = i != 1
        && match category {
            Category::Commercial | Category::Industrial => rng.gen_bool(0.45),
            _ => rng.gen_bool(0.12),
        };
    let multiplier = match category {
        Category::Residential => 1,
        Category::Commercial => *pick(rng, &[1, 1, 30, 50]),
        Category::Industrial => *pick(rng, &[200, 400, 800]),
        Category::Agricultural => *pick(rng, &[1, 20]),
    };
    NewAccount {
        account_no: AccountNo::parse(&format!("31{:08}", i)).unwrap_or_else(|_| unreachable_account()),
        name,
        address,
        category,
        billing_mode: if prepaid { BillingMode::Prepaid } else { BillingMode::Postpaid },
        meter_no: format!("0110{:09}", 100_000_000 + u64::from(i) * 7919 % 900_000_000),
        multiplier,
        phone: Some(format!("1{}{:09}", pick(rng, &[3, 5, 8, 9]), rng.gen_range(0..1_000_000_000u64))),
        id_number: (category == Category::Residential).then(|| id_number(rng)),
        prepaid_balance: if prepaid { Yuan::from_fen(rng.gen_range(0..500_000)) } else { Yuan::ZERO },
        risk: None,
    }
}

fn unreachable_account() -> AccountNo {
    // `31` + 8 digits is always a valid 户号; kept total so the seed never panics.
    AccountNo::parse("3199999999").unwrap_or_else(|_| unreachable_account())
}

/// 电价 per kWh by category (demo tariffs).
fn price(c: Category) -> Decimal {
    match c {
        Category::Residential => Decimal::new(5283, 4),
        Category::Commercial => Decimal::new(7520, 4),
        Category::Industrial => Decimal::new(6310, 4),
        Category::Agricultural => Decimal::new(4970, 4),
    }
}

/// Seed the demo data into an empty database (inside the caller's transaction).
pub async fn seed(
    conn: &mut SqliteConnection,
    today: NaiveDate,
    now: &str,
    key: &crate::datakey::DataKey,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(20_261_123);
    for (username, display, role, pw) in USERS {
        let hash = tokio::task::spawn_blocking(move || password::hash(pw))
            .await
            .map_err(|e| crate::Error::Internal(format!("hashing did not finish: {e}")))??;
        let info = UserInfo { username: username.into(), display_name: display.into(), role };
        let at = chrono::DateTime::parse_from_rfc3339(now).map_err(|e| crate::Error::Internal(e.to_string()))?;
        users_db::insert(conn, &info, &hash, at).await?;
    }
    // The 12 periods before this month; each falls due on the 20th of the month after it.
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let periods: Vec<(Period, NaiveDate)> = (1..=12u32)
        .rev()
        .filter_map(|back| {
            let start = this_month.checked_sub_months(Months::new(back))?;
            let due = start.checked_add_months(Months::new(1))?.with_day(20)?;
            let period = Period::from_number(start.year() as u32 * 100 + start.month())?;
            Some((period, due))
        })
        .collect();
    for i in 1..=ACCOUNTS {
        let mut a = account(&mut rng, i);
        let in_arrears = i == 1 || rng.gen_range(0..100) < 22;
        if in_arrears && (i % 9 == 0 || i == 7) {
            a.risk = Some(if i % 2 == 0 { RiskMark::PoorCredit } else { RiskMark::RepeatedArrears });
        }
        let id = db::insert_account(conn, &a, now, Some(key)).await?;
        if i % 97 == 0 {
            sqlx::query("UPDATE accounts SET closed = 1 WHERE id = ?").bind(id).execute(&mut *conn).await?;
        }
        if a.billing_mode == BillingMode::Prepaid {
            continue;
        }
        // Account 1 owes since 13 months... the oldest 2 periods and the last 3: across the year.
        let unpaid_from = if i == 1 {
            0
        } else if in_arrears {
            periods.len().saturating_sub(rng.gen_range(1..=4))
        } else {
            periods.len()
        };
        let base_kwh: i64 = match a.category {
            Category::Residential => rng.gen_range(80..400),
            Category::Commercial => rng.gen_range(600..4000),
            Category::Industrial => rng.gen_range(20_000..90_000),
            Category::Agricultural => rng.gen_range(200..3000),
        };
        for (k, (period, due)) in periods.iter().enumerate() {
            let kwh = Decimal::from(base_kwh + rng.gen_range(-base_kwh / 5..=base_kwh / 5));
            let amount = Yuan::from_decimal_half_up(kwh * price(a.category));
            let unpaid = k >= unpaid_from && *due < today;
            let paid = if !unpaid {
                amount
            } else if rng.gen_range(0..6) == 0 {
                Yuan::from_fen(amount.fen() / 3)
            } else {
                Yuan::ZERO
            };
            // Account 1 paid its middle months.
            let paid = if i == 1 && (2..periods.len().saturating_sub(3)).contains(&k) { amount } else { paid };
            let bill = NewBill {
                account_no: a.account_no.clone(),
                period: *period,
                kwh: kwh.to_string(),
                amount,
                due_date: *due,
                paid,
            };
            db::insert_bill(conn, id, &bill).await?;
        }
    }
    crate::store::set_setting(&mut *conn, SETTING_DEMO, "1").await?;
    Ok(())
}
