"""Members: list, get, create, update, withdraw or erase; public profile vs private contacts."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from matcher.filters import resolve_filters
from matcher.profiles import Profile

from .auth import Caller, current_caller
from .db import get_db
from .errors import abort
from .schemas import (
    DeleteQuery,
    MemberCreate,
    MemberOut,
    MemberPage,
    MemberPath,
    MemberQuery,
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
    """Return the JSON of `member`: the public profile, plus ``contact`` if `show_contact`."""
    record = dict(member.profile)
    record.pop("id", None)
    payload = {"member_id": member.member_id, **record}
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


def store_profile(
    session: Session, profile: Profile, contact: dict[str, Any] | None, member: Member | None = None
) -> Member:
    """Insert or update the row of `profile` (and its network); return the row."""
    if session.get(Network, profile.network) is None:
        session.add(Network(network_id=profile.network, name=profile.network))
        session.flush()
    record = profile.to_record()
    if profile.market_presence_derived:
        record["market_presence"] = profile.market_presence
    if member is None:
        member = Member(member_id=profile.member_id)
        session.add(member)
    member.name, member.network_id = profile.name, profile.network
    member.country, member.org_type = profile.country, profile.org_type
    member.offers_text = ";" + ";".join(profile.offers) + ";"
    member.profile = record
    member.deleted_at = None
    if contact is not None:
        member.contact_person = contact.get("person")
        member.contact_email = contact.get("email")
        member.contact_phone = contact.get("phone")
    return member


def erase_member(session: Session, member_id: str) -> None:
    """Erase every row about `member_id` (links, feedback, its part in matchmaking sessions,
    the member); users keep no link."""
    from .session_store import erase_participant

    erase_participant(session, member_id)
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
    # The values a partner filter takes, checked as everywhere (FilterError: 422 naming them).
    filters = resolve_filters({"country": query.country, "org_type": query.org_type})
    where = [Member.deleted_at.is_(None)]
    if query.network:
        where.append(Member.network_id == query.network)
    if "org_type" in filters:
        where.append(Member.org_type == filters["org_type"][0])
    if "country" in filters:
        where.append(Member.country == filters["country"][0])
    if query.capability:
        where.append(Member.offers_text.contains(f";{query.capability};", autoescape=True))
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
    return member_payload(member, True), 201


@bp.get("/<member_id>", responses={200: MemberOut})
def get_member_view(path: MemberPath):
    """Return a member's profile (contacts to itself, its managers and its mutual matches)."""
    caller = current_caller()
    session = get_db()
    member = get_member(session, path.member_id)
    show = may_act_for(caller, member) or (
        caller.member_id is not None
        and member.member_id in mutual_partners(session, caller.member_id)
    )
    return member_payload(member, show)


@bp.patch("/<member_id>", responses={200: MemberOut})
def update_member(path: MemberPath, body: MemberUpdate):
    """Change some fields of a member (the member itself, its manager or an admin)."""
    caller = current_caller()
    session = get_db()
    member = get_member(session, path.member_id)
    require_act_for(caller, member)
    changes = body.model_dump(exclude_unset=True)
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
    profile = parse_profile(member.member_id, fields)
    if contact is not None:
        contact = {
            "person": member.contact_person,
            "email": member.contact_email,
            "phone": member.contact_phone,
            **contact,
        }
    store_profile(session, profile, contact, member)
    session.commit()
    return member_payload(member, True)


@bp.delete("/<member_id>", responses={204: None})
def delete_member(path: MemberPath, query: DeleteQuery):
    """Withdraw a member (gone from lists and suggestions at once) or, with erase=true, erase it."""
    caller = current_caller()
    session = get_db()
    member = get_member(session, path.member_id)
    require_act_for(caller, member)
    if query.erase:
        erase_member(session, member.member_id)
    else:
        member.deleted_at = utcnow()
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
