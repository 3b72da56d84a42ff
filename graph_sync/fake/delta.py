"""Delta rounds: ``$skiptoken`` paging inside a round and ``$deltatoken`` between rounds.

A round is fixed when it starts (the list of changes is computed once and kept), so its pages
are a consistent snapshot whatever happens to the mailbox meanwhile, and a page can be fetched
again after a dropped connection. A delta token holds the sequence number the round was cut at;
the next round returns what changed after it. Tokens carry this server's instance nonce and an
epoch: tokens from another run of the fake, or issued before ``expire_all()``, get 410 Gone; and
the mailbox they were issued for (another mailbox's token is 410 too).
"""
from __future__ import annotations

import base64
import binascii
import itertools
import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Response

from .errors import GraphError, sync_state_not_found
from .mailbox import Change
from .web import Ctx

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Round:
    id: int
    kind: str
    scope: str
    upto: int
    options: dict
    changes: list[Change]


class DeltaEngine:
    """Keeps recent rounds for their skip tokens; the oldest are forgotten (their tokens then get 410,
    as Graph's token cache forgets), bounded by round count and by changes held in total."""

    def __init__(self, max_rounds: int = 2000, max_changes: int = 2_000_000):
        self._instance = secrets.token_hex(4)
        self._epoch = 0
        self._rounds: OrderedDict[int, Round] = OrderedDict()
        self._held = 0
        self._counter = itertools.count(1)
        self._max_rounds = max_rounds
        self._max_changes = max_changes
        self._lock = threading.Lock()

    def expire_all(self) -> None:
        with self._lock:
            self._epoch += 1
            self._rounds.clear()
            self._held = 0

    def _encode(self, payload: dict) -> str:
        with self._lock:
            payload = {"i": self._instance, "e": self._epoch, **payload}
        raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def _decode(self, token: str, kind: str, scope: str) -> dict:
        # Every token the fake cannot use (garbage, another resource's, another run's, expired) is
        # 410 Gone, as Graph answers for an expired one: the client's way on is a new full round.
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise _gone({}) from None
        if not isinstance(payload, dict):
            raise _gone({})
        if payload.get("k") != kind or payload.get("s") != scope:
            raise _gone({})
        with self._lock:
            if payload.get("i") != self._instance or payload.get("e") != self._epoch:
                raise _gone(payload)
        return payload

    def start(self, kind: str, scope: str, upto: int, options: dict, changes: list[Change]) -> Round:
        with self._lock:
            current = Round(next(self._counter), kind, scope, upto, options, changes)
            self._rounds[current.id] = current
            self._held += len(changes)
            while len(self._rounds) > 1 and (len(self._rounds) > self._max_rounds or self._held > self._max_changes):
                self._held -= len(self._rounds.popitem(last=False)[1].changes)
            return current

    def skip_token(self, current: Round, offset: int) -> str:
        return self._encode({"k": current.kind, "s": current.scope, "r": current.id, "o": offset,
                             "q": current.options.get("query", "")})

    def delta_token(self, current: Round) -> str:
        return self._encode({"k": current.kind, "s": current.scope, "u": current.upto, "opt": current.options})

    def resume(self, token: str, kind: str, scope: str) -> tuple[Round, int]:
        payload = self._decode(token, kind, scope)
        with self._lock:
            current = self._rounds.get(payload.get("r"))
        if current is None or not isinstance(payload.get("o"), int):
            raise _gone(payload)
        return current, payload["o"]

    def since(self, token: str, kind: str, scope: str) -> tuple[int, dict]:
        payload = self._decode(token, kind, scope)
        if not isinstance(payload.get("u"), int) or not isinstance(payload.get("opt"), dict):
            raise _gone({})
        return payload["u"], payload["opt"]


def _gone(payload: dict) -> GraphError:
    error = sync_state_not_found()
    query = payload.get("q") or (payload.get("opt") or {}).get("query", "")
    error.headers["x-fake-initial-query"] = query
    return error


def initial_query(ctx: Ctx) -> str:
    """The query a round started with (tokens and page size left out), for the 410 Location header."""
    pairs = [(k, v) for k, v in ctx.request.args.items(multi=True)
             if k.lower() not in ("$skiptoken", "$deltatoken", "$top")]
    return urlencode(pairs, safe="$,:'()", quote_via=quote)


Collect = Callable[[int | None, dict], tuple[int, list[Change]]]
RenderChange = Callable[[Change, dict], dict]


def serve(ctx: Ctx, *, kind: str, scope: str, entity: str, initial_options: Callable[[], dict],
          collect: Collect, render_change: RenderChange) -> Response:
    """One page of a delta round for ``scope``, starting a round when the request has no skip token."""
    engine: DeltaEngine = ctx.app.delta
    # Tokens are per mailbox: one mailbox's token used on another is as unusable as any other (410).
    scope = f"{ctx.mailbox.user.get('id', '')}:{scope}"
    link = ctx.request.base_url
    skip, delta = ctx.arg("$skiptoken"), ctx.arg("$deltatoken")
    try:
        if skip:
            current, offset = engine.resume(skip, kind, scope)
        else:
            since, options = engine.since(delta, kind, scope) if delta else (None, initial_options())
            upto, changes = collect(since, options)
            current, offset = engine.start(kind, scope, upto, options, changes), 0
    except GraphError as error:
        if error.status == 410:
            # Graph's reset signal: Location is the initial request again, with an empty token.
            query = error.headers.pop("x-fake-initial-query", "")
            error.headers["Location"] = f"{link}?{query + '&' if query else ''}$deltatoken="
        raise
    size = ctx.page_size(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page = current.changes[offset:offset + size]
    body: dict[str, Any] = {"@odata.context": ctx.context_url(f"Collection({entity})")}
    if offset + size < len(current.changes):
        body["@odata.nextLink"] = f"{link}?$skiptoken={engine.skip_token(current, offset + size)}"
    else:
        body["@odata.deltaLink"] = f"{link}?$deltatoken={engine.delta_token(current)}"
    body["value"] = [render_change(change, current.options) for change in page]
    return ctx.json(body)
