"""JSON batching: ``POST /$batch`` with up to 20 requests, each run through the whole fake again.

Each item goes through the same pipeline as a direct request (log, bearer check, faults,
routing), with the batch's ``Authorization`` header; other headers, ``Prefer`` included, come
only from the item itself. Items run in order; one whose ``dependsOn`` failed gets 424.
"""
from __future__ import annotations

import json

from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Response

from .errors import GraphError
from .web import Ctx

MAX_REQUESTS = 20
ITEM_HEADERS = ("content-type", "retry-after", "location", "preference-applied", "www-authenticate")


def _invalid(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


def _validate(body: object) -> list[dict]:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list) or not body["requests"]:
        raise _invalid("Invalid batch payload format.")
    requests = body["requests"]
    if len(requests) > MAX_REQUESTS:
        raise _invalid(f"Number of requests in the batch ({len(requests)}) exceeds the limit of {MAX_REQUESTS}.")
    seen: set[str] = set()
    for item in requests:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("id", "method", "url")):
            raise _invalid("Invalid batch payload format: every request needs an id, a method and a url.")
        if item["id"] in seen:
            raise _invalid(f"Batch request id '{item['id']}' is used more than once.")
        seen.add(item["id"])
        if item["url"].lower().startswith(("http:", "https:")):
            raise _invalid("Batch request urls must be relative to the version root, for example /me/messages.")
        headers = {k.lower() for k in (item.get("headers") or {})}
        if item.get("body") is not None and "content-type" not in headers:
            raise _invalid(f"Write request id : {item['id']} does not contain Content-Type header or body.")
    return requests


def _run(ctx: Ctx, item: dict) -> dict:
    headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
    if "Authorization" in ctx.request.headers:
        headers["Authorization"] = ctx.request.headers["Authorization"]
    body = item.get("body")
    data = json.dumps(body).encode("utf-8") if isinstance(body, (dict, list)) else None
    builder = EnvironBuilder(path="/v1.0/" + item["url"].lstrip("/"), method=item["method"].upper(),
                             base_url=ctx.request.host_url, headers=headers, data=data)
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["fake.batch_item"] = True
    app_iter, status, response_headers = run_wsgi_app(ctx.app, environ)
    try:
        raw = b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()
    out = {"id": item["id"], "status": int(status.split()[0]),
           "headers": {k: v for k, v in response_headers.items() if k.lower() in ITEM_HEADERS}}
    if raw:
        try:
            out["body"] = json.loads(raw)
        except ValueError:
            out["body"] = raw.decode("utf-8", "replace")
    return out


def handle(ctx: Ctx) -> Response:
    requests = _validate(ctx.body)
    statuses: dict[str, int] = {}
    responses = []
    for item in requests:
        depends = item.get("dependsOn") or []
        if any(statuses.get(dep, 424) >= 400 for dep in depends):
            result = {"id": item["id"], "status": 424, "headers": {"Content-Type": "application/json"},
                      "body": {"error": {"code": "FailedDependency",
                                         "message": "A request this one depends on failed."}}}
        else:
            result = _run(ctx, item)
        statuses[item["id"]] = result["status"]
        responses.append(result)
    return ctx.json({"responses": responses})
