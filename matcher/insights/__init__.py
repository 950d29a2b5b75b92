"""Cluster insights for managers (:mod:`.cluster`: gradation, supply and demand, markets,
network, outcomes) and their report as HTML, XLSX and JSON (:mod:`.report`).

The names below are imported from their module on first use (:pep:`562`), so importing one
module of the package does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cluster import (
        CAPABILITY_STATUSES,
        LANGUAGES,
        OUTCOME_COLUMNS,
        OUTCOME_FLAGS,
        POTENTIAL_TIERS,
        PRESENCE_TIERS,
        ClusterInsights,
        Gap,
        GapPartner,
        GradationOverview,
        MarketOverview,
        NetworkOverview,
        OutcomeSummary,
        SnapshotComparison,
        SupplyDemand,
        cluster_insights,
        compare_snapshots,
        competes,
        complements,
        gradation_overview,
        labels,
        market_overview,
        network_overview,
        read_outcomes,
        summarise_outcomes,
        supply_demand,
        validate_outcomes,
    )
    from .report import (
        REPORT_LANGUAGES,
        TEXT,
        chart_figure,
        charts,
        figure_to_svg,
        network_layout,
        render_report,
        write_json,
        write_report,
        write_tables,
    )

#: Each public name and the module of this package that defines it.
_MODULE_OF = {
    "CAPABILITY_STATUSES": "cluster",
    "LANGUAGES": "cluster",
    "OUTCOME_COLUMNS": "cluster",
    "OUTCOME_FLAGS": "cluster",
    "POTENTIAL_TIERS": "cluster",
    "PRESENCE_TIERS": "cluster",
    "ClusterInsights": "cluster",
    "Gap": "cluster",
    "GapPartner": "cluster",
    "GradationOverview": "cluster",
    "MarketOverview": "cluster",
    "NetworkOverview": "cluster",
    "OutcomeSummary": "cluster",
    "SnapshotComparison": "cluster",
    "SupplyDemand": "cluster",
    "cluster_insights": "cluster",
    "compare_snapshots": "cluster",
    "competes": "cluster",
    "complements": "cluster",
    "gradation_overview": "cluster",
    "labels": "cluster",
    "market_overview": "cluster",
    "network_overview": "cluster",
    "read_outcomes": "cluster",
    "summarise_outcomes": "cluster",
    "supply_demand": "cluster",
    "validate_outcomes": "cluster",
    "REPORT_LANGUAGES": "report",
    "TEXT": "report",
    "chart_figure": "report",
    "charts": "report",
    "figure_to_svg": "report",
    "network_layout": "report",
    "render_report": "report",
    "write_json": "report",
    "write_report": "report",
    "write_tables": "report",
}

__all__ = [
    "CAPABILITY_STATUSES",
    "LANGUAGES",
    "OUTCOME_COLUMNS",
    "OUTCOME_FLAGS",
    "POTENTIAL_TIERS",
    "PRESENCE_TIERS",
    "REPORT_LANGUAGES",
    "TEXT",
    "ClusterInsights",
    "Gap",
    "GapPartner",
    "GradationOverview",
    "MarketOverview",
    "NetworkOverview",
    "OutcomeSummary",
    "SnapshotComparison",
    "SupplyDemand",
    "chart_figure",
    "charts",
    "cluster_insights",
    "compare_snapshots",
    "competes",
    "complements",
    "figure_to_svg",
    "gradation_overview",
    "labels",
    "market_overview",
    "network_layout",
    "network_overview",
    "read_outcomes",
    "render_report",
    "summarise_outcomes",
    "supply_demand",
    "validate_outcomes",
    "write_json",
    "write_report",
    "write_tables",
]


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
