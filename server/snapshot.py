"""One version of the organisation, with everything derived from it built once.

`Snapshot.build(loaded)` runs when the organisation file loads (at start and on each
reload) and the runtime swaps the new snapshot in whole, so a request sees one version
from start to end and never builds anything itself:

- the items by id (`subjects`, `offices`, `agents`) and by external id;
- the engine's input (`engine`), and for each subject hidden from customers the engine
  with that subject opened (an invite books it: `engine_for`);
- who can serve what (`servers`, from the engine's own rule `availability.servers`),
  what customers can book (`combinations`), and per agent what they serve (`served_by`);
- the compiled calendar templates and the origins allowed to call the API;
- the compiled e-mail templates (`server.deliveries.templates`);
- the desk's lookups: the offices each agent manages, the agent behind an address;
- the agents' calendar links (`server.calendars.links`);
- the slot search's reuse memo, which lives and dies with its version.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, Protocol, TypeVar

import availability
from availability import model
from availability.conditions import office_failure
from server import config, vocabulary
from server.calendar.text import CalendarTemplates
from server.calendars import links as calendar_links
from server.calendars.intervals import Policy
from server.calendars.links import Link
from server.deliveries.templates import EmailTemplates
from server.origins import origin_of

if TYPE_CHECKING:
    from server.booking.busy_reads import Kept

#: (subject, meeting type, office)
Combination = tuple[str, str, str]
#: (subject, meeting type, office or None for "any office")
PoolKey = tuple[str, str, str | None]
Kind = Literal["subject", "office", "agent"]

EXTERNAL_PREFIX: Final = "ext:"


@dataclass(slots=True)
class SlotAnswer:
    """One answer of the slot search, kept in `Snapshot.slot_memo`: the engine's minutes
    and, once a route has rendered it, the JSON body (`booking.presenters.slots_body`)."""

    minutes: model.SlotMinutes
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    loaded: config.LoadedOrganisation
    subjects: Mapping[str, config.Subject]
    offices: Mapping[str, config.Office]
    agents: Mapping[str, config.Agent]
    categories: tuple[config.Category, ...]  # in `order`, then id
    external_ids: Mapping[Kind, Mapping[str, str]]  # kind -> external id -> id
    #: Who can serve what, hidden subjects included; `None` as office: any office.
    servers: Mapping[PoolKey, tuple[str, ...]]
    #: What customers can book: `servers`' keys with an office, hidden subjects left out.
    combinations: tuple[Combination, ...]
    #: Per agent, the combinations of `combinations` the agent serves.
    served_by: Mapping[str, frozenset[Combination]]
    #: Per hidden subject, the engine with it opened to customers (an invite books it).
    opened_engines: Mapping[str, model.Organisation]
    calendar_templates: CalendarTemplates
    allowed_origins: frozenset[str]
    #: The country a customer's address defaults to. The file has no country of its
    #: own: it is the country of most active offices (a tie goes to the office listed
    #: first), None without an active office.
    country: str | None
    #: The e-mail texts, overrides compiled (SPEC 10; `server.deliveries.templates`).
    email_templates: EmailTemplates
    #: Answers of the slot search for this version (`booking.slots.find`), the engine's
    #: and its rendered JSON: an answer lives as long as the version it was computed from.
    slot_memo: OrderedDict[tuple[object, ...], SlotAnswer] = field(
        default_factory=OrderedDict, compare=False, repr=False
    )
    #: The busy time the slot search read, per pool and window, kept while nothing is
    #: committed (`booking.busy_reads`).
    busy_reads: Kept = field(default_factory=OrderedDict, compare=False, repr=False)
    #: Per assigned (subject, meeting type, office) that nobody can serve, the reason
    #: nearest to bookable (`availability.closest` of each assigned agent's
    #: `why_not_served`): what an empty catalog answer says (`catalog.why_empty`).
    failures: Mapping[Combination, str] = field(default_factory=dict, repr=False)
    # -- the desk (SPEC 11) --
    #: Per agent, the offices they manage (`[[offices]] managers`).
    managed_by: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: An e-mail address (lower case) to its agent, for the desk's sign-in; an address
    #: that several agents share signs nobody in (it could not say who).
    agent_by_email: Mapping[str, str] = field(default_factory=dict)
    # -- agents' own calendars (SPEC 12) --
    #: Agents' own calendars (`server.calendars.links`), by agent, and the longest
    #: booking horizon in days (how far ahead calendars are read).
    calendars: Mapping[str, Link] = field(default_factory=dict)
    calendar_horizon: int = 60
    #: Who links a calendar and how stale its data may be, and the stored intervals
    #: decoded for this version (`server.calendars.intervals.Policy`).
    calendar_policy: Policy = field(default_factory=Policy)

    @classmethod
    def build(cls, loaded: config.LoadedOrganisation) -> Snapshot:
        org = loaded.organisation
        engine = loaded.engine
        by_combination = availability.servers(engine)
        servers: dict[PoolKey, list[str]] = {}
        for (subject, meeting_type, office), able in by_combination.items():
            servers[(subject, meeting_type, office)] = list(able)
            anywhere = servers.setdefault((subject, meeting_type, None), [])
            anywhere.extend(agent for agent in able if agent not in anywhere)
        combinations = tuple(
            key for key in by_combination if engine.subjects[key[0]].available_for_customers
        )
        served_by: dict[str, set[Combination]] = {}
        for combination in combinations:
            for agent in by_combination[combination]:
                served_by.setdefault(agent, set()).add(combination)
        settings = org.organisation
        links = MappingProxyType(calendar_links.links_of(org))
        return cls(
            loaded=loaded,
            subjects=_by_id(org.subjects),
            offices=_by_id(org.offices),
            agents=_by_id(org.agents),
            categories=tuple(sorted(org.categories, key=lambda c: (c.order, c.id))),
            external_ids=MappingProxyType(
                {
                    "subject": _by_external_id(org.subjects),
                    "office": _by_external_id(org.offices),
                    "agent": _by_external_id(org.agents),
                }
            ),
            servers=MappingProxyType({key: tuple(sorted(ids)) for key, ids in servers.items()}),
            combinations=combinations,
            served_by=MappingProxyType({a: frozenset(found) for a, found in served_by.items()}),
            opened_engines=MappingProxyType(
                {
                    subject.id: _opened(engine, subject.id)
                    for subject in org.subjects
                    if not subject.available_for_customers
                }
            ),
            calendar_templates=CalendarTemplates(
                {
                    lang: {
                        key: {
                            "title": template.title,
                            "description": template.description,
                            "location": template.location,
                        }
                        for key, template in by_type.items()
                    }
                    for lang, by_type in settings.calendar_templates.items()
                }
            ),
            country=main_country(org.offices),
            allowed_origins=frozenset(
                origin
                for origin in map(origin_of, (settings.public_url, *settings.allowed_origins))
                if origin is not None
            ),
            email_templates=EmailTemplates(
                {
                    lang: {
                        kind: {"subject": t.subject, "text": t.text, "html": t.html}
                        for kind, t in kinds.items()
                    }
                    for lang, kinds in settings.email_templates.items()
                }
            ),
            failures=MappingProxyType(_failures(engine, by_combination)),
            managed_by=_managed_by(org),
            agent_by_email=_agent_by_email(org),
            calendars=links,
            calendar_horizon=calendar_links.horizon_days(engine),
            calendar_policy=Policy(links, timedelta(hours=settings.calendar_max_stale_hours)),
        )

    # -- the organisation's settings ------------------------------------------------

    @property
    def version(self) -> str:
        return self.loaded.version

    @property
    def file(self) -> config.OrganisationFile:
        return self.loaded.organisation

    @property
    def settings(self) -> config.OrganisationSettings:
        return self.loaded.organisation.organisation

    @property
    def engine(self) -> model.Organisation:
        return self.loaded.engine

    @property
    def languages(self) -> tuple[str, ...]:
        return self.settings.languages

    @property
    def default_language(self) -> str:
        return self.settings.languages[0]

    @property
    def timezone(self) -> str:
        return self.settings.timezone

    @property
    def public_url(self) -> str:
        """The public URL without a trailing slash."""
        return self.settings.public_url.rstrip("/")

    @property
    def name(self) -> str:
        return self.text(self.settings.name, self.default_language)

    # -- lookups ------------------------------------------------------------------------

    def text(self, value: config.Text | config.LongText, lang: str) -> str:
        """Translatable text in `lang`, else the organisation's first language."""
        return vocabulary.text(value, lang, self.default_language)

    def language(
        self,
        requested: str | None,
        accept_language: str | None = None,
        also: Collection[str] = (),
    ) -> str:
        """`requested` if the organisation speaks it (or it is in `also`: languages an
        answer has text for without the organisation's help), else the best of
        `Accept-Language`, else the organisation's first language."""
        found = vocabulary.choose_language((*self.languages, *also), requested, accept_language)
        return found or self.default_language

    def resolve(self, kind: Kind, value: str) -> str | None:
        """The id of the subject, office or agent `value` (an id or `ext:` + external id)."""
        known: Mapping[str, object] = {
            "subject": self.subjects,
            "office": self.offices,
            "agent": self.agents,
        }[kind]
        if value in known:
            return value
        if value.startswith(EXTERNAL_PREFIX):
            return self.external_ids[kind].get(value[len(EXTERNAL_PREFIX) :])
        return None

    def pool(self, subject: str, meeting_type: str, office: str | None) -> tuple[str, ...]:
        """The agents who can serve `subject` by `meeting_type` at `office` (None: any)."""
        return self.servers.get((subject, meeting_type, office), ())

    def engine_for(self, opened: str | None) -> model.Organisation:
        """The engine's input; with `opened` (the subject of a request that carries an
        invite), that subject counts as available to customers even when it is hidden
        (SPEC 4 condition 1: an invite is how hidden subjects are booked)."""
        if opened is None:
            return self.engine
        return self.opened_engines.get(opened, self.engine)

    def bookable(self, opened: str | None = None) -> tuple[Combination, ...]:
        """The combinations customers can book; with `opened`, also those of that
        subject when it is hidden (as `engine_for` opens it)."""
        if opened is None or opened not in self.opened_engines:
            return self.combinations
        return self.combinations + tuple(
            (subject, meeting_type, office)
            for subject, meeting_type, office in self.servers
            if subject == opened and office is not None
        )


class _Item(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def external_id(self) -> str | None: ...


_I = TypeVar("_I", bound=_Item)


def _by_id(items: Iterable[_I]) -> Mapping[str, _I]:
    return MappingProxyType({item.id: item for item in items})


def _by_external_id(items: Iterable[_Item]) -> Mapping[str, str]:
    return MappingProxyType({item.external_id: item.id for item in items if item.external_id})


def main_country(offices: Iterable[config.Office]) -> str | None:
    active = [office.address.country for office in offices if office.active]
    if not active:
        return None
    counts = Counter(active)
    most = max(counts.values())
    return next(country for country in active if counts[country] == most)


def _failures(
    engine: model.Organisation, served: Mapping[Combination, tuple[str, ...]]
) -> dict[Combination, str]:
    """Why nobody serves each assigned combination that `servers` left out."""
    found: dict[Combination, str] = {}
    for office_id, office in engine.offices.items():
        for subject_id, assignment in office.subjects.items():
            if subject_id not in engine.subjects:
                continue
            for meeting_type in model.MEETING_TYPES:
                key = (subject_id, meeting_type, office_id)
                if key in served:
                    continue
                codes = [
                    availability.why_not_served(engine, agent, office_id, subject_id, meeting_type)
                    for agent in assignment.agents
                    if agent in engine.agents
                ]
                nearest = availability.closest(code for code in codes if code is not None)
                if nearest is None:
                    subject = engine.subjects[subject_id]
                    nearest = (
                        availability.MEETING_TYPE_NOT_ENABLED
                        if meeting_type not in subject.meeting_types
                        else office_failure(office, subject_id, meeting_type)
                        or availability.NO_AGENT_ASSIGNED
                    )
                found[key] = nearest
    return found


def _managed_by(org: config.OrganisationFile) -> Mapping[str, frozenset[str]]:
    """Per agent, the offices they manage (the desk)."""
    managed: dict[str, set[str]] = {}
    for office in org.offices:
        for agent_id in office.managers:
            managed.setdefault(agent_id, set()).add(office.id)
    return MappingProxyType({agent: frozenset(found) for agent, found in managed.items()})


def _agent_by_email(org: config.OrganisationFile) -> Mapping[str, str]:
    """An address (lower case) to the one agent who has it (the desk's sign-in)."""
    emails: dict[str, list[str]] = {}
    for person in org.agents:
        if person.email:
            emails.setdefault(person.email.lower(), []).append(person.id)
    return MappingProxyType({email: ids[0] for email, ids in emails.items() if len(ids) == 1})


def _opened(engine: model.Organisation, subject: str) -> model.Organisation:
    found = engine.subjects[subject]
    subjects = dict(engine.subjects)
    subjects[subject] = dataclasses.replace(found, available_for_customers=True)
    return dataclasses.replace(engine, subjects=MappingProxyType(subjects))
