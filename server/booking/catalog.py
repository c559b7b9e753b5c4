"""What customers can book, as the catalog answers list it (SPEC 5).

GET /api/v1/subjects, /meeting-types, /offices and /agents each become a `Listing`: the
normalised query (for the answer's ETag) and how to build the answer, so a revalidation
that matches builds nothing. Everything is read from the snapshot, whose `servers`,
`combinations` and `served_by` say who can serve what (built once per version).

- Only combinations some agent can serve appear (`Snapshot.combinations`); a subject
  hidden from customers appears only through an invite (`opened`).
- `subjects`, `meeting-types` and `offices` also take `agent=` (an extension of SPEC
  5): only what that agent can serve, so an invite or a chosen agent leads only where
  they work.
- All four take `invite=TOKEN` (an extension of SPEC 5), read as the slot search reads
  it (`invites.scope`): the answer is what the invite allows, and its subject counts
  even when hidden. A used single-use invite is not refused here (a read would need
  the write connection); the booking refuses it with INVITE_USED.
- Agents whose own calendar cannot be read (SPEC 12, CALENDAR_UNAVAILABLE) serve
  nothing: what only they serve is left out, and an answer left empty by that alone
  says so (`"reason": "CALENDAR_UNAVAILABLE"`, the widget's `rendezvous:misconfigured`
  code; see `why_empty`). The set is what the calendars' task last read
  (`Runtime.calendar_unavailable`, every few seconds); it is part of the ETag.
- Without `lang`, the language comes from `Accept-Language`, else the organisation's
  first language. Ids in filters may be written `ext:` + an external id.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import availability
from availability.conditions import office_failure
from server import config, schemas
from server.booking import invites
from server.booking.slots import resolve
from server.errors import ValidationFailed
from server.runtime import Runtime
from server.snapshot import Combination, Snapshot
from server.vocabulary import MEETING_TYPES, MeetingType

#: Names of the meeting types, for the widget's languages (SPEC 7: at least en, nl, fr, de).
MEETING_TYPE_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "OFFICE": {
        "en": "At an office",
        "nl": "Op kantoor",
        "fr": "En agence",
        "de": "In einer Filiale",
    },
    "VIDEO": {"en": "Video call", "nl": "Videogesprek", "fr": "Appel vidéo", "de": "Videoanruf"},
    "PHONE": {
        "en": "Phone call",
        "nl": "Telefoongesprek",
        "fr": "Appel téléphonique",
        "de": "Telefonanruf",
    },
    "ON_LOCATION": {
        "en": "At your address",
        "nl": "Op uw adres",
        "fr": "À votre adresse",
        "de": "Bei Ihnen vor Ort",
    },
}

EARTH_RADIUS_KM: Final = 6371.0088


@dataclass(frozen=True, slots=True)
class Listing:
    """A catalog answer to be: its normalised query (the ETag's key) and its builder."""

    version: str
    key: tuple[Any, ...]
    build: Callable[[], schemas.Out]


async def _scoped(
    runtime: Runtime, snapshot: Snapshot, token: str | None, wanted: invites.Wanted
) -> tuple[invites.Wanted, str | None, invites.Scope | None]:
    """The filters after the invite, the subject it opens, and its scope for the key."""
    if token is None:
        return wanted, None, None
    fixed, scope = await invites.scope(
        snapshot, runtime.tokens, runtime.store, token, wanted, runtime.now()
    )
    return fixed, fixed.subject, scope


async def list_subjects(
    runtime: Runtime, query: schemas.SubjectsQuery, accept_language: str | None
) -> Listing:
    snapshot = runtime.snapshot
    asked = invites.Wanted(
        meeting_type=query.meeting_type,
        office=resolve(snapshot, "office", query.office),
        agent=resolve(snapshot, "agent", query.agent),
    )
    w, opened, scope = await _scoped(runtime, snapshot, query.invite, asked)
    out = unavailable_agents(runtime, snapshot)
    lang = snapshot.language(query.lang, accept_language)
    return Listing(
        snapshot.version,
        ("subjects", lang, w.office, w.meeting_type, w.agent, w.subject, opened, scope, out),
        lambda: subjects(
            snapshot,
            lang,
            office=w.office,
            meeting_type=w.meeting_type,
            agent=w.agent,
            subject=w.subject,
            opened=opened,
            unavailable=out,
        ),
    )


async def list_meeting_types(
    runtime: Runtime, query: schemas.MeetingTypesQuery, accept_language: str | None
) -> Listing:
    snapshot = runtime.snapshot
    asked = invites.Wanted(
        subject=resolve(snapshot, "subject", query.subject),
        office=resolve(snapshot, "office", query.office),
        agent=resolve(snapshot, "agent", query.agent),
    )
    w, opened, scope = await _scoped(runtime, snapshot, query.invite, asked)
    out = unavailable_agents(runtime, snapshot)
    # Meeting type names ship in more languages than an organisation may list.
    lang = snapshot.language(query.lang, accept_language, MEETING_TYPE_LANGUAGES)
    return Listing(
        snapshot.version,
        ("meeting-types", lang, w.subject, w.office, w.agent, w.meeting_type, opened, scope, out),
        lambda: meeting_types(
            snapshot,
            lang,
            subject=w.subject,
            office=w.office,
            agent=w.agent,
            meeting_type=w.meeting_type,
            opened=opened,
            unavailable=out,
        ),
    )


async def list_offices(
    runtime: Runtime, query: schemas.OfficesQuery, accept_language: str | None
) -> Listing:
    snapshot = runtime.snapshot
    asked = invites.Wanted(
        subject=resolve(snapshot, "subject", query.subject),
        meeting_type=query.meeting_type,
        agent=resolve(snapshot, "agent", query.agent),
    )
    w, opened, scope = await _scoped(runtime, snapshot, query.invite, asked)
    out = unavailable_agents(runtime, snapshot)
    near = parse_near(query.near)
    lang = snapshot.language(query.lang, accept_language)
    return Listing(
        snapshot.version,
        ("offices", lang, w.subject, w.meeting_type, near, w.agent, w.office, opened, scope, out),
        lambda: offices(
            snapshot,
            lang,
            subject=w.subject,
            meeting_type=w.meeting_type,
            near=near,
            agent=w.agent,
            office=w.office,
            opened=opened,
            unavailable=out,
        ),
    )


async def list_agents(
    runtime: Runtime, query: schemas.AgentsQuery, accept_language: str | None
) -> Listing:
    snapshot = runtime.snapshot
    asked = invites.Wanted(
        subject=resolve(snapshot, "subject", query.subject),
        meeting_type=query.meeting_type,
        office=resolve(snapshot, "office", query.office),
    )
    w, opened, scope = await _scoped(runtime, snapshot, query.invite, asked)
    out = unavailable_agents(runtime, snapshot)
    lang = snapshot.language(query.lang, accept_language)
    return Listing(
        snapshot.version,
        ("agents", lang, w.subject, w.meeting_type, w.office, w.agent, opened, scope, out),
        lambda: agents(
            snapshot,
            lang,
            subject=w.subject,
            meeting_type=w.meeting_type,
            office=w.office,
            agent=w.agent,
            opened=opened,
            unavailable=out,
        ),
    )


def organisation(
    runtime: Runtime, query: schemas.OrganisationQuery, accept_language: str | None
) -> Listing:
    """The organisation's name in the asked language, the languages its texts are in
    (the widget offers only those, falling back to the first), its default time zone,
    and the country a customer's address defaults to (`Snapshot.country`)."""
    snapshot = runtime.snapshot
    lang = snapshot.language(query.lang, accept_language)
    return Listing(
        snapshot.version,
        ("organisation", lang),
        lambda: schemas.OrganisationResponse(
            name=snapshot.text(snapshot.settings.name, lang),
            languages=list(snapshot.languages),
            timezone=snapshot.timezone,
            country=snapshot.country,
        ),
    )


def unavailable_agents(runtime: Runtime, snapshot: Snapshot) -> frozenset[str]:
    """Agents whose own calendar cannot be read (SPEC 12), as the calendars' task last
    saw them (`Runtime.calendar_unavailable`); only those of this organisation version."""
    found = runtime.calendar_unavailable
    return frozenset(agent for agent in found if agent in snapshot.calendars) if found else found


def parse_near(value: str | None) -> tuple[float, float] | None:
    """`near=LAT,LON` (its pattern was checked when the query was decoded)."""
    if value is None:
        return None
    lat_text, _, lon_text = value.partition(",")
    lat, lon = float(lat_text), float(lon_text)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed.at(
            "$.query.near", "Expected LAT,LON with -90 <= LAT <= 90 and -180 <= LON <= 180."
        )
    return (lat, lon)


# -- the answers ----------------------------------------------------------------------


def _matching(
    snapshot: Snapshot,
    subject: str | None = None,
    meeting_type: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    opened: str | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> list[Combination]:
    """The bookable combinations matching the filters; with `agent`, only those that
    agent can serve (assigned there, with the expertise, active, online, with hours);
    with `opened`, that subject counts even when hidden from customers (an invite).
    Agents in `unavailable` (their own calendar cannot be read, SPEC 12) serve nothing."""
    if agent is not None and agent in unavailable:
        return []
    served = None if agent is None else snapshot.served_by.get(agent, frozenset())
    return [
        combination
        for combination in snapshot.bookable(opened)
        if (subject is None or combination[0] == subject)
        and (meeting_type is None or combination[1] == meeting_type)
        and (office is None or combination[2] == office)
        and (
            served is None
            or combination in served
            # `served_by` holds what customers can book; an opened subject's are extra.
            or (combination[0] == opened and agent in snapshot.pool(*combination))
        )
        and (not unavailable or any(who not in unavailable for who in snapshot.pool(*combination)))
    ]


def _in_type_order(meeting_types: Iterable[str]) -> list[MeetingType]:
    present = set(meeting_types)
    return [m for m in MEETING_TYPES if m in present]


# -- the listings ---------------------------------------------------------------------


def subjects(
    snapshot: Snapshot,
    lang: str,
    *,
    office: str | None = None,
    meeting_type: str | None = None,
    agent: str | None = None,
    subject: str | None = None,
    opened: str | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> schemas.SubjectsResponse:
    """Categories in `order`, each with its subjects that can really be booked (`subject`:
    only that one, as an invite that names it allows; `opened`: see `_matching`)."""
    by_subject: dict[str, set[str]] = {}
    for subject_id, type_, _ in _matching(
        snapshot, subject, meeting_type, office, agent, opened, unavailable
    ):
        by_subject.setdefault(subject_id, set()).add(type_)
    categories = []
    for category in snapshot.categories:
        listed = [
            _subject_out(snapshot, subject, lang, _in_type_order(by_subject[subject.id]))
            for subject in snapshot.subjects.values()
            if subject.category == category.id and subject.id in by_subject
        ]
        if listed:
            categories.append(
                schemas.CategoryOut(
                    id=category.id,
                    name=snapshot.text(category.name, lang),
                    order=category.order,
                    image=category.image,
                    subjects=listed,
                )
            )
    reason = None
    if not categories:
        reason = why_empty(
            snapshot,
            subject=subject,
            meeting_type=meeting_type,
            office=office,
            agent=agent,
            opened=opened,
            unavailable=unavailable,
        )
    return schemas.SubjectsResponse(categories=categories, reason=reason)


def _subject_out(
    snapshot: Snapshot, subject: config.Subject, lang: str, meeting_types: list[MeetingType]
) -> schemas.SubjectOut:
    return schemas.SubjectOut(
        id=subject.id,
        external_id=subject.external_id,
        name=snapshot.text(subject.name, lang),
        description=None
        if subject.description is None
        else snapshot.text(subject.description, lang),
        meeting_types=meeting_types,
        questions=[_question_out(snapshot, question, lang) for question in subject.questions],
    )


def _question_out(snapshot: Snapshot, question: config.Question, lang: str) -> schemas.Question:
    return schemas.Question(
        id=question.id,
        type=question.type,
        required=question.required,
        label=snapshot.text(question.label, lang),
        options=[
            schemas.QuestionOption(id=option.id, label=snapshot.text(option.label, lang))
            for option in question.options or ()
        ],
        min=question.min,
        max=question.max,
        max_length=question.max_length,
    )


#: Languages every meeting type has a shipped name in.
MEETING_TYPE_LANGUAGES: Final = frozenset.intersection(
    *(frozenset(names) for names in MEETING_TYPE_NAMES.values())
)


def meeting_type_name(meeting_type: str, lang: str, fallback_lang: str) -> str:
    names = MEETING_TYPE_NAMES[meeting_type]
    return names.get(lang) or names.get(fallback_lang) or names["en"]


def meeting_types(
    snapshot: Snapshot,
    lang: str,
    *,
    subject: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    meeting_type: str | None = None,
    opened: str | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> schemas.MeetingTypesResponse:
    """The meeting types bookable for the filters, in MEETING_TYPES order (`meeting_type`:
    only that one, as an invite that names it allows)."""
    present = _in_type_order(
        m
        for _, m, _ in _matching(
            snapshot, subject, meeting_type, office, agent, opened, unavailable
        )
    )
    return schemas.MeetingTypesResponse(
        meeting_types=[
            schemas.MeetingTypeOut(
                id=m,
                name=meeting_type_name(m, lang, snapshot.languages[0]),
            )
            for m in present
        ],
        reason=None
        if present
        else why_empty(
            snapshot,
            subject=subject,
            meeting_type=meeting_type,
            office=office,
            agent=agent,
            opened=opened,
            unavailable=unavailable,
        ),
    )


def offices(
    snapshot: Snapshot,
    lang: str,
    *,
    subject: str | None = None,
    meeting_type: str | None = None,
    near: tuple[float, float] | None = None,
    agent: str | None = None,
    office: str | None = None,
    opened: str | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> schemas.OfficesResponse:
    """Active offices where something matching the filters can be booked (with `agent`:
    by that agent; with `office`: only that one, as an invite that names it allows).

    Sorted by name; with `near`, by distance (offices without `geo` last, by name).
    """
    ids = {
        o
        for _, _, o in _matching(
            snapshot, subject, meeting_type, office, agent, opened, unavailable
        )
    }
    listed = [
        _office_out(snapshot, office, lang, near)
        for office in snapshot.offices.values()
        if office.id in ids
    ]
    if near is None:
        listed.sort(key=lambda o: (o.name.casefold(), o.id))
    else:
        listed.sort(
            key=lambda o: (
                o.distance_km is None,
                o.distance_km or 0.0,
                o.name.casefold(),
                o.id,
            )
        )
    reason = None
    if not listed:
        reason = why_empty(
            snapshot,
            subject=subject,
            meeting_type=meeting_type,
            office=office,
            agent=agent,
            opened=opened,
            unavailable=unavailable,
        )
    return schemas.OfficesResponse(offices=listed, reason=reason)


def _office_out(
    snapshot: Snapshot, office: config.Office, lang: str, near: tuple[float, float] | None
) -> schemas.OfficeOut:
    geo = None if office.geo is None else schemas.Geo(lat=office.geo.lat, lon=office.geo.lon)
    distance = None
    if near is not None and geo is not None:
        distance = round(haversine_km(near, (geo.lat, geo.lon)), 1)
    address = office.address
    return schemas.OfficeOut(
        id=office.id,
        external_id=office.external_id,
        name=snapshot.text(office.name, lang),
        description=None if office.description is None else snapshot.text(office.description, lang),
        address=schemas.Address(
            street=address.street,
            postal_code=address.postal_code,
            city=address.city,
            country=address.country,
        ),
        geo=geo,
        distance_km=distance,
        timezone=office.timezone,
    )


def agents(
    snapshot: Snapshot,
    lang: str,
    *,
    subject: str | None = None,
    meeting_type: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    opened: str | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> schemas.AgentsResponse:
    """Agents a customer may pick for the filters, by name (with `agent`: that one
    only, as an invite fixes it). Never their e-mail."""
    ids: set[str] = set()
    for combination in _matching(
        snapshot, subject, meeting_type, office, agent, opened, unavailable
    ):
        ids.update(snapshot.servers.get(combination, ()))
    if agent is not None:
        ids &= {agent}
    ids -= unavailable
    listed = [
        schemas.AgentOut(
            id=agent.id,
            external_id=agent.external_id,
            name=agent.name,
            function=None if agent.function is None else snapshot.text(agent.function, lang),
            languages=list(agent.languages),
        )
        for agent in snapshot.agents.values()
        if agent.id in ids
    ]
    listed.sort(key=lambda a: (a.name.casefold(), a.id))
    return schemas.AgentsResponse(agents=listed)


#: An empty listing's reason when the organisation file has no subjects or no offices.
NO_SUBJECTS: Final = "NO_SUBJECTS"
NO_OFFICES: Final = "NO_OFFICES"


def why_empty(
    snapshot: Snapshot,
    *,
    subject: str | None = None,
    meeting_type: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    opened: str | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> str:
    """Why nothing matches the filters, as the reason code nearest to bookable
    (`availability.closest`) among the combinations they allow: for the widget's
    `rendezvous:misconfigured` and the operator (`rendezvous doctor` says it in words).

    CALENDAR_UNAVAILABLE (SPEC 12) when something would match but for the agents in
    `unavailable`, whose own calendar cannot be read. Else, without an agent the reasons
    come from the snapshot (`Snapshot.failures`); with one, from
    `availability.why_not_served` for that agent. Only asked for an empty answer."""
    if unavailable and _matching(snapshot, subject, meeting_type, office, agent, opened):
        return availability.CALENDAR_UNAVAILABLE
    engine = snapshot.engine_for(opened)
    subjects = [subject] if subject is not None else list(engine.subjects)
    offices = [office] if office is not None else list(engine.offices)
    if not subjects:
        return NO_SUBJECTS
    if not offices:
        return NO_OFFICES
    kinds = [meeting_type] if meeting_type is not None else list(MEETING_TYPES)
    codes: list[str] = []
    for subject_id in subjects:
        found = engine.subjects[subject_id]
        if not found.available_for_customers:
            codes.append(availability.SUBJECT_NOT_AVAILABLE)
            continue
        for kind in kinds:
            if kind not in found.meeting_types:
                codes.append(availability.MEETING_TYPE_NOT_ENABLED)
                continue
            for office_id in offices:
                place = engine.offices[office_id]
                code = (
                    availability.why_not_served(engine, agent, office_id, subject_id, kind)
                    if agent is not None
                    else snapshot.failures.get((subject_id, kind, office_id))
                    or office_failure(place, subject_id, kind)
                )
                if code is not None:
                    codes.append(code)
    return availability.closest(codes) or availability.NO_AGENT_ASSIGNED


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
