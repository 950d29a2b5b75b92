"""What the request and answer models of every area share: the closed vocabularies (the
taxonomy's tag ids, ISO country and language codes, IANA time zones) as enumerations, the
patterns of open ones (ids, names, texts), the strict readers of dates, booleans and integers,
the validation error naming fields, the ``member_id``/``id`` alias of a body and the query
string models (:class:`QueryModel`).
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
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from matcher import geography
from matcher.taxonomy import load_taxonomy

from ..services.transfer import FORMATS

__all__ = [
    "API_PREFIX",
    "BREAK_PATTERN",
    "EMAIL_PATTERN",
    "HHMM_PATTERN",
    "ID_PATTERN",
    "MAX_COUNTRIES",
    "MAX_TAGS",
    "NACE_PATTERN",
    "NAME_PATTERN",
    "NON_BLANK",
    "SLUG_PATTERN",
    "TEXT_PATTERN",
    "CachedSchemaModel",
    "Capability",
    "CapabilityId",
    "Certification",
    "CertificationId",
    "Country",
    "CountryCode",
    "FileFormat",
    "IsoDate",
    "Language",
    "LanguageCode",
    "MarketPresence",
    "MarketPresenceId",
    "MemberId",
    "MemberIdAlias",
    "MemberIdStr",
    "NetworkId",
    "OrgType",
    "OrgTypeId",
    "PartnershipType",
    "PartnershipTypeId",
    "Product",
    "ProductId",
    "QueryBool",
    "QueryInt",
    "QueryModel",
    "QueryRevision",
    "TimeZone",
    "TimeZoneName",
    "field_error",
    "json_int",
]

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
#: The file formats of an import or export (members, links, a session's participants).
FileFormat = Literal[FORMATS]

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


# ---------------------------------------------------------------------------------------------
# Query strings
# ---------------------------------------------------------------------------------------------


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
