"""The sync worker: claims due mailboxes with a lease, syncs them, schedules the next run.

Leases make two workers (on any hosts) never sync one mailbox at once: a claim is one
UPDATE of a row whose lease is free or expired (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite's BEGIN IMMEDIATE serialises claims), and a dead worker's lease simply expires.

Mailboxes that need a person are left alone: needs_sign_in until its owner's next successful
sign-in (POST /api/v1/me/graph-connection makes it ok and due), missing_permission until an
admin grants the permission, re-checked once every `permission_recheck` (one request, not a
retry storm) or at once when the mailbox is connected again.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.db import UnitOfWork
from storage.models import Mailbox
from storage.types import utcnow

from .clients import GraphAccess
from .port import GraphAuthError, GraphPermissionError, GraphTransientError
from .subscriptions import keep_subscriptions
from .tasks import TaskKeeper
from .sync import MailboxSync, SyncReport, mark_stopped
from .tokens import NeedsSignIn, TokenConfigError

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
PERMISSION_RECHECK = dt.timedelta(hours=1)
CLAIMABLE = ("ok", "missing_permission")  # needs_sign_in waits for its owner; paused for an admin


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SyncWorker:
    def __init__(self, session_factory: Callable[[], so.Session], graph: GraphAccess, *,
                 interval: dt.timedelta = dt.timedelta(minutes=5), name: str | None = None,
                 now: Callable[[], dt.datetime] = utcnow, on_page=None, webhook_url: str | None = None,
                 web_base_url: str = "http://127.0.0.1:5000", lease: dt.timedelta = LEASE,
                 permission_recheck: dt.timedelta = PERMISSION_RECHECK):
        self._session_factory = session_factory
        self.graph = graph
        self.interval = interval
        self.name = name or worker_name()
        self._now = now
        self._on_page = on_page
        self.webhook_url = webhook_url
        self.web_base_url = web_base_url
        self.lease = lease
        self.permission_recheck = permission_recheck
        self._stop = threading.Event()

    def claim(self, address: str | None = None) -> Mailbox | None:
        """Take the lease of one due mailbox (or of `address`), or None when nothing is due."""
        with UnitOfWork(self._session_factory) as uow:
            now = self._now()
            free = sa.or_(Mailbox.lease_expires_at.is_(None), Mailbox.lease_expires_at < now)
            stmt = sa.select(Mailbox).where(Mailbox.status.in_(CLAIMABLE), free)
            if address:
                stmt = stmt.where(Mailbox.address == address.lower())
            else:
                stmt = stmt.where(sa.or_(Mailbox.next_sync_at.is_(None), Mailbox.next_sync_at <= now))
            stmt = stmt.order_by(Mailbox.next_sync_at.is_not(None), Mailbox.next_sync_at).limit(1)
            if uow.session.bind.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            mailbox = uow.session.scalars(stmt).first()
            if mailbox is None:
                return None
            mailbox.lease_owner, mailbox.lease_expires_at = self.name, now + self.lease
            uow.commit()
            log.info("claimed %s at %.3f by %s", mailbox.address, time.time(), self.name)
            return mailbox

    def release(self, mailbox_id: str, report: SyncReport | None) -> None:
        with UnitOfWork(self._session_factory) as uow:
            mailbox = uow.session.get(Mailbox, mailbox_id)
            if mailbox is None or mailbox.lease_owner != self.name:
                return  # our lease expired and someone else took it over
            now = self._now()
            wait = self.interval
            if report is not None and report.status == "retry":
                wait = dt.timedelta(seconds=max(report.retry_after or 30, 1))
            elif report is not None and report.status == "missing_permission":
                wait = self.permission_recheck
            mailbox.lease_owner, mailbox.lease_expires_at = None, None
            mailbox.next_sync_at = now + wait
            uow.commit()
            log.info("released %s at %.3f by %s", mailbox.address, time.time(), self.name)

    def sync_one(self, mailbox: Mailbox) -> SyncReport:
        try:
            client = self.graph.client_for_mailbox(mailbox)
        except NeedsSignIn as error:
            report = SyncReport(mailbox=mailbox.address, status="needs_sign_in", error=str(error))
            self._mark_stopped(mailbox.id, report)
            return report
        except TokenConfigError as error:  # settings missing: an admin's job, not worth retrying
            report = SyncReport(mailbox=mailbox.address, status="error", error=str(error))
            self._mark_stopped(mailbox.id, report)
            return report
        report = MailboxSync(self._session_factory, client, mailbox.id, now=self._now, on_page=self._on_page,
                             lease_owner=self.name, lease=self.lease).run()
        if report.status == "ok":
            try:  # To Do tasks: after the mail, under the same lease
                TaskKeeper(self._session_factory, client, mailbox.id, web_base_url=self.web_base_url,
                           now=self._now).run()
            except GraphPermissionError as error:
                report.status, report.error = "missing_permission", error.explain()
                self._mark_stopped(mailbox.id, report)
            except (GraphAuthError, NeedsSignIn) as error:
                report.status, report.error = "needs_sign_in", str(error)
                self._mark_stopped(mailbox.id, report)
            except GraphTransientError as error:
                report.status, report.error, report.retry_after = "retry", str(error), error.retry_after
        if self.webhook_url and report.status == "ok":
            keep_subscriptions(self._session_factory, client, mailbox.id, self.webhook_url, self._now)
        return report

    def _mark_stopped(self, mailbox_id: str, report: SyncReport) -> None:
        with UnitOfWork(self._session_factory) as uow:
            mailbox = uow.session.get(Mailbox, mailbox_id)
            mailbox.last_error, mailbox.last_error_at = (report.error or "")[:1000], self._now()
            mark_stopped(mailbox, report)
            uow.commit()

    def run_once(self, address: str | None = None) -> list[SyncReport]:
        """One pass: every due mailbox (or just `address`) once."""
        reports, seen = [], set()
        while not self._stop.is_set():
            mailbox = self.claim(address)
            if mailbox is None or mailbox.id in seen:
                if mailbox is not None:
                    self.release(mailbox.id, None)
                break
            seen.add(mailbox.id)
            report = None
            try:
                report = self.sync_one(mailbox)
                log.info("synced %s: %d pages, %d items seen, %d stored, %d links, status %s", report.mailbox,
                         report.pages, report.seen, report.stored, report.links, report.status)
                reports.append(report)
            finally:
                self.release(mailbox.id, report)
            if address:
                break
        return reports

    def run_forever(self, poll: float = 5.0) -> None:
        while not self._stop.is_set():
            if not self.run_once():
                self._stop.wait(poll)

    def stop(self) -> None:
        self._stop.set()

    def wake(self, mailbox_id: str) -> None:
        """A change notification arrived: make the mailbox due now."""
        with UnitOfWork(self._session_factory) as uow:
            uow.session.execute(sa.update(Mailbox).where(Mailbox.id == mailbox_id).values(next_sync_at=self._now()))
            uow.commit()
