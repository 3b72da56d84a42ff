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
- Acting on an item = waking its mailbox (issue 20): mailbox.woken_at is set (always later than the
  value it had, so a pass under way sees that something new came) and the resource its subscription
  watches is added to mailbox.woken_parts ("mail:inbox", "mail:sentitems", "calendar": the sync's
  names). The item's own `resource` names the changed item ("Users/{id}/Messages/{id}",
  https://learn.microsoft.com/graph/api/resources/changenotification), not the folder, so the part
  comes from the subscription we made. A lifecycle event, or a subscription resource we cannot read,
  asks for a "full" pass. next_sync_at is left alone (the next safety pass). On PostgreSQL the
  transaction also runs pg_notify, delivered at commit, which wakes the idle workers (graph_sync.wake).
- Rows are kept for Graph's retry window only (up to 4 hours, "HTTP codes and retry logic" in
  https://learn.microsoft.com/graph/change-notifications-delivery-webhooks): after it Graph sends
  no replay to refuse. `prune` (called by the worker now and then) deletes older ones in bounded
  batches.
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

from . import wake
from .subscriptions import FULL, part_of

log = logging.getLogger(__name__)

MAX_ITEMS = 1000            # more than Graph puts in one POST; a bigger body is not Graph's
MAX_SUBSCRIPTION_ID = 100   # the column's width; Graph's ids are GUIDs
LIFECYCLE_EVENTS = {"missed", "subscriptionRemoved", "reauthorizationRequired"}
_DUMMY_STATE = b"x" * 43    # the length of secrets.token_urlsafe(32), what keep_subscriptions sends
# Graph retries a delivery for up to 4 hours (change-notifications-delivery-webhooks); an hour more
# for clocks and queues. Older rows refuse no replay: pruned.
KEEP = dt.timedelta(hours=5)
PRUNE_BATCH = 5000
TICK = dt.timedelta(microseconds=1)


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
    woken: dict[str, set[str]] = {}
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
            part = FULL if item.get("lifecycleEvent") else part_of(subscription.resource)
            woken.setdefault(subscription.mailbox_id, set()).add(part)
            if kind == "subscriptionRemoved":
                session.delete(subscription)  # created again by the subscription keeper
            elif kind == "reauthorizationRequired":
                subscription.expires_at = now  # renewed (which reauthorizes) on the keeper's next pass
            accepted += 1  # every kind, `missed` included: a delta pass catches up
        if woken:
            mark_woken(session, woken, now)
        uow.commit()
    if woken:
        wake.kick_local()
    if ignored:
        # Never the clientState, never a token: only why, and how many.
        log.warning("ignored %d of %d change notifications (%s)", sum(ignored.values()), len(items),
                    ", ".join(f"{why}: {count}" for why, count in sorted(ignored.items())))
    return Accepted(accepted, replayed, sum(ignored.values()), frozenset(woken), dict(ignored))


def mark_woken(session: so.Session, woken: dict[str, set[str]], now: dt.datetime) -> None:
    """Mark the mailboxes woken: woken_parts gains the parts, woken_at moves forward (strictly, so a
    pass under way that read the old value keeps the mark: worker.release). Rows locked in id
    order (PostgreSQL) so two deliveries for the same mailboxes queue rather than deadlock; SQLite's
    BEGIN IMMEDIATE already serialises writers."""
    stmt = sa.select(Mailbox.id, Mailbox.woken_at, Mailbox.woken_parts).where(
        Mailbox.id.in_(sorted(woken))).order_by(Mailbox.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    for mailbox_id, woken_at, parts in session.execute(stmt).all():
        merged = set(parts or []) | woken[mailbox_id]
        session.execute(sa.update(Mailbox).where(Mailbox.id == mailbox_id).values(
            woken_at=max(now, woken_at + TICK) if woken_at is not None else now,
            woken_parts=[FULL] if FULL in merged else sorted(merged)))
    wake.notify(session, woken)


def prune(session_factory: Callable[[], so.Session], now: dt.datetime, keep: dt.timedelta = KEEP,
          batch: int = PRUNE_BATCH, max_batches: int = 20) -> int:
    """Delete notifications received more than `keep` ago, `batch` rows per transaction (short
    locks), at most `max_batches` per call; returns how many went (ix_notification_received_at)."""
    cutoff, deleted = now - keep, 0
    for _ in range(max_batches):
        with UnitOfWork(session_factory) as uow:
            oldest = sa.select(Notification.id).where(Notification.received_at < cutoff).limit(batch)
            count = uow.session.execute(sa.delete(Notification).where(Notification.id.in_(oldest.scalar_subquery())),
                                        execution_options={"synchronize_session": False}).rowcount
            uow.commit()
        deleted += count
        if count < batch:
            break
    if deleted:
        log.info("pruned %d change notifications older than %s", deleted, keep)
    return deleted


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
