"""Keeping Graph change-notification subscriptions alive for connected mailboxes.

Only when DEALPANE_WEBHOOK_URL is set (Graph must reach us over HTTPS); without it the
worker polls. Mail and events subscriptions last at most 4,230 minutes: they are created
with a little less and renewed when under a day is left.
"""
from __future__ import annotations

import datetime as dt
import logging
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


def resources_of(mailbox: Mailbox) -> list[str]:
    root = "me" if mailbox.mode != "application" else f"users/{mailbox.address}"
    return [f"{root}/mailFolders('{f}')/messages" for f in (mailbox.folders or ["inbox", "sentitems"])] + [f"{root}/events"]


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
