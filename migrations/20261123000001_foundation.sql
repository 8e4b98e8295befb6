-- Cashdesk counter schema, foundation.
-- Money is INTEGER fen (分): exact and summable in SQL. Dates are ISO 'YYYY-MM-DD' text,
-- instants RFC 3339 text with offset. Never edit this file once shipped: add a new migration.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- Calendar notices loaded after the build (the shipped years live in the code).
CREATE TABLE calendar_years (
    year   INTEGER PRIMARY KEY NOT NULL,
    notice TEXT NOT NULL,
    loaded_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('cashier', 'supervisor', 'finance', 'admin')),
    password_hash   TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      TEXT NOT NULL
) STRICT;

-- Only a hash of the session token is stored; the token itself lives in the UI's memory.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    terminal   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    account_no          TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    address             TEXT NOT NULL,
    category            TEXT NOT NULL CHECK (category IN ('residential', 'commercial', 'industrial', 'agricultural')),
    billing_mode        TEXT NOT NULL CHECK (billing_mode IN ('postpaid', 'prepaid')),
    meter_no            TEXT NOT NULL,
    multiplier          INTEGER NOT NULL CHECK (multiplier >= 1),
    phone               TEXT,
    id_number           TEXT,
    prepaid_balance_fen INTEGER NOT NULL DEFAULT 0,
    risk                TEXT CHECK (risk IN ('poor_credit', 'repeated_arrears')),
    closed              INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    updated_at          TEXT NOT NULL
) STRICT;
CREATE INDEX accounts_meter ON accounts (meter_no);
CREATE INDEX accounts_name ON accounts (name);

-- Substring search on name, address and meter number (3 characters or more) via trigrams.
CREATE VIRTUAL TABLE accounts_fts USING fts5 (
    name, address, meter_no,
    content = 'accounts', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER accounts_fts_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_fts (rowid, name, address, meter_no) VALUES (new.id, new.name, new.address, new.meter_no);
END;
CREATE TRIGGER accounts_fts_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, name, address, meter_no) VALUES ('delete', old.id, old.name, old.address, old.meter_no);
END;
CREATE TRIGGER accounts_fts_update AFTER UPDATE OF name, address, meter_no ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, name, address, meter_no) VALUES ('delete', old.id, old.name, old.address, old.meter_no);
    INSERT INTO accounts_fts (rowid, name, address, meter_no) VALUES (new.id, new.name, new.address, new.meter_no);
END;

-- One bill per account and period. `late_fee_from` is the date up to which late fee has already
-- been charged (违约金起算日); it starts at the due date.
CREATE TABLE bills (
    id                    INTEGER PRIMARY KEY,
    account_id            INTEGER NOT NULL REFERENCES accounts (id),
    period                INTEGER NOT NULL CHECK (period BETWEEN 200001 AND 209912),
    kwh                   TEXT NOT NULL,
    amount_fen            INTEGER NOT NULL CHECK (amount_fen >= 0),
    paid_fen              INTEGER NOT NULL DEFAULT 0 CHECK (paid_fen >= 0 AND paid_fen <= amount_fen),
    due_date              TEXT NOT NULL,
    late_fee_from         TEXT NOT NULL,
    late_fee_received_fen INTEGER NOT NULL DEFAULT 0 CHECK (late_fee_received_fen >= 0),
    late_fee_waived_fen   INTEGER NOT NULL DEFAULT 0 CHECK (late_fee_waived_fen >= 0),
    written_off           INTEGER NOT NULL DEFAULT 0 CHECK (written_off IN (0, 1)),
    UNIQUE (account_id, period)
) STRICT;
-- The counter asks "what is still open on this account" all day: a partial index keeps it small.
CREATE INDEX bills_open ON bills (account_id, period) WHERE paid_fen < amount_fen;

-- Append-only, hash-chained audit trail: each entry carries the hash of the previous one.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    terminal  TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
