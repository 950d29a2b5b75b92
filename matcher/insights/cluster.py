"""Cluster insights for managers: gradation, supply and demand, markets, network, outcomes.

Every figure is about the **home cluster** (``HOME_NETWORK`` unless told otherwise) and is
computed from a validated profile frame (see :func:`matcher.profiles.validate_profiles`), the
known links and, where the engine is needed, a fitted :class:`~matcher.engine.ranking.PartnerMatcher`
(fitted on the fly when none is given). Each part is a plain dataclass with ``to_dict()``
(JSON-ready: only str, int, float, bool, None, lists and dicts) and ``tables()`` (pandas
frames, one per sheet of the XLSX export); :func:`cluster_insights` computes them all.

Capabilities, org types and market presence tiers carry their labels in English and Ukrainian
from the taxonomy (``{"en": ..., "uk": ...}``), potential tiers theirs from the catalogue
(:func:`matcher.i18n.tier_name`); countries their names from ISO 3166
(:func:`matcher.i18n.country_name`).

Definitions
-----------
Offered and sought capabilities are a profile's given tags, or those read from its description
when it gives none (``Profile.all_offers``, ``Profile.all_seeks``).

* **Supply and demand** of a capability: ``sought`` and ``offered`` count home members; its
  ``status`` is ``gap`` (sought, offered by no home member), ``shortage`` (sought by more members
  than offer it), ``surplus`` (offered by more members than seek it) or ``balanced``.
  ``offered_abroad`` counts the organisations of other networks that offer it. For each gap the
  engine ranks, for every member seeking it, the organisations of other networks that offer it
  (``PartnerMatcher.recommend(scope="international")``); a partner's ``score`` is the sum of its
  scores over the seeking members divided by their number (0 for a member it was not among the
  top ``k`` of), so a partner good for many seekers ranks above one good for a single seeker.
* **Markets**: the cluster's *partners* are the organisations of other networks with a known
  partnership (partner, supplier, deal) with a home member. A target market has **no partner
  yet** when no home member and no partner of the cluster is present there. A home member
  **could open** a market M for another member T when it is present in M, T targets M and is not
  present there, and the two complement each other without competing (see :func:`complements`
  and :func:`competes`): candidates for joint export and shared trade-fair stands, those open to
  ``joint_export`` first.
* **Network**: nodes are the home members and the organisations linked to them; edges are the
  known partnerships touching a home member (``status="known"``) and the engine's top
  suggestions for each home member (``status="suggested"``). Components and betweenness
  (brokers) are computed on the known edges; members without a known partner are listed to
  prioritise at the next matchmaking day, with their best suggestions.
* **Outcomes** of matchmaking sessions: see :data:`OUTCOME_COLUMNS` and :func:`read_outcomes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..profiles import (
    HOME_NETWORK,
    Link,
    Profile,
    profiles_to_frame,
)
from .common import _fit_engine, _home, _jsonable
from .gradation import GradationOverview, SnapshotComparison, compare_snapshots, gradation_overview
from .markets import MarketOverview, market_overview
from .network import NetworkOverview, network_overview
from .outcomes import OutcomeSummary, summarise_outcomes
from .supply import SupplyDemand, supply_demand

__all__ = ["ClusterInsights", "cluster_insights"]


# ---------------------------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------------------------


@dataclass
class ClusterInsights:
    """All the insights of one snapshot of the cluster (see :func:`cluster_insights`)."""

    home_network: str
    n_profiles: int
    n_networks: int
    n_links: int
    model_kind: str | None
    gradation: GradationOverview
    supply: SupplyDemand
    markets: MarketOverview
    network: NetworkOverview
    movement: SnapshotComparison | None = None
    outcomes: OutcomeSummary | None = None
    #: The networks' display names, ``{network: {language: name}}``, for the report (the
    #: figures and tables keep the ids; see :func:`matcher.i18n.network_name`).
    network_names: dict[str, dict[str, str]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Return the headline figures: members, gaps, markets without partner, and so on."""
        return _jsonable(
            {
                "home_network": self.home_network,
                "profiles": self.n_profiles,
                "networks": self.n_networks,
                "links": self.n_links,
                "members": len(self.gradation.members),
                "capabilities_sought": int((self.supply.capabilities["sought"] > 0).sum()),
                "gaps": len(self.supply.gaps),
                "top_gaps": [gap.capability for gap in self.supply.gaps[:5]],
                "shortages": len(self.supply.shortages),
                "surpluses": len(self.supply.surpluses),
                "target_markets": len(self.markets.targets),
                "markets_without_partner": self.markets.without_partner,
                "components": len(self.network.components),
                "unpartnered_members": len(self.network.unpartnered),
                "model": self.model_kind,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Return every part as JSON-ready data (``movement`` and ``outcomes`` may be None)."""
        return {
            "summary": self.summary(),
            "gradation": self.gradation.to_dict(),
            "movement": self.movement.to_dict() if self.movement is not None else None,
            "supply_demand": self.supply.to_dict(),
            "markets": self.markets.to_dict(),
            "network": self.network.to_dict(),
            "outcomes": self.outcomes.to_dict() if self.outcomes is not None else None,
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return every table, by sheet name (at most 31 characters each)."""
        summary = self.summary()
        rows = [
            {
                "figure": key,
                "value": ", ".join(map(str, value)) if isinstance(value, list) else value,
            }
            for key, value in summary.items()
        ]
        tables = {"summary": pd.DataFrame(rows, columns=["figure", "value"])}
        for part in (
            self.gradation,
            self.movement,
            self.supply,
            self.markets,
            self.network,
            self.outcomes,
        ):
            if part is not None:
                tables.update(part.tables())
        return tables


def cluster_insights(
    profiles: Sequence[Profile] | pd.DataFrame,
    links: Iterable[Link] = (),
    *,
    matcher=None,
    previous: Sequence[Profile] | pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    home_network: str = HOME_NETWORK,
    partners_per_gap: int = 5,
    k: int = 10,
    suggestions_per_member: int = 3,
    random_state: int = 0,
    network_names: Mapping[str, Mapping[str, str]] | None = None,
) -> ClusterInsights:
    """Compute every insight of the home cluster.

    Parameters
    ----------
    profiles : sequence of Profile or validated DataFrame
        The current snapshot (all networks).
    links : iterable of Link
        Known links; those naming ids outside `profiles` are ignored.
    matcher : fitted PartnerMatcher, optional
        The engine for gap partners and suggested edges. When None, a
        ``PartnerMatcher(random_state=random_state)`` is fitted on `profiles` and `links`.
    previous : sequence of Profile or validated DataFrame, optional
        An earlier snapshot: adds :attr:`ClusterInsights.movement`.
    outcomes : DataFrame, optional
        Validated matchmaking outcomes (:func:`read_outcomes`): adds the outcome summary.
    home_network : str
    partners_per_gap, k : int
        See :func:`supply_demand`.
    suggestions_per_member : int
        See :func:`network_overview`.
    network_names : dict, optional
        The networks' display names, ``{network: {language: name}}``: the words of the
        engine's reasons and of the report for each network (a network without one is named
        by its id as words, :func:`matcher.i18n.network_name`).
    """
    frame = profiles_to_frame(profiles)
    _home(frame, home_network)
    links = list(links)
    engine = _fit_engine(frame, links, matcher, random_state)
    gradation = gradation_overview(frame, home_network)
    supply = supply_demand(
        frame,
        links,
        engine.matcher,
        home_network,
        partners_per_gap,
        k,
        random_state,
        network_names,
    )
    markets = market_overview(frame, links, home_network)
    network = network_overview(
        frame,
        links,
        engine.matcher,
        home_network,
        suggestions_per_member,
        random_state=random_state,
    )
    movement = compare_snapshots(previous, frame, home_network) if previous is not None else None
    summary = summarise_outcomes(outcomes) if outcomes is not None else None
    known = set(frame.index)
    n_links = sum(1 for l in links if l.source in known and l.target in known)
    return ClusterInsights(
        home_network,
        len(frame),
        int(frame["network"].nunique()),
        n_links,
        getattr(engine.matcher, "model_kind_", None),
        gradation,
        supply,
        markets,
        network,
        movement,
        summary,
        {network: dict(given) for network, given in (network_names or {}).items()},
    )
