//! Validation of a pushed batch, whole, before anything is stored.

use cashdesk::refunds;

use super::*;

pub(super) fn bad(i: usize, e: &PushEvent, why: impl std::fmt::Display) -> LedgerError {
    LedgerError::BadRequest(format!("event {} ({}): {why}", i + 1, e.event_id))
}

/// Validate a whole batch for `terminal`; nothing is stored when this fails.
pub(super) fn check<'a>(terminal: &str, events: &'a [PushEvent]) -> Result<Vec<Checked<'a>>, LedgerError> {
    if events.len() > wire::MAX_BATCH {
        return Err(LedgerError::TooLarge(format!(
            "{} events in one request; send at most {}",
            events.len(),
            wire::MAX_BATCH
        )));
    }
    let mut out = Vec::with_capacity(events.len());
    let mut last_seq = 0;
    for (i, e) in events.iter().enumerate() {
        if e.terminal != terminal {
            return Err(LedgerError::Forbidden(format!(
                "event {} belongs to terminal {}; this token is terminal {terminal}",
                e.event_id, e.terminal
            )));
        }
        let id = Uuid::parse_str(&e.event_id).map_err(|_| bad(i, e, "the event id is not a UUID"))?;
        if e.seq <= last_seq {
            return Err(bad(i, e, "events must come in increasing seq order"));
        }
        last_seq = e.seq;
        if e.payload.len() > wire::MAX_PAYLOAD_BYTES {
            return Err(LedgerError::TooLarge(format!(
                "event {}: payload of {} bytes; at most {}",
                e.event_id,
                e.payload.len(),
                wire::MAX_PAYLOAD_BYTES
            )));
        }
        if DateTime::parse_from_rfc3339(&e.created_at).is_err() {
            return Err(bad(i, e, "created_at is not an RFC 3339 time"));
        }
        if hex::encode(Sha256::digest(e.payload.as_bytes())) != e.payload_sha256 {
            return Err(bad(i, e, "payload_sha256 does not match the payload"));
        }
        // One typed read per payload (the contract the counter writes with): each kind's struct
        // carries the event id and the amount.
        let taking = |p: wire::Taking, vend: bool| -> Result<Body, LedgerError> {
            let on = DateTime::parse_from_rfc3339(&p.at)
                .map_err(|_| bad(i, e, "`at` is not an RFC 3339 time"))?
                .date_naive();
            cashdesk::accounts::AccountNo::parse(&p.account_no).map_err(|err| bad(i, e, err))?;
            Ok(Body::Taking { vend, p: Box::new(p), on })
        };
        let body = match wire::Event::read(&e.kind, &e.payload).map_err(|err| bad(i, e, err))? {
            wire::Event::Payment(p) => taking(p, false)?,
            wire::Event::Vend(p) => taking(p, true)?,
            wire::Event::Void(p) => {
                Uuid::parse_str(&p.voids_event_id).map_err(|_| bad(i, e, "voids_event_id is not a UUID"))?;
                Body::Void(p)
            }
            wire::Event::Deposit(p) => Body::Deposit(p),
            wire::Event::ShiftOpen(p) => Body::ShiftOpen(p),
            wire::Event::ShiftClose(p) => Body::ShiftClose(p),
            wire::Event::RefundSubmit(p) => submission(i, e, p)?,
            wire::Event::RefundHall(p) => {
                let refund_id = Uuid::parse_str(&p.refund_id).map_err(|_| bad(i, e, "refund_id is not a UUID"))?;
                let at = DateTime::parse_from_rfc3339(&p.at).map_err(|_| bad(i, e, "`at` is not an RFC 3339 time"))?;
                if p.by.trim().is_empty() {
                    return Err(bad(i, e, "`by` (the supervisor) is empty"));
                }
                Body::RefundHall { p, refund_id, at }
            }
        };
        let (payload_id, amount) = match &body {
            Body::Taking { p, .. } => (&p.event_id, Some(p.amount)),
            Body::Void(p) => (&p.event_id, Some(p.amount)),
            Body::Deposit(p) => (&p.event_id, Some(p.amount)),
            Body::ShiftOpen(p) => (&p.event_id, Some(p.float)),
            Body::ShiftClose(p) => (&p.event_id, Some(p.counted)),
            Body::RefundSubmit { p, .. } => (&p.event_id, Some(p.amount)),
            Body::RefundHall { p, .. } => (&p.event_id, None),
        };
        if *payload_id != e.event_id {
            return Err(bad(i, e, "the payload's event_id differs from the event's"));
        }
        let account_no = match &body {
            Body::Taking { p, .. } => Some(p.account_no.clone()),
            Body::RefundSubmit { p, .. } => Some(p.account_no.clone()),
            _ => None,
        };
        out.push(Checked { raw: e, id, body, amount, account_no });
    }
    Ok(out)
}

/// A `refund.submit`, read: its account, amount and time, and the payee's whole account number
/// from the event's secret (required, and its mask must be the payload's).
fn submission(i: usize, e: &PushEvent, p: wire::RefundSubmit) -> Result<Body, LedgerError> {
    let at = DateTime::parse_from_rfc3339(&p.at).map_err(|_| bad(i, e, "`at` is not an RFC 3339 time"))?;
    cashdesk::accounts::AccountNo::parse(&p.account_no).map_err(|err| bad(i, e, err))?;
    if !p.amount.is_positive() {
        return Err(bad(i, e, "a refund's amount must be more than 0.00"));
    }
    for (field, v) in [
        ("request_no", &p.request_no),
        ("submitted_by", &p.submitted_by),
        ("payee_name", &p.payee_name),
        ("payee_bank", &p.payee_bank),
    ] {
        if v.trim().is_empty() {
            return Err(bad(i, e, format!("{field} is empty")));
        }
    }
    let secret = e.secret.as_deref().ok_or_else(|| {
        bad(
            i,
            e,
            "a refund.submit carries the payee's whole account number as the event's secret, and this one has none",
        )
    })?;
    let number = refunds::account_number(secret).map_err(|err| bad(i, e, format!("the secret: {err}")))?;
    if refunds::mask_account(&number) != p.payee_account_masked {
        return Err(bad(i, e, "the secret is not the account number payee_account_masked shows"));
    }
    Ok(Body::RefundSubmit { p: Box::new(p), at, secret: Secret(number) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(terminal: &str, seq: i64, kind: &str, payload: serde_json::Value) -> PushEvent {
        let text = payload.to_string();
        PushEvent {
            event_id: payload["event_id"].as_str().unwrap_or("").to_string(),
            seq,
            kind: kind.into(),
            terminal: terminal.into(),
            payload_sha256: hex::encode(Sha256::digest(text.as_bytes())),
            payload: text,
            created_at: "2026-11-23T10:00:00+08:00".into(),
            secret: None,
        }
    }

    fn vend(id: &str) -> serde_json::Value {
        serde_json::json!({"event_id": id, "receipt_no": "T-2026-000001", "account_no": "3100000001", "cashier": "c",
            "kind": "vend", "method": "cash", "amount": "10.00", "lines": [], "at": "2026-11-23T10:00:00+08:00"})
    }

    #[test]
    fn a_batch_is_checked_whole() {
        let id = Uuid::now_v7().to_string();
        let good = event("T1", 1, "vend", vend(&id));
        assert!(check("T1", std::slice::from_ref(&good)).is_ok());
        assert!(matches!(check("T2", std::slice::from_ref(&good)), Err(LedgerError::Forbidden(_))));
        let mut tampered = good.clone();
        tampered.seq = 2;
        tampered.payload = tampered.payload.replace("10.00", "99.00");
        assert!(
            matches!(check("T1", &[good.clone(), tampered]), Err(LedgerError::BadRequest(m)) if m.contains("sha256"))
        );
        let mut unordered = event("T1", 1, "vend", vend(&Uuid::now_v7().to_string()));
        unordered.seq = 1;
        assert!(
            matches!(check("T1", &[good.clone(), unordered]), Err(LedgerError::BadRequest(m)) if m.contains("seq"))
        );
        let weird = event("T1", 2, "teleport", vend(&Uuid::now_v7().to_string()));
        assert!(matches!(check("T1", &[weird]), Err(LedgerError::BadRequest(m)) if m.contains("unknown kind")));
        let negative = event("T1", 2, "vend", {
            let mut v = vend(&Uuid::now_v7().to_string());
            v["amount"] = "-5.00".into();
            v
        });
        assert!(matches!(check("T1", &[negative]), Err(LedgerError::BadRequest(_))));
    }

    fn submission(secret: Option<&str>, masked: &str) -> PushEvent {
        let p = wire::RefundSubmit {
            account_no: "3100000003".into(),
            amount: Yuan::parse("12.00").unwrap(),
            at: "2026-12-01T10:00:00+08:00".into(),
            docs: wire::RefundDocs::default(),
            duplicate_of: None,
            event_id: Uuid::now_v7().to_string(),
            payee_account_masked: masked.into(),
            payee_bank: "102".into(),
            payee_branch: String::new(),
            payee_name: "张三".into(),
            payee_reason: None,
            reason: cashdesk::refunds::Reason::Overpaid,
            reason_text: None,
            request_no: "T1-TF-2026-000001".into(),
            submitted_by: "cashier1".into(),
        };
        let mut e =
            event("T1", 1, "refund.submit", serde_json::from_str(&wire::Event::RefundSubmit(p).payload()).unwrap());
        e.secret = secret.map(str::to_string);
        e
    }

    #[test]
    fn a_submission_needs_the_payees_number_as_its_secret_and_it_must_match_the_mask() {
        let mask = "6222 **** **** 1234";
        let events = [submission(Some("6222 0212 3456 7890 1234"), mask)];
        let ok = check("T1", &events).unwrap();
        assert!(
            matches!(&ok[0].body, Body::RefundSubmit { secret, .. } if secret.0 == "62220212345678901234"),
            "read as digits"
        );
        assert!(!format!("{:?}", ok[0].body).contains("62220212345678901234"), "never in Debug output");
        for (secret, why) in [(None, "secret"), (Some("1234"), "8-30 digits"), (Some("62229999999999994321"), "mask")] {
            let e = check("T1", &[submission(secret, mask)]).unwrap_err().to_string();
            assert!(e.contains(why), "{secret:?}: {e}");
            assert!(secret.is_none_or(|s| !e.contains(s)), "the number is not echoed: {e}");
        }
    }
}
