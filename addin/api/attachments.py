"""An e-mail's attachments in the history: listed and opened from Graph on demand, never stored.

Which mailbox: a history item keeps the immutable id Graph gave it in the mailbox that stored it
(the pane's link: the user's own; the sync: a mailbox connected to the workspace), and Graph resolves
an id only in its own mailbox (graph_sync/linking.py). So the caller's own mailbox is asked first,
then the workspace's connected mailboxes that took part in the e-mail (its sender or a recipient).
Anyone who sees the item in the workspace's history may open its attachments, as they see the rest.

The list is asked of Graph the first time (the sync keeps only hasAttachments, see
graph_sync/msgraph_adapter.py MESSAGE_FIELDS) and kept in history_item.attachments: names, types and
sizes, never the content.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from graph_sync.records import attachment_fields
from graph_sync.port import GraphAuthError, GraphClient, GraphError, GraphNotFound, NotAFileAttachment
from graph_sync.tokens import NeedsSignIn
from storage.errors import NotFound, RuleViolation
from storage.i18n import _
from storage.models import HistoryItem, Mailbox

from . import schemas as s
from .context import commit, current_user, graph_client, json_response, member, release_read_transaction, session
from .paths import WsPath

bp = APIBlueprint("attachments", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="history")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {401: s.Problem, 403: s.Problem, 404: s.Problem, 409: s.Problem, 422: s.Problem, 503: s.Problem}
# Never shown by the browser as a page of ours, whatever the mail says it is: these go out as bytes.
ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                "text/javascript", "application/javascript", "application/pdf+html")
# Graph's ids are base64url-like; an attachment id is longer than a message id
ID_FIELD = Field(min_length=1, max_length=1000, pattern=r"^[A-Za-z0-9_=+/-]+$")


class HistoryItemPath(WsPath):
    item_id: str = Field(max_length=64)


class AttachmentPath(HistoryItemPath):
    attachment_id: str = ID_FIELD


class AttachmentList(BaseModel):
    items: list[s.AttachmentOut]


def _email(workspace_id: str, item_id: str) -> HistoryItem:
    item = session().scalar(sa.select(HistoryItem).where(HistoryItem.id == item_id,
                                                         HistoryItem.workspace_id == workspace_id))
    if item is None or item.kind != "email":
        raise NotFound(_("No such e-mail in the history."))
    if not item.graph_id:
        raise NotFound(_("This e-mail was not read from a mailbox: it has no attachments to open."))
    return item


def _mailboxes(item: HistoryItem, user) -> list[Callable[[], GraphClient]]:
    """Graph clients that may hold the item, the caller's own mailbox first."""
    services = current_app.extensions["dealpane"]
    people = {a.lower() for a in [item.from_address, *(item.to_addresses or []), *(item.cc_addresses or [])] if a}
    own = (user.email or "").lower()
    found = session().scalars(sa.select(Mailbox).where(Mailbox.workspace_id == item.workspace_id)
                              .order_by(Mailbox.address)).all()
    others = [m for m in found if m.address.lower() in people and m.address.lower() != own]
    release_read_transaction()
    return [lambda: graph_client(user)] + [lambda m=m: services.graph.client_for_mailbox(m) for m in others]


def _from_mailbox(item: HistoryItem, call: Callable[[GraphClient], Any]) -> Any:
    """`call` on the first mailbox that has the item. Gone from all: 404; none could be asked: the
    first mailbox's error (sign in again 409, permission 403: addin/errors.py)."""
    first_error: Exception | None = None
    gone = False
    for make in _mailboxes(item, current_user()):
        try:
            return call(make())
        except GraphNotFound:
            gone = True
        except (GraphAuthError, NeedsSignIn) as error:
            first_error = first_error or error
        except GraphError as error:
            if error.status == 400 and (error.code or "").lower() in ("errorinvalidmailboxitemid",
                                                                      "errorinvalididmalformed"):
                gone = True  # an id of another mailbox: https://github.com/OfficeDev/office-js/issues/1152
                continue
            raise
    if first_error is not None and not gone:
        raise first_error
    raise NotFound(_("This e-mail is not in the mailbox any more: its attachments cannot be opened."))


def attachment_list(item: HistoryItem) -> list[dict[str, Any]]:
    if item.attachments is None:
        records = _from_mailbox(item, lambda client: client.list_attachments(item.graph_id))
        item.attachments = attachment_fields(records)
        commit()
    return item.attachments


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "name": record["name"], "size": record["size"],
            "content_type": record.get("content_type"), "is_inline": bool(record.get("is_inline"))}


@bp.get("/history/<item_id>/attachments", responses={200: AttachmentList, **PROBLEMS})
def list_attachments(path: HistoryItemPath):
    """The e-mail's attachments (name, size, type, inline or not), asked of Microsoft Graph the first time
    and kept with the history item (never their content). 404 when the e-mail left the mailbox."""
    m = member(path.ws)
    item = _email(m.workspace_id, path.item_id)
    return json_response({"items": [_public(r) for r in attachment_list(item)]})


def content_disposition(name: str) -> str:
    """RFC 6266 with the RFC 5987 UTF-8 name, and a plain ASCII name for older clients."""
    cleaned = "".join(c for c in name if c >= " " and c not in "\x7f") or "attachment"
    ascii_name = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in cleaned)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


@bp.get("/history/<item_id>/attachments/<attachment_id>", responses={
    200: {"description": "The attachment's bytes, with its type and `Content-Disposition: attachment`",
          "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    **PROBLEMS})
def download_attachment(path: AttachmentPath):
    """One file attachment, read from Microsoft Graph now (not stored by Dealpane). A reference attachment
    (a link to a cloud file; Graph v1.0 does not give its address) or an attached item is 422: open the
    e-mail in Outlook. 404 when the e-mail or the attachment left the mailbox."""
    m = member(path.ws)
    item = _email(m.workspace_id, path.item_id)
    try:
        data, content_type, name = _from_mailbox(
            item, lambda client: client.get_attachment_content(item.graph_id, path.attachment_id))
    except NotAFileAttachment as error:
        if error.kind == "reference":
            raise RuleViolation.on("attachment_id", _("is a link to a file in the cloud: open the e-mail in "
                                                      "Outlook to follow it")) from None
        raise RuleViolation.on("attachment_id", _("is an attached e-mail or meeting: open the e-mail in "
                                                  "Outlook to see it")) from None
    except NotFound:
        if item.attachments and not any(a.get("id") == path.attachment_id for a in item.attachments):
            raise NotFound(_("No such attachment on this e-mail.")) from None
        raise
    media = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if media in ACTIVE_TYPES or "/" not in media:
        media = "application/octet-stream"
    response = current_app.response_class(data, mimetype=media)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response

