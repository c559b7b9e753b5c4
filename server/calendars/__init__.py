"""Agents' own calendars (SPEC 12): busy time read from ICS feeds and CalDAV servers,
appointments written back to CalDAV, broken calendars reported once.

    links        the organisation file's `[agents.calendar]`, and its secrets from the environment
    problems     why a calendar could not be read or written (the error tree)
    feeds        reading an ICS feed over HTTP (conditional, capped, bounded)
    dav          reading and writing a CalDAV calendar (the `caldav` library, in a thread)
    expansion    parsing and recurrence expansion: what is busy
    isolation    the child processes that run the expansion
    intervals    the stored intervals, and the engine's external busy time read from them
    state        what a read or a write does to a calendar's state; whether it is usable
    refresher    the background task that refreshes each calendar, one process at a time
    notices      the broken / restored e-mail and webhooks, through the outbox
    writeback    the CalDAV deliveries: appointments put into and removed from calendars
    report       `rendezvous calendars`

See docs/calendars.md.
"""
