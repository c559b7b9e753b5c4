"""Deliveries (SPEC 10): what the system tells people, through a transactional outbox.

- `kinds`: the words (channels, statuses, e-mail kinds, webhook events);
- `outbox`: what to send for each change of an appointment, written in the caller's
  transaction (`appointment_created`, `..._accepted`, `..._declined`,
  `..._rescheduled`, `..._cancelled`, `..._reassigned`);
- `templates`: the e-mail texts per language × kind, compiled through `server.sandbox`;
- `email`: a delivery as an e-mail message (standard library `email`), with its iTIP part;
- `smtp`, `maildir`: where e-mail goes; `webhooks`: signed POSTs (Standard Webhooks);
- `retries`: when a failed delivery is tried again, and when it is given up;
- `worker`: the background sender in every server process;
- `preview`: `rendezvous mail preview`; `operator`: `rendezvous outbox`.

This package's `__init__` imports nothing, so `server.config` can use `kinds` and
`templates` without importing the rest.
"""
