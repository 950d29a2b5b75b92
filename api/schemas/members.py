"""Members (:mod:`api.members`): a profile as the file format has it, its changes (optimistic
revisions, ``If-Match``), the member list's filters and the member as answered."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matcher.insights.common import POTENTIAL_TIERS

from .common import (
    EMAIL_PATTERN,
    MAX_COUNTRIES,
    MAX_TAGS,
    NACE_PATTERN,
    NAME_PATTERN,
    NON_BLANK,
    TEXT_PATTERN,
    CapabilityId,
    CertificationId,
    CountryCode,
    LanguageCode,
    MarketPresenceId,
    MemberIdAlias,
    MemberIdStr,
    NetworkId,
    OrgTypeId,
    PartnershipTypeId,
    ProductId,
    QueryBool,
    QueryInt,
    QueryModel,
    QueryRevision,
    _add_rule,
    _document_alias,
    field_error,
    json_int,
)

__all__ = [
    "ETAG_HEADER",
    "IF_MATCH_PATTERN",
    "Contact",
    "DeleteQuery",
    "MemberCreate",
    "MemberIfMatch",
    "MemberOut",
    "MemberPage",
    "MemberPath",
    "MemberQuery",
    "MemberRevisionQuery",
    "MemberUpdate",
    "Nace",
    "PotentialTier",
    "ProfileFields",
]

#: A member's potential tier, lowest first (:data:`matcher.insights.common.POTENTIAL_TIERS`).
PotentialTier = Literal[POTENTIAL_TIERS]


class Contact(BaseModel):
    """Private contact details."""

    model_config = ConfigDict(extra="forbid")

    person: str | None = Field(None, max_length=200, pattern=TEXT_PATTERN)
    email: str | None = Field(None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(None, max_length=64, pattern=TEXT_PATTERN)


Nace = Annotated[str, Field(pattern=NACE_PATTERN, description="A NACE Rev.2 code (14.13).")]
_NOT_EMPTY = "give at least one tag in offers or seeks, or a description"


def _document_not_empty(schema: dict[str, Any]) -> None:
    """State the engine's rule on a profile: a tag offered or sought, or a description."""
    _add_rule(
        schema,
        {
            "anyOf": [
                {"required": ["offers"], "properties": {"offers": {"minItems": 1}}},
                {"required": ["seeks"], "properties": {"seeks": {"minItems": 1}}},
                {
                    "required": ["description"],
                    "properties": {"description": {"pattern": NON_BLANK}},
                },
            ]
        },
    )


class ProfileFields(BaseModel):
    """Profile fields of the file format: tags are the taxonomy's ids, countries ISO 3166-1
    alpha-2 codes, languages ISO 639-1 codes (see formats.md). A profile offers or seeks at
    least one tag, or has a description."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300, pattern=NAME_PATTERN)
    network: NetworkId
    country: CountryCode
    org_type: OrgTypeId
    city: str = Field("", max_length=200, pattern=TEXT_PATTERN)
    nace: list[Nace] = Field([], max_length=MAX_TAGS)
    offers: list[CapabilityId] = Field([], max_length=MAX_TAGS)
    seeks: list[CapabilityId] = Field([], max_length=MAX_TAGS)
    products: list[ProductId] = Field([], max_length=MAX_TAGS)
    markets_present: list[CountryCode] = Field([], max_length=MAX_COUNTRIES)
    markets_target: list[CountryCode] = Field([], max_length=MAX_COUNTRIES)
    market_presence: MarketPresenceId | Literal[""] = Field(
        "", description="local, national, regional or international; derived when empty."
    )
    partnership_types: list[PartnershipTypeId] = Field([], max_length=MAX_TAGS)
    certifications: list[CertificationId] = Field([], max_length=MAX_TAGS)
    employees: json_int(0, 10_000_000) | None = None
    capacity_units_month: json_int(0, 1_000_000_000) | None = None
    min_order_qty: json_int(0, 1_000_000_000) | None = None
    languages: list[LanguageCode] = Field([], max_length=MAX_TAGS)
    description: str = Field("", max_length=20_000, pattern=TEXT_PATTERN)

    @model_validator(mode="after")
    def _not_empty(self) -> ProfileFields:
        if not self.offers and not self.seeks and not re.search(NON_BLANK, self.description):
            raise field_error(type(self), [("offers", _NOT_EMPTY, [])])
        return self


def _member_create_schema(schema: dict[str, Any], _model: Any = None) -> None:
    _document_alias(schema, "member_id", "id")
    _document_not_empty(schema)


class MemberCreate(MemberIdAlias, ProfileFields):
    """A new member: its id (``member_id``, or ``id`` as in the profile file format), profile
    and (private) contact details."""

    model_config = ConfigDict(json_schema_extra=_member_create_schema)

    member_id: str = MemberIdStr
    contact: Contact | None = None


class MemberUpdate(BaseModel):
    """Fields to change (any subset; null: unchanged); lists replace the stored list.

    The member's profile must still offer or seek a tag, or have a description: a change that
    would empty it conflicts with the stored profile (409).
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=300, pattern=NAME_PATTERN)
    network: NetworkId | None = None
    country: CountryCode | None = None
    org_type: OrgTypeId | None = None
    city: str | None = Field(None, max_length=200, pattern=TEXT_PATTERN)
    nace: list[Nace] | None = Field(None, max_length=MAX_TAGS)
    offers: list[CapabilityId] | None = Field(None, max_length=MAX_TAGS)
    seeks: list[CapabilityId] | None = Field(None, max_length=MAX_TAGS)
    products: list[ProductId] | None = Field(None, max_length=MAX_TAGS)
    markets_present: list[CountryCode] | None = Field(None, max_length=MAX_COUNTRIES)
    markets_target: list[CountryCode] | None = Field(None, max_length=MAX_COUNTRIES)
    market_presence: MarketPresenceId | Literal[""] | None = None
    partnership_types: list[PartnershipTypeId] | None = Field(None, max_length=MAX_TAGS)
    certifications: list[CertificationId] | None = Field(None, max_length=MAX_TAGS)
    employees: json_int(0, 10_000_000) | None = None
    capacity_units_month: json_int(0, 1_000_000_000) | None = None
    min_order_qty: json_int(0, 1_000_000_000) | None = None
    languages: list[LanguageCode] | None = Field(None, max_length=MAX_TAGS)
    description: str | None = Field(None, max_length=20_000, pattern=TEXT_PATTERN)
    contact: Contact | None = None


#: The response header naming the member's revision (optimistic concurrency, see api.members).
ETAG_HEADER = {
    "ETag": {
        "description": 'The member\'s revision as a strong entity tag (`"3"`): send it back as '
        "`If-Match` with a change.",
        "required": True,
        "schema": {"type": "string"},
    }
}


class MemberOut(BaseModel):
    """A member: the public profile, plus ``contact`` when the caller may see it."""

    # flask-openapi3 documents these headers on every response of this model (one member).
    model_config = ConfigDict(openapi_extra={"headers": ETAG_HEADER})

    member_id: str
    name: str
    network: str
    country: str
    org_type: str
    city: str
    nace: list[str]
    offers: list[str]
    seeks: list[str]
    products: list[str]
    markets_present: list[str]
    markets_target: list[str]
    market_presence: str
    partnership_types: list[str]
    certifications: list[str]
    employees: int | None
    capacity_units_month: int | None
    min_order_qty: int | None
    languages: list[str]
    description: str
    market_presence_derived: bool
    potential: float
    potential_tier: PotentialTier
    revision: int = Field(
        description="Counts the stored changes of the member (its ETag names it): send it back "
        "with a change, as `If-Match` or `?revision=`."
    )
    contact: Contact | None = None


class MemberPage(BaseModel):
    """One page of members."""

    items: list[MemberOut]
    page: int
    per_page: int
    total: int


class MemberPath(BaseModel):
    member_id: str = Field(max_length=64)


class MemberQuery(QueryModel):
    """Filters and page of the member list: the taxonomy's ids and ISO codes, exactly.

    A network nobody belongs to lists no member.
    """

    page: QueryInt = Field(1, ge=1, le=1_000_000)
    per_page: QueryInt = Field(50, ge=1, le=500)
    network: NetworkId | None = None
    org_type: OrgTypeId | None = Field(None, description="A type of activity.")
    country: CountryCode | None = None
    capability: CapabilityId | None = Field(None, description="An offered capability.")


_MEMBER_REVISION = Field(
    None,
    description="The member's revision you read (its `revision`; as the sessions take it). When "
    "the member is at another revision, the change is refused with 409 and the current version, "
    "and nothing changes. `If-Match` says the same in HTTP's words (412).",
)


class MemberRevisionQuery(QueryModel):
    """The revision a member's change is based on (optimistic concurrency)."""

    revision: QueryRevision | None = _MEMBER_REVISION


#: RFC 9110 section 13.1.1: ``*``, or entity tags (``"3"``, ``W/"3"``) separated by commas;
#: an empty header is taken as none.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
IF_MATCH_PATTERN = rf"^[ \t]*(?:\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*)?[ \t]*$"


class MemberIfMatch(BaseModel):
    """The ``If-Match`` request header of a member's change (RFC 9110 section 13.1.1).

    Other request headers (Authorization, ...) pass through: they are not this model's to
    refuse.
    """

    # A header is there or not: `str` (its default None means absent), never a null.
    if_match: str = Field(
        None,
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        description='The ETag of the member you read (`"3"`; `*`: any version). When the member '
        "is at another revision, the change is refused with 412 and the current version, and "
        "nothing changes. Without it (or empty; and without `revision`), the change applies to "
        "the member as it is at that moment: the fields you send replace the stored ones, the "
        "others stay.",
    )


class DeleteQuery(QueryModel):
    erase: QueryBool = Field(
        False,
        description="Also erase the member's data, links and feedback "
        "(GDPR erasure); otherwise it is withdrawn (hidden at once).",
    )
    revision: QueryRevision | None = _MEMBER_REVISION
