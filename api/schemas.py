"""Request and response schemas (pydantic v2); they make the OpenAPI document."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

MemberIdStr = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="A member id.")
TagList = list[str]


def _file_alias(model: type[BaseModel], data: Any, field: str, alias: str) -> Any:
    """Read the file format's name `alias` of `field` (``id`` for ``member_id``).

    Both given, they must agree: otherwise a validation error names both fields.
    """
    if not isinstance(data, dict) or alias not in data:
        return data
    data = dict(data)
    value = data.pop(alias)
    if field not in data:
        data[field] = value
    elif data[field] != value:
        message = f"{field} {data[field]!r} and {alias} {value!r} differ; give one of them"
        error = PydanticCustomError("alias_conflict", message)
        raise ValidationError.from_exception_data(
            model.__name__,
            [
                {"type": error, "loc": (field,), "input": data[field]},
                {"type": error, "loc": (alias,), "input": value},
            ],
        )
    return data


def _document_alias(schema: dict[str, Any], field: str, alias: str) -> None:
    """Document `alias` beside `field` in a JSON schema: either one is required."""
    properties = schema.get("properties", {})
    if field not in properties:
        return
    properties[alias] = {
        **properties[field],
        "title": alias.replace("_", " ").title(),
        "description": f"The file format's name of `{field}` (give one of them).",
    }
    required = schema.get("required", [])
    if field in required:
        required.remove(field)
        if not required:
            schema.pop("required")
        schema["anyOf"] = [{"required": [field]}, {"required": [alias]}]


class MemberIdAlias(BaseModel):
    """A body naming a member: ``member_id``, or ``id`` as in the profile file format."""

    model_config = ConfigDict(
        json_schema_extra=lambda schema, _model: _document_alias(schema, "member_id", "id")
    )

    @model_validator(mode="before")
    @classmethod
    def _read_file_id(cls, data: Any) -> Any:
        return _file_alias(cls, data, "member_id", "id")


class Contact(BaseModel):
    """Private contact details."""

    model_config = ConfigDict(extra="forbid")

    person: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(None, max_length=64)


class ProfileFields(BaseModel):
    """Profile fields of the file format (tags from the taxonomy; see formats.md)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    network: str = Field(min_length=1, max_length=64)
    country: str = Field(min_length=2, max_length=60, description="ISO 3166 code or name.")
    org_type: str = Field(min_length=1, max_length=64)
    city: str = Field("", max_length=200)
    nace: TagList = []
    offers: TagList = []
    seeks: TagList = []
    products: TagList = []
    markets_present: TagList = []
    markets_target: TagList = []
    market_presence: str = Field(
        "", description="local, national, regional or international; derived when empty."
    )
    partnership_types: TagList = []
    certifications: TagList = []
    employees: int | None = Field(None, ge=0, le=10_000_000)
    capacity_units_month: int | None = Field(None, ge=0, le=1_000_000_000)
    min_order_qty: int | None = Field(None, ge=0, le=1_000_000_000)
    languages: TagList = []
    description: str = Field("", max_length=20_000)


class MemberCreate(MemberIdAlias, ProfileFields):
    """A new member: its id (``member_id``, or ``id`` as in the profile file format), profile
    and (private) contact details."""

    member_id: str = MemberIdStr
    contact: Contact | None = None


class MemberUpdate(BaseModel):
    """Fields to change (any subset); lists replace the stored list."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=300)
    network: str | None = Field(None, min_length=1, max_length=64)
    country: str | None = Field(None, min_length=2, max_length=60)
    org_type: str | None = Field(None, min_length=1, max_length=64)
    city: str | None = Field(None, max_length=200)
    nace: TagList | None = None
    offers: TagList | None = None
    seeks: TagList | None = None
    products: TagList | None = None
    markets_present: TagList | None = None
    markets_target: TagList | None = None
    market_presence: str | None = None
    partnership_types: TagList | None = None
    certifications: TagList | None = None
    employees: int | None = Field(None, ge=0, le=10_000_000)
    capacity_units_month: int | None = Field(None, ge=0, le=1_000_000_000)
    min_order_qty: int | None = Field(None, ge=0, le=1_000_000_000)
    languages: TagList | None = None
    description: str | None = Field(None, max_length=20_000)
    contact: Contact | None = None


#: The response header naming the member's revision (optimistic concurrency, see api.members).
ETAG_HEADER = {
    "ETag": {
        "description": 'The member\'s revision as a strong entity tag (`"3"`): send it back as '
        "`If-Match` with a change.",
        "required": True,
        "schema": {"type": "string"},
    }
}


class MemberOut(BaseModel):
    """A member: the public profile, plus ``contact`` when the caller may see it."""

    # flask-openapi3 documents these headers on every response of this model (one member).
    model_config = ConfigDict(openapi_extra={"headers": ETAG_HEADER})

    member_id: str
    name: str
    network: str
    country: str
    org_type: str
    city: str
    nace: list[str]
    offers: list[str]
    seeks: list[str]
    products: list[str]
    markets_present: list[str]
    markets_target: list[str]
    market_presence: str
    partnership_types: list[str]
    certifications: list[str]
    employees: int | None
    capacity_units_month: int | None
    min_order_qty: int | None
    languages: list[str]
    description: str
    market_presence_derived: bool
    potential: float
    potential_tier: str
    revision: int = Field(
        description="Counts the stored changes of the member (its ETag names it): send it back "
        "with a change, as `If-Match` or `?revision=`."
    )
    contact: Contact | None = None


class MemberPage(BaseModel):
    """One page of members."""

    items: list[MemberOut]
    page: int
    per_page: int
    total: int


class MemberPath(BaseModel):
    member_id: str = Field(max_length=64)


class MemberQuery(BaseModel):
    """Filters and page of the member list."""

    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(50, ge=1, le=500)
    network: str | None = Field(None, max_length=64)
    org_type: str | None = Field(
        None, max_length=64, description="A type of activity: an id, a synonym or a label."
    )
    country: str | None = Field(
        None, max_length=60, description="An ISO 3166-1 alpha-2 code, in any case."
    )
    capability: str | None = Field(None, max_length=64, description="An offered capability tag.")


_MEMBER_REVISION = Field(
    None,
    ge=1,
    le=2_000_000_000,
    description="The member's revision you read (its `revision`; as the sessions take it). When "
    "the member is at another revision, the change is refused with 409 and the current version, "
    "and nothing changes. `If-Match` says the same in HTTP's words (412).",
)


class MemberRevisionQuery(BaseModel):
    """The revision a member's change is based on (optimistic concurrency)."""

    model_config = ConfigDict(extra="forbid")

    revision: int | None = _MEMBER_REVISION


class MemberIfMatch(BaseModel):
    """The ``If-Match`` request header of a member's change (RFC 9110 section 13.1.1).

    Other request headers (Authorization, ...) pass through: they are not this model's to
    refuse.
    """

    if_match: str | None = Field(
        None,
        alias="If-Match",
        max_length=1000,
        description='The ETag of the member you read (`"3"`; `*`: any version). When the member '
        "is at another revision, the change is refused with 412 and the current version, and "
        "nothing changes. Without it (and without `revision`), the change applies to the member "
        "as it is at that moment: the fields you send replace the stored ones, the others stay.",
    )


class DeleteQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    erase: bool = Field(
        False,
        description="Also erase the member's data, links and feedback "
        "(GDPR erasure); otherwise it is withdrawn (hidden at once).",
    )
    revision: int | None = _MEMBER_REVISION


class CachedSchemaModel(BaseModel):
    """A model whose JSON schema is computed once.

    flask-openapi3 reads the query model's JSON schema on every request to find list
    parameters; generating it costs about 2 ms, more than the rest of a cached suggestion.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        key = (cls, args, tuple(sorted(kwargs.items())))
        if key not in _SCHEMAS:
            _SCHEMAS[key] = super().model_json_schema(*args, **kwargs)
        if not args and not kwargs:
            # The per-request call (flask-openapi3 reads the properties, never changes them):
            # the shared schema itself, without a deep copy per request.
            return _SCHEMAS[key]
        return copy.deepcopy(_SCHEMAS[key])


_SCHEMAS: dict[tuple, dict[str, Any]] = {}


class SuggestionOptions(BaseModel):
    """Options of a suggestion request, shared by the query string and the prospect's body."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(10, ge=1, le=100)
    scope: Literal["all", "cluster", "international"] = "all"
    country: list[str] = Field([], max_length=50)
    org_type: list[str] = Field([], max_length=50)
    partnership_type: list[str] = Field([], max_length=50)
    language: Literal["en", "uk"] = "en"


class SuggestionQuery(CachedSchemaModel, SuggestionOptions):
    """Options of a suggestion request."""


class SuggestionOut(BaseModel):
    """One suggested partner (``Suggestion.to_dict()``)."""

    partner_id: str
    name: str
    network: str
    country: str
    score: float
    reasons: list[str]
    details: dict[str, Any]


class SuggestionsOut(BaseModel):
    """The shape of ``matcher recommend --format json``."""

    member: str
    suggestions: list[SuggestionOut]


class ProspectRequest(SuggestionOptions):
    """A profile that is not stored (a prospective member) and the suggestion options."""

    profile: MemberCreate


class FeedbackIn(BaseModel):
    """What the member did with a suggested partner."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str = MemberIdStr
    event: Literal["shown", "accepted", "declined", "meeting", "deal"]
    note: str = Field("", max_length=2000)


class FeedbackOut(BaseModel):
    event_id: int
    member_id: str
    partner_id: str
    event: str
    note: str
    created_at: str


class FeedbackList(BaseModel):
    items: list[FeedbackOut]


class ModelOut(BaseModel):
    """A model version with its manifest (evaluation figures included when computed)."""

    version_id: int
    name: str | None
    status: str
    active: bool
    error: str | None
    created_at: str
    finished_at: str | None
    manifest: dict[str, Any] | None


class ModelList(BaseModel):
    items: list[ModelOut]
    serving: int | None = Field(description="The version this worker serves.")


class ModelPath(BaseModel):
    version_id: int = Field(ge=1, le=2_000_000_000)


class RetrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activate: bool = Field(
        True, description="Activate the new version once it is trained and checked."
    )


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "xlsx", "json"] | None = Field(
        None, description="File format; read from the file name when not given."
    )


class ImportOut(BaseModel):
    """What an import changed."""

    created: int
    updated: int
    unchanged: int


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "xlsx", "json"] = "csv"


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    """Readiness. ``degraded``: the active version's artifact does not load in this worker,
    and `model` (an older version) serves instead; `detail` says why."""

    status: Literal["ready", "degraded"]
    database: bool
    model: int | None = Field(description="The version this worker serves.")
    active_model: int | None = Field(None, description="The version activated in the database.")
    detail: str = ""


# ---------------------------------------------------------------------------------------------
# Cluster insights: the JSON of matcher.insights.ClusterInsights.to_dict()
# ---------------------------------------------------------------------------------------------

#: A text in every language of the insights: ``{"en": ..., "uk": ...}``.
Labels = dict[str, str]

_INSIGHTS_NETWORK = Field(
    None,
    max_length=64,
    description="The home cluster. A manager sees its own network (the default; naming another "
    "is 403); an admin may name any network (default: kharkiv-fashion-cluster).",
)


class InsightsQuery(BaseModel):
    """Which network the insights are about."""

    model_config = ConfigDict(extra="forbid")

    network: str | None = _INSIGHTS_NETWORK


class InsightsReportQuery(InsightsQuery):
    """The network and the language of the HTML report."""

    language: Literal["uk", "en", "both"] = Field(
        "both", description="Ukrainian, English, or a section in each (Ukrainian first)."
    )


class InsightsSummary(BaseModel):
    """The headline figures (``ClusterInsights.summary()``)."""

    home_network: str
    profiles: int = Field(description="Live profiles of every network.")
    networks: int
    links: int = Field(description="Known links between live members.")
    members: int = Field(description="Live members of the home cluster.")
    capabilities_sought: int
    gaps: int = Field(description="Capabilities sought at home and offered by no home member.")
    top_gaps: list[str]
    shortages: int
    surpluses: int
    target_markets: int
    markets_without_partner: list[str]
    components: int
    unpartnered_members: int
    model: str | None = Field(description="The kind of the engine's model (gbt, logistic, ...).")


class TierCount(BaseModel):
    tier: str
    label: Labels
    members: int


class OrgTypeGradation(BaseModel):
    """One type of activity: members per market presence tier and per potential tier."""

    org_type: str
    label: Labels
    members: int
    market_presence: dict[str, int]
    potential_tier: dict[str, int]
    mean_potential: float | None


class GradationOut(BaseModel):
    """Members by type of activity, market presence and potential."""

    home_network: str
    members: int
    mean_potential: float | None
    market_presence: list[TierCount]
    potential_tier: list[TierCount]
    org_types: list[OrgTypeGradation]


class CapabilityBalance(BaseModel):
    """A capability sought or offered at home, and how supply meets demand."""

    capability: str
    label: Labels
    stage: str | None
    sought: int
    offered: int
    offered_abroad: int
    balance: int = Field(description="offered - sought")
    status: Literal["gap", "shortage", "balanced", "surplus"]


class GapPartnerOut(BaseModel):
    """An organisation abroad offering a capability missing at home, ranked by the engine."""

    partner_id: str
    name: str
    network: str
    country: str
    country_label: Labels
    org_type: str
    org_type_label: Labels
    score: float = Field(description="Summed score over the seeking members / their number.")
    best_score: float
    members: list[str] = Field(description="Seeking members it is among the top suggestions of.")
    for_member: str
    reasons: dict[str, list[str]] = Field(description="The engine's reasons, by language.")
    details: dict[str, Any] = Field(description="The details of ``Suggestion.to_dict()``.")


class GapOut(BaseModel):
    capability: str
    label: Labels
    sought: int
    seekers: list[str]
    offered_abroad: int
    partners: list[GapPartnerOut]


class SupplyDemandOut(BaseModel):
    """Supply and demand of capabilities at home; gaps with the best partners abroad."""

    home_network: str
    capabilities: list[CapabilityBalance]
    gaps: list[GapOut]
    shortages: list[str]
    surpluses: list[str]


class MarketOut(BaseModel):
    """A market that home members target or are present in."""

    market: str
    name: Labels
    members_targeting: int
    home_present: int
    partners_present: int
    international_present: int
    targeting_with_own_partner: int
    openers: int
    no_partner: bool


class MarketOpener(BaseModel):
    """A home member present in a market that could take members targeting it along."""

    member_id: str
    name: str
    org_type: str
    joint_export: bool
    members_helped: int
    helped: list[str]


class MarketsOut(BaseModel):
    home_network: str
    markets: list[MarketOut]
    without_partner: list[str]
    openers: dict[str, list[MarketOpener]] = Field(description="Openers by market code.")


class NetworkNode(BaseModel):
    member_id: str
    name: str
    network: str
    org_type: str
    home: bool


class NetworkEdge(BaseModel):
    source: str
    target: str
    status: Literal["known", "suggested"]
    kind: str = Field(description="The link kind of a known edge; empty for a suggested one.")
    score: float | None = Field(description="The engine's score of a suggested edge.")


class NetworkComponent(BaseModel):
    component: int
    size: int
    home_members: int
    members: list[str]


class Broker(BaseModel):
    member_id: str
    name: str
    network: str
    home: bool
    degree: int
    betweenness: float


class SuggestedPartner(BaseModel):
    partner_id: str
    name: str
    network: str
    country: str
    score: float


class UnpartneredMember(BaseModel):
    """A home member without a known partner, with its best suggestions."""

    member_id: str
    name: str
    org_type: str
    potential: float
    potential_tier: str
    suggestions: list[SuggestedPartner]


class NetworkOut(BaseModel):
    """The graph of known and suggested partnerships around the home cluster."""

    home_network: str
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    home_members: int
    known_edges: int
    suggested_edges: int
    components: list[NetworkComponent]
    components_with_suggestions: int
    brokers: list[Broker]
    unpartnered: list[UnpartneredMember]


class OutcomeCounts(BaseModel):
    rows: int
    shown: int
    accepted: int
    meeting_held: int
    deal: int
    accepted_rate: float | None
    meeting_rate: float | None
    deal_rate: float | None


class OutcomeTotals(OutcomeCounts):
    sessions: int


class OutcomeSession(OutcomeCounts):
    session: str
    date: str
    members: int


class OutcomeMonth(OutcomeCounts):
    month: str
    sessions: int
    members: int


class OutcomesOut(BaseModel):
    """What came of the suggestions, per session (an ISO week with feedback, ``2026-W48``) and
    per month."""

    totals: OutcomeTotals
    sessions: list[OutcomeSession]
    months: list[OutcomeMonth]


class InsightsOut(BaseModel):
    """The figures of the managers' report (``ClusterInsights.to_dict()``), with the model
    version and the time they were computed."""

    model_version: int = Field(description="The model version that ranked the partners.")
    computed_at: str = Field(description="When these figures were computed (ISO 8601, UTC).")
    summary: InsightsSummary
    gradation: GradationOut
    movement: dict[str, Any] | None = Field(
        description="Always null here: the database keeps no history of profiles. Compare two "
        "snapshots with `matcher insights --profiles NOW --previous EARLIER` (the shape of "
        "``SnapshotComparison.to_dict()``)."
    )
    supply_demand: SupplyDemandOut
    markets: MarketsOut
    network: NetworkOut
    outcomes: OutcomesOut | None = Field(
        description="Null while no member of the network has given feedback."
    )


# ---------------------------------------------------------------------------------------------
# Matchmaking sessions (api.sessions): the JSON of matcher.sessions, with the service's revision
# ---------------------------------------------------------------------------------------------

SessionIdStr = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="A session id.")
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_HHMM = r"^\d{1,2}:\d{2}$"
WishLevel = Literal["must", "would", "no"]
SessionLanguage = Literal["en", "uk"]
_REVISION = Field(
    None,
    ge=1,
    le=2_000_000_000,
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


class SessionRevisionQuery(BaseModel):
    """The revision the caller read (optimistic concurrency)."""

    model_config = ConfigDict(extra="forbid")

    revision: int | None = _REVISION


class SessionCreate(BaseModel):
    """A new matchmaking session: give `slots` (start times), or `start` and `end` (and breaks)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    date: str = Field(pattern=_DATE, description="YYYY-MM-DD.")
    timezone: str = Field("Europe/Kyiv", min_length=1, max_length=64, description="IANA zone.")
    place: str = Field("", max_length=300)
    meeting_minutes: int = Field(25, ge=5, le=240)
    tables: int = Field(ge=1, le=1000)
    slots: list[str] | None = Field(
        None, max_length=100, description="Start time (HH:MM) of each slot, in order."
    )
    start: str | None = Field(None, pattern=_HHMM, description="Start of the day, HH:MM.")
    end: str | None = Field(None, pattern=_HHMM, description="End of the day, HH:MM.")
    breaks: list[str] = Field([], max_length=20, description="Breaks, HH:MM-HH:MM.")
    gap_minutes: int = Field(
        5, ge=0, le=120, description="Minutes between slots made from start and end."
    )
    network: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="The network whose managers run the session (default: the caller's).",
    )
    networks: list[str] = Field(
        [], max_length=100, description="Members of these networks may take part."
    )
    member_ids: list[str] = Field(
        [],
        max_length=5000,
        description="These members may take part (with `networks`: either; both empty: anyone).",
    )
    pair_rules: list[Literal["buyers_with_suppliers", "different_networks"]] = Field(
        [], max_length=2, description="Who may meet whom."
    )


class SessionSlot(BaseModel):
    slot: int
    start: str
    end: str


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
    state: Literal["preliminary", "final"]
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


class SessionListQuery(BaseModel):
    """Filters and page of the session list."""

    model_config = ConfigDict(extra="forbid")

    network: str | None = Field(None, max_length=64)
    state: Literal["preliminary", "final"] | None = None
    date_from: str | None = Field(None, pattern=_DATE)
    date_to: str | None = Field(None, pattern=_DATE)
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(50, ge=1, le=500)


class SessionParticipantIn(MemberIdAlias):
    """A member who takes part (``member_id``, or ``id`` as in a participants file), its
    availability and how many meetings it wants."""

    model_config = ConfigDict(extra="forbid")

    member_id: str = MemberIdStr
    available: str | list[int] | None = Field(
        None,
        max_length=1000,
        description='Slots it can attend: "1-4;6", "10:00-12:00", "all", or slot numbers; '
        "empty: every slot.",
    )
    min_meetings: int = Field(0, ge=0, le=1000)
    max_meetings: int | None = Field(None, ge=0, le=1000)
    role: Literal["buyer", "supplier", "any"] | None = Field(
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


class SessionImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "xlsx", "json"] | None = Field(
        None, description="File format; read from the file name when not given."
    )
    revision: int | None = _REVISION


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


class SessionLanguageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

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

    level: Literal["must", "would", "no", "none"] = Field(
        description="must meet, would meet, no thanks (a veto), or none to clear."
    )


class SessionWishOut(BaseModel):
    session_id: str
    revision: int
    member_id: str
    partner_id: str
    level: WishLevel | None


class SessionBuildIn(BaseModel):
    """How to build the agenda (locked and held meetings stay where they are)."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float = Field(
        20.0, gt=0, le=60, description="Seconds the solver may take (the answer waits for it)."
    )
    method: Literal["auto", "greedy"] = Field(
        "auto", description="auto: OR-Tools CP-SAT (greedy if it fails); greedy: greedy only."
    )
    include_suggested: bool = Field(
        False, description="Also plan the engine's suggestions nobody marked (below any wish)."
    )
    refresh_suggestions: bool = Field(
        True, description="First refresh the engine's suggestions among the participants."
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
    status: Literal["planned", "held", "cancelled"]
    outcome: Literal["none", "follow_up", "deal"]
    wish_a: WishLevel | None
    wish_b: WishLevel | None


class SessionAgenda(BaseModel):
    """The agenda: every meeting (a participant sees its own)."""

    session_id: str
    revision: int
    state: Literal["preliminary", "final"]
    meetings: list[SessionMeeting]


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
    status: Literal["planned", "held", "cancelled", "free", "unavailable"]
    outcome: Literal["none", "follow_up", "deal"] | None
    locked: bool


class SessionParticipantAgenda(BaseModel):
    """One participant's agenda: every slot, with its partner, table and reasons."""

    session_id: str
    revision: int
    state: Literal["preliminary", "final"]
    member_id: str
    name: str
    rows: list[SessionAgendaRow]


class SessionMeetingRef(BaseModel):
    """A meeting, named by its pair."""

    model_config = ConfigDict(extra="forbid")

    member_id: str = MemberIdStr
    partner_id: str = MemberIdStr


class SessionMoveIn(SessionMeetingRef):
    slot: int = Field(ge=1, le=1000)
    table: int | None = Field(
        None, ge=1, le=1000, description="Default: its own table if free, else the lowest free."
    )
    lock: bool = Field(True, description="Lock the moved meeting (kept by the next build).")


class SessionSwapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: SessionMeetingRef
    second: SessionMeetingRef
    lock: bool = True


class SessionAddIn(SessionMeetingRef):
    slot: int = Field(ge=1, le=1000)
    table: int | None = Field(None, ge=1, le=1000, description="Default: the lowest free one.")
    locked: bool = True


class SessionConflict(BaseModel):
    kind: str
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
    state: Literal["preliminary", "final"]
    errors: int
    warnings: int
    conflicts: list[SessionConflict]


class SessionCsvQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: SessionLanguage = "en"
    view: Literal["plan", "agendas", "tables"] = Field(
        "plan",
        description="plan: a row per meeting; agendas: a row per participant and meeting, "
        "with reasons; tables: a row per slot, a column per table.",
    )


class SessionIcsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: SessionLanguage = "en"
    member_id: str | None = Field(
        None,
        max_length=64,
        description="One participant's calendar (text/calendar); without it a zip of all.",
    )


class SessionOutcomeIn(SessionMeetingRef):
    held: bool = Field(description="Whether the meeting took place.")
    outcome: Literal["none", "follow_up", "deal"] = Field(
        "none", description="Only for a held meeting."
    )


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
