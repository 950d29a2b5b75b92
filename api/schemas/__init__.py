"""Request and response schemas (pydantic v2); they make the OpenAPI document.

The document states what the service enforces, because both come from these models: closed
vocabularies (the taxonomy's tag ids, ISO country and language codes, IANA time zones) are
enumerations built from the same data the engine checks against, open ones (network, member and
session ids) are patterns, dates are dates, and JSON numbers and booleans are strict (``0`` is
not ``false``). Patterns are written for every reader alike (pydantic's, the document's
ECMA-262 one, Python's): ``[0-9]`` rather than ``\\d``, and explicit character classes rather
than ``\\s``, whose meaning differs between them. The values a field takes from the library
(scopes, languages, a session's states, statuses and outcomes...) are the library's constants.

One module per area: :mod:`.common` (vocabularies, patterns, strict readers, query strings),
:mod:`.members`, :mod:`.suggestions` (and feedback), :mod:`.models` (model versions),
:mod:`.exchange` (import and export), :mod:`.insights`, :mod:`.sessions`, :mod:`.users` and
:mod:`.health` (liveness and readiness). Their public names (each module's ``__all__``) are
this package's: ``from api.schemas import MemberOut``.
"""

from __future__ import annotations

from . import common, exchange, health, insights, members, models, sessions, suggestions, users
from .common import *
from .exchange import *
from .health import *
from .insights import *
from .members import *
from .models import *
from .sessions import *
from .suggestions import *
from .users import *

__all__ = (
    common.__all__
    + members.__all__
    + suggestions.__all__
    + models.__all__
    + exchange.__all__
    + insights.__all__
    + sessions.__all__
    + users.__all__
    + health.__all__
)
