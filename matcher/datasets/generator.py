"""Seeded generator of FICTIONAL cluster data: member profiles and the links between them.

Every organisation, name and relation produced here is invented; any resemblance to a real
organisation is coincidental. The data serve the tests, the notebooks, the shipped sample
(``matcher/data/sample``) and the benchmarks, and they follow a known latent process, so that a
good matcher can be expected to recover the links.

The latent process
------------------
**Networks.** The home cluster ``kharkiv-fashion-cluster`` (country UA; city mostly Kharkiv, some
Kyiv, Lviv, Ternopil, Dnipro, Poltava) and ``n_networks`` fictional international networks in
this order: ``polish-fashion-cluster`` (PL), ``italian-textile-district`` (IT),
``portugal-fashion-network`` (PT), ``turkish-apparel-cluster`` (TR), ``german-textile-alliance``
(DE), ``baltic-fashion-network`` (LT, LV, EE), ``romanian-textile-cluster`` (RO),
``moldova-apparel-cluster`` (MD), ``bulgarian-fashion-cluster`` (BG), ``czech-textile-network``
(CZ), ``slovak-fashion-network`` (SK), ``hungarian-apparel-cluster`` (HU), then (for
``n_networks`` up to 16) Spanish, French, Dutch and Austrian ones. International members are
shared among the networks in fixed proportions (Turkey, Italy and Poland largest).

**Role.** Each organisation has a value-chain role (23 roles, weighted per network by its
specialisation: Italian weaving and spinning mills, Turkish and Romanian garment factories,
German retailers and service firms...). The role sets ``org_type`` and the distributions that
1-4 ``offers``, 1-4 ``seeks``, 1-3 ``products``, 1-3 ``partnership_types`` and 1-2 ``nace``
codes are drawn from (weighted, without replacement). For example a designer brand offers
fashion_design, technical_design or marketing_branding and seeks sewing, pattern_making,
sampling, small_batch_production or fabric; a knitwear factory offers knitwear_production and
private_label and seeks yarn_supply, trims_supply, fashion_design or wholesale_distribution; a
weaving mill offers weaving and woven_fabric_supply and seeks yarn_supply; a retailer offers
wholesale_distribution, retail_stores, e_commerce or showroom and seeks private_label,
full_package_production or fashion_design. About 12% of members also seek one common service
(logistics, marketing, export, financing, training...), 5% offer one random capability.

**Quality tier** (budget / mid / premium, shares per network) sets the certifications (budget
0-1 of ISO 9001 or WRAP; premium 1-4 of OEKO-TEX, GOTS, ISO 9001, bluesign, amfori BSCI...;
service firms, retailers and schools hold them less often),
the minimum order of producers and suppliers (median 1,500 pieces budget, 300 mid, 60 premium;
suppliers twice that) and the capacity (employees x output per employee x 1.4 / 1.0 / 0.5).

**Geography.** The country comes from the network. A latent reach (local / national / regional
/ international, more reach for higher tiers) sets ``markets_present``: nothing (local), the own
country (national), plus 1-3 neighbouring countries (regional), plus neighbours and 1-4 far
markets (international). ``market_presence`` is filled for half of the profiles, consistently
with the rule of :func:`matcher.profiles.derive_market_presence`; the other half is left empty
for the library to derive. ``markets_target``: home members want 1-4 of PL, DE, IT, LT, RO, MD,
FR, NL, CZ, US...; international members 0-3 markets, Ukraine among them.

**Other fields.** ``employees`` is log-normal around the role's median (8% not given);
``capacity_units_month`` is given for producers, ``min_order_qty`` for producers and suppliers
(10-15% not given); ``languages`` are uk, ru (and often en) at home, the national language (and
mostly en) abroad.

**Names and descriptions.** Names are composed from invented pieces per language ("ТОВ
«Слобожанська швейна фабрика»", "ФОП Коваленко О. М.", "ООО «Харьковтрикотаж»", "Maglificio
Corandi", "Szwalnia Borex"). Descriptions say what the member does and seeks in words that the
taxonomy keywords find (:func:`matcher.text.extract_tags`): at home 60% Ukrainian, 25% Russian,
15% English; abroad English (a fifth Russian in Moldova and the Baltics). About 5% of home
members give no ``offers`` and ``seeks`` tags, only a Ukrainian description naming them.
:func:`generate_cluster` adds sentences on products, capacity, certifications and target
markets; :func:`generate_profiles` keeps descriptions short to scale.

**Links** (:func:`generate_links`) are read back from the observable profile: for a source, one
of its sought capabilities is drawn, then a country (its own 70%, a neighbour 20%, anywhere 10%;
home members pick one of their target markets 30% of the time), then 40 members of that country
that offer the capability (drawn with replacement; of any country when there are none): the
member's awareness set, about as many firms as a buyer compares. The best of them is kept by a
score: sought capabilities covered, a shared product line, a compatible quality tier (numbers of
certifications within one), a minimum order and capacity that fit the source's volume (its
capacity, else 40 pieces per employee), the same country, reciprocity, plus Gumbel noise (scale
0.35). 10% of
the positive links go to a random member instead. The number of positive links per source is
Poisson: ``links_per_member`` for home members and 0.4 times that abroad. Kinds: ``supplier``
(the target supplies what is sought, mostly materials), ``partner``, ``deal`` (15%), plus
``meeting`` (7%, chosen like partners) and ``declined`` (4%, the worst of the candidates).
Dates run from 2021 to 2026. There are no self-links and no repeated (source, target) pairs.

Everything is deterministic for a ``seed`` (:func:`numpy.random.default_rng`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import geography
from ..errors import InputError
from ..files import atomic_write
from ..profiles import PROFILE_COLUMNS as FILE_COLUMNS
from ..taxonomy import load_taxonomy
from ..text import extract_tags
from . import tables as T

logger = logging.getLogger(__name__)

__all__ = [
    "HOME_NETWORK",
    "LINK_COLUMNS",
    "PROFILE_COLUMNS",
    "SAMPLE_DIR",
    "generate_cluster",
    "generate_links",
    "generate_profiles",
    "load_sample_frames",
    "network_names",
    "write_sample",
]

HOME_NETWORK = T.HOME_NETWORK
#: Columns of the generated profile frame: those of a profile file, in the order of formats.md.
PROFILE_COLUMNS = FILE_COLUMNS
LINK_COLUMNS = ("source", "target", "kind", "date")
#: The shipped sample: ``generate_cluster()`` with its defaults.
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"

_FAMILIES = ("design", "sew", "knit", "tex", "trade", "service", "edu")
_LANGS = ("uk", "ru", "en")
_REACH = ("local", "national", "regional", "international")
_REACH_BY_TIER = ((0.3, 0.4, 0.25, 0.05), (0.1, 0.35, 0.35, 0.2), (0.05, 0.2, 0.35, 0.4))


def _arr(values) -> np.ndarray:
    """Return `values` as a 1-d object array (strings are shared, not copied)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _spec(spec: str, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Return (item indices, weights) of a weight spec such as ``"sewing:10 cutting:5"``."""
    parsed = T.weights(spec)
    return np.array([index[k] for k in parsed], dtype=np.int64), np.array(list(parsed.values()))


def _probs(rows: list[dict[int, float]], width: int) -> np.ndarray:
    """Return a (n_groups, width) matrix of probabilities from {column: weight} per group."""
    out = np.zeros((len(rows), width))
    for g, row in enumerate(rows):
        for column, weight in row.items():
            out[g, column] += weight
    return out / out.sum(axis=1, keepdims=True)


def _categorical(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Draw one category per row from the probabilities of the row's group.

    Parameters
    ----------
    group : ndarray of shape (n,)
        Group of each row (a row of `probs`).
    probs : ndarray of shape (n_groups, n_categories)
        Rows sum to 1; zero columns are never drawn.
    """
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]  # exactly 1 from the last non-zero column on
    u = rng.random(len(group))
    out = np.empty(len(group), dtype=np.int64)
    order = np.argsort(group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(probs)))])
    for g in range(len(probs)):
        rows = order[bounds[g] : bounds[g + 1]]
        out[rows] = np.searchsorted(cum[g], u[rows], side="right")
    return out


def _sort_rows(a: np.ndarray) -> np.ndarray:
    """Sort each row of a padded index matrix ascending, padding (-1) last."""
    big = np.iinfo(a.dtype).max
    a = np.where(a < 0, big, a)
    a.sort(axis=1)
    return np.where(a == big, -1, a)


def _dedupe_rows(a: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """Blank (-1) repeated items of each row, and items that also appear in `other`'s row."""
    a = a.copy()
    for j in range(a.shape[1]):
        for i in range(j):
            a[(a[:, j] == a[:, i]) & (a[:, j] >= 0), j] = -1
        if other is not None:
            for i in range(other.shape[1]):
                a[(a[:, j] == other[:, i]) & (a[:, j] >= 0), j] = -1
    return a


def _draw_sets(
    rng: np.random.Generator, group: np.ndarray, specs: list, k: np.ndarray, width: int
) -> np.ndarray:
    """Draw ``k[i]`` distinct items for each row from the weighted spec of its group.

    Weighted sampling without replacement by Gumbel top-k, one block per group.

    Parameters
    ----------
    group : ndarray of shape (n,)
        Index into `specs` of each row.
    specs : list of (items, weights)
        Item indices and weights per group.
    k : ndarray of shape (n,)
        Items wanted per row (capped by the group's number of items and by `width`).

    Returns
    -------
    ndarray of shape (n, width)
        Item indices sorted ascending, -1 as padding.
    """
    out = np.full((len(group), width), -1, dtype=np.int16)
    order = np.argsort(group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(specs)))])
    for g, (items, w) in enumerate(specs):
        rows = order[bounds[g] : bounds[g + 1]]
        rows = rows[k[rows] > 0]
        if rows.size == 0 or items.size == 0:
            continue
        # A draw of exactly 0 (possible in float32) would give log(0); the smallest positive
        # float stands in for it.
        uniform = np.maximum(
            rng.random((rows.size, items.size), dtype=np.float32), np.finfo(np.float32).tiny
        )
        gumbel = -np.log(-np.log(uniform))
        keys = np.log(w).astype(np.float32)[None, :] + gumbel
        picked = items[np.argsort(-keys, axis=1)[:, :width]]
        keep = np.arange(picked.shape[1])[None, :] < k[rows, None]
        out[rows, : picked.shape[1]] = np.where(keep, picked, -1)
    return _sort_rows(out)


def _join(
    idx: np.ndarray, names, sep: str = ";", last_sep: str | None = None, fmt=None
) -> np.ndarray:
    """Join the names of each row's items (padded index matrix) into one string per row.

    Strings are built once per distinct combination and shared between the rows that have it;
    ``fmt(list_of_item_indices) -> str``, when given, builds them instead of `names` and `sep`.
    """
    n = len(idx)
    if idx.shape[1] == 0:
        return _arr([""] * n)
    base = len(names) + 1
    key = np.zeros(n, dtype=np.int64)
    for j in range(idx.shape[1]):
        key = key * base + (idx[:, j] + 1)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    texts = []
    for row in idx[first]:
        if fmt is not None:
            texts.append(fmt([i for i in row if i >= 0]))
            continue
        items = [names[i] for i in row if i >= 0]
        if last_sep and len(items) > 1:
            texts.append(sep.join(items[:-1]) + last_sep + items[-1])
        else:
            texts.append(sep.join(items))
    return _arr(texts)[inverse.ravel()]


def _int_text(values: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Return integers as strings, "" where not `given`."""
    text = pd.Series(values.astype(np.int64)).astype(str).to_numpy(dtype=object)
    text[~given] = ""
    return text


def _round2(x: np.ndarray) -> np.ndarray:
    """Round positive numbers to two significant digits (as people state capacities)."""
    x = np.maximum(np.asarray(x, dtype=float), 1.0)
    scale = 10.0 ** np.maximum(np.floor(np.log10(x)) - 1, 0)
    return (np.round(x / scale) * scale).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The tables as arrays (built once)
# ---------------------------------------------------------------------------------------------


def _label_phrase(label: str) -> str:
    """Return a label as a phrase inside a sentence: no parenthesis, first letter lower-cased."""
    label = re.sub(r"\s*\([^)]*\)", "", label).strip()
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _name_model() -> dict:
    """Flatten the name styles into arrays: pieces by pool, frames by (style, family)."""
    styles = list(T.NAME_STYLES)
    pieces: list[str] = []
    pool_off, pool_cnt, f_left, f_right, f_pool = [], [], [], [], []
    grp_off = np.zeros((len(styles), len(_FAMILIES)), dtype=np.int64)
    grp_cnt = np.zeros_like(grp_off)
    for s, style in enumerate(styles):
        pools, frames = T.NAME_STYLES[style]
        pool_ids = {}
        for name, spec in pools.items():
            if isinstance(spec, tuple) and len(spec) == 3:  # prefix, surnames, initials
                initials = spec[2].split()
                items = [
                    f"{spec[0]}{sur} {a} {b}"
                    for sur in spec[1].split()
                    for a in initials[:8]
                    for b in initials[8:]
                ]
            elif isinstance(spec, tuple):  # syllables joined
                items = [a + b for a in spec[0].split() for b in spec[1].split()]
            else:
                items = spec.split()
            pool_ids[name] = len(pool_off)
            pool_off.append(len(pieces))
            pool_cnt.append(len(items))
            pieces += items
        for f, family in enumerate(_FAMILIES):
            spec = frames.get(family) or frames.get("any") or next(iter(frames.values()))
            grp_off[s, f] = len(f_left)
            for frame in spec.split("|"):
                slot = re.search(r"\{(\w+)\}", frame)
                f_left.append(frame[: slot.start()])
                f_right.append(frame[slot.end() :])
                f_pool.append(pool_ids[slot.group(1)])
            grp_cnt[s, f] = len(f_left) - grp_off[s, f]
    return {
        "styles": styles,
        "pieces": _arr(pieces),
        "pool_off": np.array(pool_off),
        "pool_cnt": np.array(pool_cnt),
        "left": _arr(f_left),
        "right": _arr(f_right),
        "pool": np.array(f_pool),
        "grp_off": grp_off,
        "grp_cnt": grp_cnt,
    }


@lru_cache(maxsize=1)
def _model() -> dict:
    """Return the generator's tables as index arrays and weight vectors."""
    tax = load_taxonomy()
    m: dict = {
        v: _arr(tax.ids(v))
        for v in ("capabilities", "products", "partnership_types", "certifications")
    }
    ix = {v: {t: i for i, t in enumerate(m[v])} for v in list(m)}
    rows = list(T.ROLES.values())
    m["roles"] = list(T.ROLES)
    m["org_type"] = _arr(r[0] for r in rows)
    m["family"] = np.array([_FAMILIES.index(r[1]) for r in rows])
    m["kind"] = np.array([("producer", "supplier", "other").index(r[2]) for r in rows])
    m["w_home"] = np.array([r[3] for r in rows], dtype=float)
    m["w_intl"] = np.array([r[4] for r in rows], dtype=float)
    m["employees"] = np.array([r[5] for r in rows], dtype=float)
    m["output"] = np.array([T.OUTPUT_PER_EMPLOYEE.get(r[1], 0) for r in rows], dtype=float)
    m["nace"] = _arr(sorted({c for r in rows for c in T.weights(r[10])}))
    ix["nace"] = {c: i for i, c in enumerate(m["nace"])}
    for name, column, vocabulary in (
        ("offers", 6, "capabilities"),
        ("seeks", 7, "capabilities"),
        ("products_spec", 8, "products"),
        ("ptypes_spec", 9, "partnership_types"),
        ("nace_spec", 10, "nace"),
    ):
        m[name] = [_spec(r[column], ix[vocabulary]) for r in rows]
    m["noise_seeks"] = np.array([ix["capabilities"][c] for c in T.NOISE_SEEKS.split()])
    m["certs_spec"] = [_spec(s, ix["certifications"]) for s in T.CERTIFICATIONS]
    m["materials"] = np.array(
        [tax.term("capabilities", c).stage == "materials" for c in m["capabilities"]]
    )

    countries = ["UA"]
    for spec in (
        [" ".join(n[1]) for n in T.NETWORKS]
        + list(T.NEIGHBOURS.values())
        + [" ".join(T.weights(T.FAR_MARKETS)), " ".join(T.weights(T.HOME_TARGETS))]
    ):
        countries += [c for c in spec.split() if c not in countries]
    m["countries"] = _arr(countries)
    cix = {c: i for i, c in enumerate(countries)}
    m["cix"] = cix
    m["neighbours"] = np.full((len(countries), 5), -1, dtype=np.int64)
    for country, spec in T.NEIGHBOURS.items():
        for j, other in enumerate(spec.split()):
            m["neighbours"][cix[country], j] = cix[other]
    m["far"] = _spec(T.FAR_MARKETS, cix)
    m["home_targets"] = _spec(T.HOME_TARGETS, cix)
    intl_targets = dict(T.weights(T.HOME_TARGETS), UA=4.0)
    m["intl_targets"] = (
        np.array([cix[c] for c in intl_targets]),
        np.array(list(intl_targets.values())),
    )
    m["continent"] = _arr(geography.continent(c) or "" for c in countries)

    national = {x for spec in T.COUNTRY_LANGUAGES.values() for x in spec.split()}
    languages = list(_LANGS) + sorted(national - set(_LANGS))
    m["languages"] = _arr(languages)
    m["lang_national"] = np.full((len(countries), 2), -1, dtype=np.int64)
    for country, spec in T.COUNTRY_LANGUAGES.items():
        for j, code in enumerate(spec.split()):
            m["lang_national"][cix[country], j] = languages.index(code)

    # Phrases per language: capabilities as offered, as sought (natural phrase or None), products.
    m["offer_phrase"], m["seek_phrase"], m["product_phrase"] = [], [], []
    for li, lang in enumerate(_LANGS):
        m["offer_phrase"].append(
            _arr(
                T.PHRASES[c][li]
                if c in T.PHRASES
                else _label_phrase(tax.label("capabilities", c, lang))
                for c in m["capabilities"]
            )
        )
        m["seek_phrase"].append(
            [T.SEEK_PHRASES[c][li] if c in T.SEEK_PHRASES else None for c in m["capabilities"]]
        )
        m["product_phrase"].append(
            _arr(_label_phrase(tax.label("products", p, lang)) for p in m["products"])
        )
    m["cert_label"] = _arr(tax.label("certifications", c, "en") for c in m["certifications"])
    m["names"] = _name_model()
    return m


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------


def _networks(n_networks: int) -> list[tuple]:
    """Return the home network followed by the first `n_networks` international ones."""
    if not 0 <= n_networks <= len(T.NETWORKS):
        raise InputError(
            f"Got n_networks={n_networks!r}, expected an integer from 0 to {len(T.NETWORKS)}"
        )
    home = (HOME_NETWORK, {"UA": ("", 1.0)}, 0, T.HOME_TIERS, "")
    return [home, *T.NETWORKS[:n_networks]]


def _latent(n_home: int, n_intl: int, n_networks: int, rng: np.random.Generator) -> dict:
    """Draw the latent variables and the tag sets of every member (arrays of length n)."""
    m = _model()
    networks = _networks(n_networks)
    if n_intl and not n_networks:
        raise InputError(f"Got n_international={n_intl} with n_networks=0, expected a network")
    shares = np.array([nw[2] for nw in networks[1:]], dtype=float)
    sizes = [n_home] + (list(rng.multinomial(n_intl, shares / shares.sum())) if n_networks else [])
    net = np.repeat(np.arange(len(networks)), sizes)
    n, home, cix = len(net), net == 0, m["cix"]
    z: dict = {"net": net, "home": home, "networks": networks}
    z["country"] = country = _categorical(
        rng,
        net,
        _probs(
            [{cix[c]: spec[1] for c, spec in nw[1].items()} for nw in networks], len(m["countries"])
        ),
    )
    role_rows = []
    for g, nw in enumerate(networks):
        w = (m["w_home"] if g == 0 else m["w_intl"]).copy()
        for role, boost in T.weights(nw[4]).items():
            w[m["roles"].index(role)] *= boost
        role_rows.append(dict(enumerate(w)))
    z["role"] = role = _categorical(rng, net, _probs(role_rows, len(m["roles"])))
    z["tier"] = tier = _categorical(rng, net, np.array([nw[3] for nw in networks], dtype=float))
    russian = {"MD", "LT", "LV", "EE"}
    lang_p = [
        (0.6, 0.25, 0.15) if g == 0 else (0, 0.2, 0.8) if russian & set(nw[1]) else (0, 0, 1)
        for g, nw in enumerate(networks)
    ]
    z["lang"] = lang = _categorical(rng, net, np.array(lang_p, dtype=float))
    z["untagged"] = untagged = np.zeros(n, dtype=bool)
    # Home members are the first rows.
    untagged[rng.choice(n_home, size=round(0.05 * n_home), replace=False)] = True
    lang[untagged] = 0

    offers = _draw_sets(rng, role, m["offers"], 1 + rng.binomial(3, 0.4, n), 4)
    seeks = _draw_sets(rng, role, m["seeks"], 1 + rng.binomial(3, 0.45, n), 4)
    noisy = rng.random(n) < 0.05
    offers[noisy, 3] = rng.integers(0, len(m["capabilities"]), noisy.sum())
    # A role's offers and seeks are disjoint, so dropping the overlaps drops only noise.
    z["offers"] = offers = _sort_rows(_dedupe_rows(offers, seeks))
    noisy = rng.random(n) < 0.12
    seeks[noisy, 3] = m["noise_seeks"][rng.integers(0, len(m["noise_seeks"]), noisy.sum())]
    z["seeks"] = _sort_rows(_dedupe_rows(seeks, offers))
    z["products"] = _draw_sets(rng, role, m["products_spec"], 1 + rng.binomial(2, 0.4, n), 3)
    z["ptypes"] = _draw_sets(rng, role, m["ptypes_spec"], 1 + rng.binomial(2, 0.35, n), 3)
    z["nace"] = _draw_sets(rng, role, m["nace_spec"], 1 + (rng.random(n) < 0.3), 2)
    lo, hi = np.array(T.CERT_COUNTS).T
    k_cert = rng.integers(lo[tier], hi[tier] + 1) * ((m["kind"][role] < 2) | (rng.random(n) < 0.3))
    z["certs"] = _draw_sets(rng, tier, m["certs_spec"], k_cert, 4)

    # Markets: own country, neighbours and far markets by the latent reach.
    z["reach"] = reach = _categorical(rng, tier, np.array(_REACH_BY_TIER))
    present = np.full((n, 8), -1, dtype=np.int16)
    present[reach >= 1, 0] = country[reach >= 1]
    nb = m["neighbours"][country]
    keys = np.where(nb >= 0, -np.log(-np.log(rng.random(nb.shape))), -np.inf)
    nb = np.take_along_axis(nb, np.argsort(-keys, axis=1), axis=1)
    k_nb = np.where(
        reach == 2, 1 + rng.binomial(2, 0.4, n), np.where(reach == 3, rng.integers(0, 3, n), 0)
    )
    present[:, 1:4] = np.where(np.arange(3)[None, :] < k_nb[:, None], nb[:, :3], -1)
    k_far = np.where(reach == 3, 1 + rng.binomial(3, 0.4, n), 0)
    present[:, 4:] = _draw_sets(rng, np.zeros(n, dtype=np.int64), [m["far"]], k_far, 4)
    z["present"] = _sort_rows(_dedupe_rows(present))
    k_target = np.where(home, 1 + rng.binomial(3, 0.4, n), rng.binomial(3, 0.35, n))
    targets = _draw_sets(
        rng, (~home).astype(np.int64), [m["home_targets"], m["intl_targets"]], k_target, 4
    )
    targets[targets == country[:, None]] = -1
    z["targets"] = _sort_rows(targets)
    z["presence_given"] = rng.random(n) < 0.5

    langs = np.full((n, 4), -1, dtype=np.int16)
    langs[:, :2] = m["lang_national"][country]
    english = np.where(
        home, (reach >= 2) | (lang == 2) | (rng.random(n) < 0.35), rng.random(n) < 0.85
    )
    langs[english, 2] = 2
    baltic = np.isin(country, [cix[c] for c in ("LT", "LV", "EE")])
    langs[baltic & ((rng.random(n) < 0.4) | (lang == 1)), 3] = 1
    langs[home & (rng.random(n) < 0.15) & (lang != 1), 1] = -1
    # Left-pack, keeping the order national language(s), English, Russian.
    z["langs"] = np.take_along_axis(langs, np.argsort(langs < 0, axis=1, kind="stable"), axis=1)

    kind = m["kind"][role]
    z["employees"] = np.maximum(
        1,
        np.round(
            m["employees"][role]
            * np.array([1.3, 1.0, 0.8])[tier]
            * np.exp(0.7 * rng.standard_normal(n))
        ),
    )
    z["capacity"] = _round2(
        z["employees"]
        * m["output"][role]
        * np.array(T.CAPACITY_FACTOR)[tier]
        * np.exp(0.3 * rng.standard_normal(n))
    )
    z["moq"] = _round2(
        np.array(T.MOQ_MEDIAN)[tier]
        * np.where(kind == 1, 2, 1)
        * np.exp(0.5 * rng.standard_normal(n))
    )
    z["employees_given"] = rng.random(n) >= 0.08
    z["capacity_given"] = (kind == 0) & (rng.random(n) >= 0.10)
    z["moq_given"] = (kind < 2) & (rng.random(n) >= 0.15)
    return z


def _market_presence(country: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Return the market presence tier (0-3) by the rule of ``derive_market_presence``.

    Parameters
    ----------
    country : ndarray of shape (n,)
        Country index of the seat.
    present : ndarray of shape (n, width)
        Country indices of the markets present, -1 as padding.
    """
    continent = pd.factorize(_model()["continent"])[0]
    valid = present >= 0
    foreign = valid & (present != country[:, None])
    n_foreign = foreign.sum(axis=1)
    other_continent = continent[np.where(valid, present, 0)] != continent[country][:, None]
    elsewhere = (foreign & other_continent).any(axis=1)
    return np.where(
        ~valid.any(axis=1),
        0,
        np.where(n_foreign == 0, 1, np.where((n_foreign >= 5) | elsewhere, 3, 2)),
    )


def _names(z: dict, rng: np.random.Generator) -> np.ndarray:
    """Compose a fictional name per member: a frame of its style and family around a piece."""
    m, nm = _model(), _model()["names"]
    n = len(z["role"])
    style_ix = {s: i for i, s in enumerate(nm["styles"])}
    by_country = np.array([style_ix.get(c, style_ix["latin"]) for c in m["countries"]])
    home_style = np.array([style_ix["uk"], style_ix["ru"], style_ix["latin"]])[
        np.where(rng.random(n) < 0.2, rng.integers(0, 3, n), z["lang"])
    ]
    style = np.where(z["home"], home_style, by_country[z["country"]])
    family = m["family"][z["role"]]
    frame = nm["grp_off"][style, family] + (rng.random(n) * nm["grp_cnt"][style, family]).astype(
        np.int64
    )
    pool = nm["pool"][frame]
    piece = nm["pool_off"][pool] + (rng.random(n) * nm["pool_cnt"][pool]).astype(np.int64)
    return nm["left"][frame] + nm["pieces"][piece] + nm["right"][frame]


def _ids(z: dict, n_home: int) -> pd.Series:
    """Return ids: ``kfc-0001`` at home, ``pl-00001`` (numbered per country) abroad."""
    m = _model()
    country = z["country"]
    order = np.argsort(country, kind="stable")
    counts = np.bincount(country, minlength=len(m["countries"]))
    number = np.empty(len(country), dtype=np.int64)
    number[order] = np.arange(len(country)) - np.repeat(np.cumsum(counts) - counts, counts)
    ids = pd.Series("", index=range(len(country)), dtype="str")
    codes = pd.Series(m["countries"]).str.lower().to_numpy(dtype=object)
    for rows, width in (
        (z["home"], max(4, len(str(n_home)))),
        (~z["home"], max(5, len(str(counts[1:].max(initial=1))))),
    ):
        prefix = pd.Series(np.where(z["home"][rows], "kfc", codes[country[rows]]), dtype="str")
        digits = pd.Series(number[rows] + 1).astype("str").str.zfill(width)
        ids[rows] = (prefix + "-" + digits).to_numpy()
    return ids


def _cities(z: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return each member's city (in the script of its description) and "in <city>" phrase."""
    m = _model()
    lists = {
        c: [(name,) * 3 + (f"у місті {name}", f"в городе {name}") for name in spec[0].split()]
        for nw in T.NETWORKS
        for c, spec in nw[1].items()
    }
    lists["UA"] = [(uk, ru, en, uk_in, ru_in) for en, uk, ru, uk_in, ru_in, _ in T.HOME_CITIES]
    width = max(len(v) for v in lists.values())
    table = np.full((len(m["countries"]), width, 5), "", dtype=object)
    weights = np.zeros((len(m["countries"]), width))
    weights[:, 0] = 1.0
    for country, cities in lists.items():
        table[m["cix"][country], : len(cities)] = cities
        weights[m["cix"][country], : len(cities)] = (
            [w for *_, w in T.HOME_CITIES] if country == "UA" else np.arange(len(cities), 0, -1)
        )
    pick = _categorical(rng, z["country"], weights / weights.sum(axis=1, keepdims=True))
    lang = z["lang"]
    city = table[z["country"], pick, lang]
    where = np.where(
        lang == 2,
        "in " + table[z["country"], pick, 2],
        table[z["country"], pick, 3 + np.minimum(lang, 1)],
    )
    return city, where


def _natural(items: list[str], and_word: str) -> str:
    """Join items as a sentence does ("a, b and c"); only commas if an item has an "and" itself."""
    if len(items) < 2 or any(and_word in item for item in items):
        return ", ".join(items)
    return ", ".join(items[:-1]) + and_word + items[-1]


def _describe(
    z: dict, where: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Compose descriptions: (what the member is and offers, what it seeks), one pair per member."""
    m = _model()
    lang, role = z["lang"], z["role"]
    n = len(lang)
    variants = [[T.OPENERS[r][li].split("|") for li in range(3)] for r in m["roles"]]
    width = max(len(v) for row in variants for v in row)
    openers = np.full((len(m["roles"]), 3, width), "", dtype=object)
    counts = np.zeros((len(m["roles"]), 3), dtype=np.int64)
    for r, row in enumerate(variants):
        for li, v in enumerate(row):
            openers[r, li, : len(v)], counts[r, li] = v, len(v)
    opener = openers[role, lang, (rng.random(n) * counts[role, lang]).astype(np.int64)]
    offer_leads = [_arr(s.split("|")) for s in T.OFFER_LEADS]
    seek_leads = [_arr(s.split("|")) for s in T.SEEK_LEADS]
    head, need_text = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for li in range(3):
        rows = np.flatnonzero(lang == li)
        if rows.size == 0:
            continue
        offered = m["offer_phrase"][li]
        natural, and_word = m["seek_phrase"][li], T.AND_WORDS[li]

        def need(
            items: list[int],
            li: int = li,
            natural: list = natural,
            offered: list = offered,
            and_word: str = and_word,
        ) -> str:
            parts = [natural[i] for i in items if natural[i]]
            other = [offered[i] for i in items if not natural[i]]
            if other:
                parts.append(f"{T.OTHER_NEEDS[li]} {', '.join(other)}")
            return _natural(parts, and_word)

        offers = _join(
            z["offers"][rows],
            offered,
            fmt=lambda items, offered=offered, and_word=and_word: _natural(
                [offered[i] for i in items], and_word
            ),
        )
        seeks = _join(z["seeks"][rows], offered, fmt=need)
        lead_o = offer_leads[li][rng.integers(0, len(offer_leads[li]), rows.size)]
        lead_s = seek_leads[li][rng.integers(0, len(seek_leads[li]), rows.size)]
        head[rows] = opener[rows] + " " + where[rows] + ". " + lead_o + " " + offers + "."
        need_text[rows] = lead_s + " " + seeks + "."
    return head, need_text


def _number(value: int, li: int) -> str:
    text = f"{int(value):,}"
    return text.replace(",", " ") if li < 2 else text


def _enrich(z: dict, head: np.ndarray, need: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the richer sample descriptions: products, scale, certificates, markets, history."""
    m, x = _model(), T.EXTRA_SENTENCES
    n = len(head)
    draw = rng.random((n, 7))
    founded = rng.integers(1994, 2024, n)
    out = []
    for i in range(n):
        li = int(z["lang"][i])
        middle, tail = [], []
        products = [m["product_phrase"][li][p] for p in z["products"][i] if p >= 0]
        if products and draw[i, 0] < 0.75:
            middle.append(x["products"][li].format(_natural(products, T.AND_WORDS[li])))
        if z["employees_given"][i] and draw[i, 1] < 0.35:
            middle.append(x["team"][li].format(_number(z["employees"][i], li)))
        if z["capacity_given"][i] and draw[i, 2] < 0.6:
            middle.append(x["capacity"][li].format(_number(z["capacity"][i], li)))
        if z["moq_given"][i] and draw[i, 3] < 0.5:
            middle.append(x["moq"][li].format(_number(z["moq"][i], li)))
        certs = [m["cert_label"][c] for c in z["certs"][i] if c >= 0]
        if certs and draw[i, 4] < 0.7:
            middle.append(x["certifications"][li].format(", ".join(certs)))
        targets = [T.COUNTRY_NAMES[m["countries"][c]][li] for c in z["targets"][i] if c >= 0]
        if targets and draw[i, 5] < 0.6:
            tail.append(x["targets"][li].format(_natural(targets, T.AND_WORDS[li])))
        if draw[i, 6] < 0.3:
            tail.append(x["founded"][li].format(founded[i]))
        out.append(" ".join([head[i], *middle, need[i], *tail]))
    return _arr(out)


def _unique_names(z: dict, names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw repeated names again (a few rounds), then tell any left apart by a number."""
    names = names.copy()
    for _ in range(20):
        repeated = np.flatnonzero(pd.Series(names).duplicated().to_numpy())
        if repeated.size == 0:
            return names
        names[repeated] = _names(
            {k: v[repeated] if isinstance(v, np.ndarray) else v for k, v in z.items()}, rng
        )
    series = pd.Series(names, dtype=object)
    rank = series.groupby(series).cumcount().to_numpy()
    names[rank > 0] = names[rank > 0] + " " + (rank[rank > 0] + 1).astype(str).astype(object)
    return names


_CHUNK = 200_000  # rows whose strings are built at once (bounds the memory of large frames)


def _profiles(n_home: int, n_intl: int, n_networks: int, seed: int, rich: bool) -> pd.DataFrame:
    """Generate the profile frame (all cells strings, "" when not given)."""
    for name, value in (("n_home", n_home), ("n_international", n_intl), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise InputError(f"Got {name}={value!r}, expected an integer >= 0")
    if n_home + n_intl == 0:
        raise InputError("Got no members to generate, expected n_home + n_international >= 1")
    rng = np.random.default_rng((seed, 0))
    z = _latent(n_home, n_intl, n_networks, rng)
    ids = _ids(z, n_home)
    parts = []
    for lo in range(0, len(ids), _CHUNK):
        chunk = {k: v[lo : lo + _CHUNK] if isinstance(v, np.ndarray) else v for k, v in z.items()}
        parts.append(_frame(chunk, ids.iloc[lo : lo + _CHUNK], rng, rich))
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    logger.debug(
        "generated %d profiles (%d home) in %d networks", len(frame), n_home, n_networks + 1
    )
    return frame


def _frame(z: dict, ids: pd.Series, rng: np.random.Generator, rich: bool) -> pd.DataFrame:
    """Build the string columns of the members of `z` (one chunk of rows)."""
    m = _model()
    names = _names(z, rng)
    city, where = _cities(z, rng)
    head, need = _describe(z, where, rng)
    if rich:
        description = _enrich(z, head, need, rng)
        names = _unique_names(z, names, rng)
    else:
        description = head + " " + need
    del head, need, where
    tagged = ~z["untagged"]
    presence = _market_presence(z["country"], z["present"])
    columns = {
        "id": ids.to_numpy(),
        "name": names,
        "network": _arr(nw[0] for nw in z["networks"])[z["net"]],
        "country": m["countries"][z["country"]],
        "city": city,
        "org_type": m["org_type"][z["role"]],
        "nace": lambda: _join(z["nace"], m["nace"]),
        "offers": lambda: np.where(tagged, _join(z["offers"], m["capabilities"]), ""),
        "seeks": lambda: np.where(tagged, _join(z["seeks"], m["capabilities"]), ""),
        "products": lambda: _join(z["products"], m["products"]),
        "markets_present": lambda: _join(z["present"], m["countries"]),
        "markets_target": lambda: _join(z["targets"], m["countries"]),
        "market_presence": lambda: np.where(z["presence_given"], _arr(_REACH)[presence], ""),
        "partnership_types": lambda: _join(z["ptypes"], m["partnership_types"]),
        "certifications": lambda: _join(z["certs"], m["certifications"]),
        "employees": lambda: _int_text(z["employees"], z["employees_given"]),
        "capacity_units_month": lambda: _int_text(z["capacity"], z["capacity_given"]),
        "min_order_qty": lambda: _int_text(z["moq"], z["moq_given"]),
        "languages": lambda: _join(z["langs"], m["languages"]),
        "description": description,
    }
    frame = pd.DataFrame(index=range(len(ids)))
    for column in PROFILE_COLUMNS:  # one column at a time: its Python strings live briefly
        values = columns.pop(column)
        frame[column] = pd.Series(values() if callable(values) else values, dtype="str")
        del values
    return frame


def generate_profiles(
    n: int, seed: int = 0, n_networks: int = 12, home_share: float = 0.05
) -> pd.DataFrame:
    """Generate `n` fictional profiles quickly, for benchmarks (vectorised; 1M in seconds).

    Parameters
    ----------
    n : int
        Number of profiles.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same frame.
    n_networks : int
        Number of international networks (0-16), see the module docstring.
    home_share : float
        Share of members in the home cluster ``kharkiv-fashion-cluster`` (all of them when
        ``n_networks=0``).

    Returns
    -------
    DataFrame of shape (n, 20)
        Columns :data:`PROFILE_COLUMNS`, every cell a string ("" when not given), as in a CSV file.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"Got n={n!r}, expected an integer >= 1")
    if not 0.0 <= home_share <= 1.0:
        raise InputError(f"Got home_share={home_share!r}, expected a number in [0, 1]")
    n_home = round(n * home_share)
    if n_networks == 0:
        n_home = n
    return _profiles(n_home, n - n_home, n_networks, seed, rich=False)


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------
_K = 40  # candidates scored per link: the source's awareness set
_LINK_INPUTS = (
    "id",
    "network",
    "country",
    "offers",
    "seeks",
    "products",
    "certifications",
    "markets_target",
    "employees",
    "capacity_units_month",
    "min_order_qty",
)
_SPLIT = re.compile(r"[;,]")


def _parse_lists(
    column: pd.Series, index: dict[str, int], width: int, upper: bool = False
) -> np.ndarray:
    """Return a padded (n, width) matrix of the item indices of a list column (unknown skipped).

    Each distinct cell is parsed once (columns of a large frame repeat few combinations).
    """
    codes, uniques = pd.factorize(column.fillna("").astype(str))
    parsed = np.full((len(uniques) + 1, width), -1, dtype=np.int64)
    for u, cell in enumerate(uniques):
        items = [x.strip().upper() if upper else x.strip().lower() for x in _SPLIT.split(cell)]
        items = [index[t] for t in dict.fromkeys(items) if t in index]
        parsed[u, : min(width, len(items))] = items[:width]
    return parsed[codes]  # code -1 (missing) takes the last, empty row


def _bits(idx: np.ndarray) -> np.ndarray:
    """Return the bit mask (uint64) of each row's items (indices < 64)."""
    shifted = np.left_shift(np.uint64(1), np.maximum(idx, 0).astype(np.uint64))
    bits = np.where(idx >= 0, shifted, np.uint64(0))
    return np.bitwise_or.reduce(bits, axis=1)


def _number_column(column: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(column.astype(str).replace("", np.nan), errors="coerce")
    return numbers.to_numpy(dtype=float)


def _link_inputs(profiles: pd.DataFrame) -> dict:
    """Read what the link process uses from a profile frame in the file format."""
    m = _model()
    cap_ix = {c: i for i, c in enumerate(m["capabilities"])}
    p: dict = {"ids": profiles["id"].astype(str).to_numpy(dtype=object)}
    p["offers"] = _parse_lists(profiles["offers"], cap_ix, 6)
    p["seeks"] = _parse_lists(profiles["seeks"], cap_ix, 6)
    described = (
        (profiles["description"].fillna("").astype(str) != "").to_numpy()
        if "description" in profiles.columns
        else np.zeros(len(profiles), dtype=bool)
    )
    empty = (p["offers"] < 0).all(axis=1) & (p["seeks"] < 0).all(axis=1) & described
    for row in np.flatnonzero(empty):  # tags given only in words: read them as the library does
        found = extract_tags(str(profiles["description"].iat[row]))
        for name, tags in (("offers", found.offers), ("seeks", found.seeks)):
            p[name][row, : min(6, len(tags))] = [cap_ix[t] for t in tags[:6]]
    product_ix = {c: i for i, c in enumerate(m["products"])}
    p["products"] = _parse_lists(profiles["products"], product_ix, 6)
    p["n_certs"] = np.minimum(
        (
            _parse_lists(
                profiles["certifications"], {c: i for i, c in enumerate(m["certifications"])}, 6
            )
            >= 0
        ).sum(axis=1),
        3,
    )
    codes, countries = pd.factorize(profiles["country"].astype(str).str.upper())
    p["country"], cix = codes, {c: i for i, c in enumerate(countries)}
    p["neighbours"] = np.full((len(countries) + 1, 5), -1, dtype=np.int64)
    for c, i in cix.items():
        near = [cix[x] for x in T.NEIGHBOURS.get(c, "").split() if x in cix]
        p["neighbours"][i, : len(near)] = near
    p["targets"] = _parse_lists(profiles["markets_target"], cix, 8, upper=True)
    p["home"] = (profiles["network"].astype(str).str.lower() == HOME_NETWORK).to_numpy()
    capacity = _number_column(profiles["capacity_units_month"])
    employees = _number_column(profiles["employees"])
    p["capacity"], p["moq"] = capacity, _number_column(profiles["min_order_qty"])
    # The volume a member buys for: its own capacity, else about 40 pieces per employee.
    p["volume"] = np.where(np.isnan(capacity), employees * 40, capacity)
    for name in ("offers", "seeks", "products"):
        p[name + "_bits"] = _bits(p[name])
    return p


def _pools(p: dict) -> tuple:
    """Index the (member, offered capability) pairs by capability and country, and by capability."""
    n_countries = p["neighbours"].shape[0]
    rows, cols = np.nonzero(p["offers"] >= 0)
    caps = p["offers"][rows, cols]
    n_caps = len(_model()["capabilities"])
    by_place = np.argsort(caps * n_countries + p["country"][rows], kind="stable")
    place_counts = np.bincount(
        caps * n_countries + p["country"][rows], minlength=n_caps * n_countries
    )
    by_cap = np.argsort(caps, kind="stable")
    cap_counts = np.bincount(caps, minlength=n_caps)
    return (
        rows[by_place],
        np.cumsum(place_counts) - place_counts,
        place_counts,
        rows[by_cap],
        np.cumsum(cap_counts) - cap_counts,
        cap_counts,
    )


def _pick_from(
    rng: np.random.Generator, members: np.ndarray, start: np.ndarray, count: np.ndarray
) -> np.ndarray:
    """Draw `_K` members (with replacement) from each slot's pool ``members[start:start+count]``."""
    offset = (rng.random((len(start), _K)) * count[:, None]).astype(np.int64)
    return members[np.minimum(start[:, None] + offset, len(members) - 1)]


def _choose(
    rng: np.random.Generator, p: dict, pools: tuple, src: np.ndarray, worst: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Choose a target for each link slot of the sources `src`.

    Returns
    -------
    (target, capability) : ndarrays of shape (n_slots,)
        The chosen member (-1 when nobody offers the capability) and the sought capability.
    """
    place_members, place_start, place_count, cap_members, cap_start, cap_count = pools
    n_countries = p["neighbours"].shape[0]
    slots = np.arange(len(src))
    seeks = p["seeks"][src]
    cap = seeks[slots, (rng.random(len(src)) * (seeks >= 0).sum(axis=1)).astype(np.int64)]
    country = p["country"][src]
    near = p["neighbours"][country]
    n_near = (near >= 0).sum(axis=1)
    r = rng.random(len(src))
    place = np.where(
        (r >= 0.7) & (r < 0.9) & (n_near > 0),
        near[slots, (rng.random(len(src)) * n_near).astype(np.int64)],
        country,
    )
    targets = p["targets"][src]
    n_targets = (targets >= 0).sum(axis=1)
    to_target = p["home"][src] & (n_targets > 0) & (rng.random(len(src)) < 0.3)
    target_pick = targets[slots, (rng.random(len(src)) * n_targets).astype(np.int64)]
    place = np.where(to_target, target_pick, place)
    key = cap * n_countries + place
    count = np.where((r >= 0.9) & ~to_target, 0, place_count[key])
    by_cap = count == 0
    members = np.concatenate([place_members, cap_members])
    if members.size == 0:  # nobody offers anything: every slot becomes a random link
        return np.full(len(src), -1, dtype=np.int64), cap
    start = np.where(by_cap, cap_start[cap] + len(place_members), place_start[key])
    count = np.where(by_cap, cap_count[cap], count)
    cand = _pick_from(rng, members, start, count)

    s = src[:, None]
    score = (
        np.bitwise_count(p["seeks_bits"][s] & p["offers_bits"][cand]).astype(float)
        + 1.5 * ((p["products_bits"][s] & p["products_bits"][cand]) != 0)
        + 1.0 * (np.abs(p["n_certs"][s] - p["n_certs"][cand]) <= 1)
        + 1.5 * (~(p["moq"][cand] > p["volume"][s]) & ~(p["capacity"][cand] < 0.2 * p["volume"][s]))
        + 0.5 * (p["country"][cand] == p["country"][s])
        + 0.7 * ((p["seeks_bits"][cand] & p["offers_bits"][s]) != 0)
        + 0.35 * rng.gumbel(size=cand.shape)
    )
    own = cand == s  # a member is never its own partner
    best = np.where(own, -np.inf, score).argmax(axis=1)
    worst_pick = np.where(own, np.inf, score).argmin(axis=1)
    chosen = np.where(worst, worst_pick, best)
    target = cand[slots, chosen]
    target[(count == 0) | (target == src)] = -1
    return target, cap


def generate_links(
    profiles: pd.DataFrame, seed: int = 0, links_per_member: float = 3.0
) -> pd.DataFrame:
    """Generate known links between `profiles` by the latent process of the module docstring.

    Vectorised (blocks of link slots), so it also serves benchmark frames of a million members.

    Parameters
    ----------
    profiles : DataFrame of shape (n_profiles, 20)
        Profiles in the file format (as :func:`generate_profiles` returns them); uses id, network,
        country, offers, seeks (or, when both are empty, the description), products,
        certifications, markets_target, employees, capacity_units_month and min_order_qty (and
        description, when present, for members that give neither offers nor seeks).
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    links_per_member : float
        Mean number of positive links (partner, supplier, deal) a home member starts; members of
        other networks start 0.4 times as many.

    Returns
    -------
    DataFrame of shape (n_links, 4)
        Columns source, target, kind, date (ISO), sorted by source and date; no self-links and no
        repeated (source, target) pair.
    """
    missing = [c for c in _LINK_INPUTS if c not in profiles.columns]
    if missing:
        raise InputError(
            f"Got profiles without the columns {missing}, expected {list(_LINK_INPUTS)}"
        )
    if not links_per_member >= 0:
        raise InputError(f"Got links_per_member={links_per_member!r}, expected a number >= 0")
    rng = np.random.default_rng((seed, 1))
    p = _link_inputs(profiles)
    n = len(p["ids"])
    extra = 1.11  # meetings (7%) and declined suggestions (4%) on top of the positive links
    seeking = (p["seeks"] >= 0).any(axis=1)
    rate = np.where(p["home"], 1.0, 0.4) * links_per_member * extra * seeking
    src = np.repeat(np.arange(n), rng.poisson(rate if n > 1 else 0 * rate))
    # Slot modes: 0 fitted positive, 1 random positive (noise), 2 meeting, 3 declined.
    shares = np.array([[0.9, 0.1, 0.07, 0.04]]) / extra
    mode = _categorical(rng, np.zeros(len(src), dtype=np.int64), shares)
    target, cap = np.full(len(src), -1, dtype=np.int64), np.full(len(src), -1, dtype=np.int64)
    pools = _pools(p)
    fit = np.flatnonzero(mode != 1)
    for block in np.array_split(fit, max(1, len(fit) // 200_000)):
        target[block], cap[block] = _choose(rng, p, pools, src[block], mode[block] == 3)
    noise = target < 0
    target[noise] = rng.integers(0, max(n - 1, 1), noise.sum())
    target[noise] += target[noise] >= src[noise]  # skip the source itself

    materials = _model()["materials"][np.maximum(cap, 0)] & (cap >= 0)
    u = rng.random(len(src))
    supplies = (materials & (u < 0.85)) | (~materials & (u < 0.2))
    kind = np.where(supplies, "supplier", "partner")
    kind = np.where(rng.random(len(src)) < 0.15, "deal", kind)
    kind = np.where(mode == 2, "meeting", np.where(mode == 3, "declined", kind))
    late = mode >= 2
    start = np.where(late, np.datetime64("2023-01-01"), np.datetime64("2021-01-01"))
    days = np.where(late, 1400, 2007)  # to 2026-10-31 and 2026-06-30
    date = start + (rng.random(len(src)) * days).astype("timedelta64[D]")

    order = np.argsort(late, kind="stable")  # a positive link wins over a meeting of the same pair
    _, first = np.unique((src * n + target)[order], return_index=True)
    keep = order[first]
    keep = keep[np.lexsort((date[keep], src[keep]))]
    links = pd.DataFrame(
        {
            "source": pd.Series(p["ids"][src[keep]], dtype="str"),
            "target": pd.Series(p["ids"][target[keep]], dtype="str"),
            "kind": pd.Series(kind[keep], dtype="str"),
            "date": pd.Series(date[keep].astype(str), dtype="str"),
        }
    )
    logger.debug("generated %d links between %d profiles", len(links), n)
    return links


# ---------------------------------------------------------------------------------------------
# The cluster and the shipped sample
# ---------------------------------------------------------------------------------------------


def generate_cluster(
    n_home: int = 150, n_international: int = 2000, n_networks: int = 12, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a fictional cluster: profiles with richer names and descriptions, and their links.

    Parameters
    ----------
    n_home : int
        Members of the home cluster ``kharkiv-fashion-cluster``.
    n_international : int
        Members of the international networks, shared among them in fixed proportions.
    n_networks : int
        Number of international networks (0-16), see the module docstring.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same frames.

    Returns
    -------
    (profiles, links) : tuple of DataFrame
        Profiles of shape (n_home + n_international, 20) and links of shape (n_links, 4).
        Profiles with columns :data:`PROFILE_COLUMNS` and links with columns source, target,
        kind, date; every cell a string ("" when not given), as in the CSV files.
    """
    profiles = _profiles(n_home, n_international, n_networks, seed, rich=True)
    return profiles, generate_links(profiles, seed=seed)


def network_names(network_ids: Iterable[str]) -> pd.DataFrame:
    """The display names of the generator's networks among `network_ids`, as the rows of a
    networks file (``network``, ``name_en``, ``name_uk``; see
    :func:`matcher.profiles.read_network_names`), in the generator's order."""
    wanted = set(network_ids)
    rows = [
        {"network": network, "name_en": en, "name_uk": uk}
        for network, (en, uk) in T.NETWORK_NAMES.items()
        if network in wanted
    ]
    return pd.DataFrame(rows, columns=["network", "name_en", "name_uk"])


def write_sample(out_dir: str | Path) -> tuple[Path, Path, Path]:
    """Write ``profiles.csv``, ``links.csv`` and ``networks.csv`` (the networks' display
    names, :func:`network_names`) of :func:`generate_cluster` with its defaults.

    UTF-8 with a header row; each file is written to a temporary file in `out_dir`, then moved
    into place (:func:`os.replace`), so a reader never sees half a file.

    Returns
    -------
    (profiles_path, links_path, networks_path) : tuple of Path
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    profiles, links = generate_cluster()
    networks = network_names(profiles["network"])
    paths = out_dir / "profiles.csv", out_dir / "links.csv", out_dir / "networks.csv"
    for frame, path in zip((profiles, links, networks), paths):
        atomic_write(
            path,
            lambda temporary, frame=frame: frame.to_csv(
                temporary, index=False, lineterminator="\n", encoding="utf-8"
            ),
        )
        logger.info("wrote %d rows to %s", len(frame), path)
    return paths


def load_sample_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the shipped sample (:data:`SAMPLE_DIR`) as raw frames: every cell a string, "" if empty.

    Returns
    -------
    (profiles, links) : (DataFrame of shape (2150, 20), DataFrame of shape (n_links, 4))
    """
    read = {"dtype": str, "keep_default_na": False, "encoding": "utf-8"}
    return (
        pd.read_csv(SAMPLE_DIR / "profiles.csv", **read),
        pd.read_csv(SAMPLE_DIR / "links.csv", **read),
    )
