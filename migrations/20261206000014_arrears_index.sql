-- Issue 16: the 催费 preview sums what a county's accounts in arrears owe, late fees to the print
-- date included, in a fraction of a second over 1,000,000 accounts (`accounts::late_fee_sql`).
--
-- The late-fee rule counts days; parsing two or three dates per overdue bill on every preview was
-- most of its time. The day numbers (days since 1970-01-01) are virtual generated columns: nothing
-- is stored in the table, a bill's row cannot disagree with its dates, and the covering index
-- below keeps them beside the amounts, so the preview reads the index alone and computes with
-- integers. A date SQLite cannot read gives NULL, which the preview treats as "not exact here"
-- and falls back to the Rust rule.
ALTER TABLE bills ADD COLUMN due_day INTEGER GENERATED ALWAYS AS (unixepoch(due_date) / 86400) VIRTUAL;
-- The day the fee is charged from: the later of the due date and the day it was last charged to.
ALTER TABLE bills ADD COLUMN fee_from_day INTEGER
    GENERATED ALWAYS AS (unixepoch(max(late_fee_from, due_date)) / 86400) VIRTUAL;
-- 12-31 of the due date's year: other categories pay a higher rate for days after it.
ALTER TABLE bills ADD COLUMN due_year_end_day INTEGER
    GENERATED ALWAYS AS (unixepoch(substr(due_date, 1, 4) || '-12-31') / 86400) VIRTUAL;

-- Overdue bills in account order with everything the fee needs: the preview groups by account
-- without sorting and never reads the table.
CREATE INDEX bills_arrears ON bills (
    account_id, due_date, amount_fen, paid_fen, due_day, fee_from_day, due_year_end_day,
    late_fee_received_fen, late_fee_waived_fen, late_fee_owed_fen
) WHERE paid_fen < amount_fen;
