"""Networks: their display names, the words people read for them.

A network's id is its slug (``kharkiv-fashion-cluster``), the value of the profiles'
``network`` column and of every machine output (JSON, CSV). People read its display name, in
English (``networks.name``) or Ukrainian (``networks.name_uk``): :func:`network_names` gives
them in the shape the library takes (:data:`matcher.i18n.NetworkNames`), and
:func:`matcher.i18n.network_name` picks one, falling back to the English name, then to the slug
as words ("Kharkiv Fashion Cluster") for a network nobody has named.

A network is created with its first member (:func:`api.services.members.profile_values`),
unnamed; :func:`store_network_names` names networks (``matcher db import --networks``, the
sample's ``networks.csv`` with ``matcher db load-sample``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.i18n import NetworkNames

from ..tables import Network

#: The language of each name column.
NAME_COLUMNS = {"en": "name", "uk": "name_uk"}


def network_names(session: Session) -> dict[str, dict[str, str]]:
    """Return the display names of every network, ``{network_id: {language: name}}`` (only
    the names given: an unnamed network is absent or has fewer languages)."""
    names: dict[str, dict[str, str]] = {}
    for network in session.scalars(select(Network)):
        given = {
            language: getattr(network, column)
            for language, column in NAME_COLUMNS.items()
            if getattr(network, column)
        }
        if given:
            names[network.network_id] = given
    return names


def store_network_names(session: Session, names: NetworkNames) -> dict[str, int]:
    """Name networks: ``{network_id: {language: name}}`` (validated, e.g. by
    :func:`matcher.profiles.validate_network_names`); a network not stored yet is created.

    Only the languages given are written (a name left out stays as it was). Returns the counts
    ``created``, ``updated`` and ``unchanged``, as the other imports do.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for network_id, given in names.items():
        network = session.get(Network, network_id)
        if network is None:
            network = Network(network_id=network_id, name="", name_uk="")
            session.add(network)
            counts["created"] += 1
        else:
            changed = any(
                getattr(network, NAME_COLUMNS[language]) != name
                for language, name in given.items()
                if language in NAME_COLUMNS
            )
            counts["updated" if changed else "unchanged"] += 1
        for language, name in given.items():
            if language in NAME_COLUMNS:
                setattr(network, NAME_COLUMNS[language], name)
    session.flush()
    return counts
