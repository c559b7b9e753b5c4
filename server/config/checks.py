"""The organisation file's cross-reference checks: what one value alone cannot tell.

`check(decoded)` runs on whatever decoded (`server.config` decodes each item on its
own) and returns every problem as an `Issue`: unknown or duplicate ids, text in a
language the organisation does not have, unknown time zones, URLs the server cannot
use, calendar templates that the template sandbox refuses, questions with fields of
another type, blocks outside the agent's offices or overlapping.

Decisions: times are "HH:MM" from 00:00 to 23:59 ("24:00" is not accepted: a block
cannot run to midnight, end it at 23:59). Overlap between blocks is checked on
wall-clock times, even when two offices of one agent lie in different time zones.
Translatable text may only use the organisation's languages and must have the first.
"""

import dataclasses
import datetime
import itertools
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

from server import vocabulary
from server.calendar import text as calendar_text
from server.config import engine as planning
from server.config.messages import Issue, key_path
from server.config.types import (
    CHOICE_TYPES,
    SECTIONS,
    TEXT_TYPES,
    WEEKDAYS,
    Agent,
    Block,
    Category,
    Office,
    OrganisationSettings,
    Question,
    Subject,
    Webhook,
)


@dataclass(slots=True)
class Decoded:
    """What decoded, with the original index of each item (to keep paths right)."""

    organisation: OrganisationSettings | None
    categories: list[tuple[int, Category]]
    subjects: list[tuple[int, Subject]]
    offices: list[tuple[int, Office]]
    agents: list[tuple[int, Agent]]
    #: Ids of items that failed to decode, so references to them are not reported too.
    undecoded_ids: dict[str, set[str]]
    webhooks: list[tuple[int, Webhook]] = dataclasses.field(default_factory=list)


def check(decoded: Decoded) -> list[Issue]:
    """Every cross-reference problem in what decoded."""
    return _Checker(decoded).run()


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


# What RFC 3986 allows in a URI; the calendar file (`server.calendar.ics`) refuses anything else.
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


class _Checker:
    def __init__(self, decoded: Decoded) -> None:
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
        if not vocabulary.is_time_zone(name):
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
        if org.logo is not None:
            if not _is_http_url(org.logo):
                self.add("organisation.logo", f'expected an http(s) URL, got "{org.logo}"')
            elif problem := _uri_problem(org.logo):
                self.add("organisation.logo", problem)

    def check_calendar_templates(self, org: OrganisationSettings) -> None:
        """Compile each template and render it on sample values, as the server does."""
        for lang, by_type in org.calendar_templates.items():
            if lang not in org.languages:
                self.add(
                    f"organisation.calendar_templates{key_path(lang)}",
                    f'"{lang}" is not a language of the organisation ({", ".join(org.languages)})',
                )
            for meeting_type, template in by_type.items():
                for field in calendar_text.PARTS:
                    source = getattr(template, field)
                    if source is None:
                        continue
                    try:
                        calendar_text.compile_override(lang, meeting_type, field, source)
                    except calendar_text.CalendarTemplateError as exc:
                        self.add(_template_path((lang, meeting_type, field)), exc.problem)

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
        for name in SECTIONS:
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
