-- The busy time of a slot search or a booking is read by agent and start: make the
-- indexes on (agent, start_utc) covering, so that the read never visits the tables'
-- rows (about half the time of a search over a busy organisation, docs/benchmarks.md).
-- They replace the two-column indexes, which they serve as well (same leading columns),
-- so a booking still updates as many indexes as before.
-- (Idempotency-Keys are forgotten by age through idempotency_keys_created_at, 0002.)

CREATE INDEX appointments_agent_start_busy
    ON appointments (agent, start_utc, end_utc, trailing_buffer, status);
DROP INDEX appointments_agent_start;

CREATE INDEX holds_agent_start_busy
    ON holds (agent, start_utc, end_utc, trailing_buffer, used_by, expires_at);
DROP INDEX holds_agent_start;
