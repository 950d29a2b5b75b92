"""What the manager pages read: member search with its filters, and the dashboard's counts."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.filters import FilterError, FilterProblem, resolve_filters
from matcher.i18n import N_
from matcher.insights.outcomes import count_feedback
from matcher.taxonomy import load_taxonomy

from ..services.feedback import network_feedback
from ..services.sessions import network_figures
from ..tables import OUTCOME_EVENTS, Member, ModelVersion

MAX_PER_PAGE = 100
PER_PAGE_CHOICES = (25, 50, 100)
MAX_QUERY_LENGTH = 200
RECENT_DAYS = 30
POTENTIAL_TIERS = ("low", "medium", "high")

_PRESENCE = Member.profile["market_presence"].as_string()
_TIER = Member.profile["potential_tier"].as_string()
_DESCRIPTION = Member.profile["description"].as_string()


def fold(text: str) -> str:
    """The form in which search text is compared: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass
class MemberSearch:
    """A validated member search; `problems` lists ``(message key, params)`` for bad input,
    `filter_problems` the refused type of activity or country (:mod:`matcher.filters`)."""

    q: str = ""
    org_type: str = ""
    country: str = ""
    network: str = ""
    presence: str = ""
    page: int = 1
    per_page: int = PER_PAGE_CHOICES[0]
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    filter_problems: list[FilterProblem] = field(default_factory=list)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query arguments of this search (non-empty ones), with `changes`."""
        values = {
            "q": self.q,
            "org_type": self.org_type,
            "country": self.country,
            "network": self.network,
            "presence": self.presence,
            "page": self.page,
            "per_page": self.per_page,
        }
        values.update(changes)
        defaults = {"page": 1, "per_page": PER_PAGE_CHOICES[0]}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}


def _whole_number(value: str, low: int, high: int) -> int | None:
    value = value.strip()
    if not value.isdigit():
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_member_search(args: Mapping[str, str], networks: list[str]) -> MemberSearch:
    """Read a member search from query arguments; every bad value becomes a problem."""
    taxonomy = load_taxonomy()
    search = MemberSearch()
    problems = search.problems
    search.q = args.get("q", "").strip()
    if len(search.q) > MAX_QUERY_LENGTH:
        problems.append(
            (N_("The search text is longer than {max} characters."), {"max": MAX_QUERY_LENGTH})
        )
    # Type of activity and country: checked as the partner filters are everywhere.
    search.org_type = args.get("org_type", "").strip()
    search.country = args.get("country", "").strip()
    try:
        filters = resolve_filters({"org_type": search.org_type, "country": search.country})
    except FilterError as error:
        search.filter_problems = error.problems
    else:
        search.org_type = filters.get("org_type", [""])[0]
        search.country = filters.get("country", [""])[0]
    raw = args.get("network", "").strip()
    if raw:
        search.network = raw
        if raw not in networks:
            problems.append((N_("Unknown network: {value}."), {"value": raw}))
    raw = args.get("presence", "").strip()
    if raw:
        tag = taxonomy.resolve("market_presence", raw)
        if tag is None:
            problems.append((N_("Unknown market presence: {value}."), {"value": raw}))
        search.presence = tag or raw
    raw = args.get("page", "")
    if raw:
        page = _whole_number(raw, 1, 10**9)
        if page is None:
            problems.append(
                (N_("The page must be a whole number from 1; got {value}."), {"value": raw})
            )
        search.page = page or 1
    raw = args.get("per_page", "")
    if raw:
        per_page = _whole_number(raw, 1, MAX_PER_PAGE)
        if per_page is None:
            problems.append(
                (
                    N_("Per page must be a whole number from 1 to {max}; got {value}."),
                    {"value": raw, "max": MAX_PER_PAGE},
                )
            )
        search.per_page = per_page or PER_PAGE_CHOICES[0]
    return search


#: The Cyrillic letters in the order of the Ukrainian alphabet (ґ after г, є after е, і and ї
#: after и), with Russian's ё, ъ, ы and э where Russian puts them. In code point order є, і and
#: ї come before а, and ґ after я.
CYRILLIC_ORDER = "абвгґдеёєжзиіїйклмнопрстуфхцчшщъыьэюя"
_CYRILLIC_RANK = {letter: rank for rank, letter in enumerate(CYRILLIC_ORDER)}


def name_sort_key(name: str) -> tuple:
    """The key that sorts member names as a reader expects: case-insensitive; Cyrillic in the
    Ukrainian alphabet's order, after Latin; accented Latin letters beside their base letter
    ("Łódź" near "Lodz"); digits and punctuation first. Equal names fall back to the name
    itself."""
    folded = fold(name)
    primary = []
    for letter in folded:
        if letter in _CYRILLIC_RANK:
            primary.append((2, _CYRILLIC_RANK[letter]))
            continue
        base = unicodedata.normalize("NFD", letter)[0]
        base = {"ł": "l", "ø": "o", "đ": "d", "ß": "s"}.get(base, base)
        primary.append((1, ord(base)) if base.isalpha() else (0, ord(base)))
    return (primary, folded, name)


def search_members(
    session: Session, search: MemberSearch, home_network: str = ""
) -> tuple[list[Member], int]:
    """Return one page of the live members that match `search`, and how many match in all.

    The members of `home_network` come first, then the others; each by name
    (:func:`name_sort_key`). The filters run in SQL; the text (id, name, description) is
    matched and the names are sorted here, because SQLite's LIKE and lower() fold only ASCII,
    and neither database orders Ukrainian names by the alphabet without a collation it may not
    have.
    """
    where = [Member.deleted_at.is_(None)]
    if search.org_type:
        where.append(Member.org_type == search.org_type)
    if search.country:
        where.append(Member.country == search.country)
    if search.network:
        where.append(Member.network_id == search.network)
    if search.presence:
        where.append(_PRESENCE == search.presence)
    needle = fold(search.q)
    columns = [Member.member_id, Member.name, Member.network_id]
    if needle:
        columns.append(_DESCRIPTION)
    matched = [
        (network_id != home_network, name_sort_key(name), member_id)
        for member_id, name, network_id, *description in session.execute(
            select(*columns).where(*where)
        )
        if not needle or needle in fold(f"{member_id}\n{name}\n{description[0] or ''}")
    ]
    matched.sort()
    offset = (search.page - 1) * search.per_page
    page_ids = [member_id for *_, member_id in matched[offset : offset + search.per_page]]
    rows = (
        {
            m.member_id: m
            for m in session.scalars(select(Member).where(Member.member_id.in_(page_ids)))
        }
        if page_ids
        else {}
    )
    return [rows[i] for i in page_ids if i in rows], len(matched)


def live_networks(session: Session) -> list[str]:
    """Return the networks that have live members, sorted."""
    return list(
        session.scalars(
            select(Member.network_id)
            .where(Member.deleted_at.is_(None))
            .distinct()
            .order_by(Member.network_id)
        )
    )


def live_countries(session: Session) -> list[str]:
    """Return the countries of live members, sorted by code."""
    return list(
        session.scalars(
            select(Member.country)
            .where(Member.deleted_at.is_(None))
            .distinct()
            .order_by(Member.country)
        )
    )


@dataclass
class Dashboard:
    """The dashboard's figures for one network (or all when `network` is empty)."""

    network: str
    members: int
    networks: int
    #: ``{org_type: {market presence: count}}``, org types and tiers in taxonomy order.
    by_type: dict[str, dict[str, int]]
    by_presence: dict[str, int]
    by_tier: dict[str, int]
    #: ``{event: (all time, last RECENT_DAYS days)}`` in OUTCOME_EVENTS order, counted by
    #: :func:`matcher.insights.outcomes.count_feedback`: shown, accepted and declined once per
    #: member and partner, a meeting held (or a deal) once per pair of members.
    feedback: dict[str, tuple[int, int]]
    model_name: str | None
    model_trained_at: dt.datetime | None
    #: Matchmaking sessions: ``sessions``, meetings ``requested`` (wished by at least one
    #: side), ``accepted`` (requested and on an agenda) and ``held``.
    sessions: dict[str, int] = field(default_factory=dict)

    @property
    def acceptance(self) -> float | None:
        """Accepted among accepted and declined (None before any decision)."""
        accepted, declined = self.feedback["accepted"][0], self.feedback["declined"][0]
        return accepted / (accepted + declined) if accepted + declined else None


def dashboard(session: Session, network: str, now: dt.datetime) -> Dashboard:
    """Count members by type, market presence and potential tier, and the feedback events."""
    taxonomy = load_taxonomy()
    where = [Member.deleted_at.is_(None)]
    if network:
        where.append(Member.network_id == network)
    presences = taxonomy.ids("market_presence")
    org_types = taxonomy.ids("org_types")
    counts: dict[tuple[str, str], int] = {}
    for org_type, presence, count in session.execute(
        select(Member.org_type, _PRESENCE, func.count())
        .where(*where)
        .group_by(Member.org_type, _PRESENCE)
    ):
        counts[(org_type, presence or "")] = count
    seen_types = {t for t, _ in counts}
    by_type = {
        org_type: {presence: counts.get((org_type, presence), 0) for presence in presences}
        for org_type in [*org_types, *sorted(seen_types - set(org_types))]
        if org_type in seen_types
    }
    by_presence = {p: sum(row[p] for row in by_type.values()) for p in presences}
    tiers = {
        tier: count
        for tier, count in session.execute(
            select(_TIER, func.count()).where(*where).group_by(_TIER)
        )
    }
    by_tier = {tier: tiers.get(tier, 0) for tier in POTENTIAL_TIERS}
    # Counted as the insights count them (matcher.insights.outcomes): a meeting or a deal once
    # per pair of members, whichever side recorded it.
    since = now - dt.timedelta(days=RECENT_DAYS)
    events = network_feedback(session, network)
    ever = count_feedback((member, partner, event) for member, partner, event, _ in events)
    recent = count_feedback(
        (member, partner, event) for member, partner, event, moment in events if moment >= since
    )
    feedback = {event: (ever[event], recent[event]) for event in OUTCOME_EVENTS}
    model = session.execute(
        select(ModelVersion.name, ModelVersion.finished_at).where(ModelVersion.active.is_(True))
    ).first()
    return Dashboard(
        network=network,
        members=sum(counts.values()),
        networks=len(live_networks(session)) if not network else 1,
        by_type=by_type,
        by_presence=by_presence,
        by_tier=by_tier,
        feedback=feedback,
        model_name=model.name if model else None,
        model_trained_at=model.finished_at if model else None,
        sessions=network_figures(session, network),
    )
