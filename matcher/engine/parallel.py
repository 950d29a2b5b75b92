"""Row ranges run on every core by threads, for compiled loops that release the GIL.

numba's own parallel loops need an OpenMP or TBB runtime that is not safe after ``fork`` (the
service's workers are forked); threads of this process are. A single recommendation splits its
one pass over the candidate index, and the walk of the trees over its candidates, in as many
ranges as there are cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["split_rows"]

#: Cores of the machine (``os.cpu_count`` reads the system each time it is called).
CORES = max(1, os.cpu_count() or 1)

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def _executor() -> ThreadPoolExecutor:
    """The process's pool (made again in a forked child: threads do not survive a fork)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=CORES, thread_name_prefix="matcher")
            _pool_pid = os.getpid()
        return _pool


def split_rows(function: Callable[[int, int], None], n_rows: int, min_rows: int) -> None:
    """Call ``function(start, stop)`` over ranges covering ``0..n_rows``: one range when there
    are fewer than ``2 * min_rows`` rows or one core, else one range per core, run at once.
    `function` must release the GIL (a ``nogil`` compiled loop) for the ranges to overlap."""
    parts = min(CORES, n_rows // max(min_rows, 1))
    if parts <= 1:
        function(0, n_rows)
        return
    bounds = [n_rows * i // parts for i in range(parts + 1)]
    pool = _executor()
    futures = [pool.submit(function, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    function(bounds[0], bounds[1])
    for future in futures:
        future.result()
