-- Time off (SPEC 11; docs/desk.md#time-off): an agent's unavailable time, entered on the
-- desk as whole local days or a time range on one day. It counts as busy time (reason
-- TIME_OFF). Times are unix seconds (UTC); `timezone` is the zone it was entered in
-- (whole days run from local midnight to local midnight there, however long the day).
-- `note` is private (never shown to customers); `created_by` is the agent or office
-- manager who set it.

CREATE TABLE time_off (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    start_utc INTEGER NOT NULL,
    end_utc INTEGER NOT NULL,
    timezone TEXT NOT NULL,
    whole_days INTEGER NOT NULL CHECK (whole_days IN (0, 1)),
    note TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (end_utc > start_utc)
) STRICT;

-- Busy time is read per agent and window, like appointments.
CREATE INDEX time_off_agent_start ON time_off (agent, start_utc);
