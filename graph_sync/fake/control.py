"""Test controls under ``/_fake`` (not part of Graph): request log, faults, token expiry, mailbox changes,
counters.

Mailbox changes take and return items with immutable ids and every stored property; an item id
may be given in either id form. Changes show up in the next delta round, like real mail arriving.
Every ``/_fake/mailbox/...`` control also answers as ``/_fake/users/{id | userPrincipalName | mail}/...``
for that user's mailbox (the only way in company mode); ``POST /_fake/users/{id}/messages`` answers
just ``{"id", "internetMessageId", "arrived_at"}`` (``time.time()`` when it was stored).
"""
from __future__ import annotations

import functools
import time

from werkzeug.wrappers import Response

from .errors import GraphError
from .mailbox import MailboxError
from .web import Ctx, Router


def _body(ctx: Ctx) -> dict:
    if not isinstance(ctx.body, dict):
        raise GraphError(400, "BadRequest", "A JSON object is expected.")
    return ctx.body


def _missing(what: str, item_id: str) -> GraphError:
    return GraphError(404, "ErrorItemNotFound", f"No {what} {item_id!r} in the fake mailbox.")


def _for_user(handler):
    """A mailbox control also served under /users/{who}: that user's mailbox is the request's."""
    @functools.wraps(handler)
    def wrapper(ctx: Ctx, who: str, **params) -> Response:
        mailbox = ctx.app.find_mailbox(who)
        if mailbox is None:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{who}' is invalid.")
        ctx.request.environ["fake.mailbox"] = mailbox
        return handler(ctx, **params)
    return wrapper


class _Both:
    """Registers a mailbox control at /mailbox{path} and at /users/{who}{path}."""

    def __init__(self, router: Router):
        self.router = router

    def route(self, path: str, methods: str = "GET"):
        def decorate(handler):
            self.router.add("/mailbox" + path, methods, handler)
            self.router.add("/users/{who}" + path, methods, _for_user(handler))
            return handler
        return decorate


def register(router: Router) -> None:
    @router.route("/stats")
    def stats(ctx: Ctx) -> Response:
        summary = (ctx.arg("summary") or "").lower() in ("1", "true", "yes")
        return ctx.json(ctx.app.stats_snapshot(summary=summary))

    @router.route("/stats", "DELETE")
    def reset_stats(ctx: Ctx) -> Response:
        ctx.app.stats.reset()
        return ctx.empty(204)

    @_for_user
    def inject_message(ctx: Ctx) -> Response:
        """New mail in a user's mailbox (Inbox unless `parentFolderId` says otherwise, received now)."""
        body = dict(_body(ctx))
        body.setdefault("parentFolderId", "inbox")
        try:
            stored = ctx.mailbox.add_message(body)
        except MailboxError as error:
            raise GraphError(409 if "already exists" in str(error) else 400, "BadRequest", str(error)) from None
        arrived = time.time()
        return ctx.json({"id": stored["id"], "internetMessageId": stored.get("internetMessageId"),
                         "arrived_at": arrived}, 201)

    @router.route("/requests")
    def requests(ctx: Ctx) -> Response:
        return ctx.json(ctx.app.log.entries())

    @router.route("/requests", "DELETE")
    def clear_requests(ctx: Ctx) -> Response:
        ctx.app.log.clear()
        return ctx.empty(204)

    @router.route("/faults")
    def faults(ctx: Ctx) -> Response:
        return ctx.json(ctx.app.faults.list())

    @router.route("/faults", "POST")
    def add_faults(ctx: Ctx) -> Response:
        specs = ctx.body if isinstance(ctx.body, list) else [ctx.body]
        try:
            added = [ctx.app.faults.add(spec).public() for spec in specs]
        except (ValueError, TypeError) as error:
            raise GraphError(400, "BadRequest", f"Invalid fault: {error}") from None
        return ctx.json(added if isinstance(ctx.body, list) else added[0], 201)

    @router.route("/faults", "DELETE")
    def clear_faults(ctx: Ctx) -> Response:
        ctx.app.faults.clear()
        return ctx.empty(204)

    @router.route("/expire-tokens", "POST")
    def expire_tokens(ctx: Ctx) -> Response:
        ctx.app.delta.expire_all()
        return ctx.empty(204)

    @router.route("/subscriptions")
    def subscriptions(ctx: Ctx) -> Response:
        return ctx.json(ctx.app.subscriptions.all())

    mailbox_route = _Both(router)

    @mailbox_route.route("")
    def dump(ctx: Ctx) -> Response:
        return ctx.json(ctx.mailbox.to_dict())

    def change(ctx: Ctx, action, what: str, item_id: str = "") -> Response:
        try:
            result = action()
        except KeyError:
            raise _missing(what, item_id) from None
        except MailboxError as error:
            status = 409 if "already exists" in str(error) else 400
            raise GraphError(status, "BadRequest", str(error)) from None
        return ctx.empty(204) if result is None else ctx.json(result, 200 if item_id else 201)

    @mailbox_route.route("/messages", "POST")
    def add_message(ctx: Ctx) -> Response:
        return change(ctx, lambda: ctx.mailbox.add_message(_body(ctx)), "message")

    @mailbox_route.route("/messages/{item_id}", "PATCH")
    def update_message(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.update_message(item_id, _body(ctx)), "message", item_id)

    @mailbox_route.route("/messages/{item_id}", "DELETE")
    def delete_message(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.delete_message(item_id), "message", item_id)

    @mailbox_route.route("/events", "POST")
    def add_event(ctx: Ctx) -> Response:
        return change(ctx, lambda: ctx.mailbox.add_event(_body(ctx)), "event")

    @mailbox_route.route("/events/{item_id}", "PATCH")
    def update_event(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.update_event(item_id, _body(ctx)), "event", item_id)

    @mailbox_route.route("/events/{item_id}", "DELETE")
    def delete_event(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.delete_event(item_id), "event", item_id)

    @mailbox_route.route("/todoLists", "POST")
    def add_list(ctx: Ctx) -> Response:
        return change(ctx, lambda: ctx.mailbox.add_list(_body(ctx)), "To Do list")

    @mailbox_route.route("/todoLists/{list_id}/tasks", "POST")
    def add_task(ctx: Ctx, list_id: str) -> Response:
        if ctx.mailbox.get_list(list_id) is None:
            raise _missing("To Do list", list_id)
        return change(ctx, lambda: ctx.mailbox.add_task(list_id, _body(ctx)), "To Do list")

    @mailbox_route.route("/todoLists/{list_id}/tasks/{item_id}", "PATCH")
    def update_task(ctx: Ctx, list_id: str, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.update_task(list_id, item_id, _body(ctx)), "task", item_id)

    @mailbox_route.route("/todoLists/{list_id}/tasks/{item_id}", "DELETE")
    def delete_task(ctx: Ctx, list_id: str, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.delete_task(list_id, item_id), "task", item_id)

    # After the mirrored mailbox controls: under /users/{who} a new message gets the short answer.
    router.add("/users/{who}/messages", "POST", inject_message)
