"""Writing files whole or not at all.

Every file the library writes (models, exports, reports, session files, batch outputs) goes
through :func:`atomic_write`: it is written to a temporary file beside its destination, flushed
to disk and renamed into place with :func:`os.replace`, so a reader never sees half a file and a
failure leaves the old file as it was (and no temporary file behind).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text"]


def atomic_write(path: str | Path, write: Callable[[Path], None], *, private: bool = False) -> Path:
    """Call ``write(temporary_path)``, then move the finished file to `path`; return `path`.

    Parameters
    ----------
    path : path
        The destination; its folder is created if needed.
    write : callable
        Fills the temporary file given as a :class:`~pathlib.Path` (any writer that takes a
        file name: pandas, openpyxl, joblib, ...).
    private : bool, default=False
        Readable by the owner only (0600). Otherwise the file keeps the mode of the file it
        replaces, or gets a normal file's mode (0666 less the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if private:
        mode = 0o600
    elif path.exists():
        mode = path.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(
    path: str | Path, write: Callable[[IO[bytes]], None], *, private: bool = False
) -> Path:
    """:func:`atomic_write` with ``write(handle)`` writing to a binary file handle."""

    def fill(temporary: Path) -> None:
        with open(temporary, "wb") as handle:
            write(handle)

    return atomic_write(path, fill, private=private)


def atomic_write_text(
    path: str | Path, text: str, *, encoding: str = "utf-8", private: bool = False
) -> Path:
    """:func:`atomic_write` of `text` (newlines written as they are)."""
    return atomic_write(
        path,
        lambda temporary: temporary.write_text(text, encoding=encoding, newline=""),
        private=private,
    )
