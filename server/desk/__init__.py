"""The agent's desk (SPEC 11; docs/desk.md): a small server-rendered site at `/desk`.

One module per concern. The route modules (`server.routes.desk`, and
`server.routes.time_off` for time off) decode each request, call one service here and
render a template of `server/templates/desk/`:

    words.py         the desk's message catalogue (en, nl, fr, de) and language choice
    problems.py      what goes wrong on the desk, as catalogue keys (HTML pages, not JSON)
    forms.py         reading and checking posted forms
    limits.py        the sign-in's rate limits
    sessions.py      the session cookie, who is signed in (`Viewer`), cross-site checks
    sign_in.py       sign-in by e-mail link
    appointments.py  "my appointments": the list, one appointment, as the pages show them
    timetable.py     free times of one agent, co-workers free at a time
    actions.py       accept, decline, cancel, reschedule, reassign (one transaction each)
    invites.py       invite links made, listed and revoked on the desk
    outbound.py      an appointment the agent books for a customer
    feed.py          the agent's private calendar feed
    time_off.py      time off: whole days or hours nobody can book the agent (TIME_OFF)
    pages.py         rendering the pages, and what every desk route does first
"""
