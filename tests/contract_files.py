"""Contract-valid data sets of every shape, for property-based tests of the command line.

The file-format contract (README "File formats", :mod:`matcher.profiles`): profiles with the
columns of :data:`~matcher.profiles.PROFILE_COLUMNS` (required: ``id, name, network, country,
org_type``), links ``source, target, kind, date``, read from CSV, XLSX (first sheet) or JSON (a
list of objects). Everything here follows it, as a new cluster's own files would, but unlike the
shipped sample:

* ids: 1-64 characters of ``A-Z a-z 0-9 . _ -`` (``_ID`` in matcher/profiles.py: ASCII only, so
  no Unicode letters), unique, case-sensitive ("abc" and "ABC" are two members), including odd
  but valid ones (".", "-", "..", "007", "1e5", "NA", "null", "None", "nan", 64 characters);
* names in any script, with quotes, commas, semicolons, a newline, formula-like starts;
* networks: slugs (lower-case letters and digits joined by ``- _ .``), given in any case;
* countries and markets: ISO 3166-1 alpha-2 (any of pycountry's, in any case); languages
  ISO 639-1; tags: ids of matcher/data/taxonomy.yaml in any case, padded, or their synonyms
  and labels (those without ``,``/``;``, which separate list items);
* lists separated by ``;`` or ``,`` (JSON: also arrays); whole numbers >= 0, also as "300.0";
* a profile has a tag in ``offers`` or ``seeks``, or a description; descriptions in Ukrainian,
  Russian or English name capabilities (:data:`DESCRIPTIONS`, each checked to yield tags);
* optional columns absent, present and empty everywhere, filled in some rows, or in all;
  columns outside the format kept as extra data; headers padded, in any order, ``member_id``
  for ``id``, a byte-order mark; XLSX with a second sheet and real date cells; JSON as a list
  or as ``{"profiles": [...]}``, with ``null`` and missing keys;
* links among a few members, every kind, no self-links, valid ISO dates or none; repeated
  rows (which the reader merges).

A hypothesis strategy draws a :class:`Shape` (the parameters: size, format, countries, ...,
and a seed); :func:`build` makes the rows from the shape with numpy's ``Generator`` (6,000 rows
in a fraction of a second, so large shapes cost hypothesis nothing to draw), and
:meth:`DataSet.write` / :meth:`DataSet.write_links` put them on disk. The canonical values
(what the reader must make of each row: trimmed id, lower-case network, upper-case country,
the tags' ids) are kept for the tests' assertions.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import string
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from matcher.geography import country_codes, language_codes
from matcher.profiles import (
    HOME_NETWORK,
    INT_COLUMNS,
    LINK_KINDS,
    LIST_COLUMNS,
    POSITIVE_KINDS,
    PRESENCE_TIERS,
    PROFILE_COLUMNS,
    REQUIRED_COLUMNS,
)
from matcher.taxonomy import load_taxonomy
from matcher.text import extract_tags

__all__ = [
    "COUNTRIES",
    "DESCRIPTIONS",
    "FORMATS",
    "DataSet",
    "Shape",
    "build",
    "large_shapes",
    "shapes",
]

TAXONOMY = load_taxonomy()
VOCABULARY = {
    name: tuple(TAXONOMY.ids(name))
    for name in (
        "org_types",
        "capabilities",
        "products",
        "partnership_types",
        "certifications",
        "market_presence",
    )
}
ORG_TYPES = VOCABULARY["org_types"]
CAPABILITIES = VOCABULARY["capabilities"]
COUNTRIES = tuple(sorted(country_codes()))
LANGUAGES = tuple(sorted(language_codes()))
FORMATS = ("csv", "xlsx", "json")
ID_ALPHABET = string.ascii_letters + string.digits + "._-"
OPTIONAL_MODES = ("absent", "empty", "some", "full")
CONTENTS = ("tags", "descriptions", "mixed")
DESCRIPTION_LANGUAGES = ("uk", "ru", "en")
assert set(PRESENCE_TIERS) == set(VOCABULARY["market_presence"])

#: Columns a profile may leave empty, beyond offers/seeks/description (of which a row needs one).
OPTIONAL_COLUMNS = tuple(
    c
    for c in PROFILE_COLUMNS
    if c not in REQUIRED_COLUMNS and c not in ("offers", "seeks", "description")
)

#: Sentences a member writes about itself; every one names capabilities that
#: :func:`matcher.text.extract_tags` finds (checked below, at import).
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "uk": (
        "Шукаємо виробництво трикотажних виробів.",
        "Шиємо жіночий одяг малими партіями. Шукаємо постачальника трикотажного полотна.",
        "Виготовляємо трикотажні вироби з власної пряжі.",
        "Пропонуємо розкрій і пошиття верхнього одягу. Потрібна фурнітура: ґудзики та блискавки.",
        "Надаємо послуги логістики та митного оформлення.",
        "Вишивка та друк на виробах. Шукаємо дизайнера для колекції.",
        "Розробка колекцій дитячого одягу. Потрібне фінансування.",
        "Фарбування та оздоблення тканин. Шукаємо оптових покупців.",
        "Фото- та відеозйомка для брендів, контент для маркетплейсів.",
        "Продаємо тканини оптом. Шукаємо швейне виробництво.",
    ),
    "ru": (
        "Ищем швейное производство.",
        "Производим трикотажные изделия. Ищем поставщика пряжи.",
        "Оказываем услуги вышивки и шелкографии.",
        "Шьём мужскую одежду под маркой заказчика. Нужна фурнитура.",
        "Поставляем ткани и трикотажное полотно. Ищем дистрибьютора в Европе.",
        "Раскрой и пошив образцов. Требуется конструирование лекал.",
        "Логистика, складирование и таможенное оформление грузов.",
        "Разработка коллекций женской одежды. В поиске производства трикотажных изделий.",
    ),
    "en": (
        "We offer knitwear production in small batches.",
        "Garment factory: sewing and cutting for womenswear. Looking for fabric supply.",
        "We provide logistics and customs clearance for apparel exporters.",
        "Embroidery and screen printing on garments. Seeking a fashion designer.",
        "Fashion design studio. We need knitwear production and pattern making.",
        "Wholesale distribution of denim in Poland. Looking for private label production.",
        "Dyeing and finishing of woven fabric. We are looking for recycling partners.",
        "Online store and marketplace sales of sportswear; need photo and video content.",
    ),
}
for _sentences in DESCRIPTIONS.values():
    for _sentence in _sentences:
        _found = extract_tags(_sentence, TAXONOMY)
        assert _found.offers or _found.seeks, f"no capability read from {_sentence!r}"

NAMES = (
    "Студія Весна",
    "Харківтрикотаж",
    "Швейна фабрика «Слобожанка»",
    "ООО «Текстиль-Люкс»",
    "Tkalnia Łódź",
    "Moda Dystrybucja Sp. z o.o.",
    "Atelier Nord, Ltd.",
    'Brand "Autumn"',
    "O'Neill & Sons",
    "=Textile",
    "+380 Garments",
    "-Minus Studio",
    "@home Fabrics",
    "Семь; Восемь",
    "Ательє 🧵 Нитка",
    "İzmir Örme A.Ş.",
    "Zürich Stoffe GmbH",
    "Line one\nLine two",
    "ФОП Коваленко Г. І.",
    "  Padded Name  ",
    "X" * 300,
    "7",
    "NA",
)
CITIES = ("Kharkiv", "Харків", "Łódź", "Київ", "São Paulo", "Zürich", "N/A", "Ho Chi Minh City")
NETWORK_POOL = (
    HOME_NETWORK,
    "polish-fashion-cluster",
    "lviv.textile_hub",
    "a",
    "n1-2.x_y",
    "0",
    "eu-2027",
)
EXTRA_POOL = ("website", "notes", "контакт", "stand")
NACE = ("14.13", "13", "14.1", "46.42", "13.20", "47.71")
SPECIAL_IDS = (
    ".",
    "-",
    "_",
    "..",
    "._-",
    "0",
    "007",
    "1e5",
    "1.0",
    "-1",
    "NA",
    "null",
    "None",
    "nan",
    "TRUE",
    "Inf",
    "a" * 64,
    "A.B-C_D",
    "Z9",
    "x--y__z..w",
)
LINK_START = dt.date(2015, 1, 1)


def _aliases(vocabulary: str) -> dict[str, tuple[str, ...]]:
    """Per id, the synonyms and labels usable in a list cell (no separators; they resolve back
    to the same id)."""
    out = {}
    for tag, term in TAXONOMY.terms[vocabulary].items():
        options = [
            a
            for a in (*term.synonyms, *term.labels.values())
            if "," not in a and ";" not in a and TAXONOMY.resolve(vocabulary, a) == tag
        ]
        out[tag] = tuple(dict.fromkeys(options))
    return out


ALIASES = {name: _aliases(name) for name in VOCABULARY}


@dataclass(frozen=True)
class Shape:
    """What a data set looks like; :func:`build` makes its rows from `seed`."""

    n_profiles: int
    file_format: str = "csv"
    seed: int = 0
    countries: tuple[str, ...] = ("UA",)
    org_types: tuple[str, ...] = ("manufacturer",)
    networks: tuple[str, ...] = (HOME_NETWORK,)
    #: "tags": every row tags offers/seeks; "descriptions": no tags, every row a description;
    #: "mixed": per row tags, a description or both.
    content: str = "tags"
    #: Languages descriptions are written in; () = no descriptions anywhere.
    description_languages: tuple[str, ...] = ()
    #: Optional columns: "absent" (not in the header), "empty" (present, empty everywhere),
    #: "some" (filled in some rows), "full" (filled in every row).
    optional: str = "some"
    #: Whether markets_present/markets_target are filled (where optional columns are).
    markets: bool = True
    #: "plain" (m-0001 ...), "wild" (every allowed character, odd but valid ids),
    #: "case_twins" (ids that differ only in case).
    id_style: str = "plain"
    header_noise: bool = False
    cell_noise: bool = False
    extra_columns: tuple[str, ...] = ()
    #: Links are among this many members (0: no links file).
    link_members: int = 0
    n_links: int = 0
    link_kinds: tuple[str, ...] = ("partner",)
    #: At least this many distinct positive (source, target) pairs.
    min_positive: int = 0
    link_dates: str = "none"

    def __post_init__(self):
        assert self.n_profiles >= 1 and self.file_format in FORMATS
        assert self.content in CONTENTS and self.optional in OPTIONAL_MODES
        assert self.content == "tags" or self.description_languages
        assert 1 <= len(self.countries) and 1 <= len(self.org_types) and 1 <= len(self.networks)
        assert self.link_members == 0 or 2 <= self.link_members <= self.n_profiles
        assert self.min_positive <= self.n_links


@dataclass
class DataSet:
    """Rows of a drawn shape: the cells to write and the canonical values the reader must make
    of them."""

    shape: Shape
    columns: list[str]  # the profile file's header, in order
    cells: list[dict[str, Any]]  # per row, header column -> cell value
    profiles: list[dict[str, Any]]  # canonical: id, name, network, country, org_type, ...
    link_columns: list[str] = field(default_factory=list)
    link_cells: list[dict[str, Any]] = field(default_factory=list)
    #: Canonical distinct links (source, target, kind, date).
    links: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    #: Per-cell choice for JSON: a list kept as an array, or joined.
    json_wrapped: bool = False

    # -- what the data say -------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        return [p["id"] for p in self.profiles]

    @cached_property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {p["id"]: p for p in self.profiles}

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {p["id"]: i for i, p in enumerate(self.profiles)}

    @cached_property
    def positive_pairs(self) -> set[tuple[str, str]]:
        """Distinct (source, target) of the known partnerships."""
        return {(s, t) for s, t, kind, _ in self.links if kind in POSITIVE_KINDS}

    @cached_property
    def _known(self) -> dict[str, set[str]]:
        known: dict[str, set[str]] = {}
        for s, t in self.positive_pairs:
            known.setdefault(s, set()).add(t)
            known.setdefault(t, set()).add(s)
        return known

    @cached_property
    def _declined(self) -> dict[str, set[str]]:
        declined: dict[str, set[str]] = {}
        for s, t, kind, _ in self.links:
            if kind == "declined":
                declined.setdefault(s, set()).add(t)
        return declined

    @cached_property
    def decliners(self) -> list[str]:
        """Members that declined someone, in data-set order."""
        return [m for m in self.ids if m in self._declined]

    @cached_property
    def partnered(self) -> list[str]:
        """Members with a known partner, in data-set order."""
        return [m for m in self.ids if m in self._known]

    def known_partners(self, member_id: str, among: Iterable[str] | None = None) -> set[str]:
        """Partners by a positive link, either direction (only links within `among` count)."""
        found = self._known.get(member_id, set())
        return found & set(among) if among is not None else set(found)

    def declined_by(self, member_id: str) -> set[str]:
        """Whom `member_id` declined (a link member -> partner of kind declined)."""
        return set(self._declined.get(member_id, set()))

    def never_suggested(self, member_id: str) -> set[str]:
        """Itself, its known partners and those it declined: never a suggestion for it."""
        return {member_id} | self.known_partners(member_id) | self.declined_by(member_id)

    @property
    def networks(self) -> set[str]:
        return {p["network"] for p in self.profiles}

    def summary(self) -> str:
        """One line for failure messages."""
        s = self.shape
        return (
            f"{s.n_profiles} profiles as {s.file_format}, {len(s.countries)} countries, "
            f"org_types {list(s.org_types)}, networks {list(s.networks)}, content {s.content} "
            f"{list(s.description_languages)}, optional {s.optional}, markets {s.markets}, "
            f"ids {s.id_style}, noise header={s.header_noise} cells={s.cell_noise}, "
            f"{len(self.links)} links among {s.link_members} ({len(self.positive_pairs)} "
            f"positive pairs), seed {s.seed}"
        )

    # -- writing -----------------------------------------------------------------------------
    def write(
        self,
        folder: str | Path,
        stem: str = "profiles",
        ids: Iterable[str] | None = None,
        extra: Mapping[str, Mapping[str, Any]] | None = None,
        file_format: str | None = None,
    ) -> Path:
        """Write the profiles (or those of `ids`, in data-set order) to ``folder/stem.<fmt>``;
        `extra` adds columns outside the format: ``{column: {member_id: value}}``."""
        file_format = file_format or self.shape.file_format
        chosen = None if ids is None else set(ids)
        rows, columns = [], [*self.columns, *(extra or {})]
        for profile, cells in zip(self.profiles, self.cells):
            if chosen is not None and profile["id"] not in chosen:
                continue
            row = dict(cells)
            for column, values in (extra or {}).items():
                row[column] = values.get(profile["id"], "")
            rows.append(row)
        path = Path(folder) / f"{stem}.{file_format}"
        _write(
            path,
            columns,
            rows,
            file_format,
            kind="profiles",
            noise=self.shape.header_noise,
            wrapped=self.json_wrapped,
        )
        return path

    def write_links(
        self, folder: str | Path, stem: str = "links", file_format: str | None = None
    ) -> Path | None:
        """Write the links to ``folder/stem.<fmt>``; None when the data set has none."""
        if not self.link_cells:
            return None
        file_format = file_format or self.shape.file_format
        path = Path(folder) / f"{stem}.{file_format}"
        _write(
            path,
            self.link_columns,
            self.link_cells,
            file_format,
            kind="links",
            noise=self.shape.header_noise,
            wrapped=self.json_wrapped,
        )
        return path


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

_slugs = st.from_regex(r"[a-z0-9]{1,8}(?:[-_.][a-z0-9]{1,6}){0,3}", fullmatch=True)


@st.composite
def shapes(
    draw,
    *,
    min_profiles: int = 2,
    max_profiles: int = 40,
    formats: Sequence[str] = FORMATS,
    content: str | None = None,
    links: bool | None = None,
    min_positive: int = 0,
    max_link_members: int = 10,
    markets: bool | None = None,
    optional: str | None = None,
) -> Shape:
    """Draw the shape of a contract-valid data set.

    Parameters
    ----------
    min_profiles, max_profiles : int
    formats : the file formats to draw from
    content : "tags", "descriptions" or "mixed"; drawn when None
    links : True (a links file), False (none), None (either)
    min_positive : at least this many distinct positive (source, target) pairs (implies links)
    max_link_members : links are among at most this many members
    markets, optional : fixed when given (see :class:`Shape`)
    """
    n = draw(st.integers(min_profiles, max_profiles), label="n_profiles")
    file_format = draw(st.sampled_from(tuple(formats)), label="format")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    n_countries = draw(st.one_of(st.just(1), st.integers(2, 60)), label="n_countries")
    countries = tuple(
        draw(
            st.lists(
                st.sampled_from(COUNTRIES), min_size=n_countries, max_size=n_countries, unique=True
            )
        )
    )
    org_types = tuple(
        draw(
            st.one_of(
                st.lists(st.sampled_from(ORG_TYPES), min_size=1, max_size=1),
                st.lists(
                    st.sampled_from(ORG_TYPES), min_size=2, max_size=len(ORG_TYPES), unique=True
                ),
            )
        )
    )
    networks = tuple(
        draw(
            st.lists(
                st.one_of(st.sampled_from(NETWORK_POOL), _slugs),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
    )
    content = content or draw(st.sampled_from(CONTENTS), label="content")
    some_languages = st.lists(
        st.sampled_from(DESCRIPTION_LANGUAGES), min_size=1, max_size=3, unique=True
    ).map(tuple)
    if content == "tags":
        languages = draw(st.one_of(st.just(()), some_languages), label="description_languages")
    else:
        languages = draw(some_languages, label="description_languages")
    optional = optional or draw(st.sampled_from(OPTIONAL_MODES), label="optional")
    markets = draw(st.booleans(), label="markets") if markets is None else markets
    id_style = draw(st.sampled_from(("plain", "wild", "case_twins")), label="id_style")
    header_noise = draw(st.booleans(), label="header_noise")
    cell_noise = draw(st.booleans(), label="cell_noise")
    extra_columns = tuple(draw(st.lists(st.sampled_from(EXTRA_POOL), max_size=2, unique=True)))

    want_links = links if links is not None else (True if min_positive else draw(st.booleans()))
    link_members = n_links = 0
    link_kinds: tuple[str, ...] = ("partner",)
    link_dates = "none"
    if want_links and n >= 2:
        least = 2
        while least * (least - 1) < min_positive:
            least += 1
        assert least <= n, f"{min_positive} positive pairs need {least} profiles, got {n}"
        link_members = draw(
            st.integers(least, max(least, min(n, max_link_members))), label="link_members"
        )
        low = max(1, min_positive)
        # Up to 30 links (the documented default and logistic models), or many (50 positive
        # links and more: the learned gradient-boosted model).
        n_links = draw(
            st.one_of(st.integers(low, low + 30), st.integers(low + 50, low + 100)), label="n_links"
        )
        link_kinds = tuple(
            draw(
                st.lists(st.sampled_from(LINK_KINDS), min_size=1, max_size=5, unique=True),
                label="link_kinds",
            )
        )
        if min_positive and not set(link_kinds) & POSITIVE_KINDS:
            link_kinds += (draw(st.sampled_from(sorted(POSITIVE_KINDS))),)
        link_dates = draw(st.sampled_from(("none", "some", "all")), label="link_dates")
    return Shape(
        n_profiles=n,
        file_format=file_format,
        seed=seed,
        countries=countries,
        org_types=org_types,
        networks=networks,
        content=content,
        description_languages=languages,
        optional=optional,
        markets=markets,
        id_style=id_style,
        header_noise=header_noise,
        cell_noise=cell_noise,
        extra_columns=extra_columns,
        link_members=link_members,
        n_links=n_links,
        link_kinds=link_kinds,
        min_positive=min(min_positive, n_links),
        link_dates=link_dates,
    )


def large_shapes(min_profiles: int = 5_100, max_profiles: int = 5_400) -> st.SearchStrategy[Shape]:
    """Large data sets (the candidate stage starts above 5,000 profiles): descriptions only, or
    tags without markets; CSV or JSON (a 5,000-row workbook takes seconds to read)."""
    return st.one_of(
        shapes(
            min_profiles=min_profiles,
            max_profiles=max_profiles,
            formats=("csv", "json"),
            content="descriptions",
            links=True,
        ),
        shapes(
            min_profiles=min_profiles,
            max_profiles=max_profiles,
            formats=("csv", "json"),
            content="tags",
            markets=False,
            links=True,
        ),
    )


# ---------------------------------------------------------------------------------------------
# Building rows
# ---------------------------------------------------------------------------------------------


def build(shape: Shape) -> DataSet:
    """Make the rows of `shape` (deterministic in ``shape.seed``)."""
    rng = np.random.default_rng(shape.seed)
    n = shape.n_profiles
    noise = shape.cell_noise
    ids = _ids(rng, n, shape.id_style)

    # Which optional columns are in the file, and which of their cells are filled.
    optional_columns = [] if shape.optional == "absent" else list(OPTIONAL_COLUMNS)
    if not shape.markets:
        optional_columns = [
            c for c in optional_columns if c not in ("markets_present", "markets_target")
        ]
    if shape.optional in ("empty", "absent"):
        filled = np.zeros((n, len(OPTIONAL_COLUMNS)), dtype=bool)
    elif shape.optional == "full":
        filled = np.ones((n, len(OPTIONAL_COLUMNS)), dtype=bool)
    else:
        filled = rng.random((n, len(OPTIONAL_COLUMNS))) < 0.5
    fill = {c: filled[:, i] for i, c in enumerate(OPTIONAL_COLUMNS)}
    if not shape.markets:
        fill["markets_present"] = fill["markets_target"] = np.zeros(n, dtype=bool)

    # Content: 0 tags only, 1 description only, 2 both.
    if shape.content == "tags":
        kind = np.zeros(n, dtype=np.int8)
        if shape.description_languages and shape.optional in ("some", "full"):
            kind[rng.random(n) < (0.5 if shape.optional == "some" else 1.0)] = 2
    elif shape.content == "descriptions":
        kind = np.ones(n, dtype=np.int8)
    else:
        kind = rng.integers(0, 3, n).astype(np.int8)
    tagged, described = kind != 1, kind != 0
    n_offers = np.where(tagged, rng.integers(0, 5, n), 0)
    n_seeks = np.where(tagged, rng.integers(0, 4, n), 0)
    n_offers[tagged & (n_offers + n_seeks == 0)] = 1
    offers = _lists(rng, CAPABILITIES, n_offers)
    seeks = _lists(rng, CAPABILITIES, n_seeks)

    has_offers = bool(tagged.any())
    has_description = bool(described.any())
    present = set(REQUIRED_COLUMNS) | set(optional_columns)
    if has_offers or shape.optional != "absent":
        present |= {"offers", "seeks"}
    if has_description or shape.optional != "absent":
        present.add("description")
    columns = [c for c in PROFILE_COLUMNS if c in present] + list(shape.extra_columns)

    country_pick = rng.integers(0, len(shape.countries), n).tolist()
    org_pick = rng.integers(0, len(shape.org_types), n).tolist()
    network_pick = rng.integers(0, len(shape.networks), n).tolist()
    name_pick = rng.integers(0, len(NAMES), n).tolist()
    descriptions = _descriptions(rng, shape, described)

    def lengths(column: str, low: int = 1, high: int = 5) -> np.ndarray:
        return np.where(fill[column], rng.integers(low, high, n), 0)

    market_pool = tuple(dict.fromkeys((*shape.countries, *rng.choice(COUNTRIES, 8).tolist())))
    lists = {
        "offers": offers,
        "seeks": seeks,
        "products": _lists(rng, VOCABULARY["products"], lengths("products")),
        "markets_present": _lists(rng, market_pool, lengths("markets_present", 1, 7)),
        "markets_target": _lists(rng, market_pool, lengths("markets_target", 1, 4)),
        "partnership_types": _lists(
            rng, VOCABULARY["partnership_types"], lengths("partnership_types")
        ),
        "certifications": _lists(rng, VOCABULARY["certifications"], lengths("certifications")),
        "languages": _lists(rng, LANGUAGES[:40] + ("uk", "ru", "en", "pl"), lengths("languages")),
        "nace": _lists(rng, NACE, lengths("nace", 1, 3)),
    }
    list_columns = [(c, v) for c, v in LIST_COLUMNS.items() if c in columns]
    presence = rng.integers(0, len(PRESENCE_TIERS), n).tolist()
    numbers = {
        c: rng.integers(0, 10 ** rng.integers(1, 7, n), dtype=np.int64).tolist()
        for c in INT_COLUMNS
        if c in columns
    }
    city_pick = rng.integers(0, len(CITIES), n).tolist()
    filled_lists = {c: fill[c].tolist() for c in ("city", "market_presence", *INT_COLUMNS)}
    wrap = (rng.random((n, len(LIST_COLUMNS))) < 0.5).tolist()  # JSON: an array, or joined
    draws = rng.random((n, 8)).tolist()
    uniforms = _uniforms(rng)

    cells: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    for i in range(n):
        u = draws[i]
        network = shape.networks[network_pick[i]]
        country = shape.countries[country_pick[i]]
        org_type = shape.org_types[org_pick[i]]
        name = NAMES[name_pick[i]] if name_pick[i] % 3 else f"{NAMES[name_pick[i]]} {i}"
        row: dict[str, Any] = {
            "id": f" {ids[i]} " if noise and u[0] < 0.2 else ids[i],
            "name": name,
            "network": _case(network, u[1]) if noise else network,
            "country": _case(country, u[2]) if noise else country,
            "org_type": _tag(uniforms, "org_types", org_type) if noise else org_type,
        }
        for j, (column, vocabulary) in enumerate(list_columns):
            items = lists[column][i]
            if noise:
                if vocabulary in ("country", "language"):
                    items = [_case(item, u[3]) for item in items]
                elif vocabulary != "nace":
                    items = [_tag(uniforms, vocabulary, item) for item in items]
            row[column] = _join(list(items), noise, u[4], wrap[i][j])
        if "description" in columns:
            row["description"] = descriptions[i]
        if "city" in columns:
            row["city"] = CITIES[city_pick[i]] if filled_lists["city"][i] else ""
        if "market_presence" in columns:
            tier = PRESENCE_TIERS[presence[i]]
            row["market_presence"] = (
                (_tag(uniforms, "market_presence", tier) if noise else tier)
                if filled_lists["market_presence"][i]
                else ""
            )
        for column, values in numbers.items():
            value = values[i] if filled_lists[column][i] else None
            row[column] = f"{value}.0" if value is not None and noise and u[5] < 0.3 else value
        for column in shape.extra_columns:
            row[column] = f"{column} {i}" if u[6] < 0.7 else ""
        cells.append(row)
        profiles.append(
            {
                "id": ids[i],
                "name": name.strip(),
                "network": network.lower(),
                "country": country,
                "org_type": org_type,
                "offers": offers[i],
                "seeks": seeks[i],
                "description": descriptions[i].strip(),
            }
        )
    data = DataSet(shape, columns, cells, profiles, json_wrapped=noise)
    _add_links(rng, data)
    return data


def _ids(rng: np.random.Generator, n: int, style: str) -> list[str]:
    if style == "plain":
        return [f"m-{i:04d}" for i in range(n)]
    alphabet = np.array(list(ID_ALPHABET))
    ids: list[str] = []
    seen: set[str] = set()
    if style == "wild":
        specials = [s for s in SPECIAL_IDS if rng.random() < 0.4]
        for s in rng.permutation(specials).tolist()[:n]:
            ids.append(s)
            seen.add(s)
    lengths = rng.integers(1, 65, size=2 * n + 10)
    lengths[rng.random(len(lengths)) < 0.5] = rng.integers(1, 6)  # many short ids
    codes = alphabet[rng.integers(0, len(alphabet), size=(len(lengths), 64))]
    k = 0
    while len(ids) < n:
        if k < len(lengths):
            candidate = "".join(codes[k, : lengths[k]])
        else:  # practically never: fall back to a counter
            candidate = f"id.{k}"
        k += 1
        if style == "case_twins":
            candidate = candidate.lower()
        if candidate in seen:
            continue
        ids.append(candidate)
        seen.add(candidate)
        if style == "case_twins" and len(ids) < n and candidate.upper() != candidate:
            twin = candidate.upper() if rng.random() < 0.5 else candidate.capitalize()
            if twin not in seen and twin != candidate:
                ids.append(twin)
                seen.add(twin)
    order = rng.permutation(n)
    return [ids[i] for i in order]


def _lists(
    rng: np.random.Generator, vocabulary: Sequence[str], counts: np.ndarray
) -> list[tuple[str, ...]]:
    """A tuple of distinct items of `vocabulary` per row, of the given lengths (at most)."""
    width = int(counts.max()) if len(counts) else 0
    if width == 0:
        return [()] * len(counts)
    items = np.asarray(vocabulary, dtype=object)[
        rng.integers(0, len(vocabulary), size=(len(counts), width))
    ]
    return [
        tuple(dict.fromkeys(row[:c])) if c else ()
        for row, c in zip(items.tolist(), counts.tolist())
    ]


def _case(text: str, u: float) -> str:
    if u < 0.25:
        return text.upper()
    if u < 0.5:
        return text.lower()
    if u < 0.75:
        return f" {text.capitalize()} "
    return text


def _uniforms(rng: np.random.Generator) -> Iterator[float]:
    """An endless stream of uniform numbers from `rng`, drawn 4,096 at a time."""
    while True:
        yield from rng.random(4096).tolist()


def _tag(uniforms: Iterator[float], vocabulary: str, tag: str) -> str:
    """A tag as a user may write it: its id in any case, padded, or a synonym/label."""
    u = next(uniforms)
    aliases = ALIASES[vocabulary].get(tag, ())
    if u < 0.3 and aliases:
        return aliases[int(next(uniforms) * len(aliases))]
    if u < 0.5:
        return f" {tag.upper()} "
    if u < 0.6:
        return tag.replace("_", " ").title()
    return tag


def _join(items: list[str], noise: bool, u: float, keep_list: bool) -> Any:
    if noise and keep_list:
        return list(items)  # JSON: an array; CSV/XLSX: joined when written
    if not items:
        return ""
    if noise:
        return (", " if u < 0.3 else " ; " if u < 0.6 else ";").join(items)
    return ";".join(items)


def _descriptions(rng: np.random.Generator, shape: Shape, described: np.ndarray) -> list[str]:
    languages = shape.description_languages
    if not languages:
        return [""] * len(described)
    pools = [DESCRIPTIONS[language] for language in languages]
    language = rng.integers(0, len(languages), len(described))
    first = rng.integers(0, 1000, len(described))
    second = rng.integers(0, 1000, len(described))
    two = rng.random(len(described)) < 0.4
    out = []
    for i, wanted in enumerate(described.tolist()):
        if not wanted:
            out.append("")
            continue
        pool = pools[language[i]]
        text = pool[first[i] % len(pool)]
        if two[i]:
            other = pools[(language[i] + 1) % len(pools)]
            joiner = "\n" if shape.cell_noise else " "
            text = f"{text}{joiner}{other[second[i] % len(other)]}"
        if shape.cell_noise and first[i] % 4 == 0:
            text = f"  {text}  "
        out.append(text)
    return out


def _add_links(rng: np.random.Generator, data: DataSet) -> None:
    shape = data.shape
    if not shape.link_members:
        return
    members = [data.ids[i] for i in rng.choice(shape.n_profiles, shape.link_members, replace=False)]
    m = len(members)
    # Distinct ordered pairs first (as many as there are), then repeats.
    all_pairs = m * (m - 1)
    codes = (
        rng.permutation(all_pairs)
        if all_pairs <= 100_000
        else rng.integers(0, all_pairs, shape.n_links)
    )
    positive_kinds = [k for k in shape.link_kinds if k in POSITIVE_KINDS]
    rows, canonical = [], {}
    for j in range(shape.n_links):
        code = int(codes[j % len(codes)])
        s, t = divmod(code, m - 1)
        t += t >= s  # skip the diagonal: no self-links
        source, target = members[s], members[t]
        if j < shape.min_positive:
            kind = positive_kinds[j % len(positive_kinds)]
        else:
            kind = shape.link_kinds[int(rng.integers(len(shape.link_kinds)))]
        date = None
        if shape.link_dates == "all" or (shape.link_dates == "some" and rng.random() < 0.5):
            date = LINK_START + dt.timedelta(days=int(rng.integers(0, 4000)))
        written_kind: str = kind
        if shape.cell_noise:
            u = rng.random()
            written_kind = (
                "" if (kind == "partner" and u < 0.3) else kind.upper() if u < 0.5 else kind
            )
        row = {
            "source": source,
            "target": target,
            "kind": written_kind,
            "date": (
                date
                if shape.file_format == "xlsx" and rng.random() < 0.5
                else date.isoformat()
                if date
                else ""
            ),
        }
        rows.append(row)
        canonical.setdefault((source, target, kind), date.isoformat() if date else None)
        if shape.cell_noise and rng.random() < 0.1:
            rows.append(dict(row))  # the same link twice: read as one
    data.link_columns = ["source", "target", "kind"] + (
        [] if shape.link_dates == "none" else ["date"]
    )
    data.link_cells = rows
    data.links = [(s, t, k, d) for (s, t, k), d in canonical.items()]


# ---------------------------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------------------------


def _stable(text: str) -> int:
    """A hash of `text` that is the same in every process (``hash`` is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def _header(columns: list[str], noise: bool, kind: str) -> list[str]:
    if not noise:
        return list(columns)
    out = []
    for column in columns:
        if column == "id" and kind == "profiles":
            column = "member_id"  # accepted for id
        out.append(f" {column} " if len(column) % 2 else column)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write(
    path: Path,
    columns: list[str],
    rows: list[dict[str, Any]],
    file_format: str,
    kind: str,
    noise: bool,
    wrapped: bool,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    order = list(columns)
    if noise:
        # Any column order: the reader goes by names. Deterministic in the columns.
        order = sorted(order, key=lambda c: (_stable(c) % 7, c))
    header = _header(order, noise, kind)
    if file_format == "csv":
        with path.open("w", encoding="utf-8-sig" if noise else "utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_text(row.get(c)) for c in order])
    elif file_format == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        sheet = book.create_sheet(kind)

        def cell(value: Any) -> Any:
            if isinstance(value, list):
                value = "; ".join(value)
            if value is None or value == "":
                return None
            if isinstance(value, str) and value.startswith("="):
                # Text, not a formula: a user types '=... in Excel for that.
                c = WriteOnlyCell(sheet, value=value)
                c.data_type = "s"
                return c
            return value

        sheet.append(header)
        for row in rows:
            sheet.append([cell(row.get(c)) for c in order])
        if noise:
            book.create_sheet("notes").append(["only the first sheet is read"])
        book.save(path)
    else:
        records = []
        for row in rows:
            record = {}
            for c, h in zip(order, header):
                value = row.get(c)
                if isinstance(value, dt.date):
                    value = value.isoformat()
                if isinstance(value, list) and not wrapped:
                    value = "; ".join(value)
                if noise and value in ("", None):
                    if _stable(c) % 2:
                        continue  # the key left out
                    value = None
                record[h] = value
            records.append(record)
        document: Any = {kind: records} if noise else records
        path.write_text(
            json.dumps(document, ensure_ascii=not noise, indent=None if noise else 1),
            encoding="utf-8",
        )
