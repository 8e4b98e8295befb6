-- The latest time a terminal's events carried (their `created_at`), so that an event dated before
-- it is flagged `dated_backwards` for review (issue 17, part 1; `events::review`). Terminals with
-- events already get the latest of theirs.
ALTER TABLE terminals ADD COLUMN last_event_at TIMESTAMPTZ;
UPDATE terminals t SET last_event_at = (SELECT max(e.created_at::timestamptz) FROM events e WHERE e.terminal = t.code);
