//! 复核标记: what about a new event deserves a finance reviewer's look even though the ledger applies
//! it (money taken is a fact; these never refuse an event). A pure rule: the arrival time and the
//! terminal's latest event time are arguments.
//!
//! - `dated_ahead`: the event's time (`created_at`, the counter's clock) is more than
//!   [`Review::ahead`] after its arrival at the ledger (default 10 minutes, `flag_ahead_minutes` in
//!   the configuration): a counter's clock set forward, or an event made up for later.
//! - `dated_backwards`: the event's time is before the latest time the terminal's events carried so
//!   far (`terminals.last_event_at`, or an earlier event of the same batch): events come in seq
//!   order, so an honest counter's times never go back (a clock set back, a backdated event).
//! - `waiver`: every late-fee waiver (违约金减免), with the supervisor who approved it (or a note that
//!   the event names none).
//! - `seq_reused`: a new event (an id the ledger has not seen) whose seq is not above the highest
//!   this terminal sent before (`terminals.last_seq`): its outbox counted from an earlier point
//!   again, as after `cashdeskctl restore` of an older backup or on a copy of the database, so its
//!   receipt numbers may repeat those the ledger already holds.
//! - `amount_above_max`: a payment, vend, void, deposit or refund request for more than the
//!   policy's `tendered.max_tendered` (100,000.00 by default): the most cash a counter may take in
//!   one go, so a larger amount is never an ordinary counter transaction.

use super::*;

/// The settings of the review rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review {
    /// How far ahead of its arrival an event may be dated before it is flagged.
    pub ahead: chrono::Duration,
}

impl Default for Review {
    fn default() -> Review {
        Review { ahead: chrono::Duration::minutes(10) }
    }
}

/// The review flags of one new event, which arrived at `now` after events of its terminal dated up
/// to `latest` and numbered up to `last_seq` (0 before the first).
pub(super) fn review(
    c: &Checked<'_>,
    policy: &Policy,
    rules: Review,
    now: DateTime<Utc>,
    (latest, last_seq): (Option<DateTime<Utc>>, i64),
) -> Vec<Conflict> {
    let mut out = Vec::new();
    let flag = |kind: &'static str, detail: String| Conflict {
        kind,
        event_id: c.id,
        account_no: c.account_no.clone(),
        amount: c.amount,
        detail,
    };
    let what = format!("{} {} (seq {})", c.raw.kind, c.raw.event_id, c.raw.seq);
    if let Ok(at) = DateTime::parse_from_rfc3339(&c.raw.created_at) {
        let at = at.with_timezone(&Utc);
        if at > now + rules.ahead {
            out.push(flag(
                "dated_ahead",
                format!(
                    "{what} is dated {} but arrived at {now}, more than {} minutes earlier",
                    c.raw.created_at,
                    rules.ahead.num_minutes()
                ),
            ));
        }
        if let Some(latest) = latest
            && at < latest
        {
            out.push(flag(
                "dated_backwards",
                format!("{what} is dated {}, before the terminal's previous event ({latest})", c.raw.created_at),
            ));
        }
    }
    if c.raw.seq <= last_seq {
        out.push(flag(
            "seq_reused",
            format!(
                "{what} is new but this terminal has sent seq {last_seq} before: its outbox counts again from an earlier point (a restore from a backup, or a copied database); its receipt numbers may repeat"
            ),
        ));
    }
    if let Body::Taking { p, .. } = &c.body
        && (p.waiver_reason.is_some() || p.late_fee_waived.is_some_and(|w| w.is_positive()))
    {
        let by = p.approved_by.as_deref().filter(|b| !b.trim().is_empty());
        out.push(flag(
            "waiver",
            format!(
                "receipt {}: late fee {} waived ({}), approved by {}",
                p.receipt_no,
                p.late_fee_waived.unwrap_or(Yuan::ZERO),
                p.waiver_reason.as_deref().unwrap_or("no reason given"),
                by.unwrap_or("nobody the event names")
            ),
        ));
    }
    let money = matches!(c.body, Body::Taking { .. } | Body::Void(_) | Body::Deposit(_) | Body::RefundSubmit { .. });
    if money && let Some(amount) = c.amount.filter(|a| *a > policy.tendered.max_tendered) {
        out.push(flag(
            "amount_above_max",
            format!("{what}: {amount} is more than the policy's maximum of {}", policy.tendered.max_tendered),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, created_at: &str, payload: serde_json::Value) -> PushEvent {
        let text = payload.to_string();
        PushEvent {
            event_id: payload["event_id"].as_str().unwrap_or("").to_string(),
            seq: 1,
            kind: kind.into(),
            terminal: "T1".into(),
            payload_sha256: hex::encode(Sha256::digest(text.as_bytes())),
            payload: text,
            created_at: created_at.into(),
            secret: None,
        }
    }

    fn payment(amount: &str, waived: Option<&str>, by: Option<&str>) -> serde_json::Value {
        serde_json::json!({"event_id": Uuid::now_v7().to_string(), "receipt_no": "T1-2026-000001",
            "account_no": "3100000001", "cashier": "c", "kind": "payment", "method": "transfer", "amount": amount,
            "lines": [], "at": "2026-11-23T10:00:00+08:00", "late_fee_waived": waived,
            "waiver_reason": waived.map(|_| "hardship"), "approved_by": by})
    }

    fn kinds(e: &PushEvent, latest: Option<&str>) -> Vec<&'static str> {
        let checked = check::check("T1", std::slice::from_ref(e)).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00").unwrap().with_timezone(&Utc);
        let latest = latest.map(|l| DateTime::parse_from_rfc3339(l).unwrap().with_timezone(&Utc));
        review(&checked[0], &Policy::default(), Review::default(), now, (latest, 0))
            .into_iter()
            .map(|c| c.kind)
            .collect()
    }

    #[rstest::rstest]
    #[case::on_time("2026-11-23T10:00:00+08:00", None, &[])]
    #[case::ten_minutes_ahead_is_allowed("2026-11-23T10:10:00+08:00", None, &[])]
    #[case::eleven_minutes_ahead("2026-11-23T10:11:00+08:00", None, &["dated_ahead"])]
    #[case::ahead_in_another_offset("2026-11-23T02:11:00Z", None, &["dated_ahead"])]
    #[case::after_the_previous("2026-11-23T09:00:00+08:00", Some("2026-11-23T08:59:59+08:00"), &[])]
    #[case::same_time_as_the_previous("2026-11-23T09:00:00+08:00", Some("2026-11-23T09:00:00+08:00"), &[])]
    #[case::before_the_previous("2026-11-23T09:00:00+08:00", Some("2026-11-23T09:00:01+08:00"), &["dated_backwards"])]
    #[case::both("2026-11-23T11:00:00+08:00", Some("2026-11-23T12:00:00+08:00"), &["dated_ahead", "dated_backwards"])]
    fn event_times(#[case] created_at: &str, #[case] latest: Option<&str>, #[case] flags: &[&str]) {
        assert_eq!(kinds(&event("payment", created_at, payment("10.00", None, None)), latest), flags);
    }

    #[rstest::rstest]
    #[case::no_waiver(None, None, "100000.00", &[], None)]
    #[case::waiver_with_its_approver(Some("3.20"), Some("sup1"), "10.00", &["waiver"], Some("approved by sup1"))]
    #[case::waiver_without_one(Some("3.20"), None, "10.00", &["waiver"], Some("approved by nobody"))]
    #[case::above_the_maximum(None, None, "100000.01", &["amount_above_max"], Some("100000.00"))]
    fn waivers_and_amounts(
        #[case] waived: Option<&str>,
        #[case] by: Option<&str>,
        #[case] amount: &str,
        #[case] flags: &[&str],
        #[case] detail: Option<&str>,
    ) {
        let e = event("payment", "2026-11-23T10:00:00+08:00", payment(amount, waived, by));
        let checked = check::check("T1", std::slice::from_ref(&e)).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00").unwrap().with_timezone(&Utc);
        let got = review(&checked[0], &Policy::default(), Review::default(), now, (None, 0));
        assert_eq!(got.iter().map(|c| c.kind).collect::<Vec<_>>(), flags);
        if let Some(d) = detail {
            assert!(got[0].detail.contains(d), "{}", got[0].detail);
        }
    }

    #[rstest::rstest]
    #[case::first_event(0, &[])]
    #[case::above_the_last(0, &[])]
    #[case::the_last_again(1, &["seq_reused"])]
    #[case::below_the_last(7, &["seq_reused"])]
    fn a_new_event_numbered_again(#[case] last_seq: i64, #[case] flags: &[&str]) {
        // The event's seq is 1 (`event`).
        let e = event("payment", "2026-11-23T10:00:00+08:00", payment("10.00", None, None));
        let checked = check::check("T1", std::slice::from_ref(&e)).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00").unwrap().with_timezone(&Utc);
        let got = review(&checked[0], &Policy::default(), Review::default(), now, (None, last_seq));
        assert_eq!(got.iter().map(|c| c.kind).collect::<Vec<_>>(), flags);
    }
}
