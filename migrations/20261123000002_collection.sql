-- Collection at the counter: shifts, payments and vends with their allocation lines, bank-transfer
-- vouchers, receipt numbers, holiday cash, deposits, voids, and the outbox of money events for the
-- central ledger. Money is INTEGER fen. Nothing here is ever deleted: a void is a reversal row.

-- Late fee charged but not yet received (违约金应收未收), carried when a payment covers only part of a
-- period's late fee; `late_fee_from` then moves to the payment date.
ALTER TABLE bills ADD COLUMN late_fee_owed_fen INTEGER NOT NULL DEFAULT 0 CHECK (late_fee_owed_fen >= 0);

-- 班次: one cashier at one terminal, from the float to the counted drawer.
CREATE TABLE shifts (
    id               INTEGER PRIMARY KEY,
    terminal         TEXT NOT NULL,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    opened_at        TEXT NOT NULL,
    float_fen        INTEGER NOT NULL CHECK (float_fen >= 0),
    closed_at        TEXT,
    expected_fen     INTEGER,
    counted_fen      INTEGER,
    count_detail     TEXT,
    difference_reason TEXT,
    approved_by      INTEGER REFERENCES users (id),
    CHECK ((closed_at IS NULL) = (counted_fen IS NULL))
) STRICT;
-- One open shift per terminal and one per cashier, enforced by the database.
CREATE UNIQUE INDEX shifts_open_per_terminal ON shifts (terminal) WHERE closed_at IS NULL;
CREATE UNIQUE INDEX shifts_open_per_user ON shifts (user_id) WHERE closed_at IS NULL;

-- 银行转账凭证: registered once per (bank, serial).
CREATE TABLE vouchers (
    id             INTEGER PRIMARY KEY,
    bank           TEXT NOT NULL,
    serial         TEXT NOT NULL,
    payer          TEXT NOT NULL,
    amount_fen     INTEGER NOT NULL CHECK (amount_fen > 0),
    transfer_date  TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    registered_by  INTEGER NOT NULL REFERENCES users (id),
    UNIQUE (bank, serial)
) STRICT;

-- Receipt numbers TERMINAL-YEAR-NNNNNN: the last number used per terminal and year, taken inside
-- the payment's transaction, so numbers are consecutive and never reused.
CREATE TABLE receipt_counters (
    terminal TEXT NOT NULL,
    year     INTEGER NOT NULL,
    last     INTEGER NOT NULL CHECK (last >= 0),
    PRIMARY KEY (terminal, year)
) STRICT;

-- 缴费 (payment, postpaid) and 售电 (vend, prepaid): money received for an account.
CREATE TABLE payments (
    id                 INTEGER PRIMARY KEY,
    event_id           TEXT NOT NULL UNIQUE,
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
    CHECK ((method = 'cash') = (tendered_fen IS NOT NULL AND change_fen IS NOT NULL AND voucher_id IS NULL)),
    CHECK (method = 'cash' OR voucher_id IS NOT NULL),
    CHECK (tendered_fen IS NULL OR tendered_fen = amount_fen + change_fen)
) STRICT;
CREATE INDEX payments_shift ON payments (shift_id);
-- A voucher pays once: at most one payment that is not voided uses it (a voided use frees it).
CREATE UNIQUE INDEX payments_voucher_once ON payments (voucher_id) WHERE voucher_id IS NOT NULL AND voided = 0;
CREATE INDEX payments_account ON payments (account_id);

-- 作废: a reversal of one payment, with who approved it. A payment has at most one.
CREATE TABLE voids (
    payment_id   INTEGER PRIMARY KEY REFERENCES payments (id),
    event_id     TEXT NOT NULL UNIQUE,
    reason       TEXT NOT NULL,
    voided_by    INTEGER NOT NULL REFERENCES users (id),
    approved_by  INTEGER NOT NULL REFERENCES users (id),
    voided_at    TEXT NOT NULL
) STRICT;

-- 分配明细: how a payment was applied, line by line, with what each bill held before (so a void
-- restores it exactly).
CREATE TABLE payment_lines (
    payment_id            INTEGER NOT NULL REFERENCES payments (id),
    seq                   INTEGER NOT NULL,
    kind                  TEXT NOT NULL CHECK (kind IN ('late_fee', 'principal', 'prepaid')),
    bill_id               INTEGER REFERENCES bills (id),
    period                INTEGER,
    amount_fen            INTEGER NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (payment_id, seq),
    CHECK ((kind = 'prepaid') = (bill_id IS NULL))
) STRICT;

-- The state of each bill a payment touched, before it (restored by a void).
CREATE TABLE payment_bill_before (
    payment_id            INTEGER NOT NULL REFERENCES payments (id),
    bill_id               INTEGER NOT NULL REFERENCES bills (id),
    paid_fen              INTEGER NOT NULL,
    late_fee_from         TEXT NOT NULL,
    late_fee_owed_fen     INTEGER NOT NULL,
    late_fee_received_fen INTEGER NOT NULL,
    late_fee_waived_fen   INTEGER NOT NULL,
    PRIMARY KEY (payment_id, bill_id)
) STRICT;

-- 节假日现金: cash taken on a non-working day for a bank-first vend, due at the bank next working day.
CREATE TABLE holiday_cash (
    payment_id    INTEGER PRIMARY KEY REFERENCES payments (id),
    terminal      TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
    taken_on      TEXT NOT NULL,
    due_on        TEXT NOT NULL,
    deposited_fen INTEGER NOT NULL DEFAULT 0 CHECK (deposited_fen >= 0 AND deposited_fen <= amount_fen)
) STRICT;
CREATE INDEX holiday_cash_open ON holiday_cash (terminal, due_on) WHERE deposited_fen < amount_fen;

-- 解款: cash taken from the drawer to the bank, with the bank slip number.
CREATE TABLE deposits (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    shift_id    INTEGER NOT NULL REFERENCES shifts (id),
    amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
    -- The part taken from this shift's drawer; the rest is earlier shifts' holiday cash from the safe.
    from_drawer_fen INTEGER NOT NULL CHECK (from_drawer_fen >= 0 AND from_drawer_fen <= amount_fen),
    bank        TEXT NOT NULL,
    slip_no     TEXT NOT NULL,
    deposited_by INTEGER NOT NULL REFERENCES users (id),
    deposited_at TEXT NOT NULL,
    UNIQUE (bank, slip_no)
) STRICT;

-- 待上传事件: every money event, written in the same transaction as the change it reports, sent to
-- the central ledger in `seq` order. `event_id` is a client-made UUIDv7; `payload_sha256` lets the
-- ledger tell a resend from a different event under a reused id.
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    terminal       TEXT NOT NULL,
    payload        TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    pushed_at      TEXT
) STRICT;
CREATE INDEX outbox_unpushed ON outbox (seq) WHERE pushed_at IS NULL;
