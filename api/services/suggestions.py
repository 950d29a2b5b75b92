"""Partner suggestions from the served model, for a stored member or a prospective one.

The engine ranks partners (:meth:`matcher.engine.ranking.PartnerMatcher.recommend`); this adds
what the database knows: a stored member's declined partners are never suggested again, and
members withdrawn since the model was trained are dropped from every answer at once. Rankings
of stored members are kept per worker (:class:`SuggestionCache`), each suggestion with its JSON
once encoded (:func:`suggestion_json`).

A worker fills that cache before it serves a version (:func:`warm_cache`, run through
:func:`api.services.serving.before_serving` when the worker starts and when another version was
activated): the home members' default suggestions are ranked in blocks, so that no request waits
for a ranking that every worker was going to make anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from matcher.errors import InputError, UnknownMemberError
from matcher.profiles import HOME_NETWORK, Profile

from ..auth import Caller
from ..db import core_connection
from ..errors import abort
from ..tables import Member
from .feedback import declined_partners
from .members import get_member, require_act_for, stored_profile
from .networks import network_names
from .serving import Served, before_serving, holder

logger = logging.getLogger(__name__)

# Core statements built once: the suggestion endpoint runs them on every request, and the
# ORM's per-query overhead was most of an answer's time.
_MEMBER_ROW = select(Member.member_id, Member.network_id, Member.deleted_at).where(
    Member.member_id == bindparam("member_id")
)
_LIVE = select(Member.member_id).where(
    Member.member_id.in_(bindparam("ids", expanding=True)), Member.deleted_at.is_(None)
)
_LIVE_IN_NETWORK = (
    select(Member.member_id)
    .where(Member.network_id == bindparam("network_id"), Member.deleted_at.is_(None))
    .order_by(Member.member_id)
)

#: Partners ranked beyond `k` and kept with a ranking, so that a few withdrawals since the
#: model was trained do not force a fresh ranking.
RANKING_PAD = 10


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


@dataclass(frozen=True)
class DefaultSuggestionOptions:
    """The options of a suggestion request that chooses none (the defaults of the API's
    ``SuggestionQuery``): those the cache is warmed for."""

    k: int = 10
    scope: str = "all"
    language: str = "en"
    country: list[str] = field(default_factory=list)
    org_type: list[str] = field(default_factory=list)
    partnership_type: list[str] = field(default_factory=list)


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

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: tuple) -> bool:
        return key in self._entries

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


def suggestion_cache(app: Flask | None = None) -> SuggestionCache:
    """Return the app's (this worker's) cache of ranked suggestions."""
    app = app or current_app
    cache = app.extensions.get("matcher_suggestion_cache")
    if cache is None:
        cache = app.extensions["matcher_suggestion_cache"] = SuggestionCache(
            int(app.config["SUGGESTION_CACHE_SIZE"])
        )
    return cache


def served_network_names(session: Session, app: Flask | None = None) -> dict[str, dict[str, str]]:
    """The networks' display names (:func:`api.services.networks.network_names`), read again at
    most every ``MODEL_CHECK_SECONDS`` (0: at every call), as the active version is: a rename
    reaches the answers as soon as an activation would, without a query per request."""
    app = app or current_app
    interval = float(app.config["MODEL_CHECK_SECONDS"])
    now = time.monotonic()
    kept = app.extensions.get("matcher_network_names")
    if interval > 0 and kept is not None and now - kept[0] < interval:
        return kept[1]
    names = network_names(session)
    app.extensions["matcher_network_names"] = (now, names)
    return names


def cache_key(
    version_id: int,
    names: dict[str, dict[str, str]],
    member_id: str,
    options: SuggestionOptions,
    filters: dict[str, list[str]],
    exclude: list[str],
) -> tuple:
    """The key of a stored member's ranking in the :class:`SuggestionCache`: everything the
    ranking depends on (the version, the networks' names the reasons use, the member, the
    options and the partners it declined)."""
    return (
        version_id,
        tuple(sorted((network, tuple(sorted(given.items()))) for network, given in names.items())),
        member_id,
        options.k,
        options.scope,
        options.language,
        tuple(sorted((name, tuple(values)) for name, values in filters.items())),
        tuple(sorted(exclude)),
    )


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
    names = served_network_names(session)
    cache = suggestion_cache()
    # Spare partners (ranked and explained beyond `k`) only serve a ranking that is kept: an
    # answer made for one request asks for more only when a withdrawal left fewer than `k`.
    key, k, pad = None, options.k, 0
    if isinstance(target, str) and cache.size > 0:
        key = cache_key(served.version_id, names, target, options, filters, exclude)
        pad = RANKING_PAD
        cached = cache.get(key)
        if cached is not None:
            kept = _live(session, cached)
            if len(kept) >= k or len(cached) < k + pad:
                return kept[:k]
    while True:
        try:
            found = served.matcher.recommend(
                target,
                k=k,
                spare=pad,
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
                cache.put(key, ranked)
            return kept[:k]
        pad = max(4 * pad, RANKING_PAD)


def _live(session: Session, ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the suggestions whose partner is still a live member."""
    ids = [s["partner_id"] for s in ranked]
    live = (
        set(core_connection(session).execute(_LIVE, {"ids": ids}).scalars().all()) if ids else set()
    )
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


#: Members ranked together when the cache is warmed (one batch of the engine's scoring).
WARM_BLOCK = 64


def warm_cache(app: Flask, session: Session, served: Served) -> int:
    """Rank the live home members known to `served` with the default options and keep their
    rankings in the worker's cache under `served`'s version; return how many were ranked.

    Registered (:func:`init_app`) to run when a worker loads a version, before it serves it,
    so that neither a fresh worker nor one that has just switched versions makes its first
    answers wait for a ranking. Members who declined nobody are ranked in blocks
    (:meth:`~matcher.engine.ranking.PartnerMatcher.recommend_many`, one batch of scoring for
    ``WARM_BLOCK`` members); the others one by one, each with its declined partners left out.
    At most the cache's size are ranked; nothing with ``SUGGESTION_WARM_UP`` off or no cache.
    """
    cache = suggestion_cache(app)
    if cache.size <= 0 or not app.config.get("SUGGESTION_WARM_UP", True):
        return 0
    started = time.perf_counter()
    options = DefaultSuggestionOptions()
    names = served_network_names(session, app)
    matcher = served.matcher
    connection = core_connection(session)
    home = [
        member_id
        for member_id in connection.execute(_LIVE_IN_NETWORK, {"network_id": HOME_NETWORK})
        .scalars()
        .all()
        if member_id in matcher.position_
    ][: cache.size]
    declined = {member_id: declined_partners(session, member_id) for member_id in home}
    ranked = 0

    def keep(member_ids: list[str], exclude: list[str]) -> None:
        found = matcher.recommend_many(
            member_ids,
            k=options.k,
            spare=RANKING_PAD,
            scope=options.scope,
            exclude=exclude,
            language=options.language,
            network_names=names,
        )
        for member_id, suggestions in zip(member_ids, found):
            key = cache_key(served.version_id, names, member_id, options, {}, exclude)
            cache.put(key, [RankedSuggestion(s.to_dict()) for s in suggestions])

    plain = [member_id for member_id in home if not declined[member_id]]
    for start in range(0, len(plain), WARM_BLOCK):
        block = plain[start : start + WARM_BLOCK]
        keep(block, [])
        ranked += len(block)
    for member_id in home:
        if declined[member_id]:
            keep([member_id], declined[member_id])
            ranked += 1
    logger.info(
        "model version %s: %d home members ranked before serving in %.1f s",
        served.version_id,
        ranked,
        time.perf_counter() - started,
    )
    return ranked


def init_app(app: Flask) -> None:
    """Warm the suggestion cache whenever a worker loads a version (:func:`warm_cache`)."""
    before_serving(app, warm_cache)
