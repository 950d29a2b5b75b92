"""Users and tokens (:mod:`api.users`, admins): a new user, a user as answered, a revocation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..tables import ROLES
from .common import ID_PATTERN, SLUG_PATTERN, TEXT_PATTERN, field_error

__all__ = ["Revoked", "UserCreated", "UserIn", "UserList", "UserOut", "UserPath"]


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
    role: Literal[ROLES]
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
