"""The delta sync of one mailbox: mail folders, the calendar window, the app's To Do list.

Invariant (as in nylas/sync-engine): pages are fetched outside any transaction; each page
is then applied together with its cursor in ONE transaction. A crash replays at most one
page, and replaying a page changes nothing (items are upserted by internetMessageId /
iCalUId / immutable id). Errors are sorted: an expired cursor restarts that resource from
scratch; auth errors stop the mailbox (needs sign-in); a permission Graph says is missing (403)
stops it too, as missing_permission naming the permission, re-checked now and then (worker.py);
transient errors end the run and the mailbox is retried after the wait Graph asked for.
"""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from storage.db import UnitOfWork
from storage.models import HistoryItem, Mailbox, SyncCursor
from storage.types import utcnow

from .linker import PageLinker, PageResult
from .metrics import SYNC_ITEMS, SYNC_PAGES
from .port import (
    BatchRequest, CursorExpired, DeltaPage, GraphAuthError, GraphClient, GraphPermissionError, GraphTransientError,
)
from .state import mark_stopped, record_outcome  # noqa: F401 - mark_stopped moved there
from .tokens import NeedsSignIn

log = logging.getLogger(__name__)

CALENDAR_PAST = dt.timedelta(days=90)
CALENDAR_FUTURE = dt.timedelta(days=365)


@dataclass
class SyncReport:
    mailbox: str
    pages: int = 0
    seen: int = 0
    stored: int = 0
    links: int = 0
    removed: int = 0
    resyncs: int = 0
    status: str = "ok"  # ok | retry | needs_sign_in | missing_permission | error | lease_lost
    error: str | None = None
    retry_after: float | None = None
    resources: dict[str, int] = field(default_factory=dict)


class LeaseLost(Exception):
    """Another worker holds this mailbox now (ours expired): stop without touching it."""


class MailboxSync:
    def __init__(self, session_factory: Callable[[], so.Session], client: GraphClient, mailbox_id: str, *,
                 now: Callable[[], dt.datetime] = utcnow, on_page: Callable[[str, PageResult], None] | None = None,
                 lease_owner: str | None = None, lease: dt.timedelta = dt.timedelta(minutes=10)):
        self._session_factory = session_factory
        self.client = client
        self.mailbox_id = mailbox_id
        self._now = now
        self._on_page = on_page
        self._lease_owner, self._lease = lease_owner, lease

    def run(self) -> SyncReport:
        with self._session_factory() as session:
            mailbox = session.get(Mailbox, self.mailbox_id)
            folders = list(mailbox.folders or ["inbox", "sentitems"])
            report = SyncReport(mailbox=mailbox.address)
        try:
            for folder in folders:
                self._resource(f"mail:{folder}", "message",
                               lambda cursor, f=folder: self.client.delta_messages(f, cursor), report)
            now = self._now()
            start, end = now - CALENDAR_PAST, now + CALENDAR_FUTURE
            self._resource("calendar", "event", lambda cursor: self.client.delta_events(start, end, cursor), report)
        except GraphPermissionError as error:
            report.status, report.error = "missing_permission", error.explain()
        except (GraphAuthError, NeedsSignIn) as error:
            report.status, report.error = "needs_sign_in", str(error)
        except GraphTransientError as error:
            report.status, report.error, report.retry_after = "retry", str(error), error.retry_after
        except CursorExpired as error:  # expired again right after starting afresh: try the mailbox later
            report.status, report.error, report.retry_after = "retry", str(error), 30.0
        except LeaseLost:
            report.status, report.error = "lease_lost", "another worker took this mailbox over"
            return report
        self._finish(report)
        return report

    def run_messages_only(self, folder: str) -> SyncReport:
        """One folder's delta to the end of the round (benchmarks and tools)."""
        with self._session_factory() as session:
            report = SyncReport(mailbox=session.get(Mailbox, self.mailbox_id).address)
        self._resource(f"mail:{folder}", "message", lambda cursor: self.client.delta_messages(folder, cursor), report)
        return report

    def _resource(self, resource: str, kind: str, fetch: Callable[[str | None], DeltaPage], report: SyncReport) -> None:
        """Follow one resource's delta to the end of the round. The next page is fetched while the
        current one is being applied (Graph's time and ours overlap); the cursor written with each
        page is still that page's own nextLink, so a crash replays at most one page."""
        cursor = self._load_cursor(resource)
        expired_once = False
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="delta-prefetch") as prefetcher:
            upcoming: Future | None = None
            while True:
                try:
                    page = upcoming.result() if upcoming is not None else fetch(cursor)
                except CursorExpired:
                    if expired_once:
                        raise
                    expired_once = True  # 410: start the resource again from scratch; upserts prevent duplicates
                    log.warning("%s %s: delta cursor expired, full resync", report.mailbox, resource)
                    report.resyncs += 1
                    self._save_cursor_only(resource, None, full_sync=True)
                    cursor, upcoming = None, None
                    continue
                upcoming = prefetcher.submit(fetch, page.next_link) if page.next_link else None
                try:
                    result = self._apply(resource, kind, page)
                except BaseException:
                    if upcoming is not None:
                        upcoming.cancel()
                    raise
                SYNC_PAGES.inc()
                SYNC_ITEMS.labels(kind).inc(result.seen)
                report.pages += 1
                report.seen += result.seen
                report.stored += result.stored
                report.links += result.links
                report.removed += result.removed
                report.resources[resource] = report.resources.get(resource, 0) + result.seen
                if self._on_page:
                    self._on_page(resource, result)
                if page.delta_link:
                    return
                cursor = page.next_link

    def _apply(self, resource: str, kind: str, page: DeltaPage) -> PageResult:
        removed = self._really_removed(page.removed) if page.removed else []
        for attempt in (1, 2, 3):
            try:
                with UnitOfWork(self._session_factory) as uow:
                    mailbox = uow.session.get(Mailbox, self.mailbox_id)
                    if self._lease_owner is not None:  # renew the lease with every page, or stop
                        if mailbox.lease_owner != self._lease_owner:
                            raise LeaseLost(mailbox.address)
                        mailbox.lease_expires_at = self._now() + self._lease
                    result = PageLinker(uow.session, mailbox).apply(kind, page.items, removed)
                    self._write_cursor(uow.session, resource, page)
                    mailbox.items_synced += result.seen
                    uow.commit()
                    return result
            except (IntegrityError, StaleDataError):
                # Another mailbox of the workspace stored the same message at the same moment:
                # apply the page again; this time the item is found and updated.
                if attempt == 3:
                    raise
                log.info("%s: page raced another mailbox's sync; applying it again", resource)
        raise AssertionError("unreachable")  # pragma: no cover

    def _really_removed(self, ids: list[str]) -> list[str]:
        """Moves look like removals: only items Graph no longer has (or that sit in Deleted Items)
        are flagged. Checked with $batch, 20 at a time."""
        deleted_folder = None
        gone = []
        responses = self.client.batch([BatchRequest(id=str(i), method="GET", url=f"/me/messages/{item_id}?$select=parentFolderId")
                                       for i, item_id in enumerate(ids)]) if self._are_messages(ids) else []
        if not responses:
            return ids
        for item_id, response in zip(ids, responses):
            if response.status == 404:
                gone.append(item_id)
            elif response.status == 200 and isinstance(response.body, dict):
                if deleted_folder is None:
                    deleted_folder = self._deleted_items_id()
                if response.body.get("parentFolderId") == deleted_folder:
                    gone.append(item_id)
        return gone

    def _are_messages(self, ids: list[str]) -> bool:
        with self._session_factory() as session:
            return bool(session.scalar(sa.select(sa.func.count()).select_from(HistoryItem).where(
                HistoryItem.graph_id.in_(ids), HistoryItem.kind == "email")))

    def _deleted_items_id(self) -> str | None:
        try:
            return self.client.folder_id("deleteditems")
        except Exception:  # noqa: BLE001 - without it, items in Deleted Items are simply not flagged
            return None

    # ---- cursors ----------------------------------------------------------------------------

    def _load_cursor(self, resource: str) -> str | None:
        with self._session_factory() as session:
            row = session.get(SyncCursor, (self.mailbox_id, resource))
            return row.cursor if row is not None else None

    def _write_cursor(self, session: so.Session, resource: str, page: DeltaPage) -> None:
        row = session.get(SyncCursor, (self.mailbox_id, resource))
        if row is None:
            row = SyncCursor(mailbox_id=self.mailbox_id, resource=resource, pages=0, full_syncs=0)
            session.add(row)
        row.cursor = page.next_link or page.delta_link
        row.in_round = page.next_link is not None
        row.pages = (row.pages or 0) + 1
        row.updated_at = self._now()

    def _save_cursor_only(self, resource: str, cursor: str | None, *, full_sync: bool) -> None:
        with UnitOfWork(self._session_factory) as uow:
            row = uow.session.get(SyncCursor, (self.mailbox_id, resource))
            if row is None:
                row = SyncCursor(mailbox_id=self.mailbox_id, resource=resource, pages=0, full_syncs=0)
                uow.session.add(row)
            row.cursor, row.in_round = cursor, False
            row.full_syncs = (row.full_syncs or 0) + (1 if full_sync else 0)
            row.updated_at = self._now()
            uow.commit()

    def _finish(self, report: SyncReport) -> None:
        with UnitOfWork(self._session_factory) as uow:  # the mailbox's state: graph_sync.state, nowhere else
            record_outcome(uow.session.get(Mailbox, self.mailbox_id), report, self._now())
            uow.commit()

