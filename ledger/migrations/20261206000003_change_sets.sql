-- 变更集: a push logs what it changed as one entry, not one per row.
--
-- A push of 500 payments changes about 600 bills and 400 accounts. One `changes` row each (heap
-- and index inserts) cost the push about a tenth of its time (see README "Measured"). A push now
-- writes one `change_sets` row instead: its position (txid, rev) from the same sequence as the
-- log's, the accounts it changed (and every account whose bill it changed, so that a pull can
-- always send a bill's account with it), and the bills. `size` is the number of ids, so that a
-- pull can fill a page without reading the arrays it will not send.
--
-- A pull merges `changes`, `change_sets`, policy and calendar changes in (txid, rev) order and
-- sends a set whole. Compaction drops a log entry when a later entry or set has the same row, and
-- a set when every row in it has a later entry.
CREATE TABLE change_sets (
    txid        xid8     NOT NULL,
    rev         BIGINT   NOT NULL,
    size        INTEGER  NOT NULL CHECK (size > 0),
    account_ids BIGINT[] NOT NULL,
    bill_ids    BIGINT[] NOT NULL,
    PRIMARY KEY (txid, rev)
);

-- The log's update triggers become row-level triggers with a condition: a push, which writes its
-- own set, sets `cashdesk.change_set` for its transaction and they do not fire at all (a
-- statement-level trigger with a transition table would still copy every changed row). Every
-- other UPDATE of an account or a bill (an administrator's) is still logged, a row at a time.
-- Inserts (imports) keep their statement-level triggers.
CREATE FUNCTION log_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (txid, rev, kind, row_id) VALUES (pg_current_xact_id(), nextval('change_rev'), TG_ARGV[0]::"char", NEW.id);
    RETURN NULL;
END;
$$;

DROP TRIGGER accounts_updated ON accounts;
CREATE TRIGGER accounts_updated AFTER UPDATE ON accounts FOR EACH ROW
    WHEN (current_setting('cashdesk.change_set', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION log_row_change('a');
DROP TRIGGER bills_updated ON bills;
CREATE TRIGGER bills_updated AFTER UPDATE ON bills FOR EACH ROW
    WHEN (current_setting('cashdesk.change_set', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION log_row_change('b');
