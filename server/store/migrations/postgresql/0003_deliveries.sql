-- The transactional outbox (SPEC 10), as migrations/sqlite/0003_deliveries.sql (its
-- comments say what each column is). Times are timestamptz, the payload jsonb.

CREATE TABLE deliveries (
    id text PRIMARY KEY,
    -- The order rows were written in (SQLite's rowid): listings, an appointment's
    -- deliveries and claims follow it (server/store/postgresql_outbox.py).
    seq bigint GENERATED ALWAYS AS IDENTITY,
    channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'caldav')),
    kind text NOT NULL,
    recipient_role text NOT NULL,
    recipient text NOT NULL,
    appointment_id text,
    payload jsonb NOT NULL,
    due_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    claimed_by text,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    sent_at timestamptz
);

-- The worker's question, "what is due?", reads only pending rows.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
-- A reschedule or a cancellation finds the appointment's pending reminders.
CREATE INDEX deliveries_appointment ON deliveries (appointment_id);
-- `rendezvous outbox` lists the failed ones.
CREATE INDEX deliveries_status ON deliveries (status, next_attempt_at);
