"""Suggestions for a stored member or a prospective one, and feedback on them."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from matcher.errors import InputError, UnknownMemberError
from matcher.profiles import Profile

from .auth import Caller, current_caller
from .db import core_connection, get_db
from .errors import abort
from .limits import limiter
from .members import get_member, parse_profile, require_act_for
from .schemas import (
    FeedbackIn,
    FeedbackList,
    FeedbackOut,
    MemberPath,
    ProspectRequest,
    SuggestionQuery,
    SuggestionsOut,
)
from .serving import holder
from .tables import FeedbackEvent, Member, isoformat

logger = logging.getLogger(__name__)

SECURITY = [{"bearer": []}]
bp = APIBlueprint(
    "suggestions",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[Tag(name="suggestions")],
    abp_security=SECURITY,
)


def _filters(options: SuggestionQuery | ProspectRequest) -> dict[str, list[str]]:
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


# Core statements built once: the suggestion endpoint runs them on every request, and the
# ORM's per-query overhead was most of an answer's time.
_DECLINED = select(FeedbackEvent.partner_id).where(
    FeedbackEvent.member_id == bindparam("member_id"), FeedbackEvent.event == "declined"
)
_MEMBER_ROW = select(Member.member_id, Member.network_id, Member.deleted_at).where(
    Member.member_id == bindparam("member_id")
)
_LIVE = select(Member.member_id).where(
    Member.member_id.in_(bindparam("ids", expanding=True)), Member.deleted_at.is_(None)
)


def declined_partners(session: Session, member_id: str) -> list[str]:
    """Return the partners `member_id` declined (never suggested again)."""
    return list(core_connection(session).execute(_DECLINED, {"member_id": member_id}).scalars())


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
    options: SuggestionQuery | ProspectRequest,
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
    filters = _filters(options)
    k, pad = options.k, 10
    key = None
    if isinstance(target, str):
        key = (
            served.version_id,
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
            )
        except UnknownMemberError as error:
            abort(404, str(error))
        except InputError as error:
            # Input the engine refused; any other error (a ValueError or KeyError of numpy or
            # pandas) is a failure of the program, answered 500 by the app's handler.
            abort(422, str(error))
        ranked = [_Suggestion(s.to_dict()) for s in found]
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
    session: Session, caller: Caller, member_id: str, options: SuggestionQuery
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
        member = get_member(session, member_id)
        target = parse_profile(
            member.member_id, {k: v for k, v in member.profile.items() if k != "id"}
        )
    return suggest(session, target, options, declined_partners(session, row.member_id))


@bp.get("/members/<member_id>/suggestions", responses={200: SuggestionsOut})
@limiter.limit(lambda: current_app.config["SUGGESTION_RATE_LIMIT"])
def member_suggestions(path: MemberPath, query: SuggestionQuery):
    """Suggest partners for a stored member, best first, with reasons."""
    suggestions = stored_member_suggestions(get_db(), current_caller(), path.member_id, query)
    return _suggestions_response(path.member_id, suggestions)


def _suggestions_response(member_id: str, suggestions: list[dict[str, Any]]) -> Response:
    """The JSON answer, from suggestions encoded once per cached ranking (see `_encoded`)."""
    dumps = current_app.json.dumps
    body = (
        '{"member":'
        + dumps(member_id)
        + ',"suggestions":['
        + ",".join(_encoded(s, dumps) for s in suggestions)
        + "]}\n"
    )
    return Response(body, mimetype="application/json")


class _Suggestion(dict):
    """A ``Suggestion.to_dict()`` that keeps its JSON once encoded (cached answers reuse it)."""

    __slots__ = ("encoded",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoded: str | None = None


def _encoded(suggestion: dict[str, Any], dumps) -> str:
    """Return the JSON of one suggestion, encoding it only the first time."""
    if not isinstance(suggestion, _Suggestion):
        return dumps(suggestion)
    if suggestion.encoded is None:
        suggestion.encoded = dumps(dict(suggestion))
    return suggestion.encoded


@bp.post("/suggestions", responses={200: SuggestionsOut})
@limiter.limit(lambda: current_app.config["SUGGESTION_RATE_LIMIT"])
def prospect_suggestions(body: ProspectRequest):
    """Suggest partners for a profile that is not stored (a prospective member tries it out)."""
    current_caller()
    profile = parse_profile(body.profile.member_id, body.profile.model_dump(exclude={"contact"}))
    session = get_db()
    served = holder().get(session)
    if served is not None and profile.member_id in served.matcher.position_:
        abort(
            409,
            f"Member {profile.member_id} is stored; ask GET /api/v1/members/"
            f"{profile.member_id}/suggestions, or give the prospect another member_id",
        )
    suggestions = suggest(session, profile, body, [])
    return {"member": profile.member_id, "suggestions": suggestions}


def _event_payload(event: FeedbackEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "member_id": event.member_id,
        "partner_id": event.partner_id,
        "event": event.event,
        "note": event.note,
        "created_at": isoformat(event.created_at),
    }


def add_feedback(
    session: Session, caller: Caller, member: Member, partner_id: str, event: str, note: str = ""
) -> FeedbackEvent:
    """Add one feedback event of `member` about `partner_id` (the caller commits).

    The one path of the feedback endpoint and of the outcomes of matchmaking sessions. The
    caller's right to act for `member` is checked by the caller of this function. Aborts naming
    ``partner_id`` with 404 if it is not a live member, 409 if it is the member itself.
    """
    if partner_id == member.member_id:
        # Well-formed, but about the member itself: a conflict with the target, not bad input.
        abort(
            409,
            "a member cannot give feedback on itself",
            [{"field": "partner_id", "value": partner_id, "message": "is the member itself"}],
        )
    partner = session.get(Member, partner_id)
    if partner is None or partner.deleted_at is not None:
        abort(
            404,
            f"partner {partner_id} doesn't exist",
            [{"field": "partner_id", "value": partner_id, "message": "no such member"}],
        )
    row = FeedbackEvent(
        member_id=member.member_id,
        partner_id=partner.member_id,
        event=event,
        note=note,
        user_id=caller.user_id,
    )
    session.add(row)
    return row


@bp.post("/members/<member_id>/feedback", responses={201: FeedbackOut})
def record_feedback(path: MemberPath, body: FeedbackIn):
    """Record what the member did with a suggestion (declined partners disappear at once)."""
    caller = current_caller()
    session = get_db()
    member = get_member(session, path.member_id)
    require_act_for(caller, member)
    event = add_feedback(session, caller, member, body.partner_id, body.event, body.note)
    session.commit()
    return _event_payload(event), 201


@bp.get("/members/<member_id>/feedback", responses={200: FeedbackList})
def list_feedback(path: MemberPath):
    """List the feedback a member gave, newest first."""
    caller = current_caller()
    session = get_db()
    member = get_member(session, path.member_id)
    require_act_for(caller, member)
    events = session.scalars(
        select(FeedbackEvent)
        .where(FeedbackEvent.member_id == member.member_id)
        .order_by(FeedbackEvent.event_id.desc())
    ).all()
    return {"items": [_event_payload(e) for e in events]}
