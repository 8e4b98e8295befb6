-- Issue 16: arrears notices (电费催缴通知单). Every printed notice is logged (who, when, which
-- account, the amounts, its batch), so that the next batch can skip accounts notified recently and
-- a dispute can be answered. A single notice printed at the counter is a run of one.
CREATE TABLE notice_batches (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('single', 'batch')),
    -- The filters as given (JSON), or the account of a single notice.
    filter      TEXT NOT NULL,
    started_by  INTEGER NOT NULL REFERENCES users (id),
    started_at  TEXT NOT NULL,
    -- The printer's name, or the folder the PDFs were written to.
    target      TEXT NOT NULL,
    paper       TEXT NOT NULL,
    selected    INTEGER NOT NULL CHECK (selected >= 0),
    printed     INTEGER NOT NULL DEFAULT 0 CHECK (printed >= 0),
    finished_at TEXT,
    -- NULL while running; then 'done', 'cancelled' or 'failed' (with the error's code and message).
    outcome     TEXT CHECK (outcome IN ('done', 'cancelled', 'failed')),
    error       TEXT
) STRICT;

CREATE TABLE notice_log (
    id            INTEGER PRIMARY KEY,
    -- 通知单号: the terminal, the run and the notice's place in it.
    notice_no     TEXT NOT NULL UNIQUE,
    batch_id      INTEGER NOT NULL REFERENCES notice_batches (id),
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    printed_at    TEXT NOT NULL,
    printed_by    INTEGER NOT NULL REFERENCES users (id),
    periods       INTEGER NOT NULL CHECK (periods > 0),
    principal_fen INTEGER NOT NULL CHECK (principal_fen > 0),
    late_fee_fen  INTEGER NOT NULL CHECK (late_fee_fen >= 0),
    pay_by        TEXT NOT NULL
) STRICT;
-- The skip rule asks "notified since?" per account; a dispute asks for an account's notices.
CREATE INDEX notice_log_account ON notice_log (account_id, printed_at);
CREATE INDEX notice_log_batch ON notice_log (batch_id);
