"""Bearer tokens, page passwords and roles.

Tokens are random, shown once, and stored only as their SHA-256. Roles: ``member`` (its own
profile, suggestions and feedback), ``manager`` (the members of its network, imports, models),
``admin`` (everything, users and tokens). Managers and admins may also have a password for the
manager pages, stored as werkzeug's salted hash.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import g, request
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from matcher.errors import InputError

from .errors import abort
from .tables import ROLES, ApiToken, Member, User, utcnow


class UserNameTakenError(InputError):
    """A user of that name already exists (the service answers 409)."""


class LastAdminError(InputError):
    """Revoking this admin would leave the service with no active admin (no other admin with a
    live token or a password)."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: the user's id, name, role, member and network."""

    user_id: int
    name: str
    role: str
    member_id: str | None
    network_id: str | None

    def manages(self, network_id: str) -> bool:
        """Whether the caller may manage members of `network_id`."""
        return self.role == "admin" or (self.role == "manager" and self.network_id == network_id)


def hash_token(token: str) -> str:
    """Return the SHA-256 (hex) under which `token` is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    name: str,
    role: str,
    member_id: str | None = None,
    network_id: str | None = None,
) -> tuple[User, str]:
    """Create a user with a first token; return the user and the token (shown only now).

    Raises
    ------
    UserNameTakenError
        If the name is taken (an :class:`~matcher.errors.InputError`).
    InputError
        If the role is unknown, or a member role lacks its member.
    """
    if role not in ROLES:
        raise InputError(f"Got role={role!r}, expected one of {', '.join(ROLES)}")
    if role == "member" and not member_id:
        raise InputError("a user with role 'member' needs --member (the member's id)")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise UserNameTakenError(f"a user named {name!r} already exists")
    user = User(name=name, role=role, member_id=member_id, network_id=network_id)
    session.add(user)
    session.flush()
    return user, issue_token(session, user)


def issue_token(session: Session, user: User) -> str:
    """Create a new token for `user`; return it (only its hash is stored)."""
    token = "kfc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.user_id, token_hash=hash_token(token)))
    return token


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every live token of `user`, and its password; return how many tokens.

    The password goes too: a revoked user keeps no way into the manager pages (their sessions
    end at the next request, see :mod:`api.web.login`).
    """
    if user.role == "admin" and not other_active_admins(session, user):
        raise LastAdminError(
            f"{user.name!r} is the last active admin: revoking it would leave nobody able to "
            "administer the service; create another admin first (matcher users create --role admin)"
        )
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.user_id, ApiToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    user.password_hash = None
    return len(tokens)


def other_active_admins(session: Session, user: User) -> int:
    """How many admins other than `user` can still act: a live token or a password."""
    live_token = (
        select(ApiToken.user_id)
        .where(ApiToken.revoked_at.is_(None))
        .where(ApiToken.user_id == User.user_id)
        .exists()
    )
    return len(
        session.scalars(
            select(User.user_id).where(
                User.role == "admin",
                User.user_id != user.user_id,
                live_token | User.password_hash.is_not(None),
            )
        ).all()
    )


#: Roles that may sign in to the manager pages (and so may have a password).
PAGE_ROLES = ("manager", "admin")
PASSWORD_MIN_LENGTH = 10


def set_password(user: User, password: str) -> None:
    """Store a salted hash of `password` (werkzeug's scrypt) as `user`'s page password (the
    manager pages' for a manager or admin, the member pages' for a member's user).

    Raises
    ------
    InputError
        If the user has no pages to sign in to (neither a manager or admin, nor a member
        acting for a member firm), or the password is too short.
    """
    if user.role not in PAGE_ROLES and not (user.role == "member" and user.member_id):
        raise InputError(
            f"user {user.name!r} has the role {user.role!r} and acts for no member; only "
            f"{' and '.join(PAGE_ROLES)} users (the manager pages) and members' users (the "
            "member pages) sign in with a password"
        )
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InputError(
            f"the password has {len(password)} characters; use at least {PASSWORD_MIN_LENGTH}"
        )
    user.password_hash = generate_password_hash(password)


@functools.cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s page password (False without a user or a password).

    A missing user or password costs the same hashing as a wrong password, so the answer's
    timing does not tell which names exist.
    """
    if user is None or not user.password_hash:
        check_password_hash(_decoy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


#: Built once: every request runs it (a revoked token fails at its very next request).
#: The last column says whether the user acts for a member that is withdrawn or erased (an
#: erased member's users keep no member id).
_CALLER_OF_TOKEN = (
    select(
        User.user_id,
        User.name,
        User.role,
        User.member_id,
        User.network_id,
        and_(
            User.role == "member",
            or_(Member.member_id.is_(None), Member.deleted_at.is_not(None)),
        ),
    )
    .join(ApiToken, ApiToken.user_id == User.user_id)
    .outerjoin(Member, Member.member_id == User.member_id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


class WithdrawnMemberError(Exception):
    """The token is live, but the member its user acts for has been withdrawn or erased."""


def caller_for(session: Session, token: str) -> Caller | None:
    """Return the caller a live token belongs to, or None.

    Raises
    ------
    WithdrawnMemberError
        If the token's user acts for a member that has been withdrawn or erased: such a
        member no longer acts in the service at all (no reads, no writes).
    """
    from .db import core_connection

    row = (
        core_connection(session)
        .execute(_CALLER_OF_TOKEN, {"token_hash": hash_token(token)})
        .first()
    )
    if row is None:
        return None
    if row[5]:
        raise WithdrawnMemberError(row[3])
    return Caller(*row[:5])


def current_caller() -> Caller:
    """Return the authenticated caller; 401 without a valid bearer token."""
    if "caller" in g:
        return g.caller
    from .db import get_db

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, "a bearer token is required (Authorization: Bearer <token>)")
    try:
        caller = caller_for(get_db(), token.strip())
    except WithdrawnMemberError as error:
        member = f"member {error.args[0]}" if error.args[0] else "the member of this token"
        abort(403, f"{member} has been withdrawn from the service; its tokens no longer act")
    if caller is None:
        abort(401, "the token is unknown or revoked")
    g.caller = caller
    return caller


def token_key() -> str:
    """Rate-limit key: the token's hash (the address when no token was sent)."""
    header = request.headers.get("Authorization", "")
    _, _, token = header.partition(" ")
    return hash_token(token.strip()) if token.strip() else (request.remote_addr or "unknown")


def require(*roles: str) -> Callable:
    """Decorate a view so that only callers with one of `roles` get through (401/403 else)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            caller = current_caller()
            if roles and caller.role not in roles:
                abort(403, f"this needs the role {' or '.join(roles)}; you are {caller.role!r}")
            return view(*args, **kwargs)

        return wrapper

    return decorator
