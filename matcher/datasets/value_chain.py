"""The value-chain world: a second, independent, seeded generator of FICTIONAL cluster data.

Everything this module produces is invented: the organisations, their names, sizes, certificates,
self-descriptions and relations. Only country codes, city names, NACE codes and the taxonomy's tag
ids are real. The world exists to evaluate the matching engine on data it was not designed on; its
latent process was written without looking at the engine or at :mod:`matcher.datasets.generator`.

Output
------
:func:`generate_value_chain_world` returns a :class:`ValueChainWorld` whose ``profiles`` and
``links`` follow ``reference/formats.md`` (every cell a string, list cells ``;``-joined, ``""`` =
not given); :func:`write_value_chain_world` writes them as ``profiles.csv`` and ``links.csv``. The
latent variables stay on the world as arrays (one entry per profile row);
:meth:`ValueChainWorld.preference` is the noise-free latent utility (the oracle ranking) and
:meth:`ValueChainWorld.accept_probability` the world's own model of answering a suggestion.

The latent process
------------------
Links form because a member *needs a stage of the value chain*, *knows* some organisations of
that stage, and picks among them by a *utility* (fit of products, order size, certificates,
price, distance and lead time) plus idiosyncratic noise. In order:

1. **Networks and places.** Up to 12 European networks (``NETWORKS``; the home network
   ``kharkiv-fashion-cluster``, UA, is the largest). Sizes are the table's weights times a
   Gamma(20, 1/20) jitter (at least 8 members each). A member sits in one of its network's cities
   (weights and coordinates in the table); 3% sit in the first city of another network's country
   (diaspora firms). UA and TR are outside the EU, the other ten countries inside.

2. **Roles (value-chain stages).** Every organisation has one latent role (``ROLES``): fibre and
   yarn (``spinner``), fabric mills (``weaver``, ``knitter``), ``finisher`` (dyeing, finishing,
   printing), ``tannery``, ``trims``; garment makers (``cmt``, ``full_package``,
   ``knitwear_factory``, ``footwear_maker``, ``decorator`` for embroidery/printing/washing);
   buyers (``brand``, ``retailer``); services (``logistics``, ``lab``, ``consultancy``,
   ``design_studio``, ``school``, ``it``, ``recycler``); and one ``cluster_org`` (secretariat)
   per network. Role probabilities are the table's base shares times the network's tilt (the
   home network sews, the Turkish one does full package and decoration, the Italian one weaves,
   ...).
   Brands have a segment (``premium_sustainable``, ``fast_fashion``, ``mid_market``,
   ``independent_designer``), retailers one of ``chain``, ``boutique``, ``wholesaler``,
   ``e_tailer`` (``SEGMENTS``); decorators and consultancies a specialty. The org_type of the
   profile is drawn from the role's org types.

3. **The value chain.** ``EDGES[buyer_role][supplier_role] = w`` lists the stages a buyer works
   with, mostly the adjacent upstream stage (a weaver buys yarn and finishing, a full-package
   factory buys fabric, trims and overflow sewing, a brand buys sewing, full package, knitwear,
   footwear, a retailer buys brands' collections and private label), plus service edges and
   edges to the own secretariat. An edge to a material or production stage (and retailer ->
   brand) is a *supply edge*: it carries the product, order-size, certificate, price and
   lead-time terms below; the other edges (services, schools, secretariats, brand -> retailer)
   get ``SERVICE_OFFSET = -2`` instead.

4. **Latent attributes** (kept on the world):

   * ``lines``: weights over the product lines ``LINES`` (tailoring, casual_knit, denim,
     intimates, outerwear, uniforms, leather, home_technical): 1 + [u < 0.45] (+ [u < 0.5] for
     trims, finishers and retailers) lines drawn from the role's prior, weights 1 and U(0.3, 0.7),
     normalised (services are indifferent). Washing decorators work on denim.
   * ``employees``: role median x exp(0.8 N(0,1)) (x5 fast fashion, x8 chains, x0.3 designers
     and boutiques); ``size_rank`` its percentile within the role.
   * ``capacity`` (units a month) = employees x the role's units per employee x exp(0.3 N);
     ``min_order`` = 2% of capacity x exp(0.6 N), x0.3 for the 25% ``small_batch`` producers;
     a brand as a wholesale supplier has its segment's MOQ and 30 x its order volume as capacity;
     services have no limit.
   * ``order_volume`` (size of the orders it places): the segment's median x exp(0.5 N) for
     brands and retailers, a quarter of the monthly capacity for producers, 200 otherwise.
   * ``price`` (0..1): the segment's level + 0.08 N for buyers, the country's labour cost
     (``COUNTRY_COST``) + 0.12 N + 0.1 quality for the others. ``green`` (0..1): the segment's
     level + 0.12 N for buyers, Beta(2, 3) (+0.15 in DE, IT, BE, PT) for the others.
     ``quality`` (reputation) = 0.7 N + 0.4 (size_rank - 0.5). ``export`` = Beta(2, 3) + 0.15
     (size_rank - 0.5) + 0.1 outside UA.
   * ``certifications`` held: OEKO-TEX, GOTS, GRS, bluesign for textile and garment makers
     (rising with green), social audits (amfori BSCI, SMETA, WRAP, SA8000) for garment makers
     (rising with size, WRAP in TR), ISO 9001/14001 with size, EN ISO 13688 for uniform makers,
     certified collections (OEKO-TEX, GOTS) or audits (BSCI) for brands.
   * ``requirements``: groups a buyer demands of suppliers (``REQUIREMENT_GROUPS``): ``eco`` (any
     of GOTS, OEKO-TEX 100, GRS, bluesign, ISO 14001), ``social`` (any of amfori BSCI, SMETA,
     SA8000, WRAP), ``protective`` (EN ISO 13688). Brands and retailers by segment (premium
     brands 90% eco, fast fashion 70% and chains 80% social, ...); green makers (> 0.7) demand eco
     with 0.5; buyers and makers mostly on uniforms demand protective with 0.8. ``satisfies``:
     the groups its certificates meet.
   * ``languages``: the seat's, English with probability 0.3 + 0.65 export, Russian for 75% of
     UA members, sometimes another; ``time_sensitivity`` (utility per week of lead time, by
     segment in ``SEGMENTS``: 0.35 fast fashion, 0.3 chains, 0.05 designers and boutiques, ...;
     0.1 for non-buyers) and ``distance_aversion`` (per 1,000 km, by segment: 1.0 designers,
     0.8 boutiques, 0.35 fast fashion and chains, ...; 0.6 for non-buyers; x exp(0.25 N)).

5. **Utility** (:meth:`ValueChainWorld.preference`) of member ``i`` for partner ``j``, with
   ``S`` = 1 on a supply edge, else 0::

       U = log w(role_i, role_j) [+ SERVICE_OFFSET off supply edges]  (NO_EDGE = -12 if none)
         + P * 1.5 * log((0.1 + cos(lines_i, lines_j)) / 1.1)        product-line match
         + S * ( - 0.7 * max(0, ln(min_order_j / order_volume_i))    order below the MOQ
                 - 0.9 * max(0, ln(order_volume_i / (0.4 capacity_j)))  too big for capacity
                 - 3.0 * #(requirement groups of i that j does not satisfy)
                 - 0.8 * |green_i - green_j| + 0.3 * [j holds ISO 9001]
                 - 2.5 * (price_i - price_j)^2
                 - time_sensitivity_i * (lead_weeks(role_j) + km / 900 + 0.8 [border]) )
         - distance_aversion_i * km / 1000 + 0.5 [same country] + 0.3 [same city]
         + B * [same network] - 0.4 [border: exactly one of the two in the EU]
         + 0.5 * quality_j + 0.3 [a shared language] - 0.6 [no shared language]

   ``P`` (product weight) is 1 on supply edges (0.4 for trims, 0.6 for decorators) and for
   brand -> retailer, 0.3 when a service buys from a maker, else 0; ``B`` (network bonus) is 0.4,
   2.0 towards and 3.0 from a secretariat, 1.0 to and from schools. Distances are great-circle
   km between the seats' cities. The source itself gets ``-inf``.

6. **Awareness** (``aware``): a member can only partner with organisations it knows. Channels,
   independent: the same network (every engaged member; a dormant one with probability 0.05);
   trade fairs (``FAIRS``; each engaged member attends with probability
   sigmoid(-3 + 2.5 export + 1.8 [fair in its country] + 0.8 size_rank + 0.5 buyers - 0.5
   services); each shared fair acquaints a pair with probability 0.3); the same city (0.4) and
   country (0.05), both x0.3 towards a dormant member; anyone (0.004). A secretariat knows its
   whole network and every engaged member knows its secretariat.

7. **Organic partnerships.** A member is ``engaged`` with its network's share (0.33-0.45 in
   ``NETWORKS``) plus a role adjustment (schools +0.25, brands and full-package +0.05, trims,
   tanneries, IT -0.1); secretariats always. Dormant members start nothing. An engaged member
   looks for ``D ~ Poisson(activity)`` partners, ``activity`` = the role's median x
   ``ACTIVITY_SCALE`` (2.6) x exp(0.8 N - 0.32); a secretariat's is 15% of its network's engaged
   members x exp(0.3 N). It ranks the organisations it knows by ``U + SIGMA * e`` (``e``
   standard Gumbel, ``SIGMA = 1.3``, a fresh draw per pair) and takes the top ``D`` of them whose
   noisy utility exceeds its reservation ``threshold`` (``THRESHOLD`` -2 + 0.6 N): a
   multinomial-logit choice without replacement among the known, with an outside option. When
   both ``i -> j`` and ``j -> i`` are drawn, only the one with the higher noisy utility is kept.
   The kind follows the edge: a supply edge is ``supplier`` (target supplies source; 20%
   ``deal``), retailer -> brand ``deal`` or ``supplier`` (half each), any other ``partner`` (15%
   ``deal``). Dates are uniform in 2016-01-01..2025-06-30; 10% of these links are preceded by a
   ``meeting`` link of the same pair 30-210 days earlier.

8. **Matchmaking days: meetings and declines.** Three past B2B days (``MATCHMAKING_ROUNDS``:
   2023-10-19 home network only, 2024-05-16 the first four networks, 2025-03-13 all); at each, a
   share ``MATCHMAKING_SHARE`` (0.15) of the engaged members of those networks take part. The
   organisers suggest to each participant 1-2 other participants, uniformly among those that
   *look* plausible in the stated profiles: a stated seek of ``i`` among the stated offers of
   ``j`` (when ``i`` states no seeks: an org-type pair that an edge of weight >= 0.3 links) and,
   when both state products, a product in common; never an existing positive pair and never
   the same pair twice. The member accepts when ``U + SIGMA e > threshold_i`` with a fresh
   Gumbel ``e``, i.e. with probability ``p = 1 - exp(-exp((U - threshold_i) / SIGMA))``
   (:meth:`ValueChainWorld.accept_probability`): an acceptance is a ``meeting`` link dated that
   day, a refusal a ``declined`` link (the source turned the target down). A meeting becomes a
   ``deal`` 30-150 days later with probability ``0.45 p``. The declined pairs are therefore
   plausible-looking but mostly latent-bad.

9. **Self-descriptions** (the profile columns). The true offers are the role's core
   capabilities plus extras (``small_batch_production`` exactly for the small-batch makers);
   the true seeks are the representative capability (``seek_cap``) of the 1-3 stages it needs
   most (edge weight x the share of its product lines that stage serves). A profile states part
   of them: 11% state no offers or seeks at all and describe themselves only in a description
   (always with what they offer, usually with what they seek; with the few whose partial
   statements come out empty, 12-14% are description-only); the others keep each true offer
   with probability 0.35 + 0.6 diligence (the first one with 0.9; diligence ~ Beta(2.5, 1.5),
   +0.1 if engaged), 12% add an aspirational or wrong offer (``ASPIRATIONAL_OFFERS``), 75% give
   seeks, keeping each with 0.25 + 0.55 diligence, and 15% add a generic seek
   (``GENERIC_SEEKS``). A description (80% in the home network, 55% elsewhere; always when no
   tags are stated) is built from the taxonomy's labels in Ukrainian (70%), Russian (22%) or
   English (8%) for UA seats, English abroad (20% Russian in LT, 2% elsewhere): the role and
   city, and with some probability what it offers and seeks, products, minimum order, capacity,
   the certificates it really holds and its export reach. Other columns are given only
   sometimes: city 90%, NACE 60%, products 80% (tags of its main lines), markets_present 75%
   (its latent markets: none for schools, secretariats and 15% (1 - export) of the others,
   else the seat's country plus Poisson(4 export^1.5) foreign ones, far markets only for
   exporters above 0.5), markets_target 60% (0-3 new ones), market_presence 40% (the tier of
   the latent markets, 10% overstated as international), partnership types 65%, languages 80%, employees 70% (half rounded),
   capacity 55% and minimum order 45% (producers only), certifications 80% (each held one with
   0.75; 3% of makers claim an OEKO-TEX they lack).

At 2,400 organisations (seed 0) this gives about 3,400 positive links, 250 ``declined`` and 360
``meeting`` links, 43% of members without any positive link (35-50% over seeds) and 12-14%
description-only profiles; the cluster secretariats and a few popular suppliers are hubs. Names
are composed from invented syllables (Cyrillic for about half of the UA members) with a legal
form; ids are ``vcw-00001``, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..files import atomic_write_text
from ..taxonomy import load_taxonomy

__all__ = [
    "EDGES",
    "LINES",
    "NETWORKS",
    "ROLES",
    "SIGMA",
    "THRESHOLD",
    "ValueChainWorld",
    "generate_value_chain_world",
    "write_value_chain_world",
]

HOME_NETWORK = "kharkiv-fashion-cluster"
PROFILE_COLUMNS = (
    "id", "name", "network", "country", "city", "org_type", "nace", "offers", "seeks",
    "products", "markets_present", "markets_target", "market_presence", "partnership_types",
    "certifications", "employees", "capacity_units_month", "min_order_qty", "languages",
    "description",
)  # fmt: skip
LINK_COLUMNS = ("source", "target", "kind", "date")

#: Scale of the Gumbel noise of every choice (organic links and answers to suggestions).
SIGMA = 1.3
ACTIVITY_SCALE = 2.6
#: How well a dormant member is known: in its network (probability), locally (share of the rate).
DORMANT_NETWORK_VISIBILITY = 0.05
DORMANT_LOCAL_VISIBILITY = 0.3
#: Mean reservation utility: a partner is taken only when its noisy utility exceeds it.
THRESHOLD = -2.0
#: Role affinity of a pair of roles the value chain does not link.
NO_EDGE = -12.0
#: Added to the affinity of edges that are not supply edges (services, secretariats, schools).
SERVICE_OFFSET = -2.0

LINES = (
    "tailoring",
    "casual_knit",
    "denim",
    "intimates",
    "outerwear",
    "uniforms",
    "leather",
    "home_technical",
)
#: Product tags of each line.
LINE_PRODUCTS = {
    "tailoring": ("womenswear", "menswear", "eveningwear"),
    "casual_knit": ("knitwear", "womenswear", "childrenswear", "sportswear"),
    "denim": ("denim", "menswear", "womenswear"),
    "intimates": ("lingerie", "hosiery"),
    "outerwear": ("outerwear", "sportswear"),
    "uniforms": ("workwear", "protective_clothing", "medical_textiles"),
    "leather": ("footwear", "bags_leather_goods", "accessories"),
    "home_technical": ("home_textiles", "technical_textiles"),
}

# ---------------------------------------------------------------------------------------------
# Networks, cities, fairs
# ---------------------------------------------------------------------------------------------

# (slug, country, size weight, engaged share, role tilt, cities: (en, uk, ru, lat, lon, weight))
NETWORKS = (
    ("kharkiv-fashion-cluster", "UA", 0.20, 0.45,
     {"cmt": 1.8, "full_package": 1.4, "knitwear_factory": 1.3, "weaver": 0.6, "tannery": 0.6},
     (("Kharkiv", "Харків", "Харьков", 49.99, 36.23, 0.62),
      ("Poltava", "Полтава", "Полтава", 49.59, 34.55, 0.1),
      ("Sumy", "Суми", "Сумы", 50.91, 34.80, 0.08),
      ("Kyiv", "Київ", "Киев", 50.45, 30.52, 0.12),
      ("Dnipro", "Дніпро", "Днепр", 48.46, 35.05, 0.08))),
    ("vistula-textile-ring", "PL", 0.12, 0.41,
     {"weaver": 1.3, "knitter": 1.3, "retailer": 1.3, "full_package": 1.2},
     (("Łódź", "Лодзь", "Лодзь", 51.76, 19.46, 0.5), ("Białystok", "", "", 53.13, 23.16, 0.2),
      ("Kalisz", "", "", 51.76, 18.09, 0.15),
      ("Warszawa", "Варшава", "Варшава", 52.23, 21.01, 0.15))),
    ("moravian-knit-union", "CZ", 0.06, 0.38,
     {"knitter": 1.8, "knitwear_factory": 1.6, "lab": 1.5},
     (("Brno", "", "", 49.20, 16.61, 0.45), ("Zlín", "", "", 49.23, 17.67, 0.25),
      ("Prostějov", "", "", 49.47, 17.11, 0.15), ("Liberec", "", "", 50.77, 15.06, 0.15))),
    ("carpathian-apparel-hub", "RO", 0.09, 0.38,
     {"cmt": 1.9, "footwear_maker": 1.6, "tannery": 1.5, "brand": 0.6},
     (("Cluj-Napoca", "", "", 46.77, 23.60, 0.35), ("Sibiu", "", "", 45.79, 24.15, 0.2),
      ("Bacău", "", "", 46.57, 26.91, 0.2), ("Timișoara", "", "", 45.75, 21.23, 0.25))),
    ("thracian-sewing-circle", "BG", 0.07, 0.35,
     {"cmt": 2.0, "full_package": 1.3, "knitter": 1.2, "brand": 0.6, "retailer": 0.7},
     (("Plovdiv", "", "", 42.14, 24.75, 0.35), ("Sofia", "", "", 42.70, 23.32, 0.25),
      ("Gabrovo", "", "", 42.87, 25.32, 0.2), ("Sliven", "", "", 42.68, 26.33, 0.2))),
    ("amber-fibre-collective", "LT", 0.05, 0.43,
     {"spinner": 1.8, "weaver": 1.4, "recycler": 2.0},
     (("Kaunas", "Каунас", "Каунас", 54.90, 23.90, 0.5),
      ("Vilnius", "Вільнюс", "Вильнюс", 54.69, 25.28, 0.35),
      ("Alytus", "", "", 54.40, 24.05, 0.15))),
    ("saxon-loom-forum", "DE", 0.07, 0.43,
     {"weaver": 1.6, "finisher": 1.6, "lab": 1.6, "it": 2.0, "school": 1.5, "cmt": 0.5},
     (("Chemnitz", "", "", 50.83, 12.92, 0.35), ("Plauen", "", "", 50.50, 12.14, 0.2),
      ("Dresden", "", "", 51.05, 13.74, 0.25), ("Leipzig", "", "", 51.34, 12.37, 0.2))),
    ("lombard-cloth-alliance", "IT", 0.10, 0.43,
     {"weaver": 1.8, "finisher": 1.5, "brand": 1.4, "trims": 1.3, "cmt": 0.5},
     (("Como", "", "", 45.81, 9.09, 0.3), ("Milano", "Мілан", "Милан", 45.46, 9.19, 0.35),
      ("Bergamo", "", "", 45.70, 9.67, 0.2), ("Varese", "", "", 45.82, 8.83, 0.15))),
    ("minho-garment-pole", "PT", 0.08, 0.41,
     {"knitwear_factory": 1.7, "knitter": 1.4, "footwear_maker": 1.5, "full_package": 1.3},
     (("Guimarães", "", "", 41.44, -8.29, 0.35), ("Braga", "", "", 41.55, -8.42, 0.25),
      ("Barcelos", "", "", 41.53, -8.62, 0.15), ("Porto", "", "", 41.15, -8.61, 0.25))),
    ("anatolian-denim-bridge", "TR", 0.08, 0.38,
     {"full_package": 1.8, "decorator": 1.6, "weaver": 1.3, "trims": 1.3},
     (("İstanbul", "Стамбул", "Стамбул", 41.01, 28.98, 0.4), ("Denizli", "", "", 37.78, 29.09, 0.2),
      ("Bursa", "", "", 40.19, 29.06, 0.2), ("İzmir", "", "", 38.42, 27.14, 0.2))),
    ("flanders-design-lab", "BE", 0.04, 0.45,
     {"brand": 1.8, "retailer": 1.5, "consultancy": 1.6, "design_studio": 1.6, "cmt": 0.4},
     (("Gent", "", "", 51.05, 3.72, 0.4), ("Antwerpen", "", "", 51.22, 4.40, 0.4),
      ("Kortrijk", "", "", 50.83, 3.26, 0.2))),
    ("pannonian-textile-circle", "HU", 0.04, 0.33,
     {"cmt": 1.3, "school": 1.3, "weaver": 1.2},
     (("Budapest", "Будапешт", "Будапешт", 47.50, 19.04, 0.5),
      ("Szeged", "", "", 46.25, 20.15, 0.25),
      ("Győr", "", "", 47.69, 17.63, 0.25))),
)  # fmt: skip

EU_COUNTRIES = frozenset({"PL", "CZ", "RO", "BG", "LT", "DE", "IT", "PT", "BE", "HU"})
#: Labour-cost level of each seat country (a supplier's base price positioning).
COUNTRY_COST = {
    "UA": 0.2, "TR": 0.25, "BG": 0.25, "RO": 0.3, "HU": 0.4, "PL": 0.4, "LT": 0.45, "CZ": 0.45,
    "PT": 0.5, "DE": 0.8, "IT": 0.85, "BE": 0.8,
}  # fmt: skip
COUNTRY_LANGUAGES = {
    "UA": ("uk", "ru"), "PL": ("pl",), "CZ": ("cs",), "RO": ("ro",), "BG": ("bg",),
    "LT": ("lt", "ru"), "DE": ("de",), "IT": ("it",), "PT": ("pt",), "TR": ("tr",),
    "BE": ("nl", "fr"), "HU": ("hu",),
}  # fmt: skip
LEGAL_FORMS = {
    "UA": ("LLC", "PE"), "PL": ("Sp. z o.o.", "S.A."), "CZ": ("s.r.o.", "a.s."), "RO": ("S.R.L.",),
    "BG": ("EOOD", "OOD"), "LT": ("UAB",), "DE": ("GmbH", "KG"), "IT": ("S.r.l.", "S.p.A."),
    "PT": ("Lda.",), "TR": ("A.Ş.", "Ltd. Şti."), "BE": ("BV", "SRL"), "HU": ("Kft.", "Zrt."),
}  # fmt: skip
#: Markets outside the networks' countries, for exporters.
FAR_MARKETS = (
    "US",
    "GB",
    "CA",
    "AE",
    "JP",
    "KZ",
    "MD",
    "GE",
    "CH",
    "NO",
    "SE",
    "FR",
    "NL",
    "ES",
    "AT",
    "SK",
    "DK",
)
FAIRS = (("UA", 0), ("PL", 1), ("IT", 7), ("PT", 8), ("TR", 9), ("DE", 6), ("CZ", 2), ("RO", 3))

# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------

MATERIAL = "material"
PRODUCTION = "production"
BUYER = "buyer"
SERVICE = "service"
CLUSTER = "cluster"


@dataclass(frozen=True)
class _Role:
    name: str
    group: str
    org_types: tuple[tuple[str, float], ...]
    share: float
    line_prior: tuple[float, ...]  # over LINES; all ones = indifferent
    core: tuple[str, ...]  # capabilities always offered
    extra: tuple[tuple[str, float], ...]  # capabilities offered with a probability
    nace: tuple[str, ...]
    employees: float  # median employees
    units_per_employee: float  # monthly units per employee (0: no production capacity)
    activity: float  # median number of partners an engaged member looks for
    lead_weeks: float  # lead time of an order from this stage
    partnerships: tuple[str, ...]
    phrase: tuple[str, str, str]  # en, uk, ru
    suffixes: tuple[str, ...]
    seek_cap: str  # what a buyer seeking this stage writes in `seeks`


_ANY = (1.0,) * len(LINES)
ROLES = (
    _Role("spinner", MATERIAL, (("textile_producer", 0.7), ("supplier", 0.3)), 0.03,
          (2, 3, 1.5, 1, 0.5, 1, 0, 1), ("yarn_supply",), (("dyeing_finishing", 0.2),
          ("research_development", 0.05)), ("13.10",), 120, 900, 1.0, 5,
          ("supplier_agreement", "distribution_agreement"),
          ("spinning mill producing yarn", "прядильне підприємство", "прядильное предприятие"),
          ("Yarns", "Spinning", "Fibres"), "yarn_supply"),
    _Role("weaver", MATERIAL, (("textile_producer", 1.0),), 0.05, (3, 0, 2, 0, 1.5, 1.5, 0, 2),
          ("weaving", "woven_fabric_supply"), (("textile_printing", 0.15),
          ("dyeing_finishing", 0.25)), ("13.20", "13.30"), 110, 700, 1.2, 6,
          ("supplier_agreement", "technical_cooperation", "distribution_agreement"),
          ("weaving mill", "ткацька фабрика", "ткацкая фабрика"),
          ("Weaving", "Fabrics", "Tessitura", "Textiles"), "woven_fabric_supply"),
    _Role("knitter", MATERIAL, (("textile_producer", 1.0),), 0.05, (0, 5, 0, 2.5, 1, 0, 0, 1),
          ("fabric_knitting", "knit_fabric_supply"), (("dyeing_finishing", 0.2),),
          ("13.91",), 70, 800, 1.2, 4, ("supplier_agreement", "technical_cooperation"),
          ("circular-knitting mill making knitted fabric", "виробник трикотажного полотна",
           "производитель трикотажного полотна"),
          ("Jersey Mill", "Knit Fabrics", "Maglia"), "knit_fabric_supply"),
    _Role("finisher", MATERIAL, (("service_provider", 0.6), ("textile_producer", 0.4)), 0.04,
          (2, 2, 1.5, 1, 1, 1, 0, 1.5), ("dyeing_finishing",), (("textile_printing", 0.6),
          ("garment_washing", 0.15)), ("13.30",), 60, 1200, 0.6, 2,
          ("subcontracting", "services_agreement"),
          ("dye house and textile finisher", "фарбувально-оздоблювальне виробництво",
           "красильно-отделочное производство"),
          ("Dyeworks", "Finishing", "Print Works"), "dyeing_finishing"),
    _Role("tannery", MATERIAL, (("supplier", 0.6), ("textile_producer", 0.4)), 0.025,
          (0, 0, 0, 0, 0, 0, 1, 0), ("leather_supply",), (("dyeing_finishing", 0.1),),
          ("15.11",), 50, 300, 0.6, 5, ("supplier_agreement",),
          ("tannery and leather supplier", "шкіряне виробництво", "кожевенное производство"),
          ("Leather", "Tannery", "Hides"), "leather_supply"),
    _Role("trims", MATERIAL, (("supplier", 1.0),), 0.05, (2, 2, 1.5, 1.5, 1.5, 1, 1.5, 0.5),
          ("trims_supply",), (("packaging_supply", 0.4), ("e_commerce", 0.1)),
          ("32.99", "13.96", "17.21"), 30, 8000, 0.5, 2,
          ("supplier_agreement", "distribution_agreement", "commercial_agency"),
          ("supplier of trims and accessories", "постачальник фурнітури", "поставщик фурнитуры"),
          ("Trims", "Accessories", "Labels", "Buttons"), "trims_supply"),
    _Role("cmt", PRODUCTION, (("manufacturer", 1.0),), 0.13, (3, 2, 1, 1, 1.5, 2, 0, 0.5),
          ("sewing", "cutting"), (("small_batch_production", 0.4), ("sampling", 0.3),
          ("quality_control", 0.3), ("private_label", 0.2)), ("14.13", "14.14", "14.12"),
          60, 150, 1.1, 4, ("manufacturing_agreement", "subcontracting"),
          ("sewing factory", "швейне виробництво", "швейное производство"),
          ("Sewing", "Garments", "Stitch", "Confezioni"), "sewing"),
    _Role("full_package", PRODUCTION, (("manufacturer", 1.0),), 0.07,
          (3, 2, 1.5, 1, 1.5, 1, 0, 0.5),
          ("full_package_production", "sewing", "private_label"), (("cutting", 0.6),
          ("quality_control", 0.5), ("technical_design", 0.3), ("pattern_making", 0.3),
          ("export_services", 0.15)), ("14.13", "14.14", "14.19"), 200, 130, 2.2, 8,
          ("manufacturing_agreement", "subcontracting", "joint_venture", "joint_export"),
          ("full-package garment manufacturer", "швейна фабрика повного циклу",
           "швейная фабрика полного цикла"),
          ("Apparel", "Manufacturing", "Garment Group"), "full_package_production"),
    _Role("knitwear_factory", PRODUCTION, (("manufacturer", 1.0),), 0.05,
          (0, 5, 0, 2.5, 0.5, 0, 0, 0.5), ("knitwear_production",),
          (("small_batch_production", 0.3), ("private_label", 0.3), ("sampling", 0.2)),
          ("14.39", "14.31"), 70, 120, 1.4, 5, ("manufacturing_agreement", "subcontracting"),
          ("knitwear factory", "трикотажна фабрика", "трикотажная фабрика"),
          ("Knitwear", "Knit", "Maglieria"), "knitwear_production"),
    _Role("footwear_maker", PRODUCTION, (("manufacturer", 1.0),), 0.04, (0, 0, 0, 0, 0, 0, 1, 0),
          ("footwear_production",), (("leather_goods_production", 0.45),
          ("small_batch_production", 0.25)), ("15.20", "15.12"), 50, 40, 1.4, 7,
          ("manufacturing_agreement", "subcontracting"),
          ("footwear and leather goods workshop", "взуттєва фабрика", "обувная фабрика"),
          ("Shoes", "Footwear", "Calzature", "Leatherworks"), "footwear_production"),
    _Role("decorator", PRODUCTION, (("service_provider", 0.7), ("manufacturer", 0.3)), 0.04,
          (1, 2, 2, 0.5, 1, 1, 0, 0.5), ("embroidery",), (("garment_printing", 0.5),),
          ("13.30", "14.19", "18.12"), 25, 600, 0.5, 1, ("subcontracting", "services_agreement"),
          ("garment decoration workshop", "цех оздоблення виробів", "цех отделки изделий"),
          ("Embroidery", "Print Studio", "Wash Lab"), "embroidery"),
    _Role("brand", BUYER, (("designer_brand", 1.0),), 0.17, (3, 3, 1.5, 1.2, 1.5, 0.8, 1.5, 0.7),
          ("fashion_design",), (("marketing_branding", 0.4), ("e_commerce", 0.35),
          ("retail_stores", 0.15)), ("14.13", "74.10", "14.14"), 15, 0, 2.2, 6,
          ("manufacturing_agreement", "distribution_agreement", "licensing", "commercial_agency"),
          ("fashion brand", "бренд одягу", "бренд одежды"),
          ("", "Studio", "Atelier", "Collective", "Wear", "Label"), "fashion_design"),
    _Role("retailer", BUYER, (("retailer_distributor", 1.0),), 0.09,
          (3, 3, 2, 1.5, 1.5, 0.5, 1.5, 1),
          ("retail_stores",), (("showroom", 0.2),), ("46.42", "47.71", "47.91"), 40, 0, 2.0, 6,
          ("distribution_agreement", "commercial_agency", "licensing"),
          ("fashion retailer and distributor", "роздрібна та оптова торгівля одягом",
           "розничная и оптовая торговля одеждой"),
          ("Store", "Distribution", "Trade", "Shop", "Moda"), "wholesale_distribution"),
    _Role("logistics", SERVICE, (("service_provider", 1.0),), 0.03, _ANY, ("logistics",),
          (("customs_brokerage", 0.6), ("export_services", 0.3)), ("52.29", "49.41"), 40, 0, 0.5,
          0, ("services_agreement",), ("logistics company", "логістична компанія",
          "логистическая компания"), ("Logistics", "Cargo", "Freight"), "logistics"),
    _Role("lab", SERVICE, (("service_provider", 0.8), ("education_research", 0.2)), 0.015, _ANY,
          ("testing_certification",), (("quality_control", 0.5),), ("71.20",), 25, 0, 0.5, 0,
          ("services_agreement", "technical_cooperation"), ("textile testing laboratory",
          "випробувальна лабораторія", "испытательная лаборатория"), ("Testing Lab", "Lab"),
          "testing_certification"),
    _Role("consultancy", SERVICE, (("service_provider", 1.0),), 0.035, _ANY, (),
          (("legal_ip", 0.15), ("financing", 0.1), ("photo_content", 0.15)),
          ("70.22", "73.11", "74.20"), 8, 0, 0.5, 0, ("services_agreement", "commercial_agency"),
          ("consultancy for fashion businesses", "консалтингова компанія",
           "консалтинговая компания"), ("Consulting", "Advisory", "Partners"),
          "sustainability_consulting"),
    _Role("design_studio", SERVICE, (("service_provider", 0.8), ("designer_brand", 0.2)), 0.03,
          _ANY, ("technical_design", "pattern_making"), (("sampling", 0.6), ("3d_design", 0.35),
          ("fashion_design", 0.3)), ("74.10",), 6, 0, 0.8, 0,
          ("services_agreement", "technical_cooperation"),
          ("product development studio", "студія розробки виробів", "студия разработки изделий"),
          ("Design Studio", "Pattern Lab", "Atelier"), "pattern_making"),
    _Role("school", SERVICE, (("education_research", 1.0),), 0.02, _ANY, ("training",),
          (("research_development", 0.7), ("3d_design", 0.2)), ("85.42", "72.19"), 90, 0, 1.5, 0,
          ("research_cooperation", "technical_cooperation", "services_agreement"),
          ("fashion school and research centre", "навчальний заклад", "учебное заведение"),
          ("Academy", "Fashion School", "Institute"), "training"),
    _Role("it", SERVICE, (("service_provider", 1.0),), 0.012, _ANY, ("software_it",),
          (("e_commerce", 0.3), ("3d_design", 0.2)), ("62.01",), 20, 0, 0.5, 0,
          ("services_agreement", "licensing"), ("software company", "IT-компанія",
          "IT-компания"), ("Systems", "Soft", "Digital"), "software_it"),
    _Role("recycler", SERVICE, (("service_provider", 0.6), ("supplier", 0.4)), 0.012, _ANY,
          ("recycling_upcycling",), (("yarn_supply", 0.3),), ("38.32",), 20, 0, 1.0, 0,
          ("services_agreement", "supplier_agreement", "research_cooperation"),
          ("textile recycling company", "компанія з переробки текстилю",
           "компания по переработке текстиля"), ("Recycling", "Circular", "ReFibre"),
          "recycling_upcycling"),
    _Role("cluster_org", CLUSTER, (("cluster_organisation", 1.0),), 0.0, _ANY,
          ("export_services", "training"), (("showroom", 0.6), ("marketing_branding", 0.4)),
          ("94.11",), 6, 0, 0.0, 0, ("joint_export", "technical_cooperation"),
          ("cluster secretariat", "офіс кластера", "офис кластера"), ("Secretariat",),
          "export_services"),
)  # fmt: skip
ROLE_NAMES = tuple(role.name for role in ROLES)
_R = {name: k for k, name in enumerate(ROLE_NAMES)}

#: EDGES[buyer][supplier] = relative weight of sourcing that stage (the value chain's arrows).
EDGES: dict[str, dict[str, float]] = {
    "spinner": {"recycler": 0.3, "lab": 0.2, "logistics": 0.3, "consultancy": 0.1},
    "weaver": {"spinner": 1.0, "finisher": 0.6, "lab": 0.2, "logistics": 0.2, "school": 0.1},
    "knitter": {"spinner": 1.0, "finisher": 0.6, "lab": 0.2, "logistics": 0.2},
    "finisher": {"lab": 0.3, "consultancy": 0.2, "it": 0.1},
    "tannery": {"lab": 0.2, "logistics": 0.2},
    "trims": {"logistics": 0.3, "it": 0.1},
    "cmt": {"weaver": 0.3, "knitter": 0.3, "trims": 0.6, "decorator": 0.4, "design_studio": 0.2,
            "school": 0.3, "logistics": 0.2, "it": 0.1, "recycler": 0.2},
    "full_package": {"weaver": 1.0, "knitter": 0.8, "finisher": 0.5, "trims": 0.8, "cmt": 0.5,
                     "decorator": 0.3, "lab": 0.4, "logistics": 0.4, "it": 0.1},
    "knitwear_factory": {"spinner": 1.0, "trims": 0.4, "finisher": 0.3, "lab": 0.2,
                         "logistics": 0.2},
    "footwear_maker": {"tannery": 1.0, "trims": 0.6, "design_studio": 0.2, "logistics": 0.2},
    "decorator": {"logistics": 0.1, "school": 0.1},
    "brand": {"cmt": 1.0, "full_package": 1.0, "knitwear_factory": 0.8, "footwear_maker": 0.6,
              "decorator": 0.3, "design_studio": 0.4, "weaver": 0.4, "knitter": 0.3,
              "trims": 0.3, "lab": 0.2, "logistics": 0.3, "consultancy": 0.3, "it": 0.1,
              "retailer": 0.4},
    "retailer": {"brand": 1.0, "full_package": 0.7, "knitwear_factory": 0.3,
                 "footwear_maker": 0.2, "logistics": 0.4, "it": 0.2, "consultancy": 0.1},
    "logistics": {"it": 0.2},
    "lab": {"school": 0.2},
    "consultancy": {"school": 0.1},
    "design_studio": {"cmt": 0.4, "weaver": 0.2, "knitter": 0.1},
    "school": {"cmt": 0.3, "full_package": 0.2, "brand": 0.2, "lab": 0.2},
    "it": {"consultancy": 0.1},
    "recycler": {"cmt": 0.5, "full_package": 0.4, "spinner": 0.3},
    "cluster_org": {name: 0.3 for name in ROLE_NAMES if name != "cluster_org"}
    | {"brand": 0.5, "cmt": 0.5, "school": 0.5},
}  # fmt: skip
for _buyer in ROLE_NAMES:  # every member may work with its cluster's secretariat
    if _buyer != "cluster_org":
        EDGES[_buyer].setdefault("cluster_org", 0.1)

BRAND_SEGMENTS = ("premium_sustainable", "fast_fashion", "mid_market", "independent_designer")
RETAIL_SEGMENTS = ("chain", "boutique", "wholesaler", "e_tailer")
# segment: (share, order volume, wholesale MOQ, price, green, time sens., distance av., P(eco),
#           P(social))
SEGMENTS = {
    "premium_sustainable": (0.25, 300, 20, 0.8, 0.8, 0.08, 0.6, 0.9, 0.3),
    "fast_fashion": (0.2, 4000, 300, 0.2, 0.3, 0.35, 0.35, 0.1, 0.7),
    "mid_market": (0.3, 1000, 60, 0.5, 0.5, 0.15, 0.5, 0.25, 0.3),
    "independent_designer": (0.25, 80, 10, 0.7, 0.55, 0.05, 1.0, 0.2, 0.0),
    "chain": (0.3, 6000, 0, 0.25, 0.35, 0.3, 0.35, 0.15, 0.8),
    "boutique": (0.3, 120, 0, 0.75, 0.6, 0.05, 0.8, 0.3, 0.0),
    "wholesaler": (0.2, 2500, 0, 0.35, 0.35, 0.2, 0.5, 0.1, 0.3),
    "e_tailer": (0.2, 600, 0, 0.45, 0.45, 0.2, 0.5, 0.2, 0.2),
}
RETAIL_OFFERS = {
    "chain": ("retail_stores", "e_commerce"),
    "boutique": ("retail_stores", "showroom"),
    "wholesaler": ("wholesale_distribution", "showroom", "export_services"),
    "e_tailer": ("e_commerce", "photo_content"),
}
CONSULTING = ("sustainability_consulting", "export_services", "marketing_branding")
DECORATION = ("embroidery", "garment_printing", "garment_washing")

CERTIFICATIONS = (
    "iso_9001",
    "iso_14001",
    "oeko_tex_100",
    "gots",
    "grs",
    "amfori_bsci",
    "sa8000",
    "wrap",
    "smeta",
    "bluesign",
    "en_iso_13688",
)
_C = {name: k for k, name in enumerate(CERTIFICATIONS)}
#: Requirement groups: a buyer demanding a group needs a supplier holding any of its certificates.
REQUIREMENT_GROUPS = {
    "eco": ("gots", "oeko_tex_100", "grs", "bluesign", "iso_14001"),
    "social": ("amfori_bsci", "smeta", "sa8000", "wrap"),
    "protective": ("en_iso_13688",),
}
LANGUAGES = (
    "uk", "ru", "en", "pl", "cs", "ro", "bg", "lt", "de", "it", "pt", "tr", "nl", "fr", "hu",
)  # fmt: skip
_L = {code: k for k, code in enumerate(LANGUAGES)}

ASPIRATIONAL_OFFERS = (
    "export_services",
    "e_commerce",
    "3d_design",
    "recycling_upcycling",
    "private_label",
    "small_batch_production",
    "marketing_branding",
    "research_development",
)
GENERIC_SEEKS = (
    "financing",
    "marketing_branding",
    "export_services",
    "training",
    "e_commerce",
    "photo_content",
)

ORGANIC_START, ORGANIC_END = np.datetime64("2016-01-01"), np.datetime64("2025-06-30")
MATCHMAKING_ROUNDS = (("2023-10-19", 1), ("2024-05-16", 4), ("2025-03-13", 12))
#: Share of the engaged members of the participating networks at a matchmaking day.
MATCHMAKING_SHARE = 0.15


def _role_tables() -> dict[str, np.ndarray]:
    """Role x role tables of the utility: affinity, product, supply and network weights, lead."""
    n = len(ROLES)
    affinity = np.full((n, n), NO_EDGE)
    product = np.zeros((n, n))
    supply = np.zeros((n, n))
    network = np.full((n, n), 0.4)
    lead = np.zeros((n, n))
    groups = [role.group for role in ROLES]
    for buyer, row in EDGES.items():
        b = _R[buyer]
        for supplier, weight in row.items():
            s = _R[supplier]
            affinity[b, s] = np.log(weight)
            # A retailer buying a brand's collection is a supply edge; a brand looking for a
            # retailer is a distribution partnership (product-matched, not a supply edge).
            retail_buy = (buyer, supplier) == ("retailer", "brand")
            supplier_makes = groups[s] in (MATERIAL, PRODUCTION) or retail_buy
            buyer_makes = groups[b] in (MATERIAL, PRODUCTION, BUYER)
            if supplier_makes and buyer_makes:
                supply[b, s] = 1.0
                product[b, s] = {"trims": 0.4, "decorator": 0.6}.get(supplier, 1.0)
                lead[b, s] = ROLES[s].lead_weeks
            else:
                affinity[b, s] += SERVICE_OFFSET
                if supplier_makes:
                    product[b, s] = 0.3
                elif (buyer, supplier) == ("brand", "retailer"):
                    product[b, s] = 1.0
    network[:, _R["cluster_org"]] = 2.0
    network[_R["cluster_org"], :] = 3.0
    network[:, _R["school"]] = 1.0
    network[_R["school"], :] = 1.0
    return {
        "affinity": affinity,
        "product": product,
        "supply": supply,
        "network": network,
        "lead": lead,
    }


_TABLES = _role_tables()
_TABLES32 = {name: table.ravel().astype(np.float32) for name, table in _TABLES.items()}


# ---------------------------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class ValueChainWorld:
    """A generated value-chain world: the files' frames and the latent variables behind them.

    Every array has one entry (row) per profile row, in the order of ``profiles``.

    Attributes
    ----------
    profiles : DataFrame
        The profile file's columns (``PROFILE_COLUMNS``), every cell a string, list cells
        ``;``-joined, ``""`` = not given.
    links : DataFrame
        ``source``, ``target``, ``kind``, ``date`` (ids of ``profiles``).
    role : int array
        Index into ``ROLE_NAMES`` (the value-chain stage).
    segment : str array
        Brand or retail segment, decorator or consultancy specialty, else ``""``.
    network : int array
        Index into ``network_slugs``.
    country, city : str arrays
    lat, lon : float arrays
        Seat coordinates (the city's).
    lines : float array (n, len(LINES))
        Product-line weights, each row summing to 1.
    employees : int array
    size_rank : float array
        Percentile of employees within the role (0..1).
    capacity, min_order, order_volume : float arrays
        Units a month, the smallest order accepted, the size of the orders it places.
    price, green, quality, export : float arrays
        Price positioning (0..1), sustainability orientation (0..1), reputation (normal),
        export orientation (0..1).
    certifications : bool array (n, len(CERTIFICATIONS))
        Held certificates (the truth; profiles state part of them).
    requirements : bool array (n, 3)
        Requirement groups (``eco``, ``social``, ``protective``) it demands of suppliers.
    satisfies : bool array (n, 3)
        Requirement groups its certificates satisfy.
    languages : bool array (n, len(LANGUAGES))
    time_sensitivity, distance_aversion : float arrays
        Utility lost per week of lead time and per 1,000 km.
    engaged : bool array
        Active members (the dormant start no partnership and are little known).
    activity : float array
        Expected number of partners looked for (0 for the dormant).
    fairs : bool array (n, len(FAIRS))
        Trade fairs attended.
    threshold : float array
        Reservation utility (pickiness) of each member.
    small_batch : bool array
        Producers taking small orders (minimum order x0.3, offer ``small_batch_production``).
    aware : bool array (n, n)
        ``aware[i, j]``: ``i`` knows ``j`` (candidates of organic partnerships).
    true_offers, true_seeks : list of tuple of str
        The capabilities it really offers and needs.
    """

    profiles: pd.DataFrame
    links: pd.DataFrame
    seed: int = 0
    network_slugs: tuple[str, ...] = ()
    role: np.ndarray = field(default=None, repr=False)
    segment: np.ndarray = field(default=None, repr=False)
    network: np.ndarray = field(default=None, repr=False)
    country: np.ndarray = field(default=None, repr=False)
    city: np.ndarray = field(default=None, repr=False)
    lat: np.ndarray = field(default=None, repr=False)
    lon: np.ndarray = field(default=None, repr=False)
    lines: np.ndarray = field(default=None, repr=False)
    employees: np.ndarray = field(default=None, repr=False)
    size_rank: np.ndarray = field(default=None, repr=False)
    capacity: np.ndarray = field(default=None, repr=False)
    min_order: np.ndarray = field(default=None, repr=False)
    order_volume: np.ndarray = field(default=None, repr=False)
    price: np.ndarray = field(default=None, repr=False)
    green: np.ndarray = field(default=None, repr=False)
    quality: np.ndarray = field(default=None, repr=False)
    export: np.ndarray = field(default=None, repr=False)
    certifications: np.ndarray = field(default=None, repr=False)
    requirements: np.ndarray = field(default=None, repr=False)
    satisfies: np.ndarray = field(default=None, repr=False)
    languages: np.ndarray = field(default=None, repr=False)
    time_sensitivity: np.ndarray = field(default=None, repr=False)
    distance_aversion: np.ndarray = field(default=None, repr=False)
    engaged: np.ndarray = field(default=None, repr=False)
    activity: np.ndarray = field(default=None, repr=False)
    fairs: np.ndarray = field(default=None, repr=False)
    threshold: np.ndarray = field(default=None, repr=False)
    small_batch: np.ndarray = field(default=None, repr=False)
    aware: np.ndarray = field(default=None, repr=False)
    true_offers: list = field(default_factory=list, repr=False)
    true_seeks: list = field(default_factory=list, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of organisations."""
        return len(self.role)

    @property
    def role_names(self) -> np.ndarray:
        """The role name of every row."""
        return np.asarray(ROLE_NAMES, dtype=object)[self.role]

    def preference(self, source: int, candidates: np.ndarray) -> np.ndarray:
        """Return the latent utility of each candidate row for the source row, without noise.

        Higher = the latent process prefers that partner more (the oracle ranking); the source
        itself gets ``-inf``. See the module docstring (5) for the formula.
        """
        candidates = np.asarray(candidates, dtype=np.int64).reshape(-1)
        return self._utility(np.array([int(source)]), candidates)[0]

    def accept_probability(self, source: int, candidates: np.ndarray) -> np.ndarray:
        """Return the probability that `source` accepts each suggested candidate.

        The world's own answer model (module docstring, 8): accepted when
        ``U + SIGMA * e > threshold[source]`` with ``e`` standard Gumbel, i.e.
        ``1 - exp(-exp((U - threshold) / SIGMA))``; increasing in :meth:`preference`.
        """
        utility = self.preference(source, candidates)
        return _accept(utility, self.threshold[int(source)])

    def utility_matrix(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Return :meth:`preference` of `rows` (default all) against every organisation."""
        rows = np.arange(self.n) if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.n))
        everyone = np.arange(self.n)
        for start in range(0, len(rows), 512):
            block = rows[start : start + 512]
            out[start : start + len(block)] = self._utility(block, everyone)
        return out

    def _derived(self) -> dict[str, np.ndarray]:
        """Per-row arrays the utility reads, computed once (codes, logs, bit masks)."""
        if self._cache:
            return self._cache
        cities = {}
        for net in NETWORKS:
            for city in net[5]:
                cities.setdefault(city[0], (city[3], city[4]))
        names = sorted(cities)
        lat, lon = np.radians(np.array([cities[c] for c in names])).T
        xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], 1)
        city_km = 6371.0 * np.arccos(np.clip(xyz @ xyz.T, -1.0, 1.0))
        bits = 1 << np.arange(max(len(LANGUAGES), len(REQUIREMENT_GROUPS)))
        self._cache.update(
            city=np.searchsorted(names, self.city.astype(str)),
            city_km=city_km.astype(np.float32),
            country=np.unique(self.country.astype(str), return_inverse=True)[1],
            eu=np.isin(self.country.astype(str), list(EU_COUNTRIES)),
            unit_lines=(self.lines / np.linalg.norm(self.lines, axis=1, keepdims=True)).astype(
                np.float32
            ),
            log_moq=np.log(self.min_order).astype(np.float32),
            log_order=np.log(self.order_volume).astype(np.float32),
            log_room=np.log(0.4 * self.capacity).astype(np.float32),
            requirements=(self.requirements * bits[:3]).sum(axis=1),
            unmet_groups=(~self.satisfies * bits[:3]).sum(axis=1),
            popcount=np.array([int(k).bit_count() for k in range(8)], dtype=np.float32),
            languages=(self.languages * bits[: len(LANGUAGES)]).sum(axis=1),
            iso=self.certifications[:, _C["iso_9001"]].astype(np.float32),
        )
        return self._cache

    def _utility(self, src: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """The utility matrix of the rows `src` (1-d) for the rows `cand` (1-d)."""
        d = self._derived()
        s, c = src[:, None], cand[None, :]
        f32 = np.float32
        pair = self.role[s] * len(ROLES) + self.role[c]  # index into the role x role tables
        affinity = _TABLES32["affinity"][pair]
        product_w = _TABLES32["product"][pair]
        supply = _TABLES32["supply"][pair]
        network_w = _TABLES32["network"][pair]
        lead = _TABLES32["lead"][pair]

        overlap = d["unit_lines"][src] @ d["unit_lines"][cand].T
        product = product_w * f32(1.5) * np.log((f32(0.1) + overlap) / f32(1.1))

        below_moq = np.maximum(f32(0), d["log_moq"][c] - d["log_order"][s])
        too_big = np.maximum(f32(0), d["log_order"][s] - d["log_room"][c])
        unmet = d["popcount"][d["requirements"][s] & d["unmet_groups"][c]]
        green, price = self.green.astype(f32), self.price.astype(f32)
        fit = (
            f32(-0.7) * below_moq
            - f32(0.9) * too_big
            - f32(3.0) * unmet
            - f32(0.8) * np.abs(green[s] - green[c])
            + f32(0.3) * d["iso"][c]
            - f32(2.5) * np.square(price[s] - price[c])
        )

        km = d["city_km"][d["city"][s], d["city"][c]]
        same_country = d["country"][s] == d["country"][c]
        same_city = d["city"][s] == d["city"][c]
        border = d["eu"][s] != d["eu"][c]
        aversion = (self.distance_aversion / 1000).astype(f32)
        sensitivity = self.time_sensitivity.astype(f32)
        geo = (
            -aversion[s] * km
            + f32(0.5) * same_country
            + f32(0.3) * same_city
            + network_w * (self.network[s] == self.network[c])
            - f32(0.4) * border
        )
        timing = sensitivity[s] * (lead + km / f32(900) + f32(0.8) * border)

        shared = (d["languages"][s] & d["languages"][c]) != 0
        social = (f32(0.5) * self.quality.astype(f32)[c] - f32(0.6)) + f32(0.9) * shared

        utility = affinity + product + supply * (fit - timing) + geo + social
        return np.where(s == c, -np.inf, utility.astype(float))


def _accept(utility: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
    """P(U + SIGMA * Gumbel > threshold) = 1 - exp(-exp((U - threshold) / SIGMA))."""
    z = np.minimum((np.asarray(utility, dtype=float) - threshold) / SIGMA, 50.0)
    return -np.expm1(-np.exp(z))


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


def generate_value_chain_world(
    n_organisations: int = 2400, seed: int = 0, n_networks: int = 12
) -> ValueChainWorld:
    """Generate the value-chain world (deterministic for a seed). See the module docstring.

    Parameters
    ----------
    n_organisations : int
        Number of organisations (profiles), at least 8 per network.
    seed : int
    n_networks : int
        How many of ``NETWORKS`` take part (1..12; the home network is always the first).
    """
    if not 1 <= n_networks <= len(NETWORKS):
        raise ValueError(f"n_networks must be in 1..{len(NETWORKS)}, got {n_networks}")
    if n_organisations < 8 * n_networks:
        raise ValueError(
            f"n_organisations must be at least {8 * n_networks}, got {n_organisations}"
        )
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 2406]).spawn(8)]
    world = _latent(n_organisations, n_networks, seed, streams[0])
    _true_capabilities(world, streams[1])
    profiles, stated = _profiles(world, streams[2])
    world.profiles = profiles
    world.aware = _awareness(world, streams[3])
    utility = world.utility_matrix()
    links = _organic_links(world, utility, streams[4])
    links += _matchmaking(world, utility, stated, links, streams[5])
    ids = profiles["id"].to_numpy()
    frame = pd.DataFrame(links, columns=["s", "t", "kind", "date"])
    frame = frame.sort_values(["date", "s", "t", "kind"], kind="stable").reset_index(drop=True)
    world.links = pd.DataFrame(
        {
            "source": ids[frame["s"].to_numpy(dtype=int)] if len(frame) else [],
            "target": ids[frame["t"].to_numpy(dtype=int)] if len(frame) else [],
            "kind": frame["kind"].astype(str),
            "date": frame["date"].astype(str),
        }
    )
    return world


def _latent(n: int, n_networks: int, seed: int, rng: np.random.Generator) -> ValueChainWorld:
    networks = NETWORKS[:n_networks]
    # Network sizes: table weights with a jitter, at least 8 members each.
    weights = np.array([net[2] for net in networks]) * rng.gamma(20.0, 1 / 20.0, n_networks)
    sizes = np.maximum(8, np.floor(weights / weights.sum() * n)).astype(int)
    while sizes.sum() > n:
        sizes[np.argmax(sizes)] -= 1
    remainder = weights / weights.sum() * n - sizes
    for k in np.argsort(-remainder)[: n - sizes.sum()]:
        sizes[k] += 1
    network = np.repeat(np.arange(n_networks), sizes)
    network = network[rng.permutation(n)]

    role = np.empty(n, dtype=np.int64)
    shares = np.array([r.share for r in ROLES])
    for k, net in enumerate(networks):
        members = np.flatnonzero(network == k)
        tilt = np.array([net[4].get(name, 1.0) for name in ROLE_NAMES])
        p = shares * tilt
        role[members] = rng.choice(len(ROLES), size=len(members), p=p / p.sum())
        role[members[rng.integers(len(members))]] = _R["cluster_org"]

    country = np.array([networks[k][1] for k in network], dtype=object)
    city = np.empty(n, dtype=object)
    lat = np.empty(n)
    lon = np.empty(n)
    diaspora = rng.random(n) < 0.03
    diaspora[role == _R["cluster_org"]] = False
    for i in range(n):
        net = networks[network[i]]
        if diaspora[i] and n_networks > 1:
            other = networks[rng.choice([k for k in range(n_networks) if k != network[i]])]
            country[i] = other[1]
            cities = other[5][:1]
        else:
            cities = net[5]
        w = np.array([c[5] for c in cities])
        c = cities[rng.choice(len(cities), p=w / w.sum())]
        if role[i] == _R["cluster_org"]:
            c = net[5][0]
        city[i], lat[i], lon[i] = c[0], c[3], c[4]

    segment = np.full(n, "", dtype=object)
    for name, segments in (("brand", BRAND_SEGMENTS), ("retailer", RETAIL_SEGMENTS)):
        rows = np.flatnonzero(role == _R[name])
        p = np.array([SEGMENTS[s][0] for s in segments])
        segment[rows] = np.asarray(segments, dtype=object)[
            rng.choice(len(segments), len(rows), p=p / p.sum())
        ]
    rows = np.flatnonzero(role == _R["decorator"])
    segment[rows] = np.asarray(DECORATION, dtype=object)[
        rng.choice(3, len(rows), p=[0.45, 0.35, 0.2])
    ]
    rows = np.flatnonzero(role == _R["consultancy"])
    segment[rows] = np.asarray(CONSULTING, dtype=object)[rng.choice(3, len(rows))]

    # Product lines: 1-3 lines from the role's prior (washing decorators work on denim).
    lines = np.zeros((n, len(LINES)))
    for i in range(n):
        prior = np.array(ROLES[role[i]].line_prior, dtype=float)
        if segment[i] == "garment_washing":
            prior = np.eye(len(LINES))[LINES.index("denim")] * 3 + 0.2 * (prior > 0)
        if ROLES[role[i]].group in (SERVICE, CLUSTER):
            lines[i] = 1.0 / len(LINES)
            continue
        broad = ROLE_NAMES[role[i]] in ("trims", "retailer", "finisher")
        k = 1 + (rng.random() < 0.45) + (broad and rng.random() < 0.5)
        k = min(k, int((prior > 0).sum()))
        chosen = rng.choice(len(LINES), size=k, replace=False, p=prior / prior.sum())
        lines[i, chosen] = np.r_[1.0, rng.uniform(0.3, 0.7, k - 1)]
        lines[i] /= lines[i].sum()

    # Size, capacity, minimum order, order volume.
    median = np.array([ROLES[r].employees for r in role])
    employees = np.maximum(1, np.round(median * np.exp(0.8 * rng.standard_normal(n)))).astype(int)
    seg_scale = {"fast_fashion": 5.0, "chain": 8.0, "independent_designer": 0.3, "boutique": 0.3}
    employees = np.maximum(
        1, np.round(employees * np.array([seg_scale.get(s, 1.0) for s in segment]))
    ).astype(int)
    size_rank = np.zeros(n)
    for r in range(len(ROLES)):
        rows = np.flatnonzero(role == r)
        if len(rows):
            size_rank[rows] = (np.argsort(np.argsort(employees[rows])) + 0.5) / len(rows)
    per_employee = np.array([ROLES[r].units_per_employee for r in role])
    capacity = employees * per_employee * np.exp(0.3 * rng.standard_normal(n))
    min_order = capacity * 0.02 * np.exp(0.6 * rng.standard_normal(n))
    small_batch = (per_employee > 0) & (rng.random(n) < 0.25)
    min_order = np.where(small_batch, min_order * 0.3, min_order)
    order_volume = np.where(per_employee > 0, 0.25 * capacity, 200.0)
    for i in np.flatnonzero(segment != ""):
        if segment[i] in SEGMENTS:
            spec = SEGMENTS[segment[i]]
            order_volume[i] = spec[1] * np.exp(0.5 * rng.standard_normal())
            if ROLE_NAMES[role[i]] == "brand":  # a brand as a wholesale supplier
                min_order[i] = spec[2] * np.exp(0.4 * rng.standard_normal())
                capacity[i] = order_volume[i] * 30
    capacity = np.where(capacity > 0, capacity, 1e9)  # services: no capacity limit
    min_order = np.maximum(min_order, 1.0)
    order_volume = np.maximum(order_volume, 10.0)

    group = np.array([ROLES[r].group for r in role], dtype=object)
    cost = np.array([COUNTRY_COST[c] for c in country])
    quality = 0.7 * rng.standard_normal(n) + 0.4 * (size_rank - 0.5)
    price = np.clip(cost + 0.12 * rng.standard_normal(n) + 0.1 * quality, 0.02, 0.98)
    green = np.clip(rng.beta(2, 3, n) + 0.15 * np.isin(country, ["DE", "IT", "BE", "PT"]), 0, 1)
    time_sensitivity = np.full(n, 0.1)
    distance_aversion = np.full(n, 0.6)
    requirements = np.zeros((n, 3), dtype=bool)
    u = rng.random((n, 3))
    for i in range(n):
        if segment[i] in SEGMENTS:
            spec = SEGMENTS[segment[i]]
            price[i] = np.clip(spec[3] + 0.08 * rng.standard_normal(), 0.02, 0.98)
            green[i] = np.clip(spec[4] + 0.12 * rng.standard_normal(), 0, 1)
            time_sensitivity[i] = spec[5]
            distance_aversion[i] = spec[6]
            requirements[i, 0] = u[i, 0] < spec[7]
            requirements[i, 1] = u[i, 1] < spec[8]
        elif group[i] in (MATERIAL, PRODUCTION):
            requirements[i, 0] = green[i] > 0.7 and u[i, 0] < 0.5
        if group[i] in (BUYER, PRODUCTION) and lines[i, LINES.index("uniforms")] >= 0.5:
            requirements[i, 2] = u[i, 2] < 0.8
    distance_aversion *= np.exp(0.25 * rng.standard_normal(n))
    export = rng.beta(2, 3, n)
    export = np.clip(export + 0.15 * (size_rank - 0.5) + 0.1 * (country != "UA"), 0, 1)

    # Certificates held.
    certs = np.zeros((n, len(CERTIFICATIONS)), dtype=bool)
    textile = np.isin(
        role, [_R[r] for r in ("spinner", "weaver", "knitter", "finisher", "recycler")]
    )
    garment = np.isin(
        role,
        [_R[r] for r in ("cmt", "full_package", "knitwear_factory", "footwear_maker", "decorator")],
    )
    sport = lines[:, LINES.index("outerwear")] + lines[:, LINES.index("casual_knit")]
    makes = textile | garment | (role == _R["tannery"]) | (role == _R["trims"])
    brand = role == _R["brand"]  # certified collections, audited supply chains
    p = {
        "oeko_tex_100": (textile | garment | (role == _R["trims"])) * (0.1 + 0.55 * green)
        + brand * 0.5 * green,
        "gots": (textile | garment) * (0.03 + 0.35 * green) + brand * 0.4 * green,
        "grs": np.where(role == _R["recycler"], 0.7, (textile | garment) * (0.03 + 0.2 * green)),
        "bluesign": np.isin(role, [_R["finisher"], _R["weaver"], _R["knitter"]])
        * (0.02 + 0.4 * green * (sport > 0)),
        "iso_14001": (makes | (role == _R["logistics"])) * (0.03 + 0.3 * green * size_rank),
        "amfori_bsci": garment * (0.05 + 0.35 * size_rank + 0.1 * (cost < 0.35))
        + brand * 0.45 * np.isin(segment, ["fast_fashion", "mid_market"]),
        "smeta": garment * (0.03 + 0.25 * size_rank),
        "wrap": garment * np.where(country == "TR", 0.3, 0.03),
        "sa8000": garment * 0.02,
        "iso_9001": np.where(role == _R["lab"], 0.7, makes * (0.1 + 0.4 * size_rank)),
        "en_iso_13688": garment * 0.7 * lines[:, LINES.index("uniforms")],
    }
    for name, prob in p.items():
        certs[:, _C[name]] = rng.random(n) < prob
    satisfies = np.stack(
        [certs[:, [_C[c] for c in REQUIREMENT_GROUPS[g]]].any(axis=1) for g in REQUIREMENT_GROUPS],
        axis=1,
    )

    # Languages: the seat's, English with export orientation, a few neighbours' languages.
    languages = np.zeros((n, len(LANGUAGES)), dtype=bool)
    for i in range(n):
        home = COUNTRY_LANGUAGES[country[i]]
        languages[i, _L[home[0]]] = True
        if len(home) > 1:
            languages[i, _L[home[1]]] = rng.random() < (0.75 if country[i] == "UA" else 0.5)
        languages[i, _L["en"]] |= rng.random() < 0.3 + 0.65 * export[i]
        if rng.random() < 0.08:
            languages[i, _L[str(rng.choice(["de", "pl", "it", "ru"]))]] = True

    # Engagement, activity, fairs, pickiness.
    engaged_share = np.array([networks[k][3] for k in network])
    role_engaged = {
        "school": 0.25,
        "brand": 0.05,
        "full_package": 0.05,
        "trims": -0.1,
        "tannery": -0.1,
        "it": -0.1,
    }
    engaged_p = engaged_share + np.array([role_engaged.get(ROLE_NAMES[r], 0.0) for r in role])
    engaged = rng.random(n) < engaged_p
    engaged[role == _R["cluster_org"]] = True
    activity_median = np.array([ROLES[r].activity for r in role])
    activity = (
        engaged * activity_median * ACTIVITY_SCALE * np.exp(0.8 * rng.standard_normal(n) - 0.32)
    )
    for i in np.flatnonzero(role == _R["cluster_org"]):  # a secretariat: 15% of its engaged
        engaged_members = np.count_nonzero(engaged & (network == network[i]))
        activity[i] = 0.15 * engaged_members * np.exp(0.3 * rng.standard_normal())
    fairs = np.zeros((n, len(FAIRS)), dtype=bool)
    buyer_bonus = np.where(group == BUYER, 0.5, np.where(group == SERVICE, -0.5, 0.0))
    for f, (fair_country, _) in enumerate(FAIRS):
        logit = -3.0 + 2.5 * export + 1.8 * (country == fair_country) + 0.8 * size_rank
        fairs[:, f] = engaged & (rng.random(n) < 1 / (1 + np.exp(-(logit + buyer_bonus))))
    threshold = THRESHOLD + 0.6 * rng.standard_normal(n)

    return ValueChainWorld(
        profiles=pd.DataFrame(columns=PROFILE_COLUMNS),
        links=pd.DataFrame(columns=LINK_COLUMNS),
        seed=seed,
        network_slugs=tuple(net[0] for net in networks),
        role=role,
        segment=segment,
        network=network,
        country=country,
        city=city,
        lat=lat,
        lon=lon,
        lines=lines,
        employees=employees,
        size_rank=size_rank,
        capacity=capacity,
        min_order=min_order,
        order_volume=order_volume,
        price=price,
        green=green,
        quality=quality,
        export=export,
        certifications=certs,
        requirements=requirements,
        satisfies=satisfies,
        languages=languages,
        time_sensitivity=time_sensitivity,
        distance_aversion=distance_aversion,
        engaged=engaged,
        activity=activity,
        fairs=fairs,
        threshold=threshold,
        small_batch=small_batch,
    )


def _true_capabilities(world: ValueChainWorld, rng: np.random.Generator) -> None:
    """What each organisation really offers and needs (the truth its profile states part of)."""
    priors = np.array([np.asarray(r.line_prior, float) / sum(r.line_prior) for r in ROLES])
    offers, seeks = [], []
    for i in range(world.n):
        role = ROLES[world.role[i]]
        own = list(role.core)
        segment = world.segment[i]
        if role.name == "retailer":
            own = list(RETAIL_OFFERS[segment][:1])
            own += [c for c in RETAIL_OFFERS[segment][1:] if rng.random() < 0.4]
        elif role.name in ("decorator", "consultancy"):
            own = [segment]
        own += [
            c
            for c, p in role.extra
            if c != "small_batch_production" and rng.random() < p and c not in own
        ]
        if world.small_batch[i] and role.group == PRODUCTION:
            own.append("small_batch_production")
        offers.append(tuple(dict.fromkeys(own)))
        # Needs: the stages it sources from most, weighted by product compatibility.
        scores = {}
        for supplier, weight in EDGES[role.name].items():
            s = _R[supplier]
            if supplier == "cluster_org":
                continue
            compat = 1.0  # the share of its product lines that the stage serves at all
            if _TABLES["product"][world.role[i], s] > 0 and ROLES[s].group != SERVICE:
                compat = float(world.lines[i][priors[s] > 0].sum())
            scores[supplier] = weight * compat
        ranked = sorted((v, k) for k, v in scores.items() if v > 0.08)[::-1]
        chosen = ranked[: 1 + int(rng.integers(0, 3))]
        needs = []
        for _, supplier in chosen:
            cap = ROLES[_R[supplier]].seek_cap
            if supplier == "decorator" and world.lines[i, LINES.index("denim")] >= 0.4:
                cap = "garment_washing"
            if supplier == "consultancy" and world.green[i] < 0.6:
                cap = "export_services"
            if supplier == "footwear_maker" and world.lines[i, LINES.index("leather")] > 0:
                cap = "footwear_production" if rng.random() < 0.6 else "leather_goods_production"
            needs.append(cap)
        seeks.append(tuple(c for c in dict.fromkeys(needs) if c not in offers[-1]))
    world.true_offers, world.true_seeks = offers, seeks


# ---------------------------------------------------------------------------------------------
# Awareness and links
# ---------------------------------------------------------------------------------------------


def _awareness(world: ValueChainWorld, rng: np.random.Generator) -> np.ndarray:
    """Who knows whom: independent channels, one draw per pair on P(any channel)."""
    n = world.n
    same_network = world.network[:, None] == world.network[None, :]
    same_country = world.country[:, None] == world.country[None, :]
    same_city = same_country & (world.city[:, None] == world.city[None, :])
    shared_fairs = world.fairs.astype(np.float32) @ world.fairs.T.astype(np.float32)
    unknown = np.float32(0.7) ** shared_fairs  # P(no acquaintance through fairs)
    network_p = np.where(world.engaged, np.float32(1.0), np.float32(DORMANT_NETWORK_VISIBILITY))
    local_p = np.where(world.engaged, np.float32(1.0), np.float32(DORMANT_LOCAL_VISIBILITY))
    unknown *= 1 - same_network * network_p[None, :]
    unknown *= 1 - np.float32(0.4) * same_city * local_p[None, :]
    unknown *= 1 - np.float32(0.05) * same_country * local_p[None, :]
    unknown *= np.float32(1 - 0.004)
    known = rng.random((n, n), dtype=np.float32) >= unknown
    secretariat = world.role == _R["cluster_org"]
    known[secretariat] |= same_network[secretariat]
    known[:, secretariat] |= same_network[:, secretariat] & world.engaged[:, None]
    np.fill_diagonal(known, False)
    return known


def _dates(rng: np.random.Generator, size: int, start, end) -> np.ndarray:
    span = int((np.datetime64(end) - np.datetime64(start)).astype(int))
    return np.datetime64(start) + rng.integers(0, span + 1, size).astype("timedelta64[D]")


def _link_kind(world: ValueChainWorld, s: int, t: int, u: float) -> str:
    rs, rt = world.role[s], world.role[t]
    if ROLE_NAMES[rs] == "retailer" and ROLE_NAMES[rt] == "brand":
        return "deal" if u < 0.5 else "supplier"
    if _TABLES["supply"][rs, rt] > 0:
        return "deal" if u < 0.2 else "supplier"
    return "deal" if u < 0.15 else "partner"


def _organic_links(world: ValueChainWorld, utility: np.ndarray, rng: np.random.Generator) -> list:
    n = world.n
    demand = rng.poisson(world.activity)
    sources = np.flatnonzero(demand > 0)
    noisy = utility[sources] + SIGMA * rng.gumbel(size=(len(sources), n))
    noisy[~world.aware[sources]] = -np.inf
    chosen: dict[tuple[int, int], float] = {}
    for i, row in zip(sources, noisy):
        k = int(min(demand[i], world.aware[i].sum()))
        if k == 0:
            continue
        top = np.argpartition(-row, k - 1)[:k]
        for j in top[np.argsort(-row[top])]:
            if row[j] > world.threshold[i]:
                chosen[(int(i), int(j))] = float(row[j])
    pairs = [
        pair
        for pair, score in chosen.items()
        if chosen.get((pair[1], pair[0]), -np.inf) < score
        or (chosen.get((pair[1], pair[0])) == score and pair[0] < pair[1])
    ]
    pairs.sort()
    dates = _dates(rng, len(pairs), ORGANIC_START, ORGANIC_END)
    u = rng.random((len(pairs), 3))
    links = []
    for (s, t), date, (uk, um, ud) in zip(pairs, dates, u):
        links.append((s, t, _link_kind(world, s, t, uk), str(date)))
        if um < 0.1:
            before = date - np.timedelta64(30 + int(ud * 180), "D")
            links.append((s, t, "meeting", str(before)))
    return links


def _matchmaking(
    world: ValueChainWorld,
    utility: np.ndarray,
    stated: dict[str, np.ndarray],
    organic: list,
    rng: np.random.Generator,
) -> list:
    """Past B2B matchmaking days: suggestions by stated profiles, answered by the latent utility."""
    n = world.n
    plausible = (stated["seeks"].astype(np.float32) @ stated["offers"].T.astype(np.float32)) > 0
    # Without stated seeks the matchmaker goes by org types the value chain links.
    org_type = world.profiles["org_type"].to_numpy().astype(str)
    types = sorted(set(org_type))
    type_index = np.searchsorted(types, org_type)
    type_links = np.zeros((len(types), len(types)), dtype=bool)
    for buyer, row in EDGES.items():
        for supplier, weight in row.items():
            if weight < 0.3:
                continue
            for tb, _ in ROLES[_R[buyer]].org_types:
                for ts, _ in ROLES[_R[supplier]].org_types:
                    if tb in types and ts in types:
                        type_links[types.index(tb), types.index(ts)] = True
    no_seeks = ~stated["seeks"].any(axis=1)
    plausible[no_seeks] = type_links[type_index[no_seeks]][:, type_index]
    # ... and, where both state products, among those that make or sell the same kind of goods.
    products = stated["products"].astype(np.float32)
    has_products = products.any(axis=1)
    same_goods = (products @ products.T) > 0
    plausible &= same_goods | ~has_products[:, None] | ~has_products[None, :]
    np.fill_diagonal(plausible, False)
    positive = {(s, t) for s, t, kind, _ in organic if kind != "meeting"}
    for s, t in positive:
        plausible[s, t] = plausible[t, s] = False

    links = []
    for day, n_nets in MATCHMAKING_ROUNDS:
        at_event = world.engaged & (world.network < n_nets) & (rng.random(n) < MATCHMAKING_SHARE)
        for i in np.flatnonzero(at_event):
            options = np.flatnonzero(plausible[i] & at_event)
            if len(options) == 0:
                continue
            picks = options[rng.permutation(len(options))[: 1 + int(rng.random() < 0.5)]]
            probability = _accept(utility[i, picks], world.threshold[i])
            answers = rng.random(len(picks)) < probability
            for j, p, yes in zip(picks.tolist(), probability, answers):
                plausible[i, j] = False
                if not yes:
                    links.append((int(i), j, "declined", day))
                    continue
                links.append((int(i), j, "meeting", day))
                if rng.random() < 0.45 * p and (i, j) not in positive and (j, i) not in positive:
                    later = _dates(rng, 1, np.datetime64(day) + 30, np.datetime64(day) + 150)[0]
                    links.append((int(i), j, "deal", str(later)))
                    positive.add((int(i), j))
    return links


# ---------------------------------------------------------------------------------------------
# Profiles: what members state
# ---------------------------------------------------------------------------------------------

_SYLLABLES = (
    "ka",
    "ve",
    "lo",
    "mi",
    "ra",
    "ten",
    "sor",
    "bel",
    "du",
    "na",
    "vi",
    "tar",
    "le",
    "mon",
    "zo",
    "ri",
    "fa",
    "dal",
    "ke",
    "nu",
    "sa",
    "bri",
    "vo",
    "len",
    "ta",
    "mar",
    "ol",
    "er",
    "ian",
    "ros",
    "ul",
    "in",
    "ker",
    "pa",
    "ti",
    "go",
    "nel",
    "cor",
    "va",
    "sil",
    "dor",
    "mer",
    "lu",
    "fen",
    "tri",
    "ga",
)
_CYRILLIC = {
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "i": "і",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "z": "з",
}
_UA_NAME_FORMS = {
    "cmt": "Швейна фабрика «{}»",
    "full_package": "Швейна компанія «{}»",
    "knitwear_factory": "Трикотажна фабрика «{}»",
    "weaver": "Ткацька фабрика «{}»",
    "knitter": "Трикотажне полотно «{}»",
    "footwear_maker": "Взуттєва фабрика «{}»",
    "school": "Академія моди «{}»",
    "logistics": "Логістика «{}»",
}


def _invented_word(rng: np.random.Generator) -> str:
    k = 2 if rng.random() < 0.6 else 3
    word = "".join(rng.choice(_SYLLABLES, size=k))
    return word[0].upper() + word[1:]


def _cyrillic(word: str) -> str:
    text = word.lower().replace("ia", "я")
    out = "".join(_CYRILLIC.get(ch, ch) for ch in text)
    return out[0].upper() + out[1:]


def _name(world: ValueChainWorld, i: int, rng: np.random.Generator) -> str:
    role = ROLES[world.role[i]]
    country = world.country[i]
    if role.name == "cluster_org":
        slug = world.network_slugs[world.network[i]]
        return " ".join(part.capitalize() for part in slug.split("-")) + " Secretariat"
    word = _invented_word(rng)
    if country == "UA" and rng.random() < 0.55:
        form = _UA_NAME_FORMS.get(role.name, "ТОВ «{}»")
        return form.format(_cyrillic(word))
    suffix = str(rng.choice(role.suffixes))
    legal = str(rng.choice(LEGAL_FORMS[country]))
    name = f"{word} {suffix}".strip()
    if country == "LT":
        return f"{legal} {name}"
    return f"{name} {legal}" if rng.random() < 0.7 else name


def _label_list(taxonomy, vocabulary: str, tags, language: str) -> str:
    labels = []
    for tag in tags:
        label = taxonomy.label(vocabulary, tag, language)
        if len(label) > 1 and not label[1].isupper():
            label = label[0].lower() + label[1:]
        labels.append(label)
    return ", ".join(labels)


_TEXT = {
    "en": {
        "intro": "{phrase} based in {city}", "staff": ", about {n} employees",
        "offers": ("We offer {x}.", "Our capabilities: {x}.", "What we do: {x}."),
        "seeks": ("We are looking for {x}.", "Looking for partners for {x}.", "Seeking {x}."),
        "products": ("Main products: {x}.", "We work on {x}."),
        "moq": "Minimum order {n} pieces.", "capacity": "Capacity about {n} units a month.",
        "certs": "Certified: {x}.", "export": "We already sell in {n} countries.",
    },
    "uk": {
        "intro": "{phrase} у місті {city}", "staff": ", близько {n} працівників",
        "offers": ("Пропонуємо: {x}.", "Наші послуги: {x}.", "Що ми робимо: {x}."),
        "seeks": ("Шукаємо: {x}.", "Шукаємо партнерів: {x}.", "Потрібні: {x}."),
        "products": ("Продукція: {x}.", "Працюємо з асортиментом: {x}."),
        "moq": "Мінімальне замовлення — {n} од.", "capacity": "Потужність — до {n} од. на місяць.",
        "certs": "Сертифікати: {x}.", "export": "Продаємо у {n} країнах.",
    },
    "ru": {
        "intro": "{phrase} в городе {city}", "staff": ", около {n} сотрудников",
        "offers": ("Предлагаем: {x}.", "Наши услуги: {x}.", "Что мы делаем: {x}."),
        "seeks": ("Ищем: {x}.", "Ищем партнёров: {x}.", "Нужны: {x}."),
        "products": ("Продукция: {x}.", "Ассортимент: {x}."),
        "moq": "Минимальный заказ — {n} шт.", "capacity": "Мощность — до {n} ед. в месяц.",
        "certs": "Сертификаты: {x}.", "export": "Продаём в {n} странах.",
    },
}  # fmt: skip


def _city_name(world: ValueChainWorld, i: int, language: str) -> str:
    if language == "en":
        return world.city[i]
    for net in NETWORKS:
        for city in net[5]:
            if city[0] == world.city[i]:
                return (city[1] if language == "uk" else city[2]) or city[0]
    return world.city[i]


def _description(
    world, i, language, offers, seeks, products, certs, rng, taxonomy, full: bool
) -> str:
    text = _TEXT[language]
    role = ROLES[world.role[i]]
    phrase = role.phrase[("en", "uk", "ru").index(language)]
    intro = text["intro"].format(phrase=phrase, city=_city_name(world, i, language))
    intro = intro[0].upper() + intro[1:]
    if rng.random() < 0.4:
        intro += text["staff"].format(n=_round_nice(world.employees[i]))
    parts = [intro + "."]
    if offers and (full or rng.random() < 0.6):
        parts.append(
            str(rng.choice(text["offers"])).format(
                x=_label_list(taxonomy, "capabilities", offers, language)
            )
        )
    if seeks and (full or rng.random() < 0.5):
        parts.append(
            str(rng.choice(text["seeks"])).format(
                x=_label_list(taxonomy, "capabilities", seeks, language)
            )
        )
    if products and rng.random() < 0.5:
        parts.append(
            str(rng.choice(text["products"])).format(
                x=_label_list(taxonomy, "products", products, language)
            )
        )
    if role.units_per_employee > 0 and rng.random() < 0.3:
        parts.append(text["moq"].format(n=_round_nice(world.min_order[i])))
    if role.units_per_employee > 0 and rng.random() < 0.2:
        parts.append(text["capacity"].format(n=_round_nice(world.capacity[i])))
    if certs and rng.random() < 0.4:
        parts.append(text["certs"].format(x=_label_list(taxonomy, "certifications", certs, "en")))
    if rng.random() < 0.15 and world.export[i] > 0.5:
        parts.append(text["export"].format(n=2 + int(world.export[i] * 10)))
    return " ".join(parts)


def _round_nice(value: float) -> int:
    value = max(1.0, float(value))
    magnitude = 10 ** max(0, int(np.floor(np.log10(value))) - 1)
    return int(round(value / magnitude) * magnitude)


def _description_language(country: str, rng: np.random.Generator) -> str:
    u = rng.random()
    if country == "UA":
        return "uk" if u < 0.7 else "ru" if u < 0.92 else "en"
    if country == "LT":
        return "ru" if u < 0.2 else "en"
    return "ru" if u < 0.02 else "en"


def _markets(world: ValueChainWorld, i: int, rng: np.random.Generator) -> tuple[list, list, str]:
    home = world.country[i]
    x = world.export[i]
    network_countries = sorted({net[1] for net in NETWORKS} - {home})
    if world.role[i] in (_R["school"], _R["cluster_org"]) or rng.random() < 0.15 * (1 - x):
        return [], [], "local"
    present = [home]
    n_foreign = rng.poisson(4 * x**1.5)
    pool = network_countries + (list(FAR_MARKETS) if x > 0.5 else list(FAR_MARKETS[5:]))
    present += list(rng.choice(pool, size=min(n_foreign, len(pool)), replace=False))
    foreign = [m for m in present if m != home]
    far = any(m in FAR_MARKETS[:5] for m in foreign) or len(foreign) >= 5
    tier = "national" if not foreign else "international" if far else "regional"
    rest = [m for m in pool if m not in present]
    target = list(rng.choice(rest, size=min(len(rest), int(rng.integers(0, 4))), replace=False))
    return present, target, tier


def _profiles(world: ValueChainWorld, rng: np.random.Generator):
    taxonomy = load_taxonomy()
    capabilities = taxonomy.ids("capabilities")
    cap_index = {c: k for k, c in enumerate(capabilities)}
    n = world.n
    stated_offers = np.zeros((n, len(capabilities)), dtype=bool)
    stated_seeks = np.zeros((n, len(capabilities)), dtype=bool)
    product_index = {p: k for k, p in enumerate(taxonomy.ids("products"))}
    stated_products = np.zeros((n, len(product_index)), dtype=bool)
    rows = []
    names: set[str] = set()
    diligence = rng.beta(2.5, 1.5, n) + 0.1 * world.engaged
    for i in range(n):
        role = ROLES[world.role[i]]
        d = diligence[i]
        true_offers, true_seeks = world.true_offers[i], world.true_seeks[i]
        description_only = rng.random() < 0.11 and role.name != "cluster_org"
        offers: list[str] = []
        seeks: list[str] = []
        if not description_only:
            offers = [
                c
                for k, c in enumerate(true_offers)
                if rng.random() < (0.9 if k == 0 else 0.35 + 0.6 * d)
            ]
            if rng.random() < 0.12 and role.name != "cluster_org":
                offers.append(str(rng.choice(ASPIRATIONAL_OFFERS)))
            if rng.random() < 0.75:
                seeks = [c for c in true_seeks if rng.random() < 0.25 + 0.55 * d]
            if rng.random() < 0.15:
                seeks.append(str(rng.choice(GENERIC_SEEKS)))
            offers = list(dict.fromkeys(offers))
            seeks = [c for c in dict.fromkeys(seeks) if c not in offers]
        # Products: one or two tags of each main line.
        products: list[str] = []
        if role.group not in (SERVICE, CLUSTER):
            for line in np.flatnonzero(world.lines[i] >= 0.25):
                tags = LINE_PRODUCTS[LINES[line]]
                products += list(
                    rng.choice(tags, size=min(len(tags), 1 + (rng.random() < 0.4)), replace=False)
                )
            if role.name in ("weaver", "knitter"):
                products.insert(0, "fabrics")
            if role.name == "spinner":
                products = ["yarn"] + products[:1]
            products = list(dict.fromkeys(products))
        held = [c for k, c in enumerate(CERTIFICATIONS) if world.certifications[i, k]]
        stated_certs: list[str] = []
        if rng.random() < 0.8:
            stated_certs = [c for c in held if rng.random() < 0.75]
        if (
            role.group in (MATERIAL, PRODUCTION)
            and "oeko_tex_100" not in held
            and rng.random() < 0.03
        ):
            stated_certs.append("oeko_tex_100")
        # Description.
        want_text = description_only or rng.random() < (0.8 if world.network[i] == 0 else 0.55)
        if not offers and not seeks:
            want_text = True
        description = ""
        if want_text:
            language = _description_language(world.country[i], rng)
            if role.name == "cluster_org":
                language = "en" if world.country[i] != "UA" else "uk"
            text_offers = [c for c in true_offers if rng.random() < 0.8] or list(true_offers[:1])
            text_seeks = [c for c in true_seeks if rng.random() < 0.7]
            description = _description(
                world,
                i,
                language,
                text_offers,
                text_seeks,
                products,
                held,
                rng,
                taxonomy,
                full=description_only,
            )
        for c in offers:
            stated_offers[i, cap_index[c]] = True
        for c in seeks:
            stated_seeks[i, cap_index[c]] = True
        present, target, tier = _markets(world, i, rng)
        if rng.random() < 0.1:
            tier = "international" if tier != "international" else tier
        name = _name(world, i, rng)
        while name in names:
            name = _name(world, i, rng)
        names.add(name)
        production = role.units_per_employee > 0
        show_products = rng.random() < 0.8
        for tag in products if show_products else ():
            stated_products[i, product_index[tag]] = True
        partnerships = [p for p in role.partnerships if rng.random() < 0.6]
        langs = [code for k, code in enumerate(LANGUAGES) if world.languages[i, k]]
        rows.append(
            {
                "id": f"vcw-{i + 1:05d}",
                "name": name,
                "network": world.network_slugs[world.network[i]],
                "country": world.country[i],
                "city": world.city[i] if rng.random() < 0.9 else "",
                "org_type": _org_type(role, rng),
                "nace": ";".join(
                    rng.choice(
                        role.nace, size=min(len(role.nace), 1 + (rng.random() < 0.3)), replace=False
                    )
                )
                if rng.random() < 0.6
                else "",
                "offers": ";".join(offers),
                "seeks": ";".join(seeks),
                "products": ";".join(products) if show_products else "",
                "markets_present": ";".join(present) if rng.random() < 0.75 else "",
                "markets_target": ";".join(target) if rng.random() < 0.6 else "",
                "market_presence": tier if rng.random() < 0.4 else "",
                "partnership_types": ";".join(partnerships) if rng.random() < 0.65 else "",
                "certifications": ";".join(dict.fromkeys(stated_certs)),
                "employees": str(
                    _round_nice(world.employees[i]) if rng.random() < 0.5 else world.employees[i]
                )
                if rng.random() < 0.7
                else "",
                "capacity_units_month": str(_round_nice(world.capacity[i]))
                if production and rng.random() < 0.55
                else "",
                "min_order_qty": str(_round_nice(world.min_order[i]))
                if production and rng.random() < 0.45
                else "",
                "languages": ";".join(langs) if rng.random() < 0.8 else "",
                "description": description,
            }
        )
    stated = {"offers": stated_offers, "seeks": stated_seeks, "products": stated_products}
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS), stated


def _org_type(role: _Role, rng: np.random.Generator) -> str:
    types = [t for t, _ in role.org_types]
    p = np.array([w for _, w in role.org_types])
    return types[int(rng.choice(len(types), p=p / p.sum()))]


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def write_value_chain_world(
    out_dir: str | Path, n_organisations: int = 2400, seed: int = 0
) -> tuple[Path, Path]:
    """Generate the world and write ``profiles.csv`` and ``links.csv`` into `out_dir`.

    UTF-8, comma-separated, with a header row; each file is written whole or not at all
    (:func:`matcher.files.atomic_write_text`). Returns the two paths.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = generate_value_chain_world(n_organisations=n_organisations, seed=seed)
    paths = []
    for name, frame in (("profiles.csv", world.profiles), ("links.csv", world.links)):
        paths.append(
            atomic_write_text(out_dir / name, frame.to_csv(index=False, lineterminator="\n"))
        )
    return paths[0], paths[1]
