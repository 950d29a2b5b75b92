"""What the pages call things: networks by their display names, in the page's language.

The pages show a network's display name (:mod:`api.services.networks`) wherever a person
reads it, and keep its id (the slug) in URLs, form values and ``data-`` attributes. The names
are read once per request (:func:`page_network_names`) and passed to the library where it
words things (reasons, reports, exports).
"""

from __future__ import annotations

from flask import g

from matcher import i18n as library

from ..db import get_db
from ..services.networks import network_names
from .i18n import current_language


def page_network_names() -> dict[str, dict[str, str]]:
    """The display names of every network, ``{network_id: {language: name}}``, read from the
    database once per request."""
    names = g.get("network_names")
    if names is None:
        names = g.network_names = network_names(get_db())
    return names


def network_name(network_id: str | None, language: str | None = None) -> str:
    """The display name of `network_id` in `language` (default: the page's); "" for none."""
    if not network_id:
        return ""
    return library.network_name(network_id, language or current_language(), page_network_names())
