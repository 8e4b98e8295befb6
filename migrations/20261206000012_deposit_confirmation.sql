-- Issue 16: a deposit (解款) is in transit (在途) until the ledger confirms the bank has it, by a
-- finance user or by a bank statement matched on slip number and amount; the confirmation comes
-- down with the pull.
ALTER TABLE deposits ADD COLUMN confirmed_at TEXT;
-- The finance user, or `statement` for a matched bank statement.
ALTER TABLE deposits ADD COLUMN confirmed_by TEXT;
-- The bank's reference of the credit, when the statement gave one.
ALTER TABLE deposits ADD COLUMN confirm_ref TEXT;
