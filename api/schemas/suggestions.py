"""Suggestions (:mod:`api.suggestions`): the options of a request (a stored member's query
string or a prospect's body), the suggested partners, and the feedback on them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.engine.ranking import LANGUAGES, SCOPES

from ..tables import FEEDBACK_EVENTS
from .common import (
    TEXT_PATTERN,
    CountryCode,
    MemberIdStr,
    OrgTypeId,
    PartnershipTypeId,
    QueryInt,
    QueryModel,
    json_int,
)
from .members import MemberCreate

__all__ = [
    "FeedbackIn",
    "FeedbackList",
    "FeedbackOut",
    "MatchList",
    "MatchOut",
    "ProspectRequest",
    "SuggestionOptions",
    "SuggestionOut",
    "SuggestionQuery",
    "SuggestionsOut",
]


class SuggestionOptions(BaseModel):
    """Options of a suggestion request, shared by the query string and the prospect's body:
    partner filters are the taxonomy's ids and ISO codes, exactly."""

    model_config = ConfigDict(extra="forbid")

    k: json_int(1, 100) = 10
    scope: Literal[SCOPES] = "all"
    country: list[CountryCode] = Field([], max_length=50)
    org_type: list[OrgTypeId] = Field([], max_length=50)
    partnership_type: list[PartnershipTypeId] = Field([], max_length=50)
    language: Literal[LANGUAGES] = "en"


class SuggestionQuery(QueryModel, SuggestionOptions):
    """Options of a suggestion request."""

    k: QueryInt = Field(10, ge=1, le=100)


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
    """What the member did with a suggested partner (a live member: 404 otherwise)."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str = MemberIdStr
    event: Literal[FEEDBACK_EVENTS]
    note: str = Field("", max_length=2000, pattern=TEXT_PATTERN)


class FeedbackOut(BaseModel):
    event_id: int
    member_id: str
    partner_id: str
    event: str
    note: str
    created_at: str


class FeedbackList(BaseModel):
    items: list[FeedbackOut]


class MatchOut(BaseModel):
    """What the member did with one partner (see :func:`api.services.feedback.member_matches`)."""

    partner_id: str
    state: Literal["mutual", "accepted", "saved", "declined"] | None = Field(
        description="mutual (both accepted: contacts open), accepted (waiting for the partner), "
        "saved (for later), declined; null when only a meeting or a deal is recorded"
    )
    partner_accepted: bool = Field(description="Whether the partner's latest answer is accepted.")
    meeting: bool = Field(description="A meeting (or a deal) recorded by either side.")
    deal: bool = Field(description="A deal recorded by either side.")
    since: str = Field(description="When either side's latest event about the other was recorded.")


class MatchList(BaseModel):
    items: list[MatchOut]
