-- 变更集: a push logs what it changed as change sets, not one `changes` row per changed row.
--
-- A push of 500 payments changes about 600 bills and 400 accounts; a `changes` row each (heap and
-- index inserts, and the triggers' transition tables) was the largest part of a push besides
-- storing and applying its events. A push now writes one `change_sets` row per (at most) 1,000
-- ids: the accounts it changed, and every account whose bill it changed (so that a pull can always
-- send a bill's account before the bill), and the bills. `size` is the number of ids, so a pull
-- can fill a page without reading arrays it will not send.
--
-- Positions: a push's transaction writes no `changes` rows, so the positions of its transaction are
-- its sets' own: set k of a push sits at rev 1 + 1000k (`rev`) and owns the numbers up to
-- `rev_last` = rev + size - 1 (a set holds at most 1,000 ids). A pull that sends a set moves the
-- cursor to (txid, rev_last). Compaction turns each set into `changes` rows at (txid, rev),
-- (txid, rev + 1), ... inside that range and deletes it, in one statement, then drops superseded
-- log entries as before: a counter whose cursor was before the set gets the rows, one whose cursor
-- was at or after it already had them, and the log is back to one entry per row.
CREATE TABLE change_sets (
    txid        xid8     NOT NULL,
    rev         BIGINT   NOT NULL,
    rev_last    BIGINT   NOT NULL,
    size        INTEGER  NOT NULL CHECK (size > 0),
    account_ids BIGINT[] NOT NULL,
    bill_ids    BIGINT[] NOT NULL,
    PRIMARY KEY (txid, rev),
    CHECK (rev_last - rev + 1 = size)
);

-- The log's update triggers (statement-level, with transition tables, in the first migration)
-- become row-level triggers with a condition: a push, which writes its own sets, sets `cashdesk.change_set` for its transaction and they do not fire at all (a
-- statement-level trigger with a transition table would still copy every changed row). Every
-- other UPDATE of an account or a bill (an administrator's) is still logged, a row at a time (a
-- mass correction of a million rows now takes tens of seconds). Only a push may set
-- `cashdesk.change_set`: set anywhere else, it turns the log off in that scope. Inserts (imports)
-- keep their statement-level triggers.
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
