"""The hosted booking page, /book: the whole flow rendered on the server, so that it works
without JavaScript (SPEC 5: invite links and the no-JavaScript fallback open it).

- `state`: the choices a step's link or form carries;
- `steps`: subject → meeting type → office → time (a hold) → questions and details
  (the booking), each a GET of /book, the hold and the booking a POST;
- `manage_page`: a manage link (`/book?manage=TOKEN`): the appointment, cancel,
  reschedule;
- `details`: the questions and the customer's details as form fields, read back into
  the API's request (and its validation messages);
- `times`: the timetable; `guard`: forms refused from other sites; `words`: the page's
  words in four languages; `pages`: pages, redirects and the templates
  (`server/templates/book/`).

Every step uses the same services as the API (`server.booking`), so the page and the
API accept and refuse the same things with the same messages. When JavaScript runs,
the widget replaces the page's form, as it replaces the fallback link on a host page.
"""
