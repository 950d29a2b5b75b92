"""Users and tokens (admins)."""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from matcher.errors import InputError

from .auth import LastAdminError, UserNameTakenError, create_user, require, revoke_tokens
from .db import get_db
from .errors import abort
from .schemas import ID_PATTERN, SLUG_PATTERN, TEXT_PATTERN, field_error
from .tables import Member, User

bp = APIBlueprint(
    "users",
    __name__,
    url_prefix="/api/v1/users",
    abp_tags=[Tag(name="users")],
    abp_security=[{"bearer": []}],
)


def _document_roles(schema: dict[str, Any], _model: Any = None) -> None:
    """State the rule of :meth:`UserIn._needs_by_role`: what each role needs."""
    schema["oneOf"] = [
        {
            "properties": {"role": {"const": "member"}, "member_id": {"type": "string"}},
            "required": ["role", "member_id"],
        },
        {
            "properties": {"role": {"const": "manager"}, "network_id": {"type": "string"}},
            "required": ["role", "network_id"],
        },
        {"properties": {"role": {"const": "admin"}}, "required": ["role"]},
    ]


class UserIn(BaseModel):
    """A new user: a member's user acts for its member (`member_id`, a live member: 404
    otherwise), a manager for its network (`network_id`), an admin for all."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document_roles)

    name: str = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)
    role: Literal["member", "manager", "admin"]
    member_id: str | None = Field(
        None, pattern=ID_PATTERN, description="The member it acts for (role member: required)."
    )
    network_id: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        max_length=64,
        description="The network it manages (role manager: required).",
    )

    @model_validator(mode="after")
    def _needs_by_role(self) -> UserIn:
        needed = {"member": "member_id", "manager": "network_id"}.get(self.role)
        if needed and getattr(self, needed) is None:
            message = f"a user with role {self.role!r} needs {needed}"
            raise field_error(type(self), [(needed, message, None)])
        return self


class UserOut(BaseModel):
    user_id: int
    name: str
    role: str
    member_id: str | None
    network_id: str | None


class UserCreated(UserOut):
    token: str = Field(description="The bearer token; shown only now.")


class UserList(BaseModel):
    items: list[UserOut]


class UserPath(BaseModel):
    user_id: int = Field(ge=1, le=2_000_000_000)


class Revoked(BaseModel):
    revoked: int


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
