"""Request and response schemas (pydantic v2); they make the OpenAPI document."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MemberIdStr = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="A member id.")
TagList = list[str]


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


class MemberCreate(ProfileFields):
    """A new member: its id, profile and (private) contact details."""

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


class MemberOut(BaseModel):
    """A member: the public profile, plus ``contact`` when the caller may see it."""

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
    org_type: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2, min_length=2)
    capability: str | None = Field(None, max_length=64, description="An offered capability tag.")


class DeleteQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    erase: bool = Field(
        False,
        description="Also erase the member's data, links and feedback "
        "(GDPR erasure); otherwise it is withdrawn (hidden at once).",
    )


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
    status: str
    database: bool
    model: int | None
    detail: str = ""
