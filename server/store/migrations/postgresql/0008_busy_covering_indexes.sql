-- As migrations/sqlite/0008: the busy time of a slot search or a booking is read by
-- agent and start, so the indexes on (agent, start_utc) carry the other columns that
-- read needs (INCLUDE), letting PostgreSQL answer it from the index alone; they replace
-- the two-column indexes (same names as SQLite's).

CREATE INDEX appointments_agent_start_busy
    ON appointments (agent, start_utc) INCLUDE (end_utc, trailing_buffer, status);
DROP INDEX appointments_agent_start;

CREATE INDEX holds_agent_start_busy
    ON holds (agent, start_utc) INCLUDE (end_utc, trailing_buffer, used_by, expires_at);
DROP INDEX holds_agent_start;
