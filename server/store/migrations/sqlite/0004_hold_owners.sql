-- Hold squatting and bots (issue 9; docs/bots.md).
--
-- A hold names its client: a keyed hash (HMAC-SHA256 with the server's secret) of the
-- client's address as the rate limiter sees it, never the address itself. One client
-- keeps at most `organisation.bots.holds_per_client` live holds: its oldest are
-- released when it takes one more. NULL: a hold placed before this migration.
ALTER TABLE holds ADD COLUMN client TEXT;
CREATE INDEX holds_client ON holds (client, expires_at) WHERE client IS NOT NULL;

-- The holds each client placed lately, counted against
-- `organisation.bots.challenge_after` within `challenge_window` minutes; rows older
-- than the window are deleted as new ones are written.
CREATE TABLE client_activity (
    client TEXT NOT NULL,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX client_activity_client_at ON client_activity (client, at);
CREATE INDEX client_activity_at ON client_activity (at);

-- The proof-of-work challenges (ALTCHA) already answered: each solves one hold or
-- booking. Kept until the challenge expires, then deleted.
CREATE TABLE used_challenges (
    signature TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
