"""The GraphClient port: what the rest of Dealpane asks of a mailbox, in our own small records.

One adapter implements it (graph_sync.msgraph_adapter, on msgraph-sdk); tests drive that
adapter against the fake Graph over loopback. Errors are sorted so callers can act:
auth (stop, ask the user to sign in), transient (back off, retry), cursor expired (resync),
not found, bug.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.i18n import Text, _


class GraphError(Exception):
    """A Graph call failed; `status` and Graph's error `code` when there was a response."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code


class GraphAuthError(GraphError):
    """401: the token is expired or revoked even after a fresh one. The mailbox needs sign-in.
    (403 is the subclass GraphPermissionError.)"""


class GraphPermissionError(GraphAuthError):
    """403: the token is valid but lacks the permission this call needs. Signing in again does not
    help: an admin (or the user, consenting) must grant `permission`. `what` names the call
    ("read mail"), `doc` Microsoft's page listing its permissions. Graph's 403 names neither: they
    come from graph_sync.permissions, by the request's method and path."""

    def __init__(self, message: str, *, status: int | None = 403, code: str | None = None,
                 permission: str | None = None, what: str | None = None, doc: str | None = None,
                 application: bool = False):
        super().__init__(message, status=status, code=code)
        self.permission, self.what, self.doc, self.application = permission, what, doc, application

    def explain(self) -> Text:
        """What the user or admin reads (the API's 403 detail, the mailbox's status): a Text, `what`
        being one of graph_sync.permissions' marked phrases ("read mail")."""
        if not self.permission:
            return _("Microsoft Graph refused a call (%(code)s): a permission is missing.",
                     code=self.code or "access denied")
        what = Text(self.what or "")
        if self.application:
            return _("Microsoft Graph refused to %(what)s: Dealpane needs the application permission "
                     "%(permission)s (%(doc)s).", what=what, permission=self.permission, doc=self.doc)
        return _("Microsoft Graph refused to %(what)s: Dealpane needs the delegated permission "
                 "%(permission)s (%(doc)s).", what=what, permission=self.permission, doc=self.doc)


class GraphTransientError(GraphError):
    """429/503/504 or a dropped connection: try again after `retry_after` seconds."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_after: float | None = None):
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class CursorExpired(GraphError):
    """410 Gone / syncStateNotFound: the delta cursor is no longer valid; resync from scratch."""


class GraphNotFound(GraphError):
    """404: the item is gone (deleted, or never in this mailbox)."""


class GraphBug(GraphError):
    """Any other failure: a request we built wrong or a response we did not expect."""


class NotAFileAttachment(GraphError):
    """The attachment is an item (an attached e-mail or meeting) or a reference (a link to a cloud file):
    Graph has no file bytes to give for it. `kind` is "item" or "reference"."""

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.kind = kind


ATTACHMENT_KINDS = {"#microsoft.graph.fileAttachment": "file", "#microsoft.graph.itemAttachment": "item",
                    "#microsoft.graph.referenceAttachment": "reference"}


def attachment_record(value: dict[str, Any]) -> dict[str, Any]:
    """One of Graph's attachments as the port's small record {id, name, size, content_type, is_inline, kind}.
    `size` is Graph's (https://learn.microsoft.com/graph/api/resources/attachment): what the store counts,
    not always the length of the bytes $value returns, so it is shown, never used as a Content-Length."""
    return {"id": str(value.get("id") or ""), "name": str(value.get("name") or ""),
            "size": int(value.get("size") or 0), "content_type": value.get("contentType") or None,
            "is_inline": bool(value.get("isInline")),
            "kind": ATTACHMENT_KINDS.get(str(value.get("@odata.type") or ""), "file")}


@dataclass
class DeltaPage:
    """One page of a delta round. Exactly one of next_link / delta_link is set: follow
    next_link to the end of the round, then keep delta_link as the cursor for the next round."""

    items: list[dict[str, Any]]
    removed: list[str]
    next_link: str | None
    delta_link: str | None

    @property
    def cursor(self) -> str:
        return self.next_link or self.delta_link or ""


@dataclass
class BatchRequest:
    id: str
    method: str
    url: str  # relative to the Graph version root, e.g. "/me/messages/AAMk..."
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class BatchResponse:
    id: str
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class EventSpec:
    """A meeting to create. start/end are wall-clock times in `time_zone` (IANA or Windows name)."""

    subject: str
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    attendees: list[tuple[str, str]]  # (display name, address)
    transaction_id: str
    body_html: str | None = None
    location: str | None = None
    online_meeting: bool = False
    extended_properties: dict[str, str] = field(default_factory=dict)  # name -> value (String properties)


@dataclass
class MailSpec:
    subject: str
    body_html: str
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # x- internet message headers


@dataclass
class TaskSpec:
    """A To Do task. `external_id` goes into the task's linkedResource so the task can be recognised."""

    title: str
    external_id: str
    web_url: str
    display_name: str
    due: dt.date | None = None
    reminder_at: dt.datetime | None = None
    completed: bool = False


class GraphClient(Protocol):
    """A mailbox as Dealpane uses it. Every request carries Prefer: IdType="ImmutableId"."""

    def delta_messages(self, folder: str, cursor: str | None = None,
                       select: list[str] | None = None, with_body: bool = False) -> DeltaPage: ...

    def message_query(self, with_body: bool = False) -> str:
        """A fingerprint of what delta_messages asks Graph for: a cursor made with another must restart."""

    def delta_events(self, start: dt.datetime, end: dt.datetime, cursor: str | None = None) -> DeltaPage: ...

    def delta_tasks(self, list_id: str, cursor: str | None = None) -> DeltaPage: ...

    def translate_ids(self, ids: list[str], source: str, target: str = "restImmutableEntryId") -> dict[str, str]: ...

    def get_message(self, message_id: str) -> dict[str, Any]: ...

    def list_attachments(self, message_id: str) -> list[dict[str, Any]]:
        """A message's attachments as attachment_record()s, without their content. GraphNotFound: the
        message is gone."""

    def get_attachment_content(self, message_id: str, attachment_id: str) -> tuple[bytes, str, str]:
        """(bytes, content type, name) of a file attachment; NotAFileAttachment for an item or reference
        attachment, GraphNotFound when the message or the attachment is gone."""

    def get_event(self, event_id: str) -> dict[str, Any]: ...

    def get_events(self, ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Whole events by id (None: gone), for the occurrences calendarView delta sends sparse."""

    def batch(self, requests: list[BatchRequest]) -> list[BatchResponse]: ...

    def folder_id(self, well_known_name: str) -> str: ...

    def locate(self, kind: str, ids: list[str]) -> dict[str, str | None]:
        """Which of these messages/events are still in the mailbox, and where: id -> parentFolderId
        ("" for an event), None when Graph no longer has it."""

    def create_subscription(self, resource: str, notification_url: str, expires: dt.datetime,
                            client_state: str, change_type: str = "created,updated,deleted") -> dict[str, Any]: ...

    def renew_subscription(self, subscription_id: str, expires: dt.datetime) -> dict[str, Any]: ...

    def delete_subscription(self, subscription_id: str) -> None: ...

    def todo_lists(self) -> list[dict[str, Any]]: ...

    def create_todo_list(self, name: str) -> dict[str, Any]: ...

    def create_task(self, list_id: str, spec: TaskSpec) -> dict[str, Any]: ...

    def update_task(self, list_id: str, task_id: str, spec: TaskSpec) -> dict[str, Any]: ...

    def create_event(self, spec: EventSpec) -> dict[str, Any]: ...

    def create_draft(self, spec: MailSpec) -> dict[str, Any]: ...

    def send_draft(self, message_id: str) -> None: ...

    def delete_message(self, message_id: str) -> None: ...

    def delete_event(self, event_id: str) -> None: ...

    def delete_todo_list(self, list_id: str) -> None: ...

    def close(self) -> None: ...


def email_address(recipient: dict | None) -> str | None:
    """{"emailAddress": {"address": "A@B.com"}} -> "a@b.com"."""
    address = ((recipient or {}).get("emailAddress") or {}).get("address")
    return address.strip().lower() if isinstance(address, str) and address.strip() else None


def graph_datetime(value: Any) -> dt.datetime | None:
    """Graph's "2026-11-02T09:30:00Z" or {"dateTime": "...", "timeZone": "UTC"} as an aware UTC datetime."""
    if isinstance(value, dict):
        zone = value.get("timeZone") or "UTC"
        value = value.get("dateTime")
        if not isinstance(value, str):
            return None
        parsed = _parse_iso(value)
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            try:
                parsed = parsed.replace(tzinfo=dt.timezone.utc if zone.upper() == "UTC" else ZoneInfo(zone))
            except (ZoneInfoNotFoundError, ValueError):
                parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.astimezone(dt.timezone.utc)
    if isinstance(value, str):
        parsed = _parse_iso(value)
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.astimezone(dt.timezone.utc) if parsed else None
    return None


def _parse_iso(value: str) -> dt.datetime | None:
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Graph sends 7 fractional digits; Python takes at most 6
        head, _dot, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None
