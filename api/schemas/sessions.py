"""Matchmaking sessions (:mod:`api.sessions`): the JSON of :mod:`matcher.sessions.model`, with
the service's revision; the settings, participants, wishes, the agenda and its edits, the
exports' options and the outcomes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask_openapi3 import FileStorage
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from matcher.profiles import HOME_NETWORK
from matcher.sessions.exports import CSV_VIEWS
from matcher.sessions.model import (
    AGENDA_STATES,
    LANGUAGES,
    MEETING_STATUSES,
    OUTCOMES,
    PAIR_RULES,
    ROLES,
    WISH_LEVELS,
    Conflict,
)
from matcher.sessions.scheduler import METHODS

from .common import (
    _HHMM_TEXT,
    BREAK_PATTERN,
    HHMM_PATTERN,
    ID_PATTERN,
    NAME_PATTERN,
    TEXT_PATTERN,
    FileFormat,
    IsoDate,
    MemberId,
    MemberIdAlias,
    MemberIdStr,
    NetworkId,
    QueryInt,
    QueryModel,
    QueryRevision,
    TimeZoneName,
    _add_rule,
    field_error,
    json_int,
)

__all__ = [
    "AVAILABLE_PATTERN",
    "HHMM",
    "AgendaState",
    "ConflictKind",
    "MeetingOutcome",
    "PairRule",
    "SessionAddIn",
    "SessionAgenda",
    "SessionAgendaRow",
    "SessionBuildIn",
    "SessionBuildOut",
    "SessionCheckOut",
    "SessionConflict",
    "SessionCreate",
    "SessionCsvQuery",
    "SessionEditOut",
    "SessionFeedbackCounts",
    "SessionIcsQuery",
    "SessionIdStr",
    "SessionImportQuery",
    "SessionLanguage",
    "SessionLanguageQuery",
    "SessionList",
    "SessionListItem",
    "SessionListQuery",
    "SessionMeeting",
    "SessionMeetingRef",
    "SessionMemberPath",
    "SessionMoveIn",
    "SessionOut",
    "SessionOutcomeIn",
    "SessionOutcomesIn",
    "SessionOutcomesOut",
    "SessionParticipantAgenda",
    "SessionParticipantChange",
    "SessionParticipantIn",
    "SessionParticipantList",
    "SessionParticipantOut",
    "SessionPath",
    "SessionRevisionQuery",
    "SessionSlot",
    "SessionSuggestionsOut",
    "SessionSwapIn",
    "SessionUpload",
    "SessionVacancy",
    "SessionWish",
    "SessionWishIn",
    "SessionWishList",
    "SessionWishOut",
    "SessionWishPartner",
    "SessionWishPath",
    "SessionWishes",
    "SessionWithdrawn",
    "WishLevel",
]

SessionIdStr = Field(pattern=ID_PATTERN, description="A session id.")
WishLevel = Literal[WISH_LEVELS]
#: The languages of the reasons, the notes and the exports.
SessionLanguage = Literal[LANGUAGES]
AgendaState = Literal[AGENDA_STATES]
MeetingOutcome = Literal[OUTCOMES]
PairRule = Literal[tuple(PAIR_RULES)]
#: The kinds of a conflict: ``Conflict.KINDS``, in the document's order (``under_min`` last,
#: after ``withdrawn``, as :func:`~matcher.sessions.agenda.check_agenda` reports them).
ConflictKind = Literal[(*(kind for kind in Conflict.KINDS if kind != "under_min"), "under_min")]
_REVISION = Field(
    None,
    description="The session's revision you read last (GET answers it). When given and the "
    "session is at another revision, the change is refused with 409 and nothing changes.",
)


class SessionPath(BaseModel):
    session_id: str = Field(max_length=64)


class SessionMemberPath(BaseModel):
    session_id: str = Field(max_length=64)
    member_id: str = Field(max_length=64)


class SessionWishPath(BaseModel):
    session_id: str = Field(max_length=64)
    member_id: str = Field(max_length=64)
    partner_id: str = Field(max_length=64)


class SessionRevisionQuery(QueryModel):
    """The revision the caller read (optimistic concurrency)."""

    revision: QueryRevision | None = _REVISION


HHMM = Annotated[str, Field(pattern=HHMM_PATTERN)]


def _session_create_schema(schema: dict[str, Any], _model: Any = None) -> None:
    """State the rule of :meth:`SessionCreate._slots_or_day`: slots, or start and end."""
    _add_rule(
        schema,
        {
            "oneOf": [
                {
                    "required": ["slots"],
                    "properties": {
                        "slots": {"type": "array"},
                        "start": {"type": "null"},
                        "end": {"type": "null"},
                    },
                },
                {
                    "required": ["start", "end"],
                    "properties": {
                        "slots": {"type": "null"},
                        "start": {"type": "string"},
                        "end": {"type": "string"},
                    },
                },
            ]
        },
    )


class SessionCreate(BaseModel):
    """A new matchmaking session: give `slots` (start times), or `start` and `end` (and breaks).

    The slots follow each other without overlapping (a meeting lasts `meeting_minutes`) and end
    by midnight; the day from `start` to `end` holds at least one meeting: refused with 422
    naming the field otherwise (relations between fields that a JSON schema does not state).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_session_create_schema)

    name: str = Field(min_length=1, max_length=300, pattern=NAME_PATTERN)
    date: IsoDate
    timezone: TimeZoneName = Field("Europe/Kyiv", description="IANA zone.")
    place: str = Field("", max_length=300, pattern=TEXT_PATTERN)
    meeting_minutes: json_int(5, 240) = 25
    tables: json_int(1, 1000)
    slots: list[HHMM] | None = Field(
        None, min_length=1, max_length=100, description="Start time (HH:MM) of each slot, in order."
    )
    start: str | None = Field(None, pattern=HHMM_PATTERN, description="Start of the day, HH:MM.")
    end: str | None = Field(None, pattern=HHMM_PATTERN, description="End of the day, HH:MM.")
    breaks: list[Annotated[str, Field(pattern=BREAK_PATTERN)]] = Field(
        [], max_length=20, description="Breaks, HH:MM-HH:MM."
    )
    gap_minutes: json_int(0, 120) = Field(
        5, description="Minutes between slots made from start and end."
    )
    network: NetworkId | None = Field(
        None,
        description="The network whose managers run the session (default: the caller's; an "
        f"admin's: {HOME_NETWORK}).",
    )
    networks: list[NetworkId] = Field(
        [], max_length=100, description="Members of these networks may take part."
    )
    member_ids: list[MemberId] = Field(
        [],
        max_length=5000,
        description="These members may take part (with `networks`: either; both empty: anyone).",
    )
    pair_rules: list[PairRule] = Field([], max_length=2, description="Who may meet whom.")

    @model_validator(mode="after")
    def _slots_or_day(self) -> SessionCreate:
        if self.slots is not None and (self.start is not None or self.end is not None):
            message = "give the slots, or start and end, not both"
            given = [("slots", message, None)]
            given += [(f, message, getattr(self, f)) for f in ("start", "end") if getattr(self, f)]
            raise field_error(type(self), given)
        if self.slots is None and (self.start is None or self.end is None):
            missing = [f for f in ("start", "end") if getattr(self, f) is None]
            message = "give the slots (start times), or start and end of the day"
            raise field_error(type(self), [(f, message, None) for f in ["slots", *missing]])
        return self


class SessionSlot(BaseModel):
    slot: int
    start: str
    end: str


class SessionWithdrawn(BaseModel):
    """A participant that withdrew from the service after the agenda was published."""

    member_id: str
    name: str
    meetings: list[str] = Field(description="Its meetings still planned (ids).")


class SessionVacancy(BaseModel):
    """A slot where an erasure took a published meeting away, on the remaining side."""

    member_id: str
    slot: int
    table: int


class SessionOut(BaseModel):
    """A session: settings, state, revisions and counts (wishes and agenda are apart)."""

    session_id: str
    network: str
    name: str
    date: str
    place: str
    timezone: str
    meeting_minutes: int
    tables: int
    slots: list[SessionSlot]
    networks: list[str]
    member_ids: list[str]
    pair_rules: list[str]
    state: AgendaState
    revision: int = Field(description="Counts the stored changes (send it back with a change).")
    published_revision: int = Field(description="How many times the agenda was published.")
    published_at: str | None
    participants: int
    meetings: int
    meetings_requested: int
    meetings_accepted: int
    meetings_held: int
    last_build: dict[str, Any] | None = Field(
        description="The figures of the last build (managers only)."
    )
    owner_id: int | None
    created_at: str | None
    updated_at: str | None
    withdrawn: list[SessionWithdrawn] = Field(
        description="Participants that withdrew from the service after publication, kept "
        "(flagged) with the meetings still planned with them."
    )
    vacated: list[SessionVacancy] = Field(
        description="Slots where an erasure took a published meeting away."
    )


class SessionListItem(BaseModel):
    session_id: str
    network: str
    name: str
    date: str
    state: str
    revision: int
    participants: int
    meetings: int
    meetings_requested: int
    meetings_accepted: int
    meetings_held: int
    updated_at: str | None


class SessionList(BaseModel):
    items: list[SessionListItem]
    page: int
    per_page: int
    total: int


class SessionListQuery(QueryModel):
    """Filters and page of the session list (a network nobody runs sessions of lists none)."""

    network: NetworkId | None = None
    state: AgendaState | None = None
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    page: QueryInt = Field(1, ge=1, le=1_000_000)
    per_page: QueryInt = Field(50, ge=1, le=500)


_SLOT_ITEM = rf"(?:[0-9]{{1,4}}(?:-[0-9]{{1,4}})?|{_HHMM_TEXT}-{_HHMM_TEXT})"
AVAILABLE_PATTERN = rf"^[;, \t]*(?:all|\*|{_SLOT_ITEM}(?:[;, \t]+{_SLOT_ITEM})*)?[;, \t]*$"


class SessionParticipantIn(MemberIdAlias):
    """A live member who takes part (``member_id``, or ``id`` as in a participants file; an
    unknown one: 404), its availability and how many meetings it wants.

    The slots named exist in the session and `min_meetings` is at most `max_meetings`: refused
    with 422 naming the field otherwise (relations a JSON schema does not state).
    """

    model_config = ConfigDict(extra="forbid")

    member_id: str = MemberIdStr
    available: (
        Annotated[str, Field(max_length=1000, pattern=AVAILABLE_PATTERN)]
        | Annotated[list[json_int(1, 1000)], Field(max_length=1000)]
        | None
    ) = Field(
        None,
        description='Slots it can attend: "1-4;6", "10:00-12:00", "all", or slot numbers; '
        "empty: every slot.",
    )
    min_meetings: json_int(0, 1000) = 0
    max_meetings: json_int(0, 1000) | None = None
    role: Literal[ROLES] | None = Field(
        None, description="Side for the buyers_with_suppliers rule (default: from org_type)."
    )


class SessionParticipantOut(BaseModel):
    member_id: str
    name: str
    network: str
    org_type: str
    country: str
    role: str
    available: list[int]
    min_meetings: int
    max_meetings: int | None
    withdrawn: bool = Field(
        description="It left the service after the agenda was published: kept only to flag "
        "its meetings (it leaves the session when the agenda is reopened)."
    )
    meetings: int
    wishes: int


class SessionParticipantList(BaseModel):
    session_id: str
    revision: int
    items: list[SessionParticipantOut]


class SessionParticipantChange(BaseModel):
    """What a participant change did."""

    session_id: str
    revision: int
    added: int
    updated: int
    removed: int
    participants: int


class SessionImportQuery(QueryModel):
    format: FileFormat | None = Field(
        None, description="File format; read from the file name when not given."
    )
    revision: QueryRevision | None = _REVISION


class SessionUpload(BaseModel):
    """A participants file (multipart/form-data, field ``file``): .csv, .xlsx or .json."""

    file: FileStorage


class SessionSuggestionsOut(BaseModel):
    """What refreshing the engine's suggestions among the participants gave."""

    session_id: str
    revision: int
    participants: int = Field(description="Participants who got suggestions.")
    suggestions: int
    explained: int = Field(description="Wished or planned pairs explained beyond them.")
    not_in_model: list[str] = Field(
        description="Participants the active model was not trained on (no suggestions)."
    )


class SessionLanguageQuery(QueryModel):
    language: SessionLanguage = "en"


class SessionWishPartner(BaseModel):
    """A partner on a participant's wish list: the engine's view and both sides' wishes."""

    partner_id: str
    name: str
    network: str
    org_type: str
    country: str
    score: float | None = Field(description="The engine's score (0..1); null if not scored.")
    suggested: bool = Field(description="Among the engine's suggestions (else only wished).")
    reasons: list[str]
    level: WishLevel | None = Field(description="This participant's wish.")
    their_level: WishLevel | None = Field(description="The partner's wish.")


class SessionWishList(BaseModel):
    """A participant's suggestions among the participants, with reasons, and its wishes."""

    session_id: str
    revision: int
    member_id: str
    name: str
    stored: bool = Field(
        description="Suggestions as stored with the session (false: computed for this answer)."
    )
    partners: list[SessionWishPartner]


class SessionWish(BaseModel):
    member_id: str
    partner_id: str
    level: WishLevel


class SessionWishes(BaseModel):
    session_id: str
    revision: int
    items: list[SessionWish]


class SessionWishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal[(*WISH_LEVELS, "none")] = Field(
        description="must meet, would meet, no thanks (a veto), or none to clear."
    )


class SessionWishOut(BaseModel):
    session_id: str
    revision: int
    member_id: str
    partner_id: str
    level: WishLevel | None


#: The solver's methods a build may ask for: CP-SAT alone (no greedy fallback) is not offered.
_BUILD_METHODS = tuple(method for method in METHODS if method != "cp-sat")


class SessionBuildIn(BaseModel):
    """How to build the agenda (locked and held meetings stay where they are)."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float = Field(
        20.0,
        gt=0,
        le=60,
        strict=True,
        description="Seconds the solver may take (the answer waits for it).",
    )
    method: Literal[_BUILD_METHODS] = Field(
        "auto", description="auto: OR-Tools CP-SAT (greedy if it fails); greedy: greedy only."
    )
    include_suggested: StrictBool = Field(
        False, description="Also plan the engine's suggestions nobody marked (below any wish)."
    )
    refresh_suggestions: StrictBool = Field(
        True, description="First refresh the engine's suggestions among the participants."
    )
    confirm_drop: StrictBool = Field(
        True,
        description="Replace the agenda even if the new one plans markedly fewer meetings "
        "(below 90% of the current ones) or drops meetings a participant marked “must”; "
        "false: such a build is refused (409 naming the drop) and the current agenda stays.",
    )


class SessionBuildOut(BaseModel):
    """The figures of the build; the agenda is stored with the session."""

    session_id: str
    revision: int
    status: Literal["optimal", "feasible", "greedy"]
    solver: str
    objective: int
    best_bound: int | None
    gap: float | None
    wall_time: float
    meeting_value: int
    n_meetings: int
    n_candidates: int
    n_variables: int
    unmet_minimum: dict[str, int]
    without_meetings: list[str]
    bound_source: str | None
    fallback_reason: str | None
    suggestions_refreshed: bool


class SessionMeeting(BaseModel):
    meeting_id: str
    member_a: str
    member_b: str
    name_a: str
    name_b: str
    slot: int
    time: str
    table: int
    locked: bool
    status: Literal[MEETING_STATUSES]
    outcome: MeetingOutcome
    wish_a: WishLevel | None
    wish_b: WishLevel | None
    withdrawn: list[str] = Field(
        description="The sides that withdrew from the service after publication."
    )


class SessionAgenda(BaseModel):
    """The agenda: every meeting (a participant sees its own)."""

    session_id: str
    revision: int
    state: AgendaState
    meetings: list[SessionMeeting]
    vacated: list[SessionVacancy]


class SessionAgendaRow(BaseModel):
    slot: int
    time: str
    start: str
    end: str
    table: int | None
    partner_id: str | None
    partner: str
    network: str
    country: str
    your_wish: WishLevel | None
    their_wish: WishLevel | None
    reasons: list[str]
    # A slot without a meeting is free, or unavailable (the participant does not attend it).
    status: Literal[(*MEETING_STATUSES, "free", "unavailable")]
    outcome: MeetingOutcome | None
    locked: bool
    partner_withdrawn: bool = Field(description="The partner withdrew after publication.")
    partner_erased: bool = Field(description="An erasure took this slot's meeting away.")
    note: str = Field(description="What the participant should know of this slot.")


class SessionParticipantAgenda(BaseModel):
    """One participant's agenda: every slot, with its partner, table and reasons."""

    session_id: str
    revision: int
    state: AgendaState
    member_id: str
    name: str
    rows: list[SessionAgendaRow]


class SessionMeetingRef(BaseModel):
    """A meeting, named by its pair."""

    model_config = ConfigDict(extra="forbid")

    member_id: str = MemberIdStr
    partner_id: str = MemberIdStr


class SessionMoveIn(SessionMeetingRef):
    slot: json_int(1, 1000)
    table: json_int(1, 1000) | None = Field(
        None, description="Default: its own table if free, else the lowest free."
    )
    lock: StrictBool = Field(True, description="Lock the moved meeting (kept by the next build).")


class SessionSwapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: SessionMeetingRef
    second: SessionMeetingRef
    lock: StrictBool = True


class SessionAddIn(SessionMeetingRef):
    slot: json_int(1, 1000)
    table: json_int(1, 1000) | None = Field(None, description="Default: the lowest free one.")
    locked: StrictBool = True


class SessionConflict(BaseModel):
    kind: ConflictKind
    severity: Literal["error", "warning"]
    message: str
    member_ids: list[str]
    slot: int | None
    meetings: list[str]


class SessionEditOut(BaseModel):
    """What an edit changed, and the conflicts left (warnings; an edit never adds errors)."""

    session_id: str
    revision: int
    meetings: list[SessionMeeting]
    conflicts: list[SessionConflict]


class SessionCheckOut(BaseModel):
    session_id: str
    revision: int
    state: AgendaState
    errors: int
    warnings: int
    conflicts: list[SessionConflict]


class SessionCsvQuery(QueryModel):
    language: SessionLanguage = "en"
    view: Literal[CSV_VIEWS] = Field(
        "plan",
        description="plan: a row per meeting; agendas: a row per participant and meeting, "
        "with reasons; tables: a row per slot, a column per table.",
    )


class SessionIcsQuery(QueryModel):
    language: SessionLanguage = "en"
    member_id: str | None = Field(
        None,
        pattern=ID_PATTERN,
        description="One participant's calendar (text/calendar); without it a zip of all.",
    )


def _document_outcome(schema: dict[str, Any], _model: Any = None) -> None:
    """State the rule of :meth:`SessionOutcomeIn._outcome_of_held`."""
    _add_rule(
        schema,
        {
            "anyOf": [
                {"properties": {"held": {"const": True}}},
                {"not": {"required": ["outcome"]}},
                {"properties": {"outcome": {"const": "none"}}},
            ]
        },
    )


class SessionOutcomeIn(SessionMeetingRef):
    """Whether a meeting took place and, if it did, what came of it."""

    model_config = ConfigDict(json_schema_extra=_document_outcome)

    held: StrictBool = Field(description="Whether the meeting took place.")
    outcome: MeetingOutcome = Field(
        "none", description="Only for a held meeting (one that was not held has none)."
    )

    @model_validator(mode="after")
    def _outcome_of_held(self) -> SessionOutcomeIn:
        if not self.held and self.outcome != "none":
            message = "a meeting that did not take place has no outcome"
            raise field_error(type(self), [("outcome", message, self.outcome)])
        return self


class SessionOutcomesIn(BaseModel):
    """Outcomes after the day, all applied or none."""

    model_config = ConfigDict(extra="forbid")

    outcomes: list[SessionOutcomeIn] = Field(min_length=1, max_length=10_000)


class SessionFeedbackCounts(BaseModel):
    written: int = Field(description="Feedback events written (meeting or deal, per side).")
    removed: int = Field(description="Earlier events of these meetings that no longer hold.")
    skipped: int = Field(description="Pairs with a withdrawn member (no feedback).")


class SessionOutcomesOut(BaseModel):
    session_id: str
    revision: int
    meetings: list[SessionMeeting]
    feedback: SessionFeedbackCounts
