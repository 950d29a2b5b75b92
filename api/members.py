"""Members: list, get, create, update, withdraw or erase; public profile vs private contacts.

Optimistic concurrency, as the matchmaking sessions have it (:mod:`api.services.sessions`):
every stored change of a member's profile, contacts or withdrawal counts one ``revision`` (an
edit, an import that changes the row, a withdrawal, a revival). A member's JSON carries it and its
``ETag`` header names it (``"3"``). A change names the revision it was based on, as
``If-Match: "3"`` (a stale one: 412) or ``?revision=3`` (the sessions' parameter; stale: 409),
and the refusal carries the current revision and member, so that the caller can merge and
retry. The check is a compare-and-set in the database (``UPDATE ... WHERE revision = :read``),
so it holds between the service's processes, not only within one.

As with the sessions, naming the revision is optional: a change without it applies to the
member as it is at that moment. It is still written by compare-and-set and read again when
another change came first, so two edits of different fields never undo each other; only the
fields it sends replace what another edit wrote meanwhile.

The views parse the request, call :mod:`api.services.members` (profiles, access, the
compare-and-set), :mod:`api.services.feedback` (mutual matches open contacts) and
:mod:`api.services.erasure`, and answer; the preconditions and ETags, HTTP's part, are here.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from werkzeug.http import parse_etags, quote_etag

from .auth import current_caller
from .db import get_db
from .errors import PROBLEM_MIME, abort, problem_response, problem_responses_doc
from .schemas import (
    DeleteQuery,
    MemberCreate,
    MemberIfMatch,
    MemberOut,
    MemberPage,
    MemberPath,
    MemberQuery,
    MemberRevisionQuery,
    MemberUpdate,
)
from .services.erasure import erase_member, withdraw_member
from .services.feedback import mutual_partners
from .services.members import (
    add_member,
    change_member,
    get_member,
    live_members_page,
    may_act_for,
    may_see_contacts,
    member_payload,
    require_act_for,
)
from .services.serving import retrain_after_erasure
from .tables import Member

logger = logging.getLogger(__name__)

SECURITY = [{"bearer": []}]
bp = APIBlueprint(
    "members",
    __name__,
    url_prefix="/api/v1/members",
    abp_tags=[Tag(name="members")],
    abp_security=SECURITY,
)


def _stale_doc() -> dict[str, Any]:
    """The OpenAPI response of a change refused by If-Match (412): problem details with the
    current revision and member, and the current ETag. (A refusal by ``revision`` is a 409 of
    the same shape; the document's 409 is the generic problem, which allows these members.)"""
    doc = copy.deepcopy(problem_responses_doc()["409"])
    schema = doc["content"][PROBLEM_MIME]["schema"]
    schema["properties"]["revision"] = {
        "type": "integer",
        "description": "The member's current revision.",
    }
    schema["properties"]["member"] = {"$ref": "#/components/schemas/MemberOut"}
    doc["description"] = (
        "The member changed since the revision that If-Match names; nothing was changed. The "
        "current revision and member come with it."
    )
    doc["headers"] = {
        "ETag": {"description": "The member's current revision.", "schema": {"type": "string"}}
    }
    return doc


STALE_DOC = _stale_doc()


# ---------------------------------------------------------------------------------------------
# Preconditions and ETags
# ---------------------------------------------------------------------------------------------


def etag(member: Member) -> str:
    """The member's ETag: its revision, as a strong entity tag (``"3"``)."""
    return quote_etag(str(member.revision))


@dataclass(frozen=True)
class Precondition:
    """The version a change says it was based on: ``If-Match`` or ``?revision=``."""

    #: How the caller named it (``If-Match`` or ``revision``), to name it in the refusal.
    field: str
    #: What the caller sent.
    value: str | int
    #: The answer when it does not match: 412 for HTTP's If-Match, 409 for the sessions'
    #: ``revision`` parameter.
    status: int
    #: The revisions it accepts, as strong entity tags; None for ``*`` (any live version).
    tags: frozenset[str] | None

    def accepts(self, revision: int) -> bool:
        """Whether a member at `revision` is the version the caller read."""
        return self.tags is None or str(revision) in self.tags


def preconditions(if_match: str | None, revision: int | None) -> list[Precondition]:
    """The preconditions of a change: its ``If-Match`` header and ``revision`` parameter.

    If-Match compares strongly (RFC 9110): a weak tag (``W/"3"``) never matches.
    """
    found = []
    if if_match is not None and if_match.strip():
        etags = parse_etags(if_match)
        tags = None if etags.star_tag else frozenset(etags.as_set())
        found.append(Precondition("If-Match", if_match, 412, tags))
    if revision is not None:
        found.append(Precondition("revision", revision, 409, frozenset({str(revision)})))
    return found


def failed_precondition(member: Member, conditions: list[Precondition]) -> Precondition | None:
    """The first of `conditions` that `member` (as read) does not meet, if any."""
    return next((c for c in conditions if not c.accepts(member.revision)), None)


def stale_response(member: Member, failed: Precondition) -> Response:
    """The refusal of a change based on another revision: problem details naming the current
    revision, with the current member (its contacts included: only those who may change it get
    here) and its ETag, so that the caller can merge its change and retry."""
    response = problem_response(
        failed.status,
        f"member {member.member_id} is at revision {member.revision}, not the one you read "
        f"({failed.field}: {failed.value}): it was changed since; nothing was changed, reload "
        "it and retry",
        [
            {
                "field": failed.field,
                "value": failed.value,
                "message": f"the member is at revision {member.revision}",
            }
        ],
        headers={"ETag": etag(member)},
    )
    # Extension members of the problem (RFC 9457 section 3.2): the current version.
    body = json.loads(response.get_data())
    body["revision"] = member.revision
    body["member"] = member_payload(member, True)
    response.set_data(json.dumps(body, ensure_ascii=False, default=str))
    return response


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


@bp.get("", responses={200: MemberPage})
def list_members(query: MemberQuery):
    """List members (public profiles; contacts where the caller may see them)."""
    caller = current_caller()
    session = get_db()
    # The filters are the taxonomy's ids and ISO codes exactly (the query model's enumerations,
    # as the document lists them).
    rows, total = live_members_page(
        session,
        network=query.network,
        org_type=query.org_type.value if query.org_type else None,
        country=query.country.value if query.country else None,
        capability=query.capability.value if query.capability else None,
        page=query.page,
        per_page=query.per_page,
    )
    partners = mutual_partners(session, caller.member_id) if caller.member_id else set()
    items = [member_payload(m, may_act_for(caller, m) or m.member_id in partners) for m in rows]
    return {"items": items, "page": query.page, "per_page": query.per_page, "total": total}


@bp.post("", responses={201: MemberOut})
def create_member(body: MemberCreate):
    """Create a member (a manager of its network, or an admin)."""
    caller = current_caller()
    session = get_db()
    contact = body.contact.model_dump() if body.contact else {}
    member = add_member(session, caller, body.model_dump(exclude={"contact"}), contact)
    session.commit()
    logger.info("member %s created by user %s", member.member_id, caller.user_id)
    return member_payload(member, True), 201, {"ETag": etag(member)}


@bp.get("/<member_id>", responses={200: MemberOut})
def get_member_view(path: MemberPath):
    """Return a member's profile (contacts to itself, its managers and its mutual matches),
    with its revision as the ETag."""
    caller = current_caller()
    session = get_db()
    member = get_member(session, path.member_id)
    show = may_see_contacts(session, caller, member)
    return member_payload(member, show), 200, {"ETag": etag(member)}


@bp.patch("/<member_id>", responses={200: MemberOut, 412: STALE_DOC})
def update_member(
    path: MemberPath, query: MemberRevisionQuery, header: MemberIfMatch, body: MemberUpdate
):
    """Change some fields of a member (the member itself, its manager or an admin).

    Name the revision you read, as ``If-Match`` (the ETag of the GET) or ``?revision=``: if
    the member changed since, the change is refused (412, or 409 for ``revision``) with the
    current revision and member, and nothing changes. Without either, the change applies to
    the member as it is then: the fields you send replace the stored ones, the others stay.
    The answer's ETag names the new revision.
    """
    caller = current_caller()
    session = get_db()
    conditions = preconditions(header.if_match, query.revision)
    changes = body.model_dump(exclude_unset=True)
    member, applied = change_member(
        session,
        caller,
        path.member_id,
        changes,
        lambda read: failed_precondition(read, conditions) is None,
    )
    if not applied:
        return stale_response(member, failed_precondition(member, conditions))
    return member_payload(member, True), 200, {"ETag": etag(member)}


@bp.delete("/<member_id>", responses={204: None, 412: STALE_DOC})
def delete_member(path: MemberPath, query: DeleteQuery, header: MemberIfMatch):
    """Withdraw a member (gone from lists and suggestions at once) or, with erase=true, erase it.

    As a change, it may name the revision you read (``If-Match`` or ``revision``): a stale one
    is refused with 412 (409) and the current member. A withdrawal counts a revision.
    """
    caller = current_caller()
    session = get_db()
    if query.erase:
        # A withdrawn member's data are kept until it is erased: erasure must still reach it.
        member = session.get(Member, path.member_id)
        if member is None:
            abort(404, f"Member {path.member_id} doesn't exist.")
    else:
        member = get_member(session, path.member_id)
    require_act_for(caller, member)
    conditions = preconditions(header.if_match, query.revision)
    failed = failed_precondition(member, conditions)
    if failed is not None:
        return stale_response(member, failed)
    # Either way it leaves its matchmaking sessions in the same transaction.
    if query.erase:
        erase_member(session, member.member_id)
    elif not withdraw_member(session, member.member_id, member.revision if conditions else None):
        # Changed since it was read: withdrawn or erased (404), or at a newer revision.
        session.rollback()
        member = get_member(session, path.member_id)
        failed = failed_precondition(member, conditions)
        if failed is not None:
            return stale_response(member, failed)
        abort(409, f"member {path.member_id} changed while it was withdrawn; retry")
    session.commit()
    if query.erase:
        # Trained artifacts hold the erased profile: replace them all.
        retrain_after_erasure(current_app._get_current_object(), caller.user_id)
    logger.info(
        "member %s %s by user %s",
        path.member_id,
        "erased" if query.erase else "withdrawn",
        caller.user_id,
    )
    return Response(status=204)
