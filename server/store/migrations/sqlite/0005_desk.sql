-- The agent's desk (SPEC 11; docs/desk.md). Times are unix seconds (UTC).

-- A sign-in link sent by e-mail: it signs in once (used_at), until expires_at. The token
-- in the e-mail carries only the id. A request for an address that is no active agent's
-- writes a row too, with agent NULL (the same work whoever asks; it never signs in).
-- `next` is a /desk path to open after signing in (no customer data: ids only).
CREATE TABLE desk_sign_in_links (
    id TEXT PRIMARY KEY,
    agent TEXT,
    next TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    CHECK (expires_at > created_at)
) STRICT;

CREATE INDEX desk_sign_in_links_created_at ON desk_sign_in_links (created_at);

-- A signed-in agent: the cookie carries the id; signing out (or the agent leaving the
-- organisation file) sets ended_at. `language` is the one the agent chose on the desk.
CREATE TABLE desk_sessions (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    language TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER,
    CHECK (expires_at > created_at)
) STRICT;

CREATE INDEX desk_sessions_expires_at ON desk_sessions (expires_at);

-- Invites (SPEC 2, 8 and 11), stored so that a link can be revoked and carries only an
-- id: the customer's e-mail is here, never in the link. created_by: the agent who made
-- it on the desk (NULL: `rendezvous invite`). Single use is recorded in used_invites.
CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    subject TEXT,
    meeting_type TEXT,
    office TEXT,
    customer_email TEXT,
    single_use INTEGER NOT NULL DEFAULT 0 CHECK (single_use IN (0, 1)),
    created_by TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    CHECK (expires_at > created_at)
) STRICT;

CREATE INDEX invites_agent_expires_at ON invites (agent, expires_at);

-- An agent's private calendar feed: the secret is the feed's address. Renewing it
-- replaces the row, which ends the old address.
CREATE TABLE desk_feeds (
    agent TEXT PRIMARY KEY,
    secret TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

-- The desk lists an office's appointments (a manager's view) by start.
CREATE INDEX appointments_office_start ON appointments (office, start_utc);
