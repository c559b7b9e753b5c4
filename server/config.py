"""The organisation file (SPEC 3): decode, validate, summarise.

`load(path)` / `loads(text, source)` read the TOML, decode it into the frozen Structs
below and run every cross-reference check, collecting *all* problems before raising
one `ConfigError`. The availability model (`server.planning.to_engine`) is built once,
here, and kept on the returned `LoadedOrganisation`.

Keys beyond the example in SPEC 3 (full reference: docs/organisation-file.md):

    [organisation]
    hold_minutes = 7                 # 1..60: how long a hold keeps a slot
    manage_days_after = 30           # 0..3650: manage links stay valid this many days
                                     #   after the appointment
    video_url_template = "https://meet.example/r/{appointment_id}"   # optional; the
                                     #   bare {appointment_id} is its only placeholder
    [organisation.calendar_templates.<lang>.<MEETING_TYPE | "default">]
    title = "..."                    # optional Jinja2 sources, each checked to parse
                                     #   and to render on sample values
    description = "..."
    location = "..."

    [[categories]]  image = "https://..."     # optional http(s) URL
    [[subjects.questions]]  id, type, required, label, options = [{id, label}],
                            min / max (number), max_length (short_text, long_text)
    [[offices]]  description (translatable, optional), geo (optional),
                 address = {street, postal_code, city, country}  (required)
    [[agents]]  week.<monday..sunday> = [{start, end, office, subjects?,
                meeting_types?, confirm_manually = false}]
                days = [{date, template = "unavailable"} | {date, blocks = [...]}]

Decisions: times are "HH:MM" from 00:00 to 23:59 ("24:00" is not accepted: a block
cannot run to midnight, end it at 23:59). Overlap between blocks is checked on
wall-clock times, even when two offices of one agent lie in different time zones.
Translatable text may only use the organisation's languages and must have the first.
"""

import datetime
import hashlib
import itertools
import re
import string
import tomllib
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar, get_args
from urllib.parse import quote, urlsplit, urlunsplit

import jinja2
import jinja2.sandbox
import msgspec

from availability import model
from server import ics, planning
from server.config_messages import Issue, issue_from, key_path, kind

__all__ = [
    "Address",
    "Agent",
    "Block",
    "CalendarTemplate",
    "Category",
    "ConfigError",
    "DayTemplate",
    "Geo",
    "Issue",
    "LoadedOrganisation",
    "Office",
    "OfficeSubject",
    "Option",
    "OrganisationFile",
    "OrganisationSettings",
    "PlanningRule",
    "Question",
    "RuleOverride",
    "Subject",
    "Text",
    "Week",
    "bookable_combinations",
    "load",
    "loads",
    "summary",
    "text",
]

# -- types --------------------------------------------------------------------------

ID_PATTERN: Final = r"^[A-Za-z0-9_.-]{1,64}$"
LANGUAGE_PATTERN: Final = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
TIME_PATTERN: Final = r"^[0-9]{2}:[0-9]{2}$"
COUNTRY_PATTERN: Final = r"^[A-Z]{2}$"
EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Id = Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Language = Annotated[str, msgspec.Meta(pattern=LANGUAGE_PATTERN)]
MeetingType = Literal["OFFICE", "VIDEO", "PHONE", "ON_LOCATION"]
CalendarTemplateKey = Literal["OFFICE", "VIDEO", "PHONE", "ON_LOCATION", "default"]
QuestionType = Literal["short_text", "long_text", "number", "select", "multi_select"]
ClockTime = Annotated[str, msgspec.Meta(pattern=TIME_PATTERN)]
TimeZoneName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
ShortStr = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
LongStr = Annotated[str, msgspec.Meta(max_length=4000)]
TemplateSource = Annotated[str, msgspec.Meta(max_length=4000)]

#: Translatable text: a string, or a table of language → string.
Text = ShortStr | dict[Language, ShortStr]
LongText = LongStr | dict[Language, LongStr]

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MEETING_TYPES: Final = model.MEETING_TYPES
TEXT_TYPES: Final = frozenset({"short_text", "long_text"})
CHOICE_TYPES: Final = frozenset({"select", "multi_select"})


class _Base(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    pass


class PlanningRule(_Base, frozen=True):
    """Per subject × meeting type; units and meaning as in SPEC 2."""

    duration: Annotated[int, msgspec.Meta(ge=5, le=1440)] = 30
    granularity: Annotated[int, msgspec.Meta(ge=5, le=1440)] = 15
    trailing_buffer: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 0
    earliest: Annotated[int, msgspec.Meta(ge=0, le=525600)] = 0
    latest: Annotated[int, msgspec.Meta(ge=0, le=730)] = 60
    auto_accept: bool = True
    max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1


class RuleOverride(_Base, frozen=True):
    """An office's override of a planning rule: only the fields given replace the subject's."""

    duration: Annotated[int, msgspec.Meta(ge=5, le=1440)] | None = None
    granularity: Annotated[int, msgspec.Meta(ge=5, le=1440)] | None = None
    trailing_buffer: Annotated[int, msgspec.Meta(ge=0, le=1440)] | None = None
    earliest: Annotated[int, msgspec.Meta(ge=0, le=525600)] | None = None
    latest: Annotated[int, msgspec.Meta(ge=0, le=730)] | None = None
    auto_accept: bool | None = None
    max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None


class CalendarTemplate(_Base, frozen=True):
    title: TemplateSource | None = None
    description: TemplateSource | None = None
    location: TemplateSource | None = None


class OrganisationSettings(_Base, frozen=True):
    name: Text
    timezone: TimeZoneName
    languages: Annotated[tuple[Language, ...], msgspec.Meta(min_length=1)]
    public_url: Url
    allowed_origins: tuple[Url, ...] = ()
    video_url_template: Url | None = None
    hold_minutes: Annotated[int, msgspec.Meta(ge=1, le=60)] = 7
    manage_days_after: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 30
    calendar_templates: dict[Language, dict[CalendarTemplateKey, CalendarTemplate]] = {}


class Category(_Base, frozen=True):
    id: Id
    name: Text
    order: int = 0
    image: Url | None = None


class Option(_Base, frozen=True):
    id: Id
    label: Text


class Question(_Base, frozen=True):
    id: Id
    type: QuestionType
    label: Text
    required: bool = False
    options: tuple[Option, ...] | None = None
    min: int | float | None = None
    max: int | float | None = None
    max_length: Annotated[int, msgspec.Meta(ge=1, le=10000)] | None = None


class Subject(_Base, frozen=True):
    id: Id
    category: Id
    name: Text
    external_id: ExternalId | None = None
    description: LongText | None = None
    available_for_customers: bool = True
    #: Meeting types enabled organisation-wide, each with its planning rule.
    meeting_types: dict[MeetingType, PlanningRule] = {}
    questions: tuple[Question, ...] = ()


class Address(_Base, frozen=True):
    street: ShortStr
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    city: ShortStr
    country: Annotated[str, msgspec.Meta(pattern=COUNTRY_PATTERN)]


class Geo(_Base, frozen=True):
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]


class OfficeSubject(_Base, frozen=True):
    meeting_types: tuple[MeetingType, ...]
    agents: tuple[Id, ...]
    rules: dict[MeetingType, RuleOverride] = {}


class Office(_Base, frozen=True):
    id: Id
    name: Text
    timezone: TimeZoneName
    address: Address
    external_id: ExternalId | None = None
    description: LongText | None = None
    active: bool = True
    geo: Geo | None = None
    subjects: dict[Id, OfficeSubject] = {}


class Block(_Base, frozen=True):
    """Wall-clock hours at one office, "HH:MM" in the office's time zone."""

    start: ClockTime
    end: ClockTime
    office: Id
    subjects: tuple[Id, ...] | None = None  # None: every subject
    meeting_types: tuple[MeetingType, ...] | None = None  # None: every meeting type
    confirm_manually: bool = False


class Week(_Base, frozen=True):
    monday: tuple[Block, ...] = ()
    tuesday: tuple[Block, ...] = ()
    wednesday: tuple[Block, ...] = ()
    thursday: tuple[Block, ...] = ()
    friday: tuple[Block, ...] = ()
    saturday: tuple[Block, ...] = ()
    sunday: tuple[Block, ...] = ()


class DayTemplate(_Base, frozen=True):
    """Replaces the week template on `date`: exactly one of `template` and `blocks`."""

    date: datetime.date  # a TOML date or a "YYYY-MM-DD" string
    template: Literal["unavailable"] | None = None
    blocks: tuple[Block, ...] | None = None


class Agent(_Base, frozen=True):
    id: Id
    name: ShortStr
    external_id: ExternalId | None = None
    email: Annotated[str, msgspec.Meta(pattern=EMAIL_PATTERN, max_length=254)] | None = None
    function: Text | None = None
    languages: tuple[Language, ...] = ()
    active: bool = True
    online_planning: bool = True
    offices: tuple[Id, ...] = ()
    expertise: tuple[Id, ...] = ()
    week: Week = Week()
    days: tuple[DayTemplate, ...] = ()


class OrganisationFile(_Base, frozen=True):
    """The whole organisation file."""

    organisation: OrganisationSettings
    categories: tuple[Category, ...] = ()
    subjects: tuple[Subject, ...] = ()
    offices: tuple[Office, ...] = ()
    agents: tuple[Agent, ...] = ()


def text(value: str | Mapping[str, str], lang: str, fallback_lang: str) -> str:
    """The text of a translatable `value` in `lang`, else `fallback_lang`, else any."""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get(fallback_lang) or next(iter(value.values()), "")


# -- errors -------------------------------------------------------------------------


class ConfigError(Exception):
    """The organisation file is invalid; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


# -- loading ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedOrganisation:
    organisation: OrganisationFile
    version: str  # first 16 hex digits of the sha256 of the file's bytes
    path: Path | None
    engine: model.Organisation


def load(path: str | Path) -> LoadedOrganisation:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Issue(str(path), f"cannot read the file: {exc.strerror}")]) from exc
    try:
        source_text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([Issue(str(path), "the file is not valid UTF-8")]) from exc
    return _load(source_text, data, str(path), path)


def loads(text: str, source: str = "<string>") -> LoadedOrganisation:
    return _load(text, text.encode("utf-8"), source, None)


def _load(source_text: str, data: bytes, source: str, path: Path | None) -> LoadedOrganisation:
    try:
        raw = tomllib.loads(source_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Issue(source, _toml_message(str(exc)))]) from exc
    except ValueError as exc:  # an integer of more than 4300 digits
        reason = str(exc).split(";")[0]
        raise ConfigError([Issue(source, f"a value cannot be read: {reason}")]) from None
    except RecursionError:
        message = "arrays or inline tables are nested too deeply to be read"
        raise ConfigError([Issue(source, message)]) from None
    organisation = _decode_and_check(raw)
    return LoadedOrganisation(
        organisation=organisation,
        version=hashlib.sha256(data).hexdigest()[:16],
        path=path,
        engine=planning.to_engine(organisation),
    )


def _toml_message(message: str) -> str:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match is None:
        return f"TOML syntax error: {message}"
    where = f"line {match[1]}, column {match[2]}"
    return f"TOML syntax error at {where}: {message[: match.start()]}"


# -- decoding, item by item ---------------------------------------------------------

_T = TypeVar("_T")
_SECTIONS: Final[dict[str, type[_Base]]] = {
    "categories": Category,
    "subjects": Subject,
    "offices": Office,
    "agents": Agent,
}
#: The order in which allowed values are listed (msgspec sorts them).
_LITERAL_ORDER: Final = {
    value: i for i, value in enumerate((*MEETING_TYPES, "default", *get_args(QuestionType)))
}
_PATTERN_WORDS: Final = {
    ID_PATTERN: 'an id (1 to 64 letters, digits, "_", "." or "-")',
    LANGUAGE_PATTERN: 'a language code such as "en" or "pt-BR"',
    TIME_PATTERN: 'a time "HH:MM"',
    COUNTRY_PATTERN: 'an ISO 3166 alpha-2 country code such as "BE"',
    EMAIL_PATTERN: "an email address",
}


@dataclass(slots=True)
class _Decoded:
    """What decoded, with the original index of each item (to keep paths right)."""

    organisation: OrganisationSettings | None
    categories: list[tuple[int, Category]]
    subjects: list[tuple[int, Subject]]
    offices: list[tuple[int, Office]]
    agents: list[tuple[int, Agent]]
    #: Ids of items that failed to decode, so references to them are not reported too.
    undecoded_ids: dict[str, set[str]]


def _decode_and_check(raw: dict[str, Any]) -> OrganisationFile:
    issues: list[Issue] = []
    decoded = _decode(raw, issues)
    issues.extend(_Checker(decoded).run())
    if issues or decoded.organisation is None:
        raise ConfigError(issues)
    return OrganisationFile(
        organisation=decoded.organisation,
        categories=tuple(item for _, item in decoded.categories),
        subjects=tuple(item for _, item in decoded.subjects),
        offices=tuple(item for _, item in decoded.offices),
        agents=tuple(item for _, item in decoded.agents),
    )


def _decode(raw: dict[str, Any], issues: list[Issue]) -> _Decoded:
    known = ("organisation", *_SECTIONS)
    for key in raw:
        if key not in known:
            issues.append(Issue(key, f"unknown key; expected one of {', '.join(known)}"))
    organisation = None
    if "organisation" not in raw:
        issues.append(Issue("organisation", "required table [organisation] is missing"))
    else:
        organisation = _convert(raw["organisation"], OrganisationSettings, "organisation", issues)
    decoded = _Decoded(organisation, [], [], [], [], {name: set() for name in _SECTIONS})
    for name, struct in _SECTIONS.items():
        items = raw.get(name, [])
        if not isinstance(items, list):
            issues.append(Issue(name, f"expected an array of tables [[{name}]]"))
            continue
        target: list[tuple[int, Any]] = getattr(decoded, name)
        for i, item in enumerate(items):
            path = f"{name}[{i}]"
            if struct is Agent:
                value: Any = _decode_agent(item, path, issues)
            else:
                value = _convert(item, struct, path, issues)
            if value is not None:
                target.append((i, value))
            elif isinstance(item, dict) and isinstance(item.get("id"), str):
                decoded.undecoded_ids[name].add(item["id"])
    return decoded


def _decode_agent(raw: Any, path: str, issues: list[Issue]) -> Agent | None:
    """An agent, with each week block and each day template decoded on its own.

    The agent comes back with the week days and day templates that decoded whole, so
    that they are checked too; the issues already recorded keep the file from being
    accepted.
    """
    if not isinstance(raw, dict):
        return _convert(raw, Agent, path, issues)
    rest = {key: value for key, value in raw.items() if key not in ("week", "days")}
    agent = _convert(rest, Agent, path, issues)
    week: dict[str, tuple[Block, ...]] = {}
    raw_week = raw.get("week", {})
    if not isinstance(raw_week, dict):
        issues.append(Issue(f"{path}.week", f"expected a table, got {kind(raw_week)}"))
        raw_week = {}
    for day, raw_blocks in raw_week.items():
        day_path = f"{path}.week{key_path(day)}"
        if day not in WEEKDAYS:
            issues.append(Issue(day_path, f"unknown key; expected one of {', '.join(WEEKDAYS)}"))
        elif not isinstance(raw_blocks, list):
            issues.append(Issue(day_path, f"expected an array of blocks, got {kind(raw_blocks)}"))
        else:
            blocks = [
                _convert(block, Block, f"{day_path}[{j}]", issues)
                for j, block in enumerate(raw_blocks)
            ]
            # A day with a broken block is left out: the others' paths keep their index.
            if None not in blocks:
                week[day] = tuple(block for block in blocks if block is not None)
    raw_days = raw.get("days", [])
    if not isinstance(raw_days, list):
        issues.append(Issue(f"{path}.days", "expected an array of tables [[agents.days]]"))
        raw_days = []
    days = [
        _convert(day, DayTemplate, f"{path}.days[{k}]", issues) for k, day in enumerate(raw_days)
    ]
    if agent is None:
        return None
    whole_days = () if None in days else tuple(day for day in days if day is not None)
    return msgspec.structs.replace(agent, week=Week(**week), days=whole_days)


def _convert(raw: Any, struct: type[_T], prefix: str, issues: list[Issue]) -> _T | None:
    try:
        return msgspec.convert(raw, struct)
    except msgspec.ValidationError as exc:
        issues.append(
            issue_from(
                exc,
                raw,
                struct,
                prefix,
                pattern_words=_PATTERN_WORDS,
                literal_order=_LITERAL_ORDER,
            )
        )
        return None


# -- cross-reference checks ---------------------------------------------------------


def _parse_time(value: str) -> datetime.time | None:
    try:
        return planning.parse_time(value)
    except ValueError:
        return None


def _known(kind: str, value: str, known: Iterable[str]) -> str:
    names = sorted(known)
    listed = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
    return f'unknown {kind} "{value}"; known: {listed or "none"}'


def _duplicates(values: Iterable[tuple[str, str | None]]) -> Iterator[tuple[str, str]]:
    """(path, value) pairs whose value was seen before; None values are skipped."""
    seen: set[str] = set()
    for path, value in values:
        if value is None:
            continue
        if value in seen:
            yield path, value
        seen.add(value)


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError when the port is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


# What RFC 3986 allows in a URI; the calendar file (`server.ics`) refuses anything else.
_URI_CHARACTERS: Final = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def _uri_problem(url: str, placeholder: str = "") -> str | None:
    """Why an http(s) `url` cannot be written as is, and its ASCII form when there is one.

    Browsers send and calendar files need the punycode form of an international host
    name ("xn--..."), and percent-escapes for other characters beyond ASCII. A
    `placeholder` in `url` is left as it is.
    """
    checked = url.replace(placeholder, "") if placeholder else url
    if _URI_CHARACTERS.fullmatch(checked):
        return None
    if checked.isascii():
        bad = sorted({c for c in checked if not _URI_CHARACTERS.fullmatch(c)})
        shown = " ".join(repr(c) for c in bad)
        return f'expected a URL without the characters {shown}, got "{url}"'
    parts = urlsplit(url)
    userinfo, at, host_port = parts.netloc.rpartition("@")
    host, colon, port = host_port.partition(":")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return (
            f'expected an ASCII URL, got "{url}": write an international host name'
            ' in its punycode form ("xn--...")'
        )
    keep = "/%:@!$&'()*+,;=-._~?#[]"
    suggestion = urlunsplit(
        (
            parts.scheme,
            quote(userinfo, safe=keep) + at + ascii_host + colon + port,
            quote(parts.path, safe=keep),
            quote(parts.query, safe=keep),
            quote(parts.fragment, safe=keep),
        )
    )
    if placeholder:
        suggestion = suggestion.replace(quote(placeholder, safe=keep), placeholder)
    advice = "write the host name in its punycode form" if not host.isascii() else ""
    if not (userinfo + parts.path + parts.query + parts.fragment).isascii():
        advice = " and ".join(filter(None, (advice, "percent-escape the other characters")))
    return f'expected an ASCII URL, got "{url}": {advice}, "{suggestion}"'


def _video_url_example(template: str) -> str:
    """`template` with its one allowed placeholder filled in; ValueError if it has others.

    Only the bare `{appointment_id}` is accepted: `str.format` would also follow
    attributes and indexes (`{appointment_id.real}`) and honour any width
    (`{appointment_id:>999999999}`).
    """
    url = ""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:  # a lone "{" or "}"
        raise ValueError(f'got "{template}"') from None
    for literal, field, spec, conversion in fields:
        url += literal
        if field is None:
            continue
        if field != "appointment_id" or spec or conversion:
            original = "{" + field + (f"!{conversion}" if conversion else "")
            original += (f":{spec}" if spec else "") + "}"
            raise ValueError(f"not {original}")
        url += "x"
    return url


def _template_path(key: tuple[str, str, str]) -> str:
    lang, meeting_type, field = key
    return f"organisation.calendar_templates{key_path(lang)}.{meeting_type}.{field}"


def _render_problem(sources: Mapping[tuple[str, str, str], str]) -> str | None:
    """Why the server could not use these calendar templates (rendered on sample values)."""
    overrides: dict[str, dict[str, dict[str, str | None]]] = {}
    for (lang, meeting_type, field), source in sources.items():
        overrides.setdefault(lang, {}).setdefault(meeting_type, {})[field] = source
    try:
        ics.CalendarTemplates(overrides)
    except ics.CalendarTemplateError as exc:
        # "calendar template [en][default][title]: 'x' is undefined" -> "'x' is undefined"
        reason = re.sub(r"^calendar template (?:\[[^\]]*\])+:?\s*", "", str(exc))
        if reason.startswith("is "):
            return f"the template {reason}"
        if reason.endswith(" is undefined"):
            reason += f" (the variables are {', '.join(ics.VARIABLES)})"
        return f"the template cannot be rendered: {reason}"
    except Exception as exc:  # e.g. OverflowError: the sandbox refuses a huge range()
        return f"the template cannot be rendered: {type(exc).__name__}: {exc}"
    return None


class _Checker:
    def __init__(self, decoded: _Decoded) -> None:
        self.d = decoded
        self.issues: list[Issue] = []
        org = decoded.organisation
        self.languages: tuple[str, ...] = org.languages if org else ()
        self.subjects = {s.id: s for _, s in decoded.subjects}
        self.offices = {o.id: o for _, o in decoded.offices}
        self.category_ids = {c.id for _, c in decoded.categories}
        self.category_ids |= decoded.undecoded_ids["categories"]
        self.subject_ids = set(self.subjects) | decoded.undecoded_ids["subjects"]
        self.office_ids = set(self.offices) | decoded.undecoded_ids["offices"]
        self.agent_ids = {a.id for _, a in decoded.agents} | decoded.undecoded_ids["agents"]

    def add(self, path: str, message: str) -> None:
        self.issues.append(Issue(path, message))

    def run(self) -> list[Issue]:
        if self.d.organisation is not None:
            self.check_organisation(self.d.organisation)
        self.check_unique_ids()
        for i, category in self.d.categories:
            self.check_category(f"categories[{i}]", category)
        for i, subject in self.d.subjects:
            self.check_subject(f"subjects[{i}]", subject)
        for i, office in self.d.offices:
            self.check_office(f"offices[{i}]", office)
        for i, agent in self.d.agents:
            self.check_agent(f"agents[{i}]", agent)
        return self.issues

    def check_text(self, path: str, value: str | Mapping[str, str] | None) -> None:
        if value is None or isinstance(value, str) or not self.languages:
            return
        for lang in value:
            if lang not in self.languages:
                listed = ", ".join(self.languages)
                self.add(
                    f"{path}{key_path(lang)}",
                    f'"{lang}" is not a language of the organisation ({listed})',
                )
        if self.languages[0] not in value:
            self.add(path, f'missing the text in the first language "{self.languages[0]}"')

    def check_time_zone(self, path: str, name: str) -> None:
        try:
            zoneinfo.ZoneInfo(name)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            self.add(path, f'unknown time zone "{name}"')

    def check_organisation(self, org: OrganisationSettings) -> None:
        pairs = ((f"organisation.languages[{j}]", lang) for j, lang in enumerate(org.languages))
        for lang_path, lang in _duplicates(pairs):
            self.add(lang_path, f'language "{lang}" is listed twice')
        self.check_text("organisation.name", org.name)
        self.check_time_zone("organisation.timezone", org.timezone)
        parts = urlsplit(org.public_url)
        if not _is_http_url(org.public_url) or parts.query or parts.fragment:
            self.add(
                "organisation.public_url",
                'expected an http(s) URL such as "https://book.example.com",'
                f' got "{org.public_url}"',
            )
        elif problem := _uri_problem(org.public_url):
            self.add("organisation.public_url", problem)
        for j, origin in enumerate(org.allowed_origins):
            parts = urlsplit(origin)
            if (
                not _is_http_url(origin)
                or parts.path
                or parts.query
                or parts.fragment
                or parts.username
            ):
                self.add(
                    f"organisation.allowed_origins[{j}]",
                    f'expected an origin "scheme://host[:port]" without a path, got "{origin}"',
                )
            elif problem := _uri_problem(origin):
                self.add(f"organisation.allowed_origins[{j}]", problem)
        if org.video_url_template is not None:
            self.check_video_url_template(org.video_url_template)
        self.check_calendar_templates(org)

    def check_calendar_templates(self, org: OrganisationSettings) -> None:
        """Parse each template, then render them on sample values as the server does."""
        environment = jinja2.sandbox.SandboxedEnvironment()
        parsed: dict[tuple[str, str, str], str] = {}
        for lang, by_type in org.calendar_templates.items():
            if lang not in org.languages:
                self.add(
                    f"organisation.calendar_templates{key_path(lang)}",
                    f'"{lang}" is not a language of the organisation ({", ".join(org.languages)})',
                )
            for meeting_type, template in by_type.items():
                for field in ics.PARTS:
                    source = getattr(template, field)
                    if source is None:
                        continue
                    key = (lang, meeting_type, field)
                    try:
                        environment.parse(source)
                    except jinja2.TemplateSyntaxError as exc:
                        message = f"template syntax error at line {exc.lineno}: {exc.message}"
                        self.add(_template_path(key), message)
                    except RecursionError:
                        self.add(_template_path(key), "the template is nested too deeply")
                    else:
                        parsed[key] = source
        # All at once first, as the server compiles them; one by one only to tell which fails.
        if parsed and _render_problem(parsed) is not None:
            for one, source in parsed.items():
                if (problem := _render_problem({one: source})) is not None:
                    self.add(_template_path(one), problem)

    def check_video_url_template(self, template: str) -> None:
        path = "organisation.video_url_template"
        try:
            url = _video_url_example(template)
        except ValueError as exc:
            self.add(
                path,
                "expected a URL that uses only the placeholder {appointment_id}, written"
                f' exactly so (as in "https://meet.example/r/{{appointment_id}}"), {exc}',
            )
            return
        if not _is_http_url(url):
            self.add(path, f'expected an http(s) URL, got "{template}"')
        elif problem := _uri_problem(template, placeholder="{appointment_id}"):
            self.add(path, problem)

    def check_unique_ids(self) -> None:
        for name in _SECTIONS:
            items: list[tuple[int, Any]] = getattr(self.d, name)
            for path, value in _duplicates((f"{name}[{i}].id", item.id) for i, item in items):
                self.add(path, f'duplicate id "{value}"')
            if name == "categories":
                continue
            pairs = ((f"{name}[{i}].external_id", item.external_id) for i, item in items)
            for path, value in _duplicates(pairs):
                self.add(path, f'duplicate external_id "{value}"')

    def check_category(self, path: str, category: Category) -> None:
        self.check_text(f"{path}.name", category.name)
        if category.image is not None and not _is_http_url(category.image):
            self.add(f"{path}.image", f'expected an http(s) URL, got "{category.image}"')

    def check_subject(self, path: str, subject: Subject) -> None:
        if subject.category not in self.category_ids:
            self.add(f"{path}.category", _known("category", subject.category, self.category_ids))
        self.check_text(f"{path}.name", subject.name)
        self.check_text(f"{path}.description", subject.description)
        pairs = ((f"{path}.questions[{k}].id", q.id) for k, q in enumerate(subject.questions))
        for question_path, duplicate in _duplicates(pairs):
            self.add(question_path, f'duplicate question id "{duplicate}"')
        for k, question in enumerate(subject.questions):
            self.check_question(f"{path}.questions[{k}]", question)

    def check_question(self, path: str, question: Question) -> None:
        self.check_text(f"{path}.label", question.label)
        if question.type in CHOICE_TYPES:
            if not question.options:
                self.add(f"{path}.options", f"a {question.type} question needs at least one option")
        elif question.options is not None:
            self.add(
                f"{path}.options",
                f"only select and multi_select questions have options, not {question.type}",
            )
        for m, option in enumerate(question.options or ()):
            self.check_text(f"{path}.options[{m}].label", option.label)
        pairs = ((f"{path}.options[{m}].id", o.id) for m, o in enumerate(question.options or ()))
        for option_path, duplicate in _duplicates(pairs):
            self.add(option_path, f'duplicate option id "{duplicate}"')
        for bound in ("min", "max"):
            if getattr(question, bound) is not None and question.type != "number":
                self.add(
                    f"{path}.{bound}", f"only number questions have {bound}, not {question.type}"
                )
        if question.min is not None and question.max is not None and question.min > question.max:
            self.add(f"{path}.max", f"max {question.max} is less than min {question.min}")
        if question.max_length is not None and question.type not in TEXT_TYPES:
            self.add(
                f"{path}.max_length", f"only text questions have max_length, not {question.type}"
            )

    def check_office(self, path: str, office: Office) -> None:
        self.check_text(f"{path}.name", office.name)
        self.check_text(f"{path}.description", office.description)
        self.check_time_zone(f"{path}.timezone", office.timezone)
        for subject_id, assignment in office.subjects.items():
            subject_path = f"{path}.subjects{key_path(subject_id)}"
            if subject_id not in self.subject_ids:
                self.add(subject_path, _known("subject", subject_id, self.subject_ids))
            subject = self.subjects.get(subject_id)
            if subject is not None:
                enabled = list(subject.meeting_types)
                for j, meeting_type in enumerate(assignment.meeting_types):
                    if meeting_type not in subject.meeting_types:
                        self.add(
                            f"{subject_path}.meeting_types[{j}]",
                            f'meeting type "{meeting_type}" is not enabled for subject'
                            f' "{subject_id}" (enabled: {", ".join(enabled) or "none"})',
                        )
            for j, agent_id in enumerate(assignment.agents):
                if agent_id not in self.agent_ids:
                    self.add(
                        f"{subject_path}.agents[{j}]", _known("agent", agent_id, self.agent_ids)
                    )
            for meeting_type in assignment.rules:
                if meeting_type not in assignment.meeting_types:
                    enabled_here = ", ".join(assignment.meeting_types) or "none"
                    self.add(
                        f"{subject_path}.rules.{meeting_type}",
                        f'overrides meeting type "{meeting_type}", which this office does not'
                        f' enable for "{subject_id}" (enabled: {enabled_here})',
                    )

    def check_agent(self, path: str, agent: Agent) -> None:
        self.check_text(f"{path}.function", agent.function)
        for j, office_id in enumerate(agent.offices):
            if office_id not in self.office_ids:
                self.add(f"{path}.offices[{j}]", _known("office", office_id, self.office_ids))
        for j, subject_id in enumerate(agent.expertise):
            if subject_id not in self.subject_ids:
                self.add(f"{path}.expertise[{j}]", _known("subject", subject_id, self.subject_ids))
        for weekday in WEEKDAYS:
            self.check_blocks(f"{path}.week.{weekday}", getattr(agent.week, weekday), agent)
        dates = (
            (f"{path}.days[{k}].date", day.date.isoformat()) for k, day in enumerate(agent.days)
        )
        for date_path, duplicate in _duplicates(dates):
            self.add(date_path, f"a day template for {duplicate} is already given")
        for k, day in enumerate(agent.days):
            day_path = f"{path}.days[{k}]"
            if (day.template is None) == (day.blocks is None):
                self.add(day_path, 'expected exactly one of template = "unavailable" and blocks')
            self.check_blocks(f"{day_path}.blocks", day.blocks or (), agent)

    def check_blocks(self, path: str, blocks: Sequence[Block], agent: Agent) -> None:
        spans: list[tuple[datetime.time, datetime.time, str]] = []
        for j, block in enumerate(blocks):
            block_path = f"{path}[{j}]"
            start, end = _parse_time(block.start), _parse_time(block.end)
            for field, raw, parsed in (("start", block.start, start), ("end", block.end, end)):
                if parsed is None:
                    self.add(f"{block_path}.{field}", f'expected a time "HH:MM", got "{raw}"')
            if start is not None and end is not None:
                if start >= end:
                    self.add(
                        f"{block_path}.end", f"end {block.end} is not after start {block.start}"
                    )
                else:
                    spans.append((start, end, block_path))
            if block.office not in agent.offices:
                listed = ", ".join(agent.offices) or "none"
                self.add(
                    f"{block_path}.office",
                    f'office "{block.office}" is not one of the agent\'s offices ({listed})',
                )
            for m, subject_id in enumerate(block.subjects or ()):
                if subject_id not in self.subject_ids:
                    self.add(
                        f"{block_path}.subjects[{m}]",
                        _known("subject", subject_id, self.subject_ids),
                    )
        spans.sort()
        for (_, previous_end, previous_path), (start, _, block_path) in itertools.pairwise(spans):
            if start < previous_end:
                self.add(
                    block_path,
                    f"overlaps {previous_path} (the agent's blocks on one day must not overlap)",
                )


# -- summary ------------------------------------------------------------------------


def summary(loaded: LoadedOrganisation) -> str:
    """One screen about the organisation, for `rendezvous check`."""
    org = loaded.organisation
    settings = org.organisation
    first = settings.languages[0]
    combinations = bookable_combinations(loaded.engine)
    in_use = [m for m in MEETING_TYPES if any(c[1] == m for c in combinations)]
    active_offices = sum(office.active for office in org.offices)
    active_agents = [agent for agent in org.agents if agent.active]
    online = sum(agent.online_planning for agent in active_agents)
    hidden = sum(not subject.available_for_customers for subject in org.subjects)
    lines = [
        f"{text(settings.name, first, first)} (version {loaded.version})",
        f"languages: {', '.join(settings.languages)}; time zone: {settings.timezone}",
        f"categories: {len(org.categories)}",
        f"subjects: {len(org.subjects)} ({hidden} hidden from customers)",
        f"offices: {len(org.offices)} ({active_offices} active,"
        f" {len(org.offices) - active_offices} inactive)",
        f"agents: {len(org.agents)} ({len(active_agents)} active,"
        f" {online} of them planning online)",
        f"meeting types in use: {', '.join(in_use) or 'none'}",
        f"bookable combinations (subject × meeting type × office): {len(combinations)}",
    ]
    return "\n".join(lines)


def bookable_combinations(engine: model.Organisation) -> list[tuple[str, str, str]]:
    """(subject, meeting type, office) triples that some agent can serve, ignoring dates."""
    found: list[tuple[str, str, str]] = []
    for office in engine.offices.values():
        if not office.active:
            continue
        for subject_id, assignment in office.subjects.items():
            subject = engine.subjects.get(subject_id)
            if subject is None or not subject.available_for_customers:
                continue
            for meeting_type in MEETING_TYPES:
                if (
                    meeting_type not in subject.meeting_types
                    or meeting_type not in assignment.meeting_types
                ):
                    continue
                agents = (engine.agents[a] for a in assignment.agents if a in engine.agents)
                if any(_serves(agent, office.id, subject_id, meeting_type) for agent in agents):
                    found.append((subject_id, meeting_type, office.id))
    return found


def _serves(agent: model.Agent, office: str, subject: str, meeting_type: str) -> bool:
    if not (agent.active and agent.online_planning and subject in agent.expertise):
        return False
    blocks = [block for day in agent.week for block in day]
    blocks += [block for day in agent.days.values() for block in day]
    return any(
        block.office == office
        and (block.subjects is None or subject in block.subjects)
        and (block.meeting_types is None or meeting_type in block.meeting_types)
        for block in blocks
    )
