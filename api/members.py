"""Members: list, get, create, update, withdraw or erase; public profile vs private contacts.

Optimistic concurrency, as the matchmaking sessions have it (:mod:`api.session_store`): every
stored change of a member's profile, contacts or withdrawal counts one ``revision`` (an edit,
an import that changes the row, a withdrawal, a revival). A member's JSON carries it and its
``ETag`` header names it (``"3"``). A change names the revision it was based on, as
``If-Match: "3"`` (a stale one: 412) or ``?revision=3`` (the sessions' parameter; stale: 409),
and the refusal carries the current revision and member, so that the caller can merge and
retry. The check is a compare-and-set in the database (``UPDATE ... WHERE revision = :read``),
so it holds between the service's processes, not only within one.

As with the sessions, naming the revision is optional: a change without it applies to the
member as it is at that moment. It is still written by compare-and-set and read again when
another change came first, so two edits of different fields never undo each other; only the
fields it sends replace what another edit wrote meanwhile.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.http import parse_etags, quote_etag

from matcher.profiles import Profile, ProfileValidationError

from .auth import Caller, current_caller
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
from .serving import ANSWER_EVENTS, is_mutual, latest_answers, retrain_after_erasure
from .tables import FeedbackEvent, KnownLink, Member, Network, User, utcnow

logger = logging.getLogger(__name__)

SECURITY = [{"bearer": []}]
bp = APIBlueprint(
    "members",
    __name__,
    url_prefix="/api/v1/members",
    abp_tags=[Tag(name="members")],
    abp_security=SECURITY,
)

_GRADATION = ("market_presence_derived", "potential", "potential_tier")
#: How often a change without a precondition is read and tried again when other changes of the
#: same member come first (each round one of them is saved, so this bounds a burst, not a wait).
WRITE_ATTEMPTS = 8


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
# Helpers shared by the other blueprints
# ---------------------------------------------------------------------------------------------


def get_member(session: Session, member_id: str) -> Member:
    """Return the live member `member_id`; aborts with 404 if it doesn't exist (or is withdrawn)."""
    member = session.get(Member, member_id)
    if member is None or member.deleted_at is not None:
        abort(404, f"Member {member_id} doesn't exist.")
    return member


def may_act_for(caller: Caller, member: Member) -> bool:
    """Whether `caller` may act for `member`: itself, its network's manager, or an admin."""
    return caller.member_id == member.member_id or caller.manages(member.network_id)


def require_act_for(caller: Caller, member: Member) -> None:
    """Abort with 403 unless `caller` may act for `member`."""
    if not may_act_for(caller, member):
        abort(403, f"you may not act for member {member.member_id}")


def mutual_partners(session: Session, member_id: str) -> set[str]:
    """Return the members with whom `member_id` has a mutual match (see
    :func:`api.serving.is_mutual`). One side's acceptance opens nothing: contacts are shown,
    and a partnership learnt, only when both have accepted."""
    rows = session.execute(
        select(FeedbackEvent.member_id, FeedbackEvent.partner_id, FeedbackEvent.event)
        .where(
            FeedbackEvent.event.in_(ANSWER_EVENTS),
            or_(FeedbackEvent.member_id == member_id, FeedbackEvent.partner_id == member_id),
        )
        .order_by(FeedbackEvent.created_at, FeedbackEvent.event_id)
    )
    answers = latest_answers(rows)
    return {
        partner
        for source, partner in answers
        if source == member_id and is_mutual(answers, member_id, partner)
    }


def member_payload(member: Member, show_contact: bool) -> dict[str, Any]:
    """Return the JSON of `member`: the public profile and revision, plus ``contact`` if
    `show_contact`."""
    record = dict(member.profile)
    record.pop("id", None)
    payload = {"member_id": member.member_id, **record, "revision": member.revision}
    payload["contact"] = (
        {
            "person": member.contact_person,
            "email": member.contact_email,
            "phone": member.contact_phone,
        }
        if show_contact
        else None
    )
    return payload


def parse_profile(member_id: str, fields: dict[str, Any]) -> Profile:
    """Validate a profile given as API fields (lists as lists); raises ProfileValidationError."""
    record: dict[str, Any] = {"id": member_id}
    for key, value in fields.items():
        if key in _GRADATION or key in ("contact", "member_id"):
            continue
        record[key] = (
            ";".join(value) if isinstance(value, list) else "" if value is None else str(value)
        )
    return Profile.parse(record)


def profile_values(
    session: Session, profile: Profile, contact: dict[str, Any] | None
) -> dict[str, Any]:
    """The member row's columns for `profile` (live), and its contacts when `contact` is given.

    Adds the profile's network when it is new (flushed, so that the row may name it).
    """
    if session.get(Network, profile.network) is None:
        session.add(Network(network_id=profile.network, name=profile.network))
        session.flush()
    record = profile.to_record()
    if profile.market_presence_derived:
        record["market_presence"] = profile.market_presence
    values: dict[str, Any] = {
        "name": profile.name,
        "network_id": profile.network,
        "country": profile.country,
        "org_type": profile.org_type,
        "offers_text": ";" + ";".join(profile.offers) + ";",
        "profile": record,
        "deleted_at": None,
    }
    if contact is not None:
        values["contact_person"] = contact.get("person")
        values["contact_email"] = contact.get("email")
        values["contact_phone"] = contact.get("phone")
    return values


def store_profile(
    session: Session, profile: Profile, contact: dict[str, Any] | None, member: Member | None = None
) -> Member:
    """Insert or update the row of `profile` (and its network); return the row.

    An existing row that this changes (a revival included) counts one more revision, as
    ``revision = revision + 1`` in SQL: a change made meanwhile by another process is counted
    too, so an ETag read before either no longer matches. A row written unchanged keeps its
    revision (importing the same file twice changes nothing).
    """
    values = profile_values(session, profile, contact)
    if member is None:
        member = Member(member_id=profile.member_id, **values)
        session.add(member)
        return member
    for key, value in values.items():
        setattr(member, key, value)
    if session.is_modified(member):
        member.revision = Member.revision + 1
    return member


def save_member(
    session: Session, member_id: str, values: dict[str, Any], revision: int | None
) -> bool:
    """Write `values` to the live member `member_id` and count a revision, if it is still at
    `revision` (None: at any); return whether it was (the caller commits or rolls back).

    The compare-and-set is the database's (``UPDATE ... WHERE revision = :read``): of two
    changes based on one revision, in whatever processes, one matches the row and the other
    matches nothing, even when both read before either wrote.
    """
    where = [Member.member_id == member_id, Member.deleted_at.is_(None)]
    if revision is not None:
        where.append(Member.revision == revision)
    result = session.execute(
        update(Member)
        .where(*where)
        .values(**values, revision=Member.revision + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


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


def erase_member(session: Session, member_id: str) -> None:
    """Erase every row about `member_id` (links, feedback, its part in matchmaking sessions,
    the member); users keep no link."""
    from .session_store import withdraw_from_sessions

    withdraw_from_sessions(session, member_id, erased=True)
    session.execute(
        delete(KnownLink).where(
            or_(KnownLink.source_id == member_id, KnownLink.target_id == member_id)
        )
    )
    session.execute(
        delete(FeedbackEvent).where(
            or_(FeedbackEvent.member_id == member_id, FeedbackEvent.partner_id == member_id)
        )
    )
    for user in session.scalars(select(User).where(User.member_id == member_id)):
        user.member_id = None
    session.execute(delete(Member).where(Member.member_id == member_id))


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


@bp.get("", responses={200: MemberPage})
def list_members(query: MemberQuery):
    """List members (public profiles; contacts where the caller may see them)."""
    caller = current_caller()
    session = get_db()
    # The filters are the taxonomy's ids and ISO codes exactly (the query model's enumerations,
    # as the document lists them); a network nobody belongs to matches no member.
    where = [Member.deleted_at.is_(None)]
    if query.network:
        where.append(Member.network_id == query.network)
    if query.org_type:
        where.append(Member.org_type == query.org_type.value)
    if query.country:
        where.append(Member.country == query.country.value)
    if query.capability:
        where.append(Member.offers_text.contains(f";{query.capability.value};", autoescape=True))
    total = session.scalar(select(func.count()).select_from(Member).where(*where))
    rows = session.scalars(
        select(Member)
        .where(*where)
        .order_by(Member.member_id)
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).all()
    partners = mutual_partners(session, caller.member_id) if caller.member_id else set()
    items = [member_payload(m, may_act_for(caller, m) or m.member_id in partners) for m in rows]
    return {"items": items, "page": query.page, "per_page": query.per_page, "total": total}


@bp.post("", responses={201: MemberOut})
def create_member(body: MemberCreate):
    """Create a member (a manager of its network, or an admin)."""
    caller = current_caller()
    if not caller.manages(body.network):
        abort(403, f"only a manager of network {body.network!r} or an admin may add its members")
    session = get_db()
    existing = session.get(Member, body.member_id)
    if existing is not None and existing.deleted_at is None:
        abort(409, f"Member {body.member_id} already exists; update it with PATCH.")
    profile = parse_profile(body.member_id, body.model_dump(exclude={"contact"}))
    contact = body.contact.model_dump() if body.contact else {}
    member = store_profile(session, profile, contact, existing)
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
    show = may_act_for(caller, member) or (
        caller.member_id is not None
        and member.member_id in mutual_partners(session, caller.member_id)
    )
    return member_payload(member, show), 200, {"ETag": etag(member)}


def _changed_values(
    session: Session, caller: Caller, member: Member, changes: dict[str, Any]
) -> dict[str, Any]:
    """The row's columns once `changes` (a PATCH body) apply to `member` as read."""
    changes = dict(changes)
    if (
        "network" in changes
        and changes["network"] != member.network_id
        and not caller.manages(changes["network"])
    ):
        abort(
            403,
            f"only a manager of network {changes['network']!r} or an admin may move members there",
        )
    contact = changes.pop("contact", None)
    fields = {k: v for k, v in member.profile.items() if k != "id"}
    if member.profile.get("market_presence_derived") and "market_presence" not in changes:
        fields["market_presence"] = ""
    fields.update({k: v for k, v in changes.items() if v is not None})
    try:
        profile = parse_profile(member.member_id, fields)
    except ProfileValidationError as error:
        # The body passed its schema: what the engine refuses is the stored profile with these
        # changes (left with no tag offered or sought and no description), a conflict with the
        # member as it is.
        abort(
            409,
            f"member {member.member_id} with this change: "
            + "; ".join(p.message for p in error.problems)
            + "; nothing was changed",
            [
                {"field": p.column, "message": p.message, "value": p.as_dict()["value"]}
                for p in error.problems
            ],
        )
    if contact is not None:
        contact = {
            "person": member.contact_person,
            "email": member.contact_email,
            "phone": member.contact_phone,
            **contact,
        }
    return profile_values(session, profile, contact)


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
    for _ in range(WRITE_ATTEMPTS):
        member = get_member(session, path.member_id)
        require_act_for(caller, member)
        failed = failed_precondition(member, conditions)
        if failed is not None:
            return stale_response(member, failed)
        values = _changed_values(session, caller, member, changes)
        if all(getattr(member, key) == value for key, value in values.items()):
            # Nothing to change: no new revision, as for an unchanged import row.
            return member_payload(member, True), 200, {"ETag": etag(member)}
        if save_member(session, member.member_id, values, member.revision):
            session.commit()
            session.refresh(member)
            return member_payload(member, True), 200, {"ETag": etag(member)}
        # Another change was saved since this one read the member: read it again. A caller
        # that named its revision is then refused above; one that did not gets its fields
        # applied to the newer version.
        session.rollback()
        logger.debug("member %s changed meanwhile: reading it again", path.member_id)
    abort(
        409,
        f"member {path.member_id} was changed by other requests each time this change was "
        "tried; nothing was changed, retry",
    )


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
    if query.erase:
        erase_member(session, member.member_id)
    elif not save_member(
        session,
        member.member_id,
        {"deleted_at": utcnow()},
        member.revision if conditions else None,
    ):
        # Changed since it was read: withdrawn or erased (404), or at a newer revision.
        session.rollback()
        member = get_member(session, path.member_id)
        failed = failed_precondition(member, conditions)
        if failed is not None:
            return stale_response(member, failed)
        abort(409, f"member {path.member_id} changed while it was withdrawn; retry")
    if not query.erase:
        from .session_store import withdraw_from_sessions

        # It leaves its matchmaking sessions in the same transaction (erase_member does too).
        withdraw_from_sessions(session, member.member_id, erased=False)
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
