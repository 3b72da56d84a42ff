"""Microsoft To Do: task lists, tasks (with linkedResources) and task delta per list."""
from __future__ import annotations

from werkzeug.wrappers import Response

from . import delta
from .errors import GraphError
from .mailbox import Change
from .render import removed, render
from .schema import parse_expand, parse_select, validate_body
from .web import Ctx, Router, check_id, reject_options


def list_or_404(ctx: Ctx, list_id: str) -> dict:
    found = ctx.mailbox.get_list(list_id)
    if found is None:
        check_id(list_id)
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return found


def task_or_404(ctx: Ctx, list_id: str, task_id: str) -> dict:
    list_or_404(ctx, list_id)
    found = ctx.mailbox.get_task(list_id, task_id)
    if found is None:
        check_id(task_id)
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return found


def _task(ctx: Ctx, data: dict, **options) -> dict:
    return render("todoTask", data, immutable=True, **options)


def _task_context(ctx: Ctx, list_id: str, entity: bool = True) -> str:
    user = str(ctx.mailbox.user.get("userPrincipalName"))
    return ctx.context_url(f"users('{user}')/todo/lists('{list_id}')/tasks" + ("/$entity" if entity else ""))


def register(router: Router) -> None:
    @router.route("/todo/lists")
    def list_lists(ctx: Ctx) -> Response:
        reject_options(ctx, set())
        return ctx.json({"@odata.context": ctx.context_url("users('" + str(ctx.mailbox.user.get("userPrincipalName"))
                                                           + "')/todo/lists"),
                         "value": ctx.mailbox.todo_lists()})

    @router.route("/todo/lists", "POST")
    def create_list(ctx: Ctx) -> Response:
        body = validate_body("todoTaskList", ctx.body)
        created = ctx.mailbox.add_list({k: v for k, v in body.items() if k != "id"})
        return ctx.json({"@odata.context": ctx.context_url("todoTaskLists/$entity"), **created}, 201)

    @router.route("/todo/lists/{list_id}")
    def get_list(ctx: Ctx, list_id: str) -> Response:
        return ctx.json({"@odata.context": ctx.context_url("todoTaskLists/$entity"), **list_or_404(ctx, list_id)})

    @router.route("/todo/lists/{list_id}", "DELETE")
    def delete_list(ctx: Ctx, list_id: str) -> Response:
        """https://learn.microsoft.com/graph/api/todotasklist-delete?view=graph-rest-1.0"""
        list_or_404(ctx, list_id)
        ctx.mailbox.delete_list(list_id)
        return ctx.empty(204)

    @router.route("/todo/lists/{list_id}/tasks/delta")
    def task_delta(ctx: Ctx, list_id: str) -> Response:
        list_or_404(ctx, list_id)
        reject_options(ctx, {"$skiptoken", "$deltatoken", "$top", "$select", "$expand"})

        def initial() -> dict:
            return {"select": parse_select("todoTask", ctx.arg("$select")),
                    "expand": parse_expand("todoTask", ctx.arg("$expand")), "query": delta.initial_query(ctx)}

        def collect(since: int | None, options: dict) -> tuple[int, list[Change]]:
            return ctx.mailbox.changes("task", list_id, since)

        def render_change(change: Change, options: dict) -> dict:
            if change.op == "removed":
                return removed("todoTask", change.id, True)
            return _task(ctx, change.data or {}, select=options.get("select"), expand=options.get("expand"),
                         with_type=True)

        return delta.serve(ctx, kind="task", scope=list_id, entity="todoTask", initial_options=initial,
                           collect=collect, render_change=render_change)

    @router.route("/todo/lists/{list_id}/tasks")
    def list_tasks(ctx: Ctx, list_id: str) -> Response:
        list_or_404(ctx, list_id)
        reject_options(ctx, {"$select", "$expand"})
        select, expand = parse_select("todoTask", ctx.arg("$select")), parse_expand("todoTask", ctx.arg("$expand"))
        tasks = [_task(ctx, t, select=select, expand=expand) for t in ctx.mailbox.items("task", list_id)]
        return ctx.json({"@odata.context": _task_context(ctx, list_id, entity=False), "value": tasks})

    @router.route("/todo/lists/{list_id}/tasks", "POST")
    def create_task(ctx: Ctx, list_id: str) -> Response:
        list_or_404(ctx, list_id)
        body = validate_body("todoTask", ctx.body)
        created = ctx.mailbox.add_task(list_id, {k: v for k, v in body.items() if k != "id"})
        shown = _task(ctx, created, expand={"linkedResources": None} if "linkedResources" in created else None)
        return ctx.json({"@odata.context": _task_context(ctx, list_id), **shown}, 201)

    @router.route("/todo/lists/{list_id}/tasks/{task_id}")
    def get_task(ctx: Ctx, list_id: str, task_id: str) -> Response:
        reject_options(ctx, {"$select", "$expand"})
        data = task_or_404(ctx, list_id, task_id)
        shown = _task(ctx, data, select=parse_select("todoTask", ctx.arg("$select")),
                      expand=parse_expand("todoTask", ctx.arg("$expand")))
        return ctx.json({"@odata.context": _task_context(ctx, list_id), **shown})

    @router.route("/todo/lists/{list_id}/tasks/{task_id}", "PATCH")
    def update_task(ctx: Ctx, list_id: str, task_id: str) -> Response:
        task_or_404(ctx, list_id, task_id)
        patch = validate_body("todoTask", ctx.body)
        updated = ctx.mailbox.update_task(list_id, task_id, patch)
        return ctx.json({"@odata.context": _task_context(ctx, list_id), **_task(ctx, updated)})

    @router.route("/todo/lists/{list_id}/tasks/{task_id}", "DELETE")
    def delete_task(ctx: Ctx, list_id: str, task_id: str) -> Response:
        task_or_404(ctx, list_id, task_id)
        ctx.mailbox.delete_task(list_id, task_id)
        return ctx.empty(204)
