-- The agent's desk (SPEC 11; docs/desk.md), as migrations/sqlite/0005_desk.sql (its
-- comments say what each table is). Times are timestamptz; flags are boolean.

CREATE TABLE desk_sign_in_links (
    id text PRIMARY KEY,
    agent text,
    next text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CHECK (expires_at > created_at)
);

CREATE INDEX desk_sign_in_links_created_at ON desk_sign_in_links (created_at);

CREATE TABLE desk_sessions (
    id text PRIMARY KEY,
    agent text NOT NULL,
    language text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    CHECK (expires_at > created_at)
);

CREATE INDEX desk_sessions_expires_at ON desk_sessions (expires_at);

CREATE TABLE invites (
    id text PRIMARY KEY,
    agent text NOT NULL,
    subject text,
    meeting_type text,
    office text,
    customer_email text,
    single_use boolean NOT NULL DEFAULT false,
    created_by text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CHECK (expires_at > created_at)
);

CREATE INDEX invites_agent_expires_at ON invites (agent, expires_at);

CREATE TABLE desk_feeds (
    agent text PRIMARY KEY,
    secret text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- The desk lists an office's appointments (a manager's view) by start.
CREATE INDEX appointments_office_start ON appointments (office, start_utc);
