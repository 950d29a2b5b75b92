"""Suggestions for a stored member or a prospective one, and feedback on them.

Thin views over :mod:`api.services.suggestions` (the served model's ranking, the per-worker
cache) and :mod:`api.services.feedback`; the manager pages show a member's suggestions through
the same service.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag

from .auth import current_caller
from .db import get_db
from .limits import per_token
from .schemas import (
    FeedbackIn,
    FeedbackList,
    FeedbackOut,
    MatchList,
    MemberPath,
    ProspectRequest,
    SuggestionQuery,
    SuggestionsOut,
)
from .services.feedback import add_feedback, feedback_of, member_matches
from .services.members import get_member, parse_profile, require_act_for
from .services.suggestions import (
    stored_member_suggestions,
    suggest_for_prospect,
    suggestion_json,
)
from .tables import FeedbackEvent, isoformat

logger = logging.getLogger(__name__)

SECURITY = [{"bearer": []}]
bp = APIBlueprint(
    "suggestions",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[Tag(name="suggestions")],
    abp_security=SECURITY,
)


@bp.get("/members/<member_id>/suggestions", responses={200: SuggestionsOut})
@per_token(lambda: current_app.config["SUGGESTION_RATE_LIMIT"], "member_suggestions")
def member_suggestions(path: MemberPath, query: SuggestionQuery):
    """Suggest partners for a stored member, best first, with reasons."""
    suggestions = stored_member_suggestions(get_db(), current_caller(), path.member_id, query)
    return _suggestions_response(path.member_id, suggestions)


def _suggestions_response(member_id: str, suggestions: list[dict[str, Any]]) -> Response:
    """The JSON answer, from suggestions encoded once per cached ranking (see
    :func:`api.services.suggestions.suggestion_json`)."""
    dumps = current_app.json.dumps
    body = (
        '{"member":'
        + dumps(member_id)
        + ',"suggestions":['
        + ",".join(suggestion_json(s, dumps) for s in suggestions)
        + "]}\n"
    )
    return Response(body, mimetype="application/json")


@bp.post("/suggestions", responses={200: SuggestionsOut})
@per_token(lambda: current_app.config["SUGGESTION_RATE_LIMIT"], "prospect_suggestions")
def prospect_suggestions(body: ProspectRequest):
    """Suggest partners for a profile that is not stored (a prospective member tries it out)."""
    current_caller()
    profile = parse_profile(body.profile.member_id, body.profile.model_dump(exclude={"contact"}))
    suggestions = suggest_for_prospect(get_db(), profile, body)
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
    return {"items": [_event_payload(e) for e in feedback_of(session, member.member_id)]}


@bp.get("/members/<member_id>/matches", responses={200: MatchList})
def list_matches(path: MemberPath):
    """List what the member did with its partners, newest first: mutual matches, acceptances
    waiting for the other side, partners saved for later or declined, and meetings and deals
    recorded (as the member pages' "My matches" shows them)."""
    caller = current_caller()
    session = get_db()
    member = get_member(session, path.member_id)
    require_act_for(caller, member)
    return {
        "items": [
            {
                "partner_id": m.partner_id,
                "state": m.state,
                "partner_accepted": m.partner_accepted,
                "meeting": m.meeting,
                "deal": m.deal,
                "since": isoformat(m.since),
            }
            for m in member_matches(session, member.member_id)
        ]
    }
