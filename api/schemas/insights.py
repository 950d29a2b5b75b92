"""Cluster insights (:mod:`api.insights`): the JSON of
:meth:`matcher.insights.cluster.ClusterInsights.to_dict`, the network and language asked for,
and the state of a computation while no figures can be served."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.insights.common import CAPABILITY_STATUSES
from matcher.insights.report import REPORT_LANGUAGES

from .common import QueryModel

__all__ = [
    "Broker",
    "CapabilityBalance",
    "GapOut",
    "GapPartnerOut",
    "GradationOut",
    "InsightsJobOut",
    "InsightsOut",
    "InsightsQuery",
    "InsightsReportQuery",
    "InsightsSummary",
    "Labels",
    "MarketOpener",
    "MarketOut",
    "MarketsOut",
    "NetworkComponent",
    "NetworkEdge",
    "NetworkNode",
    "NetworkOut",
    "OrgTypeGradation",
    "OutcomeCounts",
    "OutcomeMonth",
    "OutcomeSession",
    "OutcomeTotals",
    "OutcomesOut",
    "ServedInsightsOut",
    "SuggestedPartner",
    "SupplyDemandOut",
    "TierCount",
    "UnpartneredMember",
]

#: A text in every language of the insights: ``{"en": ..., "uk": ...}``.
Labels = dict[str, str]

_INSIGHTS_NETWORK = Field(
    None,
    max_length=64,
    description="The home cluster. A manager sees its own network (the default; naming another "
    "is 403); an admin may name any network (default: kharkiv-fashion-cluster).",
)


class InsightsQuery(QueryModel):
    """Which network the insights are about."""

    network: str | None = _INSIGHTS_NETWORK


class InsightsReportQuery(InsightsQuery):
    """The network and the language of the HTML report."""

    language: Literal[REPORT_LANGUAGES] = Field(
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
    status: Literal[CAPABILITY_STATUSES]


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
# While no figures can be served, and the figures as served
# ---------------------------------------------------------------------------------------------

_RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds after which asking again makes sense.",
        "schema": {"type": "integer"},
    }
}


class InsightsJobOut(BaseModel):
    """The computation of a network's insights, while they are not ready."""

    model_config = ConfigDict(
        openapi_extra={
            "description": "Accepted: the insights for the current data and model are being "
            "computed in the background, and no older ones can be served instead. Ask again "
            "after `Retry-After` seconds.",
            "headers": _RETRY_AFTER_HEADER,
        }
    )

    status: Literal["computing", "failed"] = Field(
        description="`computing`, or `failed` (then `error` says why; a request after "
        "`retry_after` seconds starts a new attempt)."
    )
    network: str
    model_version: int = Field(description="The model version the figures are computed with.")
    attempt: int = Field(description="Attempts so far (a failed or abandoned one is retried).")
    requested_at: str = Field(description="When these figures were first asked for (ISO 8601).")
    started_at: str | None = Field(description="When the current attempt started.")
    heartbeat_at: str | None = Field(description="When the computing process last said so.")
    finished_at: str | None = Field(description="When the attempt failed, if it did.")
    error: str | None = Field(description="Why the attempt failed.")
    retry_after: int = Field(description="Seconds after which asking again makes sense.")
    detail: str


class ServedInsightsOut(InsightsOut):
    """The figures, current or stale."""

    stale: bool = Field(
        description="True when these figures are older than the current data or model: newer "
        "ones are being computed (or failed), see `refresh`. Figures that name a member erased "
        "since are never served."
    )
    refresh: InsightsJobOut | None = Field(
        description="With stale figures: the computation of the current ones."
    )
