"""Member profiles and known links: reading, validation and the cluster's gradation.

Profiles and links are read from CSV, XLSX or JSON as ``reference/formats.md`` describes. A file is
checked whole before anything is returned: every bad row, column and value is collected into one
:class:`ProfileValidationError`, with the allowed values or the closest valid id.

The validated form of many profiles is a :class:`pandas.DataFrame` indexed by ``member_id`` (list
fields as tuples of ids, see :data:`PROFILE_COLUMNS`); one profile is a :class:`Profile`.

Gradation
---------
The cluster grades its members three ways; each is derived when a file does not give it.

* **Activity type**: ``org_type`` (required in every file).
* **Market presence** (``market_presence``): ``local`` when no market is listed, ``national`` when
  only the seat's country is, ``regional`` when the foreign markets all lie on the seat's continent
  and are fewer than five, ``international`` when a market lies on another continent or there are
  five or more foreign markets (an EU-wide seller). A tier given in the file is kept.
* **Potential** (``potential``, 0..1): how much a member can grow through partnerships, the
  weighted sum of five parts, each scaled to 0..1 (a part that is not given counts 0)::

      0.30 scale      log10(1 + capacity_units_month) / 5, or log10(1 + employees) / 3
      0.25 quality    number of certifications / 3 (capped at 1)
      0.20 reach      market presence: local 0, national 1/3, regional 2/3, international 1
      0.15 ambition   target markets where it is not present yet / 3 (capped at 1)
      0.10 openness   partnership types it is open to / 3 (capped at 1)

  and its tier (``potential_tier``): ``high`` from 0.6, ``medium`` from 0.35, else ``low``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from . import geography
from .errors import InputError
from .lazy import lazy_module
from .taxonomy import Taxonomy, load_taxonomy
from .text import extract_tags

# pandas is imported when a function first uses it: the numpy-only ranking of a serving
# artifact (matcher.engine.serving) builds Profile objects without it.
pd = lazy_module("pandas")

logger = logging.getLogger(__name__)

__all__ = [
    "HOME_NETWORK",
    "LINK_KINDS",
    "POSITIVE_KINDS",
    "PROFILE_COLUMNS",
    "Link",
    "Problem",
    "Profile",
    "ProfileRows",
    "ProfileValidationError",
    "check_files",
    "derive_market_presence",
    "frame_to_profiles",
    "potential_score",
    "potential_tier",
    "profiles_to_frame",
    "read_links",
    "read_network_names",
    "read_profile_frame",
    "read_profiles",
    "read_table",
    "validate_links",
    "validate_network_names",
    "validate_profiles",
]

HOME_NETWORK = "kharkiv-fashion-cluster"

#: The longest cell each column takes, in characters (the service's JSON API has the same
#: limits); columns not named take :data:`DEFAULT_CELL_LIMIT`.
CELL_LIMITS = {"name": 300, "city": 200, "description": 20_000}
DEFAULT_CELL_LIMIT = 2_000

#: Columns of a profile file, in the order of formats.md.
PROFILE_COLUMNS = (
    "id",
    "name",
    "network",
    "country",
    "city",
    "org_type",
    "nace",
    "offers",
    "seeks",
    "products",
    "markets_present",
    "markets_target",
    "market_presence",
    "partnership_types",
    "certifications",
    "employees",
    "capacity_units_month",
    "min_order_qty",
    "languages",
    "description",
)
REQUIRED_COLUMNS = ("id", "name", "network", "country", "org_type")
#: List columns and the vocabulary (or code list) their items come from.
LIST_COLUMNS = {
    "nace": "nace",
    "offers": "capabilities",
    "seeks": "capabilities",
    "products": "products",
    "markets_present": "country",
    "markets_target": "country",
    "partnership_types": "partnership_types",
    "certifications": "certifications",
    "languages": "language",
}
INT_COLUMNS = ("employees", "capacity_units_month", "min_order_qty")
LINK_COLUMNS = ("source", "target", "kind", "date")
LINK_KINDS = ("partner", "supplier", "meeting", "deal", "declined")
#: Columns of a networks file: the network (its slug, as in the profiles) and its display
#: names in English and Ukrainian (either may be empty).
NETWORK_COLUMNS = ("network", "name_en", "name_uk")
#: The longest display name of a network, in characters.
NETWORK_NAME_LIMIT = 200
#: Kinds of link that are known partnerships (ground truth, never suggested again).
POSITIVE_KINDS = frozenset({"partner", "supplier", "deal"})
PRESENCE_TIERS = ("local", "national", "regional", "international")

_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
_NACE = re.compile(r"^\d{2}(?:\.\d{1,2})?$")
_LIST_SPLIT = re.compile(r"[;,]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where it is, the bad value and what is allowed."""

    row: int | None
    column: str | None
    value: Any
    message: str
    unit: str = "row"

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.unit} {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return (", ".join(where) + ": " if where else "") + self.message

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as JSON-ready data."""
        value = (
            self.value if isinstance(self.value, (str, int, float, type(None))) else str(self.value)
        )
        return {"row": self.row, "column": self.column, "value": value, "message": self.message}


class ProfileValidationError(InputError):
    """An input file (or record) has problems; :attr:`problems` lists every one of them."""

    def __init__(self, problems: Sequence[Problem], source: str = "input"):
        self.problems = list(problems)
        self.source = source
        lines = [str(problem) for problem in self.problems[:200]]
        if len(self.problems) > 200:
            lines.append(f"... and {len(self.problems) - 200} more problems")
        count = len(self.problems)
        super().__init__(
            f"{source}: {count} problem{'s' if count != 1 else ''}, nothing was loaded\n"
            + "\n".join(f"  {line}" for line in lines)
        )


@dataclass(frozen=True, slots=True)
class Profile:
    """One organisation of the cluster or of a partner network.

    ``offers``/``seeks``/``products`` are the tags the profile gives; ``text_offers``,
    ``text_seeks`` and ``text_products`` are read from its description. ``market_presence``,
    ``potential`` and ``potential_tier`` are the cluster's gradation (derived when not given).
    ``extra`` keeps columns outside the format (a fair's hall or stand, for example).
    """

    member_id: str
    name: str
    network: str
    country: str
    org_type: str
    city: str = ""
    nace: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    seeks: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    markets_present: tuple[str, ...] = ()
    markets_target: tuple[str, ...] = ()
    market_presence: str = "local"
    partnership_types: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    employees: int | None = None
    capacity_units_month: int | None = None
    min_order_qty: int | None = None
    languages: tuple[str, ...] = ()
    description: str = ""
    market_presence_derived: bool = False
    potential: float = 0.0
    potential_tier: str = "low"
    text_offers: tuple[str, ...] = ()
    text_seeks: tuple[str, ...] = ()
    text_products: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def all_offers(self) -> tuple[str, ...]:
        """Offered capabilities: the given tags, or those read from the description."""
        return self.offers or self.text_offers

    @property
    def all_seeks(self) -> tuple[str, ...]:
        """Sought capabilities: the given tags, or those read from the description."""
        return self.seeks or self.text_seeks

    @property
    def all_products(self) -> tuple[str, ...]:
        """Products: the given tags, or those read from the description."""
        return self.products or self.text_products

    @classmethod
    def parse(cls, record: Mapping[str, Any], taxonomy: Taxonomy | None = None) -> Profile:
        """Validate one record (keys of the file format; ``member_id`` is accepted for ``id``).

        Raises
        ------
        ProfileValidationError
            With every problem of the record.
        """
        record = dict(record)
        if "id" not in record and "member_id" in record:
            record["id"] = record.pop("member_id")
        frame = validate_profiles(
            pd.DataFrame([record]), source="profile", unit="record", first_row=1, taxonomy=taxonomy
        )
        return frame_to_profiles(frame)[0]

    def to_record(self) -> dict[str, Any]:
        """Return the profile as a record of the file format (lists as lists), plus gradation."""
        record: dict[str, Any] = {"id": self.member_id}
        for column in PROFILE_COLUMNS[1:]:
            value = getattr(self, column)
            record[column] = list(value) if isinstance(value, tuple) else value
        record["market_presence_derived"] = self.market_presence_derived
        record["potential"] = round(self.potential, 3)
        record["potential_tier"] = self.potential_tier
        return record


@dataclass(frozen=True, slots=True)
class Link:
    """A known relation: ``source`` and ``target`` are member ids."""

    source: str
    target: str
    kind: str = "partner"
    date: str | None = None

    @property
    def positive(self) -> bool:
        """Whether the link is a known partnership (partner, supplier or deal)."""
        return self.kind in POSITIVE_KINDS


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _json_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join("" if item is None else str(item) for item in value)
    if value is None:
        return ""
    return value


def read_table(path: str | Path, kind: str = "profiles") -> tuple[pd.DataFrame, str]:
    """Read a CSV, XLSX or JSON file into a frame of raw cells.

    Returns
    -------
    (frame, unit) : (DataFrame, str)
        The raw frame (every cell a string, "" when empty) and how its rows are named in
        messages: ``"row"`` (the sheet's row number, header = 1) or ``"record"`` (JSON, from 1).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(f"{kind} file not found: {path}")
    if suffix in (".csv", ".txt"):
        # utf-8-sig tolerates a byte-order mark.
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            raise _unreadable(
                path, "the file is empty: expected a header row of column names"
            ) from None
        except UnicodeDecodeError as error:
            raise _unreadable(
                path, f"not UTF-8 text (byte {error.start}): save the file as CSV UTF-8"
            ) from None
        except pd.errors.ParserError as error:
            raise _unreadable(path, f"not a readable CSV file: {error}".strip()) from None
        return frame, "row"
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl.utils.exceptions import InvalidFileException

        _check_workbook_size(path)
        try:
            # keep_default_na=False: text cells such as "NA" (Namibia), "null" or "None" (valid
            # ids and names) are values, as in a CSV file, not missing cells.
            frame = pd.read_excel(
                path, sheet_name=0, dtype=object, engine="openpyxl", keep_default_na=False
            )
        except (zipfile.BadZipFile, InvalidFileException) as error:
            raise _unreadable(path, f"not a readable XLSX workbook: {error}") from None
        frame = frame.map(_excel_cell)
        return frame, "row"
    if suffix == ".json":
        try:
            records = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as error:
            raise ProfileValidationError(
                [Problem(None, None, None, f"not valid JSON: {error}")], source=str(path)
            ) from None
        if isinstance(records, dict):
            # Accept {"profiles": [...]} or {"links": [...]} as written by some exporters.
            records = records.get(kind, records)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ProfileValidationError(
                [Problem(None, None, None, "expected a JSON list of objects")], source=str(path)
            )
        frame = pd.DataFrame([{k: _json_cell(v) for k, v in r.items()} for r in records])
        return frame, "record"
    raise ProfileValidationError(
        [
            Problem(
                None, None, suffix, f"unsupported file type {suffix!r}; use .csv, .xlsx or .json"
            )
        ],
        source=str(path),
    )


#: The most a workbook may hold once uncompressed (its parts' declared sizes, read from the
#: zip directory before any parsing): a 1.5 MB "zip bomb" expanding to gigabytes held a
#: worker for minutes. A sheet of 200,000 profiles takes about a tenth of it.
XLSX_MAX_UNCOMPRESSED = 512 * 1024 * 1024


def _check_workbook_size(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as workbook:
            declared = sum(part.file_size for part in workbook.infolist())
    except zipfile.BadZipFile as error:
        raise _unreadable(path, f"not a readable XLSX workbook: {error}") from None
    if declared > XLSX_MAX_UNCOMPRESSED:
        raise _unreadable(
            path,
            f"the workbook holds {declared / 2**20:,.0f} MB uncompressed; at "
            f"most {XLSX_MAX_UNCOMPRESSED / 2**20:,.0f} MB are read (split it, or "
            "save it as CSV)",
        )


def _unreadable(path: Path, message: str) -> ProfileValidationError:
    # The parsers' own errors are ValueErrors that would read as a failure of the program.
    return ProfileValidationError([Problem(None, None, None, message)], source=str(path))


def _excel_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
    return str(value)


def read_profile_frame(
    path: str | Path, taxonomy: Taxonomy | None = None, duplicates: str = "error"
) -> pd.DataFrame:
    """Read and validate a profile file; return the validated frame (see :func:`validate_profiles`)."""
    frame, unit = read_table(path, "profiles")
    first_row = 2 if unit == "row" else 1
    return validate_profiles(
        frame,
        source=str(path),
        unit=unit,
        first_row=first_row,
        taxonomy=taxonomy,
        duplicates=duplicates,
    )


def read_profiles(
    path: str | Path, taxonomy: Taxonomy | None = None, duplicates: str = "error"
) -> list[Profile]:
    """Read and validate a profile file into :class:`Profile` objects."""
    return frame_to_profiles(read_profile_frame(path, taxonomy, duplicates))


def read_links(path: str | Path, member_ids: Iterable[str] | None = None) -> list[Link]:
    """Read and validate a link file; with `member_ids`, links to unknown ids are errors."""
    frame, unit = read_table(path, "links")
    first_row = 2 if unit == "row" else 1
    return validate_links(frame, member_ids, source=str(path), unit=unit, first_row=first_row)


def read_network_names(path: str | Path) -> dict[str, dict[str, str]]:
    """Read and validate a networks file (:data:`NETWORK_COLUMNS`): the display names of the
    networks, ``{network: {"en": ..., "uk": ...}}`` (see :func:`validate_network_names`)."""
    frame, unit = read_table(path, "networks")
    first_row = 2 if unit == "row" else 1
    return validate_network_names(frame, source=str(path), unit=unit, first_row=first_row)


def check_files(
    profiles: str | Path,
    links: str | Path | None = None,
    taxonomy: Taxonomy | None = None,
    duplicates: str = "error",
) -> tuple[pd.DataFrame | None, list[Link] | None, list[ProfileValidationError]]:
    """Check a profile file and a link file as far as each can be checked, reporting, not raising.

    :func:`read_profile_frame` and :func:`read_links` stop at the first file with problems;
    this goes on, so that one pass lists what there is to fix in both. A link whose ids are not
    among the profiles is a problem only when the profile file could be read (its rows may
    still have problems: the ids it gives count); when it cannot be, the link file's own
    columns and values are still checked.

    Parameters
    ----------
    profiles, links : str or Path
        The files (`links` optional).
    taxonomy : Taxonomy, optional
    duplicates : {"error", "merge"}
        As :func:`validate_profiles` takes it.

    Returns
    -------
    frame : DataFrame or None
    links : list of Link or None
    errors : list of ProfileValidationError
        The validated frame and links of the files without problems (None for a file with
        problems, and for links not given), and one error per file with problems, in the
        order profiles, links; each lists its problems by row, then column, in file order.
    """
    errors: list[ProfileValidationError] = []
    frame = known_links = None
    member_ids = None
    try:
        raw, unit = _read_checked(profiles, "profiles")
        member_ids = _raw_ids(raw)
        frame = validate_profiles(
            raw,
            source=str(profiles),
            unit=unit,
            first_row=2 if unit == "row" else 1,
            taxonomy=taxonomy,
            duplicates=duplicates,
        )
    except ProfileValidationError as error:
        errors.append(error)
    if links is not None:
        try:
            raw, unit = _read_checked(links, "links")
            known_links = validate_links(
                raw, member_ids, source=str(links), unit=unit, first_row=2 if unit == "row" else 1
            )
        except ProfileValidationError as error:
            errors.append(error)
    return frame, known_links, errors


def _read_checked(path: str | Path, kind: str) -> tuple[pd.DataFrame, str]:
    """:func:`read_table`, with a file that cannot be opened as one of its problems."""
    try:
        return read_table(path, kind)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        reason = (
            "file not found"
            if isinstance(error, FileNotFoundError)
            else (error.strerror or str(error))
        )
        raise ProfileValidationError([Problem(None, None, None, reason)], str(path)) from None


def _raw_ids(raw: pd.DataFrame) -> set[str] | None:
    """The ids a raw profile table gives, valid or not (None without an id column)."""
    columns = {str(c).strip(): c for c in raw.columns}
    column = columns.get("id", columns.get("member_id"))
    if column is None:
        return None
    return {text for text in map(_cell_text, raw[column].tolist()) if text}


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if type(value) is str:  # almost every cell: the checks below are for the rest
        return value.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        # A list field given as a list (JSON, an API request): the same as a ';'-joined cell.
        return ";".join(_cell_text(item) for item in value if _cell_text(item))
    return str(value).strip()


def _split(value: str) -> list[str]:
    return [item.strip() for item in _LIST_SPLIT.split(value) if item.strip()] if value else []


class _Collector:
    """The problems of one input, listed in file order whatever order they are found in.

    Parameters
    ----------
    unit, first_row : str, int
        How rows are named in messages and the number of the first data row.
    columns : sequence of str
        The input's columns in file order, then the format's columns it lacks.
    missing : iterable of str
        Required columns the input lacks: they are reported once, so their cells are not
        reported row by row as empty.
    """

    def __init__(
        self, unit: str, first_row: int, columns: Sequence[str] = (), missing: Iterable[str] = ()
    ):
        self._problems: list[Problem] = []
        self.unit = unit
        self.first_row = first_row
        self._rank = {column: i for i, column in enumerate(dict.fromkeys(columns))}
        self._missing = set(missing)

    def add(self, position: int | None, column: str | None, value: Any, message: str) -> None:
        if position is not None and column in self._missing:
            return
        row = None if position is None else position + self.first_row
        self._problems.append(Problem(row, column, value, message, self.unit))

    @property
    def problems(self) -> list[Problem]:
        """The problems by row (the file's own first), then by column in file order (a row's
        problems that concern no one column last); a cell's problems in the order found."""
        last = len(self._rank)

        def key(problem: Problem) -> tuple[int, int, int]:
            column = last + 1 if problem.column is None else self._rank.get(problem.column, last)
            return (0 if problem.row is None else 1, problem.row or 0, column)

        return sorted(self._problems, key=key)


def _resolve_codes(
    items: list[str], kind: str, column: str, position: int, collector: _Collector
) -> tuple[str, ...]:
    codes = geography.country_codes() if kind == "country" else geography.language_codes()
    resolved = []
    for item in items:
        code = item.upper() if kind == "country" else item.lower()
        if code in codes:
            resolved.append(code)
            continue
        guess = (
            geography.suggest_country(item)
            if kind == "country"
            else geography.suggest_language(item)
        )
        what = (
            "an ISO 3166-1 alpha-2 country code"
            if kind == "country"
            else "an ISO 639-1 language code"
        )
        hint = (
            f"; did you mean {guess!r}?"
            if guess
            else " (two letters, e.g. 'UA', 'PL')"
            if kind == "country"
            else " (two letters, e.g. 'uk', 'en')"
        )
        collector.add(position, column, item, f"{item!r} is not {what}{hint}")
    return tuple(dict.fromkeys(resolved))


def validate_profiles(
    raw: pd.DataFrame,
    source: str = "input",
    unit: str = "row",
    first_row: int = 2,
    taxonomy: Taxonomy | None = None,
    duplicates: str = "error",
) -> pd.DataFrame:
    """Validate raw profile rows and return the canonical frame.

    Parameters
    ----------
    raw : DataFrame of shape (n_profiles, n_columns)
        Cells as read from a file (strings; lists as ``;``-separated text).
    source : str
        Name of the input, for messages.
    unit, first_row : str, int
        How rows are named in messages and the number of the first data row.
    duplicates : {"error", "merge"}
        What rows that share an id are: an error (the default), or one organisation listed
        twice, merged into its first row (list fields joined, the first non-empty value of
        the other fields kept) with a warning naming the rows.

    Returns
    -------
    DataFrame of shape (n_profiles, n_fields)
        Indexed by ``member_id``; the fields of :class:`Profile` as columns (list fields as
        tuples, numbers as nullable integers); columns outside the format in ``extra``.

    Raises
    ------
    ProfileValidationError
        With every problem found in the input.
    """
    if duplicates not in ("error", "merge"):
        raise InputError(f"Got duplicates={duplicates!r}, expected 'error' or 'merge'")
    taxonomy = taxonomy or load_taxonomy()
    raw = raw.rename(columns=lambda c: str(c).strip())
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if "id" in missing and "member_id" in raw.columns:
        raw = raw.rename(columns={"member_id": "id"})
        missing.remove("id")
    # A missing column does not stop the check: the rows' problems in the columns that are
    # there are reported with it, so that one round of corrections fixes the file.
    collector = _Collector(unit, first_row, [*raw.columns, *PROFILE_COLUMNS], missing)
    for column in missing:
        collector.add(
            None,
            column,
            None,
            f"required column {column!r} is missing; the columns are " + ", ".join(PROFILE_COLUMNS),
        )
    extra_columns = [c for c in raw.columns if c not in PROFILE_COLUMNS]
    if extra_columns:
        logger.warning(
            "%s: columns outside the profile format kept as extra data: %s",
            source,
            ", ".join(map(str, extra_columns)),
        )
    if raw.empty:
        collector.add(None, None, None, "no profiles in the input")
        raise ProfileValidationError(collector.problems, source)

    n = len(raw)
    # to_numpy(object) rather than tolist(): pandas 3's text columns (Arrow) give their cells
    # one at a time to tolist(), about 3 us each, and all at once to to_numpy().
    text = {
        c: [_cell_text(v) for v in raw[c].to_numpy(dtype=object)] if c in raw.columns else [""] * n
        for c in PROFILE_COLUMNS
    }
    # Lengths first, before any heavy work (a 10 MB description would hold tag extraction for
    # minutes): an over-long cell is reported and only its allowed length is read further.
    for column, cells in text.items():
        limit = CELL_LIMITS.get(column, DEFAULT_CELL_LIMIT)
        for position, cell in enumerate(cells):
            if len(cell) > limit:
                collector.add(
                    position,
                    column,
                    cell[:40] + "…",
                    f"{len(cell):,} characters; at most {limit:,} are allowed",
                )
                cells[position] = cell[:limit]
    merged_away = (
        _merge_duplicates(text, source, unit, first_row) if duplicates == "merge" else set()
    )
    out: dict[str, list[Any]] = {}

    # Ids: pattern and uniqueness.
    seen: dict[str, int] = {}
    for position, member_id in enumerate(text["id"]):
        if not member_id:
            collector.add(position, "id", member_id, "id is required")
        elif not _ID.match(member_id):
            collector.add(
                position,
                "id",
                member_id,
                f"{member_id!r} is not a valid id: 1-64 characters of A-Z a-z 0-9 . _ -",
            )
        elif member_id in seen:
            if position in merged_away:
                continue
            collector.add(
                position,
                "id",
                member_id,
                f"duplicate id {member_id!r} (first at {unit} {seen[member_id] + first_row})",
            )
        else:
            seen[member_id] = position
    out["member_id"] = text["id"]

    for position, name in enumerate(text["name"]):
        if not name:
            collector.add(position, "name", name, "name is required")
    out["name"] = text["name"]

    networks = []
    for position, network in enumerate(text["network"]):
        slug = network.lower()
        if not slug:
            collector.add(
                position,
                "network",
                network,
                f"network is required (a slug such as {HOME_NETWORK!r})",
            )
        elif not _SLUG.match(slug):
            collector.add(
                position,
                "network",
                network,
                f"{network!r} is not a slug: lower-case "
                "letters and digits joined by '-', e.g. " + repr(HOME_NETWORK),
            )
        networks.append(slug)
    out["network"] = networks

    out["country"] = [
        (_resolve_codes([value], "country", "country", position, collector) or ("",))[0]
        if value
        else (
            collector.add(
                position, "country", value, "country is required (ISO 3166-1 alpha-2, e.g. 'UA')"
            )
            or ""
        )
        for position, value in enumerate(text["country"])
    ]
    out["city"] = text["city"]

    def resolve_one(vocabulary: str, column: str, value: str, position: int, required: bool) -> str:
        if not value:
            if required:
                collector.add(
                    position,
                    column,
                    value,
                    f"{column} is required; allowed: " + ", ".join(taxonomy.ids(vocabulary)),
                )
            return ""
        tag = taxonomy.resolve(vocabulary, value)
        if tag is None:
            collector.add(position, column, value, taxonomy.explain_unknown(vocabulary, value))
            return ""
        return tag

    out["org_type"] = [
        resolve_one("org_types", "org_type", v, p, True) for p, v in enumerate(text["org_type"])
    ]
    out["market_presence"] = [
        resolve_one("market_presence", "market_presence", v, p, False)
        for p, v in enumerate(text["market_presence"])
    ]

    for column, kind in LIST_COLUMNS.items():
        values = []
        for position, cell in enumerate(text[column]):
            items = _split(cell)
            if kind in ("country", "language"):
                values.append(_resolve_codes(items, kind, column, position, collector))
            elif kind == "nace":
                for item in items:
                    if not _NACE.match(item):
                        collector.add(
                            position,
                            column,
                            item,
                            f"{item!r} is not a NACE Rev.2 code "
                            "(two digits, a dot and one or two digits, e.g. '14.13')",
                        )
                values.append(tuple(dict.fromkeys(i for i in items if _NACE.match(i))))
            else:
                tags = []
                for item in items:
                    tag = taxonomy.resolve(kind, item)
                    if tag is None:
                        collector.add(position, column, item, taxonomy.explain_unknown(kind, item))
                    else:
                        tags.append(tag)
                values.append(tuple(dict.fromkeys(tags)))
        out[column] = values

    for column in INT_COLUMNS:
        values = []
        for position, cell in enumerate(text[column]):
            if not cell:
                values.append(None)
                continue
            try:
                number = float(cell)
                if not number.is_integer() or number < 0:
                    raise ValueError
                values.append(int(number))
            except ValueError:
                collector.add(position, column, cell, f"{cell!r} is not a whole number >= 0")
                values.append(None)
        out[column] = values

    out["description"] = text["description"]
    for position in range(n):
        if (
            not out["offers"][position]
            and not out["seeks"][position]
            and not out["description"][position]
        ):
            if text["offers"][position] or text["seeks"][position]:
                continue  # their bad tags are reported already
            collector.add(
                position,
                None,
                None,
                "empty profile: give at least one tag in 'offers' or 'seeks', or a description",
            )

    if collector.problems:
        raise ProfileValidationError(collector.problems, source)

    frame = pd.DataFrame(out)
    frame["extra"] = (
        raw[extra_columns].map(_cell_text).to_dict("records")
        if extra_columns
        else [{} for _ in range(n)]
    )
    if merged_away:
        frame = frame.drop(index=sorted(merged_away)).reset_index(drop=True)
    return _add_derived(frame, taxonomy).set_index("member_id", drop=False).rename_axis(None)


def _merge_duplicates(
    text: dict[str, list[str]], source: str, unit: str, first_row: int
) -> set[int]:
    """Merge rows that share an id into the first of them; return the positions merged away."""
    first: dict[str, int] = {}
    merged_away: set[int] = set()
    for position, member_id in enumerate(text["id"]):
        if not member_id:
            continue
        if member_id not in first:
            first[member_id] = position
            continue
        keep = first[member_id]
        merged_away.add(position)
        for column, cells in text.items():
            if column in LIST_COLUMNS:
                items = dict.fromkeys(_split(cells[keep]) + _split(cells[position]))
                cells[keep] = ";".join(items)
            elif not cells[keep]:
                cells[keep] = cells[position]
        logger.warning(
            "%s: %s %d repeats id %r of %s %d; merged into one profile",
            source,
            unit,
            position + first_row,
            member_id,
            unit,
            keep + first_row,
        )
    return merged_away


def _add_derived(frame: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    given = frame["market_presence"].astype(bool)
    derived = [
        derive_market_presence(country, markets)
        for country, markets in zip(frame["country"], frame["markets_present"])
    ]
    frame["market_presence_derived"] = ~given
    frame["market_presence"] = np.where(given, frame["market_presence"], derived)
    frame["potential"] = [
        potential_score(
            capacity,
            employees,
            len(certifications),
            presence,
            len(set(targets) - set(present)),
            len(partnership_types),
        )
        for capacity, employees, certifications, presence, targets, present, partnership_types in zip(
            *(
                frame[column].tolist()
                for column in (
                    "capacity_units_month",
                    "employees",
                    "certifications",
                    "market_presence",
                    "markets_target",
                    "markets_present",
                    "partnership_types",
                )
            )
        )
    ]
    frame["potential_tier"] = [potential_tier(p) for p in frame["potential"]]
    # Tags read from descriptions, only where the profile does not give the tags itself.
    text_offers, text_seeks, text_products = [], [], []
    for description, offers, seeks, products in zip(
        frame["description"], frame["offers"], frame["seeks"], frame["products"]
    ):
        if description and not (offers and seeks and products):
            found = extract_tags(description, taxonomy)
            text_offers.append(found.offers)
            text_seeks.append(found.seeks)
            text_products.append(found.products)
        else:
            text_offers.append(())
            text_seeks.append(())
            text_products.append(())
    frame["text_offers"] = text_offers
    frame["text_seeks"] = text_seeks
    frame["text_products"] = text_products
    for column in INT_COLUMNS:
        frame[column] = pd.array(frame[column], dtype="Int64")
    return frame


def derive_market_presence(country: str, markets_present: Sequence[str]) -> str:
    """Return the market presence tier implied by the seat `country` and `markets_present`.

    See the module docstring for the rule.
    """
    markets = set(markets_present)
    if not markets:
        return "local"
    foreign = markets - {country}
    if not foreign:
        return "national"
    home_continent = geography.continent(country)
    if len(foreign) >= 5 or any(geography.continent(m) != home_continent for m in foreign):
        return "international"
    return "regional"


def potential_score(
    capacity: int | None,
    employees: int | None,
    n_certifications: int,
    market_presence: str,
    n_new_targets: int,
    n_partnership_types: int,
) -> float:
    """Return the potential score in 0..1 (see the module docstring for the weights)."""
    if capacity is not None and not pd.isna(capacity) and capacity > 0:
        scale = min(1.0, math.log10(1 + capacity) / 5)
    elif employees is not None and not pd.isna(employees) and employees > 0:
        scale = min(1.0, math.log10(1 + employees) / 3)
    else:
        scale = 0.0
    quality = min(1.0, n_certifications / 3)
    reach = PRESENCE_TIERS.index(market_presence) / 3 if market_presence in PRESENCE_TIERS else 0.0
    ambition = min(1.0, n_new_targets / 3)
    openness = min(1.0, n_partnership_types / 3)
    return 0.30 * scale + 0.25 * quality + 0.20 * reach + 0.15 * ambition + 0.10 * openness


def potential_tier(score: float) -> str:
    """Return ``high`` (>= 0.6), ``medium`` (>= 0.35) or ``low`` for a potential score."""
    return "high" if score >= 0.6 else "medium" if score >= 0.35 else "low"


_PROFILE_FIELDS = tuple(f.name for f in fields(Profile))


def frame_to_profiles(frame: pd.DataFrame) -> list[Profile]:
    """Return the :class:`Profile` of every row of a validated frame."""
    columns = [c for c in _PROFILE_FIELDS if c in frame.columns]
    profiles = []
    for values in zip(*(frame[c].tolist() for c in columns)):
        record = {c: (None if v is pd.NA else v) for c, v in zip(columns, values)}
        profiles.append(Profile(**record))
    return profiles


class ProfileRows:
    """The :class:`Profile` of any row of a validated frame: the same as
    ``frame_to_profiles(frame.iloc[[row]])[0]`` without building a one-row frame, for the few
    rows a recommendation shows.

    Frames of up to :attr:`AS_OBJECTS_UP_TO` rows are turned into Python values once, column
    by column (about 1.1 kB a row), and a profile is then read in about 5 us; larger frames
    keep their compact column arrays, read value by value (about 27 us a profile, most of it
    in the Arrow-backed text columns).
    """

    #: Rows up to which the columns are held as Python values (110 MB at 100,000 rows).
    AS_OBJECTS_UP_TO = 250_000

    def __init__(self, frame: pd.DataFrame):
        names = [c for c in _PROFILE_FIELDS if c in frame.columns]
        self._objects = self._columns = None
        if len(frame) <= self.AS_OBJECTS_UP_TO:
            self._objects = {c: _python_values(frame[c]) for c in names}
        else:
            self._columns = {c: frame[c].array for c in names}

    def __getitem__(self, row: int) -> Profile:
        if self._objects is not None:
            return Profile(**{column: values[row] for column, values in self._objects.items()})
        record = {}
        for column, values in self._columns.items():
            value = values[row]
            if value is pd.NA:
                value = None
            elif isinstance(value, np.generic):
                value = value.item()
            record[column] = value
        return Profile(**record)


def _python_values(column: pd.Series) -> np.ndarray:
    """The values of `column` as an object array of what :class:`ProfileRows` reads one by one
    from its array: ``pd.NA`` as None, numpy scalars as Python ones."""
    values = column.to_numpy(dtype=object)
    if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
        # Tuples, dicts and Python strings already (a text column's missing value is its
        # dtype's own, read the same way one by one).
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = [
        None if value is pd.NA else value.item() if isinstance(value, np.generic) else value
        for value in values
    ]
    return out


def profiles_to_frame(profiles: Sequence[Profile] | pd.DataFrame) -> pd.DataFrame:
    """Return the validated frame of `profiles` (a frame is returned as it is)."""
    if isinstance(profiles, pd.DataFrame):
        return profiles
    if not profiles:
        raise InputError("Got no profiles, expected at least one")
    frame = pd.DataFrame([{f: getattr(p, f) for f in _PROFILE_FIELDS} for p in profiles])
    for column in INT_COLUMNS:
        frame[column] = pd.array(frame[column], dtype="Int64")
    duplicated = frame["member_id"][frame["member_id"].duplicated()].tolist()
    if duplicated:
        raise InputError(
            f"duplicate member ids: {', '.join(duplicated[:10])}; each profile needs its own id"
        )
    return frame.set_index("member_id", drop=False).rename_axis(None)


def validate_network_names(
    raw: pd.DataFrame, source: str = "input", unit: str = "row", first_row: int = 2
) -> dict[str, dict[str, str]]:
    """Validate raw rows of network names.

    Parameters
    ----------
    raw : DataFrame of shape (n_networks, n_columns)
        Columns ``network`` (a slug, as in the profiles' ``network`` column) and ``name_en``,
        ``name_uk`` (display names, at most :data:`NETWORK_NAME_LIMIT` characters; an empty
        cell leaves that language unnamed).

    Returns
    -------
    dict
        ``{network: {"en": name, "uk": name}}``, only the names given.

    Raises
    ------
    ProfileValidationError
        With every problem found in the input (a bad slug, a network listed twice, a name
        too long, no name column).
    """
    raw = raw.rename(columns=lambda c: str(c).strip())
    missing = [] if "network" in raw.columns else ["network"]
    collector = _Collector(unit, first_row, [*raw.columns, *NETWORK_COLUMNS], missing)
    if missing:
        collector.add(
            None,
            "network",
            None,
            "required column 'network' is missing; the columns are " + ", ".join(NETWORK_COLUMNS),
        )
    if not {"name_en", "name_uk"} & set(raw.columns):
        collector.add(None, None, None, "no name column: give name_en, name_uk or both")
    unknown_columns = [c for c in raw.columns if c not in NETWORK_COLUMNS]
    if unknown_columns:
        logger.warning(
            "%s: unknown network columns ignored: %s", source, ", ".join(unknown_columns)
        )
    n = len(raw)
    cells = {
        c: [_cell_text(v) for v in raw[c].tolist()] if c in raw.columns else [""] * n
        for c in NETWORK_COLUMNS
    }
    names: dict[str, dict[str, str]] = {}
    for position in range(n):
        network = cells["network"][position].lower()
        if not network:
            collector.add(position, "network", network, "network is required (a slug)")
        elif not _SLUG.match(network):
            collector.add(
                position,
                "network",
                cells["network"][position],
                f"{network!r} is not a slug: lower-case letters and digits joined by '-', "
                f"e.g. {HOME_NETWORK!r}",
            )
        elif network in names:
            collector.add(position, "network", network, f"{network!r} is listed twice")
        given = {}
        for language in ("en", "uk"):
            name = " ".join(cells[f"name_{language}"][position].split())
            if len(name) > NETWORK_NAME_LIMIT:
                collector.add(
                    position,
                    f"name_{language}",
                    name[:40] + "…",
                    f"longer than {NETWORK_NAME_LIMIT} characters ({len(name)})",
                )
            elif name:
                given[language] = name
        if network and _SLUG.match(network) and network not in names:
            names[network] = given
    if collector.problems:
        raise ProfileValidationError(collector.problems, source)
    return names


def validate_links(
    raw: pd.DataFrame,
    member_ids: Iterable[str] | None = None,
    source: str = "input",
    unit: str = "row",
    first_row: int = 2,
) -> list[Link]:
    """Validate raw link rows.

    Parameters
    ----------
    raw : DataFrame of shape (n_links, n_columns)
        Columns ``source``, ``target`` and optionally ``kind`` and ``date``.
    member_ids : iterable of str, optional
        Known profile ids; links to other ids are errors.

    Raises
    ------
    ProfileValidationError
        With every problem found in the input.
    """
    raw = raw.rename(columns=lambda c: str(c).strip())
    missing = [c for c in ("source", "target") if c not in raw.columns]
    # As for profiles, a missing column does not hide the problems of the other columns.
    collector = _Collector(unit, first_row, [*raw.columns, *LINK_COLUMNS], missing)
    for column in missing:
        collector.add(
            None,
            column,
            None,
            f"required column {column!r} is missing; the columns are " + ", ".join(LINK_COLUMNS),
        )
    unknown_columns = [c for c in raw.columns if c not in LINK_COLUMNS]
    if unknown_columns:
        logger.warning("%s: unknown link columns ignored: %s", source, ", ".join(unknown_columns))
    known = set(member_ids) if member_ids is not None else None
    n = len(raw)
    cells = {
        c: [_cell_text(v) for v in raw[c].tolist()] if c in raw.columns else [""] * n
        for c in LINK_COLUMNS
    }
    links: list[Link] = []
    seen: set[tuple[str, str, str]] = set()
    for position in range(n):
        source_id, target_id = cells["source"][position], cells["target"][position]
        kind = cells["kind"][position].lower() or "partner"
        date = cells["date"][position] or None
        ok = True
        for column, value in (("source", source_id), ("target", target_id)):
            if not value:
                collector.add(position, column, value, f"{column} is required (a profile id)")
                ok = False
            elif known is not None and value not in known:
                collector.add(position, column, value, f"{value!r} is not the id of any profile")
                ok = False
        if ok and source_id == target_id:
            collector.add(position, "target", target_id, "a link cannot join a profile to itself")
            ok = False
        if kind not in LINK_KINDS:
            collector.add(
                position,
                "kind",
                cells["kind"][position],
                f"{cells['kind'][position]!r} is not a link kind; allowed: "
                + ", ".join(LINK_KINDS),
            )
            ok = False
        if date:
            try:
                date = pd.Timestamp(date).date().isoformat()
            except (ValueError, TypeError):
                collector.add(
                    position, "date", date, f"{date!r} is not an ISO 8601 date (YYYY-MM-DD)"
                )
                ok = False
        if ok and (source_id, target_id, kind) not in seen:
            seen.add((source_id, target_id, kind))
            links.append(Link(source_id, target_id, kind, date))
    if collector.problems:
        raise ProfileValidationError(collector.problems, source)
    return links
