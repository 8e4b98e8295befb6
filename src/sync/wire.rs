//! 接口报文: the JSON the counter and the central ledger exchange, shared by both sides (the ledger
//! depends on this crate). Money is a decimal string (`Yuan`), never a JSON number.
//!
//! - `POST /v1/enrol` [`EnrolRequest`] → [`EnrolResponse`]: a one-time code for a token.
//! - `POST /v1/events` [`PushRequest`] → [`PushResponse`]: outbox events in `seq` order; one
//!   [`EventResult`] per event, in the same order.
//! - `GET /v1/changes?cursor=C&limit=N` → [`PullResponse`]: accounts, bills, policy and calendar
//!   years changed after the cursor, oldest change first.
//! - Every error is an [`ApiError`] body: a stable code, a message, and whether retrying may help.
//!
//! Every request but enrol carries `Authorization: Bearer TOKEN`. The payload of a pushed event is
//! the outbox's exact text, so `payload_sha256` can be checked byte for byte. It travels as the JSON
//! object it is, not as a string holding it ([`raw_payload`]): the counter does not escape it and
//! the ledger does not unescape it (a fifth of the ledger's CPU in a push went to that), and the
//! ledger still receives the exact text.

use serde::{Deserialize, Serialize};

use crate::{
    accounts::{BillingMode, Category, RiskMark},
    calendar::YearCalendar,
    money::Yuan,
    policy::Policy,
};

/// Events per push request, at most.
pub const MAX_BATCH: usize = 500;
/// Bytes of one event payload, at most.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Bytes of a request body, at most.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Changes per pull page, at most (and the default).
pub const MAX_PAGE: i64 = 5000;

/// The event kinds a counter sends.
pub const KINDS: [&str; 6] = ["payment", "vend", "void", "deposit", "shift.open", "shift.close"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolRequest {
    pub terminal: String,
    pub code: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolResponse {
    pub terminal: String,
    /// The terminal's bearer token: shown once, kept in the OS keyring.
    pub token: String,
}

impl std::fmt::Debug for EnrolResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnrolResponse {{ terminal: {:?}, token: <redacted> }}", self.terminal)
    }
}

/// One outbox event as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushEvent {
    pub event_id: String,
    pub seq: i64,
    pub kind: String,
    pub terminal: String,
    /// The outbox payload, exactly as stored: a JSON object, sent as is (a string holding the text
    /// is accepted too).
    #[serde(with = "raw_payload")]
    #[schema(value_type = Object)]
    pub payload: String,
    pub payload_sha256: String,
    pub created_at: String,
}

/// An event payload on the wire: the JSON value itself, whose exact text the receiver gets back.
///
/// - Sent raw when the text is one JSON value with nothing around it that is not a string
///   (always so for the counter's payloads, which `serde_json` wrote); otherwise as a JSON string,
///   so a payload that is not JSON still reaches the ledger, which refuses it with a message.
/// - Received: a JSON string is unescaped (an older counter, or the case above); any other value
///   is taken as the exact text between its first and last byte.
pub mod raw_payload {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(payload: &str, s: S) -> Result<S::Ok, S::Error> {
        match serde_json::from_str::<&RawValue>(payload) {
            Ok(raw) if raw.get().len() == payload.len() && !payload.starts_with('"') => raw.serialize(s),
            _ => s.serialize_str(payload),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        if raw.get().starts_with('"') {
            serde_json::from_str(raw.get()).map_err(D::Error::custom)
        } else {
            Ok(String::from(Box::<str>::from(raw)))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRequest {
    pub events: Vec<PushEvent>,
}

/// What the ledger did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored and applied now.
    Applied,
    /// Stored before with the same payload: nothing done.
    Duplicate,
    /// Recorded with a flag for review (a conflict, or an id reused with a different payload).
    Flagged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventResult {
    pub event_id: String,
    pub outcome: Outcome,
    /// Why it was flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResponse {
    pub results: Vec<EventResult>,
}

/// An account as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WireAccount {
    pub account_no: String,
    pub name: String,
    pub address: String,
    #[schema(value_type = String)]
    pub category: Category,
    #[schema(value_type = String)]
    pub billing_mode: BillingMode,
    pub meter_no: String,
    pub multiplier: i64,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    #[schema(value_type = String)]
    pub prepaid_balance: Yuan,
    #[schema(value_type = Option<String>)]
    pub risk: Option<RiskMark>,
    pub closed: bool,
}

/// A bill as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WireBill {
    pub account_no: String,
    /// `YYYYMM`
    pub period: String,
    pub kwh: String,
    #[schema(value_type = String)]
    pub amount: Yuan,
    #[schema(value_type = String)]
    pub paid: Yuan,
    /// `YYYY-MM-DD`
    pub due_date: String,
    pub late_fee_from: String,
    #[schema(value_type = String)]
    pub late_fee_received: Yuan,
    #[schema(value_type = String)]
    pub late_fee_waived: Yuan,
    #[schema(value_type = String)]
    pub late_fee_owed: Yuan,
    pub written_off: bool,
}

/// One change sent down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Account(WireAccount),
    Bill(WireBill),
    /// The whole policy (late fee, holiday cash, bank first).
    Policy(PolicyChange),
    /// One year's holiday notice.
    Calendar(CalendarChange),
}

/// The whole policy (late fee, holiday cash, bank first): the core's `Policy` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyChange {
    #[schema(value_type = Object)]
    pub policy: Policy,
}

/// One year's holiday notice: the core's `YearCalendar` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalendarChange {
    #[schema(value_type = Object)]
    pub notice: YearCalendar,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Pass this back to get the changes after these. Opaque to the counter.
    pub cursor: String,
    /// Whether more changes are waiting after this page.
    pub more: bool,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiError {
    /// Stable, e.g. `BAD_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`, `TOO_LARGE`, `UNAVAILABLE`.
    pub code: String,
    pub message: String,
    /// Whether sending the same request again later may succeed.
    pub retry: bool,
}

/// The payload of a `payment` or `vend` event (the fields the ledger applies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakingPayload {
    pub event_id: String,
    pub receipt_no: String,
    pub account_no: String,
    pub cashier: String,
    pub method: String,
    pub amount: Yuan,
    #[serde(default)]
    pub voucher: Option<VoucherPayload>,
    #[serde(default)]
    pub lines: Vec<LinePayload>,
    #[serde(default)]
    pub late_fee_waived: Option<Yuan>,
    #[serde(default)]
    pub waiver_reason: Option<String>,
    /// RFC 3339, the counter's local time.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherPayload {
    pub bank: String,
    pub serial: String,
    pub payer: String,
    pub amount: Yuan,
    pub transfer_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePayload {
    pub period: Option<String>,
    pub kind: String,
    pub amount: Yuan,
}

/// The payload of a `void` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidPayload {
    pub event_id: String,
    pub voids_event_id: String,
    pub receipt_no: String,
    pub amount: Yuan,
    pub reason: String,
    pub at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pushed(payload: &str) -> PushEvent {
        PushEvent {
            event_id: "0192d5d2-7b4e-7c6a-9f00-000000000001".into(),
            seq: 1,
            kind: "payment".into(),
            terminal: "DEMO-01".into(),
            payload: payload.into(),
            payload_sha256: String::new(),
            created_at: "2026-12-06T09:00:00+08:00".into(),
        }
    }

    #[rstest::rstest]
    #[case::object(r#"{"amount":"12.30","account_no":"3100000001","lines":[]}"#, true)]
    #[case::spaces_and_chinese(r#"{ "name" : "张三\n", "x": [1, 2.50, null] }"#, true)]
    #[case::escapes_kept_as_written(r#"{"a":"\u5f20\"q\"","b":"\/"}"#, true)]
    #[case::not_json("{not json", false)]
    #[case::whitespace_around(" {\"a\":1} ", false)]
    #[case::a_json_string(r#""{\"a\":1}""#, false)]
    #[case::empty("", false)]
    fn a_payload_arrives_byte_for_byte(#[case] payload: &str, #[case] raw: bool) -> Result<(), serde_json::Error> {
        let text = serde_json::to_string(&pushed(payload))?;
        assert_eq!(text.contains(&format!("\"payload\":{payload},")), raw, "{text}");
        let back: PushEvent = serde_json::from_str(&text)?;
        assert_eq!(back.payload, payload);
        Ok(())
    }

    #[test]
    fn a_payload_sent_as_a_string_is_accepted() -> Result<(), serde_json::Error> {
        let text = r#"{"event_id":"e","seq":1,"kind":"payment","terminal":"T","payload":"{\"a\": \"\u5f20\"}","payload_sha256":"","created_at":""}"#;
        let e: PushEvent = serde_json::from_str(text)?;
        assert_eq!(e.payload, "{\"a\": \"张\"}");
        let bad = r#"{"event_id":"e","seq":1,"kind":"payment","terminal":"T","payload":{"a":1,"payload_sha256":"","created_at":""}"#;
        assert!(serde_json::from_str::<PushEvent>(bad).is_err());
        Ok(())
    }

    #[test]
    fn changes_are_tagged_and_money_is_a_string() {
        let c = Change::Bill(WireBill {
            account_no: "3100000001".into(),
            period: "202610".into(),
            kwh: "120".into(),
            amount: Yuan::parse("66.60").unwrap(),
            paid: Yuan::ZERO,
            due_date: "2026-11-15".into(),
            late_fee_from: "2026-11-15".into(),
            late_fee_received: Yuan::ZERO,
            late_fee_waived: Yuan::ZERO,
            late_fee_owed: Yuan::ZERO,
            written_off: false,
        });
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.starts_with(r#"{"type":"bill""#), "{text}");
        assert!(text.contains(r#""amount":"66.60""#), "{text}");
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), c);
    }

    #[test]
    fn the_token_never_reaches_debug_output() {
        let r = EnrolResponse { terminal: "DEMO-01".into(), token: "secret-token".into() };
        assert!(!format!("{r:?}").contains("secret"));
    }
}
