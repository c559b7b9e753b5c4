"""Page-object helpers for the browser tests: drive the widget the way a customer does.

Every helper finds elements by role, label or visible text (Playwright's locators
pierce the widget's open shadow root). They take the widget's host element as a
`Locator` (`widget(page)`), so pages with two widgets work the same way.

    w = open_host(page, servers)                  # examples/host/index.html
    pick(w, "Car loan")                            # a subject, meeting type, office, agent
    pick(w, "Video call")
    pick_first_time(w)
    answer(w, "Which car are you thinking of?", "A small electric one")
    submit(w)                                      # Continue
    fill_customer(w)
    book(w)
    links = confirmation_links(w)                  # {"ics": url, "google": ..., ...}
    appointment = api_appointment(servers, manage_token(links["manage"]))
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.support import eventually

WIDGET = ".rendezvous"

#: A free time's name: a time such as 09:30, 9.30 or 9:30 AM (never a day of the strip).
TIME = re.compile(r"^\s*\d{1,2}[:.h]\d{2}")

#: Headings of the steps in English (plugin/i18n/en.js).
HEADINGS = {
    "subject": "What would you like to talk about?",
    "meeting-type": "How would you like to meet?",
    "address": "Where should we meet you?",
    "office": "Choose an office",
    "agent": "Who would you like to meet?",
    "timetable": "Choose a date and time",
    "questions": "A few questions",
    "customer": "Your details",
    "confirmed": "Your appointment is booked",
    "requested": "Your request has been sent",
    "manage": "Your appointment",
    "reschedule": "Choose a new date and time",
}

#: Collects every rendezvous:* event that reaches the document, with its target's id.
_RECORDER = """
(() => {
  window.__rendezvousEvents = [];
  const names = ['ready', 'step', 'appointment-created', 'appointment-rescheduled',
                 'appointment-cancelled', 'error', 'misconfigured'];
  for (const name of names) {
    document.addEventListener('rendezvous:' + name, (e) => {
      window.__rendezvousEvents.push({
        type: e.type,
        target: e.target && (e.target.id || e.target.className || e.target.nodeName),
        detail: JSON.parse(JSON.stringify(e.detail ?? null)),
      });
    });
  }
})();
"""


# ---- pages -----------------------------------------------------------------------------


def record_events(page: Page) -> None:
    """Record the widget's events from the next navigation on; read them with `events`."""
    page.add_init_script(_RECORDER)


def events(page: Page, name: str | None = None) -> list[dict[str, Any]]:
    """The recorded events (of one type, with or without the `rendezvous:` prefix)."""
    found: list[dict[str, Any]] = page.evaluate("window.__rendezvousEvents || []")
    if name is None:
        return found
    wanted = name if name.startswith("rendezvous:") else "rendezvous:" + name
    return [e for e in found if e["type"] == wanted]


def widget(page: Page, selector: str = WIDGET) -> Locator:
    """The widget's host element; a selector such as "#mortgage" picks one of several."""
    return page.locator(selector)


def open_host(page: Page, servers: Any, path: str = "/", *, record: bool = True) -> Locator:
    """Open an example host page (served from the other origin) and wait for the widget."""
    if record:
        record_events(page)
    page.goto(servers.host + path)
    w = widget(page)
    expect(heading(w.first)).to_be_visible()
    return w.first


def embed_page(
    page: Page,
    servers: Any,
    attributes: dict[str, str] | None = None,
    *,
    script: str = "",
    hash: str = "",
    name: str = "test-page",
    widgets: int = 1,
    wait: bool = True,
) -> Locator:
    """Serve an ad-hoc host page on the host origin that embeds one widget, and open it.

    `attributes` become the element's `data-*` attributes (`{"subject": "mortgage"}`);
    `script` is inline JavaScript run before embed.js loads (the stub is in place, so
    `Rendezvous('mount', ...)` calls queue); `hash` is the URL's fragment without `#`.
    """
    attrs = "".join(
        f' data-{k}="{html.escape(v, quote=True)}"' for k, v in (attributes or {}).items()
    )
    elements = "\n".join(
        f'<div class="rendezvous" id="w{i}"{attrs}><a href="{servers.api}/book">Book</a></div>'
        for i in range(1, widgets + 1)
    )
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rendezvous test page</title>
<script>
  window.Rendezvous = window.Rendezvous
    || function () {{ (Rendezvous.q = Rendezvous.q || []).push(arguments) }};
</script>
</head><body><main>
<h1>Test page</h1>
{elements}
</main>
<script>{script}</script>
<script src="{servers.api}/embed.js" async></script>
</body></html>"""
    url = f"{servers.host}/{name}.html"
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))
    # A fulfilled page has no address of its own, so Chromium counts it as public and
    # would block its requests to the loopback API (Local Network Access) unless allowed.
    page.context.grant_permissions(["local-network-access"], origin=servers.host)
    record_events(page)
    page.goto(url + (f"#{hash}" if hash else ""))
    w = widget(page).first
    if wait:
        expect(heading(w)).to_be_visible()
    return w


# ---- steps ----------------------------------------------------------------------------


def heading(w: Locator) -> Locator:
    """The current step's heading (each step has exactly one h2)."""
    return w.get_by_role("heading", level=2)


def expect_step(w: Locator, title: str) -> None:
    """The widget shows the step with this heading (a key of HEADINGS, or the text)."""
    expect(heading(w)).to_have_text(HEADINGS.get(title, title))


def pick(w: Locator, name: str) -> None:
    """Choose a subject, meeting type, office or agent by its visible name."""
    w.get_by_role("button", name=name, exact=True).click()


def pick_subject(w: Locator, name: str) -> None:
    pick(w, name)


def time_buttons(w: Locator) -> Locator:
    """The free times shown for the selected day (options of a listbox)."""
    return w.get_by_role("option", name=TIME)


def choose_zone(w: Locator, search: str, option: str | re.Pattern[str] | None = None) -> None:
    """Change the time zone as a customer does: open the picker, type, pick an option."""
    w.get_by_role("button", name="Change time zone").click()
    w.get_by_role("combobox", name="Time zone").fill(search)
    w.get_by_role("listbox", name="Time zone").get_by_role(
        "option", name=option or search
    ).first.click()


def pick_first_time(w: Locator) -> str:
    """Choose the first free time of the day the timetable opened on; returns its text."""
    first = time_buttons(w).first
    expect(first).to_be_visible()
    text = first.inner_text().strip()
    first.click()
    return text


def answer(w: Locator, label: str, value: str | list[str]) -> None:
    """Answer one question by its label: text, number, a select, radios or checkboxes."""
    control = w.get_by_label(label)
    if control.count() == 1:
        tag = control.evaluate("el => el.tagName")
        if tag == "SELECT":
            control.select_option(label=value if isinstance(value, str) else value[0])
        else:
            control.fill(str(value))
        return
    # Radios and checkboxes sit in a fieldset whose legend is the label.
    group = w.get_by_role("group", name=label)
    for option in [value] if isinstance(value, str) else value:
        group.get_by_label(option, exact=True).check()


def submit(w: Locator, label: str = "Continue") -> None:
    w.get_by_role("button", name=label, exact=True).click()


def fill_customer(
    w: Locator,
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    email: str = "ada@example.com",
    phone: str | None = None,
) -> None:
    """Fill in the customer step (English labels)."""
    expect_step(w, "customer")
    w.get_by_label("First name").fill(first_name)
    w.get_by_label("Last name").fill(last_name)
    w.get_by_label("Email address").fill(email)
    if phone is not None:
        w.get_by_label("Phone number").fill(phone)


def book(w: Locator) -> None:
    """Press "Book appointment" and wait for the confirmation."""
    submit(w, "Book appointment")
    expect(heading(w)).to_have_text(
        re.compile(f"^({HEADINGS['confirmed']}|{HEADINGS['requested']})$")
    )


def confirmation_links(w: Locator) -> dict[str, str]:
    """The confirmation's links by their English names: ics, google, outlook, manage, video."""
    names = {
        "ics": "Download for your calendar (.ics)",
        "google": "Add to Google Calendar",
        "outlook": "Add to Outlook",
        "manage": "Change or cancel your appointment",
        "video": "Join the video call",
    }
    found = {}
    for key, name in names.items():
        link = w.get_by_role("link", name=name, exact=True)
        if link.count():
            found[key] = link.get_attribute("href") or ""
    return found


def summary(w: Locator) -> dict[str, str]:
    """The summary box as {term: description} ("Subject", "Meeting", "Place", "With", "When")."""
    rows: list[list[str]] = w.locator("dl div").evaluate_all(
        "rows => rows.map(r => [r.querySelector('dt'), r.querySelector('dd')]"
        ".map(e => e.textContent))"
    )
    return dict((k, v) for k, v in rows)


def complete_booking(
    w: Locator,
    subject: str,
    meeting_type: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    *,
    answers: dict[str, str | list[str]] | None = None,
    phone: str | None = None,
) -> dict[str, str]:
    """The whole flow with defaults; returns the confirmation's links.

    Pass the names of the steps the widget will show (a step with one choice is skipped).
    """
    pick(w, subject)
    if meeting_type:
        pick(w, meeting_type)
    if office:
        pick(w, office)
    if agent:  # only with data-show-agents (examples/host/index.html has it)
        pick(w, agent)
    pick_first_time(w)
    if answers is not None:
        expect_step(w, "questions")
        for label, value in answers.items():
            answer(w, label, value)
        submit(w)
    fill_customer(w, phone=phone)
    book(w)
    return confirmation_links(w)


# ---- the API behind it ----


def edit_organisation(servers: Any, edit: Callable[[str], str]) -> None:
    """Rewrite the organisation file and wait until the server serves the new version."""
    before = httpx.get(f"{servers.api}/healthz", timeout=5).json()["config_version"]
    text = servers.config_path.read_text()
    edited = edit(text)
    assert edited != text, "the edit changed nothing"
    servers.config_path.write_text(edited)

    def health() -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{servers.api}/healthz", timeout=5).json()
        assert found["config_ok"], found
        return found

    eventually(
        health,
        lambda found: found["config_version"] != before,
        what="the reload of the organisation file",
    )


def manage_token(url: str) -> str:
    """The token of a manage link (`.../book?manage=TOKEN`)."""
    return parse_qs(urlsplit(url).query)["manage"][0]


def api_appointment(servers: Any, token: str) -> dict[str, Any]:
    """The appointment behind a manage token, straight from the API."""
    response = httpx.get(f"{servers.api}/api/v1/appointments/{token}", timeout=10)
    response.raise_for_status()
    data = response.json()
    appointment: dict[str, Any] = data.get("appointment", data)
    return appointment


def focused(w: Locator) -> dict[str, Any]:
    active = shadow_active(w)
    assert active is not None, "focus is not inside the widget"
    return active


def tab_to(
    page: Page, w: Locator, name: str | re.Pattern[str], *, back: bool = False
) -> dict[str, Any]:
    """Press Tab (Shift+Tab with back) until the widget's focused control is `name`."""
    wanted = re.compile(re.escape(name)) if isinstance(name, str) else name
    seen = []
    for _ in range(60):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        active = shadow_active(w)
        if active:
            label = active["name"] or active["text"]
            seen.append(label[:40])
            if wanted.search(label):
                return active
    raise AssertionError(f"Tab never reached {wanted.pattern!r}; focus went through {seen}")


def shadow_active(w: Locator) -> dict[str, Any] | None:
    """What has focus inside the widget's shadow root: tag, text, role-ish facts, or None."""
    result: dict[str, Any] | None = w.evaluate(
        """el => {
          const a = el.shadowRoot && el.shadowRoot.activeElement;
          if (!a) return null;
          const s = getComputedStyle(a);
          return {
            tag: a.tagName.toLowerCase(), text: a.textContent.trim(), id: a.id,
            name: a.getAttribute('aria-label') || a.getAttribute('name') || '',
            type: a.getAttribute('type') || '',
            outline: s.outlineStyle === 'none' ? 'none' : s.outlineWidth + ' ' + s.outlineStyle,
            boxShadow: s.boxShadow,
          };
        }"""
    )
    return result


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def mint_invite(servers: Any, *args: str) -> str:
    """An invite link from the CLI, as an agent makes one:
    `mint_invite(servers, "--agent", "emma", "--subject", "savings", "--single-use")`."""
    env = {
        **os.environ,
        "RENDEZVOUS_CONFIG": str(servers.config_path),
        "RENDEZVOUS_DATABASE": str(servers.database),
        "RENDEZVOUS_SECRET_KEY": "browser-test-secret",  # what conftest gives the server
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "rendezvous"), "invite", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()
