-- The audit chain head each terminal sent last (issue 17, part 2; `audit_heads`): its seq and hash,
-- the one before it (a counter that lost the reply acknowledging the last still proves it extends
-- that one), and when it arrived. A head that goes backwards or does not extend the last is stored
-- all the same and listed in `conflicts`, which such a flag has no event for: event_id may be null.
ALTER TABLE terminals
    ADD COLUMN audit_seq       BIGINT,
    ADD COLUMN audit_hash      TEXT,
    ADD COLUMN audit_prev_seq  BIGINT,
    ADD COLUMN audit_prev_hash TEXT,
    ADD COLUMN audit_seen_at   TIMESTAMPTZ;
ALTER TABLE conflicts ALTER COLUMN event_id DROP NOT NULL;
