"""Politeness towards Graph: at most 4 requests in flight per mailbox (Graph's per-mailbox
concurrency limit), a global request rate per app, and a mailbox paused for as long as Graph's
Retry-After asked. Everything runs on the single Graph event loop (graph_sync.loop), so plain
asyncio primitives are enough within a process; across processes each worker keeps its own.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict

PER_MAILBOX = 4


class GraphLimits:
    def __init__(self, per_mailbox: int = PER_MAILBOX, rate_per_second: float = 200.0):
        self.per_mailbox = per_mailbox
        self.rate = rate_per_second
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._paused_until: dict[str, float] = defaultdict(float)
        self._in_flight: dict[str, int] = defaultdict(int)
        self.peak_in_flight: dict[str, int] = defaultdict(int)
        self._tokens = rate_per_second
        self._refilled = time.monotonic()

    @contextlib.asynccontextmanager
    async def slot(self, mailbox: str):
        semaphore = self._semaphores.setdefault(mailbox, asyncio.Semaphore(self.per_mailbox))
        async with semaphore:
            await self._wait_pause(mailbox)
            await self._take_token()
            self._in_flight[mailbox] += 1
            self.peak_in_flight[mailbox] = max(self.peak_in_flight[mailbox], self._in_flight[mailbox])
            try:
                yield
            finally:
                self._in_flight[mailbox] -= 1

    def pause(self, mailbox: str, seconds: float) -> None:
        """Graph said Retry-After for this mailbox: hold its other requests too."""
        self._paused_until[mailbox] = max(self._paused_until[mailbox], time.monotonic() + seconds)

    async def _wait_pause(self, mailbox: str) -> None:
        delay = self._paused_until[mailbox] - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _take_token(self) -> None:
        while True:
            now = time.monotonic()
            self._tokens = min(self.rate, self._tokens + (now - self._refilled) * self.rate)
            self._refilled = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            await asyncio.sleep((1 - self._tokens) / self.rate)


LIMITS = GraphLimits()
