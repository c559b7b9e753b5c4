-- As migrations/sqlite/0002: an Idempotency-Key remembers the appointment it booked, not
-- the bytes of the answer; keys are forgotten by age, so index it. The stored answers of
-- the first shape are converted the same way (the appointment's id read from the JSON).

ALTER TABLE idempotency_keys ADD COLUMN appointment_id text;

UPDATE idempotency_keys
   SET appointment_id = convert_from(response_body, 'UTF8')::jsonb #>> '{appointment,id}';

DELETE FROM idempotency_keys WHERE appointment_id IS NULL;

ALTER TABLE idempotency_keys
    ALTER COLUMN appointment_id SET NOT NULL,
    DROP COLUMN status_code,
    DROP COLUMN response_body;

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
