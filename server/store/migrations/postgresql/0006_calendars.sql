-- Agents' own calendars (SPEC 12), as migrations/sqlite/0006_calendars.sql (its comments
-- say what each column is). Times are timestamptz; `busy` is the same little-endian
-- int64 (start, end) pairs, as bytea. next_check_at's default is the epoch: due at once.

CREATE TABLE calendars (
    agent text PRIMARY KEY,
    link text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('ics', 'caldav')),
    busy bytea NOT NULL DEFAULT '\x'::bytea,
    busy_from timestamptz,
    busy_until timestamptz,
    intervals integer NOT NULL DEFAULT 0 CHECK (intervals >= 0),
    free_all_day integer NOT NULL DEFAULT 0 CHECK (free_all_day >= 0),
    revision bigint NOT NULL DEFAULT 0,
    etag text,
    last_modified text,
    worked_at timestamptz,
    checked_at timestamptz,
    next_check_at timestamptz NOT NULL DEFAULT 'epoch',
    problem text,
    error text,
    write_problem text,
    write_error text,
    failing_since timestamptz,
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    notified boolean NOT NULL DEFAULT false,
    lease_owner text,
    lease_until timestamptz,
    updated_at timestamptz NOT NULL,
    CHECK (length(busy) % 16 = 0)
);

-- The refresher's question, "which calendar is due?".
CREATE INDEX calendars_due ON calendars (next_check_at);
