"""Message attachments as Graph serves them.

- ``GET /messages/{id}/attachments``: every attachment, whole (a fileAttachment with its
  ``contentBytes``), as the list page's example shows; ``$select`` narrows it (``@odata.type`` stays)
  https://learn.microsoft.com/graph/api/message-list-attachments
- ``GET /messages/{id}/attachments/{id}`` (``$select``) and ``.../{id}/$value``: the raw bytes of a
  file attachment https://learn.microsoft.com/graph/api/attachment-get (example "Get the raw contents
  of a file attachment on a message"). The raw MIME of an item attachment is not implemented (501).
- v1.0's ``referenceAttachment`` has no property of its own (no ``sourceUrl``: that is beta only,
  see Graph's v1.0 CSDL), so it is only a name, a type and a size.
- ``hasAttachments`` leaves inline attachments out: a message with only an inline image says false
  https://learn.microsoft.com/graph/api/resources/message ("does not include inline attachments").
- ``$expand=attachments`` on a message returns them whole; in message delta the inner ``$select`` is
  not applied (https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/8431), so the
  fake answers whole attachments there too, and 501 for an inner ``$select`` on GET message (not modelled).

In a mailbox file a message's ``attachments`` hold Graph's shapes (``@odata.type`` and the
properties); ``id``, ``size`` (the decoded content's length unless given), ``lastModifiedDateTime``
and ``isInline`` (false) are filled in.
"""
from __future__ import annotations

import base64
import binascii

from werkzeug.wrappers import Response

from . import defaults, ids
from .errors import GraphError
from .schema import parse_select
from .web import Ctx, Router, _headers, check_id, reject_options

FILE, ITEM, REFERENCE = ("#microsoft.graph.fileAttachment", "#microsoft.graph.itemAttachment",
                         "#microsoft.graph.referenceAttachment")
TYPES = (FILE, ITEM, REFERENCE)
# attachment's properties (Graph's CSDL: attachment, then each subtype's own)
BASE = ("id", "lastModifiedDateTime", "name", "contentType", "size", "isInline")
OWN = {FILE: ("contentId", "contentLocation", "contentBytes"), ITEM: (), REFERENCE: ()}


def prepare(message: dict, seed: str | None) -> dict:
    """A message's given attachments completed, and hasAttachments as Graph computes it."""
    given = message.get("attachments")
    if not given:
        return message
    done = []
    for index, attachment in enumerate(given):
        kind = attachment.get("@odata.type") or FILE
        if kind not in TYPES:
            raise ValueError(f"unknown attachment type {kind!r}")
        content = attachment.get("contentBytes")
        try:
            raw = base64.b64decode(content, validate=True) if isinstance(content, str) else b""
        except (binascii.Error, ValueError) as error:
            raise ValueError(f"attachment {attachment.get('name')!r}: contentBytes is not base64") from error
        out = {"@odata.type": kind,
               "id": attachment.get("id") or ids.new_id(None if seed is None else f"{seed}/attachment/{index}"),
               "lastModifiedDateTime": attachment.get("lastModifiedDateTime") or message.get("receivedDateTime")
               or defaults.iso(defaults.now()),
               "name": attachment.get("name") or "", "contentType": attachment.get("contentType"),
               "size": int(attachment.get("size", len(raw))), "isInline": bool(attachment.get("isInline", False))}
        if kind == FILE:
            out.update({"contentId": attachment.get("contentId"), "contentLocation": None,
                        "contentBytes": content or ""})
        done.append(out)
    visible = any(not a["isInline"] for a in done)
    return {**message, "attachments": done, "hasAttachments": visible}


def _select(ctx: Ctx) -> list[str] | None:
    return parse_select("attachment", ctx.arg("$select"), names=[n for kind in TYPES for n in BASE + OWN[kind]])


def render_attachment(attachment: dict, select: list[str] | None = None) -> dict:
    kind = attachment["@odata.type"]
    out: dict = {"@odata.type": kind}
    if kind == FILE:
        out["@odata.mediaContentType"] = attachment.get("contentType")
    names = [n for n in BASE + OWN[kind] if select is None or n in select or n == "id"]
    for name in names:
        out[name] = attachment.get(name)
    return out


def _message(ctx: Ctx, message_id: str) -> dict:
    check_id(message_id)
    data = ctx.mailbox.get("message", message_id)
    if data is None:
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return data


def _attachment(ctx: Ctx, message_id: str, attachment_id: str) -> dict:
    check_id(attachment_id)
    for attachment in _message(ctx, message_id).get("attachments") or []:
        if attachment["id"] == attachment_id:
            return attachment
    raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def register(router: Router) -> None:
    @router.route("/messages/{message_id}/attachments")
    def list_attachments(ctx: Ctx, message_id: str) -> Response:
        reject_options(ctx, {"$select"})
        select = _select(ctx)
        values = [render_attachment(a, select) for a in _message(ctx, message_id).get("attachments") or []]
        return ctx.json({"@odata.context": ctx.context_url(f"users('{ctx.mailbox.user.get('id')}')/messages('"
                                                           f"{message_id}')/attachments"), "value": values})

    @router.route("/messages/{message_id}/attachments/{attachment_id}")
    def get_attachment(ctx: Ctx, message_id: str, attachment_id: str) -> Response:
        reject_options(ctx, {"$select"})
        shown = render_attachment(_attachment(ctx, message_id, attachment_id), _select(ctx))
        return ctx.json({"@odata.context": ctx.context_url(f"users('{ctx.mailbox.user.get('id')}')/messages('"
                                                           f"{message_id}')/attachments/$entity"), **shown})

    @router.route("/messages/{message_id}/attachments/{attachment_id}/$value")
    def attachment_value(ctx: Ctx, message_id: str, attachment_id: str) -> Response:
        reject_options(ctx, set())
        attachment = _attachment(ctx, message_id, attachment_id)
        if attachment["@odata.type"] != FILE:
            raise GraphError(501, "NotImplemented", "The raw contents of an item or reference attachment are "
                             "not implemented by the fake Graph")
        raw = base64.b64decode(attachment.get("contentBytes") or "")
        return Response(raw, status=200, headers=_headers(ctx.request, None),
                        content_type=attachment.get("contentType") or "application/octet-stream")
