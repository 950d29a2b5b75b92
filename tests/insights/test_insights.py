"""Cluster insights on a hand-made cluster whose gaps, markets and network are known."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from matcher.engine.ranking import PartnerMatcher
from matcher.geography import country_name
from matcher.insights.cluster import cluster_insights
from matcher.insights.common import (
    CAPABILITY_STATUSES,
    OUTCOME_COLUMNS,
    competes,
    complements,
    labels,
)
from matcher.insights.gradation import compare_snapshots, gradation_overview
from matcher.insights.markets import market_overview
from matcher.insights.network import network_overview
from matcher.insights.outcomes import read_outcomes, summarise_outcomes, validate_outcomes
from matcher.insights.supply import supply_demand
from matcher.profiles import Link, ProfileValidationError, frame_to_profiles, validate_profiles

HOME = "kharkiv-fashion-cluster"

# Six members of the home cluster and four organisations abroad. By construction:
# - gaps: yarn_supply (sought by h-designer and h-knit), financing and woven_fabric_supply
#   (one seeker each); yarn and woven fabric are offered abroad, financing nowhere;
# - sewing is a shortage (2 seek, 1 offers), knitwear_production a surplus (1 seeks, 2 offer);
# - markets: DE and PL are targeted by two members each and have members and a partner
#   (pl-yarn) present; FR (h-sewing) and IT (h-lonely) have none, although it-yarn, not a
#   partner of the cluster, is present in IT;
# - openers: h-knit can open PL for h-designer and h-sewing; in DE h-rival can open it for
#   h-designer but competes with h-knit, and h-logistics helps h-knit only;
# - network: h-designer - h-knit - pl-yarn and h-sewing - h-logistics; h-rival and h-lonely
#   have no partner; h-knit is the only broker.
CLUSTER = [
    {
        "id": "h-designer",
        "name": "Студія Весна",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "designer_brand",
        "offers": "fashion_design",
        "seeks": "knitwear_production;yarn_supply;sewing",
        "products": "womenswear;knitwear",
        "markets_present": "UA",
        "markets_target": "PL;DE",
        "partnership_types": "joint_export",
        "languages": "uk;en",
    },
    {
        "id": "h-knit",
        "name": "Харківтрикотаж",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "manufacturer",
        "offers": "knitwear_production;small_batch_production",
        "seeks": "yarn_supply;fashion_design;logistics",
        "products": "knitwear;womenswear",
        "markets_present": "UA;PL",
        "markets_target": "DE",
        "partnership_types": "joint_export;manufacturing_agreement",
        "certifications": "oeko_tex_100",
        "capacity_units_month": "5000",
        "languages": "uk;en",
    },
    {
        "id": "h-rival",
        "name": "Трикотаж Схід",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "manufacturer",
        "offers": "knitwear_production",
        "products": "knitwear",
        "markets_present": "UA;DE",
        "languages": "uk",
    },
    {
        "id": "h-sewing",
        "name": "Слобожанська швейна фабрика",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "manufacturer",
        "offers": "sewing",
        "seeks": "woven_fabric_supply",
        "products": "womenswear",
        "markets_present": "UA",
        "markets_target": "PL;FR",
        "languages": "uk",
    },
    {
        "id": "h-logistics",
        "name": "Логістик Схід",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "service_provider",
        "offers": "logistics;customs_brokerage",
        "markets_present": "UA;PL;DE",
        "languages": "uk;ru",
    },
    {
        "id": "h-lonely",
        "name": "=Бренд Самотній",
        "network": HOME,
        "country": "UA",
        "city": "Kharkiv",
        "org_type": "designer_brand",
        "offers": "marketing_branding",
        "seeks": "sewing;financing",
        "markets_target": "IT",
        "languages": "uk",
    },
    {
        "id": "pl-yarn",
        "name": "Przędza S.A.",
        "network": "polish-fashion-cluster",
        "country": "PL",
        "city": "Łódź",
        "org_type": "textile_producer",
        "offers": "yarn_supply",
        "seeks": "knitwear_production",
        "products": "yarn",
        "markets_present": "PL;DE",
        "languages": "pl;en",
    },
    {
        "id": "it-yarn",
        "name": "Filati Srl",
        "network": "italian-textile-district",
        "country": "IT",
        "city": "Prato",
        "org_type": "textile_producer",
        "offers": "yarn_supply",
        "products": "yarn",
        "markets_present": "IT",
        "languages": "it;en",
    },
    {
        "id": "pl-fabric",
        "name": "Tkalnia Łódź",
        "network": "polish-fashion-cluster",
        "country": "PL",
        "city": "Łódź",
        "org_type": "textile_producer",
        "offers": "weaving;woven_fabric_supply",
        "seeks": "sewing",
        "products": "fabrics",
        "markets_present": "PL",
        "languages": "pl;en",
    },
    {
        "id": "de-dist",
        "name": "Mode Vertrieb GmbH",
        "network": "german-textile-alliance",
        "country": "DE",
        "city": "Berlin",
        "org_type": "retailer_distributor",
        "offers": "wholesale_distribution",
        "seeks": "knitwear_production",
        "products": "knitwear",
        "markets_present": "DE;AT",
        "languages": "de;en",
    },
]

LINKS = [
    Link("h-knit", "pl-yarn", "partner"),
    Link("h-sewing", "h-logistics", "supplier"),
    Link("h-designer", "h-knit", "partner"),
    Link("h-designer", "it-yarn", "declined"),
]


def frame(rows=CLUSTER):
    return validate_profiles(pd.DataFrame(rows).fillna(""))


@pytest.fixture(scope="module")
def profiles():
    return frame()


@pytest.fixture(scope="module")
def matcher(profiles):
    return PartnerMatcher().fit(profiles, LINKS)


@pytest.fixture(scope="module")
def supply(profiles, matcher):
    return supply_demand(profiles, LINKS, matcher)


def by_capability(supply):
    return supply.capabilities.set_index("capability")


def test_supply_and_demand_counts_and_statuses(supply):
    table = by_capability(supply)
    assert table.loc["yarn_supply", ["sought", "offered", "offered_abroad"]].tolist() == [2, 0, 2]
    counts = ["sought", "offered", "status"]
    assert table.loc["sewing", counts].tolist() == [2, 1, "shortage"]
    assert table.loc["knitwear_production", counts].tolist() == [1, 2, "surplus"]
    assert table.loc["fashion_design", "status"] == "balanced"
    assert table.loc["customs_brokerage", counts].tolist() == [0, 1, "surplus"]
    assert set(table["status"]) <= set(CAPABILITY_STATUSES)
    # Capabilities nobody at home seeks or offers are not listed, even when offered abroad.
    assert "weaving" not in table.index and "wholesale_distribution" not in table.index
    assert list(supply.shortages["capability"]) == ["sewing"]
    assert set(supply.surpluses["capability"]) == {
        "knitwear_production",
        "small_batch_production",
        "customs_brokerage",
        "marketing_branding",
    }
    assert table.loc["yarn_supply", "label_uk"] == "Постачання пряжі"


def test_gaps_in_order_with_partners_from_the_engine(supply):
    assert [g.capability for g in supply.gaps] == [
        "yarn_supply",
        "financing",
        "woven_fabric_supply",
    ]
    yarn, financing, fabric = supply.gaps
    assert yarn.seekers == ["h-designer", "h-knit"] and yarn.offered_abroad == 2
    # The engine never suggests a known partner (h-knit - pl-yarn) or a declined one
    # (h-designer declined it-yarn): each yarn maker is found for the other seeker.
    members = {p.partner_id: p.members for p in yarn.partners}
    assert members == {"pl-yarn": ["h-designer"], "it-yarn": ["h-knit"]}
    assert financing.partners == [] and financing.offered_abroad == 0
    assert [p.partner_id for p in fabric.partners] == ["pl-fabric"]
    partner = fabric.partners[0]
    assert partner.for_member == "h-sewing" and partner.network == "polish-fashion-cluster"
    assert "Offers what you seek: Woven fabric supply" in partner.reasons["en"]
    assert "Пропонує те, що ви шукаєте: Постачання тканин" in partner.reasons["uk"]
    assert partner.details["covers_your_needs"] == ["woven_fabric_supply"]
    assert 0 < partner.score <= partner.best_score <= 1


def test_gap_partner_score_averages_over_all_seekers(supply):
    yarn = supply.gaps[0]
    for partner in yarn.partners:
        # Found for one of two seekers: the average counts the other as 0.
        assert partner.score == pytest.approx(partner.best_score / 2)


def test_supply_demand_to_dict_is_json(supply):
    data = json.loads(json.dumps(supply.to_dict()))
    assert data["gaps"][0]["label"] == {"en": "Yarn supply", "uk": "Постачання пряжі"}
    assert data["gaps"][2]["partners"][0]["country_label"]["uk"] == "Польща"
    assert data["shortages"] == ["sewing"]
    sheet = supply.gap_partners()
    assert list(sheet["capability"]) == ["yarn_supply", "yarn_supply", "woven_fabric_supply"]
    assert sheet["reasons_uk"].str.contains("Пропонує").all()


def test_no_gap_needs_no_engine(profiles):
    rows = [r for r in CLUSTER if r["id"] not in ("h-designer", "h-knit", "h-sewing", "h-lonely")]
    result = supply_demand(frame(rows), matcher=None)
    assert result.gaps == []
    assert set(result.capabilities["status"]) == {"surplus"}


def test_markets_targets_presence_and_no_partner(profiles):
    markets = market_overview(profiles, LINKS)
    table = markets.markets.set_index("market")
    assert list(markets.targets["market"]) == ["DE", "PL", "FR", "IT"]
    columns = [
        "members_targeting",
        "home_present",
        "partners_present",
        "international_present",
        "targeting_with_own_partner",
        "openers",
        "no_partner",
    ]
    assert table.loc["DE", columns].tolist() == [2, 2, 1, 2, 1, 2, False]
    assert table.loc["PL", columns].tolist() == [2, 2, 1, 2, 2, 1, False]
    assert table.loc["FR", columns].tolist() == [1, 0, 0, 0, 0, 0, True]
    # it-yarn is present in IT but is no partner of the cluster.
    assert table.loc["IT", columns].tolist() == [1, 0, 0, 1, 0, 0, True]
    assert markets.without_partner == ["FR", "IT"]
    assert table.loc["UA", "members_targeting"] == 0 and table.loc["UA", "home_present"] == 5
    assert table.loc["DE", "name_uk"] == "Німеччина"


def test_market_openers_complement_without_competing(profiles):
    openers = market_overview(profiles, LINKS).openers
    found = {(row.market, row.member_id): row.helped for row in openers.itertuples()}
    assert found == {
        ("DE", "h-rival"): "h-designer",
        ("DE", "h-logistics"): "h-knit",
        ("PL", "h-knit"): "h-designer;h-sewing",
    }
    pl = openers[openers["market"] == "PL"].iloc[0]
    assert bool(pl["joint_export"]) and pl["members_helped"] == 2


def test_competes_and_complements(profiles):
    p = {x.member_id: x for x in frame_to_profiles(profiles)}
    assert competes(p["h-knit"], p["h-rival"]) and competes(p["h-rival"], p["h-knit"])
    assert not competes(p["h-knit"], p["h-sewing"])  # same role, different offers
    assert not competes(p["h-designer"], p["h-rival"])  # different roles
    assert complements(p["h-knit"], p["h-designer"]) and complements(p["h-logistics"], p["h-knit"])
    assert not complements(p["h-logistics"], p["h-designer"])


def test_network_components_brokers_and_unpartnered(profiles, matcher):
    network = network_overview(profiles, LINKS, matcher, suggestions_per_member=2)
    assert list(network.components["size"]) == [3, 2, 1, 1]
    assert network.components["members"].tolist() == [
        "h-designer;h-knit;pl-yarn",
        "h-logistics;h-sewing",
        "h-lonely",
        "h-rival",
    ]
    assert list(network.brokers["member_id"]) == ["h-knit"]
    assert set(network.unpartnered["member_id"]) == {"h-lonely", "h-rival"}
    for member_id in ("h-lonely", "h-rival"):
        assert len(network.suggestions[member_id]) == 2
    statuses = [d["status"] for *_, d in network.graph.edges(data=True)]
    assert statuses.count("known") == 3 and statuses.count("suggested") >= 1
    # Suggestions never repeat a known partnership and never join a member to itself.
    assert all(a != b for a, b in network.graph.edges())
    assert network.known_graph().number_of_edges() == 3
    assert set(network.known_graph()) == {
        "h-designer",
        "h-knit",
        "pl-yarn",
        "h-sewing",
        "h-logistics",
        "h-rival",
        "h-lonely",
    }
    assert network.components_with_suggestions < len(network.components)
    data = json.loads(json.dumps(network.to_dict()))
    assert data["known_edges"] == 3 and data["home_members"] == 6
    lonely = {row["member_id"]: row for row in data["unpartnered"]}
    assert len(lonely["h-rival"]["suggestions"]) == 2


def test_network_without_suggestions_needs_no_engine(profiles):
    network = network_overview(profiles, LINKS, suggestions_per_member=0)
    assert network.suggestions == {} and network.graph.number_of_edges() == 3
    with pytest.raises(ValueError, match="suggestions_per_member"):
        network_overview(profiles, LINKS, suggestions_per_member=-1)


def test_gradation_overview(profiles):
    gradation = gradation_overview(profiles)
    table = gradation.by_org_type.set_index("org_type")
    assert table.loc[
        "manufacturer", ["members", "local", "national", "regional", "international"]
    ].tolist() == [3, 0, 1, 2, 0]
    assert table.loc["designer_brand", ["members", "local", "national"]].tolist() == [2, 1, 1]
    assert table.loc["service_provider", "regional"] == 1
    assert gradation.presence_counts == {
        "local": 1,
        "national": 2,
        "regional": 3,
        "international": 0,
    }
    assert sum(gradation.potential_counts.values()) == 6
    assert table.loc["manufacturer", "label_uk"] == "Швейне / виробниче підприємство"
    data = json.loads(json.dumps(gradation.to_dict()))
    assert data["members"] == 6
    assert data["market_presence"][0] == {
        "tier": "local",
        "members": 1,
        "label": labels("market_presence", "local"),
    }


def test_compare_snapshots(profiles):
    earlier = [dict(r) for r in CLUSTER if r["id"] != "h-rival"]
    earlier[1]["markets_present"] = "UA"  # h-knit was national, is regional now
    earlier.append(
        {
            "id": "h-gone",
            "name": "Колишній учасник",
            "network": HOME,
            "country": "UA",
            "org_type": "supplier",
            "offers": "trims_supply",
        }
    )
    change = compare_snapshots(frame(earlier), profiles)
    assert list(change.new_members["member_id"]) == ["h-rival"]
    assert list(change.gone_members["member_id"]) == ["h-gone"]
    presence = change.changes[change.changes["dimension"] == "market_presence"]
    assert presence[["member_id", "before", "after", "direction"]].values.tolist() == [
        ["h-knit", "national", "regional", "up"]
    ]
    assert change.counts()["market_presence"] == {"up": 1, "down": 0}
    assert change.transitions["market_presence"].loc["national", "regional"] == 1
    assert int(change.transitions["market_presence"].to_numpy().sum()) == 5
    reverse = compare_snapshots(profiles, frame(earlier))
    assert reverse.counts()["market_presence"] == {"up": 0, "down": 1}
    json.dumps(change.to_dict())


OUTCOMES = """session,date,member_id,partner_id,shown,accepted,meeting_held,deal
day-1,2026-03-10,h-designer,pl-yarn,1,1,1,0
day-1,2026-03-10,h-knit,it-yarn,1,0,0,0
day-1,2026-03-10,h-sewing,pl-fabric,yes,yes,yes,yes
day-2,2026-04-02,h-designer,it-yarn,так,так,ні,ні
day-2,2026-04-02,h-lonely,de-dist,,0,0,
"""


def test_outcomes_per_session_and_month(tmp_path, profiles):
    path = tmp_path / "outcomes.csv"
    path.write_text(OUTCOMES, encoding="utf-8")
    rows = read_outcomes(path, profiles.index)
    assert list(rows.columns) == list(OUTCOME_COLUMNS)
    assert rows["shown"].all()  # an empty 'shown' cell means shown
    summary = summarise_outcomes(rows)
    sessions = summary.sessions.set_index("session")
    flags = ["shown", "accepted", "meeting_held", "deal"]
    assert sessions.loc["day-1", flags].tolist() == [3, 2, 2, 1]
    assert sessions.loc["day-2", flags].tolist() == [2, 1, 0, 0]
    assert sessions.loc["day-1", "deal_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert list(summary.months["month"]) == ["2026-03", "2026-04"]
    assert summary.totals == {
        "sessions": 2,
        "rows": 5,
        "shown": 5,
        "accepted": 3,
        "meeting_held": 2,
        "deal": 1,
        "accepted_rate": 0.6,
        "meeting_rate": 0.4,
        "deal_rate": 0.2,
    }
    json.dumps(summary.to_dict())


def test_outcomes_errors_name_row_column_and_value(profiles):
    columns = ["session", "date", "member_id", "partner_id", "deal"]
    raw = pd.DataFrame(
        [
            ["d", "2026-13-40", "h-knit", "pl-yarn", "1"],
            ["", "2026-03-10", "nobody", "pl-yarn", "maybe"],
            ["d", "2026-03-10", "h-knit", "pl-yarn", "0"],
        ],
        columns=columns,
    )
    with pytest.raises(ProfileValidationError) as error:
        validate_outcomes(raw, profiles.index, source="outcomes.csv")
    message = str(error.value)
    assert message.startswith("outcomes.csv: 5 problems")
    assert "row 2, column 'date': '2026-13-40' is not an ISO 8601 date" in message
    assert "row 3, column 'session': session is required" in message
    assert "row 3, column 'member_id': 'nobody' is not the id of any profile" in message
    assert "row 3, column 'deal': 'maybe' is not a yes/no flag" in message
    assert "row 4, column 'partner_id': 'pl-yarn' repeats row 2" in message
    with pytest.raises(ProfileValidationError, match="required column 'date' is missing"):
        validate_outcomes(raw.drop(columns="date"))


def test_cluster_insights_together(profiles, matcher):
    earlier = [dict(r) for r in CLUSTER if r["id"] != "h-lonely"]
    outcomes = validate_outcomes(
        pd.DataFrame(
            [{"session": "s", "date": "2026-05-01", "member_id": "h-knit", "partner_id": "it-yarn"}]
        )
    )
    result = cluster_insights(
        profiles,
        LINKS,
        matcher=matcher,
        previous=frame(earlier),
        outcomes=outcomes,
        suggestions_per_member=2,
    )
    summary = result.summary()
    assert summary["gaps"] == 3 and summary["top_gaps"][0] == "yarn_supply"
    assert summary["markets_without_partner"] == ["FR", "IT"]
    assert summary["unpartnered_members"] == 2 and summary["members"] == 6
    assert summary["links"] == 4 and summary["profiles"] == 10
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {
        "summary",
        "gradation",
        "movement",
        "supply_demand",
        "markets",
        "network",
        "outcomes",
    }
    assert [m["member_id"] for m in data["movement"]["new_members"]] == ["h-lonely"]
    tables = result.tables()
    assert {
        "summary",
        "gradation",
        "members",
        "capabilities",
        "gap_partners",
        "markets",
        "market_openers",
        "network_components",
        "brokers",
        "unpartnered",
        "network_edges",
        "tier_changes",
        "new_members",
        "gone_members",
        "outcome_sessions",
        "outcome_months",
    } == set(tables)
    assert all(len(name) <= 31 for name in tables)


def test_cluster_insights_fits_a_model_when_none_is_given(profiles):
    result = cluster_insights(profiles, LINKS, suggestions_per_member=1)
    assert result.model_kind == "default"
    assert [g.capability for g in result.supply.gaps] == [
        "yarn_supply",
        "financing",
        "woven_fabric_supply",
    ]


def test_a_model_fitted_on_other_profiles_never_suggests_absent_ones(profiles, matcher):
    # The model knows pl-fabric; the current profiles no longer hold it, and hold a new member.
    rows = [r for r in CLUSTER if r["id"] != "pl-fabric"] + [
        {
            "id": "h-new",
            "name": "Нова фабрика",
            "network": HOME,
            "country": "UA",
            "org_type": "manufacturer",
            "offers": "sewing",
            "seeks": "woven_fabric_supply;yarn_supply",
        }
    ]
    result = supply_demand(frame(rows), LINKS, matcher)
    fabric = {g.capability: g for g in result.gaps}["woven_fabric_supply"]
    assert fabric.partners == [] and fabric.offered_abroad == 0
    yarn = {g.capability: g for g in result.gaps}["yarn_supply"]
    assert "h-new" in yarn.seekers
    assert any("h-new" in p.members for p in yarn.partners)


def test_home_network_must_have_members(profiles):
    with pytest.raises(ValueError, match="no members of the home network 'nowhere'"):
        gradation_overview(profiles, home_network="nowhere")


def test_country_names():
    assert country_name("DE", "uk") == "Німеччина"
    assert country_name("MD", "en") == "Moldova"
    assert country_name("md", "en") == "Moldova"
    assert country_name("XX", "uk") == "XX"
    # The same name in the insights' labels and on the pages (the reasons call it too).
    from api.web import i18n

    assert labels("country", "MD") == {"en": "Moldova", "uk": country_name("MD", "uk")}
    assert i18n.country_name is country_name
    assert labels("potential_tier", "high") == {"en": "high", "uk": "високий"}
