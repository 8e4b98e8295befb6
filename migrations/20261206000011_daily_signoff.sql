-- Issue 16: the supervisor's sign-off of a terminal's 实收日报. The report as signed is kept whole
-- (JSON) with its digest; from then on that day's report is this one and never changes (a later
-- void lands in its own day's report as a correction).
CREATE TABLE daily_signoffs (
    terminal   TEXT NOT NULL,
    day        TEXT NOT NULL,
    signed_by  INTEGER NOT NULL REFERENCES users (id),
    signed_at  TEXT NOT NULL,
    report     TEXT NOT NULL,
    digest     TEXT NOT NULL,
    PRIMARY KEY (terminal, day)
) STRICT;
