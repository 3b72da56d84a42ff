"""HTTP plumbing shared by the route modules: the request context, JSON responses, the router."""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from werkzeug.wrappers import Request, Response

from . import ids
from .errors import GraphError, not_implemented

if TYPE_CHECKING:
    from .mailbox import Mailbox
    from .server import GraphApp

JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
_PREFER_PART = re.compile(r'(?:[^,"]|"[^"]*")+')


def parse_prefer(values: list[str]) -> dict[str, str]:
    """All ``Prefer`` headers as {lower-cased preference: value without quotes}."""
    out: dict[str, str] = {}
    for value in values:
        for part in _PREFER_PART.findall(value):
            name, _, raw = part.strip().partition("=")
            if name.strip():
                out[name.strip().lower()] = raw.strip().strip('"')
    return out


def _ids(request: Request) -> tuple[str, str]:
    request_id = request.environ.setdefault("fake.request_id", str(uuid.uuid4()))
    return request_id, request.headers.get("client-request-id") or request_id


def _headers(request: Request, extra: dict[str, str] | None) -> dict[str, str]:
    request_id, client_id = _ids(request)
    return {"request-id": request_id, "client-request-id": client_id, **(extra or {})}


def json_response(request: Request, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(body, status=status, headers=_headers(request, headers), content_type=JSON_TYPE)


def empty_response(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    response = Response(b"", status=status, headers=_headers(request, headers))
    del response.headers["Content-Type"]  # Graph's 202/204 carry no body and no content type
    return response


def error_response(request: Request, error: GraphError) -> Response:
    request_id, client_id = _ids(request)
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    payload = {"error": {"code": error.code, "message": error.message,
                         "innerError": {"date": date, "request-id": request_id, "client-request-id": client_id}}}
    return json_response(request, payload, error.status, error.headers)


@dataclass
class Ctx:
    """One Graph request: who it is for (``/me`` or ``/users/{id}``), its body and its preferences."""
    app: "GraphApp"
    request: Request
    prefix: str
    body: Any
    prefer: dict[str, str] = field(default_factory=dict)

    @property
    def mailbox(self) -> "Mailbox":
        """The mailbox this request is for: the one ``/me`` or ``/users/{id}`` named (set by the
        server, or by a ``/_fake/users/{id}/...`` control); else the one-mailbox fake's mailbox."""
        mailbox = self.request.environ.get("fake.mailbox") or self.app.mailbox
        if mailbox is None:
            raise GraphError(400, "BadRequest", "This fake Graph serves a company: name the mailbox "
                                                "(/users/{id | userPrincipalName}/... or /_fake/users/{id}/...).")
        return mailbox

    @property
    def caller(self):
        """The token's user or app (authority.Caller) when the fake checks tokens, else None."""
        return self.request.environ.get("fake.caller")

    @property
    def immutable(self) -> bool:
        return self.prefer.get("idtype", "").lower() == "immutableid"

    @property
    def time_zone(self) -> str | None:
        return self.prefer.get("outlook.timezone") or None

    @property
    def body_type(self) -> str | None:
        return self.prefer.get("outlook.body-content-type") or None

    @property
    def base(self) -> str:
        return self.request.host_url.rstrip("/") + "/v1.0"

    def arg(self, name: str) -> str | None:
        """A query option; Graph matches option names case-insensitively."""
        for key, value in self.request.args.items():
            if key.lower() == name.lower():
                return value
        return None

    def page_size(self, default: int, maximum: int) -> int:
        raw = self.prefer.get("odata.maxpagesize") or self.arg("$top")
        try:
            size = int(raw) if raw is not None else default
        except ValueError:
            raise GraphError(400, "BadRequest", f"Invalid page size '{raw}'.") from None
        return max(1, min(size, maximum))

    def json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(self.request, payload, status, headers)

    def empty(self, status: int = 204) -> Response:
        return empty_response(self.request, status)

    def context_url(self, fragment: str) -> str:
        return f"{self.base}/$metadata#{fragment}"


Handler = Callable[..., Response]


class Router:
    """Graph paths, matched case-insensitively; ``delta`` also answers as ``delta()``."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []
        self._index: dict[str, dict[str, Handler]] = {}

    @staticmethod
    def _compile(pattern: str) -> re.Pattern[str]:
        parts = []
        for segment in pattern.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
            elif segment == "delta":
                parts.append(r"delta(?:\(\))?")
            else:
                parts.append(re.escape(segment))
        return re.compile("^/" + "/".join(parts) + "/?$", re.IGNORECASE)

    def add(self, pattern: str, methods: str, handler: Handler) -> None:
        table = self._index.get(pattern)
        if table is None:
            table = self._index[pattern] = {}
            self._routes.append((self._compile(pattern), table))
        for method in methods.split():
            table[method] = handler

    def route(self, pattern: str, methods: str = "GET") -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.add(pattern, methods, handler)
            return handler
        return decorate

    def dispatch(self, ctx: Ctx, method: str, path: str) -> Response:
        for regex, table in self._routes:
            match = regex.match(path)
            if match and method in table:
                return table[method](ctx, **match.groupdict())
        raise not_implemented(method, ctx.request.path)


def reject_options(ctx: Ctx, allowed: set[str]) -> None:
    """Query options the fake does not implement are refused, never silently ignored."""
    for key in ctx.request.args:
        if key.startswith("$") and key.lower() not in allowed:
            raise GraphError(501, "NotImplemented",
                             f"The query option {key} on {ctx.request.method} {ctx.request.path} is not "
                             "implemented by the fake Graph")


def check_id(any_id: str) -> None:
    if not ids.is_well_formed(any_id):
        raise GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.")
