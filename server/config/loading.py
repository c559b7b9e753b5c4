"""The organisation file (SPEC 3): the public entry to load, check and summarise it.

`load(path)` / `loads(text, source)` read the TOML (in a child process, within the
bounds of `server.config.bounded`: the file is untrusted), decode it item by item into the
frozen Structs (`server.config.types`, re-exported here) and run every cross-reference
check (`server.config.checks`), collecting *all* problems before raising one
`ConfigError`. The availability model (`server.config.engine.to_engine`) is built once,
here, and kept on the returned `LoadedOrganisation`. `summary` and
`bookable_combinations` describe a loaded organisation for `rendezvous check`.

The keys of the file are described in `server.config.types` and, in full, in
docs/organisation-file.md.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar, get_args

import msgspec

from availability import model
from server.config import bounded
from server.config import checks as config_checks
from server.config import engine as planning
from server.config.bounded import DEFAULT_BOUNDS, Bounds
from server.config.calendar_checks import calendar_issues
from server.config.checks import Decoded
from server.config.delivery_checks import delivery_issues
from server.config.desk_checks import desk_issues
from server.config.messages import Issue, issue_from, key_path, kind
from server.config.types import (
    ENV_NAME_PATTERN,
    SECTIONS,
    WEEKDAYS,
    Agent,
    Block,
    DayTemplate,
    OrganisationFile,
    OrganisationSettings,
    QuestionType,
    Webhook,
    Week,
)
from server.vocabulary import (
    COUNTRY_PATTERN,
    EMAIL_PATTERN,
    ID_PATTERN,
    LANGUAGE_PATTERN,
    MEETING_TYPES,
    TIME_PATTERN,
)

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


def load(path: str | Path, bounds: Bounds = DEFAULT_BOUNDS) -> LoadedOrganisation:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Issue(str(path), f"cannot read the file: {exc.strerror}")]) from exc
    return load_bytes(data, path, bounds)


def load_bytes(data: bytes, path: Path, bounds: Bounds = DEFAULT_BOUNDS) -> LoadedOrganisation:
    """The file `path` whose bytes were read as `data` (the server's reload reads them
    once, to see that they stopped changing, and loads exactly those)."""
    return _load(data, str(path), path, bounds)


def loads(text: str, source: str = "<string>") -> LoadedOrganisation:
    return _load(text.encode("utf-8"), source, None, DEFAULT_BOUNDS)


def _load(data: bytes, source: str, path: Path | None, bounds: Bounds) -> LoadedOrganisation:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([Issue(source, "the file is not valid UTF-8")]) from exc
    try:
        raw = bounded.parse(data, source, bounds)
    except bounded.BoundedParseError as exc:
        raise ConfigError([exc.issue]) from None
    organisation = _decode_and_check(raw)
    return LoadedOrganisation(
        organisation=organisation,
        version=hashlib.sha256(data).hexdigest()[:16],
        path=path,
        engine=planning.to_engine(organisation),
    )


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
    ENV_NAME_PATTERN: "the name of an environment variable (letters, digits, _; no digit first)",
}


def _decode_and_check(raw: dict[str, Any]) -> OrganisationFile:
    issues: list[Issue] = []
    decoded = _decode(raw, issues)
    issues.extend(config_checks.check(decoded))
    issues.extend(delivery_issues(decoded.organisation, decoded.webhooks))
    issues.extend(desk_issues(decoded))
    issues.extend(calendar_issues(decoded.agents))
    if issues or decoded.organisation is None:
        raise ConfigError(issues)
    return OrganisationFile(
        organisation=decoded.organisation,
        categories=tuple(item for _, item in decoded.categories),
        subjects=tuple(item for _, item in decoded.subjects),
        offices=tuple(item for _, item in decoded.offices),
        agents=tuple(item for _, item in decoded.agents),
        webhooks=tuple(item for _, item in decoded.webhooks),
    )


def _decode(raw: dict[str, Any], issues: list[Issue]) -> Decoded:
    known = ("organisation", *SECTIONS, "webhooks")
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
    _decode_webhooks(raw, decoded, issues)
    return decoded


def _decode_webhooks(raw: dict[str, Any], decoded: Decoded, issues: list[Issue]) -> None:
    """`[[webhooks]]` (SPEC 10), each decoded on its own."""
    items = raw.get("webhooks", [])
    if not isinstance(items, list):
        issues.append(Issue("webhooks", "expected an array of tables [[webhooks]]"))
        return
    for i, item in enumerate(items):
        webhook = _convert(item, Webhook, f"webhooks[{i}]", issues)
        if webhook is not None:
            decoded.webhooks.append((i, webhook))


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
