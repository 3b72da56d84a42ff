"""Mail: folders, message delta per folder, GET message, drafts, send, sendMail."""
from __future__ import annotations

from werkzeug.wrappers import Response

from . import delta
from .authority import hide_for_basic_mail
from .errors import GraphError, bad_request, item_not_found
from .mailbox import Change
from .render import removed, render
from .schema import parse_expand, parse_select, validate_body
from .web import Ctx, Router, check_id, reject_options

CHANGE_TYPES = ("created", "updated", "deleted")
# After a change that only flipped isRead, message delta returns the item with only these, whatever
# $select asked for: https://github.com/microsoftgraph/microsoft-graph-docs/issues/7776 ("only returns
# 3 attributes ... (id, isRead, parentFolderId)"); the item keeps @odata.type and @odata.etag.
READ_FLIP_PROPERTIES = ["isRead", "parentFolderId"]
# PATCH /messages/{id}: the properties the update page lists, some only while the message is a draft
# (https://learn.microsoft.com/graph/api/message-update). Others are refused with 501: what Graph
# answers for them is not documented.
UPDATABLE = {"bccRecipients", "categories", "ccRecipients", "flag", "from", "importance", "inferenceClassification",
             "isDeliveryReceiptRequested", "isRead", "isReadReceiptRequested", "sender",
             "singleValueExtendedProperties", "toRecipients"}
DRAFT_ONLY = {"body", "internetMessageId", "replyTo", "subject"}


def folder_or_404(ctx: Ctx, ref: str) -> str:
    folder_id = ctx.mailbox.folder_id(ref)
    if folder_id is None:
        check_id(ref)
        raise GraphError(404, "ErrorItemNotFound", "The specified folder could not be found in the store.")
    return folder_id


def message_or_404(ctx: Ctx, any_id: str) -> dict:
    check_id(any_id)
    data = ctx.mailbox.get("message", any_id)
    if data is None:
        raise item_not_found()
    return data


def check_recipients(message: dict) -> None:
    recipients = [r for key in ("toRecipients", "ccRecipients", "bccRecipients") for r in message.get(key) or []]
    if not recipients or any(not (r.get("emailAddress") or {}).get("address") for r in recipients):
        raise GraphError(400, "ErrorInvalidRecipients",
                         "At least one recipient isn't valid., A message can't be sent because it contains no "
                         "recipients.")


def check_headers(message: dict) -> None:
    """Graph accepts only custom (``x-``) headers in internetMessageHeaders."""
    for header in message.get("internetMessageHeaders") or []:
        name = str(header.get("name", ""))
        if not name.lower().startswith("x-"):
            raise GraphError(400, "InvalidInternetMessageHeader",
                             f"The internet message header name '{name}' should start with 'x-' or 'X-'.")


def _folder_context(ctx: Ctx) -> str:
    return ctx.context_url("users('" + str(ctx.mailbox.user.get("userPrincipalName")) + "')/mailFolders")


def register(router: Router) -> None:
    @router.route("/mailFolders")
    def list_folders(ctx: Ctx) -> Response:
        return ctx.json({"@odata.context": _folder_context(ctx), "value": ctx.mailbox.folders()})

    @router.route("/mailFolders/{folder}")
    def get_folder(ctx: Ctx, folder: str) -> Response:
        shown = ctx.mailbox.folder(folder_or_404(ctx, folder))
        return ctx.json({"@odata.context": _folder_context(ctx) + "/$entity", **shown})

    @router.route("/mailFolders/{folder}/messages/delta")
    def message_delta(ctx: Ctx, folder: str) -> Response:
        folder_id = folder_or_404(ctx, folder)
        reject_options(ctx, {"$select", "$expand", "$top", "$skiptoken", "$deltatoken"})

        def initial() -> dict:
            change_type = ctx.arg("changeType")
            if change_type is not None and change_type not in CHANGE_TYPES:
                raise bad_request(f"Invalid changeType '{change_type}'.", "ErrorInvalidParameter")
            return {"select": parse_select("message", ctx.arg("$select")),
                    "expand": parse_expand("message", ctx.arg("$expand")), "changeType": change_type,
                    "query": delta.initial_query(ctx)}

        def collect(since: int | None, options: dict) -> tuple[int, list[Change]]:
            upto, changes = ctx.mailbox.changes("message", folder_id, since)
            if since is not None:
                changes = [_partial_if_read_flip(ctx, c, since) for c in changes]
            wanted = options.get("changeType")
            if since is not None and wanted:
                changes = [c for c in changes if _change_type(c, since) == wanted]
            return upto, changes

        def render_change(change: Change, options: dict) -> dict:
            if change.op == "removed":
                return removed("message", change.id, ctx.immutable)
            if change.op == "readFlip":
                return render("message", change.data or {}, immutable=ctx.immutable, select=READ_FLIP_PROPERTIES,
                              with_type=True)
            return hide_for_basic_mail(ctx.caller, render(
                "message", change.data or {}, immutable=ctx.immutable, select=options.get("select"),
                expand=options.get("expand"), body_type=ctx.body_type, with_type=True))

        return delta.serve(ctx, kind="message", scope=folder_id, entity="message", initial_options=initial,
                           collect=collect, render_change=render_change)

    @router.route("/messages/{message_id}")
    def get_message(ctx: Ctx, message_id: str) -> Response:
        reject_options(ctx, {"$select", "$expand"})
        if "(" in (ctx.arg("$expand") or "") and "$select" in (ctx.arg("$expand") or "").lower():
            raise GraphError(501, "NotImplemented", "$select inside $expand is not implemented by the fake Graph")
        data = message_or_404(ctx, message_id)
        shown = render("message", data, immutable=ctx.immutable, select=parse_select("message", ctx.arg("$select")),
                       expand=parse_expand("message", ctx.arg("$expand")), body_type=ctx.body_type)
        return ctx.json({"@odata.context": ctx.context_url("messages/$entity"), **hide_for_basic_mail(ctx.caller, shown)})

    @router.route("/messages/{message_id}", "PATCH")
    def update_message(ctx: Ctx, message_id: str) -> Response:
        data = message_or_404(ctx, message_id)
        patch = validate_body("message", ctx.body)
        for name in patch:
            if name.startswith("@"):
                continue
            if name not in UPDATABLE and not (name in DRAFT_ONLY and data.get("isDraft")):
                raise GraphError(501, "NotImplemented", f"PATCH of '{name}' on a message"
                                 + (" that is not a draft" if name in DRAFT_ONLY else "")
                                 + " is not implemented by the fake Graph")
        updated = ctx.mailbox.update_message(message_id, {k: v for k, v in patch.items() if not k.startswith("@")})
        shown = render("message", updated, immutable=ctx.immutable, body_type=ctx.body_type)
        return ctx.json({"@odata.context": ctx.context_url("messages/$entity"), **hide_for_basic_mail(ctx.caller, shown)})

    @router.route("/messages", "POST")
    def create_draft(ctx: Ctx) -> Response:
        message = validate_body("message", ctx.body)
        check_headers(message)
        data = ctx.mailbox.create_draft(message)
        shown = render("message", data, immutable=ctx.immutable)
        if data.get("internetMessageHeaders"):
            shown["internetMessageHeaders"] = data["internetMessageHeaders"]
        return ctx.json({"@odata.context": ctx.context_url("messages/$entity"), **shown}, 201)

    @router.route("/messages/{message_id}/permanentDelete", "POST")
    def permanent_delete(ctx: Ctx, message_id: str) -> Response:
        """Gone for good, not moved to Deleted Items:
        https://learn.microsoft.com/graph/api/message-permanentdelete?view=graph-rest-1.0"""
        message_or_404(ctx, message_id)
        ctx.mailbox.delete_message(message_id)
        return ctx.empty(204)

    @router.route("/messages/{message_id}/send", "POST")
    def send_draft(ctx: Ctx, message_id: str) -> Response:
        data = message_or_404(ctx, message_id)
        if not data.get("isDraft"):
            raise GraphError(400, "ErrorInvalidOperation", "Only a draft message can be sent.")
        check_recipients(data)
        ctx.mailbox.send_draft(message_id)
        return ctx.empty(202)

    @router.route("/sendMail", "POST")
    def send_mail(ctx: Ctx) -> Response:
        body = ctx.body
        if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
            raise bad_request("The 'message' parameter is required.", "ErrorInvalidParameter")
        for key in body:
            if key not in ("message", "saveToSentItems"):
                raise bad_request(f"The parameter '{key}' in the request payload is not a valid parameter for "
                                  "the operation 'sendMail'.", "RequestBodyRead")
        message = validate_body("message", body["message"])
        check_headers(message)
        check_recipients(message)
        save = body.get("saveToSentItems", True)
        ctx.mailbox.send_mail(message, save_to_sent_items=save is not False)
        return ctx.empty(202)


def _partial_if_read_flip(ctx: Ctx, change: Change, since: int) -> Change:
    """An item the client already had whose every change since its token only flipped isRead."""
    if change.op != "upsert" or change.entered > since:
        return change
    full = ctx.mailbox.read_only_since(change.id)
    if full is None or full > since:
        return change
    return Change("readFlip", change.id, change.data, change.seq, change.entered)


def _change_type(change: Change, since: int) -> str:
    if change.op == "removed":
        return "deleted"
    return "created" if change.entered > since else "updated"
