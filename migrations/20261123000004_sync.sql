-- Sync with the central ledger. One row of state (id = 1): the ledger's URL, the pull cursor, and the
-- outcome of the last attempt, so the UI and `cashdeskctl sync status` can say what is happening.
-- The terminal's token is NOT here: it lives only in the OS keyring.
CREATE TABLE sync_state (
    id                   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    ledger_url           TEXT,
    -- Opaque to the counter; '' = from the start.
    cursor               TEXT NOT NULL DEFAULT '',
    last_success         TEXT,
    last_attempt         TEXT,
    last_error_code      TEXT,
    last_error_message   TEXT,
    last_error_retryable INTEGER CHECK (last_error_retryable IN (0, 1)),
    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    CHECK ((last_error_code IS NULL) = (last_error_message IS NULL))
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

-- Events the ledger recorded with a flag (a conflict, or an id reused with a different payload), with
-- its reason, for the supervisor to review. The event itself stays in the outbox, acknowledged.
CREATE TABLE sync_flagged (
    event_id   TEXT PRIMARY KEY NOT NULL REFERENCES outbox (event_id),
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    flagged_at TEXT NOT NULL
) STRICT;

