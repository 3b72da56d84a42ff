"""glibc heap tuning for long-running Dealpane processes (web workers, sync workers).

By default glibc gives the top of the heap back to the OS as soon as more than 128 KB there is
free, and its adaptive threshold moves with the allocation pattern. A request that builds and frees
a few hundred KB (SQLite's sorter and page cache, JSON) then makes the next request page-fault the
same memory back in: bench/context_latency.py saw the pane's context call run 2.7× slower in a
process that had fallen into that state. MALLOC_TRIM_THRESHOLD_ fixes it too, but glibc reads it
only when a process starts; this sets the same with mallopt, in gunicorn's workers after the fork.
Not in the sync worker: its delta pages are large buffers, which this setting would keep in the heap
(peak RSS 115 -> 135 MB at 100,000 messages) without a speed-up bench/sync_throughput.py could show.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

M_TRIM_THRESHOLD = -1
TRIM_THRESHOLD = 64 * 1024 * 1024  # keep up to 64 MB of free heap top per process

log = logging.getLogger(__name__)


def keep_freed_heap(threshold: int = TRIM_THRESHOLD) -> bool:
    """Raise glibc's trim threshold in this process (and the processes it forks). False where
    the C library is not glibc (musl, macOS): nothing to tune there."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = mallopt(M_TRIM_THRESHOLD, threshold) == 1
    if not done:
        log.warning("mallopt(M_TRIM_THRESHOLD) refused; heap trimming stays at glibc's default")
    return done
