"""Import and export of members and links (CSV, XLSX, JSON), for the API and the CLI.

An import is one transaction: every row is validated first, and a file with any bad row
changes nothing (the error lists every bad row). Rows are upserted by id, so importing the
same file twice changes nothing the second time. They are written in bulk: one insert of the
new rows and one update of the changed ones, each a single statement run over all its rows
(:func:`write_members`), since a statement per row took tens of seconds for a few thousand. Exports for spreadsheets (CSV, XLSX) escape
cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (formula
injection) by prefixing an apostrophe.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from matcher.profiles import (
    PROFILE_COLUMNS,
    Problem,
    ProfileValidationError,
    frame_to_profiles,
    read_table,
    validate_links,
    validate_profiles,
)
from matcher.spreadsheets import safe_cell

from ..errors import ForbiddenRowsError
from ..tables import KnownLink, Member, Network
from .members import member_columns

logger = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "json")
CONTACT_COLUMNS = {"contact_person": "person", "contact_email": "email", "contact_phone": "phone"}
LINK_EXPORT_COLUMNS = ("source", "target", "kind", "date")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def read_upload(
    data: bytes, filename: str, file_format: str | None, kind: str
) -> tuple[pd.DataFrame, str]:
    """Read uploaded bytes as a raw table; return (frame, unit) as :func:`read_table` does.

    Raises
    ------
    ProfileValidationError
        If the format is unknown or the file cannot be read.
    """
    suffix = (file_format or Path(filename or "").suffix.lstrip(".")).lower()
    if suffix not in FORMATS:
        raise ProfileValidationError(
            [
                Problem(
                    None, "format", suffix or None, "give a .csv, .xlsx or .json file (or ?format=)"
                )
            ],
            source=filename or kind,
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{suffix}"
        path.write_bytes(data)
        try:
            return read_table(path, kind)
        except ProfileValidationError as error:
            raise ProfileValidationError(error.problems, source=filename or kind) from None
        except Exception as error:  # noqa: BLE001 - pandas/openpyxl/zipfile on a damaged file
            raise ProfileValidationError(
                [Problem(None, None, None, f"cannot read the file: {error}")],
                source=filename or kind,
            ) from None


def import_members(
    session: Session, raw: pd.DataFrame, unit: str, source: str, network: str | None = None
) -> dict[str, int]:
    """Validate every row of `raw` and upsert the members (the caller commits).

    With `network` (a manager's import), every row must be a member of that network, and so
    must every member the file changes (withdrawn ones included): a manager never creates,
    takes over, moves or revives another network's member.

    A member that a row changes (or revives) counts one more revision, as every change of a
    member does (:func:`api.services.members.store_profile`): an edit based on the revision
    read before the import is then refused instead of overwriting it. An unchanged row keeps
    its revision.

    Returns
    -------
    counts : dict
        ``created``, ``updated`` and ``unchanged`` rows.

    Raises
    ------
    ProfileValidationError
        With every bad row; nothing was written.
    ForbiddenRowsError
        With every row outside `network`; nothing was written.
    """
    first_row = 2 if unit == "row" else 1
    raw = raw.rename(columns=lambda c: str(c).strip())
    contacts = {
        c: raw.pop(c).astype(str).tolist() if c in raw.columns else None for c in CONTACT_COLUMNS
    }
    problems = []
    for position, email in enumerate(contacts["contact_email"] or []):
        if email and email not in ("nan", "None") and not _EMAIL.match(email):
            problems.append(
                Problem(
                    position + first_row, "contact_email", email, "is not an e-mail address", unit
                )
            )
    try:
        frame = validate_profiles(raw, source=source, unit=unit, first_row=first_row)
    except ProfileValidationError as error:
        raise ProfileValidationError(error.problems + problems, source) from None
    if problems:
        raise ProfileValidationError(problems, source)
    id_column = "id" if "id" in raw.columns else "member_id"
    positions = {str(v).strip(): i for i, v in reversed(list(enumerate(raw[id_column].tolist())))}
    existing = _stored_members(session, list(frame.index))
    if network is not None:
        outside = []
        for member_id, new_network in zip(frame.index, frame["network"]):
            current = existing.get(member_id)
            if new_network != network:
                outside.append(
                    Problem(
                        positions[member_id] + first_row,
                        "network",
                        new_network,
                        f"a manager of {network!r} imports members of {network!r} only",
                        unit,
                    )
                )
            elif current is not None and current.network_id != network:
                outside.append(
                    Problem(
                        positions[member_id] + first_row,
                        "id",
                        member_id,
                        f"{member_id!r} is a member of {current.network_id!r}; "
                        f"a manager of {network!r} cannot change it",
                        unit,
                    )
                )
        if outside:
            raise ForbiddenRowsError(outside, source)
    has_contacts = any(contacts[c] is not None for c in CONTACT_COLUMNS)
    created, changed, unchanged = [], [], 0
    for profile in frame_to_profiles(frame):
        contact = None
        if has_contacts:
            position = positions[profile.member_id]
            contact = {
                field: _cell(contacts[column][position]) if contacts[column] is not None else None
                for column, field in CONTACT_COLUMNS.items()
            }
        values = member_columns(profile, contact)
        current = existing.get(profile.member_id)
        if current is None:
            created.append({"member_id": profile.member_id, **values})
        elif _is_unchanged(current, values):
            unchanged += 1
        else:
            changed.append({"stored_member_id": profile.member_id, **values})
    _add_networks(session, {row["network_id"] for row in created + changed})
    write_members(session, created, changed)
    counts = {"created": len(created), "updated": len(changed), "unchanged": unchanged}
    logger.info("%s: members %s", source, counts)
    return counts


def _cell(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


#: The columns of a stored member that an import compares its rows with.
_COMPARED = ("member_id", "network_id", "profile", *CONTACT_COLUMNS, "deleted_at")

#: Ids per ``IN (...)`` list when reading the stored members (SQLite allows 32,766 parameters).
_IDS_PER_QUERY = 2_000


def _stored_members(session: Session, member_ids: list[str]) -> dict[str, Row]:
    """The stored rows (withdrawn ones included) of `member_ids`, by id: only the compared
    columns, read as plain rows (no ORM objects: an import of 10,000 rows would spend more
    time building them than writing)."""
    members = Member.__table__
    columns = [members.c[name] for name in _COMPARED]
    stored = {}
    for start in range(0, len(member_ids), _IDS_PER_QUERY):
        chunk = member_ids[start : start + _IDS_PER_QUERY]
        for row in session.execute(select(*columns).where(members.c.member_id.in_(chunk))):
            stored[row.member_id] = row
    return stored


def _is_unchanged(stored: Row, values: dict[str, Any]) -> bool:
    """Whether writing `values` (:func:`~api.services.members.member_columns`) would leave the
    `stored` row as it is: same profile, same contacts (when the file has them), still live."""
    if stored.deleted_at is not None:
        return False
    if any(
        column in values and values[column] != getattr(stored, column) for column in CONTACT_COLUMNS
    ):
        return False
    return _same_record(stored.profile, values["profile"])


def _same_record(stored: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether the profile record `new` would be stored as `stored` (read back from JSON).

    Plain equality decides almost every row at once; a field that differs is compared again as
    JSON text, as it is stored (a value that JSON writes as text, a date say, reads back as that
    text)."""
    if stored == new:
        return True
    if stored.keys() != new.keys():
        return False
    return all(
        old == value or json.dumps(old, default=str) == json.dumps(value, default=str)
        for old, value in ((stored[key], new[key]) for key in new)
    )


def _add_networks(session: Session, network_ids: set[str]) -> None:
    """Add the networks among `network_ids` that have no row yet (unnamed: they are called by
    their slugs as words until they are named, :mod:`api.services.networks`)."""
    networks = Network.__table__
    known = set(
        session.scalars(
            select(networks.c.network_id).where(networks.c.network_id.in_(sorted(network_ids)))
        )
    )
    new = [{"network_id": n, "name": "", "name_uk": ""} for n in sorted(network_ids - known)]
    if new:
        session.execute(insert(networks), new)


def write_members(
    session: Session, created: list[dict[str, Any]], changed: list[dict[str, Any]]
) -> None:
    """Insert the `created` rows and update the `changed` ones (keyed by ``stored_member_id``),
    each as one statement run over all its rows (``executemany``) in the session's transaction.

    A changed row counts one more revision, as ``revision = revision + 1`` in SQL, as
    :func:`~api.services.members.store_profile` does for one member. Member objects the session
    already holds are expired, so that they are read again as written.
    """
    members = Member.__table__
    if created:
        session.execute(insert(members), created)
    if changed:
        # One statement per set of columns (a file either has contact columns or not).
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in changed:
            by_columns.setdefault(tuple(row), []).append(row)
        for names, rows in by_columns.items():
            statement = (
                update(members)
                .where(members.c.member_id == bindparam("stored_member_id"))
                .values(
                    {name: bindparam(name) for name in names if name != "stored_member_id"}
                    | {"revision": members.c.revision + 1}
                )
            )
            session.execute(statement, rows)
    for held in list(session.identity_map.values()):
        if isinstance(held, Member):
            session.expire(held)


def import_links(
    session: Session, raw: pd.DataFrame, unit: str, source: str, network: str | None = None
) -> dict[str, int]:
    """Validate every link of `raw` against the live members and upsert them (the caller commits).

    With `network` (a manager's import), every link must have at least one side in that
    network: a manager records its own members' partnerships, including those with other
    networks' members, never links between two members of other networks.

    Raises
    ------
    ProfileValidationError
        With every bad row; nothing was written.
    """
    first_row = 2 if unit == "row" else 1
    member_ids = set(session.scalars(select(Member.member_id).where(Member.deleted_at.is_(None))))
    links = validate_links(raw, member_ids, source=source, unit=unit, first_row=first_row)
    if network is not None:
        own = set(
            session.scalars(
                select(Member.member_id).where(
                    Member.network_id == network, Member.deleted_at.is_(None)
                )
            )
        )
        columns = raw.rename(columns=lambda c: str(c).strip())
        outside = [
            Problem(
                position + first_row,
                "source",
                f"{source_id} -> {target_id}",
                f"neither side is a member of {network!r}: a manager of {network!r} "
                "imports links of its own members only",
                unit,
            )
            for position, (source_id, target_id) in enumerate(
                zip(
                    columns["source"].astype(str).str.strip(),
                    columns["target"].astype(str).str.strip(),
                )
            )
            if source_id not in own and target_id not in own
        ]
        if outside:
            raise ForbiddenRowsError(outside, source)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    # Plain rows and one statement per kind of change, as for members (write_members).
    table = KnownLink.__table__
    existing = {
        (row.source_id, row.target_id, row.kind): {"stored_link_id": row.link_id, "date": row.date}
        for row in session.execute(
            select(
                table.c.link_id, table.c.source_id, table.c.target_id, table.c.kind, table.c.date
            )
        )
    }
    created: dict[tuple[str, str, str], dict[str, Any]] = {}
    changed: dict[tuple[str, str, str], dict[str, Any]] = {}
    for link in links:
        key = (link.source, link.target, link.kind)
        row = created.get(key) or existing.get(key)
        if row is None:
            created[key] = {
                "source_id": link.source,
                "target_id": link.target,
                "kind": link.kind,
                "date": link.date,
            }
            counts["created"] += 1
        elif row["date"] != link.date:
            row["date"] = link.date
            if key not in created:
                changed[key] = row
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    if created:
        session.execute(insert(table), list(created.values()))
    if changed:
        session.execute(
            update(table)
            .where(table.c.link_id == bindparam("stored_link_id"))
            .values(date=bindparam("date")),
            list(changed.values()),
        )
    for held in list(session.identity_map.values()):
        if isinstance(held, KnownLink):
            session.expire(held)
    logger.info("%s: links %s", source, counts)
    return counts


def member_records(session: Session, contacts_for: Iterable[str] | None) -> list[dict[str, Any]]:
    """Return the live members as records of the file format (lists as lists).

    Contact columns are filled for members of the networks in `contacts_for` (None: all).
    """
    allowed = None if contacts_for is None else set(contacts_for)
    records = []
    for member in session.scalars(
        select(Member).where(Member.deleted_at.is_(None)).order_by(Member.member_id)
    ):
        record = {column: member.profile.get(column) for column in PROFILE_COLUMNS}
        record["id"] = member.member_id
        if member.profile.get("market_presence_derived"):
            record["market_presence"] = ""
        show = allowed is None or member.network_id in allowed
        for column in CONTACT_COLUMNS:
            record[column] = getattr(member, column) if show else None
        records.append(record)
    return records


def link_records(session: Session, network: str | None = None) -> list[dict[str, Any]]:
    """Return the known links between live members as records; with `network` (a manager's
    export), only those with at least one side in that network."""
    live_networks = dict(
        session.execute(
            select(Member.member_id, Member.network_id).where(Member.deleted_at.is_(None))
        ).all()
    )
    live = set(live_networks)
    own = live if network is None else {m for m, n in live_networks.items() if n == network}
    return [
        {"source": row.source_id, "target": row.target_id, "kind": row.kind, "date": row.date}
        for row in session.scalars(select(KnownLink).order_by(KnownLink.link_id))
        if row.source_id in live
        and row.target_id in live
        and (row.source_id in own or row.target_id in own)
    ]


def render(
    records: list[dict[str, Any]], columns: Iterable[str], file_format: str, kind: str
) -> bytes:
    """Write `records` as CSV, XLSX (formula-escaped) or JSON bytes."""
    columns = list(columns)
    if file_format == "json":
        return json.dumps({kind: records}, ensure_ascii=False, indent=1).encode("utf-8")
    rows = [
        {
            c: safe_cell(";".join(v) if isinstance(v, list) else ("" if v is None else v))
            for c, v in ((c, r.get(c)) for c in columns)
        }
        for r in records
    ]
    frame = pd.DataFrame(rows, columns=columns)
    if file_format == "csv":
        # RFC 4180 line ends: a carriage return inside a cell is quoted, not a row's end.
        return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    # A worksheet cannot hold control characters (XML 1.0 has no way to write them): stored
    # text that has some (from an import, or stored before the API refused them) loses them
    # in the XLSX rather than failing the whole export.
    frame = frame.map(
        lambda cell: ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()
