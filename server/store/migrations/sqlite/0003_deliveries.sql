-- The transactional outbox (SPEC 10): everything the system must tell someone is a row
-- here, written in the same transaction as the change that causes it, and sent later by
-- a worker (server/deliveries/worker.py). Times are unix seconds (UTC).
--
-- channel: email | webhook | caldav (the agents' calendars, SPEC 12)
-- recipient_role: customer | agent | webhook; recipient: an e-mail address or a webhook id
-- payload: what the message must say, as of the change (JSON)
-- due_at: when to send (later for reminders); expires_at: give up after a failure then
-- claimed_by / claimed_until: the worker that is sending it, and its lease

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'caldav')),
    kind TEXT NOT NULL,
    recipient_role TEXT NOT NULL,
    recipient TEXT NOT NULL,
    appointment_id TEXT,
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    due_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sent_at INTEGER
) STRICT;

-- The worker's question, "what is due?", reads only pending rows.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
-- A reschedule or a cancellation finds the appointment's pending reminders.
CREATE INDEX deliveries_appointment ON deliveries (appointment_id);
-- `rendezvous outbox` lists the failed ones.
CREATE INDEX deliveries_status ON deliveries (status, next_attempt_at);
