"""One long-lived asyncio event loop in a daemon thread, shared by every Graph adapter.

msgraph-sdk is async; Flask request threads and the sync worker are not. Submitting
coroutines to one loop (instead of asyncio.run per call) keeps httpx connection pools
alive and is safe from any thread.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Coroutine

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="graph-event-loop", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run(coroutine: Coroutine[Any, Any, Any], timeout: float | None = 120) -> Any:
    """Run `coroutine` on the background loop and wait for its result in this thread."""
    loop = background_loop()
    if _running_in(loop):
        coroutine.close()
        raise RuntimeError("graph_sync.loop.run() called from the Graph event loop itself")
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)


def _running_in(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
