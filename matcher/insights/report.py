"""The managers' report of :mod:`matcher.insights.cluster`: self-contained HTML and an XLSX of the tables.

The HTML is one file: styles inline, charts drawn by matplotlib's SVG backend and embedded as
inline ``<svg>`` (text as paths, so Cyrillic shows without fonts), no script, no external URL.
It reads in Ukrainian, English, or both (one section each), and prints on A4 (print CSS). The
XLSX holds every table of :meth:`matcher.insights.cluster.ClusterInsights.tables`, one sheet each.
Both are written atomically (a temporary file, then ``os.replace``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..errors import InputError
from ..files import atomic_write
from ..geography import country_name
from ..spreadsheets import safe_cell, sheet_title
from ..taxonomy import load_taxonomy
from .cluster import (
    LANGUAGES,
    POTENTIAL_TIERS,
    PRESENCE_TIERS,
    ClusterInsights,
    labels,
)

logger = logging.getLogger(__name__)

__all__ = [
    "REPORT_LANGUAGES",
    "TEXT",
    "chart_figure",
    "charts",
    "figure_to_svg",
    "network_layout",
    "render_report",
    "write_json",
    "write_report",
    "write_tables",
]

#: Values of the ``language`` argument: one language, or both (Ukrainian first).
REPORT_LANGUAGES = ("uk", "en", "both")

#: The report's own words; data labels come from the taxonomy and ISO 3166.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "language_name": "English",
        "title": "Cluster insights",
        "subtitle": "What the {network} has, what it lacks, and where abroad the missing pieces "
        "are",
        "generated": "Generated",
        "data_line": "{profiles} profiles in {networks} networks, {links} known links",
        "model": "engine model",
        "card_members": "members of the home cluster",
        "card_gaps": "capabilities sought but not offered at home",
        "card_shortages": "capabilities in short supply",
        "card_targets": "target markets not yet reached",
        "card_no_partner": "target markets with no partner yet",
        "card_unpartnered": "members with no partner yet",
        "h_gradation": "Gradation of members",
        "x_gradation": "Members by type of activity, market presence (local: no market listed; "
        "national: own country only; regional: neighbouring countries; "
        "international: another continent or five foreign markets and more) and "
        "potential (low < 0.35 <= medium < 0.6 <= high).",
        "c_gradation": "Members of the home cluster by type of activity: market presence (left) "
        "and potential (right).",
        "org_type": "Type of activity",
        "members": "Members",
        "member": "Member",
        "potential": "Potential",
        "mean_potential": "Mean potential",
        "mean": "mean",
        "best_score": "Best score",
        "openers_count": "Openers",
        "h_openers": "Who could open a market for others",
        "x_openers": "Up to three openers per target market: members present there who "
        "complement members targeting it without competing with them (those open to "
        "joint export first); the number is how many targeting members each could "
        "take along.",
        "could_help": "Could take along",
        "no_openers": "No member present in a target market complements the members targeting it.",
        "h_movement": "Changes since the previous snapshot",
        "x_movement": "{before} members then, {after} now; {new} joined, {gone} left.",
        "c_movement": "Members who moved to a higher or lower tier since the previous snapshot.",
        "dimension": "Gradation",
        "before": "Before",
        "after": "After",
        "direction": "Change",
        "dim_market_presence": "market presence",
        "dim_potential_tier": "potential",
        "dim_org_type": "type of activity",
        "dir_up": "up",
        "dir_down": "down",
        "dir_changed": "changed",
        "new_members": "New members",
        "gone_members": "Members who left",
        "more": "and {n} more (all rows are in the XLSX tables)",
        "h_supply": "Supply and demand of capabilities",
        "x_supply": "For each capability, how many members of the home cluster seek it and how "
        "many offer it. A gap is sought by members and offered by none of them; for "
        "each gap the matching engine ranks organisations of the partner networks "
        "abroad that offer it.",
        "c_supply": "Most sought capabilities: members seeking (dark) against members offering "
        "(light); gaps in red.",
        "h_gaps": "Gaps and where abroad to fill them",
        "no_gaps": "Every capability sought by members is offered by some member of the cluster.",
        "gap_line": "Sought by {sought} members; offered by {abroad} organisations of the partner "
        "networks. Best matches by the engine:",
        "gap_nobody": "No organisation of the partner networks offers it either: a case for new "
        "partner networks or for building the capability at home.",
        "partner": "Partner",
        "network": "Network",
        "for_members": "Seekers matched",
        "reasons": "Why (the engine's reasons)",
        "reasons_for": "for {member}:",
        "h_capabilities": "All capabilities sought or offered at home",
        "capability": "Capability",
        "sought": "Sought",
        "offered": "Offered",
        "offered_abroad": "Offered abroad",
        "status": "Status",
        "status_gap": "gap",
        "status_shortage": "shortage",
        "status_balanced": "balanced",
        "status_surplus": "surplus",
        "h_markets": "Markets",
        "x_markets": "Markets that members target and are not present in yet, against the markets "
        "where members of the cluster and its partners abroad (organisations with a "
        "known partnership with a member) are present. Openers are members present in "
        "a market who complement a targeting member without competing with it: "
        "candidates for joint export and shared trade-fair stands.",
        "c_markets": "Target markets: members targeting them against members and partners present "
        "there; markets with no partner yet in red.",
        "no_partner_markets": "Target markets with no partner yet",
        "all_markets_have_partner": "Every target market already has a member or a partner of the "
        "cluster present in it.",
        "market": "Market",
        "members_targeting": "Members targeting",
        "home_present": "Members present",
        "partners_present": "Partners present",
        "international_present": "Partner networks present",
        "with_own_partner": "Targeting with own partner there",
        "joint_export": "open to joint export",
        "h_network": "Network of partnerships",
        "x_network": "{home} members; {known} known partnerships and {suggested} suggested ones. "
        "Known partnerships form {components} groups (the largest has {largest} "
        "organisations); with the suggestions, {merged}.",
        "c_network": "Members (coloured by type) and their partners abroad (grey): known "
        "partnerships as lines; dashed, the engine's suggestions for the members "
        "outside the largest group; members with no partner yet ringed in red, the "
        "main brokers named.",
        "h_unpartnered": "Members with no partner yet: priorities for the next matchmaking day",
        "best_suggestions": "Best suggestions",
        "everyone_partnered": "Every member has at least one known partner.",
        "h_brokers": "Brokers",
        "x_brokers": "Organisations that most often connect others (betweenness in the graph of "
        "known partnerships).",
        "degree": "Partners",
        "betweenness": "Betweenness",
        "h_outcomes": "Matchmaking outcomes",
        "x_outcomes": "{sessions} sessions: {shown} suggestions shown, {accepted} accepted, "
        "{meetings} meetings held, {deals} deals.",
        "c_outcomes": "Suggestions shown, accepted, meetings held and deals per session.",
        "no_outcomes": "No outcomes table was given (see matcher.insights.cluster.OUTCOME_COLUMNS for its "
        "format).",
        "session": "Session",
        "date": "Date",
        "shown": "Shown",
        "accepted": "Accepted",
        "meetings": "Meetings",
        "deals": "Deals",
        "deal_rate": "Deals / shown",
        "axis_members": "members",
        "axis_pairs": "member-partner pairs",
        "axis_organisations": "organisations",
        "legend_seek": "seek",
        "legend_offer": "offer",
        "legend_gap": "sought, offered by no member",
        "legend_targeting": "members targeting",
        "legend_home_present": "members present",
        "legend_partners_present": "partners present",
        "legend_up": "moved up",
        "legend_down": "moved down",
        "legend_known": "known partnership",
        "legend_suggested": "suggestion",
        "legend_abroad": "partner abroad",
        "legend_unpartnered": "no partner yet",
        "panel_presence": "Market presence",
        "panel_potential": "Potential",
    },
    "uk": {
        "language_name": "Українська",
        "title": "Аналітика кластера",
        "subtitle": "Що має {network}, чого бракує і де за кордоном шукати відсутнє",
        "generated": "Створено",
        "data_line": "{profiles} профілів у {networks} мережах, {links} відомих зв'язків",
        "model": "модель рушія",
        "card_members": "учасників кластера",
        "card_gaps": "можливостей, яких шукають, але ніхто в кластері не пропонує",
        "card_shortages": "можливостей з нестачею пропозиції",
        "card_targets": "цільових ринків, куди ще не вийшли",
        "card_no_partner": "цільових ринків без жодного партнера",
        "card_unpartnered": "учасників без жодного партнера",
        "h_gradation": "Градація учасників",
        "x_gradation": "Учасники за видом діяльності, присутністю на ринках (місцевий: ринки не "
        "вказано; національний: лише власна країна; сусідні країни; міжнародний: "
        "інший континент або п'ять і більше зарубіжних ринків) і потенціалом "
        "(низький < 0,35 <= середній < 0,6 <= високий).",
        "c_gradation": "Учасники кластера за видом діяльності: присутність на ринках (ліворуч) і "
        "потенціал (праворуч).",
        "org_type": "Вид діяльності",
        "members": "Учасники",
        "member": "Учасник",
        "potential": "Потенціал",
        "mean_potential": "Середній потенціал",
        "mean": "середній",
        "best_score": "Найвища оцінка",
        "openers_count": "Провідників",
        "h_openers": "Хто може відкрити ринок для інших",
        "x_openers": "До трьох провідників на цільовий ринок: учасники, присутні там, що "
        "доповнюють учасників, які туди прагнуть, і не конкурують з ними (спершу "
        "відкриті до спільного експорту); число: скількох учасників кожен міг би "
        "взяти з собою.",
        "could_help": "Може взяти з собою",
        "no_openers": "Жоден учасник, присутній на цільовому ринку, не доповнює тих, хто туди "
        "прагне.",
        "h_movement": "Зміни від попереднього зрізу",
        "x_movement": "Тоді {before} учасників, тепер {after}; приєдналися {new}, вибули {gone}.",
        "c_movement": "Учасники, що перейшли до вищого або нижчого рівня від попереднього зрізу.",
        "dimension": "Градація",
        "before": "Було",
        "after": "Стало",
        "direction": "Зміна",
        "dim_market_presence": "присутність на ринках",
        "dim_potential_tier": "потенціал",
        "dim_org_type": "вид діяльності",
        "dir_up": "вгору",
        "dir_down": "вниз",
        "dir_changed": "змінено",
        "new_members": "Нові учасники",
        "gone_members": "Учасники, що вибули",
        "more": "і ще {n} (усі рядки є в таблицях XLSX)",
        "h_supply": "Попит і пропозиція можливостей",
        "x_supply": "Для кожної можливості: скільки учасників кластера її шукають і скільки "
        "пропонують. Прогалина: її шукають, але не пропонує жоден учасник; для кожної "
        "прогалини рушій підбору ранжує організації партнерських мереж за кордоном, "
        "які її пропонують.",
        "c_supply": "Найзатребуваніші можливості: учасники, що шукають (темні), проти тих, що "
        "пропонують (світлі); прогалини червоним.",
        "h_gaps": "Прогалини і де за кордоном їх закрити",
        "no_gaps": "Кожну можливість, якої шукають учасники, пропонує хтось у кластері.",
        "gap_line": "Шукають {sought} учасників; пропонують {abroad} організацій партнерських "
        "мереж. Найкращі збіги за рушієм:",
        "gap_nobody": "Жодна організація партнерських мереж теж її не пропонує: привід шукати нові "
        "мережі або розвивати цю можливість у кластері.",
        "partner": "Партнер",
        "network": "Мережа",
        "for_members": "Підібрано для",
        "reasons": "Чому (пояснення рушія)",
        "reasons_for": "для {member}:",
        "h_capabilities": "Усі можливості, яких шукають або які пропонують у кластері",
        "capability": "Можливість",
        "sought": "Шукають",
        "offered": "Пропонують",
        "offered_abroad": "Пропонують за кордоном",
        "status": "Стан",
        "status_gap": "прогалина",
        "status_shortage": "нестача",
        "status_balanced": "рівновага",
        "status_surplus": "надлишок",
        "h_markets": "Ринки",
        "x_markets": "Ринки, куди учасники прагнуть і де їх ще немає, проти ринків, де присутні "
        "учасники кластера та його партнери за кордоном (організації з відомим "
        "партнерством з учасником). Провідники: учасники, присутні на ринку, що "
        "доповнюють учасника, який туди прагне, і не конкурують з ним: кандидати на "
        "спільний експорт і спільний стенд на виставці.",
        "c_markets": "Цільові ринки: скільки учасників туди прагнуть проти присутніх там учасників "
        "і партнерів; ринки без жодного партнера червоним.",
        "no_partner_markets": "Цільові ринки без жодного партнера",
        "all_markets_have_partner": "На кожному цільовому ринку вже присутній учасник або партнер "
        "кластера.",
        "market": "Ринок",
        "members_targeting": "Прагнуть учасників",
        "home_present": "Присутні учасники",
        "partners_present": "Присутні партнери",
        "international_present": "Присутні з партнерських мереж",
        "with_own_partner": "Прагнуть і мають там партнера",
        "joint_export": "відкритий до спільного експорту",
        "h_network": "Мережа партнерств",
        "x_network": "{home} учасників; {known} відомих партнерств і {suggested} запропонованих. "
        "Відомі партнерства утворюють {components} груп (найбільша має {largest} "
        "організацій); з пропозиціями: {merged}.",
        "c_network": "Учасники (колір за видом діяльності) та їхні партнери за кордоном (сірі): "
        "відомі партнерства лініями; пунктиром пропозиції рушія для учасників поза "
        "найбільшою групою; учасники без партнера обведені червоним, головних "
        "посередників підписано.",
        "h_unpartnered": "Учасники без партнера: пріоритети наступного дня підбору партнерів",
        "best_suggestions": "Найкращі пропозиції",
        "everyone_partnered": "Кожен учасник має принаймні одного відомого партнера.",
        "h_brokers": "Посередники",
        "x_brokers": "Організації, що найчастіше поєднують інших (посередництво в графі відомих "
        "партнерств).",
        "degree": "Партнерів",
        "betweenness": "Посередництво",
        "h_outcomes": "Результати підбору партнерів",
        "x_outcomes": "{sessions} сесій: показано {shown} пропозицій, прийнято {accepted}, "
        "відбулося {meetings} зустрічей, укладено {deals} угод.",
        "c_outcomes": "Показані й прийняті пропозиції, зустрічі та угоди за сесіями.",
        "no_outcomes": "Таблицю результатів не надано (її формат: "
        "matcher.insights.cluster.OUTCOME_COLUMNS).",
        "session": "Сесія",
        "date": "Дата",
        "shown": "Показано",
        "accepted": "Прийнято",
        "meetings": "Зустрічі",
        "deals": "Угоди",
        "deal_rate": "Угоди / показано",
        "axis_members": "учасники",
        "axis_pairs": "пари учасник-партнер",
        "axis_organisations": "організації",
        "legend_seek": "шукають",
        "legend_offer": "пропонують",
        "legend_gap": "шукають, ніхто не пропонує",
        "legend_targeting": "прагнуть учасників",
        "legend_home_present": "присутні учасники",
        "legend_partners_present": "присутні партнери",
        "legend_up": "вгору",
        "legend_down": "вниз",
        "legend_known": "відоме партнерство",
        "legend_suggested": "пропозиція",
        "legend_abroad": "партнер за кордоном",
        "legend_unpartnered": "без партнера",
        "panel_presence": "Присутність на ринках",
        "panel_potential": "Потенціал",
    },
}

_PRESENCE_COLOURS = ("#c9d6e3", "#8fb0cf", "#4a7fb5", "#1f4e89")
_POTENTIAL_COLOURS = ("#f2d5a0", "#e39b4c", "#b85c1f")
_SEEK, _OFFER, _ALERT, _GREY = "#1f5fa8", "#a9c4e4", "#b3261e", "#9aa5b1"
_RC = {
    "svg.hashsalt": "cluster-matcher",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.frameon": False,
}


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------

_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def figure_to_svg(figure: Figure, prefix: str, title: str = "") -> Markup:
    """Return `figure` as an inline ``<svg>`` element, ready to embed in HTML.

    The XML prologue and the RDF metadata are dropped, the fixed size is replaced by CSS scaling
    (the ``viewBox`` is kept), and every id is prefixed with `prefix` so that several charts in one page never
    share an id.
    """
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = _SVG_METADATA.sub("", svg[svg.index("<svg") :])
    ids = set(_SVG_ID.findall(svg))

    def prefixed(match: re.Match) -> str:
        name = match.group(2)
        return match.group(1) + (f"{prefix}-{name}" if name in ids else name)

    if ids:
        svg = re.sub(r'(\bid="|href="#|url\(#)([^")]+)', prefixed, svg)
    root = _SVG_ROOT.search(svg).group(0)
    new_root = re.sub(r'\s(width|height)="[^"]*"', "", root)
    new_root = new_root.replace("<svg", f'<svg role="img" aria-label="{_attribute(title)}"', 1)
    return Markup(svg.replace(root, new_root, 1).strip())


def _attribute(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _wrap(text: str, width: int = 30) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _gradation_chart(insights: ClusterInsights, language: str) -> Figure:
    t = TEXT[language]
    table = insights.gradation.by_org_type.iloc[::-1]
    names = [_wrap(label) for label in table[f"label_{language}"]]
    with matplotlib.rc_context(_RC):
        figure = _figure(9.5, 0.42 * len(table) + 1.6)
        left, right = figure.subplots(1, 2, sharey=True, width_ratios=(3, 2))
        for ax, tiers, colours, prefix, title in (
            (left, PRESENCE_TIERS, _PRESENCE_COLOURS, "", t["panel_presence"]),
            (right, POTENTIAL_TIERS, _POTENTIAL_COLOURS, "potential_", t["panel_potential"]),
        ):
            start = np.zeros(len(table))
            vocabulary = "market_presence" if not prefix else "potential_tier"
            for tier, colour in zip(tiers, colours):
                values = table[f"{prefix}{tier}"].to_numpy()
                ax.barh(
                    names,
                    values,
                    left=start,
                    color=colour,
                    edgecolor="white",
                    linewidth=0.5,
                    label=labels(vocabulary, tier)[language],
                )
                start += values
            ax.set_title(title, loc="left")
            ax.set_xlabel(t["axis_members"])
            ax.legend(loc="lower right", fontsize=7.5)
        left.tick_params(axis="y", labelsize=8)
    return figure


def _supply_chart(insights: ClusterInsights, language: str, top: int = 16) -> Figure:
    t = TEXT[language]
    table = insights.supply.capabilities
    sought = table[table["sought"] > 0]
    gaps = sought[sought["status"] == "gap"]
    rest = sought[sought["status"] != "gap"].sort_values(
        ["sought", "capability"], ascending=[False, True]
    )
    shown = pd.concat([gaps, rest.head(max(top - len(gaps), 0))])
    shown = shown.sort_values(["sought", "capability"], ascending=[True, False])
    names = [_wrap(label, 34) for label in shown[f"label_{language}"]]
    y = np.arange(len(shown))
    with matplotlib.rc_context(_RC):
        figure = _figure(9.5, 0.3 * len(shown) + 1.2)
        ax = figure.subplots()
        is_gap = (shown["status"] == "gap").to_numpy()
        ax.barh(
            y + 0.2,
            shown["sought"],
            height=0.4,
            color=np.where(is_gap, _ALERT, _SEEK),
            label=t["legend_seek"],
        )
        ax.barh(y - 0.2, shown["offered"], height=0.4, color=_OFFER, label=t["legend_offer"])
        ax.set_yticks(y, names, fontsize=8)
        for tick, gap in zip(ax.get_yticklabels(), is_gap):
            if gap:
                tick.set_color(_ALERT)
                tick.set_fontweight("bold")
        for position, (value, gap) in enumerate(zip(shown["sought"], is_gap)):
            if gap:
                ax.annotate(
                    t["status_gap"],
                    (value, position + 0.2),
                    xytext=(4, -3),
                    textcoords="offset points",
                    color=_ALERT,
                    fontsize=7.5,
                )
        ax.set_xlabel(t["axis_members"])
        ax.set_title(t["h_supply"], loc="left")
        ax.legend(
            handles=[
                Patch(color=_SEEK, label=t["legend_seek"]),
                Patch(color=_OFFER, label=t["legend_offer"]),
                Patch(color=_ALERT, label=t["legend_gap"]),
            ],
            loc="lower right",
        )
    return figure


def _markets_chart(insights: ClusterInsights, language: str, top: int = 15) -> Figure:
    t = TEXT[language]
    targets = insights.markets.targets.head(top).iloc[::-1]
    names = [f"{row[f'name_{language}']} ({row['market']})" for row in targets.to_dict("records")]
    y = np.arange(len(targets))
    with matplotlib.rc_context(_RC):
        figure = _figure(9.5, 0.34 * max(len(targets), 1) + 1.3)
        ax = figure.subplots()
        ax.barh(
            y + 0.27,
            targets["members_targeting"],
            height=0.27,
            color=_SEEK,
            label=t["legend_targeting"],
        )
        ax.barh(
            y, targets["home_present"], height=0.27, color=_OFFER, label=t["legend_home_present"]
        )
        ax.barh(
            y - 0.27,
            targets["partners_present"],
            height=0.27,
            color=_POTENTIAL_COLOURS[1],
            label=t["legend_partners_present"],
        )
        ax.set_yticks(y, names, fontsize=8)
        for tick, flag in zip(ax.get_yticklabels(), targets["no_partner"]):
            if flag:
                tick.set_color(_ALERT)
                tick.set_fontweight("bold")
        ax.set_xlabel(t["axis_organisations"])
        ax.set_title(t["h_markets"], loc="left")
        ax.legend(loc="lower right")
    return figure


def _drawn_graph(insights: ClusterInsights):
    """The graph the network chart draws: every node and known edge, and the suggested edges
    of the members outside the largest group of known partnerships (the members to connect)."""
    network = insights.network
    components = network.components
    largest = set(components["members"].iat[0].split(";")) if len(components) else set()
    graph = network.known_graph()
    for a, b, data in network.graph.edges(data=True):
        outside = [n for n in (a, b) if network.graph.nodes[n]["home"] and n not in largest]
        if data["status"] == "suggested" and outside:
            for node in (a, b):
                graph.add_node(node, **network.graph.nodes[node])
            graph.add_edge(a, b, **data)
    drop = [n for n in graph if graph.degree(n) == 0 and not graph.nodes[n]["home"]]
    graph.remove_nodes_from(drop)
    return graph


def network_layout(insights: ClusterInsights, seed: int = 0) -> dict[str, np.ndarray]:
    """Return node positions for the network chart (a seeded spring layout)."""
    import networkx as nx

    graph = _drawn_graph(insights)
    if not len(graph):
        return {}
    return nx.spring_layout(graph, seed=seed, k=1.5 / np.sqrt(len(graph)), iterations=80)


def _network_chart(
    insights: ClusterInsights, language: str, layout: dict[str, np.ndarray] | None = None
) -> Figure:
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    t = TEXT[language]
    graph = _drawn_graph(insights)
    position = layout if layout is not None else network_layout(insights)
    taxonomy = load_taxonomy()
    org_types = taxonomy.ids("org_types")
    palette = matplotlib.colormaps["tab10"]
    colour_of = {org_type: palette(i % 10) for i, org_type in enumerate(org_types)}
    lonely = set(insights.network.unpartnered["member_id"])
    brokers = [m for m in insights.network.brokers["member_id"] if m in graph][:5]
    with matplotlib.rc_context(_RC):
        figure = _figure(9.5, 7.0)
        ax = figure.subplots()
        ax.set_axis_off()
        for status, style in (
            ("known", {"colors": "#7d8b99", "linewidths": 0.5, "alpha": 0.45}),
            (
                "suggested",
                {"colors": "#e07b00", "linewidths": 1.0, "alpha": 0.85, "linestyles": (0, (3, 2))},
            ),
        ):
            segments = [
                (position[a], position[b]) for a, b, s in graph.edges(data="status") if s == status
            ]
            if segments:
                ax.add_collection(LineCollection(segments, zorder=1, **style))
        abroad = [n for n, home in graph.nodes(data="home") if not home]
        if abroad:
            xy = np.array([position[n] for n in abroad])
            ax.scatter(xy[:, 0], xy[:, 1], s=7, c=_GREY, zorder=2, linewidths=0)
        home = [n for n, is_home in graph.nodes(data="home") if is_home]
        handles = []
        for org_type in org_types:
            nodes = [n for n in home if graph.nodes[n]["org_type"] == org_type]
            if not nodes:
                continue
            xy = np.array([position[n] for n in nodes])
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=26,
                color=colour_of[org_type],
                zorder=3,
                edgecolors="white",
                linewidths=0.4,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=colour_of[org_type],
                    label=_wrap(taxonomy.label("org_types", org_type, language), 34),
                )
            )
        for n in brokers:
            ax.annotate(
                n,
                position[n],
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=7,
                fontweight="bold",
                color="#1d2733",
                zorder=5,
            )
        if lonely:
            xy = np.array([position[n] for n in lonely])
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=120,
                facecolors="none",
                edgecolors=_ALERT,
                linewidths=1.4,
                zorder=4,
            )
            for n in lonely:
                ax.annotate(
                    n,
                    position[n],
                    xytext=(6, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color=_ALERT,
                    zorder=5,
                )
        handles += [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=_GREY,
                markersize=4,
                label=t["legend_abroad"],
            ),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="none",
                markeredgecolor=_ALERT,
                label=t["legend_unpartnered"],
            ),
            Line2D([], [], color="#7d8b99", label=t["legend_known"]),
            Line2D([], [], color="#e07b00", linestyle=(0, (3, 2)), label=t["legend_suggested"]),
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)
        ax.autoscale_view()
        ax.set_title(t["h_network"], loc="left")
    return figure


def _movement_chart(insights: ClusterInsights, language: str) -> Figure | None:
    movement = insights.movement
    if movement is None or movement.changes.empty:
        return None
    t = TEXT[language]
    counts = movement.counts()
    names = [t["dim_market_presence"], t["dim_potential_tier"]]
    up = [counts["market_presence"]["up"], counts["potential_tier"]["up"]]
    down = [counts["market_presence"]["down"], counts["potential_tier"]["down"]]
    y = np.arange(2)
    with matplotlib.rc_context(_RC):
        figure = _figure(7.0, 1.9)
        ax = figure.subplots()
        ax.barh(y + 0.2, up, height=0.4, color="#2e7d4f", label=t["legend_up"])
        ax.barh(y - 0.2, down, height=0.4, color=_ALERT, label=t["legend_down"])
        ax.set_yticks(y, names)
        ax.set_xlabel(t["axis_members"])
        ax.legend(loc="lower right")
    return figure


def _outcomes_chart(insights: ClusterInsights, language: str) -> Figure | None:
    if insights.outcomes is None or insights.outcomes.sessions.empty:
        return None
    t = TEXT[language]
    sessions = insights.outcomes.sessions
    x = np.arange(len(sessions))
    series = (
        ("shown", t["shown"], _OFFER),
        ("accepted", t["accepted"], _SEEK),
        ("meeting_held", t["meetings"], _POTENTIAL_COLOURS[1]),
        ("deal", t["deals"], "#2e7d4f"),
    )
    width = 0.2
    with matplotlib.rc_context(_RC):
        figure = _figure(9.5, 3.2)
        ax = figure.subplots()
        for i, (column, label, colour) in enumerate(series):
            ax.bar(x + (i - 1.5) * width, sessions[column], width=width, color=colour, label=label)
        ax.set_xticks(
            x, [f"{s}\n{d}" for s, d in zip(sessions["session"], sessions["date"])], fontsize=7.5
        )
        ax.set_ylabel(t["axis_pairs"])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no fractional ticks
        ax.set_title(t["h_outcomes"], loc="left")
        ax.legend(loc="upper right", ncols=4)
    return figure


_CHARTS: dict[str, Callable[..., Figure | None]] = {
    "gradation": _gradation_chart,
    "movement": _movement_chart,
    "supply": _supply_chart,
    "markets": _markets_chart,
    "network": _network_chart,
    "outcomes": _outcomes_chart,
}


def charts(
    insights: ClusterInsights, language: str = "en", layout: dict[str, np.ndarray] | None = None
) -> dict[str, Markup | None]:
    """Return every chart of the report as inline SVG (None where there is nothing to draw).

    Parameters
    ----------
    insights : ClusterInsights
    language : {"en", "uk"}
    layout : dict, optional
        Node positions of the network chart (:func:`network_layout`), reused across languages.
    """
    if language not in LANGUAGES:
        raise InputError(f"Got language={language!r}, expected one of {', '.join(LANGUAGES)}")
    out: dict[str, Markup | None] = {}
    for name, draw in _CHARTS.items():
        figure = draw(insights, language, layout) if name == "network" else draw(insights, language)
        title = TEXT[language].get(f"h_{name}", name)
        out[name] = (
            figure_to_svg(figure, f"{name}-{language}", title) if figure is not None else None
        )
    return out


def chart_figure(insights: ClusterInsights, name: str, language: str = "en") -> Figure:
    """Return one chart of the report as a matplotlib Figure (to save as PNG or SVG).

    ``name`` is one of ``gradation, movement, supply, markets, network, outcomes``.
    """
    if name not in _CHARTS:
        raise InputError(f"Got name={name!r}, expected one of {', '.join(_CHARTS)}")
    figure = _CHARTS[name](insights, language)
    if figure is None:
        raise InputError(f"there is nothing to draw for the {name!r} chart")
    return figure


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


class _Language:
    """What the template needs for one language: its words, charts and label helpers."""

    def __init__(self, language: str, charts: dict[str, Markup | None]):
        self.language = language
        self.t = TEXT[language]
        self.charts = charts

    def label(self, vocabulary: str, tag: str) -> str:
        return labels(vocabulary, tag)[self.language]

    def tier_label(self, dimension: str, tag: str) -> str:
        vocabulary = {"org_type": "org_types"}.get(dimension, dimension)
        return labels(vocabulary, tag)[self.language]

    def country(self, code: str) -> str:
        return country_name(code, self.language)

    @staticmethod
    def percent(value: float | None) -> str:
        return "—" if value is None or pd.isna(value) else f"{100 * value:.0f}%"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # One environment per process: it keeps the compiled template (compiling it costs more
    # than rendering it).
    return Environment(
        loader=PackageLoader("matcher", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(
    insights: ClusterInsights,
    language: str = "both",
    *,
    generated: str | None = None,
    note: dict[str, str] | None = None,
    limit: int = 25,
    drawn: dict[str, dict[str, Markup | None]] | None = None,
) -> str:
    """Return the report as one self-contained HTML page.

    Parameters
    ----------
    insights : ClusterInsights
    language : {"uk", "en", "both"}
        ``both``: a Ukrainian section, then an English one (each starts a printed page).
    generated : str, optional
        The date shown as "generated" (default: today, ISO 8601).
    note : dict, optional
        ``{"en": ..., "uk": ...}``: a note shown under the title of each section (for example
        that the data are a fictional sample).
    limit : int
        Rows shown in the longer tables (the XLSX has them all).
    drawn : dict, optional
        ``{language: charts(insights, language)}`` already drawn: the languages it holds are
        not drawn again (drawing is most of the rendering's time).
    """
    if language not in REPORT_LANGUAGES:
        raise InputError(
            f"Got language={language!r}, expected one of {', '.join(REPORT_LANGUAGES)}"
        )
    if not (isinstance(limit, int) and limit > 0):
        raise InputError(f"Got limit={limit!r}, expected a positive integer")
    languages = ["uk", "en"] if language == "both" else [language]
    if note is not None and not all(note.get(lang) for lang in languages):
        raise InputError(f"Got note={note!r}, expected a text for each of {', '.join(languages)}")
    drawn = dict(drawn or {})
    missing = [lang for lang in languages if lang not in drawn]
    if missing:
        layout = network_layout(insights)
        drawn.update({lang: charts(insights, lang, layout) for lang in missing})
    reports = [_Language(lang, drawn[lang]) for lang in languages]
    supply = insights.supply.to_dict()
    markets = insights.markets.to_dict()
    network = insights.network
    components = network.components
    statuses = [status for *_, status in network.graph.edges(data="status")]
    context = {
        "languages": languages,
        "reports": reports,
        "generated": generated or dt.date.today().isoformat(),
        "note": note,
        "limit": limit,
        "summary": insights.summary(),
        "presence_tiers": PRESENCE_TIERS,
        "potential_tiers": POTENTIAL_TIERS,
        "gradation": insights.gradation.by_org_type.to_dict("records"),
        "movement": insights.movement.to_dict() if insights.movement is not None else None,
        "supply": supply,
        "targets": [m for m in markets["markets"] if m["members_targeting"] > 0],
        "openers": markets["openers"],
        "network": {
            "components": components.to_dict("records"),
            "largest": int(components["size"].max()) if len(components) else 0,
            "home_members": network.n_home,
            "known_edges": statuses.count("known"),
            "suggested_edges": statuses.count("suggested"),
            "components_with_suggestions": network.components_with_suggestions,
            "unpartnered": [
                row | {"suggestions": network.suggestions.get(row["member_id"], [])}
                for row in network.unpartnered.to_dict("records")
            ],
            "brokers": network.brokers.to_dict("records"),
        },
        "outcomes": insights.outcomes.to_dict() if insights.outcomes is not None else None,
    }
    return _environment().get_template("insights_report.html").render(**context)


def write_report(
    insights: ClusterInsights, path: str | Path, language: str = "both", **options: Any
) -> Path:
    """Render the report (see :func:`render_report` for `options`) and write it atomically."""
    html = render_report(insights, language, **options)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(html, encoding="utf-8"))


def write_json(insights: ClusterInsights, path: str | Path) -> Path:
    """Write ``insights.to_dict()`` as UTF-8 JSON, atomically."""
    text = json.dumps(insights.to_dict(), ensure_ascii=False, indent=1)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------


def write_tables(insights: ClusterInsights, path: str | Path) -> Path:
    """Write every table of `insights` to an XLSX file, one sheet per table, atomically.

    Text cells that a spreadsheet would read as a formula are prefixed with ``'``
    (:func:`matcher.spreadsheets.safe_cell`); the header row is frozen and columns are sized to their content.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"Got path={str(path)!r}, expected a file name ending in .xlsx")
    tables = insights.tables()

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            used: set[str] = set()
            for name, table in tables.items():
                sheet = sheet_title(name, used)
                table.map(safe_cell).to_excel(writer, sheet_name=sheet, index=False)
                worksheet = writer.sheets[sheet]
                worksheet.freeze_panes = "A2"
                for column, header in zip(worksheet.columns, table.columns):
                    longest = max(
                        [len(str(header))]
                        + [len(str(c.value)) for c in column[1:200] if c.value is not None]
                    )
                    letter = column[0].column_letter
                    worksheet.column_dimensions[letter].width = min(60, longest + 2)

    return atomic_write(path, write)
