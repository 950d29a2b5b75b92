"""Users and tokens (admins)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select

from matcher.errors import InputError

from .auth import LastAdminError, UserNameTakenError, create_user, require, revoke_tokens
from .db import get_db
from .errors import abort
from .schemas import Revoked, UserCreated, UserIn, UserList, UserPath
from .tables import Member, User

bp = APIBlueprint(
    "users",
    __name__,
    url_prefix="/api/v1/users",
    abp_tags=[Tag(name="users")],
    abp_security=[{"bearer": []}],
)


def _payload(user: User) -> dict:
    return {
        "user_id": user.user_id,
        "name": user.name,
        "role": user.role,
        "member_id": user.member_id,
        "network_id": user.network_id,
    }


@bp.get("", responses={200: UserList})
@require("admin")
def list_users():
    """List users."""
    return {"items": [_payload(u) for u in get_db().scalars(select(User).order_by(User.user_id))]}


@bp.post("", responses={201: UserCreated})
@require("admin")
def create_user_view(body: UserIn):
    """Create a user and its first token (returned once)."""
    session = get_db()
    if body.member_id is not None and session.get(Member, body.member_id) is None:
        abort(
            404,
            f"Member {body.member_id} doesn't exist.",
            [{"field": "member_id", "value": body.member_id, "message": "no such member"}],
        )
    try:
        user, token = create_user(session, body.name, body.role, body.member_id, body.network_id)
    except InputError as error:
        session.rollback()
        abort(409 if isinstance(error, UserNameTakenError) else 422, str(error))
    session.commit()
    return {**_payload(user), "token": token}, 201


@bp.post("/<int:user_id>/revoke", responses={200: Revoked})
@require("admin")
def revoke(path: UserPath):
    """Revoke every token of a user."""
    session = get_db()
    user = session.get(User, path.user_id)
    if user is None:
        abort(404, f"User {path.user_id} doesn't exist.")
    try:
        count = revoke_tokens(session, user)
    except LastAdminError as error:
        session.rollback()
        abort(409, str(error))
    session.commit()
    return {"revoked": count}
