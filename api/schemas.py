"""Request and response schemas (pydantic v2); they make the OpenAPI document.

The document states what the service enforces, because both come from these models: closed
vocabularies (the taxonomy's tag ids, ISO country and language codes, IANA time zones) are
enumerations built from the same data the engine checks against, open ones (network, member and
session ids) are patterns, dates are dates, and JSON numbers and booleans are strict (``0`` is
not ``false``). Patterns are written for every reader alike (pydantic's, the document's
ECMA-262 one, Python's): ``[0-9]`` rather than ``\\d``, and explicit character classes rather
than ``\\s``, whose meaning differs between them.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
import zoneinfo
from enum import StrEnum
from typing import Annotated, Any, Literal

from flask import has_request_context, request
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from matcher import geography
from matcher.profiles import HOME_NETWORK
from matcher.taxonomy import load_taxonomy

# ---------------------------------------------------------------------------------------------
# Vocabularies and value types shared by the request models
# ---------------------------------------------------------------------------------------------

_TAXONOMY = load_taxonomy()


def _vocabulary(name: str, values: list[str], doc: str) -> type[StrEnum]:
    """A string enumeration of `values` (a component of the document named `name`)."""
    enum = StrEnum(name, [(value, value) for value in values])
    enum.__doc__ = doc
    return enum


OrgType = _vocabulary(
    "OrgType", _TAXONOMY.ids("org_types"), "A type of activity (the taxonomy's org_types)."
)
Capability = _vocabulary(
    "Capability", _TAXONOMY.ids("capabilities"), "A capability tag (the taxonomy's ids)."
)
Product = _vocabulary("Product", _TAXONOMY.ids("products"), "A product tag (the taxonomy's ids).")
PartnershipType = _vocabulary(
    "PartnershipType", _TAXONOMY.ids("partnership_types"), "A kind of partnership."
)
Certification = _vocabulary(
    "Certification", _TAXONOMY.ids("certifications"), "A certification (the taxonomy's ids)."
)
MarketPresence = _vocabulary(
    "MarketPresence", _TAXONOMY.ids("market_presence"), "Where the member sells."
)
Country = _vocabulary(
    "Country", sorted(geography.country_codes()), "An ISO 3166-1 alpha-2 country code."
)
Language = _vocabulary(
    "Language", sorted(geography.language_codes()), "An ISO 639-1 language code."
)
TimeZone = _vocabulary("TimeZone", sorted(zoneinfo.available_timezones()), "An IANA time zone.")
PotentialTier = Literal["low", "medium", "high"]


def _explained(enum: type[StrEnum], explain: Any) -> Any:
    """`enum` as a field type whose refusal of a text says what was meant, in the engine's
    words (``'Poland' is not an ISO 3166-1 alpha-2 country code; did you mean 'PL'?``) rather
    than listing every allowed value; the document lists them."""

    def validate(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError:
            if not isinstance(value, str):
                raise
            raise PydanticCustomError("enum", "{reason}", {"reason": explain(value)}) from None

    return Annotated[enum, WrapValidator(validate)]


def _country_hint(value: str) -> str:
    guess = value.upper() if value.upper() in Country.__members__ else None
    guess = guess or geography.suggest_country(value)
    hint = f"; did you mean {guess!r}?" if guess else " (two letters, e.g. 'UA', 'PL')"
    return f"{value!r} is not an ISO 3166-1 alpha-2 country code{hint}"


def _language_hint(value: str) -> str:
    guess = geography.suggest_language(value)
    hint = f"; did you mean {guess!r}?" if guess else " (two letters, e.g. 'uk', 'en')"
    return f"{value!r} is not an ISO 639-1 language code{hint}"


def _tag_hint(vocabulary: str) -> Any:
    return lambda value: _TAXONOMY.explain_unknown(vocabulary, value)


CountryCode = _explained(Country, _country_hint)
LanguageCode = _explained(Language, _language_hint)
OrgTypeId = _explained(OrgType, _tag_hint("org_types"))
CapabilityId = _explained(Capability, _tag_hint("capabilities"))
ProductId = _explained(Product, _tag_hint("products"))
PartnershipTypeId = _explained(PartnershipType, _tag_hint("partnership_types"))
CertificationId = _explained(Certification, _tag_hint("certifications"))
MarketPresenceId = _explained(MarketPresence, _tag_hint("market_presence"))


def _timezone_hint(value: str) -> str:
    close = difflib.get_close_matches(value, list(TimeZone.__members__), n=1, cutoff=0.8)
    hint = f"; did you mean {close[0]!r}?" if close else "; e.g. 'Europe/Kyiv'"
    return f"{value!r} is not an IANA time zone{hint}"


TimeZoneName = _explained(TimeZone, _timezone_hint)

#: Characters that Python's ``str.strip()`` removes (what the engine trims) or ECMA-262 calls
#: white space: a text made only of them is blank.
_BLANK = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
#: A text with something in it besides blanks (a search: one such character anywhere).
NON_BLANK = f"[^{_BLANK}]"
#: Control characters other than tab and line breaks: PostgreSQL stores no NUL, a worksheet
#: (the XLSX export) none of them, and no name or description needs one.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f"
#: A text without control characters.
TEXT_PATTERN = f"^[^{_CONTROL}]*$"
#: A name: no control characters, and something besides blanks.
NAME_PATTERN = f"^[^{_CONTROL}]*[^{_CONTROL}{_BLANK}][^{_CONTROL}]*$"
ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
#: A network id: lower-case letters and digits joined by '-', '_' or '.' (as profile files).
SLUG_PATTERN = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
_HHMM_TEXT = r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9]"
HHMM_PATTERN = f"^{_HHMM_TEXT}$"
BREAK_PATTERN = f"^{_HHMM_TEXT}-{_HHMM_TEXT}$"
NACE_PATTERN = r"^[0-9]{2}(?:\.[0-9]{1,2})?$"
EMAIL_PATTERN = f"^[^@{_BLANK}{_CONTROL}]+@[^@{_BLANK}{_CONTROL}]+\\.[^@{_BLANK}{_CONTROL}]+$"

MemberId = Annotated[str, Field(pattern=ID_PATTERN, description="A member id.")]
NetworkId = Annotated[
    str, Field(max_length=64, pattern=SLUG_PATTERN, description="A network id (a slug).")
]
MemberIdStr = Field(pattern=ID_PATTERN, description="A member id.")
#: The most tags one list field takes (every list still fits the file format's 2,000
#: characters once joined, so a JSON profile exports as a file row).
MAX_TAGS = 50
MAX_COUNTRIES = 200

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: Any) -> Any:
    """A calendar date as JSON carries it (``"2026-05-14"``), and nothing else.

    pydantic alone would also read a date-time with a zero time or a number of seconds, which
    the document (``format: date``) does not allow.
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    raise PydanticCustomError("date_type", "expected a date YYYY-MM-DD")


def _form_bool(value: Any) -> Any:
    """A boolean query parameter as OpenAPI's form style writes it: ``true`` or ``false``.

    pydantic alone would also read ``1``, ``yes``, ``on``..., which the document does not.
    """
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_parsing", "expected true or false")


_INTEGER_TEXT = re.compile(r"(-?[0-9]+)(?:\.0+)?")


def _form_int(value: Any) -> Any:
    """An integer query parameter: digits, or a number with no fraction (``20.0``: JSON
    Schema's integers include it). pydantic alone would also read ``1_000`` or `` 1``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (match := _INTEGER_TEXT.fullmatch(value)):
        return int(match.group(1))
    raise PydanticCustomError("int_parsing", "expected an integer")


IsoDate = Annotated[dt.date, BeforeValidator(_date_text)]
#: A revision named in a query string (optimistic concurrency).
QueryRevision = Annotated[int, Field(ge=1, le=2_000_000_000), BeforeValidator(_form_int)]
QueryBool = Annotated[bool, BeforeValidator(_form_bool)]
QueryInt = Annotated[int, BeforeValidator(_form_int)]


def _json_int(value: Any) -> Any:
    """An integer as JSON Schema reads one: a number with no fraction (``3`` or ``3.0``), never
    a boolean or a text (pydantic alone would read ``true`` and ``"3"``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("int_type", "expected an integer")
    return value


def json_int(ge: int, le: int) -> Any:
    """A JSON body's integer from `ge` to `le` (the bounds inside the type, so that an optional
    field documents them too)."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_json_int)]


def field_error(model: type[BaseModel], errors: list[tuple[str, str, Any]]) -> ValidationError:
    """A validation error naming each ``(field, message, value)`` of `errors`."""
    return ValidationError.from_exception_data(
        model.__name__,
        [
            {"type": PydanticCustomError("value_error", message), "loc": (field,), "input": value}
            for field, message, value in errors
        ],
    )


def _file_alias(model: type[BaseModel], data: Any, field: str, alias: str) -> Any:
    """Read the file format's name `alias` of `field` (``id`` for ``member_id``).

    Exactly one of them is given (the document's ``oneOf``): both, even equal, is a validation
    error naming both fields.
    """
    if not isinstance(data, dict) or alias not in data:
        return data
    data = dict(data)
    if field in data:
        message = f"give {field} or {alias}, not both"
        raise field_error(model, [(field, message, data[field]), (alias, message, data[alias])])
    data[field] = data.pop(alias)
    return data


def _document_alias(schema: dict[str, Any], field: str, alias: str) -> None:
    """Document `alias` beside `field` in a JSON schema: exactly one of them is required."""
    properties = schema.get("properties", {})
    if field not in properties:
        return
    properties[alias] = {
        **properties[field],
        "title": alias.replace("_", " ").title(),
        "description": f"The file format's name of `{field}` (give one of them).",
    }
    required = schema.get("required", [])
    if field in required:
        required.remove(field)
        if not required:
            schema.pop("required")
        _add_rule(schema, {"oneOf": [{"required": [field]}, {"required": [alias]}]})


def _add_rule(schema: dict[str, Any], rule: dict[str, Any]) -> None:
    """Add a JSON Schema rule over several fields to `schema` (all of them must hold)."""
    schema.setdefault("allOf", []).append(rule)


class MemberIdAlias(BaseModel):
    """A body naming a member: ``member_id``, or ``id`` as in the profile file format."""

    model_config = ConfigDict(
        json_schema_extra=lambda schema, _model: _document_alias(schema, "member_id", "id")
    )

    @model_validator(mode="before")
    @classmethod
    def _read_file_id(cls, data: Any) -> Any:
        return _file_alias(cls, data, "member_id", "id")


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


class CachedSchemaModel(BaseModel):
    """A model whose JSON schema is computed once.

    flask-openapi3 reads the query model's JSON schema on every request to find list
    parameters; generating it costs about 2 ms, more than the rest of a cached suggestion.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        key = (cls, args, tuple(sorted(kwargs.items())))
        if key not in _SCHEMAS:
            _SCHEMAS[key] = super().model_json_schema(*args, **kwargs)
        if not args and not kwargs:
            # The per-request call (flask-openapi3 reads the properties, never changes them):
            # the shared schema itself, without a deep copy per request.
            return _SCHEMAS[key]
        return copy.deepcopy(_SCHEMAS[key])


_SCHEMAS: dict[tuple, dict[str, Any]] = {}
#: The JSON API's paths: query strings there are read by flask-openapi3 from ``request.args``.
API_PREFIX = "/api/"


class QueryModel(CachedSchemaModel):
    """A query string: unknown parameters are refused, and so is a parameter that takes one
    value (not an array) given more than once.

    flask-openapi3 reads the first of repeated values and drops the others silently, so
    ``?state=final&state=bogus`` would pass for ``state=final``: the document says that
    parameter is one value, and the service says so too (422 naming it). The check reads the
    request's own query string, only on the JSON API's paths (a page that builds a model from
    values it resolved itself is not a query string).
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _given_once(cls, data: Any) -> Any:
        if not has_request_context() or not request.path.startswith(API_PREFIX):
            return data
        repeated = [
            (name, f"{name} is given {len(values)} times; it takes one value", values)
            for name in _scalar_parameters(cls)
            if len(values := request.args.getlist(name)) > 1
        ]
        if repeated:
            raise field_error(cls, repeated)
        return data


def _scalar_parameters(model: type[CachedSchemaModel]) -> list[str]:
    """The query parameters of `model` that take one value (as flask-openapi3 tells them)."""
    names = []
    for name, schema in model.model_json_schema().get("properties", {}).items():
        kinds = [schema, *schema.get("anyOf", [])]
        if not any(kind.get("type") == "array" for kind in kinds):
            names.append(name)
    return names


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


class SuggestionOptions(BaseModel):
    """Options of a suggestion request, shared by the query string and the prospect's body:
    partner filters are the taxonomy's ids and ISO codes, exactly."""

    model_config = ConfigDict(extra="forbid")

    k: json_int(1, 100) = 10
    scope: Literal["all", "cluster", "international"] = "all"
    country: list[CountryCode] = Field([], max_length=50)
    org_type: list[OrgTypeId] = Field([], max_length=50)
    partnership_type: list[PartnershipTypeId] = Field([], max_length=50)
    language: Literal["en", "uk"] = "en"


class SuggestionQuery(QueryModel, SuggestionOptions):
    """Options of a suggestion request."""

    k: QueryInt = Field(10, ge=1, le=100)


class SuggestionOut(BaseModel):
    """One suggested partner (``Suggestion.to_dict()``)."""

    partner_id: str
    name: str
    network: str
    country: str
    score: float
    reasons: list[str]
    details: dict[str, Any]


class SuggestionsOut(BaseModel):
    """The shape of ``matcher recommend --format json``."""

    member: str
    suggestions: list[SuggestionOut]


class ProspectRequest(SuggestionOptions):
    """A profile that is not stored (a prospective member) and the suggestion options."""

    profile: MemberCreate


class FeedbackIn(BaseModel):
    """What the member did with a suggested partner (a live member: 404 otherwise)."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str = MemberIdStr
    event: Literal["shown", "accepted", "declined", "meeting", "deal"]
    note: str = Field("", max_length=2000, pattern=TEXT_PATTERN)


class FeedbackOut(BaseModel):
    event_id: int
    member_id: str
    partner_id: str
    event: str
    note: str
    created_at: str


class FeedbackList(BaseModel):
    items: list[FeedbackOut]


class ModelOut(BaseModel):
    """A model version with its manifest (evaluation figures included when computed)."""

    version_id: int
    name: str | None
    status: str
    active: bool
    error: str | None
    created_at: str
    finished_at: str | None
    manifest: dict[str, Any] | None


class ModelList(BaseModel):
    items: list[ModelOut]
    serving: int | None = Field(description="The version this worker serves.")


class ModelPath(BaseModel):
    version_id: int = Field(ge=1, le=2_000_000_000)


class RetrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activate: StrictBool = Field(
        True, description="Activate the new version once it is trained and checked."
    )


class ImportQuery(QueryModel):
    format: Literal["csv", "xlsx", "json"] | None = Field(
        None, description="File format; read from the file name when not given."
    )


class ImportOut(BaseModel):
    """What an import changed."""

    created: int
    updated: int
    unchanged: int


class ExportQuery(QueryModel):
    format: Literal["csv", "xlsx", "json"] = "csv"


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    """Readiness. ``degraded``: the active version's artifact does not load in this worker,
    and `model` (an older version) serves instead; `detail` says why."""

    status: Literal["ready", "degraded"]
    database: bool
    model: int | None = Field(description="The version this worker serves.")
    active_model: int | None = Field(None, description="The version activated in the database.")
    detail: str = ""


# ---------------------------------------------------------------------------------------------
# Cluster insights: the JSON of matcher.insights.cluster.ClusterInsights.to_dict()
# ---------------------------------------------------------------------------------------------

#: A text in every language of the insights: ``{"en": ..., "uk": ...}``.
Labels = dict[str, str]

_INSIGHTS_NETWORK = Field(
    None,
    max_length=64,
    description="The home cluster. A manager sees its own network (the default; naming another "
    "is 403); an admin may name any network (default: kharkiv-fashion-cluster).",
)


class InsightsQuery(QueryModel):
    """Which network the insights are about."""

    network: str | None = _INSIGHTS_NETWORK


class InsightsReportQuery(InsightsQuery):
    """The network and the language of the HTML report."""

    language: Literal["uk", "en", "both"] = Field(
        "both", description="Ukrainian, English, or a section in each (Ukrainian first)."
    )


class InsightsSummary(BaseModel):
    """The headline figures (``ClusterInsights.summary()``)."""

    home_network: str
    profiles: int = Field(description="Live profiles of every network.")
    networks: int
    links: int = Field(description="Known links between live members.")
    members: int = Field(description="Live members of the home cluster.")
    capabilities_sought: int
    gaps: int = Field(description="Capabilities sought at home and offered by no home member.")
    top_gaps: list[str]
    shortages: int
    surpluses: int
    target_markets: int
    markets_without_partner: list[str]
    components: int
    unpartnered_members: int
    model: str | None = Field(description="The kind of the engine's model (gbt, logistic, ...).")


class TierCount(BaseModel):
    tier: str
    label: Labels
    members: int


class OrgTypeGradation(BaseModel):
    """One type of activity: members per market presence tier and per potential tier."""

    org_type: str
    label: Labels
    members: int
    market_presence: dict[str, int]
    potential_tier: dict[str, int]
    mean_potential: float | None


class GradationOut(BaseModel):
    """Members by type of activity, market presence and potential."""

    home_network: str
    members: int
    mean_potential: float | None
    market_presence: list[TierCount]
    potential_tier: list[TierCount]
    org_types: list[OrgTypeGradation]


class CapabilityBalance(BaseModel):
    """A capability sought or offered at home, and how supply meets demand."""

    capability: str
    label: Labels
    stage: str | None
    sought: int
    offered: int
    offered_abroad: int
    balance: int = Field(description="offered - sought")
    status: Literal["gap", "shortage", "balanced", "surplus"]


class GapPartnerOut(BaseModel):
    """An organisation abroad offering a capability missing at home, ranked by the engine."""

    partner_id: str
    name: str
    network: str
    country: str
    country_label: Labels
    org_type: str
    org_type_label: Labels
    score: float = Field(description="Summed score over the seeking members / their number.")
    best_score: float
    members: list[str] = Field(description="Seeking members it is among the top suggestions of.")
    for_member: str
    reasons: dict[str, list[str]] = Field(description="The engine's reasons, by language.")
    details: dict[str, Any] = Field(description="The details of ``Suggestion.to_dict()``.")


class GapOut(BaseModel):
    capability: str
    label: Labels
    sought: int
    seekers: list[str]
    offered_abroad: int
    partners: list[GapPartnerOut]


class SupplyDemandOut(BaseModel):
    """Supply and demand of capabilities at home; gaps with the best partners abroad."""

    home_network: str
    capabilities: list[CapabilityBalance]
    gaps: list[GapOut]
    shortages: list[str]
    surpluses: list[str]


class MarketOut(BaseModel):
    """A market that home members target or are present in."""

    market: str
    name: Labels
    members_targeting: int
    home_present: int
    partners_present: int
    international_present: int
    targeting_with_own_partner: int
    openers: int
    no_partner: bool


class MarketOpener(BaseModel):
    """A home member present in a market that could take members targeting it along."""

    member_id: str
    name: str
    org_type: str
    joint_export: bool
    members_helped: int
    helped: list[str]


class MarketsOut(BaseModel):
    home_network: str
    markets: list[MarketOut]
    without_partner: list[str]
    openers: dict[str, list[MarketOpener]] = Field(description="Openers by market code.")


class NetworkNode(BaseModel):
    member_id: str
    name: str
    network: str
    org_type: str
    home: bool


class NetworkEdge(BaseModel):
    source: str
    target: str
    status: Literal["known", "suggested"]
    kind: str = Field(description="The link kind of a known edge; empty for a suggested one.")
    score: float | None = Field(description="The engine's score of a suggested edge.")


class NetworkComponent(BaseModel):
    component: int
    size: int
    home_members: int
    members: list[str]


class Broker(BaseModel):
    member_id: str
    name: str
    network: str
    home: bool
    degree: int
    betweenness: float


class SuggestedPartner(BaseModel):
    partner_id: str
    name: str
    network: str
    country: str
    score: float


class UnpartneredMember(BaseModel):
    """A home member without a known partner, with its best suggestions."""

    member_id: str
    name: str
    org_type: str
    potential: float
    potential_tier: str
    suggestions: list[SuggestedPartner]


class NetworkOut(BaseModel):
    """The graph of known and suggested partnerships around the home cluster."""

    home_network: str
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    home_members: int
    known_edges: int
    suggested_edges: int
    components: list[NetworkComponent]
    components_with_suggestions: int
    brokers: list[Broker]
    unpartnered: list[UnpartneredMember]


class OutcomeCounts(BaseModel):
    rows: int
    shown: int
    accepted: int
    meeting_held: int
    deal: int
    accepted_rate: float | None
    meeting_rate: float | None
    deal_rate: float | None


class OutcomeTotals(OutcomeCounts):
    sessions: int


class OutcomeSession(OutcomeCounts):
    session: str
    date: str
    members: int


class OutcomeMonth(OutcomeCounts):
    month: str
    sessions: int
    members: int


class OutcomesOut(BaseModel):
    """What came of the suggestions, per session (an ISO week with feedback, ``2026-W48``) and
    per month."""

    totals: OutcomeTotals
    sessions: list[OutcomeSession]
    months: list[OutcomeMonth]


class InsightsOut(BaseModel):
    """The figures of the managers' report (``ClusterInsights.to_dict()``), with the model
    version and the time they were computed."""

    model_version: int = Field(description="The model version that ranked the partners.")
    computed_at: str = Field(description="When these figures were computed (ISO 8601, UTC).")
    summary: InsightsSummary
    gradation: GradationOut
    movement: dict[str, Any] | None = Field(
        description="Always null here: the database keeps no history of profiles. Compare two "
        "snapshots with `matcher insights --profiles NOW --previous EARLIER` (the shape of "
        "``SnapshotComparison.to_dict()``)."
    )
    supply_demand: SupplyDemandOut
    markets: MarketsOut
    network: NetworkOut
    outcomes: OutcomesOut | None = Field(
        description="Null while no member of the network has given feedback."
    )


# ---------------------------------------------------------------------------------------------
# Matchmaking sessions (api.sessions): the JSON of matcher.sessions.model, with the service's revision
# ---------------------------------------------------------------------------------------------

SessionIdStr = Field(pattern=ID_PATTERN, description="A session id.")
WishLevel = Literal["must", "would", "no"]
SessionLanguage = Literal["en", "uk"]
_REVISION = Field(
    None,
    description="The session's revision you read last (GET answers it). When given and the "
    "session is at another revision, the change is refused with 409 and nothing changes.",
)


class SessionPath(BaseModel):
    session_id: str = Field(max_length=64)


class SessionMemberPath(BaseModel):
    session_id: str = Field(max_length=64)
    member_id: str = Field(max_length=64)


class SessionWishPath(BaseModel):
    session_id: str = Field(max_length=64)
    member_id: str = Field(max_length=64)
    partner_id: str = Field(max_length=64)


class SessionRevisionQuery(QueryModel):
    """The revision the caller read (optimistic concurrency)."""

    revision: QueryRevision | None = _REVISION


HHMM = Annotated[str, Field(pattern=HHMM_PATTERN)]


def _session_create_schema(schema: dict[str, Any], _model: Any = None) -> None:
    """State the rule of :meth:`SessionCreate._slots_or_day`: slots, or start and end."""
    _add_rule(
        schema,
        {
            "oneOf": [
                {
                    "required": ["slots"],
                    "properties": {
                        "slots": {"type": "array"},
                        "start": {"type": "null"},
                        "end": {"type": "null"},
                    },
                },
                {
                    "required": ["start", "end"],
                    "properties": {
                        "slots": {"type": "null"},
                        "start": {"type": "string"},
                        "end": {"type": "string"},
                    },
                },
            ]
        },
    )


class SessionCreate(BaseModel):
    """A new matchmaking session: give `slots` (start times), or `start` and `end` (and breaks).

    The slots follow each other without overlapping (a meeting lasts `meeting_minutes`) and end
    by midnight; the day from `start` to `end` holds at least one meeting: refused with 422
    naming the field otherwise (relations between fields that a JSON schema does not state).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_session_create_schema)

    name: str = Field(min_length=1, max_length=300, pattern=NAME_PATTERN)
    date: IsoDate
    timezone: TimeZoneName = Field("Europe/Kyiv", description="IANA zone.")
    place: str = Field("", max_length=300, pattern=TEXT_PATTERN)
    meeting_minutes: json_int(5, 240) = 25
    tables: json_int(1, 1000)
    slots: list[HHMM] | None = Field(
        None, min_length=1, max_length=100, description="Start time (HH:MM) of each slot, in order."
    )
    start: str | None = Field(None, pattern=HHMM_PATTERN, description="Start of the day, HH:MM.")
    end: str | None = Field(None, pattern=HHMM_PATTERN, description="End of the day, HH:MM.")
    breaks: list[Annotated[str, Field(pattern=BREAK_PATTERN)]] = Field(
        [], max_length=20, description="Breaks, HH:MM-HH:MM."
    )
    gap_minutes: json_int(0, 120) = Field(
        5, description="Minutes between slots made from start and end."
    )
    network: NetworkId | None = Field(
        None,
        description="The network whose managers run the session (default: the caller's; an "
        f"admin's: {HOME_NETWORK}).",
    )
    networks: list[NetworkId] = Field(
        [], max_length=100, description="Members of these networks may take part."
    )
    member_ids: list[MemberId] = Field(
        [],
        max_length=5000,
        description="These members may take part (with `networks`: either; both empty: anyone).",
    )
    pair_rules: list[Literal["buyers_with_suppliers", "different_networks"]] = Field(
        [], max_length=2, description="Who may meet whom."
    )

    @model_validator(mode="after")
    def _slots_or_day(self) -> SessionCreate:
        if self.slots is not None and (self.start is not None or self.end is not None):
            message = "give the slots, or start and end, not both"
            given = [("slots", message, None)]
            given += [(f, message, getattr(self, f)) for f in ("start", "end") if getattr(self, f)]
            raise field_error(type(self), given)
        if self.slots is None and (self.start is None or self.end is None):
            missing = [f for f in ("start", "end") if getattr(self, f) is None]
            message = "give the slots (start times), or start and end of the day"
            raise field_error(type(self), [(f, message, None) for f in ["slots", *missing]])
        return self


class SessionSlot(BaseModel):
    slot: int
    start: str
    end: str


class SessionWithdrawn(BaseModel):
    """A participant that withdrew from the service after the agenda was published."""

    member_id: str
    name: str
    meetings: list[str] = Field(description="Its meetings still planned (ids).")


class SessionVacancy(BaseModel):
    """A slot where an erasure took a published meeting away, on the remaining side."""

    member_id: str
    slot: int
    table: int


class SessionOut(BaseModel):
    """A session: settings, state, revisions and counts (wishes and agenda are apart)."""

    session_id: str
    network: str
    name: str
    date: str
    place: str
    timezone: str
    meeting_minutes: int
    tables: int
    slots: list[SessionSlot]
    networks: list[str]
    member_ids: list[str]
    pair_rules: list[str]
    state: Literal["preliminary", "final"]
    revision: int = Field(description="Counts the stored changes (send it back with a change).")
    published_revision: int = Field(description="How many times the agenda was published.")
    published_at: str | None
    participants: int
    meetings: int
    meetings_requested: int
    meetings_accepted: int
    meetings_held: int
    last_build: dict[str, Any] | None = Field(
        description="The figures of the last build (managers only)."
    )
    owner_id: int | None
    created_at: str | None
    updated_at: str | None
    withdrawn: list[SessionWithdrawn] = Field(
        description="Participants that withdrew from the service after publication, kept "
        "(flagged) with the meetings still planned with them."
    )
    vacated: list[SessionVacancy] = Field(
        description="Slots where an erasure took a published meeting away."
    )


class SessionListItem(BaseModel):
    session_id: str
    network: str
    name: str
    date: str
    state: str
    revision: int
    participants: int
    meetings: int
    meetings_requested: int
    meetings_accepted: int
    meetings_held: int
    updated_at: str | None


class SessionList(BaseModel):
    items: list[SessionListItem]
    page: int
    per_page: int
    total: int


class SessionListQuery(QueryModel):
    """Filters and page of the session list (a network nobody runs sessions of lists none)."""

    network: NetworkId | None = None
    state: Literal["preliminary", "final"] | None = None
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    page: QueryInt = Field(1, ge=1, le=1_000_000)
    per_page: QueryInt = Field(50, ge=1, le=500)


_SLOT_ITEM = rf"(?:[0-9]{{1,4}}(?:-[0-9]{{1,4}})?|{_HHMM_TEXT}-{_HHMM_TEXT})"
AVAILABLE_PATTERN = rf"^[;, \t]*(?:all|\*|{_SLOT_ITEM}(?:[;, \t]+{_SLOT_ITEM})*)?[;, \t]*$"


class SessionParticipantIn(MemberIdAlias):
    """A live member who takes part (``member_id``, or ``id`` as in a participants file; an
    unknown one: 404), its availability and how many meetings it wants.

    The slots named exist in the session and `min_meetings` is at most `max_meetings`: refused
    with 422 naming the field otherwise (relations a JSON schema does not state).
    """

    model_config = ConfigDict(extra="forbid")

    member_id: str = MemberIdStr
    available: (
        Annotated[str, Field(max_length=1000, pattern=AVAILABLE_PATTERN)]
        | Annotated[list[json_int(1, 1000)], Field(max_length=1000)]
        | None
    ) = Field(
        None,
        description='Slots it can attend: "1-4;6", "10:00-12:00", "all", or slot numbers; '
        "empty: every slot.",
    )
    min_meetings: json_int(0, 1000) = 0
    max_meetings: json_int(0, 1000) | None = None
    role: Literal["buyer", "supplier", "any"] | None = Field(
        None, description="Side for the buyers_with_suppliers rule (default: from org_type)."
    )


class SessionParticipantOut(BaseModel):
    member_id: str
    name: str
    network: str
    org_type: str
    country: str
    role: str
    available: list[int]
    min_meetings: int
    max_meetings: int | None
    withdrawn: bool = Field(
        description="It left the service after the agenda was published: kept only to flag "
        "its meetings (it leaves the session when the agenda is reopened)."
    )
    meetings: int
    wishes: int


class SessionParticipantList(BaseModel):
    session_id: str
    revision: int
    items: list[SessionParticipantOut]


class SessionParticipantChange(BaseModel):
    """What a participant change did."""

    session_id: str
    revision: int
    added: int
    updated: int
    removed: int
    participants: int


class SessionImportQuery(QueryModel):
    format: Literal["csv", "xlsx", "json"] | None = Field(
        None, description="File format; read from the file name when not given."
    )
    revision: QueryRevision | None = _REVISION


class SessionSuggestionsOut(BaseModel):
    """What refreshing the engine's suggestions among the participants gave."""

    session_id: str
    revision: int
    participants: int = Field(description="Participants who got suggestions.")
    suggestions: int
    explained: int = Field(description="Wished or planned pairs explained beyond them.")
    not_in_model: list[str] = Field(
        description="Participants the active model was not trained on (no suggestions)."
    )


class SessionLanguageQuery(QueryModel):
    language: SessionLanguage = "en"


class SessionWishPartner(BaseModel):
    """A partner on a participant's wish list: the engine's view and both sides' wishes."""

    partner_id: str
    name: str
    network: str
    org_type: str
    country: str
    score: float | None = Field(description="The engine's score (0..1); null if not scored.")
    suggested: bool = Field(description="Among the engine's suggestions (else only wished).")
    reasons: list[str]
    level: WishLevel | None = Field(description="This participant's wish.")
    their_level: WishLevel | None = Field(description="The partner's wish.")


class SessionWishList(BaseModel):
    """A participant's suggestions among the participants, with reasons, and its wishes."""

    session_id: str
    revision: int
    member_id: str
    name: str
    stored: bool = Field(
        description="Suggestions as stored with the session (false: computed for this answer)."
    )
    partners: list[SessionWishPartner]


class SessionWish(BaseModel):
    member_id: str
    partner_id: str
    level: WishLevel


class SessionWishes(BaseModel):
    session_id: str
    revision: int
    items: list[SessionWish]


class SessionWishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["must", "would", "no", "none"] = Field(
        description="must meet, would meet, no thanks (a veto), or none to clear."
    )


class SessionWishOut(BaseModel):
    session_id: str
    revision: int
    member_id: str
    partner_id: str
    level: WishLevel | None


class SessionBuildIn(BaseModel):
    """How to build the agenda (locked and held meetings stay where they are)."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float = Field(
        20.0,
        gt=0,
        le=60,
        strict=True,
        description="Seconds the solver may take (the answer waits for it).",
    )
    method: Literal["auto", "greedy"] = Field(
        "auto", description="auto: OR-Tools CP-SAT (greedy if it fails); greedy: greedy only."
    )
    include_suggested: StrictBool = Field(
        False, description="Also plan the engine's suggestions nobody marked (below any wish)."
    )
    refresh_suggestions: StrictBool = Field(
        True, description="First refresh the engine's suggestions among the participants."
    )


class SessionBuildOut(BaseModel):
    """The figures of the build; the agenda is stored with the session."""

    session_id: str
    revision: int
    status: Literal["optimal", "feasible", "greedy"]
    solver: str
    objective: int
    best_bound: int | None
    gap: float | None
    wall_time: float
    meeting_value: int
    n_meetings: int
    n_candidates: int
    n_variables: int
    unmet_minimum: dict[str, int]
    without_meetings: list[str]
    bound_source: str | None
    fallback_reason: str | None
    suggestions_refreshed: bool


class SessionMeeting(BaseModel):
    meeting_id: str
    member_a: str
    member_b: str
    name_a: str
    name_b: str
    slot: int
    time: str
    table: int
    locked: bool
    status: Literal["planned", "held", "cancelled"]
    outcome: Literal["none", "follow_up", "deal"]
    wish_a: WishLevel | None
    wish_b: WishLevel | None
    withdrawn: list[str] = Field(
        description="The sides that withdrew from the service after publication."
    )


class SessionAgenda(BaseModel):
    """The agenda: every meeting (a participant sees its own)."""

    session_id: str
    revision: int
    state: Literal["preliminary", "final"]
    meetings: list[SessionMeeting]
    vacated: list[SessionVacancy]


class SessionAgendaRow(BaseModel):
    slot: int
    time: str
    start: str
    end: str
    table: int | None
    partner_id: str | None
    partner: str
    network: str
    country: str
    your_wish: WishLevel | None
    their_wish: WishLevel | None
    reasons: list[str]
    status: Literal["planned", "held", "cancelled", "free", "unavailable"]
    outcome: Literal["none", "follow_up", "deal"] | None
    locked: bool
    partner_withdrawn: bool = Field(description="The partner withdrew after publication.")
    partner_erased: bool = Field(description="An erasure took this slot's meeting away.")
    note: str = Field(description="What the participant should know of this slot.")


class SessionParticipantAgenda(BaseModel):
    """One participant's agenda: every slot, with its partner, table and reasons."""

    session_id: str
    revision: int
    state: Literal["preliminary", "final"]
    member_id: str
    name: str
    rows: list[SessionAgendaRow]


class SessionMeetingRef(BaseModel):
    """A meeting, named by its pair."""

    model_config = ConfigDict(extra="forbid")

    member_id: str = MemberIdStr
    partner_id: str = MemberIdStr


class SessionMoveIn(SessionMeetingRef):
    slot: json_int(1, 1000)
    table: json_int(1, 1000) | None = Field(
        None, description="Default: its own table if free, else the lowest free."
    )
    lock: StrictBool = Field(True, description="Lock the moved meeting (kept by the next build).")


class SessionSwapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: SessionMeetingRef
    second: SessionMeetingRef
    lock: StrictBool = True


class SessionAddIn(SessionMeetingRef):
    slot: json_int(1, 1000)
    table: json_int(1, 1000) | None = Field(None, description="Default: the lowest free one.")
    locked: StrictBool = True


ConflictKind = Literal[
    "unknown_participant",
    "bad_slot",
    "bad_table",
    "duplicate_pair",
    "double_booking",
    "unavailable",
    "over_capacity",
    "table_clash",
    "vetoed",
    "not_allowed",
    "over_max",
    "withdrawn",
    "under_min",
]


class SessionConflict(BaseModel):
    kind: ConflictKind
    severity: Literal["error", "warning"]
    message: str
    member_ids: list[str]
    slot: int | None
    meetings: list[str]


class SessionEditOut(BaseModel):
    """What an edit changed, and the conflicts left (warnings; an edit never adds errors)."""

    session_id: str
    revision: int
    meetings: list[SessionMeeting]
    conflicts: list[SessionConflict]


class SessionCheckOut(BaseModel):
    session_id: str
    revision: int
    state: Literal["preliminary", "final"]
    errors: int
    warnings: int
    conflicts: list[SessionConflict]


class SessionCsvQuery(QueryModel):
    language: SessionLanguage = "en"
    view: Literal["plan", "agendas", "tables"] = Field(
        "plan",
        description="plan: a row per meeting; agendas: a row per participant and meeting, "
        "with reasons; tables: a row per slot, a column per table.",
    )


class SessionIcsQuery(QueryModel):
    language: SessionLanguage = "en"
    member_id: str | None = Field(
        None,
        pattern=ID_PATTERN,
        description="One participant's calendar (text/calendar); without it a zip of all.",
    )


def _document_outcome(schema: dict[str, Any], _model: Any = None) -> None:
    """State the rule of :meth:`SessionOutcomeIn._outcome_of_held`."""
    _add_rule(
        schema,
        {
            "anyOf": [
                {"properties": {"held": {"const": True}}},
                {"not": {"required": ["outcome"]}},
                {"properties": {"outcome": {"const": "none"}}},
            ]
        },
    )


class SessionOutcomeIn(SessionMeetingRef):
    """Whether a meeting took place and, if it did, what came of it."""

    model_config = ConfigDict(json_schema_extra=_document_outcome)

    held: StrictBool = Field(description="Whether the meeting took place.")
    outcome: Literal["none", "follow_up", "deal"] = Field(
        "none", description="Only for a held meeting (one that was not held has none)."
    )

    @model_validator(mode="after")
    def _outcome_of_held(self) -> SessionOutcomeIn:
        if not self.held and self.outcome != "none":
            message = "a meeting that did not take place has no outcome"
            raise field_error(type(self), [("outcome", message, self.outcome)])
        return self


class SessionOutcomesIn(BaseModel):
    """Outcomes after the day, all applied or none."""

    model_config = ConfigDict(extra="forbid")

    outcomes: list[SessionOutcomeIn] = Field(min_length=1, max_length=10_000)


class SessionFeedbackCounts(BaseModel):
    written: int = Field(description="Feedback events written (meeting or deal, per side).")
    removed: int = Field(description="Earlier events of these meetings that no longer hold.")
    skipped: int = Field(description="Pairs with a withdrawn member (no feedback).")


class SessionOutcomesOut(BaseModel):
    session_id: str
    revision: int
    meetings: list[SessionMeeting]
    feedback: SessionFeedbackCounts
