"""Microsoft Graph change notifications, and the sync status of the user's mailboxes."""
import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any, Literal, Optional

import sqlalchemy as sa
from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from addin.errors import problem
from storage.db import UnitOfWork
from storage.models import Mailbox, Notification, Subscription
from storage.services.mailboxes import cursors_of, mailboxes_for_user
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


@hooks.post("/notifications", responses={200: None, 202: None, 400: s.Problem, 403: s.Problem})
def notifications(query: NotificationQuery):
    """Graph change notifications. The validation handshake echoes `validationToken` as text/plain;
    notifications are checked (subscription known, clientState equal in constant time, not seen
    before), stored, and answered 202 at once — the sync runs soon after, not in this request."""
    if query.validationToken is not None:
        response = current_app.response_class(query.validationToken, status=200, mimetype="text/plain")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    try:
        payload = json.loads(request.get_data() or b"{}")
        values = payload["value"]
        if not isinstance(values, list) or not values or len(values) > 1000:
            raise ValueError("value must be a non-empty list")
    except (ValueError, KeyError, TypeError):
        return problem(400, "Not a Graph notification payload.")
    factory = current_app.extensions["dealpane"].session_factory
    with UnitOfWork(factory) as uow:
        accepted = []
        for item in values:
            subscription = _verified(uow.session, item)
            if subscription is None:
                log.warning("refused a change notification: unknown subscription or wrong clientState")
                return problem(403, "Unknown subscription or wrong clientState.")
            accepted.append((item, subscription))
        now, woken = utcnow(), set()
        for item, subscription in accepted:
            kind = item.get("lifecycleEvent") or item.get("changeType") or "updated"
            fingerprint = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
            exists = uow.session.scalar(sa.select(Notification.id).where(
                Notification.subscription_id == subscription.id, Notification.fingerprint == fingerprint))
            if exists:
                continue  # a replay changes nothing
            uow.session.add(Notification(subscription_id=subscription.id, mailbox_id=subscription.mailbox_id,
                                         kind=str(kind)[:40], fingerprint=fingerprint))
            if kind == "subscriptionRemoved":
                uow.session.delete(subscription)  # recreated by the subscription keeper
            elif kind == "reauthorizationRequired":
                subscription.expires_at = now  # renewed on the keeper's next pass
            woken.add(subscription.mailbox_id)
        if woken:
            uow.session.execute(sa.update(Mailbox).where(Mailbox.id.in_(woken)).values(next_sync_at=now))
        uow.commit()
    return "", 202


def _verified(session, item: Any) -> Subscription | None:
    if not isinstance(item, dict):
        return None
    subscription_id, client_state = item.get("subscriptionId"), item.get("clientState")
    if not isinstance(subscription_id, str) or not isinstance(client_state, str) or len(subscription_id) > 100:
        return None
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        hmac.compare_digest(client_state.encode(), b"x" * 32)  # same work whether or not it exists
        return None
    return subscription if hmac.compare_digest(client_state.encode(), subscription.client_state.encode()) else None


class CursorOut(BaseModel):
    resource: str
    in_round: bool
    full_syncs: int
    age_seconds: Optional[int]


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


class SyncStatusOut(BaseModel):
    items: list[MailboxStatusOut]


@status_bp.get("/status", responses={200: SyncStatusOut, 401: s.Problem})
def sync_status():
    """Per mailbox of the user's workspaces: state, last success, items synced, errors, cursors' age.
    `status` missing_permission: Graph refused a call (403); `status_detail` names the permission."""
    user = current_user()
    now = utcnow()
    items = []
    for m in mailboxes_for_user(session(), user.id):
        items.append(MailboxStatusOut(
            mailbox=m.address, workspace_id=m.workspace_id, mode=m.mode, status=m.status,
            status_detail=m.status_detail or "", last_sync_at=m.last_sync_at, next_sync_at=m.next_sync_at,
            items_synced=m.items_synced or 0, errors=m.errors or 0, last_error=m.last_error,
            last_error_at=m.last_error_at,
            cursors=[CursorOut(resource=c.resource, in_round=c.in_round, full_syncs=c.full_syncs or 0,
                               age_seconds=int((now - c.updated_at).total_seconds()) if c.updated_at else None)
                     for c in cursors_of(session(), m.id)],
        ).model_dump(mode="json"))
    return json_response({"items": items})
