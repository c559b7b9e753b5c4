"""What customers can book, as the catalog answers list it (SPEC 5).

Pure functions over one loaded organisation. `catalog_for(loaded)` builds the
lookups once per organisation version (the file's hash) and keeps them, so a
request only filters and translates:

- `combinations`: the (subject, meeting type, office) triples some agent can serve
  (`config.bookable_combinations`): only these appear in the listings;
- `servers`: per (subject, meeting type, office or None), the agents who can serve
  it, hidden subjects included (an invite may book those): the agents whose busy time
  a slots query must load;
- `served_by`: per agent, the bookable combinations that agent can serve, for the
  listings' `agent` filter (an invite or a chosen agent leads only where they work);
- `bookable(opened)`: the combinations, plus those of a hidden subject an invite opens
  (`invites.open_subject`: the one notion of "opened" for listings, slots and bookings),
  worked out on first use per organisation version and subject.

Ids in query filters may also be written `ext:` + an external id (the embed's
`data-agent="ext:EMP-0042"`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from server import config, schemas
from server.booking import invites

MEETING_TYPES: Final = config.MEETING_TYPES

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
_EXTERNAL_PREFIX: Final = "ext:"
_CACHE_SIZE: Final = 8

Combination = tuple[str, str, str]  # (subject, meeting type, office)


@dataclass(frozen=True, slots=True)
class Catalog:
    """One organisation version, indexed for the catalog and slots answers."""

    loaded: config.LoadedOrganisation
    languages: tuple[str, ...]
    categories: tuple[config.Category, ...]  # in `order`, then id
    subjects: Mapping[str, config.Subject]
    offices: Mapping[str, config.Office]
    agents: Mapping[str, config.Agent]
    combinations: tuple[Combination, ...]
    servers: Mapping[tuple[str, str, str | None], tuple[str, ...]]
    served_by: Mapping[str, frozenset[Combination]]
    external_ids: Mapping[str, Mapping[str, str]]  # kind -> external id -> id
    #: `bookable(subject)` answers, filled on first use.
    _opened: dict[str, tuple[Combination, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def version(self) -> str:
        return self.loaded.version

    @property
    def timezone(self) -> str:
        return self.loaded.organisation.organisation.timezone

    def language(
        self,
        requested: str | None,
        accept_language: str | None = None,
        also: Collection[str] = (),
    ) -> str:
        """`requested` if the organisation speaks it (or it is in `also`: languages the
        answer has text for without the organisation's help), else the best of
        `Accept-Language`, else the organisation's first language. An unknown language
        is not an error."""
        known = (*self.languages, *also)
        for candidate in (requested, *_accepted(accept_language or "")):
            if candidate:
                lang = candidate.strip().lower()
                if lang in known:
                    return lang
                primary = lang.split("-", 1)[0]
                if primary in known:
                    return primary
        return self.languages[0]

    def resolve(self, kind: str, value: str) -> str | None:
        """The id of the subject, office or agent `value` (an id or `ext:` + external id)."""
        known: Mapping[str, object] = getattr(self, kind + "s")
        if value in known:
            return value
        if value.startswith(_EXTERNAL_PREFIX):
            return self.external_ids[kind].get(value[len(_EXTERNAL_PREFIX) :])
        return None

    def pool(self, subject: str, meeting_type: str, office: str | None) -> tuple[str, ...]:
        """The agents who can serve `subject` by `meeting_type` at `office` (None: any)."""
        return self.servers.get((subject, meeting_type, office), ())

    def text(self, value: config.Text | config.LongText, lang: str) -> str:
        return config.text(value, lang, self.languages[0])

    def bookable(self, opened: str | None = None) -> tuple[Combination, ...]:
        """The bookable combinations; with `opened` (the subject of a request that carries
        an invite), also that subject's when it is hidden from customers, exactly as
        `invites.open_subject` opens it for slots and bookings."""
        if opened is None:
            return self.combinations
        found = self._opened.get(opened)
        if found is None:
            engine = self.loaded.engine
            opened_engine = invites.open_subject(engine, opened)
            found = self.combinations
            if opened_engine is not engine:  # hidden: only an invite books it
                found += tuple(
                    combination
                    for combination in config.bookable_combinations(opened_engine)
                    if combination[0] == opened
                )
            self._opened[opened] = found
        return found


def catalog_for(loaded: config.LoadedOrganisation) -> Catalog:
    """The catalog of `loaded`, built once per organisation version."""
    found = _CATALOGS.get(loaded.version)
    if found is None or found.loaded is not loaded:
        found = build(loaded)
        if len(_CATALOGS) >= _CACHE_SIZE:
            _CATALOGS.pop(next(iter(_CATALOGS)))
        _CATALOGS[loaded.version] = found
    return found


_CATALOGS: dict[str, Catalog] = {}


def build(loaded: config.LoadedOrganisation) -> Catalog:
    org = loaded.organisation
    agents = {agent.id: agent for agent in org.agents}
    subjects = {subject.id: subject for subject in org.subjects}
    servers: dict[tuple[str, str, str | None], list[str]] = {}
    for office in org.offices:
        if not office.active:
            continue
        for subject_id, assignment in office.subjects.items():
            subject = subjects.get(subject_id)
            if subject is None:
                continue
            for meeting_type in MEETING_TYPES:
                if (
                    meeting_type not in subject.meeting_types
                    or meeting_type not in assignment.meeting_types
                ):
                    continue
                able = [
                    agent_id
                    for agent_id in assignment.agents
                    if agent_id in agents
                    and serves(agents[agent_id], office.id, subject_id, meeting_type)
                ]
                if not able:
                    continue
                servers[(subject_id, meeting_type, office.id)] = able
                anywhere = servers.setdefault((subject_id, meeting_type, None), [])
                anywhere.extend(a for a in able if a not in anywhere)
    combinations = tuple(config.bookable_combinations(loaded.engine))
    served_by: dict[str, set[Combination]] = {}
    for combination in combinations:
        for agent_id in servers.get(combination, ()):
            served_by.setdefault(agent_id, set()).add(combination)
    return Catalog(
        loaded=loaded,
        languages=tuple(org.organisation.languages),
        categories=tuple(sorted(org.categories, key=lambda c: (c.order, c.id))),
        subjects=subjects,
        offices={office.id: office for office in org.offices},
        agents=agents,
        combinations=combinations,
        servers={key: tuple(sorted(ids)) for key, ids in servers.items()},
        served_by={agent_id: frozenset(found) for agent_id, found in served_by.items()},
        external_ids={
            kind: {item.external_id: item.id for item in items if item.external_id}
            for kind, items in (
                ("subject", org.subjects),
                ("office", org.offices),
                ("agent", org.agents),
            )
        },
    )


def serves(agent: config.Agent, office: str, subject: str, meeting_type: str) -> bool:
    """Active, planning online, with the expertise, and with some block (week or day
    template) at `office` that allows `subject` by `meeting_type`."""
    if not (agent.active and agent.online_planning and subject in agent.expertise):
        return False
    blocks = [block for day in _WEEKDAYS for block in getattr(agent.week, day)]
    blocks += [block for day in agent.days for block in day.blocks or ()]
    return any(
        block.office == office
        and (block.subjects is None or subject in block.subjects)
        and (block.meeting_types is None or meeting_type in block.meeting_types)
        for block in blocks
    )


_WEEKDAYS: Final = config.WEEKDAYS


def _matching(
    catalog: Catalog,
    subject: str | None = None,
    meeting_type: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    opened: str | None = None,
) -> list[Combination]:
    """The bookable combinations matching the filters; with `agent`, only those that
    agent can serve (assigned there, with the expertise, active, online, with hours);
    with `opened`, that subject counts even when hidden from customers (an invite)."""
    served = None if agent is None else catalog.served_by.get(agent, frozenset())
    return [
        combination
        for combination in catalog.bookable(opened)
        if (subject is None or combination[0] == subject)
        and (meeting_type is None or combination[1] == meeting_type)
        and (office is None or combination[2] == office)
        and (
            served is None
            or combination in served
            # `served_by` holds what customers can book; an opened subject's are extra.
            or (combination[0] == opened and agent in catalog.pool(*combination))
        )
    ]


def _in_type_order(meeting_types: Iterable[str]) -> list[str]:
    present = set(meeting_types)
    return [m for m in MEETING_TYPES if m in present]


# -- the listings ---------------------------------------------------------------------


def subjects(
    catalog: Catalog,
    lang: str,
    *,
    office: str | None = None,
    meeting_type: str | None = None,
    agent: str | None = None,
    subject: str | None = None,
    opened: str | None = None,
) -> schemas.SubjectsResponse:
    """Categories in `order`, each with its subjects that can really be booked (`subject`:
    only that one, as an invite that names it allows; `opened`: see `_matching`)."""
    by_subject: dict[str, set[str]] = {}
    for subject_id, type_, _ in _matching(catalog, subject, meeting_type, office, agent, opened):
        by_subject.setdefault(subject_id, set()).add(type_)
    categories = []
    for category in catalog.categories:
        listed = [
            _subject_out(catalog, subject, lang, _in_type_order(by_subject[subject.id]))
            for subject in catalog.subjects.values()
            if subject.category == category.id and subject.id in by_subject
        ]
        if listed:
            categories.append(
                schemas.CategoryOut(
                    id=category.id,
                    name=catalog.text(category.name, lang),
                    order=category.order,
                    image=category.image,
                    subjects=listed,
                )
            )
    return schemas.SubjectsResponse(categories=categories)


def _subject_out(
    catalog: Catalog, subject: config.Subject, lang: str, meeting_types: list[str]
) -> schemas.SubjectOut:
    return schemas.SubjectOut(
        id=subject.id,
        external_id=subject.external_id,
        name=catalog.text(subject.name, lang),
        description=None
        if subject.description is None
        else catalog.text(subject.description, lang),
        meeting_types=meeting_types,  # type: ignore[arg-type]  # config's MeetingType literals
        questions=[_question_out(catalog, question, lang) for question in subject.questions],
    )


def _question_out(catalog: Catalog, question: config.Question, lang: str) -> schemas.Question:
    return schemas.Question(
        id=question.id,
        type=question.type,
        required=question.required,
        label=catalog.text(question.label, lang),
        options=[
            schemas.QuestionOption(id=option.id, label=catalog.text(option.label, lang))
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
    catalog: Catalog,
    lang: str,
    *,
    subject: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    meeting_type: str | None = None,
    opened: str | None = None,
) -> schemas.MeetingTypesResponse:
    """The meeting types bookable for the filters, in MEETING_TYPES order (`meeting_type`:
    only that one, as an invite that names it allows)."""
    present = _in_type_order(
        m for _, m, _ in _matching(catalog, subject, meeting_type, office, agent, opened)
    )
    return schemas.MeetingTypesResponse(
        meeting_types=[
            schemas.MeetingTypeOut(
                id=m,  # type: ignore[arg-type]
                name=meeting_type_name(m, lang, catalog.languages[0]),
            )
            for m in present
        ]
    )


def offices(
    catalog: Catalog,
    lang: str,
    *,
    subject: str | None = None,
    meeting_type: str | None = None,
    near: tuple[float, float] | None = None,
    agent: str | None = None,
    office: str | None = None,
    opened: str | None = None,
) -> schemas.OfficesResponse:
    """Active offices where something matching the filters can be booked (with `agent`:
    by that agent; with `office`: only that one, as an invite that names it allows).

    Sorted by name; with `near`, by distance (offices without `geo` last, by name).
    """
    ids = {o for _, _, o in _matching(catalog, subject, meeting_type, office, agent, opened)}
    listed = [
        _office_out(catalog, office, lang, near)
        for office in catalog.offices.values()
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
    return schemas.OfficesResponse(offices=listed)


def _office_out(
    catalog: Catalog, office: config.Office, lang: str, near: tuple[float, float] | None
) -> schemas.OfficeOut:
    geo = None if office.geo is None else schemas.Geo(lat=office.geo.lat, lon=office.geo.lon)
    distance = None
    if near is not None and geo is not None:
        distance = round(haversine_km(near, (geo.lat, geo.lon)), 1)
    address = office.address
    return schemas.OfficeOut(
        id=office.id,
        external_id=office.external_id,
        name=catalog.text(office.name, lang),
        description=None if office.description is None else catalog.text(office.description, lang),
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
    catalog: Catalog,
    lang: str,
    *,
    subject: str | None = None,
    meeting_type: str | None = None,
    office: str | None = None,
    agent: str | None = None,
    opened: str | None = None,
) -> schemas.AgentsResponse:
    """Agents a customer may pick for the filters, by name (with `agent`: that one
    only, as an invite fixes it). Never their e-mail."""
    ids: set[str] = set()
    for combination in _matching(catalog, subject, meeting_type, office, agent, opened):
        ids.update(catalog.servers.get(combination, ()))
    if agent is not None:
        ids &= {agent}
    listed = [
        schemas.AgentOut(
            id=agent.id,
            external_id=agent.external_id,
            name=agent.name,
            function=None if agent.function is None else catalog.text(agent.function, lang),
            languages=list(agent.languages),
        )
        for agent in catalog.agents.values()
        if agent.id in ids
    ]
    listed.sort(key=lambda a: (a.name.casefold(), a.id))
    return schemas.AgentsResponse(agents=listed)


# -- helpers --------------------------------------------------------------------------


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _accepted(header: str) -> list[str]:
    """The languages of an `Accept-Language` header, most wanted first."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]
