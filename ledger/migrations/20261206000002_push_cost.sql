-- What a push costs PostgreSQL, per event (see README "Measured").
--
-- `change_rev` hands each backend 1,000 numbers at a time instead of one: the change-log trigger
-- takes one per changed row (a push of 500 payments changes about 700 bills and accounts). A rev
-- only orders the entries within one transaction (the log and every cursor are ordered by
-- (txid, rev), transaction first), and one transaction's numbers all come from its own backend, in
-- increasing order, so numbers cached by other backends, or lost when a backend exits, change no
-- order a pull relies on.
ALTER SEQUENCE change_rev CACHE 1000;

-- 户号 are compared byte by byte: the locale's collation (whatever `initdb` was given) costs every
-- look-up of a push's 500 accounts a call into the C library per comparison, and orders digits no
-- differently.
ALTER TABLE accounts ALTER COLUMN account_no TYPE TEXT COLLATE "C";

-- A conflict is listed once per (kind, event, detail): the check looks the event up by this.
CREATE INDEX conflicts_event ON conflicts (event_id);

-- A void frees its payment's bank slip by the payment's event id.
CREATE INDEX vouchers_event ON vouchers (event_id);
