"""Keeping Graph change-notification subscriptions alive for connected mailboxes.

Only when DEALPANE_WEBHOOK_URL is set (Graph must reach us over HTTPS); without it the
worker polls. Mail and events subscriptions last at most 4,230 minutes
(https://learn.microsoft.com/graph/api/resources/subscription, "Subscription lifetime"): they are
created with LIFETIME = 4,200 minutes (70 h) and renewed by the first full pass that finds under
RENEW_BEFORE = 24 h left, so each one is renewed once every ~46 h (70 - 24), at most 4 h later
(the safety interval between full passes, worker.py): 3 subscriptions per mailbox (inbox, sent
items, events) = 3 PATCH requests per 46 h = 0.065 requests per mailbox per hour.

A subscription watches one resource; its part (the sync's resource name, `part_of`) is what a
change notification of it wakes (notifications.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.db import UnitOfWork
from storage.models import Mailbox, Subscription
from storage.types import utcnow

from .port import GraphClient, GraphError, GraphNotFound

log = logging.getLogger(__name__)

LIFETIME = dt.timedelta(minutes=4200)
RENEW_BEFORE = dt.timedelta(hours=24)
FULL = "full"  # a woken part asking for every resource (a lifecycle event, a resource we cannot read)
_FOLDER = re.compile(r"/mailFolders\('([^']+)'\)/messages$")


def resources_of(mailbox: Mailbox) -> list[str]:
    root = "me" if mailbox.mode != "application" else f"users/{mailbox.address}"
    return [f"{root}/mailFolders('{f}')/messages" for f in (mailbox.folders or ["inbox", "sentitems"])] + [f"{root}/events"]


def part_of(resource: str) -> str:
    """The sync's name for what a subscription of ours watches (the inverse of resources_of):
    "mail:<folder>" or "calendar"; FULL for anything else."""
    folder = _FOLDER.search(resource or "")
    if folder:
        return f"mail:{folder.group(1)}"
    if (resource or "").endswith("/events"):
        return "calendar"
    return FULL


def subscriptions_alive(session: so.Session, mailbox: Mailbox, now: dt.datetime) -> bool:
    """Every resource of the mailbox has a subscription that has not expired: its changes reach us
    as notifications, so polling it often is not needed (worker.py's safety interval)."""
    expiry = dict(session.execute(sa.select(Subscription.resource, Subscription.expires_at)
                                  .where(Subscription.mailbox_id == mailbox.id)).all())
    return all(resource in expiry and expiry[resource] > now for resource in resources_of(mailbox))


def keep_subscriptions(session_factory: Callable[[], so.Session], client: GraphClient, mailbox_id: str,
                       notification_url: str, now: Callable[[], dt.datetime] = utcnow) -> dict[str, int]:
    """Create missing subscriptions, renew those about to expire. Returns counts."""
    counts = {"created": 0, "renewed": 0, "failed": 0}
    with session_factory() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        wanted = resources_of(mailbox)
        existing = {s.resource: (s.id, s.expires_at) for s in session.scalars(
            sa.select(Subscription).where(Subscription.mailbox_id == mailbox_id))}
    for resource in wanted:
        current = existing.get(resource)
        try:
            if current is None:
                state = secrets.token_urlsafe(32)
                created = client.create_subscription(resource, notification_url, now() + LIFETIME, state)
                _store(session_factory, Subscription(id=created["id"], mailbox_id=mailbox_id, resource=resource,
                                                     client_state=state, expires_at=now() + LIFETIME))
                counts["created"] += 1
            elif current[1] - now() < RENEW_BEFORE:
                try:
                    client.renew_subscription(current[0], now() + LIFETIME)
                    _set_expiry(session_factory, current[0], now() + LIFETIME)
                    counts["renewed"] += 1
                except GraphNotFound:  # Graph dropped it: make a new one next pass
                    _delete(session_factory, current[0])
        except GraphError as error:
            counts["failed"] += 1
            log.warning("subscription for %s failed: %s", resource, error)
    return counts


def _store(session_factory, subscription: Subscription) -> None:
    with UnitOfWork(session_factory) as uow:
        uow.session.add(subscription)
        uow.commit()


def _set_expiry(session_factory, subscription_id: str, expires: dt.datetime) -> None:
    with UnitOfWork(session_factory) as uow:
        uow.session.get(Subscription, subscription_id).expires_at = expires
        uow.commit()


def _delete(session_factory, subscription_id: str) -> None:
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(sa.delete(Subscription).where(Subscription.id == subscription_id))
        uow.commit()
