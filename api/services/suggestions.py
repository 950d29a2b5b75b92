"""Partner suggestions from the served model, for a stored member or a prospective one.

The engine ranks partners (:meth:`matcher.engine.ranking.PartnerMatcher.recommend`); this adds
what the database knows: a stored member's declined partners are never suggested again, and
members withdrawn since the model was trained are dropped from every answer at once. Rankings
of stored members are kept per worker (:class:`SuggestionCache`), each suggestion with its JSON
once encoded (:func:`suggestion_json`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from matcher.errors import InputError, UnknownMemberError
from matcher.profiles import Profile

from ..auth import Caller
from ..db import core_connection
from ..errors import abort
from ..tables import Member
from .feedback import declined_partners
from .members import get_member, require_act_for, stored_profile
from .networks import network_names
from .serving import holder

# Core statements built once: the suggestion endpoint runs them on every request, and the
# ORM's per-query overhead was most of an answer's time.
_MEMBER_ROW = select(Member.member_id, Member.network_id, Member.deleted_at).where(
    Member.member_id == bindparam("member_id")
)
_LIVE = select(Member.member_id).where(
    Member.member_id.in_(bindparam("ids", expanding=True)), Member.deleted_at.is_(None)
)


class SuggestionOptions(Protocol):
    """What a suggestion request chooses (the API's ``SuggestionQuery`` and ``ProspectRequest``,
    the pages' options): how many, where, in which language, and the partner filters."""

    k: int
    scope: str
    language: str
    country: Any
    org_type: Any
    partnership_type: Any


def partner_filters(options: SuggestionOptions) -> dict[str, list[str]]:
    """The partner filters of `options`, as the engine takes them.

    They are the taxonomy's ids and ISO codes already: the request models enumerate them (the
    document lists the same values), and the pages resolve their lenient values (names,
    synonyms, typos) to these before they build the options.
    """
    given = {
        "country": options.country,
        "org_type": options.org_type,
        "partnership_type": options.partnership_type,
    }
    return {
        name: list(dict.fromkeys(str(value) for value in values))
        for name, values in given.items()
        if values
    }


class RankedSuggestion(dict):
    """A ``Suggestion.to_dict()`` that keeps its JSON once encoded (cached answers reuse it)."""

    __slots__ = ("encoded",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoded: str | None = None


def suggestion_json(suggestion: dict[str, Any], dumps: Callable[[Any], str]) -> str:
    """Return the JSON of one suggestion by `dumps`, encoding a :class:`RankedSuggestion` only
    the first time."""
    if not isinstance(suggestion, RankedSuggestion):
        return dumps(suggestion)
    if suggestion.encoded is None:
        suggestion.encoded = dumps(dict(suggestion))
    return suggestion.encoded


class SuggestionCache:
    """Per-worker LRU of ranked suggestions of stored members.

    A key holds everything the ranking depends on: the model version, the member, the
    options and the partners the member declined; withdrawn partners are filtered out of a
    cached list at every request, so a cached answer is never staler than a fresh one.
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple, list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> list[dict[str, Any]] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, value: list[dict[str, Any]]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def _cache() -> SuggestionCache:
    app = current_app
    cache = app.extensions.get("matcher_suggestion_cache")
    if cache is None:
        cache = app.extensions["matcher_suggestion_cache"] = SuggestionCache(
            int(app.config["SUGGESTION_CACHE_SIZE"])
        )
    return cache


def suggest(
    session: Session,
    target: str | Profile,
    options: SuggestionOptions,
    exclude: list[str],
) -> list[dict[str, Any]]:
    """Return the `options.k` best live partners of `target` as ``Suggestion.to_dict()`` dicts.

    Members withdrawn since the model was trained are dropped here, so that a deletion takes
    effect at once; the model is asked for more until `k` remain or it has no more. Answers
    for stored members are cached per worker (:class:`SuggestionCache`).
    """
    served = holder().get(session)
    if served is None:
        abort(503, "no model is active yet: a manager must train one (POST /api/v1/models/retrain)")
    filters = partner_filters(options)
    # The reasons name networks by their display names (renaming one changes the answer).
    names = network_names(session)
    k, pad = options.k, 10
    key = None
    if isinstance(target, str):
        key = (
            served.version_id,
            tuple(
                sorted((network, tuple(sorted(given.items()))) for network, given in names.items())
            ),
            target,
            k,
            options.scope,
            options.language,
            tuple(sorted((name, tuple(values)) for name, values in filters.items())),
            tuple(sorted(exclude)),
        )
        cached = _cache().get(key)
        if cached is not None:
            kept = _live(session, cached)
            if len(kept) >= k or len(cached) < k + pad:
                return kept[:k]
    while True:
        try:
            found = served.matcher.recommend(
                target,
                k=k + pad,
                scope=options.scope,
                filters=filters,
                exclude=exclude,
                language=options.language,
                network_names=names,
            )
        except UnknownMemberError as error:
            abort(404, str(error))
        except InputError as error:
            # Input the engine refused; any other error (a ValueError or KeyError of numpy or
            # pandas) is a failure of the program, answered 500 by the app's handler.
            abort(422, str(error))
        ranked = [RankedSuggestion(s.to_dict()) for s in found]
        kept = _live(session, ranked)
        if len(kept) >= k or len(found) < k + pad:
            if key is not None:
                _cache().put(key, ranked)
            return kept[:k]
        pad *= 4


def _live(session: Session, ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the suggestions whose partner is still a live member."""
    ids = [s["partner_id"] for s in ranked]
    live = set(core_connection(session).execute(_LIVE, {"ids": ids}).scalars()) if ids else set()
    return [s for s in ranked if s["partner_id"] in live]


def stored_member_suggestions(
    session: Session, caller: Caller, member_id: str, options: SuggestionOptions
) -> list[dict[str, Any]]:
    """Return the suggestions of the stored member `member_id` as `caller` may see them.

    The one path of the API and the manager pages. Aborts with 404 if the member doesn't
    exist (or is withdrawn), 403 if `caller` may not act for it, 503 without a model.
    """
    # The member's id, network and withdrawal only (the profile is read when the model
    # doesn't know the member).
    row = core_connection(session).execute(_MEMBER_ROW, {"member_id": member_id}).first()
    if row is None or row.deleted_at is not None:
        abort(404, f"Member {member_id} doesn't exist.")
    require_act_for(caller, row)
    served = holder().get(session)
    known = served is not None and row.member_id in served.matcher.position_
    if known:
        target: str | Profile = row.member_id
    else:
        target = stored_profile(get_member(session, member_id))
    return suggest(session, target, options, declined_partners(session, row.member_id))


def suggest_for_prospect(
    session: Session, profile: Profile, options: SuggestionOptions
) -> list[dict[str, Any]]:
    """Return the suggestions of `profile`, a prospective member that is not stored.

    Aborts with 409 when the served model knows its id (a stored member: its own suggestions
    take its declined partners into account), 503 without a model.
    """
    served = holder().get(session)
    if served is not None and profile.member_id in served.matcher.position_:
        abort(
            409,
            f"Member {profile.member_id} is stored; ask GET /api/v1/members/"
            f"{profile.member_id}/suggestions, or give the prospect another member_id",
        )
    return suggest(session, profile, options, [])
