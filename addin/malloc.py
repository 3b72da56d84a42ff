"""glibc heap tuning for Dealpane's web processes.

By default glibc gives the top of the heap back to the OS as soon as more than 128 KB there is
free, and its adaptive threshold moves with the allocation pattern. A request that builds and frees
a few hundred KB (SQLite's sorter and page cache, JSON) then makes the next request page-fault the
same memory back in: bench/context_latency.py saw the pane's context call run 2.7× slower in a
process that had fallen into that state. MALLOC_TRIM_THRESHOLD_ fixes it too, but glibc reads it
only when a process starts; this sets the same with mallopt, in gunicorn's workers after the fork
and in `dealpane demo` (a process without it spent ~0.5 ms of system time per context call, 350 minor
page faults, on the 1.4 GB benchmark database).
Not in the sync worker: its delta pages are 0.5 MB buffers. Setting the trim threshold also fixes
glibc's mmap threshold at 128 KB, which sends each of them through mmap/munmap (minor faults 19k ->
84k over 100,000 messages); raising that too kept them in the heap at +20 MB peak RSS, with no
speed-up bench/sync_throughput.py could tell from its noise.
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
