"""The fake Graph's HTTP side: the WSGI app every request goes through, and the loopback server.

Pipeline for ``/v1.0/...``: record the request, check the bearer token, apply an injected fault,
route (``/me/...``, ``/users/{id|upn|mail}/...``, or the root: ``/subscriptions``, ``/$batch``).
A request for a mailbox then goes through Graph's Outlook limits (throttling.py: 429 over them)
and the configured latency, holding its concurrency slot until its answer is ready.
Given a token authority (``entra``), the token and the route's permission are checked as Graph
checks them (authority.py); without one, any bearer token (or exactly ``require_token``) passes.
A drop fault lets the request take effect and then cuts its response short, which is what a
client sees when a connection dies after the server acted.
"""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Iterable

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from . import batch, control, notify, routes_attachments, routes_calendar, routes_mail, routes_misc, routes_todo
from .authority import TokenAuthority
from .company import Company, Directory, SingleDirectory
from .delta import DeltaEngine
from .errors import GraphError, fault_error, not_implemented, unauthorized
from .faults import Fault, FaultSet
from .mailbox import Mailbox
from .throttling import CONCURRENCY, Latency, Lease, OutlookLimits, Stats, Throttle
from .web import Ctx, Router, error_response, parse_prefer

_KEY_SYNTAX = re.compile(r"/([A-Za-z]+)\('([^'/]*)'\)")
_USER_PATH = re.compile(r"^/users/([^/]+)(?=/|$)", re.IGNORECASE)
_ME_PATH = re.compile(r"^/me(?=/|$)", re.IGNORECASE)
# The controls answer at the root and, for clients holding the base URL, under /v1.0 too.
_CONTROL_PATH = re.compile(r"^(?:/v1\.0)?/_fake(?=/|$)")
_ITEM_USER = re.compile(r"^/?(?:(?P<me>me)|users/(?P<user>[^/?]+)|users\('(?P<key>[^'/]+)'\))(?=/|\?|$)", re.IGNORECASE)
COMPANY_LOG_SIZE = 10_000  # the request log keeps only the latest entries in company mode
ME_APP_ONLY = "/me request is only valid with delegated authentication flow."
_HIDDEN_HEADERS = {"authorization", "cookie"}
_BAD_JSON = ("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of "
             "valid JSON format.")


class RequestLog:
    """Every Graph request, or (``limit``) only the latest ``limit`` of them."""

    def __init__(self, limit: int | None = None) -> None:
        self._entries: deque[dict] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def record(self, request: Request, body: Any) -> None:
        entry = {"method": request.method, "path": request.path, "query": request.args.to_dict(flat=True),
                 "headers": {k: v for k, v in request.headers.items() if k.lower() not in _HIDDEN_HEADERS},
                 "body": body, "at": time.monotonic()}  # when it arrived (tests compare it with pauses)
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _read_body(request: Request) -> tuple[Any, GraphError | None]:
    """(body for the log and the handlers, or the 400 Graph gives for an unreadable one)."""
    raw = request.get_data(cache=True)
    if not raw:
        return None, None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace"), GraphError(400, "BadRequest", _BAD_JSON)
    if request.mimetype != "application/json":
        return parsed, GraphError(400, "BadRequest", _BAD_JSON)
    return parsed, None


class GraphApp:
    """The WSGI application. ``mailbox`` (one-mailbox mode) or ``directory`` (company mode) is the
    state; the rest is per-server bookkeeping."""

    def __init__(self, mailbox: Mailbox | None, require_token: str | None = None, entra=None, *,
                 directory: Directory | SingleDirectory | None = None, limits: OutlookLimits | None = None,
                 latency: tuple[float, float] | None = None, log_limit: int | None = None,
                 max_rounds: int = 2000):
        self.mailbox = mailbox
        self.directory = directory if directory is not None else SingleDirectory(mailbox)
        self.company = isinstance(self.directory, Directory)
        self.require_token = require_token
        self.authority = TokenAuthority(entra) if entra is not None else None
        self.delta = DeltaEngine(max_rounds=max_rounds)
        self.faults = FaultSet()
        self.log = RequestLog(log_limit)
        self.stats = Stats()
        self.throttle = Throttle(limits, self.stats)
        self.latency = Latency(*latency) if latency else None
        self.subscriptions = routes_misc.Subscriptions()
        self.notifier = None  # notify.Notifier when FakeGraph(notify=True): handshakes and notifications
        self._local = threading.local()  # the $batch being run on this thread (its items come through here)
        self.user_routes, self.root_routes, self.control_routes = Router(), Router(), Router()
        for register in (routes_mail.register, routes_attachments.register, routes_calendar.register, routes_todo.register,
                         routes_misc.register_user):
            register(self.user_routes)
        routes_misc.register_root(self.root_routes)
        self.root_routes.add("/$batch", "POST", self._batch)
        control.register(self.control_routes)

    def stats_snapshot(self, summary: bool = False) -> dict:
        generated = len(self.directory.generated()) if self.company else None
        return self.stats.snapshot(active_subscriptions=self.subscriptions.count(), generated=generated,
                                   summary=summary)

    # -- who a request is for ----------------------------------------------------------------
    def find_mailbox(self, who: str) -> Mailbox | None:
        """The mailbox of a user named by id, userPrincipalName or mail (made now in company mode)."""
        return self.directory.mailbox(who)

    def me_mailbox(self, caller) -> Mailbox:
        """The mailbox ``/me`` means: the one mailbox; in company mode the delegated token's user's."""
        if not self.company:
            if caller is not None:
                self.authority.check_me(caller, str(self.mailbox.user.get("id", "")))
            return self.mailbox
        if caller is None:  # no user in the token: Graph has no "me" for it (authority.py)
            raise GraphError(400, "BadRequest", ME_APP_ONLY)
        mailbox = self.directory.mailbox(caller.object_id) if not caller.app_only else None
        self.authority.check_me(caller, str(mailbox.user.get("id", "")) if mailbox is not None else "")
        return mailbox

    def resource_owner(self, resource: str, caller) -> str | None:
        """The user id whose mailbox a subscription's resource is in (None: nobody's here)."""
        match = _ITEM_USER.match(str(resource or "").lstrip("/"))
        if match is None:
            return None
        if match.group("me"):
            try:
                mailbox = self.me_mailbox(caller) if caller is not None or not self.company else None
            except GraphError:
                mailbox = None
            return str(mailbox.user.get("id")) if mailbox is not None else None
        # A subscription makes no mailbox: one made later is watched all the same (notify.py).
        user = self.directory.user(match.group("user") or match.group("key"))
        return str(user.get("id")) if user is not None else None

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        request = Request(environ)
        control = _CONTROL_PATH.match(request.path)
        if control is not None:
            return self._control(request, request.path[control.end():] or "/")(environ, start_response)
        response, fault = self._graph(request)
        if fault is not None and fault.drop:
            return self._cut_short(response, environ, start_response)
        return response(environ, start_response)

    def _control(self, request: Request, path: str) -> Response:
        body, bad = _read_body(request)
        ctx = Ctx(self, request, "", body)
        try:
            if bad is not None:
                raise bad
            return self.control_routes.dispatch(ctx, request.method, path)
        except GraphError as error:
            return error_response(request, error)

    def _graph(self, request: Request) -> tuple[Response, Fault | None]:
        body, bad = _read_body(request)
        self.log.record(request, body)
        self.stats.request(bool(request.environ.get("fake.batch_item")))
        fault = None
        try:
            self._authenticate(request)
            fault = self.faults.take(request.path, request.method, bool(request.environ.get("fake.batch_item")))
            if fault is not None and fault.status is not None:
                raise fault_error(fault.status, fault.retry_after)
            if bad is not None:
                raise bad
            return self._route(request, body), fault
        except GraphError as error:
            return error_response(request, error), fault

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Access token is empty.")
        if self.authority is not None:
            request.environ["fake.caller"] = self.authority.caller(token.strip())
        elif self.require_token is not None and token.strip() != self.require_token:
            raise unauthorized("Access token validation failure. Invalid audience.")

    def _route(self, request: Request, body: Any) -> Response:
        path = _KEY_SYNTAX.sub(r"/\1/\2", request.path)
        if not re.match(r"^/v1\.0(?=/|$)", path):
            raise not_implemented(request.method, request.path)
        rest = path[len("/v1.0"):]
        prefer = parse_prefer(request.headers.getlist("Prefer"))
        caller = request.environ.get("fake.caller")
        if (me := _ME_PATH.match(rest)) is not None:
            mailbox = self.me_mailbox(caller)
            if caller is not None:
                self.authority.check_route(caller, request.method, rest[me.end():])
            ctx = Ctx(self, request, "/me", body, prefer)
            return self._for_mailbox(ctx, mailbox, rest[me.end():] or "/")
        if (user := _USER_PATH.match(rest)) is not None:
            mailbox = self._check_user(user.group(1))
            if caller is not None:
                self.authority.check_user(caller, str(mailbox.user.get("id", "")), user.group(1))
                self.authority.check_route(caller, request.method, rest[user.end():])
            ctx = Ctx(self, request, f"/users/{user.group(1)}", body, prefer)
            return self._for_mailbox(ctx, mailbox, rest[user.end():] or "/")
        if caller is not None:
            self.authority.check_root(caller, request.method, rest, self, body)
        return self.root_routes.dispatch(Ctx(self, request, "", body, prefer), request.method, rest or "/")

    def _for_mailbox(self, ctx: Ctx, mailbox: Mailbox, rest: str) -> Response:
        """Graph's Outlook limits and the latency around one mailbox request, then its handler."""
        request = ctx.request
        request.environ["fake.mailbox"] = mailbox
        caller = ctx.caller
        key = (caller.app_id if caller is not None else "", str(mailbox.user.get("id", "")))
        label = str(mailbox.user.get("userPrincipalName") or mailbox.user.get("mail") or key[1])
        size = request.content_length or 0
        plan = getattr(self._local, "batch", None) if request.environ.get("fake.batch_item") else None
        width = 1
        if plan is not None and key in plan:
            # A batch item: its slot is one of those its batch holds (throttling.py, JSON batching).
            self.throttle.admit(key, label, method=request.method, size=size, hold=False)
            state = plan[key]
            width, held, seen = state
            state[2] += 1
            if seen % width >= held:
                raise self.throttle.refuse(label, CONCURRENCY)
            lease = None
        else:
            lease = self.throttle.admit(key, label, method=request.method, size=size)
        try:
            if self.latency is not None:
                # Batch items run `width` at a time in Graph: each costs its share of the wall time.
                self.latency.pause(1.0 / width)
            return self.user_routes.dispatch(ctx, request.method, rest)
        finally:
            if lease is not None:
                lease.release()

    def _batch(self, ctx: Ctx) -> Response:
        """``POST /$batch``: its items, run one after the other through ``__call__``, count against the
        limits one by one; on each mailbox the batch holds up to 4 slots meanwhile (throttling.py)."""
        roots: dict[tuple, list] = {}
        caller = ctx.caller
        items = ctx.body.get("requests") if isinstance(ctx.body, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("url"), str):
                continue
            mailbox = self._item_mailbox(item["url"], caller)
            if mailbox is None:
                continue
            key = (caller.app_id if caller is not None else "", str(mailbox.user.get("id", "")))
            entry = roots.setdefault(key, [str(mailbox.user.get("userPrincipalName") or key[1]), 0])
            entry[1] += 0 if item.get("dependsOn") else 1
        concurrency = self.throttle.limits.concurrency if self.throttle.limits is not None else 4
        leases: list[Lease] = []
        plan: dict[tuple, list[int]] = {}
        try:
            for key, (label, count) in roots.items():
                width = max(1, min(concurrency, count))
                lease = self.throttle.reserve(key, label, width)
                leases.append(lease)
                plan[key] = [width, lease.slots, 0]
            self._local.batch = plan
            return batch.handle(ctx)
        finally:
            self._local.batch = None
            for lease in leases:
                lease.release()

    def _item_mailbox(self, url: str, caller) -> Mailbox | None:
        match = _ITEM_USER.match(url.lstrip("/"))
        if match is None:
            return None
        if match.group("me"):
            try:
                return self.me_mailbox(caller)
            except GraphError:
                return None
        return self.directory.mailbox(match.group("user") or match.group("key"))

    def _check_user(self, who: str) -> Mailbox:
        mailbox = self.directory.mailbox(who)
        if mailbox is None:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{who}' is invalid.")
        return mailbox

    @staticmethod
    def _cut_short(response: Response, environ: dict, start_response) -> Iterable[bytes]:
        body = response.get_data()
        if not body:
            # Nothing to cut: close the socket before the status line. The server would otherwise
            # keep the connection open for another request, since no "Connection: close" went out.
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
            raise ConnectionResetError("fake Graph: injected connection drop")
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        start_response(response.status, headers + [("Content-Length", str(len(body)))])
        return [body[: len(body) // 2]]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server (a thread per connection, HTTP/1.1 keep-alive) with a deeper accept
    queue than its 128: a benchmark's workers open hundreds of connections at once, and a refused
    SYN costs the client a second's retry that Graph would not have cost it."""

    request_queue_size = 1024


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the fake Graph binds only to loopback, not {host!r}")


class FakeGraph:
    """A fake Microsoft Graph for one mailbox, or a company's (``company=``), served over HTTP on
    loopback from a background thread."""

    def __init__(self, mailbox: dict | None = None, *, require_token: str | None = None, entra=None,
                 notify: bool = False, notify_delay: float = 0.5,
                 notify_retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0), company: Company | None = None,
                 limits: bool | OutlookLimits = True, latency: tuple[float, float] | None = None):
        """`entra`: a graph_sync.fake.entra.StandinEntra whose Graph tokens alone are accepted, each
        route requiring the permission Graph documents for it (authority.py). `notify`: run Graph's
        validation handshake on subscription create and POST change notifications to subscribers,
        batched per URL after `notify_delay` seconds, retried after `notify_retry_delays` (notify.py).
        `company`: serve a directory of mailboxes made on first use (company.py) instead of `mailbox`.
        `limits`: Graph's Outlook throttling (throttling.py), on by default (the company's budget in
        company mode); False turns it off, an OutlookLimits sets other numbers. `latency`: (low, high)
        seconds, a uniform random pause per Graph request while it holds its concurrency slot."""
        if company is not None and mailbox is not None:
            raise ValueError("a fake Graph serves either one mailbox or a company, not both")
        if limits is True:
            limits = company.limits() if company is not None else OutlookLimits()
        chosen = limits if isinstance(limits, OutlookLimits) else None
        if company is not None:
            self.company: Company | None = company
            self.directory: Directory | SingleDirectory = Directory(company)
            self.mailbox = None
            # Room for a few rounds per mailbox: a round's skip tokens must outlive its pages (delta.py).
            self.app = GraphApp(None, require_token=require_token, entra=entra, directory=self.directory,
                                limits=chosen, latency=latency, log_limit=COMPANY_LOG_SIZE,
                                max_rounds=max(2000, 12 * company.mailboxes))
        else:
            self.company = None
            self.mailbox = Mailbox(mailbox)
            self.app = GraphApp(self.mailbox, require_token=require_token, entra=entra, limits=chosen,
                                latency=latency)
            self.directory = self.app.directory
        self._notify_options = ({"delay": notify_delay, "retry_delays": tuple(notify_retry_delays)}
                                if notify else None)
        self.url: str | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def mailbox_of(self, who: str) -> Mailbox:
        """A user's mailbox by id, userPrincipalName or mail (made now in company mode); KeyError if none."""
        mailbox = self.directory.mailbox(who)
        if mailbox is None:
            raise KeyError(who)
        return mailbox

    def stats(self, summary: bool = False) -> dict:
        """What ``GET /_fake/stats`` answers."""
        return self.app.stats_snapshot(summary=summary)

    def reset_stats(self) -> None:
        self.app.stats.reset()

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> "FakeGraph":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), **options)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL, e.g. ``http://127.0.0.1:43123/v1.0``."""
        _check_loopback(host)
        if self._server is not None:
            raise RuntimeError("the fake Graph is already running")
        self._server = _Server(host, port, self.app, handler=_QuietHandler)
        # A short poll interval keeps stop() quick; tests start and stop many servers.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-graph", daemon=True)
        self._thread.start()
        if self._notify_options is not None and self.app.notifier is None:
            notify.attach(self.app, **self._notify_options)
        shown_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown_host}:{self._server.server_port}/v1.0"
        return self.url

    def stop(self) -> None:
        if self.app.notifier is not None:
            self.app.notifier.stop()
            self.app.notifier = None
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "FakeGraph":
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests(self) -> list[dict]:
        return self.app.log.entries()

    def clear_requests(self) -> None:
        self.app.log.clear()

    def add_fault(self, match: str, status: int | None = None, *, times: int = 1, retry_after: float | None = None,
                  drop: bool = False, method: str | None = None) -> dict:
        spec = {"match": match, "status": status, "times": times, "retry_after": retry_after, "drop": drop,
                "method": method}
        return self.app.faults.add({k: v for k, v in spec.items() if v is not None}).public()

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def expire_tokens(self) -> None:
        self.app.delta.expire_all()

    def subscriptions(self) -> list[dict]:
        return self.app.subscriptions.all()

    @property
    def notifier(self):
        """The notify.Notifier (deliveries(), wait_idle(), pending()); None unless notify=True and started."""
        return self.app.notifier

    def send_lifecycle(self, subscription_id: str, event: str) -> dict:
        """Queue a lifecycle notification (reauthorizationRequired, subscriptionRemoved, missed) where
        Graph would send one; needs notify=True."""
        if self.app.notifier is None:
            raise RuntimeError("the fake Graph sends notifications only with notify=True, once started")
        return self.app.notifier.send_lifecycle(subscription_id, event)
