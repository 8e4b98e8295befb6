//! 同步: what this counter sends to the central ledger. For now the outbox (`outbox`), written in
//! the same transaction as each money event; the client and the wire types come with the ledger
//! issue.

pub mod outbox;
