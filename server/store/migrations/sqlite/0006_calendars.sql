-- Agents' own calendars (SPEC 12): per agent with a calendar in the organisation file,
-- the busy time last read from it and the state of reading and writing it. Times are
-- unix seconds (UTC).
--
-- link: a fingerprint of the agent's [agents.calendar] table (never a secret): a row
--   whose link differs from the file's describes another calendar, and is read anew
-- busy: the busy intervals only, merged, sorted and disjoint, as little-endian int64
--   pairs (start, end); no titles, attendees or descriptions are ever stored.
--   busy_from / busy_until: the window they cover
-- revision: bumped whenever busy changes (the slot search's memo keys on it)
-- etag / last_modified: for conditional requests of ICS feeds
-- worked_at: the last successful read; problem / error: the current read failure;
--   write_problem / write_error: the last failed write-back (CalDAV)
-- failing_since, failures: since when, and how many reads in a row, failed
-- notified: the broken notice (e-mail, webhooks) was written for the current breakage
-- lease_owner / lease_until: the process refreshing it now (one at a time)

CREATE TABLE calendars (
    agent TEXT PRIMARY KEY,
    link TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ics', 'caldav')),
    busy BLOB NOT NULL DEFAULT x'',
    busy_from INTEGER,
    busy_until INTEGER,
    intervals INTEGER NOT NULL DEFAULT 0 CHECK (intervals >= 0),
    free_all_day INTEGER NOT NULL DEFAULT 0 CHECK (free_all_day >= 0),
    revision INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    last_modified TEXT,
    worked_at INTEGER,
    checked_at INTEGER,
    next_check_at INTEGER NOT NULL DEFAULT 0,
    problem TEXT,
    error TEXT,
    write_problem TEXT,
    write_error TEXT,
    failing_since INTEGER,
    failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    notified INTEGER NOT NULL DEFAULT 0 CHECK (notified IN (0, 1)),
    lease_owner TEXT,
    lease_until INTEGER,
    updated_at INTEGER NOT NULL,
    CHECK (length(busy) % 16 = 0)
) STRICT;

-- The refresher's question, "which calendar is due?".
CREATE INDEX calendars_due ON calendars (next_check_at);
