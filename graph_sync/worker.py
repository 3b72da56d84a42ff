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

Keeping 1,000 mailboxes fresh (issue 20):
- Concurrency: run_forever is a dispatcher. It claims up to its free slots of due mailboxes in ONE
  statement (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT k) RETURNING on
  PostgreSQL; SQLite's BEGIN IMMEDIATE serialises the same statement) and hands them to a pool of
  `concurrency` threads (DEALPANE_SYNC_CONCURRENCY, `dealpane sync --concurrency`). Graph calls all
  go to the one event loop (loop.py); limits.py keeps each mailbox under Graph's 4 requests at once.
- Wake-up: an accepted change notification marks its mailbox woken (mailbox.woken_at, woken_parts;
  notifications.py) and, on PostgreSQL, NOTIFYs; each worker LISTENs (wake.py) and claims at once.
  The dispatcher also polls every `poll` seconds (DEALPANE_SYNC_POLL_SECONDS), the only way on SQLite
  (besides a notification accepted in this very process) and the fallback on PostgreSQL.
- Due = next_sync_at <= now (a full pass) OR woken OR next_tasks_at <= now. A mailbox whose
  next_sync_at is still to come gets a targeted pass: only the notified resources (no set-aside
  retry, no subscription upkeep) and, when next_tasks_at is due, Dealpane's To Do changes pushed
  (TaskKeeper.push: database only, no Graph request when nothing changed). So reminders reach To Do
  within `interval` as before, while the To Do delta (completions read back) runs with full passes.
  `release` clears the woken mark only if woken_at is still the value read at claim (the row
  locked): a notification accepted during the pass keeps the mark, and the mailbox gets another
  pass; none is lost. A pass that fails (retry, error, missing permission) clears the mark and sets
  next_sync_at after its wait: that later full pass runs delta from the stored cursors, which
  returns every change since, notified or not (Retry-After is honoured rather than bypassed by the
  next notification).
- Safety poll: after a full pass, the next one is `interval` later (DEALPANE_SYNC_INTERVAL_SECONDS,
  300), or `safety_interval` later (DEALPANE_SYNC_SAFETY_INTERVAL_SECONDS, 14,400 = 4 h) when the
  worker has a webhook URL and every resource of the mailbox has a live subscription.
  Idle cost with webhooks, per mailbox (requests counted on the fake Graph,
  tests/sync/test_targeted_pass.py::test_idle_request_counts):
    one idle full pass    = IDLE_FULL_PASS_REQUESTS (inbox, sent items and calendar deltas answering
                            a deltaLink and no change: 1 each; To Do: its list's task delta: 1)
    one targeted pass     = 1 per notified resource
    one To Do push pass   = 0 when nothing changed in Dealpane (every `interval` between full passes)
    one renewal pass      = an idle full pass + 3 PATCH = 7 (subscriptions.py: once every ~46 h)
    per hour: 4 / 4 h + 3 / 46 h = 1.0 + 0.065 = 1.07 requests <= 2.
    Not counted above: the calendar window's daily re-anchor (sync.REANCHOR) reads the whole window
    again once a day: ceil(events in 15 months / 200) pages (+ one $batch per 20 recurring
    occurrences it must complete), e.g. 1,000 events = 5 pages = 0.21 per hour: 1.28 in all.
- Stop (SIGTERM/Ctrl-C: `stop()`): no more claims; passes under way get `shutdown_grace` seconds to
  finish, then their leases are released: the pass still running stops at its next page
  (sync.LeaseLost) and writes nothing more. A worker killed outright (SIGKILL) holds its leases
  until they expire (`lease`, DEALPANE_SYNC_LEASE_SECONDS); then other workers claim the mailboxes,
  woken marks included (only a release clears them). Leases are renewed with every page and, by the
  dispatcher, every third of a lease for every pass under way (_heartbeat), so a short lease (30 s)
  is safe and bounds that cost.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Callable, Collection

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.db import UnitOfWork
from storage.models import Mailbox
from storage.types import utcnow

from . import notifications, state, wake as wakeup
from .clients import GraphAccess
from .subscriptions import FULL, keep_subscriptions, subscriptions_alive
from .tasks import TaskKeeper
from .sync import MailboxSync, SyncReport
from .tokens import NeedsSignIn, TokenConfigError

log = logging.getLogger(__name__)

# A killed worker's mailboxes wait at most this long for another worker (issue 20). Safe short: the
# dispatcher renews its passes' leases every third of it (_heartbeat), and every page renews it too.
LEASE = dt.timedelta(seconds=60)
PERMISSION_RECHECK = dt.timedelta(hours=1)
SAFETY_INTERVAL = dt.timedelta(hours=4)
CONCURRENCY = 4
POLL_SECONDS = 1.0
SHUTDOWN_GRACE = 8.0        # seconds passes under way get to finish after stop()
PRUNE_EVERY = dt.timedelta(minutes=10)
# Requests one idle full pass makes (see the docstring; asserted by tests/sync/test_targeted_pass.py)
IDLE_FULL_PASS_REQUESTS = 4
TASKS = "tasks"  # a pass's part: push Dealpane's To Do changes (TaskKeeper.push), due at next_tasks_at
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
                 permission_recheck: dt.timedelta = PERMISSION_RECHECK,
                 safety_interval: dt.timedelta = SAFETY_INTERVAL, concurrency: int = CONCURRENCY,
                 poll: float = POLL_SECONDS, shutdown_grace: float = SHUTDOWN_GRACE, listen: bool = True):
        self._session_factory = session_factory
        self.graph = graph
        self.interval = interval
        self.safety_interval = safety_interval
        self.concurrency = max(1, concurrency)
        self.poll = poll
        self.shutdown_grace = shutdown_grace
        self.listen = listen  # LISTEN for pg_notify wake-ups (PostgreSQL)
        self.name = name or worker_name()
        self._now = now
        self._on_page = on_page
        self.webhook_url = webhook_url
        self.web_base_url = web_base_url
        self.lease = lease
        self.permission_recheck = permission_recheck
        self._stop = threading.Event()
        self._kick = threading.Event()  # a wake-up, a pass done, stop(): the dispatcher looks again
        self._pruned_at: dt.datetime | None = None
        self._beat_at: dt.datetime | None = None
        self.listener: wakeup.Listener | None = None
        self.configuration_errors: list[str] = []  # of the last pass: settings missing, not a mailbox's fault

    @staticmethod
    def _claimable(now: dt.datetime):
        """A mailbox the worker may take: in a claimable state, its lease free or expired."""
        free = sa.or_(Mailbox.lease_expires_at.is_(None), Mailbox.lease_expires_at < now)
        return sa.and_(Mailbox.status.in_(CLAIMABLE), free)

    def _due(self, now: dt.datetime):
        due = sa.or_(Mailbox.next_sync_at.is_(None), Mailbox.next_sync_at <= now, Mailbox.woken_at.is_not(None),
                     Mailbox.next_tasks_at <= now)
        return sa.and_(self._claimable(now), due)

    def claim_many(self, limit: int, exclude: Collection[str] = ()) -> list[Mailbox]:
        """Take the leases of up to `limit` due mailboxes in one statement: woken ones first (oldest
        notification first), then by next_sync_at (never synced first)."""
        if limit <= 0:
            return []
        with UnitOfWork(self._session_factory) as uow:
            now = self._now()
            pick = sa.select(Mailbox.id).where(self._due(now))
            if exclude:
                pick = pick.where(Mailbox.id.not_in(list(exclude)))
            pick = pick.order_by(Mailbox.woken_at.is_(None), Mailbox.woken_at, Mailbox.next_sync_at.is_not(None),
                                 Mailbox.next_sync_at, Mailbox.id).limit(limit)
            if uow.session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            claimed = list(uow.session.scalars(
                sa.update(Mailbox).where(Mailbox.id.in_(pick.scalar_subquery()))
                .values(lease_owner=self.name, lease_expires_at=now + self.lease).returning(Mailbox),
                execution_options={"synchronize_session": False}))
            uow.commit()
        claimed.sort(key=lambda m: (m.woken_at is None, m.woken_at or now, m.next_sync_at is not None,
                                    m.next_sync_at or now))
        for mailbox in claimed:
            log.info("claimed %s at %.3f by %s", mailbox.address, time.time(), self.name)
        return claimed

    def claim(self, address: str | None = None, exclude: Collection[str] = ()) -> Mailbox | None:
        """Take the lease of one due mailbox (or of `address`, due or not), or None when nothing is due."""
        if not address:
            claimed = self.claim_many(1, exclude)
            return claimed[0] if claimed else None
        with UnitOfWork(self._session_factory) as uow:
            now = self._now()
            stmt = sa.select(Mailbox).where(self._claimable(now), Mailbox.address == address.lower()).limit(1)
            if uow.session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            mailbox = uow.session.scalars(stmt).first()
            if mailbox is None:
                return None
            mailbox.lease_owner, mailbox.lease_expires_at = self.name, now + self.lease
            uow.commit()
            log.info("claimed %s at %.3f by %s", mailbox.address, time.time(), self.name)
            return mailbox

    @staticmethod
    def parts_of(mailbox: Mailbox, claimed_at: dt.datetime) -> frozenset[str] | None:
        """What the pass of a just claimed mailbox does: None for everything (its safety pass is due,
        it was never synced, or a notification asked for it all), else the woken parts, plus TASKS
        when its To Do push is due (next_tasks_at)."""
        if mailbox.next_sync_at is None or mailbox.next_sync_at <= claimed_at:
            return None
        parts = set()
        if mailbox.woken_at is not None:
            parts = set(mailbox.woken_parts or ())
            if not parts or FULL in parts:
                return None
        if mailbox.next_tasks_at is not None and mailbox.next_tasks_at <= claimed_at:
            parts.add(TASKS)
        return frozenset(parts) or None

    def release(self, mailbox_id: str, report: SyncReport | None, *, woken_at: dt.datetime | None = None,
                parts: Collection[str] | None = None) -> None:
        """Give the lease back and schedule the next full pass. `woken_at`: the mark read at claim;
        it is cleared only if no notification came since (the row locked, so an accept() either
        committed before, and is seen, or waits). `parts`: what the pass did (None: a full pass; a
        targeted one leaves next_sync_at, the next safety pass, alone)."""
        with UnitOfWork(self._session_factory) as uow:
            mailbox = uow.session.get(Mailbox, mailbox_id, with_for_update=True)
            if mailbox is None or mailbox.lease_owner != self.name:
                return  # our lease expired and someone else took it over
            now = self._now()
            failed = report is not None and report.status in ("retry", "error", "missing_permission",
                                                             "needs_sign_in")
            if report is None:  # our own trouble (the database): as before, the mark stays
                mailbox.next_sync_at = now + self.interval
            elif failed:
                wait = dt.timedelta(seconds=max(report.retry_after or 30, 1))  # error: state.error_wait's backoff
                if report.status == "missing_permission":
                    wait = self.permission_recheck
                elif report.status == "needs_sign_in":  # not claimed until its owner signs in again
                    wait = self.interval
                mailbox.next_sync_at = now + wait
                # the full pass after the wait runs delta from the cursors: every change since, notified
                # or not; and To Do
                mailbox.woken_at, mailbox.woken_parts, mailbox.next_tasks_at = None, None, None
            else:
                if parts is None:
                    wait = self._next_full_pass(uow.session, mailbox, now)
                    mailbox.next_sync_at = now + wait
                    # full passes hours apart: Dealpane's To Do changes are pushed every `interval` meanwhile
                    mailbox.next_tasks_at = now + self.interval if wait > self.interval else None
                elif TASKS in parts:
                    mailbox.next_tasks_at = now + self.interval
                if mailbox.woken_at is not None and mailbox.woken_at == woken_at:
                    mailbox.woken_at, mailbox.woken_parts = None, None
            mailbox.lease_owner, mailbox.lease_expires_at = None, None
            uow.commit()
            log.info("released %s at %.3f by %s", mailbox.address, time.time(), self.name)

    def _next_full_pass(self, session: so.Session, mailbox: Mailbox, now: dt.datetime) -> dt.timedelta:
        """The safety interval when change notifications cover the mailbox, else the polling interval."""
        if self.webhook_url and subscriptions_alive(session, mailbox, now):
            return self.safety_interval
        return self.interval

    def _drop_lease(self, mailbox_id: str) -> None:
        """Give a lease back without touching the schedule or the woken mark."""
        with UnitOfWork(self._session_factory) as uow:
            uow.session.execute(sa.update(Mailbox).where(Mailbox.id == mailbox_id, Mailbox.lease_owner == self.name)
                                .values(lease_owner=None, lease_expires_at=None))
            uow.commit()

    def sync_one(self, mailbox: Mailbox, parts: Collection[str] | None = None) -> SyncReport:
        """Mail and calendar (MailboxSync records its outcome), then To Do, then subscriptions; or,
        with `parts`, a targeted pass over those resources only. A failure of the To Do part is
        recorded here, keeping the mail's counts; anything else raised is left to the caller
        (run_once, _pass), which records it."""
        try:
            client = self.graph.client_for_mailbox(mailbox)
        except (NeedsSignIn, TokenConfigError) as error:  # no token: nothing to ask Graph
            return self._failed(mailbox, error)
        report = MailboxSync(self._session_factory, client, mailbox.id, now=self._now, on_page=self._on_page,
                             lease_owner=self.name, lease=self.lease).run(parts)  # records its own outcome
        if self._stop.is_set():
            return report  # stopping: To Do and subscriptions wait for the next full pass
        if report.status == "ok" and (parts is None or TASKS in parts):
            try:  # To Do tasks: after the mail, under the same lease; between full passes Dealpane's side only
                keeper = TaskKeeper(self._session_factory, client, mailbox.id, web_base_url=self.web_base_url,
                                    now=self._now)
                keeper.run() if parts is None else keeper.push()
            except OWN_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - the mail is synced (recorded ok); the tasks part failed
                return self._failed(mailbox, error, report)
        if parts is not None:
            return report  # targeted: subscriptions wait for the next full pass
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
        if state.is_configuration_error(report) and report.error not in self.configuration_errors:
            self.configuration_errors.append(report.error)  # each once: run_forever never clears the list
        self._record(mailbox.id, report)
        return report

    def _record(self, mailbox_id: str, report: SyncReport) -> None:
        with UnitOfWork(self._session_factory) as uow:
            mailbox = uow.session.get(Mailbox, mailbox_id)
            if mailbox is not None:  # removed while we synced it
                state.record_outcome(mailbox, report, self._now())
                uow.commit()

    def _pass(self, mailbox: Mailbox, claimed_at: dt.datetime) -> SyncReport | None:
        """Sync one claimed mailbox and release it. Whatever its run raises is recorded on it; only
        our own database failing (OWN_ERRORS) is raised."""
        parts = self.parts_of(mailbox, claimed_at)
        report = None
        try:
            try:
                report = self.sync_one(mailbox, parts)
            except OWN_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - recorded on the mailbox, logged with its traceback
                report = self._failed(mailbox, error)
            log.info("synced %s (%s): %d pages, %d items seen, %d stored, %d links, status %s", report.mailbox,
                     ",".join(sorted(parts)) if parts else "full", report.pages, report.seen, report.stored,
                     report.links, report.status)
        finally:
            self.release(mailbox.id, report, woken_at=mailbox.woken_at, parts=parts)
        return report

    def run_once(self, address: str | None = None) -> list[SyncReport]:
        """One pass: every due mailbox (or just `address`) once, one at a time, one report each.

        One mailbox never stops the others: whatever its run raises (a Graph error, a bug, a setting
        missing) is recorded on that mailbox (graph_sync.state) and the pass goes on with the next.
        Only what is not the mailbox's own trouble ends the pass: our database failing (OWN_ERRORS),
        KeyboardInterrupt, SystemExit."""
        reports, seen = [], set()
        self.configuration_errors = []
        if not address:
            self._prune()
        while not self._stop.is_set():
            claimed_at = self._now()
            mailbox = self.claim(address, exclude=seen)
            if mailbox is None or mailbox.id in seen:
                if mailbox is not None:
                    self._drop_lease(mailbox.id)
                break
            seen.add(mailbox.id)
            if address:  # asked for by name: everything, due or not
                mailbox.next_sync_at = None
            report = self._pass(mailbox, claimed_at)
            if report is not None:
                reports.append(report)
            if address:
                break
        return reports

    def run_forever(self, poll: float | None = None, concurrency: int | None = None) -> None:
        """The dispatcher: claim up to the free slots, hand the mailboxes to the pool, wait for a
        wake-up (pg_notify, a notification accepted in this process), a pass done or `poll` seconds;
        until stop(). Raises what a pass raised of OWN_ERRORS (the database), after stopping."""
        poll = self.poll if poll is None else poll
        slots = max(1, concurrency or self.concurrency)
        self.configuration_errors = []
        wakeup.register_local(self._kick)
        if self.listen:
            self.listener = wakeup.listener_for(self._session_factory.kw.get("bind")
                                                if hasattr(self._session_factory, "kw") else None, self._kick.set)
        in_flight: dict[Future, str] = {}
        pool = ThreadPoolExecutor(slots, thread_name_prefix="sync-pass")
        try:
            while not self._stop.is_set():
                self._kick.clear()
                for future in [f for f in in_flight if f.done()]:
                    del in_flight[future]
                    future.result()  # OWN_ERRORS end the worker, as they did before
                self._prune()
                self._heartbeat(in_flight.values())
                claimed_at = self._now()
                for mailbox in self.claim_many(slots - len(in_flight)):
                    future = pool.submit(self._pass, mailbox, claimed_at)
                    in_flight[future] = mailbox.id
                    future.add_done_callback(lambda _f: self._kick.set())
                self._kick.wait(min(poll, self.lease.total_seconds() / 3) if in_flight else poll)
        finally:
            self._stop.set()
            wakeup.unregister_local(self._kick)
            if self.listener is not None:
                self.listener.stop()
            self._shutdown(pool, in_flight)

    def _heartbeat(self, mailbox_ids) -> None:
        """Extend the leases of the passes under way, every third of a lease, in one statement: a pass
        waiting on Graph (a Retry-After, a slow page) keeps its mailbox even with a short lease, so a
        short DEALPANE_SYNC_LEASE_SECONDS bounds what a killed worker costs without risk."""
        ids = list(mailbox_ids)
        now = self._now()
        if not ids or (self._beat_at is not None and now - self._beat_at < self.lease / 3):
            return
        self._beat_at = now
        with UnitOfWork(self._session_factory) as uow:
            uow.session.execute(sa.update(Mailbox).where(Mailbox.id.in_(ids), Mailbox.lease_owner == self.name)
                                .values(lease_expires_at=now + self.lease))
            uow.commit()

    def _shutdown(self, pool: ThreadPoolExecutor, in_flight: dict[Future, str]) -> None:
        """Passes under way get shutdown_grace seconds; the leases of those still running are given
        back (the pass stops at its next page: sync.LeaseLost)."""
        if in_flight:
            log.info("stopping: %d passes under way get %.0f s to finish", len(in_flight), self.shutdown_grace)
            _done, running = wait(list(in_flight), timeout=self.shutdown_grace)
            for future in running:
                log.warning("stopping: pass of mailbox %s abandoned, lease released", in_flight[future])
                try:
                    self._drop_lease(in_flight[future])
                except OWN_ERRORS as error:  # the lease expires on its own
                    log.warning("could not release the lease of %s: %s", in_flight[future], error)
        pool.shutdown(wait=False, cancel_futures=True)

    def _prune(self) -> None:
        """Now and then: change notifications older than Graph's retry window (notifications.prune)."""
        now = self._now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        notifications.prune(self._session_factory, now)

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self, mailbox_id: str) -> None:
        """Make the mailbox due now, for a full pass (as a lifecycle notification would)."""
        with UnitOfWork(self._session_factory) as uow:
            notifications.mark_woken(uow.session, {mailbox_id: {FULL}}, self._now())
            uow.commit()
        self._kick.set()
