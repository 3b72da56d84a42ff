"""The fake Graph's HTTP side: the WSGI app every request goes through, and the loopback server.

Pipeline for ``/v1.0/...``: record the request, check the bearer token, apply an injected fault,
route (``/me/...``, ``/users/{id|upn|mail}/...``, or the root: ``/subscriptions``, ``/$batch``).
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
from pathlib import Path
from typing import Any, Iterable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import batch, control, notify, routes_attachments, routes_calendar, routes_mail, routes_misc, routes_todo
from .authority import TokenAuthority
from .delta import DeltaEngine
from .errors import GraphError, fault_error, not_implemented, unauthorized
from .faults import Fault, FaultSet
from .mailbox import Mailbox
from .web import Ctx, Router, error_response, parse_prefer

_KEY_SYNTAX = re.compile(r"/([A-Za-z]+)\('([^'/]*)'\)")
_USER_PATH = re.compile(r"^/users/([^/]+)(?=/|$)", re.IGNORECASE)
_ME_PATH = re.compile(r"^/me(?=/|$)", re.IGNORECASE)
# The controls answer at the root and, for clients holding the base URL, under /v1.0 too.
_CONTROL_PATH = re.compile(r"^(?:/v1\.0)?/_fake(?=/|$)")
_HIDDEN_HEADERS = {"authorization", "cookie"}
_BAD_JSON = ("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of "
             "valid JSON format.")


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[dict] = []
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
    """The WSGI application. ``mailbox`` is the state; the rest is per-server bookkeeping."""

    def __init__(self, mailbox: Mailbox, require_token: str | None = None, entra=None):
        self.mailbox = mailbox
        self.require_token = require_token
        self.authority = TokenAuthority(entra) if entra is not None else None
        self.delta = DeltaEngine()
        self.faults = FaultSet()
        self.log = RequestLog()
        self.subscriptions = routes_misc.Subscriptions()
        self.notifier = None  # notify.Notifier when FakeGraph(notify=True): handshakes and notifications
        self.user_routes, self.root_routes, self.control_routes = Router(), Router(), Router()
        for register in (routes_mail.register, routes_attachments.register, routes_calendar.register, routes_todo.register,
                         routes_misc.register_user):
            register(self.user_routes)
        routes_misc.register_root(self.root_routes)
        self.root_routes.add("/$batch", "POST", batch.handle)
        control.register(self.control_routes)

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
        owner = str(self.mailbox.user.get("id", ""))
        if (me := _ME_PATH.match(rest)) is not None:
            if caller is not None:
                self.authority.check_me(caller, owner)
                self.authority.check_route(caller, request.method, rest[me.end():])
            ctx = Ctx(self, request, "/me", body, prefer)
            return self.user_routes.dispatch(ctx, request.method, rest[me.end():] or "/")
        if (user := _USER_PATH.match(rest)) is not None:
            self._check_user(user.group(1))
            if caller is not None:
                self.authority.check_user(caller, owner, user.group(1))
                self.authority.check_route(caller, request.method, rest[user.end():])
            ctx = Ctx(self, request, f"/users/{user.group(1)}", body, prefer)
            return self.user_routes.dispatch(ctx, request.method, rest[user.end():] or "/")
        if caller is not None:
            self.authority.check_root(caller, request.method, rest, self, body)
        return self.root_routes.dispatch(Ctx(self, request, "", body, prefer), request.method, rest or "/")

    def _check_user(self, who: str) -> None:
        user = self.mailbox.user
        known = {str(user.get(k, "")).lower() for k in ("id", "userPrincipalName", "mail")}
        if who.lower() not in known:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{who}' is invalid.")

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
    """A fake Microsoft Graph for one mailbox, served over HTTP on loopback from a background thread."""

    def __init__(self, mailbox: dict | None = None, *, require_token: str | None = None, entra=None,
                 notify: bool = False, notify_delay: float = 0.5,
                 notify_retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0)):
        """`entra`: a graph_sync.fake.entra.StandinEntra whose Graph tokens alone are accepted, each
        route requiring the permission Graph documents for it (authority.py). `notify`: run Graph's
        validation handshake on subscription create and POST change notifications to subscribers,
        batched per URL after `notify_delay` seconds, retried after `notify_retry_delays` (notify.py)."""
        self.mailbox = Mailbox(mailbox)
        self.app = GraphApp(self.mailbox, require_token=require_token, entra=entra)
        self._notify_options = ({"delay": notify_delay, "retry_delays": tuple(notify_retry_delays)}
                                if notify else None)
        self.url: str | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> "FakeGraph":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), **options)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL, e.g. ``http://127.0.0.1:43123/v1.0``."""
        _check_loopback(host)
        if self._server is not None:
            raise RuntimeError("the fake Graph is already running")
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
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
