"""The one exception for input a user can fix.

Every check of what a caller gave (a file, a row, an option, a filter value) raises
:class:`InputError` or a subclass, with a message that names the field, the row or the value and
says what is allowed. Anything else that escapes the library is a failure of the program: the
command line answers the first with exit code 2 and the message, the second with exit code 1 and
the traceback under ``-v``; the service answers 4xx and 500.

``InputError`` derives from ``ValueError`` so that callers written against the standard library's
convention keep working; code that must tell the two apart catches ``InputError`` first.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["InputError", "UnknownMemberError"]


class InputError(ValueError):
    """Input the user can fix: the message names the field, row or value and what is allowed."""


class UnknownMemberError(InputError, KeyError):
    """A member id (or several) that the fitted profiles do not hold.

    An :class:`InputError` (the user gave the id), and still a ``KeyError``, as the look-ups
    raised before, for callers that catch that (the service answers 404 to it).

    Parameters
    ----------
    message : str
        Names the ids and where they were looked for.
    member_ids : iterable of str
        The unknown ids.
    """

    def __init__(self, message: str, member_ids: Iterable[str] = ()):
        super().__init__(message)
        self.member_ids = tuple(member_ids)

    def __str__(self) -> str:
        # KeyError would show the message quoted, as the repr of a missing key.
        return str(self.args[0]) if self.args else ""

    def __reduce__(self):
        # Pickled with its ids (a Dask worker's error reaches the client this way).
        return type(self), (str(self), self.member_ids)
