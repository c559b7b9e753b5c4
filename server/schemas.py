"""The HTTP API's bodies: request and response Structs (SPEC 5).

Handlers decode requests with these types and encode responses with them; the
OpenAPI description is generated from the same types, so the two cannot drift.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from server import errors, vocabulary
from server.vocabulary import MeetingType

_T = TypeVar("_T")

Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=vocabulary.REFERENCE_PATTERN)]
Token = Annotated[str, Meta(min_length=1, max_length=2048)]
ShortText = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=4000)]
Email = Annotated[
    str,
    Meta(
        min_length=3,
        max_length=vocabulary.EMAIL_MAX_LENGTH,
        pattern=vocabulary.EMAIL_PATTERN,
        description="An e-mail address",
    ),
]
Phone = Annotated[
    str,
    Meta(
        min_length=vocabulary.PHONE_MIN_LENGTH,
        max_length=vocabulary.PHONE_MAX_LENGTH,
        pattern=vocabulary.PHONE_PATTERN,
        description="A phone number, digits with optional +, spaces, dots, dashes",
    ),
]
Language = Annotated[str, Meta(min_length=2, max_length=12, pattern=vocabulary.LANGUAGE_PATTERN)]
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64, description="An IANA time zone")]
AnswerValue = (
    Annotated[str, Meta(max_length=4000)]
    | float
    | Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=50)]
)
#: Metadata is a flat table of scalars (a campaign, a referrer): nothing nests, so a
#: body cannot be deep, and what is stored is what a CRM export can show.
MetadataValue = Annotated[str, Meta(max_length=500)] | int | float | bool | None
#: The duration of the slot the customer was shown (`SlotOut.duration`): only candidates
#: that give exactly this duration are considered. Left out: the duration the slots
#: answer offers for that start (the shortest when offices' rules differ).
#: The answer to a proof-of-work challenge (docs/bots.md): what ALTCHA widgets send.
ChallengeAnswer = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=2000,
        description=(
            "The answer to a challenge of GET /api/v1/challenge (ALTCHA: base64 of the JSON "
            "{algorithm, challenge, number, salt, signature}); needed when the server asks "
            "for one (CHALLENGE_REQUIRED), used once"
        ),
    ),
]
#: A field people never see in the forms (docs/bots.md): filled, the booking is refused.
Honeypot = Annotated[
    str, Meta(max_length=200, description="Leave out or empty (a field for robots only)")
]
SlotDuration = Annotated[
    int,
    Meta(
        ge=1,
        le=1440,
        description="Minutes, as the slot's `duration` in GET /api/v1/slots showed it",
    ),
]
Metadata = Annotated[
    dict[Annotated[str, Meta(max_length=64)], MetadataValue],
    Meta(
        max_length=50,
        description="At most 50 keys of at most 64 characters; values are text (at most 500"
        " characters), numbers, booleans or null",
    ),
]


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are errors."""


class Out(Struct, kw_only=True):
    """Base of response bodies."""


# --- catalog ---------------------------------------------------------------------


class QuestionOption(Out):
    id: str
    label: str


class Question(Out):
    id: str
    type: Literal["short_text", "long_text", "number", "select", "multi_select"]
    required: bool
    label: str
    options: list[QuestionOption] = []
    min: float | None = None
    max: float | None = None
    max_length: int | None = None


class SubjectOut(Out):
    id: str
    external_id: str | None
    name: str
    description: str | None
    meeting_types: list[MeetingType]
    questions: list[Question]


class CategoryOut(Out):
    id: str
    name: str
    order: int
    image: str | None
    subjects: list[SubjectOut]


class SubjectsResponse(Out, omit_defaults=True):
    categories: list[CategoryOut]
    #: Only in an empty answer: why nothing is listed, a reason code of SPEC 4 (the
    #: condition nearest to bookable among what the query asks for), CALENDAR_UNAVAILABLE
    #: when only agents whose own calendar cannot be read would serve it (SPEC 12), or
    #: NO_SUBJECTS / NO_OFFICES when the organisation file has none (`catalog.why_empty`).
    reason: str | None = None


class MeetingTypeOut(Out):
    id: MeetingType
    name: str


class MeetingTypesResponse(Out, omit_defaults=True):
    meeting_types: list[MeetingTypeOut]
    #: Only in an empty answer: why nothing is listed, a reason code of SPEC 4 (the
    #: condition nearest to bookable among what the query asks for), or NO_SUBJECTS /
    #: NO_OFFICES when the organisation file has none (`catalog.why_empty`).
    reason: str | None = None


class Address(Body):
    street: Annotated[str, Meta(min_length=1, max_length=200)]
    postal_code: Annotated[str, Meta(min_length=1, max_length=20)]
    city: Annotated[str, Meta(min_length=1, max_length=100)]
    country: Annotated[
        str, Meta(pattern=vocabulary.COUNTRY_PATTERN, description="ISO 3166-1 alpha-2")
    ]


class Geo(Out):
    lat: float
    lon: float


class OfficeOut(Out):
    id: str
    external_id: str | None
    name: str
    description: str | None
    address: Address
    geo: Geo | None
    distance_km: float | None
    timezone: str


class OfficesResponse(Out, omit_defaults=True):
    offices: list[OfficeOut]
    #: Only in an empty answer: why nothing is listed, a reason code of SPEC 4 (the
    #: condition nearest to bookable among what the query asks for), or NO_SUBJECTS /
    #: NO_OFFICES when the organisation file has none (`catalog.why_empty`).
    reason: str | None = None


class AgentOut(Out):
    id: str
    external_id: str | None
    name: str
    function: str | None
    languages: list[str]


class AgentsResponse(Out):
    agents: list[AgentOut]


class OrganisationResponse(Out):
    """GET /api/v1/organisation (an extension of SPEC 5): what the widget needs to know
    about the organisation before its first step."""

    name: str
    languages: Annotated[
        list[str], Meta(description="The languages its texts are in; the first is the default")
    ]
    timezone: str
    country: Annotated[
        str | None,
        Meta(
            description="ISO 3166-1 alpha-2: where most of its active offices are "
            "(a customer's address defaults to it); null without active offices"
        ),
    ]


# --- slots and holds -------------------------------------------------------------


class SlotOut(Out):
    start: str
    end: str
    duration: Annotated[
        int, Meta(description="Minutes from start to end, what booking the start gives")
    ]


class SlotsResponse(Out):
    timezone: str
    slots: list[SlotOut]


class HoldRequest(Body):
    subject: Id
    meeting_type: MeetingType
    start: Annotated[str, Meta(max_length=40, description="ISO 8601 with offset")]
    office: Id | None = None
    agent: Id | None = None
    invite: Token | None = None
    duration: SlotDuration | None = None
    altcha: ChallengeAnswer | None = None


class ChallengeResponse(Out):
    """A proof-of-work challenge of the ALTCHA protocol (v1; docs/bots.md): find the
    `number` (0..maxNumber) with SHA-256(salt + number) = challenge, in hex, and send
    base64 of the JSON {algorithm, challenge, number, salt, signature} as `altcha`."""

    algorithm: str
    challenge: str
    max_number: int = msgspec.field(name="maxNumber")
    #: The same, as the ALTCHA widget's older versions spell it.
    maxnumber: int
    salt: str
    signature: str


class HoldResponse(Out):
    hold: str
    expires_at: str


# --- appointments ----------------------------------------------------------------


class Customer(Body):
    first_name: Annotated[str, Meta(min_length=1, max_length=100)]
    last_name: Annotated[str, Meta(min_length=1, max_length=100)]
    email: Email
    phone: Phone | None = None
    language: Language | None = None
    timezone: TimeZoneName | None = None


class AppointmentRequest(Body):
    subject: Id
    meeting_type: MeetingType
    start: Annotated[str, Meta(max_length=40, description="ISO 8601 with offset")]
    customer: Customer
    office: Id | None = None
    agent: Id | None = None
    hold: Token | None = None
    invite: Token | None = None
    location: Address | None = None
    answers: Annotated[dict[Id, AnswerValue], Meta(max_length=50)] = {}
    metadata: Metadata = {}
    duration: SlotDuration | None = None
    altcha: ChallengeAnswer | None = None
    website: Honeypot | None = None


class RescheduleRequest(Body):
    start: Annotated[str, Meta(max_length=40, description="ISO 8601 with offset")]
    hold: Token | None = None
    duration: SlotDuration | None = None


class NamedRef(Out):
    id: str
    name: str


class OfficeRef(Out):
    id: str
    name: str
    address: Address


class AgentRef(Out):
    id: str
    name: str
    function: str | None


class AppointmentOut(Out):
    id: str
    status: Literal["confirmed", "requested", "cancelled", "declined"]
    start: str
    end: str
    timezone: str
    sequence: int
    subject: NamedRef
    meeting_type: MeetingType
    office: OfficeRef | None
    agent: AgentRef
    customer: Customer
    location: Address | None
    answers: dict[str, AnswerValue]
    video_url: str | None


class Links(Out):
    manage: str
    ics: str
    google: str
    outlook: str


class AppointmentResponse(Out):
    appointment: AppointmentOut
    links: Links


# --- invites ---------------------------------------------------------------------


class CustomerPrefill(Out):
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class InviteResponse(Out):
    agent: AgentRef
    subject: str | None
    meeting_type: MeetingType | None
    office: str | None
    customer: CustomerPrefill
    single_use: bool
    expires_at: str


def decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


def decode_body(decoder: msgspec.json.Decoder[_T], raw: bytes) -> _T:
    """A request body, decoded once at the edge; VALIDATION_FAILED at the path of what is
    wrong. JSON nested deeper than Python's recursion limit is refused at `$` (msgspec
    raises RecursionError, which would otherwise be a 500)."""
    try:
        return decoder.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise errors.from_msgspec(exc) from exc
    except RecursionError as exc:
        raise errors.ValidationFailed.at("$", "the JSON is nested too deeply") from exc


# --- query strings (GET routes) --------------------------------------------------
# Converted with `msgspec.convert(params, T, strict=False)`; unknown parameters are
# ignored (cache busters), errors are reported at `$.query.<name>`.

IdOrExternal = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=140,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description='An id, or "ext:" followed by an external id',
    ),
]
QueryLanguage = Annotated[
    str, Meta(max_length=35, description="Wanted language; unknown ones fall back")
]
AgentFilter = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=140,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description='Only what this agent can serve: an id, or "ext:" followed by an external id',
    ),
]
InviteToken = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=2048,
        description="An agent's invite token: only what the invite allows; its subject"
        " counts even when hidden from customers",
    ),
]
Near = Annotated[
    str,
    Meta(
        max_length=64,
        pattern=r"^\s*-?[0-9]{1,3}(\.[0-9]+)?\s*,\s*-?[0-9]{1,3}(\.[0-9]+)?\s*$",
        description="LAT,LON in decimal degrees",
    ),
]


class Query(Struct, kw_only=True, frozen=True):
    """Base of query strings."""


class SubjectsQuery(Query, frozen=True):
    lang: QueryLanguage | None = None
    office: IdOrExternal | None = None
    meeting_type: MeetingType | None = None
    agent: AgentFilter | None = None
    invite: InviteToken | None = None


class MeetingTypesQuery(Query, frozen=True):
    subject: IdOrExternal | None = None
    office: IdOrExternal | None = None
    lang: QueryLanguage | None = None
    agent: AgentFilter | None = None
    invite: InviteToken | None = None


class OfficesQuery(Query, frozen=True):
    subject: IdOrExternal | None = None
    meeting_type: MeetingType | None = None
    lang: QueryLanguage | None = None
    near: Near | None = None
    agent: AgentFilter | None = None
    invite: InviteToken | None = None


class AgentsQuery(Query, frozen=True):
    subject: IdOrExternal | None = None
    meeting_type: MeetingType | None = None
    office: IdOrExternal | None = None
    lang: QueryLanguage | None = None
    invite: InviteToken | None = None


class OrganisationQuery(Query, frozen=True):
    lang: QueryLanguage | None = None


_UNLESS_INVITE = "Required unless `invite` names it (VALIDATION_FAILED when missing)."


class SlotsQuery(Query, frozen=True, rename={"first_day": "from", "last_day": "to"}):
    first_day: Annotated[datetime.date, Meta(description="First local date, YYYY-MM-DD")]
    last_day: Annotated[datetime.date, Meta(description="Last local date (included)")]
    subject: Annotated[IdOrExternal, Meta(description=_UNLESS_INVITE)] | None = None
    meeting_type: Annotated[MeetingType, Meta(description=_UNLESS_INVITE)] | None = None
    office: IdOrExternal | None = None
    agent: IdOrExternal | None = None
    invite: Token | None = None
    tz: TimeZoneName | None = None


class AppointmentSlotsQuery(Query, frozen=True, rename={"first_day": "from", "last_day": "to"}):
    """The free times to move one appointment to (GET /api/v1/appointments/{token}/slots)."""

    first_day: Annotated[datetime.date, Meta(description="First local date, YYYY-MM-DD")]
    last_day: Annotated[datetime.date, Meta(description="Last local date (included)")]
    tz: TimeZoneName | None = None  # default: the appointment's
