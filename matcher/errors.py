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

__all__ = ["InputError"]


class InputError(ValueError):
    """Input the user can fix: the message names the field, row or value and what is allowed."""
