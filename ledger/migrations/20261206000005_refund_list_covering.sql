-- The finance list counts and adds up every request that matches its filters (`refunds::list`):
-- for a broad filter (everything, or all paid requests) that is most of the table. Read from the
-- heap, 100,000 requests are 40 MB of wide rows (payee, documents, the sealed number); the list's
-- indexes carrying the amount make it an index-only scan of about 5 MB (benches/refund_list.rs).
DROP INDEX refunds_newest;
DROP INDEX refunds_state;
DROP INDEX refunds_area;
DROP INDEX refunds_terminal;
CREATE INDEX refunds_newest ON refunds (submitted_at DESC, refund_id DESC) INCLUDE (amount);
CREATE INDEX refunds_state ON refunds (state, submitted_at DESC) INCLUDE (amount);
CREATE INDEX refunds_area ON refunds (area, state, submitted_at DESC) INCLUDE (amount);
CREATE INDEX refunds_terminal ON refunds (terminal, submitted_at DESC) INCLUDE (amount);
