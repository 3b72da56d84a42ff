"""The sync worker: claims due mailboxes with a lease, syncs them, schedules the next run.

Leases make two workers (on any hosts) never sync one mailbox at once: a claim is one
UPDATE of a row whose lease is free or expired (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite's BEGIN IMMEDIATE serialises claims), and a dead worker's lease simply expires.

Mailboxes that need a person are left alone: needs_sign_in until its owner's next successful
sign-in (POST /api/v1/me/graph-connection makes it ok and due), missing_permission until an
admin grants the permission, re-checked once every `permission_recheck` (one request, not a
retry storm) or at once when the mailbox is connected again. A mailbox in error (a Graph answer
we do not handle, a bug, a missing setting) is retried after 5 min, doubling up to 6 h (state.py).
One mailbox's failure never stops the pass over the others (run_once).
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

from . import state
from .clients import GraphAccess
from .subscriptions import keep_subscriptions
from .tasks import TaskKeeper
from .sync import MailboxSync, SyncReport
from .tokens import NeedsSignIn, TokenConfigError

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
PERMISSION_RECHECK = dt.timedelta(hours=1)
# needs_sign_in waits for its owner; paused for an admin; error is retried with a growing wait (state.py)
CLAIMABLE = ("ok", "missing_permission", "error")
# Our own database failing is not one mailbox's trouble: it ends the pass (and `dealpane sync` exits 1).
OWN_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError, sa.exc.TimeoutError)


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
        self.configuration_errors: list[str] = []  # of the last pass: settings missing, not a mailbox's fault

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
            if report is not None and report.status in ("retry", "error"):  # error: state.error_wait's backoff
                wait = dt.timedelta(seconds=max(report.retry_after or 30, 1))
            elif report is not None and report.status == "missing_permission":
                wait = self.permission_recheck
            mailbox.lease_owner, mailbox.lease_expires_at = None, None
            mailbox.next_sync_at = now + wait
            uow.commit()
            log.info("released %s at %.3f by %s", mailbox.address, time.time(), self.name)

    def sync_one(self, mailbox: Mailbox) -> SyncReport:
        """Mail and calendar (MailboxSync records its outcome), then To Do, then subscriptions. A
        failure of the To Do part is recorded here, keeping the mail's counts; anything else raised
        is left to run_once, which records it."""
        try:
            client = self.graph.client_for_mailbox(mailbox)
        except (NeedsSignIn, TokenConfigError) as error:  # no token: nothing to ask Graph
            return self._failed(mailbox, error)
        report = MailboxSync(self._session_factory, client, mailbox.id, now=self._now, on_page=self._on_page,
                             lease_owner=self.name, lease=self.lease).run()  # records its own outcome
        if report.status == "ok":
            try:  # To Do tasks: after the mail, under the same lease
                TaskKeeper(self._session_factory, client, mailbox.id, web_base_url=self.web_base_url,
                           now=self._now).run()
            except OWN_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - the mail is synced (recorded ok); the tasks part failed
                return self._failed(mailbox, error, report)
        if self.webhook_url and report.status == "ok":
            keep_subscriptions(self._session_factory, client, mailbox.id, self.webhook_url, self._now)
        return report

    def _failed(self, mailbox: Mailbox, error: BaseException, report: SyncReport | None = None) -> SyncReport:
        """Record `error` on the mailbox (graph_sync.state) and log it; the report says what happened."""
        report = report or SyncReport(mailbox=mailbox.address)
        state.fail(report, error)
        if report.status == "error":
            log.error("sync of %s failed: %s", mailbox.address, report.error, exc_info=error)
        else:
            log.warning("sync of %s stopped: %s (%s)", mailbox.address, report.status, report.error)
        if state.is_configuration_error(report):
            self.configuration_errors.append(report.error)
        self._record(mailbox.id, report)
        return report

    def _record(self, mailbox_id: str, report: SyncReport) -> None:
        with UnitOfWork(self._session_factory) as uow:
            mailbox = uow.session.get(Mailbox, mailbox_id)
            if mailbox is not None:  # removed while we synced it
                state.record_outcome(mailbox, report, self._now())
                uow.commit()

    def run_once(self, address: str | None = None) -> list[SyncReport]:
        """One pass: every due mailbox (or just `address`) once, one report each.

        One mailbox never stops the others: whatever its run raises (a Graph error, a bug, a setting
        missing) is recorded on that mailbox (graph_sync.state) and the pass goes on with the next.
        Only what is not the mailbox's own trouble ends the pass: our database failing (OWN_ERRORS),
        KeyboardInterrupt, SystemExit."""
        reports, seen = [], set()
        self.configuration_errors = []
        while not self._stop.is_set():
            mailbox = self.claim(address)
            if mailbox is None or mailbox.id in seen:
                if mailbox is not None:
                    self.release(mailbox.id, None)
                break
            seen.add(mailbox.id)
            report = None
            try:
                try:
                    report = self.sync_one(mailbox)
                except OWN_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - recorded on the mailbox, logged with its traceback
                    report = self._failed(mailbox, error)
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
