"""The organisation file (SPEC 3): load it, check it, summarise it.

- `loading`: `load(path)` / `loads(text)` decode the TOML into frozen Structs and run
  every check, collecting *all* problems before raising one `ConfigError`;
- `bounded`: the TOML read in a child process, within a size, time and memory bound;
- `types`: the Structs, with the constraints in the types;
- `checks`: the cross-reference checks (what one value alone cannot tell);
- `messages`: msgspec's errors in plain words, with the path in the file;
- `engine`: the availability engine's input, built from a checked file;
- `summary`: the one-screen summary of `rendezvous check`.
"""

from server.config.bounded import DEFAULT_BOUNDS, Bounds
from server.config.loading import ConfigError, LoadedOrganisation, load, load_bytes, loads
from server.config.messages import Issue
from server.config.summary import bookable_combinations, summary
from server.config.types import (  # deliveries (SPEC 10)
    CHOICE_TYPES,
    TEXT_TYPES,
    WEEKDAYS,
    Address,
    Agent,
    Block,
    Bots,
    Calendar,
    CalendarTemplate,
    CalendarTemplateKey,
    Category,
    ClockTime,
    DayTemplate,
    EmailTemplate,
    ExternalId,
    Geo,
    Id,
    Language,
    LongStr,
    LongText,
    Notifications,
    Office,
    OfficeSubject,
    Option,
    OrganisationFile,
    OrganisationSettings,
    PlanningRule,
    Question,
    QuestionType,
    RuleOverride,
    ShortStr,
    Subject,
    TemplateSource,
    Text,
    TimeZoneName,
    Url,
    Webhook,
    Week,
)

__all__ = [
    "CHOICE_TYPES",
    "DEFAULT_BOUNDS",
    "TEXT_TYPES",
    "WEEKDAYS",
    "Address",
    "Agent",
    "Block",
    "Bots",
    "Bounds",
    "Calendar",
    "CalendarTemplate",
    "CalendarTemplateKey",
    "Category",
    "ClockTime",
    "ConfigError",
    "DayTemplate",
    "EmailTemplate",
    "ExternalId",
    "Geo",
    "Id",
    "Issue",
    "Language",
    "LoadedOrganisation",
    "LongStr",
    "LongText",
    "Notifications",
    "Office",
    "OfficeSubject",
    "Option",
    "OrganisationFile",
    "OrganisationSettings",
    "PlanningRule",
    "Question",
    "QuestionType",
    "RuleOverride",
    "ShortStr",
    "Subject",
    "TemplateSource",
    "Text",
    "TimeZoneName",
    "Url",
    "Webhook",
    "Week",
    "bookable_combinations",
    "load",
    "load_bytes",
    "loads",
    "summary",
]
