-- Time off (SPEC 11; docs/desk.md#time-off), as migrations/sqlite/0007_time_off.sql (its
-- comments say what each column is). Times are timestamptz; `timezone` is the zone it
-- was entered in; `note` is private.

CREATE TABLE time_off (
    id text PRIMARY KEY,
    agent text NOT NULL,
    start_utc timestamptz NOT NULL,
    end_utc timestamptz NOT NULL,
    timezone text NOT NULL,
    whole_days boolean NOT NULL,
    note text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (end_utc > start_utc)
);

-- Busy time is read per agent and window, like appointments.
CREATE INDEX time_off_agent_start ON time_off (agent, start_utc);
