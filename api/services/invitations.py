"""Invitations to the member pages: a member firm signs in without ever handling a token.

A manager of the member's network or an admin (on the member's manager page, or an operator
with ``matcher users invite``) issues an invitation: a one-time code in a link
(``/my/invitation/<code>``). Only the code's SHA-256 is stored. Following the link, the member
chooses a user name and a password (:func:`accept_invitation`), which creates or updates the
member's user (role ``member``) and voids the code.

A code is good for :data:`DEFAULT_DAYS` days (the setting ``MATCHER_INVITATION_DAYS``), once;
issuing a new invitation voids the member's earlier ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.errors import InputError

from ..auth import PASSWORD_MIN_LENGTH, Caller, set_password
from ..tables import Member, MemberInvitation, User, utcnow

#: How long an invitation is good for unless the setting ``MATCHER_INVITATION_DAYS`` says.
DEFAULT_DAYS = 7

#: The path of an invitation's link (the code appended).
LINK_PATH = "/my/invitation/"


class InvitationNotAllowedError(Exception):
    """The caller may not invite this member (only its network's managers and admins may)."""


class InvitationUnknownError(Exception):
    """No invitation has this code (mistyped, or never issued): the page answers 404."""


class AcceptanceError(InputError):
    """A refused user name or password: `field` is ``"name"`` or ``"password"``, `problem` one
    of ``"empty"``, ``"too_long"``, ``"taken"`` (the name) or ``"too_short"`` (the password)."""

    def __init__(self, message: str, field: str, problem: str):
        super().__init__(message)
        self.field = field
        self.problem = problem


class InvitationVoidError(Exception):
    """The invitation was used, replaced by a newer one or has expired: the page answers 410.

    ``reason`` is ``"used"``, ``"replaced"`` or ``"expired"``.
    """

    def __init__(self, reason: str):
        super().__init__(f"the invitation is void ({reason})")
        self.reason = reason


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation: its code (shown only now) and when it expires."""

    member_id: str
    code: str
    expires_at: dt.datetime

    def link(self, base_url: str) -> str:
        """The invitation's link on the service at `base_url` (e.g. ``http://127.0.0.1:8000``)."""
        return base_url.rstrip("/") + LINK_PATH + self.code


def hash_code(code: str) -> str:
    """The SHA-256 (hex) under which an invitation's `code` is stored."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def live_member(session: Session, member_id: str) -> Member:
    """The live member `member_id`; an InputError naming it when it is unknown or withdrawn."""
    member = session.get(Member, member_id)
    if member is None or member.deleted_at is not None:
        raise InputError(f"member {member_id!r} doesn't exist (or was withdrawn)")
    return member


def issue_invitation(
    session: Session, member_id: str, issued_by: Caller | None, days: int = DEFAULT_DAYS
) -> IssuedInvitation:
    """Invite member `member_id` to its pages: a new code good for `days` days; the member's
    earlier invitations are void from now on.

    `issued_by` is the manager or admin who invites (None: an operator at the command line).
    The caller commits.

    Raises
    ------
    InputError
        If the member doesn't exist or was withdrawn, or `days` is not positive.
    InvitationNotAllowedError
        If `issued_by` neither manages the member's network nor is an admin.
    """
    member = live_member(session, member_id)
    if issued_by is not None and not issued_by.manages(member.network_id):
        raise InvitationNotAllowedError(
            f"{issued_by.name} may not invite {member_id}: only the managers of "
            f"{member.network_id} and administrators may"
        )
    if days < 1:
        raise InputError(f"an invitation must be good for at least 1 day; got {days}")
    now = utcnow()
    session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.member_id == member_id,
            MemberInvitation.used_at.is_(None),
            MemberInvitation.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    code = secrets.token_urlsafe(24)
    expires_at = now + dt.timedelta(days=days)
    session.add(
        MemberInvitation(
            member_id=member_id,
            code_hash=hash_code(code),
            issued_by=issued_by.user_id if issued_by is not None else None,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedInvitation(member_id, code, expires_at)


def open_invitation(session: Session, code: str) -> MemberInvitation:
    """The usable invitation with `code`.

    Raises
    ------
    InvitationUnknownError
        If no invitation has this code, or its member is gone (withdrawn or erased).
    InvitationVoidError
        If it was used, replaced or has expired.
    """
    invitation = session.scalar(
        select(MemberInvitation).where(MemberInvitation.code_hash == hash_code(code))
    )
    if invitation is None:
        raise InvitationUnknownError(code)
    member = session.get(Member, invitation.member_id)
    if member is None or member.deleted_at is not None:
        raise InvitationUnknownError(code)
    if invitation.used_at is not None:
        raise InvitationVoidError("used")
    if invitation.voided_at is not None:
        raise InvitationVoidError("replaced")
    if _aware(invitation.expires_at) <= utcnow():
        raise InvitationVoidError("expired")
    return invitation


def member_user(session: Session, member_id: str) -> User | None:
    """The user who acts for `member_id` (the first created, if several), or None."""
    return session.scalar(
        select(User)
        .where(User.member_id == member_id, User.role == "member")
        .order_by(User.user_id)
        .limit(1)
    )


def suggested_name(session: Session, invitation: MemberInvitation) -> str:
    """The user name the invitation page offers: the member's user's, else the member id."""
    user = member_user(session, invitation.member_id)
    return user.name if user is not None else invitation.member_id


def accept_invitation(session: Session, code: str, name: str, password: str) -> User:
    """Use the invitation `code`: the member's user gets the name `name` and the password
    `password` (created, role ``member``, when the member has none), and the code is void.

    The caller commits (and signs the user in).

    Raises
    ------
    InvitationUnknownError, InvitationVoidError
        As :func:`open_invitation`.
    AcceptanceError
        If the name is empty, too long or another user's, or the password is too short
        (:data:`api.auth.PASSWORD_MIN_LENGTH`).
    """
    invitation = open_invitation(session, code)
    name = name.strip()
    if not name:
        raise AcceptanceError("the user name is empty; choose one", "name", "empty")
    if len(name) > 200:
        raise AcceptanceError(
            f"the user name has {len(name)} characters; use at most 200", "name", "too_long"
        )
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AcceptanceError(
            f"the password has {len(password)} characters; use at least {PASSWORD_MIN_LENGTH}",
            "password",
            "too_short",
        )
    user = member_user(session, invitation.member_id)
    holder = session.scalar(select(User).where(User.name == name))
    if holder is not None and holder is not user:
        raise AcceptanceError(
            f"a user named {name!r} already exists; choose another name", "name", "taken"
        )
    if user is None:
        user = User(name=name, role="member", member_id=invitation.member_id)
        session.add(user)
    user.name = name
    set_password(user, password)
    # Claimed only if still unused and not replaced: of two requests with the same code at
    # once, the second's update waits for the first's commit and then matches no row.
    claimed = session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.code_hash == invitation.code_hash,
            MemberInvitation.used_at.is_(None),
            MemberInvitation.voided_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if claimed != 1:
        raise InvitationVoidError("used")
    session.flush()
    return user


def open_invitation_of(session: Session, member_id: str) -> MemberInvitation | None:
    """The member's invitation that can still be used (at most one), or None."""
    invitation = session.scalar(
        select(MemberInvitation)
        .where(
            MemberInvitation.member_id == member_id,
            MemberInvitation.used_at.is_(None),
            MemberInvitation.voided_at.is_(None),
        )
        .order_by(MemberInvitation.invitation_id.desc())
        .limit(1)
    )
    if invitation is None or _aware(invitation.expires_at) <= utcnow():
        return None
    return invitation
