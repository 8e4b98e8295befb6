-- 退费 at the centre (issue 15): refund requests from the counters and their history, the ledger's
-- own users (finance reviewers and auditors) and their sessions, and the audit of what they do.
--
-- A request arrives in a push as a `refund.submit` event (its id is the request's id) and moves on
-- with the hall's decision (`refund.hall`), then with finance's decisions and the payout, which
-- finance users make through the finance API or the command line (`refunds`). Its amount is held
-- from submission until a rejection or the payout: what an account's requests hold at the ledger
-- is the sum of its requests in a holding state that are not flagged (a flagged request is never
-- paid). A payout lowers the account's prepaid balance in the same transaction as the state.

CREATE TABLE refunds (
    refund_id            UUID PRIMARY KEY,
    -- The request's row id in the change log (`changes.row_id` of kind 'r').
    seq                  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    request_no           TEXT NOT NULL,
    terminal             TEXT NOT NULL,
    -- 片区: the terminal's code before its first '-' (GY01 of GY01-03), a filter of the finance list.
    area                 TEXT NOT NULL GENERATED ALWAYS AS (split_part(terminal, '-', 1)) STORED,
    account_no           TEXT COLLATE "C" NOT NULL,
    amount               NUMERIC(14, 2) NOT NULL CHECK (amount > 0),
    reason               TEXT NOT NULL CHECK (reason IN ('overpaid', 'duplicate', 'closure', 'billing_error', 'other')),
    reason_text          TEXT,
    payee_name           TEXT NOT NULL,
    payee_reason         TEXT,
    payee_bank           TEXT NOT NULL,
    payee_branch         TEXT NOT NULL,
    -- The whole account number sealed with the ledger's data key (`datakey`); never in clear here.
    payee_account_sealed TEXT NOT NULL CHECK (payee_account_sealed LIKE 'v1:%'),
    payee_account_masked TEXT NOT NULL,
    docs                 JSONB NOT NULL,
    duplicate_of         TEXT,
    state                TEXT NOT NULL CHECK (state IN ('submitted', 'hall_approved', 'hall_rejected', 'at_ledger',
                                                        'finance_approved', 'finance_rejected', 'paid')),
    submitted_by         TEXT NOT NULL,
    -- The counter's time of the submission: what the list orders and filters by.
    submitted_at         TIMESTAMPTZ NOT NULL,
    received_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    hall_by              TEXT,
    hall_at              TIMESTAMPTZ,
    hall_reason          TEXT,
    finance_by           TEXT,
    finance_at           TIMESTAMPTZ,
    finance_reason       TEXT,
    paid_by              TEXT,
    paid_at              TIMESTAMPTZ,
    paid_amount          NUMERIC(14, 2),
    payout_date          DATE,
    payout_ref           TEXT,
    -- Why the centre will not pay it (more than the account's balance there, ...): never cleared.
    flag                 TEXT,
    -- A paid request paid exactly its amount, was not flagged, and finance decided it.
    CHECK (state <> 'paid' OR (paid_amount = amount AND flag IS NULL AND payout_date IS NOT NULL
                               AND payout_ref IS NOT NULL AND paid_by IS NOT NULL)),
    CHECK (state NOT IN ('finance_approved', 'finance_rejected', 'paid') OR finance_by IS NOT NULL)
);
-- The finance list: newest first, by state, by area (and state), by terminal; the date range is a
-- range of the last key. What is held on an account (a push, the detail): by account. Which states
-- hold, and which are final, is the core's rule (`refunds::State`): queries bind those lists.
CREATE INDEX refunds_newest ON refunds (submitted_at DESC, refund_id DESC);
CREATE INDEX refunds_state ON refunds (state, submitted_at DESC);
CREATE INDEX refunds_area ON refunds (area, state, submitted_at DESC);
CREATE INDEX refunds_terminal ON refunds (terminal, submitted_at DESC);
CREATE INDEX refunds_account ON refunds (account_no);
CREATE INDEX refunds_request_no ON refunds (request_no);

-- Append-only tables refuse UPDATE and DELETE.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

-- Every step of a request: who, when, the state it left the request in, and why.
CREATE TABLE refund_history (
    id        BIGSERIAL PRIMARY KEY,
    refund_id UUID NOT NULL REFERENCES refunds (refund_id),
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    step      TEXT NOT NULL CHECK (step IN ('submit', 'hall_approve', 'hall_reject', 'receive', 'finance_approve',
                                            'finance_reject', 'pay', 'flag')),
    state     TEXT NOT NULL,
    note      TEXT
);
CREATE INDEX refund_history_refund ON refund_history (refund_id, id);
CREATE TRIGGER refund_history_append_only BEFORE UPDATE OR DELETE ON refund_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The change log carries refund requests too ('r', `refunds.seq`): a request is sent down to its
-- counter when the centre moved it on (received, decided, paid, flagged). A push logs its requests'
-- entries itself, at places after its change sets (`events::write`); every other transaction at
-- the sequence's next numbers.
ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check CHECK (kind IN ('a', 'b', 'r'));

-- The ledger's users: finance reviewers (财务复核) and auditors (审计), not counter users. The same
-- person has the same user name at a counter and here (that is how nobody reviews their own
-- request). argon2id hashes; five wrong passwords in a row lock a user for 15 minutes.
CREATE TABLE ledger_users (
    id              BIGSERIAL PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('finance', 'auditor')),
    password_hash   TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    disabled        BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A log-in's session: only the SHA-256 of its token. It ends at `expires_at` (8 hours after the
-- log-in), after 30 idle minutes, at log-out, or when the user is disabled.
CREATE TABLE ledger_sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES ledger_users (id),
    channel      TEXT NOT NULL CHECK (channel IN ('api', 'cli')),
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ
);
CREATE INDEX ledger_sessions_open ON ledger_sessions (user_id) WHERE ended_at IS NULL;

-- 审计: what the ledger's users do (log-ins and their failures, log-outs, user administration,
-- finance decisions, payouts), append-only and chained like the counter's audit trail: each entry
-- carries the hash of the one before (the core's `audit::Entry::seal`).
CREATE TABLE finance_audit (
    seq       BIGSERIAL PRIMARY KEY,
    at        TEXT NOT NULL,
    channel   TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);
CREATE TRIGGER finance_audit_append_only BEFORE UPDATE OR DELETE ON finance_audit
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The ledger's own settings (the id of its data key).
CREATE TABLE ledger_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
