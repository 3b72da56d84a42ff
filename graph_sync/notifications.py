"""Graph change notifications: each item of a batch verified, deduplicated and acted on.

The webhook view (addin/api/graph_hooks.py) only parses the POST and hands its `value` list here.

What Graph does that this relies on:
- One POST can carry notifications of several subscriptions that share the notification URL
  ("notifications can contain a mix of items for various apps and tenants that subscribed using
  the same notification URL": https://learn.microsoft.com/graph/api/resources/changenotificationcollection;
  "When there are many queued notifications, Microsoft Graph may send multiple items in a single
  request": https://github.com/microsoftgraph/microsoft-graph-docs/pull/2542).
- A notification counts as delivered once the endpoint answers 2xx; any other answer makes Graph
  retry the POST with exponential backoff for up to 4 hours, and endpoints slower than 10 seconds
  get throttled and then dropped ("HTTP codes and retry logic" and "Throttling" in
  https://learn.microsoft.com/graph/change-notifications-delivery-webhooks). So one bad item must
  never make the answer non-2xx: a retried batch would bring the bad item back every time and delay
  the good ones for hours. Each item stands alone: a valid one is acted on, an invalid one is
  counted and logged, and the batch is accepted. The work here is one short transaction (store,
  mark due); the sync itself runs later in the worker, which is the "queue and answer 202" case of
  the same page.
- The item is a changeNotification (https://learn.microsoft.com/graph/api/resources/changenotification):
  `subscriptionId`, `clientState` (compared with the one we sent, in constant time), and either
  `changeType` (created/updated/deleted) or `lifecycleEvent` (missed, subscriptionRemoved,
  reauthorizationRequired). Lifecycle events go to the subscription's lifecycleNotificationUrl,
  which Dealpane sets to the notification URL (msgraph_adapter.create_subscription);
  https://learn.microsoft.com/graph/change-notifications-lifecycle-events says what each asks for:
  `subscriptionRemoved`: the subscription is gone, create a new one (the row is deleted, the
  subscription keeper creates it again) and catch up; `reauthorizationRequired`: reauthorize or
  renew it (its expiry is set to now, so the keeper renews it on its next pass); `missed`: some
  change notifications were not delivered, resynchronise with delta query (the mailbox is made due:
  its next pass is a delta round from the stored cursor, which returns every change since).
- Graph retries, so the same notification can arrive twice: an item whose fingerprint (SHA-256 of
  the item) was stored for its subscription is a replay and changes nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError

from storage.db import UnitOfWork
from storage.models import Mailbox, Notification, Subscription
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_ITEMS = 1000            # more than Graph puts in one POST; a bigger body is not Graph's
MAX_SUBSCRIPTION_ID = 100   # the column's width; Graph's ids are GUIDs
LIFECYCLE_EVENTS = {"missed", "subscriptionRemoved", "reauthorizationRequired"}
_DUMMY_STATE = b"x" * 43    # the length of secrets.token_urlsafe(32), what keep_subscriptions sends


@dataclass(frozen=True)
class Accepted:
    """What one batch did: `accepted` items acted on, `replayed` seen before (nothing done),
    `ignored` invalid (unknown subscription, wrong clientState, not a notification), and the
    mailboxes made due."""
    accepted: int = 0
    replayed: int = 0
    ignored: int = 0
    woken: frozenset[str] = field(default_factory=frozenset)
    reasons: dict[str, int] = field(default_factory=dict)   # why items were ignored, for the log


def is_batch(payload: Any) -> bool:
    """Whether a parsed body has the shape of Graph's changeNotificationCollection at all."""
    values = payload.get("value") if isinstance(payload, dict) else None
    return isinstance(values, list) and 0 < len(values) <= MAX_ITEMS


def accept(session_factory: Callable[[], so.Session], items: list, now: Callable[[], dt.datetime] = utcnow) -> Accepted:
    """Verify, deduplicate and act on a batch of change notifications, in one transaction."""
    try:
        return _accept(session_factory, items, now())
    except IntegrityError:
        # The same notification stored by a concurrent delivery of the same batch (Graph retried
        # while the first POST was still running): run again, it is a replay now.
        return _accept(session_factory, items, now())


def _accept(session_factory: Callable[[], so.Session], items: list, now: dt.datetime) -> Accepted:
    accepted = replayed = 0
    ignored: Counter[str] = Counter()
    woken: set[str] = set()
    with UnitOfWork(session_factory) as uow:
        session = uow.session
        seen: set[tuple[str, str]] = set()
        for item in items:
            subscription, reason = _verified(session, item)
            if subscription is None:
                ignored[reason] += 1
                continue
            kind = str(item.get("lifecycleEvent") or item.get("changeType") or "updated")[:40]
            fingerprint = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
            key = (subscription.id, fingerprint)
            if key in seen or session.scalar(sa.select(Notification.id).where(
                    Notification.subscription_id == subscription.id, Notification.fingerprint == fingerprint)):
                replayed += 1  # a replay changes nothing
                continue
            seen.add(key)
            session.add(Notification(subscription_id=subscription.id, mailbox_id=subscription.mailbox_id,
                                     kind=kind, fingerprint=fingerprint))
            if kind == "subscriptionRemoved":
                session.delete(subscription)  # created again by the subscription keeper
            elif kind == "reauthorizationRequired":
                subscription.expires_at = now  # renewed (which reauthorizes) on the keeper's next pass
            woken.add(subscription.mailbox_id)  # every kind, `missed` included: a delta pass catches up
            accepted += 1
        if woken:
            session.execute(sa.update(Mailbox).where(Mailbox.id.in_(woken)).values(next_sync_at=now))
        uow.commit()
    if ignored:
        # Never the clientState, never a token: only why, and how many.
        log.warning("ignored %d of %d change notifications (%s)", sum(ignored.values()), len(items),
                    ", ".join(f"{why}: {count}" for why, count in sorted(ignored.items())))
    return Accepted(accepted, replayed, sum(ignored.values()), frozenset(woken), dict(ignored))


def _verified(session: so.Session, item: Any) -> tuple[Subscription | None, str]:
    """(the item's subscription, "") or (None, why it is not a genuine notification)."""
    if not isinstance(item, dict):
        return None, "not an object"
    subscription_id, client_state = item.get("subscriptionId"), item.get("clientState")
    if not isinstance(subscription_id, str) or not subscription_id or len(subscription_id) > MAX_SUBSCRIPTION_ID:
        return None, "no subscriptionId"
    if not isinstance(client_state, str):
        return None, "no clientState"
    if not (item.get("changeType") or item.get("lifecycleEvent")):
        return None, "neither changeType nor lifecycleEvent"
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        hmac.compare_digest(client_state.encode(), _DUMMY_STATE)  # the same work whether or not it exists
        return None, "unknown subscription"
    if not hmac.compare_digest(client_state.encode(), subscription.client_state.encode()):
        return None, "wrong clientState"
    return subscription, ""
