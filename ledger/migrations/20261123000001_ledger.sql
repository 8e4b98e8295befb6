-- The central ledger (账务中心). Money is NUMERIC(14,2): exact, summable in SQL.
--
-- Change tracking for pulls. Every change a counter pulls has a position (txid, rev): the
-- transaction that made it (pg_current_xact_id) and a number from one sequence. A pull returns
-- changes in (txid, rev) order and only those whose transaction is older than every transaction
-- still running (pg_snapshot_xmin), so a cursor never skips a change committed late.
--   - accounts and bills: one row per changed row in `changes`, appended by statement-level
--     triggers (one call per statement, with the statement's rows as a transition table), so a
--     push that settles 600 bills pays for one trigger call and 600 narrow appends. The rows
--     themselves carry no change columns, so updating a balance touches no index (a HOT update:
--     fillfactor leaves room on each page) and no row-level trigger runs.
--   - policy and calendar years (a handful of rows): `rev` and `txid` on the row, set by a
--     row-level trigger.
-- `changes` keeps, after compaction (`changes::compact`), the latest entry of each row.

CREATE SEQUENCE change_rev;

CREATE FUNCTION touch_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.rev := nextval('change_rev');
    NEW.txid := pg_current_xact_id();
    RETURN NEW;
END;
$$;

-- kind: 'a' an account (accounts.id), 'b' a bill (bills.id).
CREATE TABLE changes (
    txid   xid8   NOT NULL,
    rev    BIGINT NOT NULL,
    kind   "char" NOT NULL CHECK (kind IN ('a', 'b')),
    row_id BIGINT NOT NULL,
    PRIMARY KEY (txid, rev)
);
-- Where each account's latest entry is (a pull sends a bill's account with it when the counter
-- cannot have it yet). Accounts only: bills' entries, most of a push's, stay out of it.
CREATE INDEX changes_accounts ON changes (row_id) WHERE kind = 'a';

-- Statement-level AFTER trigger: TG_ARGV[0] is the kind; `changed` the statement's new rows.
CREATE FUNCTION log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (txid, rev, kind, row_id)
    SELECT pg_current_xact_id(), nextval('change_rev'), TG_ARGV[0]::"char", id
    FROM (SELECT id FROM changed ORDER BY id) AS c;
    RETURN NULL;
END;
$$;

CREATE TABLE accounts (
    id              BIGSERIAL PRIMARY KEY,
    account_no      TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    address         TEXT NOT NULL,
    category        TEXT NOT NULL CHECK (category IN ('residential', 'commercial', 'industrial', 'agricultural')),
    billing_mode    TEXT NOT NULL CHECK (billing_mode IN ('postpaid', 'prepaid')),
    meter_no        TEXT NOT NULL,
    multiplier      BIGINT NOT NULL CHECK (multiplier >= 1),
    phone           TEXT,
    id_number       TEXT,
    prepaid_balance NUMERIC(14, 2) NOT NULL DEFAULT 0 CHECK (prepaid_balance >= 0),
    risk            TEXT CHECK (risk IN ('poor_credit', 'repeated_arrears')),
    closed          BOOLEAN NOT NULL DEFAULT false
) WITH (fillfactor = 85);
CREATE TRIGGER accounts_inserted AFTER INSERT ON accounts REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION log_changes('a');
CREATE TRIGGER accounts_updated AFTER UPDATE ON accounts REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION log_changes('a');

CREATE TABLE bills (
    id                BIGSERIAL PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id),
    period            INTEGER NOT NULL CHECK (period BETWEEN 200001 AND 209912),
    kwh               TEXT NOT NULL,
    amount            NUMERIC(14, 2) NOT NULL CHECK (amount >= 0),
    paid              NUMERIC(14, 2) NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= amount),
    due_date          DATE NOT NULL,
    late_fee_from     DATE NOT NULL,
    late_fee_received NUMERIC(14, 2) NOT NULL DEFAULT 0 CHECK (late_fee_received >= 0),
    late_fee_waived   NUMERIC(14, 2) NOT NULL DEFAULT 0 CHECK (late_fee_waived >= 0),
    late_fee_owed     NUMERIC(14, 2) NOT NULL DEFAULT 0 CHECK (late_fee_owed >= 0),
    written_off       BOOLEAN NOT NULL DEFAULT false,
    -- Also the index a push reads an account's open bills by (account_id, then `paid < amount`):
    -- no partial index on `paid`, which would make every payment's update touch an index.
    UNIQUE (account_id, period)
) WITH (fillfactor = 85);
CREATE TRIGGER bills_inserted AFTER INSERT ON bills REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION log_changes('b');
CREATE TRIGGER bills_updated AFTER UPDATE ON bills REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION log_changes('b');

-- The policy sent down (one row, JSON as the core's Policy), and the holiday calendar by year.
CREATE TABLE policy (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    rev  BIGINT NOT NULL DEFAULT 0,
    txid xid8 NOT NULL DEFAULT '0'
);
CREATE TRIGGER policy_touch BEFORE INSERT OR UPDATE ON policy FOR EACH ROW EXECUTE FUNCTION touch_change();

CREATE TABLE calendar_years (
    year   INTEGER PRIMARY KEY,
    notice TEXT NOT NULL,
    rev    BIGINT NOT NULL DEFAULT 0,
    txid   xid8 NOT NULL DEFAULT '0'
);
CREATE TRIGGER calendar_touch BEFORE INSERT OR UPDATE ON calendar_years FOR EACH ROW EXECUTE FUNCTION touch_change();

-- 收费终端: a one-time enrolment code (hash, expiry) is exchanged for a token (hash). Only hashes.
CREATE TABLE terminals (
    code             TEXT PRIMARY KEY,
    enrol_code_hash  TEXT,
    enrol_expires_at TIMESTAMPTZ,
    token_hash       TEXT UNIQUE,
    enrolled_at      TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ,
    last_seq         BIGINT NOT NULL DEFAULT 0,
    last_seen_at     TIMESTAMPTZ
);

-- Every money event received, once per id. `outcome` is applied or flagged (a conflict was listed).
-- `terminal` is always the code of the token that pushed it (a `terminals` row, and terminals are
-- revoked, never deleted); no foreign key, whose per-row check would cost a push as much again as
-- storing the row.
CREATE TABLE events (
    event_id       UUID PRIMARY KEY,
    terminal       TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    account_no     TEXT,
    amount         NUMERIC(14, 2),
    outcome        TEXT NOT NULL CHECK (outcome IN ('applied', 'flagged')),
    -- What a payment or vend did (allocation lines, and each bill's late-fee state before), JSON:
    -- a void reverses exactly that. Kept on the row: one insert per event, not three.
    effect         TEXT
);
CREATE INDEX events_terminal ON events (terminal, kind);

-- A resent id whose payload differs: kept whole, never dropped, and listed as a conflict.
CREATE TABLE event_rejects (
    id             BIGSERIAL PRIMARY KEY,
    event_id       UUID NOT NULL,
    terminal       TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (event_id, payload_sha256)
);

CREATE TABLE voids (
    event_id        UUID PRIMARY KEY REFERENCES events (event_id),
    voided_event_id UUID NOT NULL UNIQUE REFERENCES events (event_id)
);

-- A bank slip pays once across the province.
CREATE TABLE vouchers (
    bank     TEXT NOT NULL,
    serial   TEXT NOT NULL,
    event_id UUID NOT NULL REFERENCES events (event_id),
    PRIMARY KEY (bank, serial)
);

-- 挂账: money that could not go to an account (closed, unknown), held for review.
CREATE TABLE suspense (
    id         BIGSERIAL PRIMARY KEY,
    event_id   UUID NOT NULL REFERENCES events (event_id),
    account_no TEXT,
    amount     NUMERIC(14, 2) NOT NULL,
    reason     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- 冲突: for review. Money is never refused; what was odd about it is listed here.
CREATE TABLE conflicts (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    event_id    UUID NOT NULL,
    terminal    TEXT NOT NULL,
    account_no  TEXT,
    amount      NUMERIC(14, 2),
    detail      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at TIMESTAMPTZ
);
CREATE INDEX conflicts_open ON conflicts (id) WHERE resolved_at IS NULL;

-- Shifts and bank deposits as the counters report them.
CREATE TABLE shifts (
    terminal  TEXT NOT NULL,
    shift_id  BIGINT NOT NULL,
    cashier   TEXT NOT NULL,
    float     NUMERIC(14, 2) NOT NULL,
    opened_at TEXT NOT NULL,
    expected  NUMERIC(14, 2),
    counted   NUMERIC(14, 2),
    closed_at TEXT,
    PRIMARY KEY (terminal, shift_id)
);
CREATE TABLE deposits (
    event_id UUID PRIMARY KEY REFERENCES events (event_id),
    terminal TEXT NOT NULL,
    bank     TEXT NOT NULL,
    slip_no  TEXT NOT NULL,
    amount   NUMERIC(14, 2) NOT NULL
);
