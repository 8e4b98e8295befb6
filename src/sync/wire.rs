//! 接口报文: the JSON the counter and the central ledger exchange, shared by both sides (the ledger
//! depends on this crate). Money is a decimal string (`Yuan`), never a JSON number.
//!
//! - `POST /v1/enrol` [`EnrolRequest`] → [`EnrolResponse`]: a one-time code for a token.
//! - `POST /v1/events` [`PushRequest`] → [`PushResponse`]: outbox events in `seq` order; one
//!   [`EventResult`] per event, in the same order. The request may carry the counter's audit chain
//!   head ([`AuditHead`]); the reply then names the head the ledger holds (`audit_seen`). Both
//!   fields are optional: counters and ledgers without them keep working.
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolRequest {
    /// The terminal's code: 2–20 of A–Z, 0–9 and `-`, not at either end (`GY01-03`).
    #[schema(pattern = r"^[A-Z0-9][A-Z0-9-]{0,18}[A-Z0-9]$")]
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushEvent {
    pub event_id: String,
    /// The event's place in its terminal's outbox: an integer (written `218` or `218.0`).
    #[serde(deserialize_with = "integral::deserialize")]
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
    /// A secret that travels with the event but is not in its payload: a refund's whole payee
    /// account number. The counter keeps it sealed with its data key (`outbox.secret`) and opens it
    /// only for this request (over TLS); the ledger seals it with its own key before it stores it.
    /// Not covered by `payload_sha256`: a resend carries it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl std::fmt::Debug for PushEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushEvent")
            .field("event_id", &self.event_id)
            .field("seq", &self.seq)
            .field("kind", &self.kind)
            .field("terminal", &self.terminal)
            .field("payload", &self.payload)
            .field("payload_sha256", &self.payload_sha256)
            .field("created_at", &self.created_at)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
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

/// An integer on the wire, however the JSON writes it: `218`, `218.0` or `2.18e2` are the same
/// integer (JSON has one number type; some writers put a fraction on every number). A fraction
/// that is not zero, a number beyond `i64`, or anything else is refused. Read as exact decimal
/// text, never through a float.
pub mod integral {
    use rust_decimal::{Decimal, prelude::ToPrimitive};
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::value::RawValue;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        if let Ok(n) = text.parse::<i64>() {
            return Ok(n);
        }
        let refused = || D::Error::custom(format!("expected an integer, found {text}"));
        if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return Err(refused());
        }
        let number = if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { text.parse::<Decimal>() };
        match number {
            Ok(n) if n.fract().is_zero() => n.to_i64().ok_or_else(refused),
            _ => Err(refused()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRequest {
    /// At most `MAX_BATCH`; may be empty (a push that only carries `audit`).
    pub events: Vec<PushEvent>,
    /// The counter's audit chain head (issue 17, part 2): sent with the first push of every sync
    /// round. Absent from older counters; an older ledger ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditHead>,
}

/// One entry of a counter's audit chain, named by its place (`seq`, 0 for an empty trail) and its
/// hash (64 lowercase hex digits; the genesis hash for an empty trail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditMark {
    #[serde(deserialize_with = "integral::deserialize")]
    #[schema(minimum = 0)]
    pub seq: i64,
    #[schema(pattern = r"^[0-9a-f]{64}$")]
    pub hash: String,
}

impl AuditMark {
    /// Whether this is a mark a counter can send: `seq` not negative, `hash` 64 lowercase hex digits.
    pub fn is_well_formed(&self) -> bool {
        self.seq >= 0 && self.hash.len() == 64 && self.hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

/// A counter's audit chain head as a sync round sends it: the newest entry, and the counter's own
/// entry at the place of the head the ledger last acknowledged (`PushResponse::audit_seen`), which
/// must be that head if the chain still extends it. The ledger stores the head per terminal and
/// flags for review one that goes backwards or does not extend the last it saw; it never refuses
/// the push for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditHead {
    pub head: AuditMark,
    /// The counter's entry at the seq of the ledger's last acknowledged head; absent when the
    /// counter has no acknowledgement yet or no longer has an entry there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_last: Option<AuditMark>,
}

/// `GET /v1/audit-head`: the audit chain head the ledger holds for the asking terminal (the last
/// one a push carried), for `cashdeskctl audit verify` to compare with the counter's own chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditHeadHeld {
    /// None before the terminal's first push with a head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<AuditMark>,
    /// When the ledger received it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<String>,
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
    /// The audit chain head the ledger now holds for this terminal, when the request carried one:
    /// the counter keeps it and proves its chain still extends it in the next round (`at_last`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_seen: Option<AuditMark>,
}

/// An account as a counter receives it: never its ID-card number, and its phone number masked
/// (`138****5678`, `accounts::import::mask_phone`). A field an older ledger still sends is ignored.
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
    /// Masked: the last four digits (and the first three of a mobile number).
    pub phone: Option<String>,
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
    /// A refund request's state as the centre decided it (finance review, payout).
    Refund(Box<WireRefund>),
    /// A deposit the centre confirmed (the bank has it).
    Deposit(WireDeposit),
}

/// A deposit (解款) as the centre confirmed it: by a finance user, or by a line of the bank's
/// statement with the same slip number and amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WireDeposit {
    /// The deposit event's id.
    pub event_id: String,
    pub terminal: String,
    pub slip_no: String,
    #[schema(value_type = String)]
    pub amount: Yuan,
    /// RFC 3339.
    pub confirmed_at: String,
    /// The finance user, or `statement`.
    pub confirmed_by: String,
    /// The bank's reference of the credit, when known.
    pub reference: Option<String>,
}

/// A refund request as the centre holds it, sent down when finance decides or pays. The account's
/// balance after a payout comes down as its own `Account` change, from the same transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WireRefund {
    /// The event id of the submission: the request's id everywhere.
    pub refund_id: String,
    pub request_no: String,
    pub terminal: String,
    pub account_no: String,
    #[schema(value_type = String)]
    pub state: crate::refunds::State,
    /// The finance reviewer (a ledger user) and when, with the reason of a rejection.
    pub finance_by: Option<String>,
    pub finance_at: Option<String>,
    pub finance_reason: Option<String>,
    #[schema(value_type = Option<String>)]
    pub paid_amount: Option<Yuan>,
    /// `YYYY-MM-DD`.
    pub payout_date: Option<String>,
    /// The bank's reference of the payout.
    pub payout_ref: Option<String>,
    /// Why the centre flagged it instead of paying (e.g. more than the account's balance there).
    pub flag: Option<String>,
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

/// 事件: every event a counter sends up, one struct per kind. The counter writes its outbox
/// through [`Event::payload`] and the ledger reads a pushed payload with [`Event::read`]: one
/// contract, no second hand-written copy on either side.
///
/// The bytes are pinned (golden tests below): each struct's fields are declared in the order of
/// their names, which is the order `serde_json` wrote the `json!` objects earlier counters sent, so
/// an event re-sent from an old outbox and one written now look alike. Reading is lenient where
/// earlier counters sent less: fields a first version lacked default (`#[serde(default)]`), and
/// unknown fields are ignored, so a newer counter's extra field never stops an older ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// 缴费: money for a postpaid account.
    Payment(Taking),
    /// 售电: money for a prepaid account.
    Vend(Taking),
    /// 作废: a payment of the same open shift reversed.
    Void(Void),
    /// 解款: cash taken to the bank.
    Deposit(Deposit),
    /// 开班.
    ShiftOpen(ShiftOpen),
    /// 交班.
    ShiftClose(ShiftClose),
    /// 退费申请: a refund request submitted at the counter (the amount is held from now on).
    RefundSubmit(RefundSubmit),
    /// 营业厅审核: the hall's supervisor approved or rejected a request.
    RefundHall(RefundHall),
}

/// The kinds, as the outbox and the wire name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Payment,
    Vend,
    Void,
    Deposit,
    ShiftOpen,
    ShiftClose,
    RefundSubmit,
    RefundHall,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Payment,
        Kind::Vend,
        Kind::Void,
        Kind::Deposit,
        Kind::ShiftOpen,
        Kind::ShiftClose,
        Kind::RefundSubmit,
        Kind::RefundHall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Payment => "payment",
            Kind::Vend => "vend",
            Kind::Void => "void",
            Kind::Deposit => "deposit",
            Kind::ShiftOpen => "shift.open",
            Kind::ShiftClose => "shift.close",
            Kind::RefundSubmit => "refund.submit",
            Kind::RefundHall => "refund.hall",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why a pushed payload is not an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("unknown kind '{0}'")]
    UnknownKind(String),
    #[error("the payload is not a valid {kind} event: {reason}")]
    Payload { kind: &'static str, reason: String },
}

impl Event {
    pub fn kind(&self) -> Kind {
        match self {
            Event::Payment(_) => Kind::Payment,
            Event::Vend(_) => Kind::Vend,
            Event::Void(_) => Kind::Void,
            Event::Deposit(_) => Kind::Deposit,
            Event::ShiftOpen(_) => Kind::ShiftOpen,
            Event::ShiftClose(_) => Kind::ShiftClose,
            Event::RefundSubmit(_) => Kind::RefundSubmit,
            Event::RefundHall(_) => Kind::RefundHall,
        }
    }

    /// The id the payload carries (the outbox's and the wire's event id).
    pub fn event_id(&self) -> &str {
        match self {
            Event::Payment(e) | Event::Vend(e) => &e.event_id,
            Event::Void(e) => &e.event_id,
            Event::Deposit(e) => &e.event_id,
            Event::ShiftOpen(e) => &e.event_id,
            Event::ShiftClose(e) => &e.event_id,
            Event::RefundSubmit(e) => &e.event_id,
            Event::RefundHall(e) => &e.event_id,
        }
    }

    /// The payload's text, as the outbox keeps it and the wire carries it.
    pub fn payload(&self) -> String {
        // Plain structs of strings, numbers and lists: serializing cannot fail; the fallback keeps
        // the function total.
        match self {
            Event::Payment(e) | Event::Vend(e) => serde_json::to_string(e),
            Event::Void(e) => serde_json::to_string(e),
            Event::Deposit(e) => serde_json::to_string(e),
            Event::ShiftOpen(e) => serde_json::to_string(e),
            Event::ShiftClose(e) => serde_json::to_string(e),
            Event::RefundSubmit(e) => serde_json::to_string(e),
            Event::RefundHall(e) => serde_json::to_string(e),
        }
        .unwrap_or_default()
    }

    /// Read a pushed payload of `kind`.
    pub fn read(kind: &str, payload: &str) -> Result<Event, EventError> {
        let k = Kind::parse(kind).ok_or_else(|| EventError::UnknownKind(kind.to_string()))?;
        fn parse<T: serde::de::DeserializeOwned>(k: Kind, payload: &str) -> Result<T, EventError> {
            serde_json::from_str(payload).map_err(|e| EventError::Payload { kind: k.as_str(), reason: e.to_string() })
        }
        Ok(match k {
            Kind::Payment => Event::Payment(parse(k, payload)?),
            Kind::Vend => Event::Vend(parse(k, payload)?),
            Kind::Void => Event::Void(parse(k, payload)?),
            Kind::Deposit => Event::Deposit(parse(k, payload)?),
            Kind::ShiftOpen => Event::ShiftOpen(parse(k, payload)?),
            Kind::ShiftClose => Event::ShiftClose(parse(k, payload)?),
            Kind::RefundSubmit => Event::RefundSubmit(parse(k, payload)?),
            Kind::RefundHall => Event::RefundHall(parse(k, payload)?),
        })
    }
}

/// A `payment` or `vend`: what was taken, how, and how it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taking {
    pub account_no: String,
    pub amount: Yuan,
    /// The supervisor who approved (holiday cash, a waiver).
    #[serde(default)]
    pub approved_by: Option<String>,
    /// RFC 3339, the counter's local time.
    pub at: String,
    pub cashier: String,
    #[serde(default)]
    pub change: Option<Yuan>,
    pub event_id: String,
    #[serde(default)]
    pub holiday_cash_due: Option<chrono::NaiveDate>,
    pub kind: crate::payments::PaymentKind,
    #[serde(default)]
    pub late_fee_waived: Option<Yuan>,
    #[serde(default)]
    pub late_fee_waived_by_period: Vec<WaivedPayload>,
    #[serde(default)]
    pub lines: Vec<LinePayload>,
    pub method: crate::payments::Method,
    #[serde(default)]
    pub prepaid_after: Option<Yuan>,
    pub receipt_no: String,
    #[serde(default)]
    pub shift: i64,
    #[serde(default)]
    pub tendered: Option<Yuan>,
    #[serde(default)]
    pub voucher: Option<VoucherPayload>,
    #[serde(default)]
    pub waiver_reason: Option<String>,
}

/// The bank voucher a transfer was paid with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherPayload {
    pub amount: Yuan,
    /// The bank's code (`payments::banks`).
    pub bank: String,
    #[serde(default)]
    pub bank_name: String,
    pub payer: String,
    pub serial: String,
    /// `YYYY-MM-DD`.
    pub transfer_date: String,
}

/// One allocation line: the period (none for prepaid), late fee, principal or prepaid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePayload {
    pub amount: Yuan,
    pub kind: crate::payments::LineKind,
    /// `YYYYMM`.
    pub period: Option<String>,
}

/// A late fee waived on one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaivedPayload {
    pub amount: Yuan,
    pub period: String,
}

/// A `void`: the payment event it reverses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Void {
    pub amount: Yuan,
    #[serde(default)]
    pub approved_by: String,
    pub at: String,
    #[serde(default)]
    pub cashier: String,
    pub event_id: String,
    pub reason: String,
    pub receipt_no: String,
    pub voids_event_id: String,
}

/// A `deposit` (解款).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    pub amount: Yuan,
    #[serde(default)]
    pub at: String,
    /// The bank's code.
    pub bank: String,
    #[serde(default)]
    pub cashier: String,
    pub event_id: String,
    #[serde(default)]
    pub from_drawer: Option<Yuan>,
    #[serde(default)]
    pub holiday_cash_covered: Option<Yuan>,
    #[serde(default)]
    pub shift: i64,
    pub slip_no: String,
}

/// A `shift.open` (开班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftOpen {
    pub cashier: String,
    pub event_id: String,
    pub float: Yuan,
    pub opened_at: String,
    pub shift: i64,
}

/// A `shift.close` (交班): the final count and every count before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftClose {
    #[serde(default)]
    pub approved_by: Option<String>,
    pub at: String,
    pub cashier: String,
    /// Pieces by denomination (`"100.00"` → 12), every denomination.
    #[serde(default)]
    pub count: std::collections::BTreeMap<String, u32>,
    /// Every count submitted at close (counters before the blind count kept only the last).
    #[serde(default)]
    pub count_attempts: Vec<CountAttemptPayload>,
    pub counted: Yuan,
    /// counted − expected: negative is 短款.
    #[serde(default, with = "crate::money::signed")]
    pub difference: Yuan,
    pub event_id: String,
    pub expected: Yuan,
    pub float: Yuan,
    #[serde(default)]
    pub reason: Option<String>,
    pub shift: i64,
}

/// A `refund.submit` (退费申请). The payee's whole account number is not in it: it travels as the
/// event's `secret` ([`PushEvent::secret`]); the payload carries only its masked form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundSubmit {
    pub account_no: String,
    pub amount: Yuan,
    /// RFC 3339, the counter's local time.
    pub at: String,
    pub docs: RefundDocs,
    /// For a duplicate payment: the receipt it refers to.
    pub duplicate_of: Option<String>,
    /// The request's id from now on.
    pub event_id: String,
    /// `6222 **** **** 1234`.
    pub payee_account_masked: String,
    pub payee_bank: String,
    pub payee_branch: String,
    pub payee_name: String,
    /// Why the payee is not the account's 户名 (a power of attorney...), in words.
    pub payee_reason: Option<String>,
    pub reason: crate::refunds::Reason,
    /// The reason in words (required for 其他).
    pub reason_text: Option<String>,
    /// `TERMINAL-TF-YEAR-NNNNNN`, printed on the forms.
    pub request_no: String,
    pub submitted_by: String,
}

/// The documents the cashier saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct RefundDocs {
    /// 销户 form (申请表).
    pub closure_form: bool,
    /// 身份证.
    pub id_card: bool,
    /// 原缴费凭证.
    pub original_receipt: bool,
}

/// A `refund.hall` (营业厅审核).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundHall {
    pub at: String,
    /// The supervisor.
    pub by: String,
    pub decision: HallDecision,
    pub event_id: String,
    /// Why, for a rejection.
    pub reason: Option<String>,
    /// The submission's event id.
    pub refund_id: String,
}

/// What the hall decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HallDecision {
    Approved,
    Rejected,
}

/// One count at close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountAttemptPayload {
    pub attempt: u32,
    pub counted: Yuan,
    pub matches: bool,
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
            secret: None,
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
    fn a_push_without_an_audit_head_keeps_its_bytes() -> Result<(), serde_json::Error> {
        let e = pushed(r#"{"a":1}"#);
        let plain = PushRequest { events: vec![e.clone()], audit: None };
        let text = serde_json::to_string(&plain)?;
        assert_eq!(text, format!("{{\"events\":[{}]}}", serde_json::to_string(&e)?));
        assert_eq!(serde_json::from_str::<PushRequest>(&text)?, plain);
        let reply = PushResponse { results: vec![], audit_seen: None };
        assert_eq!(serde_json::to_string(&reply)?, r#"{"results":[]}"#);
        assert_eq!(serde_json::from_str::<PushResponse>(r#"{"results":[]}"#)?, reply);
        let mark = |seq| AuditMark { seq, hash: "ab".repeat(32) };
        let with = PushRequest { events: vec![], audit: Some(AuditHead { head: mark(7), at_last: Some(mark(5)) }) };
        let text = serde_json::to_string(&with)?;
        assert!(text.starts_with(r#"{"events":[],"audit":{"head":{"seq":7,"#), "{text}");
        assert_eq!(serde_json::from_str::<PushRequest>(&text)?, with);
        assert!(mark(0).is_well_formed());
        assert!(!mark(-1).is_well_formed());
        assert!(!AuditMark { seq: 1, hash: "AB".repeat(32) }.is_well_formed());
        assert!(!AuditMark { seq: 1, hash: "ab".into() }.is_well_formed());
        Ok(())
    }

    #[test]
    fn seq_is_an_integer_however_json_writes_it() {
        let event = |seq: &str| {
            serde_json::from_str::<PushEvent>(&format!(
                r#"{{"event_id":"e","seq":{seq},"kind":"payment","terminal":"T","payload":{{}},"payload_sha256":"","created_at":""}}"#
            ))
            .map(|e| e.seq)
        };
        for (text, seq) in
            [("218", 218), ("218.0", 218), ("218.000", 218), ("2.18e2", 218), ("2.18E+2", 218), ("-1.0", -1)]
        {
            assert_eq!(event(text).unwrap(), seq, "{text}");
        }
        for text in ["218.5", "\"218\"", "1e19", "9223372036854775808", "true", "null", "[1]"] {
            let e = event(text).unwrap_err().to_string();
            assert!(e.contains("integer") || e.contains("expected"), "{text}: {e}");
        }
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

    /// The bytes of every kind as a counter writes it (each taken from a real counter's outbox:
    /// a waived cash payment, a transfer, a holiday-cash vend, its void, a deposit, a close). An
    /// event read and written again is the same text to the byte.
    #[rstest::rstest]
    #[case::shift_open("shift.open", r#"{"cashier":"cashier1","event_id":"0192d5d2-7b4e-7c6a-9f00-000000000001","float":"500.00","opened_at":"2026-01-18T10:00:00+08:00","shift":1}"#)]
    #[case::payment("payment", r#"{"account_no":"3100000004","amount":"500.00","approved_by":"super1","at":"2026-01-18T10:00:00+08:00","cashier":"cashier1","change":"50.00","event_id":"0192d5d2-7b4e-7c6a-9f00-000000000002","holiday_cash_due":null,"kind":"payment","late_fee_waived":"108.00","late_fee_waived_by_period":[{"amount":"108.00","period":"202512"}],"lines":[{"amount":"500.00","kind":"principal","period":"202512"}],"method":"cash","prepaid_after":"0.00","receipt_no":"GY01-03-2026-000001","shift":1,"tendered":"550.00","voucher":null,"waiver_reason":"困难"}"#)]
    #[case::payment_2("payment", r#"{"account_no":"3100000002","amount":"100.00","approved_by":null,"at":"2026-01-18T10:00:00+08:00","cashier":"cashier1","change":null,"event_id":"0192d5d2-7b4e-7c6a-9f00-000000000003","holiday_cash_due":null,"kind":"payment","late_fee_waived":"0.00","late_fee_waived_by_period":[],"lines":[{"amount":"100.00","kind":"late_fee","period":"202511"}],"method":"transfer","prepaid_after":"12.50","receipt_no":"GY01-03-2026-000002","shift":1,"tendered":null,"voucher":{"amount":"100.00","bank":"102","bank_name":"中国工商银行","payer":"某公司","serial":"SN1234","transfer_date":"2026-01-17"},"waiver_reason":null}"#)]
    #[case::vend("vend", r#"{"account_no":"3100000003","amount":"100.00","approved_by":"super1","at":"2026-01-17T10:00:00+08:00","cashier":"cashier1","change":"0.00","event_id":"0192d5d2-7b4e-7c6a-9f00-000000000004","holiday_cash_due":"2026-01-19","kind":"vend","late_fee_waived":"0.00","late_fee_waived_by_period":[],"lines":[{"amount":"100.00","kind":"prepaid","period":null}],"method":"cash","prepaid_after":"5100.00","receipt_no":"GY01-03-2026-000003","shift":1,"tendered":"100.00","voucher":null,"waiver_reason":null}"#)]
    #[case::void("void", r#"{"amount":"500.00","approved_by":"super1","at":"2026-01-17T10:00:00+08:00","cashier":"cashier1","event_id":"0192d5d2-7b4e-7c6a-9f00-000000000005","reason":"收错","receipt_no":"GY01-03-2026-000001","voids_event_id":"0192d5d2-7b4e-7c6a-9f00-000000000002"}"#)]
    #[case::deposit("deposit", r#"{"amount":"100.00","at":"2026-01-17T10:00:00+08:00","bank":"102","cashier":"cashier1","event_id":"0192d5d2-7b4e-7c6a-9f00-000000000006","from_drawer":"100.00","holiday_cash_covered":"100.00","shift":1,"slip_no":"JK0001"}"#)]
    #[case::shift_close("shift.close", r#"{"approved_by":null,"at":"2026-01-17T10:00:00+08:00","cashier":"cashier1","count":{"0.01":0,"0.02":0,"0.05":0,"0.10":0,"0.50":0,"1.00":0,"10.00":0,"100.00":5,"20.00":0,"5.00":0,"50.00":0},"count_attempts":[{"attempt":1,"counted":"500.00","matches":true}],"counted":"500.00","difference":"0.00","event_id":"0192d5d2-7b4e-7c6a-9f00-000000000007","expected":"500.00","float":"500.00","reason":null,"shift":1}"#)]
    fn every_kind_keeps_its_bytes(#[case] kind: &str, #[case] golden: &str) {
        let event = Event::read(kind, golden).unwrap();
        assert_eq!(event.kind().as_str(), kind);
        assert_eq!(event.payload(), golden);
        assert!(event.event_id().starts_with("0192d5d2-"));
    }

    /// What earlier counters sent is still read: a close before the blind count kept only its last
    /// count (eight denominations, no attempts), a payment before waivers per period.
    #[test]
    fn earlier_counters_payloads_are_read() {
        let close = r#"{"approved_by":null,"at":"2026-01-17T10:00:00+08:00","cashier":"c","count":{"100.00":5},"counted":"500.00","difference":"-0.05","event_id":"e","expected":"500.05","float":"500.00","reason":"找零","shift":1}"#;
        let Event::ShiftClose(c) = Event::read("shift.close", close).unwrap() else { panic!("a close") };
        assert_eq!((c.difference.to_string(), c.count_attempts.len()), ("-0.05".to_string(), 0));
        let vend = r#"{"event_id":"e","receipt_no":"T-2026-000001","account_no":"3100000001","cashier":"c","kind":"vend","method":"cash","amount":"10.00","lines":[],"at":"2026-11-23T10:00:00+08:00"}"#;
        assert!(matches!(Event::read("vend", vend), Ok(Event::Vend(_))));
        assert!(matches!(Event::read("teleport", vend), Err(EventError::UnknownKind(_))));
        let negative = vend.replace("10.00", "-10.00");
        assert!(matches!(Event::read("vend", &negative), Err(EventError::Payload { .. })));
    }

    #[test]
    fn the_token_never_reaches_debug_output() {
        let r = EnrolResponse { terminal: "DEMO-01".into(), token: "secret-token".into() };
        assert!(!format!("{r:?}").contains("secret"));
    }
}
