"""Graph's Outlook service limits, the fake's latency, and the counters `GET /_fake/stats` shows.

The limits, as Microsoft documents them ("Microsoft Graph service-specific throttling limits",
Outlook service limits, https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits),
evaluated "for each app ID and mailbox combination" ("if an application exceeds the limit in one
mailbox, it does not affect the ability to access another mailbox"):

- 10,000 API requests in a 10 minute period;
- 4 concurrent requests (per app, per mailbox: https://devblogs.microsoft.com/microsoft365dev/throttling-changes-coming-to-beta-outlook-apis-and-outlook-related-apis-in-microsoft-graph/
  "Each application is limited to 4 concurrent requests per mailbox");
- 150 MB upload (PATCH, POST, PUT) in a 5 minute period.

Over a limit Graph answers 429 with a `Retry-After` header (https://learn.microsoft.com/graph/throttling).
The body's code is ``ApplicationThrottled`` and its message names the limit: "Application is over
its MailboxConcurrency limit." for the concurrency limit (as clients see it, e.g.
https://learn.microsoft.com/answers/questions/1660054/ and
https://learn.microsoft.com/answers/questions/734143/), "Application is over its IncomingBytes
limit." for uploads (https://github.com/O365/python-o365/issues/500). Microsoft publishes no
message for the request budget; the fake says "Application is over its MailboxRequests limit."
(same code, same status: what a client must look at).

Every request counts against the budget, a throttled one too: "Avoid immediate retries, because
all requests accrue against your usage limits" (https://learn.microsoft.com/graph/throttling,
"Best practices to handle throttling"). The budget's `Retry-After` is the whole seconds until
enough of the window's requests have aged out; the concurrency limit's is 1 second, as Graph
tends to send (https://github.com/microsoftgraph/msgraph-sdk-javascript/issues/297).

JSON batching: "Requests in a batch are evaluated individually against throttling limits and if
any request exceeds the limits, it fails with a status code of 429 ... The batch itself succeeds
with a status code of 200" (https://learn.microsoft.com/graph/throttling#throttling-and-batching,
https://learn.microsoft.com/graph/json-batching). And for Outlook, "the service executes up to 4
requests [of a batch] in parallel at any point ... when targeting the same mailbox, applications
... can either have up to 4 individual requests in a single batch request running concurrently
(without specifying dependsOn) or use the dependsOn property for each batch request and have up
to 4 such batch requests running concurrently" (throttling-limits, "Outlook service limits for
JSON batching"). So a batch holds, on each mailbox it addresses, min(4, its items for that
mailbox without dependsOn) concurrency slots while it runs (its *width*). When fewer slots are
free it holds what it can get (`held`), and of every `width` consecutive items for that mailbox
the ones past `held` get 429, as the items Graph dispatched beyond the free slots would.
"""
from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .errors import GraphError

LIMITS_PAGE = "https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits"
CONCURRENCY = "MailboxConcurrency"
BUDGET = "ApplicationThrottled"
UPLOAD = "IncomingBytes"
_MESSAGES = {CONCURRENCY: "Application is over its MailboxConcurrency limit.",
             BUDGET: "Application is over its MailboxRequests limit.",
             UPLOAD: "Application is over its IncomingBytes limit."}
UPLOAD_METHODS = {"POST", "PATCH", "PUT"}


@dataclass(frozen=True)
class OutlookLimits:
    """Graph's Outlook limits per (app, mailbox); smaller numbers make tests reach them quickly."""

    concurrency: int = 4
    requests: int = 10_000
    window: float = 600.0
    upload_bytes: int = 150 * 1024 * 1024
    upload_window: float = 300.0
    concurrency_retry_after: int = 1


class _Window:
    """A sliding window's count, in at most `slices` time buckets (bounded memory whatever the rate)."""

    def __init__(self, seconds: float, slices: int = 600):
        self.seconds = seconds
        self.width = seconds / slices
        self._buckets: deque[list[float]] = deque()   # [bucket start, amount]
        self.total = 0.0

    def _expire(self, now: float) -> None:
        while self._buckets and self._buckets[0][0] + self.width <= now - self.seconds:
            self.total -= self._buckets.popleft()[1]

    def add(self, now: float, amount: float) -> float:
        self._expire(now)
        start = now - (now % self.width)
        if self._buckets and self._buckets[-1][0] == start:
            self._buckets[-1][1] += amount
        else:
            self._buckets.append([start, amount])
        self.total += amount
        return self.total

    def wait_until_below(self, now: float, limit: float) -> float:
        """Seconds until the window holds less than `limit` again (a bucket leaves whole)."""
        left = self.total
        if left < limit:
            return 0.0
        for start, amount in self._buckets:
            left -= amount
            if left < limit:
                return max(0.0, start + self.width + self.seconds - now)
        return self.seconds


class _Counts:
    __slots__ = ("requests", "throttled", "max_concurrent")

    def __init__(self) -> None:
        self.requests = 0
        self.throttled = 0
        self.max_concurrent = 0


class Stats:
    """What `GET /_fake/stats` reports. Counters only: `reset()` leaves the fake's state alone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.http_requests = 0
            self.throttled = {CONCURRENCY: 0, BUDGET: 0, UPLOAD: 0}
            self.max_concurrent = 0
            self.by_mailbox: dict[str, _Counts] = {}
            self.subscriptions = {"created": 0, "renewed": 0, "deleted": 0}
            self.notifications = {"posts": 0, "items": 0, "failed_posts": 0}

    def request(self, batch_item: bool = False) -> None:
        """A Graph request (batch items included), whatever became of it."""
        with self._lock:
            self.requests += 1
            if not batch_item:
                self.http_requests += 1

    def mailbox_request(self, label: str) -> None:
        with self._lock:
            self._mailbox(label).requests += 1

    def _mailbox(self, label: str) -> _Counts:
        counts = self.by_mailbox.get(label)
        if counts is None:
            counts = self.by_mailbox[label] = _Counts()
        return counts

    def throttle(self, label: str, limit: str) -> None:
        with self._lock:
            self.throttled[limit] += 1
            self._mailbox(label).throttled += 1

    def concurrent(self, label: str, in_flight: int) -> None:
        with self._lock:
            counts = self._mailbox(label)
            counts.max_concurrent = max(counts.max_concurrent, in_flight)
            self.max_concurrent = max(self.max_concurrent, in_flight)

    def subscription(self, what: str) -> None:
        with self._lock:
            self.subscriptions[what] += 1

    def notification(self, items: int, delivered: bool) -> None:
        with self._lock:
            self.notifications["posts"] += 1
            self.notifications["items"] += items
            if not delivered:
                self.notifications["failed_posts"] += 1

    def snapshot(self, *, active_subscriptions: int, generated: int | None, summary: bool = False) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                "requests": self.requests, "http_requests": self.http_requests, "throttled": dict(self.throttled),
                "max_concurrent_per_mailbox": self.max_concurrent, "mailboxes_touched": len(self.by_mailbox),
                "subscriptions": {**self.subscriptions, "active": active_subscriptions},
                "notifications": dict(self.notifications)}
            if generated is not None:
                out["mailboxes_generated"] = generated
            if not summary:
                out["by_mailbox"] = {label: {"requests": c.requests, "throttled": c.throttled,
                                             "max_concurrent": c.max_concurrent}
                                     for label, c in self.by_mailbox.items()}
            return out


def throttled(limit: str, retry_after: float) -> GraphError:
    error = GraphError(429, "ApplicationThrottled", _MESSAGES[limit])
    error.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return error


class Lease:
    """Concurrency slots held on one (app, mailbox) until released."""

    __slots__ = ("throttle", "key", "slots")

    def __init__(self, throttle: "Throttle", key: tuple, slots: int):
        self.throttle, self.key, self.slots = throttle, key, slots

    def release(self) -> None:
        if self.slots:
            self.throttle._release(self.key, self.slots)
            self.slots = 0


class Throttle:
    """Graph's Outlook limits per (app id, mailbox id); `stats` counts what happened."""

    def __init__(self, limits: OutlookLimits | None, stats: Stats):
        self.limits = limits
        self.stats = stats
        self._lock = threading.Lock()
        self._in_flight: dict[tuple, int] = {}
        self._requests: dict[tuple, _Window] = {}
        self._uploads: dict[tuple, _Window] = {}

    def admit(self, key: tuple, label: str, *, method: str, size: int, hold: bool = True) -> Lease:
        """Count one request on `key` and hold one concurrency slot while it runs (`hold=False`: a
        batch item, whose slot the batch holds); raises Graph's 429 over a limit."""
        self.stats.mailbox_request(label)
        limits = self.limits
        now = time.monotonic()
        limit, wait = None, 0.0
        with self._lock:
            in_flight = self._in_flight.get(key, 0)
            if limits is not None:
                window = self._requests.get(key)
                if window is None:
                    window = self._requests[key] = _Window(limits.window)
                if window.add(now, 1) > limits.requests:
                    limit, wait = BUDGET, window.wait_until_below(now, limits.requests)
                elif method in UPLOAD_METHODS and size > 0:
                    uploads = self._uploads.get(key)
                    if uploads is None:
                        uploads = self._uploads[key] = _Window(limits.upload_window)
                    if uploads.add(now, size) > limits.upload_bytes:
                        limit, wait = UPLOAD, uploads.wait_until_below(now, limits.upload_bytes)
                if limit is None and hold and in_flight >= limits.concurrency:
                    limit, wait = CONCURRENCY, limits.concurrency_retry_after
            if limit is None and hold:
                in_flight += 1
                self._in_flight[key] = in_flight
        if limit is not None:
            raise self.refuse(label, limit, wait)
        if hold:
            self.stats.concurrent(label, in_flight)
        return Lease(self, key, 1 if hold else 0)

    def refuse(self, label: str, limit: str, wait: float | None = None) -> GraphError:
        """Count a 429 for `limit` on `label`'s mailbox and return it, ready to raise."""
        self.stats.throttle(label, limit)
        if wait is None:
            wait = self.limits.concurrency_retry_after if self.limits is not None else 1
        return throttled(limit, wait)

    def reserve(self, key: tuple, label: str, width: int) -> Lease:
        """A batch's slots on one mailbox: up to `width`, as many as are free (maybe none)."""
        with self._lock:
            in_flight = self._in_flight.get(key, 0)
            free = width if self.limits is None else max(0, min(width, self.limits.concurrency - in_flight))
            self._in_flight[key] = in_flight + free
        if free:
            self.stats.concurrent(label, in_flight + free)
        return Lease(self, key, free)

    def _release(self, key: tuple, slots: int) -> None:
        with self._lock:
            left = self._in_flight.get(key, 0) - slots
            if left > 0:
                self._in_flight[key] = left
            else:
                self._in_flight.pop(key, None)

    def in_flight(self, key: tuple) -> int:
        with self._lock:
            return self._in_flight.get(key, 0)


class Latency:
    """A uniform random pause per Graph request, (low, high) seconds."""

    def __init__(self, low: float, high: float):
        if low < 0 or high < low:
            raise ValueError("latency must be (low, high) with 0 <= low <= high")
        self.low, self.high = low, high
        self._random = random.Random()

    def pause(self, share: float = 1.0) -> None:
        seconds = self._random.uniform(self.low, self.high) * share
        if seconds > 0:
            time.sleep(seconds)
