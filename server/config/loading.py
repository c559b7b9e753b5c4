"""The organisation file (SPEC 3): the public entry to load, check and summarise it.

`load(path)` / `loads(text, source)` read the TOML, decode it item by item into the
frozen Structs (`server.config.types`, re-exported here) and run every cross-reference
check (`server.config.checks`), collecting *all* problems before raising one
`ConfigError`. The availability model (`server.config.engine.to_engine`) is built once,
here, and kept on the returned `LoadedOrganisation`. `summary` and
`bookable_combinations` describe a loaded organisation for `rendezvous check`.

The keys of the file are described in `server.config.types` and, in full, in
docs/organisation-file.md.
"""

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar, get_args

import msgspec

from availability import model
from server.config import checks as config_checks
from server.config import engine as planning
from server.config.checks import Decoded
from server.config.messages import Issue, issue_from, key_path, kind
from server.config.types import (
    COUNTRY_PATTERN,
    EMAIL_PATTERN,
    ID_PATTERN,
    LANGUAGE_PATTERN,
    MEETING_TYPES,
    SECTIONS,
    TIME_PATTERN,
    WEEKDAYS,
    Agent,
    Block,
    DayTemplate,
    OrganisationFile,
    OrganisationSettings,
    QuestionType,
    Week,
)


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


def _decode_and_check(raw: dict[str, Any]) -> OrganisationFile:
    issues: list[Issue] = []
    decoded = _decode(raw, issues)
    issues.extend(config_checks.check(decoded))
    if issues or decoded.organisation is None:
        raise ConfigError(issues)
    return OrganisationFile(
        organisation=decoded.organisation,
        categories=tuple(item for _, item in decoded.categories),
        subjects=tuple(item for _, item in decoded.subjects),
        offices=tuple(item for _, item in decoded.offices),
        agents=tuple(item for _, item in decoded.agents),
    )


def _decode(raw: dict[str, Any], issues: list[Issue]) -> Decoded:
    known = ("organisation", *SECTIONS)
    for key in raw:
        if key not in known:
            issues.append(Issue(key, f"unknown key; expected one of {', '.join(known)}"))
    organisation = None
    if "organisation" not in raw:
        issues.append(Issue("organisation", "required table [organisation] is missing"))
    else:
        organisation = _convert(raw["organisation"], OrganisationSettings, "organisation", issues)
    decoded = Decoded(organisation, [], [], [], [], {name: set() for name in SECTIONS})
    for name, struct in SECTIONS.items():
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
