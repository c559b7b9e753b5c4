-- The PostgreSQL twin of migrations/sqlite/0001_initial.sql: the same tables, columns and
-- constraints. Times are timestamptz (UTC, whole seconds as the store writes them),
-- JSON is jsonb, trailing_buffer is in minutes.
-- An occupation ([start, end + trailing_buffer)) lasts at most 7 days: Store.busy relies
-- on that bound to keep its range scans on (agent, start_utc) short.

CREATE TABLE appointments (
    id text PRIMARY KEY,
    status text NOT NULL CHECK (status IN ('confirmed', 'requested', 'cancelled', 'declined')),
    sequence integer NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    subject text NOT NULL,
    meeting_type text NOT NULL,
    office text,
    agent text NOT NULL,
    start_utc timestamptz NOT NULL,
    end_utc timestamptz NOT NULL,
    trailing_buffer integer NOT NULL DEFAULT 0 CHECK (trailing_buffer >= 0),
    timezone text NOT NULL,
    language text NOT NULL,
    customer jsonb NOT NULL,
    location jsonb,
    answers jsonb NOT NULL DEFAULT '{}',
    metadata jsonb NOT NULL DEFAULT '{}',
    video_url text,
    invite_id text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (end_utc > start_utc),
    CHECK (end_utc - start_utc + trailing_buffer * interval '1 minute' <= interval '7 days')
);

CREATE INDEX appointments_agent_start ON appointments (agent, start_utc);
CREATE INDEX appointments_status ON appointments (status);

CREATE TABLE holds (
    id text PRIMARY KEY,
    agent text NOT NULL,
    subject text NOT NULL,
    meeting_type text NOT NULL,
    office text,
    start_utc timestamptz NOT NULL,
    end_utc timestamptz NOT NULL,
    trailing_buffer integer NOT NULL DEFAULT 0 CHECK (trailing_buffer >= 0),
    expires_at timestamptz NOT NULL,
    used_by text,
    CHECK (end_utc > start_utc),
    CHECK (end_utc - start_utc + trailing_buffer * interval '1 minute' <= interval '7 days')
);

CREATE INDEX holds_agent_start ON holds (agent, start_utc);

CREATE TABLE idempotency_keys (
    key text PRIMARY KEY,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    response_body bytea NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE used_invites (
    invite_id text PRIMARY KEY,
    appointment_id text NOT NULL,
    used_at timestamptz NOT NULL
);
