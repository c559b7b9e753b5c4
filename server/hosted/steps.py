"""The booking steps of /book, without JavaScript: each GET shows the first step that
still needs a choice; the time is held by a POST, and the booking made by another.

subject → meeting type → office (for OFFICE and ON_LOCATION; for ON_LOCATION the
office the advisor comes from) → time (POST: a hold) → questions and details, the
address for ON_LOCATION (POST: the booking) → the confirmation, which is the manage
page of the new appointment (303 to `/book?manage=...`).

Decisions:

- A step with one choice is skipped, as in the widget; a preselection (`?subject=`)
  that cannot be booked shows the full list with a short notice.
- The address of an ON_LOCATION meeting is asked on the last form, with the
  customer's details, not before the office: it is customer data, and it travels only
  in the body of a POST, never in a link.
- The questions and the details share one form (two fieldsets): one round trip less
  without JavaScript.
- There is no agent step: a customer picks an agent in the widget (`show_agents`); a
  link may still name one (`?agent=`), and an invite fixes its agent.
- Times are shown in `?timezone=` (a select lists the organisation's zones), else the
  office's zone, else the organisation's.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from server import schemas, vocabulary
from server.booking import appointments, catalog, claims, holds, invites, slots
from server.booking.requests import parse_start, request_hash
from server.errors import (
    ChallengeFailed,
    ChallengeRequired,
    ExpiredToken,
    HoldExpired,
    InvalidToken,
    InviteUsed,
    NoAvailability,
    NotFound,
    RendezvousError,
    ValidationFailed,
)
from server.hosted import details, times
from server.hosted.guard import check_form, form_token
from server.hosted.pages import Frame, Notice, Page, Redirect
from server.hosted.state import State
from server.runtime import Runtime
from server.snapshot import Snapshot


class _Choices:
    """The link's choices checked against the organisation: what an invite fixes, which
    agent the catalog is narrowed to, and the hidden subject an invite opens."""

    def __init__(self, frame: Frame, runtime: Runtime) -> None:
        self.frame = frame
        self.runtime = runtime
        self.snapshot: Snapshot = frame.snapshot
        self.agent: str | None = None
        self.opened: str | None = None
        self.invited: invites.Invite | None = None

    @property
    def state(self) -> State:
        return self.frame.state

    def choose(self, **changes: object) -> State:
        self.frame.state = self.frame.state.but(**changes)
        return self.frame.state

    async def read(self) -> None:
        await self._read_invite()
        self._resolve()

    async def _read_invite(self) -> None:
        """Apply the invite of the link, or drop it with a notice (as the widget does)."""
        token = self.state.invite
        if token is None:
            return
        t = self.frame.t
        try:
            invite = await invites.verify(
                self.runtime.tokens, self.runtime.store, token, self.runtime.now()
            )
            invite.check(self.snapshot)
            if invite.single_use and await self.runtime.store.invite_used(invite.id):
                raise InviteUsed()
        except (InvalidToken, NotFound):
            self.drop_invite(t("inviteInvalid"))
            return
        except ExpiredToken:
            self.drop_invite(t("inviteExpired"))
            return
        except InviteUsed:
            self.drop_invite(t("inviteUsed"))
            return
        self.invited = invite
        self.choose(
            subject=invite.subject or self.state.subject,
            meeting_type=invite.meeting_type or self.state.meeting_type,
            office=invite.office or self.state.office,
            agent=None,
        )

    def drop_invite(self, text: str) -> None:
        self.frame.notices.append(Notice(text, "error"))
        self.forget_invite()

    def forget_invite(self) -> None:
        """Carry on without the invite (and what only it allowed)."""
        self.invited = None
        self.agent = self.opened = None
        self.choose(invite=None)

    def _resolve(self) -> None:
        """Ids (or `ext:` external ids) of the link, as the API resolves them."""
        for kind in ("subject", "office", "agent"):
            value = getattr(self.state, kind)
            if value is not None:
                found = self.snapshot.resolve(kind, value)
                if found is None:
                    self.frame.notices.append(Notice(self.frame.t("UNKNOWN"), "error"))
                self.choose(**{kind: found})
        self.agent = self.invited.agent if self.invited else self.state.agent
        self.opened = self.state.subject if self.invited else None


async def show(runtime: Runtime, frame: Frame) -> Page:
    """GET /book: the first step that still needs a choice."""
    choices = _Choices(frame, runtime)
    await choices.read()
    return await _next_step(choices)


async def _next_step(choices: _Choices) -> Page:
    frame, snapshot, t = choices.frame, choices.snapshot, choices.frame.t
    state = choices.state
    # Agents whose own calendar cannot be read serve nothing, as in the widget (SPEC 12).
    out = catalog.unavailable_agents(choices.runtime, snapshot)
    listing = catalog.subjects(
        snapshot,
        frame.lang,
        office=state.office,
        meeting_type=state.meeting_type,
        agent=choices.agent,
        subject=choices.invited.subject if choices.invited else None,
        opened=choices.opened,
        unavailable=out,
    )
    categories = listing.categories
    if state.category is not None:
        narrowed = [c for c in categories if c.id == state.category]
        if not narrowed:
            frame.notices.append(Notice(t("UNKNOWN"), "error"))
        categories = narrowed or categories
    subjects = [s for c in categories for s in c.subjects]
    if not subjects:
        why = "CALENDAR_UNAVAILABLE" if listing.reason == "CALENDAR_UNAVAILABLE" else "NO_SUBJECTS"
        return frame.page("message.html", t("unavailable"), text=t(why))
    chosen = next((s for s in subjects if s.id == state.subject), None)
    if state.subject is not None and chosen is None:
        frame.notices.append(Notice(t("UNKNOWN"), "error"))
    if chosen is None and len(subjects) == 1:
        chosen = subjects[0]
    if chosen is None:
        groups = [(c.name, [(s.id, s.name, s.description) for s in c.subjects]) for c in categories]
        return _choose(frame, "subject", groups, back=None)
    state = choices.choose(subject=chosen.id)
    if choices.invited is not None:
        choices.opened = chosen.id

    kinds = catalog.meeting_types(
        snapshot,
        frame.lang,
        subject=chosen.id,
        office=state.office if choices.invited and choices.invited.office else None,
        agent=choices.agent,
        opened=choices.opened,
        unavailable=out,
    ).meeting_types
    kind = next((m for m in kinds if m.id == state.meeting_type), None)
    if state.meeting_type is not None and kind is None:
        frame.notices.append(Notice(t("UNKNOWN"), "error"))
    if kind is None and len(kinds) == 1:
        kind = kinds[0]
    if kind is None:
        return _choose(
            frame,
            "meeting_type",
            [(None, [(m.id, m.name, t(m.id)) for m in kinds])],
            back=_back(frame, subject=None, meeting_type=None, office=None),
            summary=_summary(choices, chosen.name),
        )
    state = choices.choose(meeting_type=kind.id)

    office = None
    if kind.id in vocabulary.NEEDS_OFFICE or state.office is not None:
        offices = catalog.offices(
            snapshot,
            frame.lang,
            subject=chosen.id,
            meeting_type=kind.id,
            agent=choices.agent,
            office=choices.invited.office if choices.invited else None,
            opened=choices.opened,
            unavailable=out,
        ).offices
        office = next((o for o in offices if o.id == state.office), None)
        if kind.id in vocabulary.NEEDS_OFFICE:
            if state.office is not None and office is None:
                frame.notices.append(Notice(t("UNKNOWN"), "error"))
            if office is None and len(offices) == 1:
                office = offices[0]
            if office is None:
                return _choose(
                    frame,
                    "office",
                    [(None, [(o.id, o.name, _address(o.address)) for o in offices])],
                    back=_back(frame, meeting_type=None, office=None),
                    summary=_summary(choices, chosen.name, kind.name),
                    note=t("officeFrom") if kind.id == "ON_LOCATION" else None,
                )
    choices.choose(office=office.id if office else None)
    summary = _summary(choices, chosen.name, kind.name, office.name if office else None)
    return await _time_step(choices, summary)


def _choose(
    frame: Frame,
    name: str,
    groups: Sequence[tuple[str | None, list[tuple[str, str, str | None]]]],
    *,
    back: str | None,
    summary: list[tuple[str, str]] | None = None,
    note: str | None = None,
    error: str | None = None,
) -> Page:
    step = {"subject": "subject", "meeting_type": "meeting-type", "office": "office"}[name]
    if error is None and frame.asked == name:
        error = frame.t("chooseOne")
    hidden = [(k, v) for k, v in frame.state.items() if k not in (name, "week")]
    return frame.page(
        "choose.html",
        frame.t(step),
        status=422 if error else 200,
        name=name,
        groups=groups,
        hidden=hidden,
        back=back,
        summary=summary or [],
        note=note,
        error=error,
    )


def _back(frame: Frame, **cleared: None) -> str:
    return frame.state.but(week=None, **cleared).url()


def _address(address: schemas.Address) -> str:
    town = f"{address.postal_code} {address.city}".strip()
    return ", ".join(part for part in (address.street, town) if part)


def _summary(
    choices: _Choices,
    subject: str,
    meeting: str | None = None,
    place: str | None = None,
    when: str | None = None,
) -> list[tuple[str, str]]:
    t = choices.frame.t
    rows = [(t("what"), subject)]
    if meeting:
        rows.append((t("how"), meeting))
    if place:
        rows.append((t("where"), place))
    if choices.invited is not None:
        agent = choices.snapshot.agents.get(choices.invited.agent)
        if agent is not None:
            function = (
                None
                if agent.function is None
                else choices.snapshot.text(agent.function, choices.frame.lang)
            )
            rows.append((t("with"), ", ".join(filter(None, (agent.name, function)))))
    if when:
        rows.append((t("when"), when))
    return rows


async def _time_step(
    choices: _Choices,
    summary: list[tuple[str, str]],
    notice: Notice | None = None,
    status: int = 200,
) -> Page:
    frame, runtime, state = choices.frame, choices.runtime, choices.state
    snapshot = choices.snapshot
    zone = state.timezone or (
        snapshot.offices[state.office].timezone if state.office else snapshot.timezone
    )

    async def search(first_day: date, last_day: date) -> slots.Found:
        query = schemas.SlotsQuery(
            first_day=first_day,
            last_day=last_day,
            subject=state.subject,
            meeting_type=state.meeting_type,  # type: ignore[arg-type]
            office=state.office,
            agent=None if choices.invited else state.agent,
            invite=state.invite,
            tz=zone,
        )
        return await slots.search(runtime, query)

    today = runtime.now().astimezone(vocabulary.time_zone(zone)).date()
    table = await times.timetable(search, state.week, today, frame.t)
    if notice is not None:
        frame.notices.append(notice)
    frame.state = state.but(week=table.first_day)
    return frame.page(
        "times.html",
        frame.t("timetable"),
        status=status,
        table=table,
        zones=times.zones(snapshot, table.zone),
        hidden=[(k, v) for k, v in frame.state.items() if k != "timezone"],
        week_hidden=[(k, v) for k, v in frame.state.items() if k not in ("week", "timezone")],
        form=form_token(runtime.tokens, "hold", "", runtime.now()),
        action="hold",
        back=_back(frame, office=None)
        if state.meeting_type in vocabulary.NEEDS_OFFICE
        else _back(frame, meeting_type=None),
        summary=summary,
        previous=None if table.previous is None else frame.state.but(week=table.previous).url(),
        next=frame.state.but(week=table.next).url(),
    )


# -- the hold: POST /book with action=hold ----------------------------------------------


async def hold(runtime: Runtime, frame: Frame, form: Mapping[str, Sequence[str]]) -> Page:
    """Hold the chosen time, then show the last form (questions and details)."""
    check_form(runtime.tokens, _one(form, "form"), "hold", "", runtime.now())
    choices = _Choices(frame, runtime)
    await choices.read()
    chosen = times.parse_slot(_one(form, "slot"))
    state = choices.state
    if chosen is None or state.subject is None or state.meeting_type is None:
        return await _back_to_times(choices, Notice(frame.t("chooseOne"), "error"), 422)
    start, duration = chosen
    body = {
        "subject": state.subject,
        "meeting_type": state.meeting_type,
        "start": start,
        "duration": duration,
        "office": state.office,
        "agent": None if choices.invited else state.agent,
        "invite": state.invite,
    }
    try:
        request = msgspec.convert(body, schemas.HoldRequest)
        held = await holds.place_hold(runtime, request, client=frame.client)
    except NoAvailability:
        return await _back_to_times(choices, Notice(frame.t("taken"), "error"), 409)
    except (ChallengeRequired, ChallengeFailed):
        # Without JavaScript the page cannot do the work (docs/bots.md): it says so.
        return await _back_to_times(choices, Notice(frame.t("challenge"), "error"), 428)
    except (msgspec.ValidationError, RendezvousError):
        return await _back_to_times(choices, Notice(frame.t("error"), "error"), 422)
    hidden = {key: value for key, value in body.items() if value is not None}
    hidden["hold"] = held.hold
    hidden["key"] = secrets.token_urlsafe(16)
    expires = datetime.fromisoformat(held.expires_at)
    return _details_page(choices, hidden, {}, [], expires)


def _details_page(
    choices: _Choices,
    hidden: dict[str, Any],
    form: Mapping[str, Sequence[str]],
    problems: Sequence[Any],
    expires: datetime | None,
) -> Page:
    frame, snapshot = choices.frame, choices.snapshot
    state = choices.state
    t = frame.t
    assert state.subject is not None and state.meeting_type is not None
    office = snapshot.offices.get(state.office or "")
    country = office.address.country if office else ""
    sections = details.fields(
        snapshot,
        t,
        subject=state.subject,
        meeting_type=state.meeting_type,
        lang=frame.lang,
        country=country,
        form=form,
    )
    errors = details.show(sections, problems)
    zone = vocabulary.time_zone(state.timezone or _zone_of(snapshot, state))
    when = None
    with contextlib.suppress(ValidationFailed):  # a start that was tampered with
        start = parse_start(str(hidden.get("start", ""))).astimezone(zone)
        when = f"{t.date(start.date())}, {start:%H:%M} ({t('minutes', n=hidden.get('duration'))})"
    subject = snapshot.text(snapshot.subjects[state.subject].name, frame.lang)
    meeting = catalog.meeting_type_name(state.meeting_type, frame.lang, snapshot.default_language)
    place = snapshot.text(office.name, frame.lang) if office else None
    now = choices.runtime.now()
    return frame.page(
        "details.html",
        t("customer"),
        status=422 if problems else 200,
        sections=sections,
        errors=errors,
        hidden=[*frame.state.items(), *((k, str(v)) for k, v in hidden.items())],
        form=form_token(choices.runtime.tokens, "book", _digest(str(hidden["hold"])), now),
        summary=_summary(choices, subject, meeting, place, when),
        held=None if expires is None else f"{expires.astimezone(zone):%H:%M}",
        release=[*frame.state.items(), ("hold", str(hidden["hold"]))],
    )


def _zone_of(snapshot: Snapshot, state: State) -> str:
    return snapshot.offices[state.office].timezone if state.office else snapshot.timezone


async def _back_to_times(choices: _Choices, notice: Notice | None, status: int) -> Page:
    """The timetable again (or the step before it), after a time that could not be held
    or booked; the answer to a form carries on without the widget."""
    choices.frame.widget = None
    if notice is not None:
        choices.frame.notices.append(notice)
    page = await _next_step(choices)
    return Page(page.template, page.context, status if page.template == "times.html" else 200)


# -- the booking: POST /book with action=book --------------------------------------------


async def book(
    runtime: Runtime, frame: Frame, form: Mapping[str, Sequence[str]]
) -> Page | Redirect:
    """Book with the held time; the confirmation is the new appointment's manage page."""
    hold_token = _one(form, "hold")
    check_form(runtime.tokens, _one(form, "form"), "book", _digest(hold_token), runtime.now())
    choices = _Choices(frame, runtime)
    invited = frame.state.invite is not None
    await choices.read()
    if invited and choices.invited is None:  # used, expired or gone since the hold
        return await _back_to_times(choices, None, 410)
    state = choices.state
    snapshot = choices.snapshot
    if (
        state.subject is None
        or state.meeting_type is None
        or state.subject not in snapshot.subjects
    ):
        return await _back_to_times(choices, Notice(frame.t("error"), "error"), 422)
    hidden: dict[str, Any] = {
        "subject": state.subject,
        "meeting_type": state.meeting_type,
        "start": _one(form, "start"),
        "duration": _integer(_one(form, "duration")),
        "office": state.office,
        "agent": None if choices.invited else state.agent,
        "invite": state.invite,
        "hold": hold_token,
    }
    hidden = {key: value for key, value in hidden.items() if value not in (None, "")}
    office = snapshot.offices.get(state.office or "")
    sections = details.fields(
        snapshot,
        frame.t,
        subject=state.subject,
        meeting_type=state.meeting_type,
        lang=frame.lang,
        country=office.address.country if office else "",
        form=form,
    )
    body = details.request_body(
        sections, hidden, subject=snapshot.subjects[state.subject], timezone=state.timezone
    )
    key = _one(form, "key") or None
    hidden["key"] = key or ""
    body["website"] = _one(form, "website") or None  # the honeypot (docs/bots.md)
    request, problems = details.validated(snapshot, body)
    if request is None:
        return _details_page(choices, hidden, form, problems, None)
    try:
        row = await appointments.book(
            runtime,
            request,
            idempotency_key=key,
            digest=request_hash(request),
            client=frame.client,
        )
    except ValidationFailed as exc:
        if any(detail.path == "$.hold" for detail in exc.details):
            return await _back_to_times(choices, Notice(frame.t("expired"), "error"), 409)
        return _details_page(choices, hidden, form, exc.details, None)
    except HoldExpired:
        return await _back_to_times(choices, Notice(frame.t("expired"), "error"), 409)
    except NoAvailability:
        return await _back_to_times(choices, Notice(frame.t("taken"), "error"), 409)
    except (ChallengeRequired, ChallengeFailed):
        return await _back_to_times(choices, Notice(frame.t("challenge"), "error"), 428)
    except InviteUsed:
        choices.forget_invite()
        return await _back_to_times(choices, Notice(frame.t("inviteUsed"), "error"), 410)
    token = claims.manage_token(snapshot, runtime.tokens, row)
    return Redirect(f"/book?manage={token}&done=booked&lang={frame.lang}")


async def release(runtime: Runtime, frame: Frame, form: Mapping[str, Sequence[str]]) -> Redirect:
    """Back from the last form to the times: the held time is given back at once (as the
    widget does when the customer goes back), then the timetable shows again."""
    hold_token = _one(form, "hold")
    check_form(runtime.tokens, _one(form, "form"), "book", _digest(hold_token), runtime.now())
    with contextlib.suppress(RendezvousError):  # a hold that is gone is no obstacle
        await holds.release_hold(runtime, hold_token)
    return Redirect(frame.state.url())


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _integer(value: str) -> int | str:
    return int(value) if value.isdigit() and len(value) < 6 else value


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]
