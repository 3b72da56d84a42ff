"""Microsoft Graph change notifications, and the sync status of the user's mailboxes."""
import datetime as dt
import json
import logging
from typing import Literal, Optional

from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from addin.errors import problem
from addin.i18n import tr
from storage.i18n import _
from graph_sync import notifications as graph_notifications
from storage.services.mailboxes import cursors_of, mailboxes_for_user, set_aside_of
from storage.types import utcnow

from . import schemas as s
from .context import current_user, json_response, session

log = logging.getLogger(__name__)

hooks = APIBlueprint("graph_hooks", __name__, url_prefix="/api/v1/graph", abp_tags=[Tag(name="graph")])
status_bp = APIBlueprint("sync_status", __name__, url_prefix="/api/v1/sync", abp_tags=[Tag(name="graph")],
                         abp_security=[{"entra": []}, {"dev": []}])
MAX_VALIDATION_TOKEN = 1024


class NotificationQuery(BaseModel):
    validationToken: Optional[str] = Field(default=None, max_length=MAX_VALIDATION_TOKEN)


@hooks.post("/notifications", responses={200: None, 202: None, 400: s.Problem})
def notifications(query: NotificationQuery):
    """Graph change notifications. The validation handshake echoes `validationToken` as text/plain.
    A batch is answered 202 whatever its items are: each is checked and acted on by
    graph_sync.notifications.accept (valid ones stored and their mailboxes made due, invalid ones
    ignored and logged); only a body that is not a Graph notification payload at all is 400.

    Graph retries the whole POST on any non-2xx answer for up to 4 hours, and answers slower than 10
    seconds get the endpoint throttled, then its notifications dropped; processing within 3 seconds
    is the documented target ("HTTP codes and retry logic", "Throttling":
    https://learn.microsoft.com/graph/change-notifications-delivery-webhooks). Refusing a batch for
    one unknown item would bring the valid ones back for hours; here the request does one short
    transaction and the sync runs later in the worker."""
    if query.validationToken is not None:
        response = current_app.response_class(query.validationToken, status=200, mimetype="text/plain")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    try:
        payload = json.loads(request.get_data() or b"{}")
    except ValueError:
        payload = None
    if not graph_notifications.is_batch(payload):
        return problem(400, _("Not a Graph notification payload."))
    graph_notifications.accept(current_app.extensions["dealpane"].session_factory, payload["value"])
    return "", 202


class CursorOut(BaseModel):
    resource: str
    in_round: bool
    full_syncs: int
    age_seconds: Optional[int]


class SetAsideOut(BaseModel):
    item_id: str
    resource: str
    error: str
    attempts: int
    first_failed_at: dt.datetime
    next_try_at: dt.datetime


class MailboxStatusOut(BaseModel):
    mailbox: str
    workspace_id: str
    mode: Literal["delegated", "application", "dev"]
    status: Literal["ok", "needs_sign_in", "missing_permission", "error", "paused"]
    status_detail: str
    last_sync_at: Optional[dt.datetime]
    next_sync_at: Optional[dt.datetime]
    items_synced: int
    errors: int
    last_error: Optional[str]
    last_error_at: Optional[dt.datetime]
    cursors: list[CursorOut]
    set_aside: list[SetAsideOut] = []


class SyncStatusOut(BaseModel):
    items: list[MailboxStatusOut]


@status_bp.get("/status", responses={200: SyncStatusOut, 401: s.Problem})
def sync_status():
    """Per mailbox of the user's workspaces: state, last success, items synced, errors, cursors' age,
    and the items the sync set aside (it could not apply them; tried again later, error given).
    `status` missing_permission: Graph refused a call (403); `status_detail` names the permission."""
    user = current_user()
    now = utcnow()
    items = []
    for m in mailboxes_for_user(session(), user.id):
        items.append(MailboxStatusOut(
            mailbox=m.address, workspace_id=m.workspace_id, mode=m.mode, status=m.status,
            status_detail=tr(m.status_detail or ""), last_sync_at=m.last_sync_at, next_sync_at=m.next_sync_at,
            items_synced=m.items_synced or 0, errors=m.errors or 0, last_error=m.last_error,
            last_error_at=m.last_error_at,
            cursors=[CursorOut(resource=c.resource, in_round=c.in_round, full_syncs=c.full_syncs or 0,
                               age_seconds=int((now - c.updated_at).total_seconds()) if c.updated_at else None)
                     for c in cursors_of(session(), m.id)],
            set_aside=[SetAsideOut(item_id=a.graph_id, resource=a.resource, error=a.error, attempts=a.attempts,
                                   first_failed_at=a.first_failed_at, next_try_at=a.next_try_at)
                       for a in set_aside_of(session(), m.id)],
        ).model_dump(mode="json"))
    return json_response({"items": items})
