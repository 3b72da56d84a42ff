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
        self._conditions: dict[str, asyncio.Condition] = {}
        self._paused_until: dict[str, float] = defaultdict(float)
        self._in_flight: dict[str, int] = defaultdict(int)
        self.peak_in_flight: dict[str, int] = defaultdict(int)
        self._tokens = rate_per_second
        self._refilled = time.monotonic()

    @contextlib.asynccontextmanager
    async def slot(self, mailbox: str, weight: int = 1):
        """Hold `weight` of the mailbox's slots while a request runs. A JSON $batch is one HTTP request
        but Graph runs up to 4 of its items at once, each counting against the mailbox's limits
        (https://learn.microsoft.com/graph/throttling#throttling-and-batching, and the Outlook limits:
        https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits): it weighs
        min(4, its items). Slots are taken all at once (never some of them while waiting for the rest:
        two batches could hold half each and wait for ever)."""
        weight = max(1, min(int(weight), self.per_mailbox))
        condition = self._conditions.setdefault(mailbox, asyncio.Condition())
        async with condition:
            await condition.wait_for(lambda: self._in_flight[mailbox] + weight <= self.per_mailbox)
            self._in_flight[mailbox] += weight
        try:
            await self._wait_pause(mailbox)
            await self._take_token()
            self.peak_in_flight[mailbox] = max(self.peak_in_flight[mailbox], self._in_flight[mailbox])
            yield
        finally:
            async with condition:
                self._in_flight[mailbox] -= weight
                condition.notify_all()

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
