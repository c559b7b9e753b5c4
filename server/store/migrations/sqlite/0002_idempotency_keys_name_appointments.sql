-- An Idempotency-Key remembers the appointment it booked, not the bytes of the answer:
-- the answer is rendered from the appointment after the transaction commits, so no
-- template is rendered while the write lock is held. Keys are forgotten by age: index it.

CREATE TABLE idempotency_keys_new (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

INSERT INTO idempotency_keys_new (key, request_hash, appointment_id, created_at)
SELECT key, request_hash, json_extract(CAST(response_body AS TEXT), '$.appointment.id'), created_at
  FROM idempotency_keys
 WHERE json_valid(CAST(response_body AS TEXT))
   AND json_extract(CAST(response_body AS TEXT), '$.appointment.id') IS NOT NULL;

DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
