-- Six fewer pages written per payment (20261206000006 says why pages cost time):
-- 1. `payments.event_id` loses its UNIQUE index. Every payment writes the same id to
--    `outbox.event_id`, which is UNIQUE, in the same transaction: the second index only repeated
--    that guarantee.
-- 2. `outbox.seq` is a plain INTEGER PRIMARY KEY. AUTOINCREMENT wrote `sqlite_sequence` at every
--    insert; it only matters when the newest rows can be deleted, and outbox rows never are (now
--    enforced by a trigger), so the next seq (the largest + 1) is still never one used before.
-- 3. The partial index `outbox_unpushed` goes. `sync_state.push_from` replaces it: every event
--    with a smaller seq has been acknowledged by the ledger, so the waiting ones are found by
--    scanning the seq range from there. The sync engine moves it forward after each acknowledged
--    batch, and back when events are marked to be sent again.
-- 4. `payment_bill_before` becomes the column `payments.bills_before`: the state of each bill the
--    payment touched, before it, as a JSON array of [bill id, paid_fen, late_fee_from,
--    late_fee_owed_fen, late_fee_received_fen, late_fee_waived_fen]. It is written once with the
--    payment row (whose page is written anyway) and read only by a void.
-- 5. The index `payments_shift` goes. A shift records the range of payment ids it can hold:
--    `payments_from` (the next payment id when it opened) and `payments_to` (the last payment id
--    when it closed; NULL while open). Payment ids only grow (the largest + 1; payments are never
--    deleted), so every payment of a shift lies in its range, and a shift's payments are read by
--    scanning that range of the payments table (`shifts::db::PAYMENTS_OF_SHIFT`). One open shift
--    per terminal keeps the range holding little else.
-- 6. `receipt_counters` goes. The last receipt number of a terminal and year is the largest
--    `payments.receipt_no` with that prefix, read off the UNIQUE index the numbers need anyway
--    (fixed width, so text order is number order). Payments are never deleted (now enforced by a
--    trigger; a void keeps its row), so a number is never used twice.
--
-- `payments` and `outbox` are referenced by other tables' foreign keys, so they cannot be rebuilt
-- under another name and renamed. Each is copied aside, dropped and created again under its own
-- name with foreign keys deferred. Dropping counts a violation for every row that references the
-- table; putting the rows back clears those counts before the commit. The migration stays one
-- transaction, together with sqlx's record of it.
PRAGMA defer_foreign_keys = ON;

-- 5. above, from the payments as they are (while payments_shift still exists).
ALTER TABLE shifts ADD COLUMN payments_from INTEGER NOT NULL DEFAULT 1;
ALTER TABLE shifts ADD COLUMN payments_to INTEGER;
UPDATE shifts SET payments_from = (SELECT COALESCE(MAX(id), 0) + 1 FROM payments),
                  payments_to = CASE WHEN closed_at IS NULL THEN NULL ELSE 0 END;
UPDATE shifts SET payments_from = b.lo, payments_to = CASE WHEN shifts.closed_at IS NULL THEN NULL ELSE b.hi END
    FROM (SELECT shift_id, MIN(id) AS lo, MAX(id) AS hi FROM payments GROUP BY shift_id) AS b
    WHERE b.shift_id = shifts.id;

CREATE TEMP TABLE payments_copy AS SELECT * FROM payments;
DROP TABLE payments;
CREATE TABLE payments (
    id                 INTEGER PRIMARY KEY,
    -- Unique through outbox.event_id (see above).
    event_id           TEXT NOT NULL,
    receipt_no         TEXT NOT NULL UNIQUE,
    kind               TEXT NOT NULL CHECK (kind IN ('payment', 'vend')),
    shift_id           INTEGER NOT NULL REFERENCES shifts (id),
    account_id         INTEGER NOT NULL REFERENCES accounts (id),
    method             TEXT NOT NULL CHECK (method IN ('cash', 'transfer')),
    amount_fen         INTEGER NOT NULL CHECK (amount_fen > 0),
    tendered_fen       INTEGER,
    change_fen         INTEGER,
    voucher_id         INTEGER REFERENCES vouchers (id),
    holiday_cash       INTEGER NOT NULL DEFAULT 0 CHECK (holiday_cash IN (0, 1)),
    approved_by        INTEGER REFERENCES users (id),
    waived_fen         INTEGER NOT NULL DEFAULT 0 CHECK (waived_fen >= 0),
    waiver_reason      TEXT,
    prepaid_after_fen  INTEGER NOT NULL,
    verification_code  TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    reprints           INTEGER NOT NULL DEFAULT 0 CHECK (reprints >= 0),
    voided             INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1)),
    receipt            TEXT,
    printed_at         TEXT,
    -- See 4. above; '[]' for a vend.
    bills_before       TEXT NOT NULL DEFAULT '[]',
    CHECK ((method = 'cash') = (tendered_fen IS NOT NULL AND change_fen IS NOT NULL AND voucher_id IS NULL)),
    CHECK (method = 'cash' OR voucher_id IS NOT NULL),
    CHECK (tendered_fen IS NULL OR tendered_fen = amount_fen + change_fen)
) STRICT;
INSERT INTO payments (id, event_id, receipt_no, kind, shift_id, account_id, method, amount_fen, tendered_fen,
                      change_fen, voucher_id, holiday_cash, approved_by, waived_fen, waiver_reason,
                      prepaid_after_fen, verification_code, created_at, reprints, voided, receipt, printed_at,
                      bills_before)
    SELECT id, event_id, receipt_no, kind, shift_id, account_id, method, amount_fen, tendered_fen,
           change_fen, voucher_id, holiday_cash, approved_by, waived_fen, waiver_reason,
           prepaid_after_fen, verification_code, created_at, reprints, voided, receipt, printed_at,
           COALESCE((SELECT json_group_array(json_array(b.bill_id, b.paid_fen, b.late_fee_from, b.late_fee_owed_fen,
                                                        b.late_fee_received_fen, b.late_fee_waived_fen))
                     FROM payment_bill_before b WHERE b.payment_id = c.id), '[]')
    FROM temp.payments_copy c ORDER BY id;
DROP TABLE temp.payments_copy;
DROP TABLE payment_bill_before;
DROP TABLE receipt_counters;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments BEGIN
    SELECT RAISE(ABORT, 'payments are never deleted: a void reverses one and keeps it');
END;
-- A voucher pays once: at most one payment that is not voided uses it (a voided use frees it).
CREATE UNIQUE INDEX payments_voucher_once ON payments (voucher_id) WHERE voucher_id IS NOT NULL AND voided = 0;
CREATE INDEX payments_account ON payments (account_id);

CREATE TEMP TABLE outbox_copy AS SELECT * FROM outbox;
-- Also removes the table's row from sqlite_sequence.
DROP TABLE outbox;
CREATE TABLE outbox (
    -- Never reused: rows are never deleted (see above).
    seq            INTEGER PRIMARY KEY,
    event_id       TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    terminal       TEXT NOT NULL,
    payload        TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    pushed_at      TEXT
) STRICT;
INSERT INTO outbox (seq, event_id, kind, terminal, payload, payload_sha256, created_at, pushed_at)
    SELECT seq, event_id, kind, terminal, payload, payload_sha256, created_at, pushed_at
    FROM temp.outbox_copy ORDER BY seq;
DROP TABLE temp.outbox_copy;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox BEGIN
    SELECT RAISE(ABORT, 'outbox events are never deleted: their seq must never be used again');
END;

ALTER TABLE sync_state ADD COLUMN push_from INTEGER NOT NULL DEFAULT 1 CHECK (push_from >= 1);
UPDATE sync_state SET push_from = COALESCE(
    (SELECT MIN(seq) FROM outbox WHERE pushed_at IS NULL),
    (SELECT MAX(seq) + 1 FROM outbox),
    1);
