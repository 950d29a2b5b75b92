"""Why a partner is suggested: plain sentences (English or Ukrainian) and structured details."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from .. import geography
from ..i18n import N_, NetworkNames, Table, format_number, language_name, network_name, tier_name
from ..profiles import Profile
from ..taxonomy import Taxonomy, load_taxonomy
from .featurenames import PAIR_FEATURES

__all__ = ["explain", "exploration_reason", "main_risk"]

#: The sentences of the reasons, by key; English source strings of the catalogue (matcher.i18n).
_TEXT = Table(
    {
        "covers": N_("Offers what you seek: {items}"),
        "covered": N_("Seeks what you offer: {items}"),
        "opens": N_("Present in markets you target: {items}"),
        "shared_markets": N_("Sells in the same markets: {items}"),
        "products": N_("Works on the same product lines: {items}"),
        "certifications": N_("Certified: {items}"),
        "languages": N_("Shared working languages: {items}"),
        "same_network": N_("Member of your network ({network})"),
        "other_network": N_("From another network: {network}, {country}"),
        "like_partners": N_("Resembles your existing partners"),
        "text": N_("Its description matches what you are looking for"),
        # TRANSLATORS: the partner's gradation: type of activity; market presence; potential tier.
        "gradation": N_("{org_type}; market presence: {presence}; potential: {tier}"),
        "risk": N_("Main risk: {risk}"),
        "risk_moq": N_("minimum order {moq} above your volume {volume}"),
        "risk_competitor": N_(
            "it offers much the same as you to the same markets (possible competitor)"
        ),
        "risk_language": N_("no shared working language"),
        "risk_no_needs": N_("it has not said what it seeks, so the benefit for it is unclear"),
        "risk_far": N_("it is on another continent ({country})"),
        "explored": N_(
            "Few members have been shown it yet: one place of the list goes to such partners, "
            "so that newer firms get seen"
        ),
    }
)


def main_risk(
    a: Profile, b: Profile, features: dict[str, float], language: str = "en"
) -> tuple[str, dict[str, Any]] | None:
    """Return the main risk of partnering `a` with `b`: a key and its values, or None."""
    if (
        a.capacity_units_month is not None
        and b.min_order_qty is not None
        and b.min_order_qty > a.capacity_units_month
    ):
        return "risk_moq", {"moq": b.min_order_qty, "volume": a.capacity_units_month}
    if features.get("competitor", 0.0) >= 0.3:
        return "risk_competitor", {}
    if features.get("shared_language", 0.5) == 0.0:
        return "risk_language", {}
    if a.country != b.country and geography.continent(a.country) != geography.continent(b.country):
        return "risk_far", {"country": geography.country_name(b.country, language)}
    if not b.all_seeks:
        return "risk_no_needs", {}
    return None


def exploration_reason(language: str = "en") -> str:
    """The reason added to a partner given an exploration place of a shortlist (see
    ``PartnerMatcher(explore=...)``)."""
    return _TEXT[language]["explored"]


def _rounded(features: np.ndarray) -> list[float]:
    """``[round(float(v), 4) for v in features]``, vectorised for float32 features (a batch
    rounds 38 features of every suggestion): a float32 times 10,000 is exact in float64, so
    rounding half to even there and dividing gives the same float as Python's ``round``."""
    features = np.asarray(features)
    if features.dtype == np.float32:
        return (np.rint(features.astype(np.float64) * 1e4) / 1e4).tolist()
    return [round(float(v), 4) for v in features]


@lru_cache(maxsize=4096)
def _gradation(taxonomy: Taxonomy, org_type: str, presence: str, tier: str, language: str) -> str:
    """The gradation sentence of a partner: a few words of three small vocabularies, written
    once per process for each combination (a batch writes it for every suggestion)."""
    return _TEXT[language]["gradation"].format(
        org_type=taxonomy.label("org_types", org_type, language),
        presence=taxonomy.label("market_presence", presence, language),
        tier=tier_name(tier, language),
    )


@lru_cache(maxsize=4096)
def _network_reason(same: bool, network: str, country: str, language: str) -> str:
    """The network sentence of a partner when no display names are given (written once per
    process for each network, country and language)."""
    if same:
        return _TEXT[language]["same_network"].format(network=network_name(network, language))
    return _TEXT[language]["other_network"].format(
        network=network_name(network, language),
        country=geography.country_name(country, language),
    )


def explain(
    a: Profile,
    b: Profile,
    features: np.ndarray,
    language: str = "en",
    network_names: NetworkNames | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """Return the reasons for suggesting `b` to `a`.

    Parameters
    ----------
    a, b : Profile
        The member and the suggested partner.
    features : ndarray of shape (len(PAIR_FEATURES),)
        The pair's features.
    language : {"en", "uk"}
    network_names : dict, optional
        Display names of the networks, ``{network: {language: name}}``; a network without one
        is named by its id as words (:func:`matcher.i18n.network_name`).

    Returns
    -------
    reasons : list of str
        Sentences, most important first.
    details : dict
        The same facts as data: ids, labels, the pair features and both gradations.
    """
    text = _TEXT[language]
    taxonomy = load_taxonomy()
    values = dict(zip(PAIR_FEATURES, _rounded(features)))

    def labels(vocabulary: str, tags) -> str:
        return ", ".join(taxonomy.labels(vocabulary, tags, language))

    b_offers, b_markets_present = set(b.all_offers), set(b.markets_present)
    covers = [t for t in a.all_seeks if t in b_offers]
    covered = [t for t in b.all_seeks if t in set(a.all_offers)] if b.all_seeks else []
    opens = [m for m in a.markets_target if m in b_markets_present]
    shared_markets = [m for m in a.markets_present if m in b_markets_present]
    shared_products = [p for p in a.all_products if p in set(b.all_products)]
    shared_languages = [lang for lang in a.languages if lang in set(b.languages)]
    reasons: list[str] = []
    if covers:
        reasons.append(text["covers"].format(items=labels("capabilities", covers)))
    if covered:
        reasons.append(text["covered"].format(items=labels("capabilities", covered)))
    if not covers and values["text_ab"] >= 0.15:
        reasons.append(text["text"])
    if opens:
        reasons.append(
            text["opens"].format(
                items=", ".join(geography.country_name(m, language) for m in opens)
            )
        )
    if shared_products:
        reasons.append(text["products"].format(items=labels("products", shared_products)))
    if shared_markets and not opens:
        reasons.append(
            text["shared_markets"].format(
                items=", ".join(geography.country_name(m, language) for m in shared_markets)
            )
        )
    if b.certifications:
        reasons.append(
            text["certifications"].format(items=labels("certifications", b.certifications))
        )
    if values["partner_similarity"] >= 0.5:
        reasons.append(text["like_partners"])
    if network_names is None:
        reasons.append(_network_reason(a.network == b.network, b.network, b.country, language))
    elif a.network == b.network:
        reasons.append(
            text["same_network"].format(network=network_name(b.network, language, network_names))
        )
    else:
        reasons.append(
            text["other_network"].format(
                network=network_name(b.network, language, network_names),
                country=geography.country_name(b.country, language),
            )
        )
    if shared_languages and a.country != b.country:
        named = ", ".join(language_name(code, language) for code in shared_languages)
        reasons.append(text["languages"].format(items=named))
    reasons.append(_gradation(taxonomy, b.org_type, b.market_presence, b.potential_tier, language))
    risk = main_risk(a, b, values, language)
    risk_text = None
    if risk:
        # The numbers as the language writes them ("2 150" in Ukrainian); the details keep them.
        risk_text = text[risk[0]].format(
            **{
                key: format_number(value, language) if isinstance(value, (int, float)) else value
                for key, value in risk[1].items()
            }
        )
        reasons.append(text["risk"].format(risk=risk_text))
    details = {
        "covers_your_needs": covers,
        "you_cover_their_needs": covered,
        "opens_markets": opens,
        "shared_markets": shared_markets,
        "shared_products": shared_products,
        "shared_languages": shared_languages,
        "certifications": list(b.certifications),
        "same_network": a.network == b.network,
        "risk": {"kind": risk[0].removeprefix("risk_"), "text": risk_text, **risk[1]}
        if risk
        else None,
        "gradation": {
            "org_type": b.org_type,
            "market_presence": b.market_presence,
            "market_presence_derived": b.market_presence_derived,
            "potential": round(b.potential, 3),
            "potential_tier": b.potential_tier,
        },
        "features": values,
    }
    return reasons, details
