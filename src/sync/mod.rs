//! 同步: what this counter exchanges with the central ledger. The outbox (`outbox`), written in the
//! same transaction as each money event, and the wire types shared with `cashdesk-ledger` (`wire`).

pub mod outbox;
pub mod wire;
