//! Fuzzing with a fixed budget (issue 17, part 5): what a person, a file or the network hands the
//! core never panics it, and every refusal is a coded error. Property tests rather than cargo-fuzz
//! so that `make test` runs them on every change (cases per target below; `PROPTEST_CASES` raises
//! them for a longer run).
//!
//! Targets: `Yuan::parse` (typed amounts), the accounts and bills CSV import, the sync wire (every
//! event kind as the ledger reads a push, a pull page as the counter reads it), and `commands::call`
//! (every IPC command with arbitrary JSON, as the webview could send it).

use cashdesk::{
    accounts::import::{parse_accounts, parse_bills},
    desk::commands::{COMMANDS, call},
    money::Yuan,
    sync::wire::{Event, Kind, PullResponse, PushRequest},
};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::{ACCOUNTS_CSV, BILLS_CSV, token, with_accounts};

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig { cases: n, ..ProptestConfig::default() }
}

/// Text a tired cashier or a broken file might hold: digits of both widths, signs, separators,
/// letters, CJK, control characters.
fn messy_text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,40}", "[0-9０-９.,。 ¥\\-+eE]{0,24}", "[0-9]{0,16}(\\.[0-9]{0,4})?", "\\PC{0,30}",]
}

/// A valid text with a few characters replaced, inserted or removed.
fn mutated(valid: &'static str) -> impl Strategy<Value = String> {
    let chars: Vec<char> = valid.chars().collect();
    let n = chars.len();
    proptest::collection::vec((0..n.max(1), 0_u8..3, any::<char>()), 1..6).prop_map(move |edits| {
        let mut c = chars.clone();
        for (at, what, ch) in edits {
            let at = at.min(c.len());
            match what {
                0 if at < c.len() => c[at] = ch,
                1 => c.insert(at, ch),
                _ if at < c.len() => {
                    c.remove(at);
                }
                _ => c.push(ch),
            }
        }
        c.into_iter().collect()
    })
}

/// Arbitrary JSON, with the field names the commands and the wire use, so that deep paths are
/// reached and not only "missing field".
fn json_value() -> impl Strategy<Value = Value> {
    let keys = prop_oneof![
        Just("token".to_string()),
        Just("account_no".to_string()),
        Just("amount".to_string()),
        Just("tendered".to_string()),
        Just("method".to_string()),
        Just("float".to_string()),
        Just("filter".to_string()),
        Just("date".to_string()),
        Just("scope".to_string()),
        Just("receipt_no".to_string()),
        Just("request_no".to_string()),
        Just("approval".to_string()),
        Just("event_id".to_string()),
        Just("lines".to_string()),
        "[a-z_]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Numbers with a fraction and an exponent, written as JSON writes them (no float in Rust).
        "-?[0-9]{1,6}\\.[0-9]{1,6}(e[+-]?[0-9]{1,3})?"
            .prop_map(|n| serde_json::from_str::<Value>(&n).unwrap_or(Value::Null)),
        messy_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn an_amount_is_parsed_or_refused_with_a_code(s in messy_text()) {
        match Yuan::parse(&s) {
            Ok(y) => {
                prop_assert_eq!(y.decimal().scale(), 2);
                prop_assert_eq!(Yuan::parse(&y.to_string()), Ok(y), "what was read reads back the same");
            }
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }
}

proptest! {
    #![proptest_config(cases(600))]

    #[test]
    fn a_damaged_import_file_is_refused_with_a_code(
        accounts in prop_oneof![mutated(ACCOUNTS_CSV), messy_text()],
        bills in prop_oneof![mutated(BILLS_CSV), messy_text()],
        raw in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        for bytes in [accounts.as_bytes(), bills.as_bytes(), raw.as_slice()] {
            if let Err(e) = parse_accounts(bytes) {
                prop_assert!(!e.code().is_empty());
            }
            if let Err(e) = parse_bills(bytes) {
                prop_assert!(!e.code().is_empty());
            }
        }
    }

    #[test]
    fn a_damaged_push_or_pull_is_refused_not_a_panic(value in json_value(), kind in 0_usize..Kind::ALL.len(), text in messy_text()) {
        let payload = value.to_string();
        // The ledger's reading of each pushed event, and of a whole push.
        for p in [payload.as_str(), text.as_str()] {
            if let Err(e) = Event::read(Kind::ALL[kind].as_str(), p) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
        prop_assert!(Event::read(&text, &payload).is_err() || Kind::parse(&text).is_some());
        let _ = serde_json::from_value::<PushRequest>(value.clone());
        let push = json!({"terminal": "GY01-03", "events": [{"event_id": text, "seq": 1, "kind": Kind::ALL[kind].as_str(),
            "payload": payload, "payload_sha256": "00", "created_at": "2026-03-02T10:00:00+08:00"}]});
        let _ = serde_json::from_value::<PushRequest>(push);
        // The counter's reading of a pull page.
        let _ = serde_json::from_value::<PullResponse>(value);
        let page = json!({"cursor": text, "more": false, "changes": [{"kind": "account", "account": payload}]});
        let _ = serde_json::from_value::<PullResponse>(page);
    }
}

/// Every IPC command with arbitrary arguments, with a real session and without: no panic, and
/// every refusal an `ErrorBody` with a code.
#[test]
fn every_command_refuses_nonsense_with_a_code() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let c = rt.block_on(with_accounts("2026-03-02T10:00:00+08:00"));
    let commands: Vec<&'static str> = COMMANDS.iter().map(|(name, _, _)| *name).collect();
    let n = commands.len();
    let mut runner = proptest::test_runner::TestRunner::new(cases(3000));
    runner
        .run(
            &(0..n, json_value(), 0_u8..3, prop_oneof![Just(String::new()), "[a-z_]{1,20}"]),
            |(i, mut value, with, bogus)| {
                let cmd = if bogus.is_empty() { commands[i] } else { bogus.as_str() };
                // A real token of a role, or none, in an object or not.
                if let Value::Object(map) = &mut value {
                    match with {
                        0 => {
                            let user = ["cashier1", "super1", "finance1", "admin"][i % 4];
                            map.insert("token".into(), Value::from(rt.block_on(token(&c.desk, user))));
                        }
                        1 => {
                            map.remove("token");
                        }
                        _ => {}
                    }
                }
                match rt.block_on(call(&c.desk, cmd, value)) {
                    Ok(_) => {}
                    Err(e) => prop_assert!(
                        !e.code.is_empty() && e.code.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'),
                        "{cmd}: {e:?}"
                    ),
                }
                Ok(())
            },
        )
        .unwrap();
}
