"""Test controls under ``/_fake`` (not part of Graph): request log, faults, token expiry, mailbox changes.

Mailbox changes take and return items with immutable ids and every stored property; an item id
may be given in either id form. Changes show up in the next delta round, like real mail arriving.
"""
from __future__ import annotations

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


def register(router: Router) -> None:
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

    @router.route("/mailbox")
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

    @router.route("/mailbox/messages", "POST")
    def add_message(ctx: Ctx) -> Response:
        return change(ctx, lambda: ctx.mailbox.add_message(_body(ctx)), "message")

    @router.route("/mailbox/messages/{item_id}", "PATCH")
    def update_message(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.update_message(item_id, _body(ctx)), "message", item_id)

    @router.route("/mailbox/messages/{item_id}", "DELETE")
    def delete_message(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.delete_message(item_id), "message", item_id)

    @router.route("/mailbox/events", "POST")
    def add_event(ctx: Ctx) -> Response:
        return change(ctx, lambda: ctx.mailbox.add_event(_body(ctx)), "event")

    @router.route("/mailbox/events/{item_id}", "PATCH")
    def update_event(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.update_event(item_id, _body(ctx)), "event", item_id)

    @router.route("/mailbox/events/{item_id}", "DELETE")
    def delete_event(ctx: Ctx, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.delete_event(item_id), "event", item_id)

    @router.route("/mailbox/todoLists", "POST")
    def add_list(ctx: Ctx) -> Response:
        return change(ctx, lambda: ctx.mailbox.add_list(_body(ctx)), "To Do list")

    @router.route("/mailbox/todoLists/{list_id}/tasks", "POST")
    def add_task(ctx: Ctx, list_id: str) -> Response:
        if ctx.mailbox.get_list(list_id) is None:
            raise _missing("To Do list", list_id)
        return change(ctx, lambda: ctx.mailbox.add_task(list_id, _body(ctx)), "To Do list")

    @router.route("/mailbox/todoLists/{list_id}/tasks/{item_id}", "PATCH")
    def update_task(ctx: Ctx, list_id: str, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.update_task(list_id, item_id, _body(ctx)), "task", item_id)

    @router.route("/mailbox/todoLists/{list_id}/tasks/{item_id}", "DELETE")
    def delete_task(ctx: Ctx, list_id: str, item_id: str) -> Response:
        return change(ctx, lambda: ctx.mailbox.delete_task(list_id, item_id), "task", item_id)
