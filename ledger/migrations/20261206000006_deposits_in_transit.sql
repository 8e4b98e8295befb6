-- 解款在途 (issue 16): a deposit a counter pushed (`deposit` event: cash taken to the bank, with the
-- bank slip number) is in transit (在途) until the centre confirms the bank has it: a finance user
-- with the bank's reference, or a line of the bank's statement with the same slip number and the
-- same amount (`deposits`). A confirmation is made once, never changed, and goes down to the
-- counter that made the deposit through the change log (kind 'd', `deposits.seq`).

ALTER TABLE deposits
    -- The deposit's row id in the change log (`changes.row_id` of kind 'd').
    ADD COLUMN seq            BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    -- 片区: the terminal's code before its first '-' (GY01 of GY01-03), a filter of the finance list.
    ADD COLUMN area           TEXT GENERATED ALWAYS AS (split_part(terminal, '-', 1)) STORED,
    -- The cashier who took it to the bank, and the counter's time of the deposit (the event's `at`).
    ADD COLUMN cashier        TEXT,
    ADD COLUMN deposited_at   TIMESTAMPTZ,
    ADD COLUMN confirmed_at   TIMESTAMPTZ,
    -- What the counter is told: the finance user who confirmed it, or `statement`.
    ADD COLUMN confirmed_by   TEXT,
    ADD COLUMN confirmed_via  TEXT CHECK (confirmed_via IN ('finance', 'statement')),
    -- The ledger user who confirmed it or imported the statement that matched it (the audit's actor).
    ADD COLUMN confirmed_user TEXT,
    -- The bank's reference of the credit (流水号): always given by a finance user; a statement line
    -- may have none.
    ADD COLUMN confirm_ref    TEXT,
    -- The day the bank credited it, when known (the statement line's date).
    ADD COLUMN credited_on    DATE;

-- Deposits pushed before this migration: their time from the event (its `at`, else the outbox
-- time the counter gave it, else when the ledger received it) and its cashier.
UPDATE deposits d SET
    cashier = COALESCE(e.payload::jsonb ->> 'cashier', ''),
    deposited_at = CASE
        WHEN e.payload::jsonb ->> 'at' ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'
            THEN (e.payload::jsonb ->> 'at')::timestamptz
        WHEN e.created_at ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'
            THEN e.created_at::timestamptz
        ELSE e.received_at
    END
FROM events e WHERE e.event_id = d.event_id;
ALTER TABLE deposits ALTER COLUMN cashier SET DEFAULT '';
ALTER TABLE deposits ALTER COLUMN cashier SET NOT NULL;
ALTER TABLE deposits ALTER COLUMN deposited_at SET NOT NULL;

-- A confirmation is whole: when, by whom, how, which ledger user; a finance user always gives the
-- bank's reference.
ALTER TABLE deposits ADD CONSTRAINT deposits_confirmation_whole CHECK (
    (confirmed_at IS NULL AND confirmed_by IS NULL AND confirmed_via IS NULL AND confirmed_user IS NULL
        AND confirm_ref IS NULL AND credited_on IS NULL)
    OR (confirmed_at IS NOT NULL AND confirmed_by IS NOT NULL AND confirmed_via IS NOT NULL
        AND confirmed_user IS NOT NULL AND (confirmed_via = 'statement' OR confirm_ref IS NOT NULL))
);

-- What the counter reported never changes, a confirmation is made once and then never changes, and
-- a deposit is never deleted: cash that went to the bank is a fact.
CREATE FUNCTION deposit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'deposit % cannot be deleted', OLD.event_id;
    END IF;
    IF OLD.confirmed_at IS NOT NULL THEN
        RAISE EXCEPTION 'deposit % is confirmed: it never changes', OLD.event_id;
    END IF;
    IF (NEW.event_id, NEW.terminal, NEW.bank, NEW.slip_no, NEW.amount, NEW.cashier, NEW.deposited_at)
        IS DISTINCT FROM (OLD.event_id, OLD.terminal, OLD.bank, OLD.slip_no, OLD.amount, OLD.cashier, OLD.deposited_at) THEN
        RAISE EXCEPTION 'deposit %: what the counter reported never changes', OLD.event_id;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER deposits_guard BEFORE UPDATE OR DELETE ON deposits FOR EACH ROW EXECUTE FUNCTION deposit_guard();

-- The finance list: newest first; in transit; by area; by terminal (the date range is a range of the
-- last key). A statement line finds its deposits by slip number, or, when only its 摘要 names the
-- slip, by amount and among those in transit.
CREATE INDEX deposits_newest ON deposits (deposited_at DESC, event_id DESC) INCLUDE (amount);
CREATE INDEX deposits_in_transit ON deposits (deposited_at DESC, event_id DESC) INCLUDE (amount)
    WHERE confirmed_at IS NULL;
CREATE INDEX deposits_area ON deposits (area, deposited_at DESC) INCLUDE (amount);
CREATE INDEX deposits_terminal ON deposits (terminal, deposited_at DESC) INCLUDE (amount);
CREATE INDEX deposits_slip ON deposits (slip_no);
CREATE INDEX deposits_amount ON deposits (amount);

-- The change log carries confirmed deposits too ('d', `deposits.seq`).
ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check CHECK (kind IN ('a', 'b', 'r', 'd'));
