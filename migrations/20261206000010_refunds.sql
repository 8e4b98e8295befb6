-- Issue 15: refund requests (退费申请) at the counter. The rules are `refunds` (pure); this is
-- what a counter keeps of each request, and the secret an outbox event carries beside its payload.

CREATE TABLE refunds (
    id                   INTEGER PRIMARY KEY,
    -- The submission's event id: the request's id at the counter and at the ledger.
    refund_id            TEXT NOT NULL UNIQUE,
    -- TERMINAL-TF-YEAR-NNNNNN, consecutive per terminal and year, printed on the forms.
    request_no           TEXT NOT NULL UNIQUE,
    account_id           INTEGER NOT NULL REFERENCES accounts (id),
    amount_fen           INTEGER NOT NULL CHECK (amount_fen > 0),
    reason               TEXT NOT NULL CHECK (reason IN ('overpaid', 'duplicate', 'closure', 'billing_error', 'other')),
    reason_text          TEXT,
    payee_name           TEXT NOT NULL,
    payee_reason         TEXT,
    payee_bank           TEXT NOT NULL,
    payee_branch         TEXT NOT NULL,
    -- The whole number, sealed with the counter's data key (`datakey`); the mask is for display.
    payee_account_sealed TEXT NOT NULL,
    payee_account_masked TEXT NOT NULL,
    docs                 TEXT NOT NULL,
    duplicate_of         TEXT,
    state                TEXT NOT NULL CHECK (state IN ('submitted', 'hall_approved', 'hall_rejected', 'at_ledger',
                                                        'finance_approved', 'finance_rejected', 'paid')),
    submitted_by         INTEGER NOT NULL REFERENCES users (id),
    submitted_at         TEXT NOT NULL,
    hall_by              INTEGER REFERENCES users (id),
    hall_at              TEXT,
    hall_reason          TEXT,
    finance_by           TEXT,
    finance_at           TEXT,
    finance_reason       TEXT,
    paid_fen             INTEGER,
    payout_date          TEXT,
    payout_ref           TEXT,
    flag                 TEXT,
    verification_code    TEXT NOT NULL,
    -- How many times the application form and the notice were printed (重打 after the first).
    form_prints          INTEGER NOT NULL DEFAULT 0,
    notice_prints        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX refunds_account ON refunds (account_id);
CREATE INDEX refunds_open ON refunds (state) WHERE state IN ('submitted', 'hall_approved', 'at_ledger', 'finance_approved');

-- Every step of a request, as it happened here or came down from the centre.
CREATE TABLE refund_history (
    id        INTEGER PRIMARY KEY,
    refund_id INTEGER NOT NULL REFERENCES refunds (id),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    step      TEXT NOT NULL,
    state     TEXT NOT NULL,
    note      TEXT
) STRICT;
CREATE INDEX refund_history_of ON refund_history (refund_id);

-- A secret an event carries beside its payload (a refund's whole payee account number), sealed
-- with the data key: opened only to send the event (`wire::PushEvent::secret`).
ALTER TABLE outbox ADD COLUMN secret TEXT;
