"""Change notifications from the fake Graph, delivered as Graph delivers them (off unless enabled).

Enabled with ``FakeGraph(..., notify=True)``:

- Creating a subscription (and changing its notificationUrl) first runs Graph's validation
  handshake on notificationUrl and on lifecycleNotificationUrl: ``POST {url}?validationToken=...``
  (form-encoded, empty ``text/plain`` body), which must answer 200, ``text/plain``, the decoded
  token exactly, within 10 seconds; otherwise the create is 400 ``InvalidRequest`` with Graph's
  message. Sources: https://learn.microsoft.com/graph/change-notifications-delivery-webhooks
  ("Notification endpoint validation"); the 10 seconds, not configurable:
  https://github.com/microsoftgraph/microsoft-graph-docs/issues/5554; the request as Graph sends it
  and the mismatch message: https://github.com/microsoftgraph/msgraph-sdk-go/issues/237; both URLs
  validated: https://learn.microsoft.com/graph/change-notifications-lifecycle-events.
- A message, event or To Do task created, updated or deleted in a subscribed scope (mailbox-wide
  ``/messages``, one folder's messages, ``/events``, one list's tasks) queues a changeNotification
  (https://learn.microsoft.com/graph/api/resources/changenotification) for each live subscription
  whose changeType includes it: subscriptionId, subscriptionExpirationDateTime, changeType,
  resource, resourceData (``@odata.type``, ``@odata.id``, ``id``, and ``@odata.etag`` for Outlook
  items: https://learn.microsoft.com/graph/api/resources/resourcedata), clientState, tenantId. Ids
  are immutable ids when the subscription was created with ``Prefer: IdType="ImmutableId"``, else
  rest ids. A move out of a subscribed folder is ``deleted`` there and ``created`` in the folder it
  entered (the fake's reading: Graph documents no move changeType for messages).
- After ``delay`` seconds the queued notifications of every subscription with the same URL go out
  as one POST ``{"value": [...]}`` (Graph batches: "notifications can contain a mix of items for
  various apps and tenants that subscribed using the same notification URL",
  https://learn.microsoft.com/graph/api/resources/changenotificationcollection). Any 2xx delivers
  it; any other answer, a connection error or no answer within 10 seconds retries the same POST
  after ``retry_delays`` (exponential backoff, as Graph, which keeps trying for up to 4 hours:
  "HTTP codes and retry logic" on the delivery page); after the last one the batch is dropped.
- ``send_lifecycle(subscription_id, event)`` queues a lifecycle notification to the subscription's
  lifecycleNotificationUrl, only where Graph sends one: none without that URL; ``missed`` and
  ``subscriptionRemoved`` only for Outlook messages and events (the lifecycle page's supported
  resources). ``subscriptionRemoved`` also removes the subscription, as Graph has.
"""
from __future__ import annotations

import datetime as dt
import functools
import http.client
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlsplit

from . import ids
from .errors import GraphError
from .render import parse_instant

FAKE_TENANT_ID = "5b4c3e21-7a9d-4f60-b8e2-1c3d5e7f9a0b"
TIMEOUT = 10.0                       # Graph's limit for the handshake and for a timely answer
LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")
_OUTLOOK_ONLY = {"missed", "subscriptionRemoved"}

_USER = r"(?:me|users/(?P<user>[^/]+))"
_SCOPES = [  # resource (after key syntax is normalised) -> (kind, folder or list reference or None)
    (re.compile(rf"^/?{_USER}/messages$", re.I), "message", None),
    (re.compile(rf"^/?{_USER}/mailFolders/(?P<ref>[^/]+)/messages$", re.I), "message", "ref"),
    (re.compile(rf"^/?{_USER}/(?:calendar/|calendars/[^/]+/)?events$", re.I), "event", None),
    (re.compile(rf"^/?{_USER}/todo/lists/(?P<ref>[^/]+)/tasks$", re.I), "task", "ref"),
]
_KEY_SYNTAX = re.compile(r"/?([A-Za-z]+)\('([^'/]*)'\)")
_ODATA = {"message": ("#Microsoft.Graph.Message", "Messages"), "event": ("#Microsoft.Graph.Event", "Events"),
          "task": ("#Microsoft.Graph.todoTask", "todo/tasks")}


class ValidationFailed(GraphError):
    def __init__(self, message: str):
        super().__init__(400, "InvalidRequest", message)


@dataclass
class _Batch:
    url: str
    items: list[dict]
    due: float
    attempt: int = 0        # tries made so far
    sent: bool = False      # in flight


@dataclass
class Delivery:
    """One POST made: what was sent, and what came back (status None: no answer)."""
    url: str
    body: dict
    attempt: int
    status: int | None
    at: float = field(default_factory=time.time)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str, str]:
    """(status or None, content type, text) of one POST; None for a connection error or timeout."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", target, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, response.getheader("Content-Type", ""), text
    except (OSError, http.client.HTTPException):
        return None, "", ""
    finally:
        connection.close()


class Notifier:
    """Queues and delivers change notifications for one fake Graph (``GraphApp``)."""

    def __init__(self, app, *, delay: float = 0.5, retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0),
                 timeout: float = TIMEOUT, tenant_id: str | None = None):
        self.app = app
        self.delay = delay
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.tenant_id = tenant_id
        self._immutable: dict[str, bool] = {}
        self._scopes: dict[str, tuple[str, str | None] | None] = {}   # subscription id -> parsed resource
        self._batches: list[_Batch] = []
        # Every POST made, for tests; a company's run keeps only the latest.
        self._deliveries: deque[Delivery] = deque(maxlen=2000 if getattr(app, "company", False) else None)
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._listening: list[tuple[Any, Any]] = []   # (mailbox, its listener)
        # Every mailbox, also those a company makes later: each change is looked up among the
        # subscriptions on that mailbox only (routes_misc.Subscriptions.for_owner).
        app.directory.watch(self._listen)

    # -- lifecycle of the notifier itself --------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="fake-graph-notify", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop delivering (whatever is queued is dropped) and stop listening to the mailboxes."""
        self.app.directory.unwatch(self._listen)
        for mailbox, listener in self._listening:
            with mailbox.lock:
                if listener in mailbox.listeners:
                    mailbox.listeners.remove(listener)
        self._listening = []
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
        self._thread = None

    # -- subscriptions -----------------------------------------------------------------------
    def validate(self, url: str | None) -> None:
        """Graph's validation handshake on ``url``; raises Graph's 400 when the endpoint fails it."""
        if not url:
            return
        token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        joiner = "&" if urlsplit(url).query else "?"
        status, content_type, text = _post(f"{url}{joiner}validationToken={quote_plus(token)}", b"",
                                           {"Content-Type": "text/plain; charset=utf-8", "Accept": "text/plain"},
                                           self.timeout)
        if status is None:
            raise ValidationFailed("Subscription validation request timed out.")
        if status != 200:
            raise ValidationFailed("Subscription validation request failed. Notification endpoint must respond "
                                   "with 200 OK to validation request.")
        if text != token or not content_type.lower().startswith("text/plain"):
            raise ValidationFailed("Subscription validation request failed. Response must exactly match "
                                   "validationToken query parameter.")

    def subscribed(self, subscription_id: str, immutable: bool) -> None:
        """A subscription was created; its notifications use the id form it was created with."""
        with self._cond:
            self._immutable[subscription_id] = immutable

    # -- what tests and the fake call --------------------------------------------------------
    def send_lifecycle(self, subscription_id: str, event: str) -> dict:
        if event not in LIFECYCLE_EVENTS:
            raise ValueError(f"lifecycleEvent must be one of {', '.join(LIFECYCLE_EVENTS)}")
        sub = self.app.subscriptions.get(subscription_id)
        if sub is None:
            raise KeyError(subscription_id)
        if not sub.get("lifecycleNotificationUrl"):
            raise ValueError("Graph sends no lifecycle notifications to a subscription created without "
                             "lifecycleNotificationUrl")
        kind = self._scope(sub)
        if event in _OUTLOOK_ONLY and (kind is None or kind[0] == "task"):
            raise ValueError(f"Graph sends {event} only for Outlook messages, events and contacts")
        item = {"lifecycleEvent": event, "subscriptionId": sub["id"],
                "subscriptionExpirationDateTime": self._expiry(sub), "resource": sub["resource"],
                "clientState": sub.get("clientState"), "tenantId": self._tenant(self.app.subscriptions.owner(sub["id"]))}
        if event == "subscriptionRemoved":
            self.app.subscriptions.delete(sub["id"])
        self._queue(sub["lifecycleNotificationUrl"], [item])
        return item

    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self._deliveries)

    def pending(self) -> int:
        with self._cond:
            return len(self._batches)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or in flight; False on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._batches:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    # -- from changes to queued notifications -------------------------------------------------
    def _listen(self, mailbox) -> None:
        listener = functools.partial(self._changed, mailbox)
        with mailbox.lock:
            mailbox.listeners.append(listener)
        self._listening.append((mailbox, listener))

    def _changed(self, mailbox, change: str, kind: str, item_id: str, scope: str | None, old_scope: str | None,
                 data: dict | None) -> None:
        """Called by a mailbox, under its lock, for every item change."""
        watching = self.app.subscriptions.for_owner(str(mailbox.user.get("id", "")))
        if not watching:
            return
        now = dt.datetime.now(dt.timezone.utc)
        for sub in watching:
            matched = self._scope(sub)
            if matched is None or matched[0] != kind:
                continue
            wanted = matched[1]
            if wanted is not None and kind == "message":
                wanted = mailbox.folder_id(wanted) or wanted
            if wanted is None:      # the whole mailbox's messages, the calendar's events
                sub_change = change
            elif change == "updated" and old_scope != scope:   # a move
                sub_change = "created" if scope == wanted else "deleted" if old_scope == wanted else None
            else:
                sub_change = change if (scope if change != "deleted" else old_scope) == wanted else None
            if sub_change is None or sub_change not in str(sub.get("changeType", "")).split(","):
                continue
            if parse_instant(sub["expirationDateTime"]) <= now:
                continue  # an expired subscription gets nothing
            self._queue(sub["notificationUrl"], [self._item(mailbox, sub, sub_change, kind, item_id, scope or old_scope,
                                                            data if sub_change != "deleted" else None)])

    def _scope(self, sub: dict) -> tuple[str, str | None] | None:
        """(kind, folder / list reference or None for the whole collection) a subscription covers;
        whose mailbox it watches is the subscriptions' index's business (routes_misc)."""
        if sub["id"] in self._scopes:
            return self._scopes[sub["id"]]
        resource = _KEY_SYNTAX.sub(r"/\1/\2", str(sub.get("resource", "")))
        found = None
        for pattern, kind, ref_group in _SCOPES:
            match = pattern.match(resource)
            if match is not None:
                found = (kind, None if ref_group is None else match.group(ref_group))
                break
        self._scopes[sub["id"]] = found
        return found

    def _item(self, mailbox, sub: dict, change: str, kind: str, item_id: str, scope: str | None,
              data: dict | None) -> dict:
        with self._cond:
            immutable = self._immutable.get(sub["id"], False)
        shown = ids.output_id(item_id, immutable) if kind in ("message", "event") else item_id
        odata_type, collection = _ODATA[kind]
        user_id = mailbox.user.get("id")
        if kind == "task":
            path = f"Users/{user_id}/todo/lists/{scope}/tasks/{shown}"
        else:
            path = f"Users/{user_id}/{collection}/{shown}"
        resource_data = {"@odata.type": odata_type, "@odata.id": path, "id": shown}
        if kind != "task" and data is not None and data.get("@odata.etag"):
            resource_data["@odata.etag"] = data["@odata.etag"]
        return {"subscriptionId": sub["id"], "subscriptionExpirationDateTime": self._expiry(sub),
                "changeType": change, "resource": path, "resourceData": resource_data,
                "clientState": sub.get("clientState"), "tenantId": self._tenant(user_id)}

    @staticmethod
    def _expiry(sub: dict) -> str:
        return parse_instant(sub["expirationDateTime"]).strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00")

    def _tenant(self, owner_id: str | None = None) -> str:
        if self.tenant_id:
            return self.tenant_id
        authority = getattr(self.app, "authority", None)
        if authority is not None:
            if owner_id is None and self.app.mailbox is not None:
                owner_id = self.app.mailbox.user.get("id", "")
            tenant = authority.owner_tenant(str(owner_id or ""))
            if tenant:
                return tenant
        return FAKE_TENANT_ID

    def _queue(self, url: str, items: list[dict]) -> None:
        with self._cond:
            for batch in self._batches:
                if batch.url == url and batch.attempt == 0 and not batch.sent:
                    batch.items.extend(items)   # inside the same delay window: one POST
                    break
            else:
                self._batches.append(_Batch(url, list(items), time.monotonic() + self.delay))
            self._cond.notify_all()

    # -- delivery -----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    ready = [b for b in self._batches if not b.sent and b.due <= now]
                    if ready:
                        break
                    waiting = [b.due for b in self._batches if not b.sent]
                    self._cond.wait(min(waiting) - now if waiting else None)
                for batch in ready:
                    batch.sent = True
            for batch in ready:
                self._deliver(batch)

    def _deliver(self, batch: _Batch) -> None:
        body = {"value": batch.items}
        status, _, _ = _post(batch.url, json.dumps(body).encode("utf-8"),
                             {"Content-Type": "application/json; charset=utf-8"}, self.timeout)
        delivered = status is not None and 200 <= status < 300
        self.app.stats.notification(len(batch.items), delivered)
        with self._cond:
            batch.attempt += 1
            self._deliveries.append(Delivery(batch.url, body, batch.attempt, status))
            if status is not None and 200 <= status < 300 or batch.attempt > len(self.retry_delays):
                self._batches.remove(batch)     # delivered, or dropped after the last retry
            else:
                batch.sent = False
                batch.due = time.monotonic() + self.retry_delays[batch.attempt - 1]
            self._cond.notify_all()


def attach(app, **options: Any) -> Notifier:
    """Give a GraphApp a started notifier; routes_misc calls ``app.notifier`` when it is set."""
    notifier = Notifier(app, **options)
    app.notifier = notifier
    notifier.start()
    return notifier

