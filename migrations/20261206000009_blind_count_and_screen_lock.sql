-- Issue 14: every count of a drawer at close is kept (the first stays on the record), and an idle
-- counter locks its session until the same user's password unlocks it.

-- 盲点记录: one row per count submitted at close, in order. `matches` is whether it equalled the
-- expected cash; the expected figure itself is only written on the shift at close.
CREATE TABLE shift_counts (
    id           INTEGER PRIMARY KEY,
    shift_id     INTEGER NOT NULL REFERENCES shifts (id),
    attempt      INTEGER NOT NULL CHECK (attempt >= 1),
    counted_fen  INTEGER NOT NULL CHECK (counted_fen >= 0),
    count_detail TEXT NOT NULL,
    matches      INTEGER NOT NULL CHECK (matches IN (0, 1)),
    counted_at   TEXT NOT NULL,
    UNIQUE (shift_id, attempt)
) STRICT;

-- 锁屏: set while the session's screen is locked.
ALTER TABLE sessions ADD COLUMN locked_at TEXT;
