"""The ``matcher`` command line: ``main`` is the console script (setup.cfg). Its commands live in
:mod:`.main` (train, recommend, evaluate, models, ...), :mod:`.batch`, :mod:`.sessions` and
:mod:`.insights`; the service adds its own (serve, db, users) through the ``matcher.commands``
entry points. Importing this package loads neither the engine nor the service.
"""

from __future__ import annotations

from .commands import main

__all__ = ["main"]
