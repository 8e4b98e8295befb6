//! Sync with the central ledger: pull apply, the engine and the runner against an in-test ledger,
//! the token in the real OS keyring, and the `cashdeskctl sync` commands.

mod engine;
mod fake_ledger;
mod keyring;
mod pull;

/// An event for the outbox with this id and amount (a shift opened with that float: the fake
/// ledger looks at ids and hashes only).
pub fn event(id: &str, amount: &str) -> cashdesk::sync::wire::Event {
    cashdesk::sync::wire::Event::ShiftOpen(cashdesk::sync::wire::ShiftOpen {
        cashier: "cashier1".into(),
        event_id: id.into(),
        float: cashdesk::money::Yuan::parse(amount).unwrap(),
        opened_at: "2026-11-23T10:00:00+08:00".into(),
        shift: 1,
    })
}
