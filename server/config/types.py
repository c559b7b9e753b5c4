"""The organisation file's shape (SPEC 3): frozen Structs, with the constraints in the types.

Decoding into these Structs checks each value on its own (patterns, ranges, lengths);
what needs more than one value is checked in `server.config.checks`. Import them from
`server.config`, which re-exports them.

Keys beyond the example in SPEC 3 (full reference: docs/organisation-file.md):

    [organisation]
    hold_minutes = 7                 # 1..60: how long a hold keeps a slot
    manage_days_after = 30           # 0..3650: manage links stay valid this many days
                                     #   after the appointment
    video_url_template = "https://meet.example/r/{appointment_id}"   # optional; the
                                     #   bare {appointment_id} is its only placeholder
    logo = "https://www.example.com/logo.svg"   # optional; shown on /book
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
"""

import datetime
from typing import Annotated, Final, Literal

import msgspec

from server.deliveries.kinds import EmailKind, WebhookEvent
from server.vocabulary import (
    COUNTRY_PATTERN,
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    ID_PATTERN,
    LANGUAGE_PATTERN,
    TIME_PATTERN,
    MeetingType,
)

Id = Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
Email = Annotated[str, msgspec.Meta(pattern=EMAIL_PATTERN, max_length=EMAIL_MAX_LENGTH)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Language = Annotated[str, msgspec.Meta(pattern=LANGUAGE_PATTERN)]
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
    #: Optional: an http(s) URL of the organisation's logo, shown on the hosted page /book.
    logo: Url | None = None
    # Deliveries (SPEC 10): see the block "Deliveries" at the end of this module.
    notifications: "Notifications | None" = None
    email_templates: "dict[Language, dict[EmailKind, EmailTemplate]]" = {}
    # Agents' own calendars (SPEC 12): see the block "Agents' calendars" at the end.
    calendar_max_stale_hours: "StaleHours" = 24
    # Hold squatting and bots (docs/bots.md): see the block "Bots" at the end.
    bots: "Bots" = msgspec.field(default_factory=lambda: Bots())


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
    #: The desk (SPEC 11): agents who see and act on every appointment of this office.
    managers: tuple[Id, ...] = ()


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
    email: (
        Annotated[str, msgspec.Meta(pattern=EMAIL_PATTERN, max_length=EMAIL_MAX_LENGTH)] | None
    ) = None
    function: Text | None = None
    languages: tuple[Language, ...] = ()
    active: bool = True
    online_planning: bool = True
    offices: tuple[Id, ...] = ()
    expertise: tuple[Id, ...] = ()
    week: Week = Week()
    days: tuple[DayTemplate, ...] = ()
    # Agents' own calendars (SPEC 12): see the block "Agents' calendars" at the end.
    calendar: "Calendar | None" = None


class OrganisationFile(_Base, frozen=True):
    """The whole organisation file."""

    organisation: OrganisationSettings
    categories: tuple[Category, ...] = ()
    subjects: tuple[Subject, ...] = ()
    offices: tuple[Office, ...] = ()
    agents: tuple[Agent, ...] = ()
    webhooks: "tuple[Webhook, ...]" = ()


#: The arrays of tables in the file, each with the Struct of one item.
SECTIONS: Final[dict[str, type[_Base]]] = {
    "categories": Category,
    "subjects": Subject,
    "offices": Office,
    "agents": Agent,
}


# -- Deliveries (SPEC 10) --------------------------------------------------------------
#
#     [organisation.notifications]
#     from = "Demo Bank <appointments@demobank.example>"   # required in the table
#     reply_to = "service@demobank.example"                # optional
#     customer_reminders = [1440, 120]                     # minutes before the start
#     agent_reminders = []
#     [organisation.email_templates.<lang>.<kind>]  subject, text, html
#     [[webhooks]]  id, url, events (default all), secret_env
#
# Without [organisation.notifications] no e-mail is written at all (webhooks work
# without it). Checks that need more than one value: `server.config.delivery_checks`.

#: Minutes before the start; at most a handful, up to 30 days ahead.
ReminderMinutes = Annotated[
    tuple[Annotated[int, msgspec.Meta(ge=1, le=43200)], ...], msgspec.Meta(max_length=5)
]
MailboxStr = Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
ENV_NAME_PATTERN: Final = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
EnvName = Annotated[str, msgspec.Meta(pattern=ENV_NAME_PATTERN)]


class Notifications(_Base, frozen=True):
    from_: MailboxStr = msgspec.field(name="from")
    reply_to: MailboxStr | None = None
    customer_reminders: ReminderMinutes = (1440,)
    agent_reminders: ReminderMinutes = ()


class EmailTemplate(_Base, frozen=True):
    subject: TemplateSource | None = None
    text: TemplateSource | None = None
    html: TemplateSource | None = None


class Webhook(_Base, frozen=True):
    id: Id
    url: Url
    secret_env: EnvName
    events: tuple[WebhookEvent, ...] | None = None  # None: every event


# -- Agents' calendars (SPEC 12) ---------------------------------------------------------
#
#     [organisation]
#     calendar_max_stale_hours = 24        # 0..720: how long the last good busy time of a
#                                          #   calendar that cannot be read is still used
#     [agents.calendar]
#     kind = "ics"                         # or "caldav"
#     url = "https://..." | url_env = "ALICE_CALENDAR_URL"   # exactly one of them
#     username = "alice"                   # caldav only, with password_env
#     password_env = "ALICE_DAV_PASSWORD"  # caldav only
#     write = true                         # caldav only (default true): copy appointments in
#
# Secrets (a feed's address, a password) are read from the environment; whether the
# variables are set is checked by `server.calendars.links.secret_problems` (at start and
# in `rendezvous check`). Checks that need more than one value:
# `server.config.calendar_checks`.

StaleHours = Annotated[int, msgspec.Meta(ge=0, le=720)]
CalendarKind = Literal["ics", "caldav"]


class Calendar(_Base, frozen=True):
    kind: CalendarKind
    url: Url | None = None
    url_env: EnvName | None = None
    username: ShortStr | None = None
    password_env: EnvName | None = None
    write: bool | None = None  # caldav: None means true


# -- Bots (docs/bots.md) -----------------------------------------------------------------
#
#     [organisation.bots]
#     holds_per_client = 2        # 1..50 live holds one client keeps; a new one releases
#                                 #   its oldest
#     challenge = "auto"          # "off" | "auto" | "always": a proof of work (ALTCHA) for
#                                 #   holds and bookings; "auto": only for a client that
#     challenge_after = 30        # 1..10000 placed this many holds
#     challenge_window = 60       # 1..1440 in the last this many minutes
#     challenge_max_number = 100000   # 1000..10000000: the work (SHA-256 hashes at most)

ChallengeMode = Literal["off", "auto", "always"]


class Bots(_Base, frozen=True):
    holds_per_client: Annotated[int, msgspec.Meta(ge=1, le=50)] = 2
    challenge: ChallengeMode = "auto"
    challenge_after: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 30
    challenge_window: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 60
    challenge_max_number: Annotated[int, msgspec.Meta(ge=1000, le=10_000_000)] = 100_000
