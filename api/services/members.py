"""Members: their profiles as the API gives and takes them, who may act for them, and their
stored revisions.

A member's row holds its public profile (the engine's :class:`matcher.profiles.Profile`, as a
record) beside its private contacts. Every stored change of the profile, the contacts or the
withdrawal counts one ``revision``: :func:`store_profile` (a create, an import, a revival)
counts it in SQL, and :func:`save_member` writes a change only if the row is still at the
revision it was based on (compare-and-set in the database, so it holds between the service's
processes). How a caller names that revision (``If-Match``, ``?revision=``) is the API's
business (:mod:`api.members`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matcher.profiles import Profile, ProfileValidationError

from ..auth import Caller
from ..errors import abort
from ..tables import Member, Network
from .feedback import mutual_partners

#: Profile fields the engine derives (the gradation): given back, never taken.
_GRADATION = ("market_presence_derived", "potential", "potential_tier")


# ---------------------------------------------------------------------------------------------
# Reading and access
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


def may_see_contacts(session: Session, caller: Caller, member: Member) -> bool:
    """Whether `caller` sees the contacts of `member`: those who may act for it, and the
    other side of a mutual match (both sides' latest answer is ``accepted``,
    :func:`api.services.feedback.mutual_partners`). The one rule of the API and the pages."""
    return may_act_for(caller, member) or (
        caller.member_id is not None
        and member.member_id in mutual_partners(session, caller.member_id)
    )


def live_members_page(
    session: Session,
    network: str | None = None,
    org_type: str | None = None,
    country: str | None = None,
    capability: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Member], int]:
    """Return one page of the live members (by id) that match every filter given, and how many
    match in all.

    The filters are the taxonomy's ids and ISO codes exactly (the API's query model enumerates
    them); a network nobody belongs to matches no member. `capability` is one offered tag.
    """
    where = [Member.deleted_at.is_(None)]
    if network:
        where.append(Member.network_id == network)
    if org_type:
        where.append(Member.org_type == org_type)
    if country:
        where.append(Member.country == country)
    if capability:
        where.append(Member.offers_text.contains(f";{capability};", autoescape=True))
    total = session.scalar(select(func.count()).select_from(Member).where(*where))
    rows = session.scalars(
        select(Member)
        .where(*where)
        .order_by(Member.member_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


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


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------


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


def stored_profile(member: Member) -> Profile:
    """The profile of the stored `member`, validated again as the engine reads it."""
    return parse_profile(member.member_id, {k: v for k, v in member.profile.items() if k != "id"})


def profile_values(
    session: Session, profile: Profile, contact: dict[str, Any] | None
) -> dict[str, Any]:
    """The member row's columns for `profile` (live), and its contacts when `contact` is given.

    Adds the profile's network when it is new (flushed, so that the row may name it).
    """
    if session.get(Network, profile.network) is None:
        # Unnamed: it is called by its slug as words until it is named (services.networks).
        session.add(Network(network_id=profile.network, name="", name_uk=""))
        session.flush()
    return member_columns(profile, contact)


def member_columns(profile: Profile, contact: dict[str, Any] | None) -> dict[str, Any]:
    """The member row's columns for `profile` (live), and its contacts when `contact` is given:
    :func:`profile_values` without the network's row (an import adds all its networks at once).
    """
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


def add_member(
    session: Session, caller: Caller, fields: dict[str, Any], contact: dict[str, Any]
) -> Member:
    """Store a new member from its API `fields` and `contact` (the caller commits); a withdrawn
    member of the same id comes back with them.

    Aborts with 403 unless `caller` manages the member's network, 409 if a live member has the
    id; raises ProfileValidationError for a profile the engine refuses.
    """
    network, member_id = fields["network"], fields["member_id"]
    if not caller.manages(network):
        abort(403, f"only a manager of network {network!r} or an admin may add its members")
    existing = session.get(Member, member_id)
    if existing is not None and existing.deleted_at is None:
        abort(409, f"Member {member_id} already exists; update it with PATCH.")
    return store_profile(session, parse_profile(member_id, fields), contact, existing)


# ---------------------------------------------------------------------------------------------
# Changes by compare-and-set
# ---------------------------------------------------------------------------------------------


def changed_values(
    session: Session, caller: Caller, member: Member, changes: dict[str, Any]
) -> dict[str, Any]:
    """The row's columns once `changes` (the fields of a PATCH, ``contact`` included) apply to
    `member` as read.

    Aborts with 403 when the change moves the member to a network `caller` does not manage, and
    with 409 when the stored profile with these changes is one the engine refuses (left with no
    tag offered or sought and no description): a conflict with the member as it is.
    """
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
        # changes, a conflict with the member as it is.
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


#: How often a change without a precondition is read and tried again when other changes of the
#: same member come first (each round one of them is saved, so this bounds a burst, not a wait).
WRITE_ATTEMPTS = 8


def change_member(
    session: Session,
    caller: Caller,
    member_id: str,
    changes: dict[str, Any],
    is_current: Callable[[Member], bool],
) -> tuple[Member, bool]:
    """Apply `changes` (the fields of a PATCH) to the live member `member_id` for `caller` and
    commit; return the member and whether the change applied.

    The one path of the API's PATCH and the member's profile page. ``(member, False)`` means
    `is_current` refused the member as read (the caller's revision is stale): nothing changed,
    and the caller shows the current member. A change that changes nothing counts no revision.
    Aborts with 404, 403 (see :func:`require_act_for`, :func:`changed_values`), 409 for a
    profile the engine refuses, and 409 when other changes were saved in between every try.
    """
    for _attempt in range(WRITE_ATTEMPTS):
        member = get_member(session, member_id)
        require_act_for(caller, member)
        if not is_current(member):
            return member, False
        values = changed_values(session, caller, member, changes)
        if all(getattr(member, key) == value for key, value in values.items()):
            # Nothing to change: no new revision, as for an unchanged import row.
            return member, True
        if save_member(session, member.member_id, values, member.revision):
            session.commit()
            session.refresh(member)
            return member, True
        # Another change was saved since this one read the member: read it again. A caller
        # that named its revision is then refused above; one that did not gets its fields
        # applied to the newer version.
        session.rollback()
    abort(
        409,
        f"member {member_id} was changed by other requests each time this change was "
        "tried; nothing was changed, retry",
    )
