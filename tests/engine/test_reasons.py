"""The reasons of a suggestion (explain) and its main risk (main_risk), in English and Ukrainian.

On the hand-built cluster of tests/conftest.py, through PartnerMatcher.recommend as the service
and the batch use them, and directly on profiles of that cluster changed one field at a time.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from matcher import geography
from matcher.engine.pairs import PAIR_FEATURES
from matcher.engine.ranking import PartnerMatcher
from matcher.engine.reasons import explain, main_risk
from matcher.profiles import frame_to_profiles
from matcher.taxonomy import load_taxonomy

CYRILLIC = re.compile("[\u0400-\u04ff]")
LANGUAGES = ("en", "uk")


@pytest.fixture
def matcher(cluster_frame, cluster_links) -> PartnerMatcher:
    return PartnerMatcher().fit(cluster_frame, cluster_links)


@pytest.fixture
def profiles(cluster_frame):
    return {p.member_id: p for p in frame_to_profiles(cluster_frame)}


@pytest.fixture
def suggestions(matcher, profiles):
    """Every member's whole list of suggestions in both languages: {(member, language): list}."""
    n = len(profiles)
    return {
        (member, language): matcher.recommend(member, k=n, language=language)
        for member in profiles
        for language in LANGUAGES
    }


def _pair(suggestions, member: str, partner: str, language: str = "en"):
    (found,) = [s for s in suggestions[member, language] if s.partner_id == partner]
    return found


def _static_parts(template: str) -> list[str]:
    """The fixed words of a sentence template (the text between its placeholders)."""
    return [part.strip(" ;:,()") for part in re.split(r"\{\w+\}", template)]


# ---------------------------------------------------------------------------------------------
# Every suggestion, both languages
# ---------------------------------------------------------------------------------------------


def test_every_suggestion_has_reasons_in_both_languages(suggestions, profiles):
    """Every member gets suggestions; each has reasons, the network line and the gradation
    line at least; the language changes the sentences only (same partners, scores, number of
    reasons and facts)."""
    assert len(suggestions) == 2 * len(profiles)
    for member in profiles:
        en, uk = suggestions[member, "en"], suggestions[member, "uk"]
        assert en, member
        assert [s.partner_id for s in en] == [s.partner_id for s in uk]
        assert [s.score for s in en] == [s.score for s in uk]
        for a, b in zip(en, uk):
            assert len(a.reasons) >= 2 and all(r.strip() for r in a.reasons)
            assert len(a.reasons) == len(b.reasons)
            network = [r for r in a.reasons if "network" in r]
            assert len(network) == 1
            # The gradation closes the list, before the risk when there is one.
            gradation = -2 if a.details["risk"] else -1
            assert re.search(
                r"; market presence: .+; potential: (low|medium|high)$", a.reasons[gradation]
            )
            assert re.search(r"; присутність на ринках: .+; потенціал: \w+$", b.reasons[gradation])
            facts_en = {key: value for key, value in a.details.items() if key != "risk"}
            facts_uk = {key: value for key, value in b.details.items() if key != "risk"}
            assert facts_en == facts_uk
            assert (a.details["risk"] is None) == (b.details["risk"] is None)
            if a.details["risk"]:
                assert a.details["risk"]["kind"] == b.details["risk"]["kind"]


def test_reasons_name_the_needs_covered_in_both_directions(suggestions, profiles):
    """`covers_your_needs`: what the member seeks and the partner offers; `you_cover_their_needs`:
    the other way round; each named by its label in a sentence of its own, or absent."""
    taxonomy = load_taxonomy()
    both = 0
    for (member, language), listed in suggestions.items():
        a = profiles[member]
        covers_prefix = (
            "Offers what you seek: " if language == "en" else "Пропонує те, що ви шукаєте: "
        )
        covered_prefix = (
            "Seeks what you offer: " if language == "en" else "Шукає те, що пропонуєте ви: "
        )
        for s in listed:
            b = profiles[s.partner_id]
            covers = [t for t in a.all_seeks if t in b.all_offers]
            covered = [t for t in b.all_seeks if t in a.all_offers]
            assert s.details["covers_your_needs"] == covers
            assert s.details["you_cover_their_needs"] == covered
            for tags, prefix in ((covers, covers_prefix), (covered, covered_prefix)):
                sentences = [r for r in s.reasons if r.startswith(prefix)]
                if tags:
                    labels = taxonomy.labels("capabilities", tags, language)
                    assert sentences == [prefix + ", ".join(labels)]
                else:
                    assert sentences == []
            both += bool(covers and covered)
    assert both >= 4  # not vacuous: several pairs cover needs both ways


def test_the_designer_and_the_knitwear_factory_in_full(suggestions):
    """The reasons in their order, most important first."""
    assert _pair(suggestions, "designer", "knit-factory", "en").reasons == [
        "Offers what you seek: Knitwear production",
        "Seeks what you offer: Fashion design / collections",
        "Present in markets you target: Poland",
        "Works on the same product lines: Womenswear, Knitwear",
        "Certified: OEKO-TEX Standard 100",
        # No names given: the network's id as words (matcher.i18n.network_name).
        "Member of your network (Kharkiv Fashion Cluster)",
        "Garment or goods manufacturer; market presence: Neighbouring countries; potential: medium",
    ]
    assert _pair(suggestions, "designer", "knit-factory", "uk").reasons == [
        "Пропонує те, що ви шукаєте: Виробництво трикотажних виробів",
        "Шукає те, що пропонуєте ви: Дизайн одягу, колекції",
        "Присутній на ринках, куди ви прагнете: Польща",
        "Працює з тими самими товарними групами: Жіночий одяг, Трикотаж",
        "Сертифікати: OEKO-TEX Standard 100",
        "Учасник вашої мережі (Kharkiv Fashion Cluster)",
        "Швейне / виробниче підприємство; присутність на ринках: Сусідні країни; потенціал: середній",
    ]


def test_needs_read_from_a_description_are_named_too(suggestions, profiles):
    """``text-only`` gives no tags, only a Ukrainian description seeking yarn."""
    assert profiles["text-only"].seeks == () and profiles["text-only"].text_seeks
    top = suggestions["text-only", "en"][0]
    assert top.partner_id == "yarn-supplier"
    assert top.details["covers_your_needs"] == ["yarn_supply"]
    assert top.reasons[0] == "Offers what you seek: Yarn supply"
    assert suggestions["text-only", "uk"][0].reasons[0] == (
        "Пропонує те, що ви шукаєте: Постачання пряжі"
    )


def test_ukrainian_reasons_are_ukrainian_and_english_ones_english(suggestions, profiles):
    """Every Ukrainian sentence holds Cyrillic and none of the English sentences' fixed words,
    English labels (where the Ukrainian one differs), English country names or tiers; no
    English sentence holds Cyrillic."""
    from matcher.engine import reasons as module

    taxonomy = load_taxonomy()
    english_words = {
        part for template in module._TEXT["en"].values() for part in _static_parts(template)
    }
    english_words = {w for w in english_words if len(w) >= 4}
    assert "Offers what you seek" in english_words and "potential" in english_words
    for member in profiles:
        for s in suggestions[member, "en"]:
            assert not any(CYRILLIC.search(r) for r in s.reasons), s.reasons
        for s in suggestions[member, "uk"]:
            b = profiles[s.partner_id]
            text = "\n".join(s.reasons)
            assert all(CYRILLIC.search(r) for r in s.reasons), s.reasons
            assert not [w for w in english_words if w in text], s.reasons
            assert not re.search(r"\b(low|medium|high)\b", text)
            details = s.details
            tagged = [
                ("capabilities", details["covers_your_needs"] + details["you_cover_their_needs"]),
                ("products", details["shared_products"]),
                ("certifications", details["certifications"]),
                ("org_types", [b.org_type]),
                ("market_presence", [b.market_presence]),
            ]
            terms = [taxonomy.terms[v][tag] for v, tags in tagged for tag in tags]
            for term in terms:
                assert term.labels.get("uk"), term
                assert term.labels["uk"] in text
            # An English label may be a part of the Ukrainian one (a certificate's name).
            rest = text
            for term in terms:
                rest = rest.replace(term.labels["uk"], "")
            for term in terms:
                if term.labels["en"] != term.labels["uk"]:
                    assert term.labels["en"] not in rest, (term, s.reasons)
            countries = set(details["opens_markets"] + details["shared_markets"]) | {b.country}
            for code in countries:
                english = geography.country_name(code, "en")
                if english in text:
                    pytest.fail(f"{english} untranslated in {s.reasons}")


def test_sentences_follow_the_facts(suggestions, profiles):
    """Markets opened, else markets shared; certificates; the network; shared working
    languages across borders only; the description's match when no tag is covered; the
    likeness to known partners; the risk last."""
    for (member, language), listed in suggestions.items():
        if language != "en":
            continue
        a = profiles[member]
        for s in listed:
            b, d, text = profiles[s.partner_id], s.details, s.reasons
            opens = [m for m in a.markets_target if m in b.markets_present]
            shared = [m for m in a.markets_present if m in b.markets_present]
            assert d["opens_markets"] == opens and d["shared_markets"] == shared
            has = {
                prefix: any(r.startswith(prefix) for r in text)
                for prefix in (
                    "Present in markets you target: ",
                    "Sells in the same markets: ",
                    "Certified: ",
                    "Shared working languages: ",
                    "Its description matches",
                    "Resembles your existing partners",
                    "Member of your network",
                    "From another network: ",
                    "Main risk: ",
                )
            }
            assert has["Present in markets you target: "] == bool(opens)
            assert has["Sells in the same markets: "] == bool(shared and not opens)
            assert has["Certified: "] == bool(b.certifications)
            languages = [lang for lang in a.languages if lang in b.languages]
            assert d["shared_languages"] == languages
            assert has["Shared working languages: "] == bool(languages and a.country != b.country)
            assert has["Its description matches"] == (
                not d["covers_your_needs"] and d["features"]["text_ab"] >= 0.15
            )
            assert has["Resembles your existing partners"] == (
                d["features"]["partner_similarity"] >= 0.5
            )
            assert d["same_network"] == (a.network == b.network)
            assert has["Member of your network"] == d["same_network"]
            assert has["From another network: "] == (not d["same_network"])
            assert has["Main risk: "] == (d["risk"] is not None)
            if d["risk"]:
                assert text[-1] == "Main risk: " + d["risk"]["text"]
            assert list(d["features"]) == list(PAIR_FEATURES)
            assert all(round(v, 4) == v for v in d["features"].values())
            assert d["gradation"]["potential_tier"] == b.potential_tier


def test_another_network_is_named_with_its_country(suggestions):
    s = _pair(suggestions, "designer", "pl-knit-factory", "en")
    assert "From another network: Polish Fashion Cluster, Poland" in s.reasons
    # Languages by their names in the reasons' language (issue 15: not "en").
    assert "Shared working languages: English" in s.reasons
    uk = _pair(suggestions, "designer", "pl-knit-factory", "uk")
    assert "З іншої мережі: Polish Fashion Cluster, Польща" in uk.reasons
    assert "Спільні робочі мови: англійська" in uk.reasons
    # Same country: no line on the languages, however many are shared.
    assert not [
        r
        for r in _pair(suggestions, "designer", "knit-factory").reasons
        if r.startswith("Shared working languages")
    ]


# ---------------------------------------------------------------------------------------------
# The main risk on the cluster
# ---------------------------------------------------------------------------------------------


def test_the_competitor_is_named_as_one(suggestions):
    """Another designer brand offering the same to the same market: the competitor risk."""
    en = _pair(suggestions, "designer", "rival-designer", "en")
    uk = _pair(suggestions, "designer", "rival-designer", "uk")
    assert en.details["features"]["competitor"] >= 0.3
    assert en.details["risk"] == {
        "kind": "competitor",
        "text": "it offers much the same as you to the same markets (possible competitor)",
    }
    assert en.reasons[-1] == (
        "Main risk: it offers much the same as you to the same markets (possible competitor)"
    )
    assert uk.reasons[-1] == (
        "Головний ризик: пропонує майже те саме, що й ви, на тих самих ринках (можливий конкурент)"
    )


def test_a_minimum_order_above_the_members_volume_comes_first(suggestions):
    s = _pair(suggestions, "designer", "pl-knit-factory")
    assert s.details["risk"] == {
        "kind": "moq",
        "text": "minimum order 500 above your volume 300",
        "moq": 500,
        "volume": 300,
    }
    assert _pair(suggestions, "designer", "pl-knit-factory", "uk").reasons[-1] == (
        "Головний ризик: мінімальне замовлення 500 більше за ваш обсяг 300"
    )
    # 200 is within the designer's 300 a month: no risk at all for the best partner.
    assert _pair(suggestions, "designer", "knit-factory").details["risk"] is None


def test_no_shared_language_and_unknown_needs_are_named(suggestions):
    language = _pair(suggestions, "sewing-factory", "pl-distributor")
    assert language.details["features"]["shared_language"] == 0.0
    assert language.details["risk"]["kind"] == "language"
    assert language.reasons[-1] == "Main risk: no shared working language"
    needs = _pair(suggestions, "designer", "logistics")
    assert needs.details["risk"]["kind"] == "no_needs"
    assert needs.reasons[-1] == (
        "Main risk: it has not said what it seeks, so the benefit for it is unclear"
    )
    assert _pair(suggestions, "designer", "logistics", "uk").reasons[-1] == (
        "Головний ризик: не вказав, що шукає, тож його вигода неясна"
    )


def test_the_risk_of_each_suggestion_is_main_risk_of_its_pair(suggestions, profiles):
    kinds = set()
    for (member, language), listed in suggestions.items():
        for s in listed:
            risk = main_risk(
                profiles[member], profiles[s.partner_id], s.details["features"], language
            )
            if risk is None:
                assert s.details["risk"] is None
                continue
            key, values = risk
            assert s.details["risk"]["kind"] == key.removeprefix("risk_")
            assert {
                k: v for k, v in s.details["risk"].items() if k not in ("kind", "text")
            } == values
            kinds.add(key)
    assert kinds == {"risk_moq", "risk_competitor", "risk_language", "risk_no_needs"}


# ---------------------------------------------------------------------------------------------
# main_risk and explain on profiles changed one field at a time
# ---------------------------------------------------------------------------------------------

NEUTRAL = {"competitor": 0.0, "shared_language": 1.0}


def test_main_risk_none_for_a_good_pair(profiles):
    assert main_risk(profiles["designer"], profiles["knit-factory"], NEUTRAL) is None


@pytest.mark.parametrize(
    "capacity, min_order, risky",
    [(300, 301, True), (300, 300, False), (None, 10**6, False), (300, None, False)],
)
def test_main_risk_minimum_order_strictly_above_a_known_volume(
    profiles, capacity, min_order, risky
):
    a = dataclasses.replace(profiles["designer"], capacity_units_month=capacity)
    b = dataclasses.replace(profiles["knit-factory"], min_order_qty=min_order)
    expected = ("risk_moq", {"moq": min_order, "volume": capacity}) if risky else None
    assert main_risk(a, b, NEUTRAL) == expected


@pytest.mark.parametrize(
    "features, expected",
    [
        ({"competitor": 0.3, "shared_language": 1.0}, "risk_competitor"),
        ({"competitor": 0.2999, "shared_language": 1.0}, None),
        ({"competitor": 0.0, "shared_language": 0.0}, "risk_language"),
        ({"competitor": 0.0, "shared_language": 0.5}, None),  # unknown is not none shared
        ({}, None),
    ],
)
def test_main_risk_thresholds_of_the_features(profiles, features, expected):
    risk = main_risk(profiles["designer"], profiles["knit-factory"], features)
    assert (risk[0] if risk else None) == expected


def test_main_risk_far_names_the_country_in_the_language(profiles):
    a = profiles["designer"]
    b = dataclasses.replace(profiles["knit-factory"], country="US")
    assert main_risk(a, b, NEUTRAL) == ("risk_far", {"country": "United States"})
    key, values = main_risk(a, b, NEUTRAL, "uk")
    assert key == "risk_far" and CYRILLIC.search(values["country"])
    assert values["country"] == geography.country_name("US", "uk")
    # Another country of the same continent is not far.
    near = dataclasses.replace(profiles["knit-factory"], country="PL")
    assert main_risk(a, near, NEUTRAL) is None
    features = np.zeros(len(PAIR_FEATURES))
    features[PAIR_FEATURES.index("shared_language")] = 1.0
    reasons, details = explain(a, b, features, "uk")
    assert reasons[-1] == f"Головний ризик: розташований на іншому континенті ({values['country']})"
    assert details["risk"]["kind"] == "far" and details["risk"]["country"] == values["country"]


def test_main_risk_order_moq_competitor_language_far_needs(profiles):
    """With every risk at once the first of the order is named; removing it names the next."""
    a = dataclasses.replace(profiles["designer"], capacity_units_month=100)
    b = dataclasses.replace(
        profiles["knit-factory"], min_order_qty=500, country="CN", seeks=(), text_seeks=()
    )
    features = {"competitor": 0.9, "shared_language": 0.0}
    order = []
    while (risk := main_risk(a, b, features)) is not None:
        order.append(risk[0])
        if risk[0] == "risk_moq":
            b = dataclasses.replace(b, min_order_qty=None)
        elif risk[0] == "risk_competitor":
            features = {**features, "competitor": 0.0}
        elif risk[0] == "risk_language":
            features = {**features, "shared_language": 1.0}
        elif risk[0] == "risk_far":
            b = dataclasses.replace(b, country=a.country)
        else:
            b = dataclasses.replace(b, seeks=("fashion_design",))
    assert order == ["risk_moq", "risk_competitor", "risk_language", "risk_far", "risk_no_needs"]


@pytest.mark.parametrize(
    "text_ab, seeks_met, shown", [(0.15, False, True), (0.149, False, False), (0.9, True, False)]
)
def test_the_description_match_stands_in_for_covered_tags_only(profiles, text_ab, seeks_met, shown):
    a = profiles["designer"]
    b = profiles["knit-factory"] if seeks_met else profiles["photo"]
    features = np.zeros(len(PAIR_FEATURES))
    features[PAIR_FEATURES.index("text_ab")] = text_ab
    for language, sentence in (
        ("en", "Its description matches what you are looking for"),
        ("uk", "Його опис відповідає тому, що ви шукаєте"),
    ):
        reasons, details = explain(a, b, features, language)
        assert (sentence in reasons) == shown
        assert bool(details["covers_your_needs"]) == seeks_met


@pytest.mark.parametrize("similarity, shown", [(0.5, True), (0.4999, False)])
def test_likeness_to_known_partners_from_half(profiles, similarity, shown):
    features = np.zeros(len(PAIR_FEATURES))
    features[PAIR_FEATURES.index("partner_similarity")] = similarity
    reasons, _ = explain(profiles["designer"], profiles["knit-factory"], features, "en")
    assert ("Resembles your existing partners" in reasons) == shown
    reasons, _ = explain(profiles["designer"], profiles["knit-factory"], features, "uk")
    assert ("Схожий на ваших наявних партнерів" in reasons) == shown


def test_every_covered_need_is_named_in_the_members_order(profiles):
    """Several needs each way: all are named, in the order the seeking side lists them."""
    a = dataclasses.replace(
        profiles["designer"],
        seeks=("yarn_supply", "knitwear_production", "logistics"),
        offers=("marketing_branding", "fashion_design"),
    )
    b = dataclasses.replace(
        profiles["knit-factory"],
        offers=("knitwear_production", "small_batch_production", "yarn_supply"),
        seeks=("fashion_design", "yarn_supply", "marketing_branding"),
    )
    features = np.zeros(len(PAIR_FEATURES))
    features[PAIR_FEATURES.index("shared_language")] = 1.0
    reasons, details = explain(a, b, features, "en")
    assert details["covers_your_needs"] == ["yarn_supply", "knitwear_production"]
    assert details["you_cover_their_needs"] == ["fashion_design", "marketing_branding"]
    assert reasons[:2] == [
        "Offers what you seek: Yarn supply, Knitwear production",
        "Seeks what you offer: Fashion design / collections, Marketing and branding",
    ]
    reasons, _ = explain(a, b, features, "uk")
    taxonomy = load_taxonomy()
    assert reasons[:2] == [
        "Пропонує те, що ви шукаєте: "
        + ", ".join(taxonomy.labels("capabilities", ["yarn_supply", "knitwear_production"], "uk")),
        "Шукає те, що пропонуєте ви: "
        + ", ".join(
            taxonomy.labels("capabilities", ["fashion_design", "marketing_branding"], "uk")
        ),
    ]
    assert all(CYRILLIC.search(r) for r in reasons[:2])


def test_networks_are_named_by_the_names_given(matcher):
    """Issue 15: a network's display name in the reasons' language, never its slug."""
    names = {
        "kharkiv-fashion-cluster": {
            "en": "Kharkiv Fashion Cluster",
            "uk": "Харківський фешн-кластер",
        },
        "polish-fashion-cluster": {"en": "Polish Fashion Cluster", "uk": "Польський фешн-кластер"},
    }
    n = len(matcher.frame_)
    for language, own, other in (
        ("en", "Member of your network (Kharkiv Fashion Cluster)", "From another network: Polish"),
        ("uk", "Учасник вашої мережі (Харківський фешн-кластер)", "З іншої мережі: Польський"),
    ):
        found = matcher.recommend("designer", k=n, language=language, network_names=names)
        reasons = [r for s in found for r in s.reasons]
        assert own in reasons
        assert any(r.startswith(other) for r in reasons)
        assert not [r for r in reasons if "fashion-cluster" in r]


def test_a_minimum_order_is_written_as_the_language_writes_numbers(profiles, matcher):
    """Issue 15: "2 150" (a no-break space) in Ukrainian, "2,150" in English; the details keep
    the numbers."""
    designer = dataclasses.replace(profiles["designer"], capacity_units_month=1500)
    partner = dataclasses.replace(profiles["pl-knit-factory"], min_order_qty=2150)
    features = np.zeros(len(PAIR_FEATURES))
    en_reasons, details = explain(designer, partner, features, "en")
    uk_reasons, _ = explain(designer, partner, features, "uk")
    assert en_reasons[-1] == "Main risk: minimum order 2,150 above your volume 1,500"
    assert uk_reasons[-1] == (
        "Головний ризик: мінімальне замовлення 2\u00a0150 більше за ваш обсяг 1\u00a0500"
    )
    assert (details["risk"]["moq"], details["risk"]["volume"]) == (2150, 1500)
