-- Times are integer unix seconds (UTC); trailing_buffer is in minutes.
-- An occupation ([start, end + trailing_buffer)) lasts at most 7 days: Store.busy relies
-- on that bound to keep its range scans on (agent, start_utc) short.

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'requested', 'cancelled', 'declined')),
    sequence INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    subject TEXT NOT NULL,
    meeting_type TEXT NOT NULL,
    office TEXT,
    agent TEXT NOT NULL,
    start_utc INTEGER NOT NULL,
    end_utc INTEGER NOT NULL,
    trailing_buffer INTEGER NOT NULL DEFAULT 0 CHECK (trailing_buffer >= 0),
    timezone TEXT NOT NULL,
    language TEXT NOT NULL,
    customer TEXT NOT NULL CHECK (json_valid(customer)),
    location TEXT CHECK (location IS NULL OR json_valid(location)),
    answers TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(answers)),
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    video_url TEXT,
    invite_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (end_utc > start_utc),
    CHECK (end_utc - start_utc + trailing_buffer * 60 <= 604800)
) STRICT;

CREATE INDEX appointments_agent_start ON appointments (agent, start_utc);
CREATE INDEX appointments_status ON appointments (status);

CREATE TABLE holds (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    subject TEXT NOT NULL,
    meeting_type TEXT NOT NULL,
    office TEXT,
    start_utc INTEGER NOT NULL,
    end_utc INTEGER NOT NULL,
    trailing_buffer INTEGER NOT NULL DEFAULT 0 CHECK (trailing_buffer >= 0),
    expires_at INTEGER NOT NULL,
    used_by TEXT,
    CHECK (end_utc > start_utc),
    CHECK (end_utc - start_utc + trailing_buffer * 60 <= 604800)
) STRICT;

CREATE INDEX holds_agent_start ON holds (agent, start_utc);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE used_invites (
    invite_id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL,
    used_at INTEGER NOT NULL
) STRICT;
