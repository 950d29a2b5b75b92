"""Generated data: the fictional sample cluster and large synthetic profile files
(:mod:`.generator`, its word tables in :mod:`.tables`), and the held-out value-chain world
(:mod:`.value_chain`) used to evaluate on data the engine was not built on.

The names below are imported from their module on first use (:pep:`562`), so importing one
module of the package does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .generator import (
        HOME_NETWORK,
        LINK_COLUMNS,
        PROFILE_COLUMNS,
        SAMPLE_DIR,
        generate_cluster,
        generate_links,
        generate_profiles,
        load_sample_frames,
        write_sample,
    )
    from .value_chain import (
        EDGES,
        LINES,
        NETWORKS,
        ROLES,
        SIGMA,
        THRESHOLD,
        ValueChainWorld,
        generate_value_chain_world,
        write_value_chain_world,
    )

#: Each public name and the module of this package that defines it.
_MODULE_OF = {
    "HOME_NETWORK": "generator",
    "LINK_COLUMNS": "generator",
    "PROFILE_COLUMNS": "generator",
    "SAMPLE_DIR": "generator",
    "generate_cluster": "generator",
    "generate_links": "generator",
    "generate_profiles": "generator",
    "load_sample_frames": "generator",
    "write_sample": "generator",
    "EDGES": "value_chain",
    "LINES": "value_chain",
    "NETWORKS": "value_chain",
    "ROLES": "value_chain",
    "SIGMA": "value_chain",
    "THRESHOLD": "value_chain",
    "ValueChainWorld": "value_chain",
    "generate_value_chain_world": "value_chain",
    "write_value_chain_world": "value_chain",
}

__all__ = [
    "EDGES",
    "HOME_NETWORK",
    "LINES",
    "LINK_COLUMNS",
    "NETWORKS",
    "PROFILE_COLUMNS",
    "ROLES",
    "SAMPLE_DIR",
    "SIGMA",
    "THRESHOLD",
    "ValueChainWorld",
    "generate_cluster",
    "generate_links",
    "generate_profiles",
    "generate_value_chain_world",
    "load_sample_frames",
    "write_sample",
    "write_value_chain_world",
]


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
