"""The delta sync of one mailbox: mail folders, the calendar window, the app's To Do list.

Invariant (as in nylas/sync-engine): pages are fetched outside any transaction; each page
is then applied together with its cursor in ONE transaction. A crash replays at most one
page, and replaying a page changes nothing (items are upserted by internetMessageId /
iCalUId / immutable id). Errors are sorted (graph_sync.state): an expired cursor restarts that
resource from scratch; auth errors stop the mailbox (needs sign-in); a permission Graph says is
missing (403) stops it too, as missing_permission naming the permission, re-checked now and then
(worker.py); transient errors end the run and the mailbox is retried after the wait Graph asked for.
One item never stops a mailbox: a page that fails is applied item by item and the failing item is
set aside (SetAsideItem), tried again later by its id. What Graph is documented to do, and where we
deal with it: partial message items (records.known_fields), sparse occurrences of a series
(_complete_occurrences), a calendar window fixed in the delta token (_calendar), @removed for
moves and for events leaving the window (_really_removed), a query fixed in the delta link
(message_query on each cursor).
"""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Collection

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from storage.db import UnitOfWork
from storage.models import HistoryItem, Mailbox, SetAsideItem, SyncCursor
from storage.types import utcnow

from . import rules, state
from .linker import PageLinker, PageResult
from .metrics import SYNC_ITEMS, SYNC_PAGES
from .port import (
    CursorExpired, DeltaPage, GraphBug, GraphClient, GraphError, GraphNotFound, graph_datetime,
)
from .state import record_outcome
from .tokens import NeedsSignIn

log = logging.getLogger(__name__)

CALENDAR_PAST = dt.timedelta(days=90)
CALENDAR_FUTURE = dt.timedelta(days=365)
# calendarView delta keeps the window its first request named, in its token
# (https://learn.microsoft.com/graph/delta-query-events): a finished round older than this starts
# a new one on a window around today. Upserts by iCalUId make the new round add no duplicate.
REANCHOR = dt.timedelta(days=1)
# An item set aside is tried again after 5 min, then 10, 20, ... at most a day apart.
SET_ASIDE_FIRST_WAIT = dt.timedelta(minutes=5)
SET_ASIDE_MAX_WAIT = dt.timedelta(days=1)
# Our own database failing (unreachable, locked) is not the item's fault: never set an item aside for it.
OWN_DATABASE_ERRORS = (OperationalError, InterfaceError)


@dataclass
class SyncReport:
    mailbox: str
    pages: int = 0
    seen: int = 0
    stored: int = 0
    links: int = 0
    removed: int = 0
    resyncs: int = 0
    set_aside: int = 0
    retried: int = 0
    status: str = "ok"  # ok | retry | needs_sign_in | missing_permission | error | lease_lost
    error: str | None = None
    retry_after: float | None = None
    resources: dict[str, int] = field(default_factory=dict)


_UNKNOWN = object()  # not asked of Graph yet


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
        self._deleted_folder: str | None | object = _UNKNOWN

    def run(self, parts: Collection[str] | None = None) -> SyncReport:
        """Every resource (parts None), or a targeted pass over `parts` only ("mail:<folder>",
        "calendar": what change notifications named, graph_sync.notifications): no set-aside retry
        then, the next full pass does it."""
        with self._session_factory() as session:
            mailbox = session.get(Mailbox, self.mailbox_id)
            folders = list(mailbox.folders or ["inbox", "sentitems"])
            keep_bodies = bool(mailbox.keep_bodies)
            report = SyncReport(mailbox=mailbox.address)
        try:
            if parts is None:
                self._retry_set_aside(report)
            query = self.client.message_query(keep_bodies)
            for folder in folders:
                if parts is not None and f"mail:{folder}" not in parts:
                    continue
                self._resource(f"mail:{folder}", "message",
                               lambda cursor, f=folder: self.client.delta_messages(f, cursor, with_body=keep_bodies),
                               report, query=query)
            if parts is None or "calendar" in parts:
                self._calendar(report)
        except (GraphError, NeedsSignIn) as error:  # sorted in one place: graph_sync.state
            state.fail(report, error)
        except LeaseLost:
            report.status, report.error = "lease_lost", "another worker took this mailbox over"
            return report
        self._finish(report)
        return report

    def _calendar(self, report: SyncReport) -> None:
        """The calendar's delta on a window fixed in its token; re-anchored around today once a day
        (between rounds, never inside one)."""
        now = self._now()
        with self._session_factory() as session:
            row = session.get(SyncCursor, (self.mailbox_id, "calendar"))
            window = (row.window_start, row.window_end) if row is not None and row.cursor else (None, None)
            in_round = bool(row is not None and row.in_round)
        start, end = window
        if start is None or end is None or (not in_round and now - (start + CALENDAR_PAST) >= REANCHOR):
            if start is not None or (row is not None and row.cursor):
                log.info("%s calendar: window re-anchored around %s", report.mailbox, now.date())
                self._save_cursor_only("calendar", None, full_sync=False)
            start, end = now - CALENDAR_PAST, now + CALENDAR_FUTURE
        self._resource("calendar", "event", lambda cursor: self.client.delta_events(start, end, cursor), report,
                       window=(start, end))

    def run_messages_only(self, folder: str) -> SyncReport:
        """One folder's delta to the end of the round (benchmarks and tools)."""
        with self._session_factory() as session:
            report = SyncReport(mailbox=session.get(Mailbox, self.mailbox_id).address)
        self._resource(f"mail:{folder}", "message", lambda cursor: self.client.delta_messages(folder, cursor), report)
        return report

    def _resource(self, resource: str, kind: str, fetch: Callable[[str | None], DeltaPage], report: SyncReport,
                  window: tuple[dt.datetime, dt.datetime] | None = None, query: str | None = None) -> None:
        """Follow one resource's delta to the end of the round. The next page is fetched while the
        current one is being applied (Graph's time and ours overlap); the cursor written with each
        page is still that page's own nextLink, so a crash replays at most one page. `query`: what
        the round asks for; a cursor made with another query starts a new round."""
        cursor = self._load_cursor(resource, query)
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
                    result = self._apply(resource, kind, page, window, query)
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
                report.set_aside += result.set_aside
                report.resources[resource] = report.resources.get(resource, 0) + result.seen
                if self._on_page:
                    self._on_page(resource, result)
                if page.delta_link:
                    return
                cursor = page.next_link

    def _apply(self, resource: str, kind: str, page: DeltaPage,
               window: tuple[dt.datetime, dt.datetime] | None = None, query: str | None = None) -> PageResult:
        """The page and its cursor in one transaction. If the page as a whole fails (not a race with
        another mailbox, not our own database), it is applied again item by item: an item that fails
        is set aside with its error, the rest and the cursor are committed. One item never stops a
        mailbox."""
        removed = self._really_removed(kind, page.removed) if page.removed else []
        if kind == "event":
            page = DeltaPage(self._complete_occurrences(page.items), page.removed, page.next_link, page.delta_link)
        for attempt in (1, 2, 3):
            try:
                with UnitOfWork(self._session_factory) as uow:
                    mailbox = self._renew_lease(uow.session)
                    result = PageLinker(uow.session, mailbox, now=self._now).apply(kind, page.items, removed)
                    result.seen = len(page.items) + len(page.removed)  # removals Graph sent, whether or not real
                    self._write_cursor(uow.session, resource, page, window, query)
                    mailbox.items_synced += result.seen
                    uow.commit()
                    return result
            except (IntegrityError, StaleDataError) as error:
                # Another mailbox of the workspace stored the same message at the same moment: apply
                # the page again; this time the item is found and updated. Still failing: an item's own.
                if not page.items:
                    raise
                if attempt < 3:
                    log.info("%s: page raced another mailbox's sync; applying it again", resource)
                    continue
                log.warning("%s: page failed %d times (%s); applying it item by item", resource, attempt,
                            type(error).__name__)
                break
            except (LeaseLost, *OWN_DATABASE_ERRORS):
                raise
            except Exception as error:  # noqa: BLE001 - whatever an item holds: find which one, below
                if not page.items:
                    raise
                log.warning("%s: page failed (%s: %s); applying it item by item", resource, type(error).__name__,
                            str(error)[:200])
                break
        return self._apply_one_by_one(resource, kind, page, removed, window, query)

    def _apply_one_by_one(self, resource: str, kind: str, page: DeltaPage, removed: list[str],
                          window: tuple[dt.datetime, dt.datetime] | None, query: str | None) -> PageResult:
        with UnitOfWork(self._session_factory) as uow:
            mailbox = self._renew_lease(uow.session)
            linker = PageLinker(uow.session, mailbox, now=self._now)
            total = PageResult(seen=len(page.items) + len(page.removed))
            for raw in page.items:
                try:
                    with uow.session.begin_nested():
                        one = linker.apply(kind, [raw], [])
                    total.stored += one.stored
                    total.updated += one.updated
                    total.links += one.links
                    total.skipped += one.skipped
                except OWN_DATABASE_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - set aside with its error, the page goes on
                    self._set_aside(uow.session, resource, kind, raw, error)
                    total.set_aside += 1
            if removed:
                total.removed = linker.apply(kind, [], removed).removed
            self._write_cursor(uow.session, resource, page, window, query)
            mailbox.items_synced += total.seen
            uow.commit()
            return total

    def _renew_lease(self, session: so.Session) -> Mailbox:
        mailbox = session.get(Mailbox, self.mailbox_id)
        if self._lease_owner is not None:  # renew the lease with every page, or stop
            if mailbox.lease_owner != self._lease_owner:
                raise LeaseLost(mailbox.address)
            mailbox.lease_expires_at = self._now() + self._lease
        return mailbox

    def _complete_occurrences(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """calendarView delta sends an occurrence of a series with only id, type, seriesMasterId,
        start and end (microsoftgraph/microsoft-graph-docs#7632). The ones history may show (held,
        or the first still to come of each series on the page: `rules.meeting_kept`) are fetched
        whole, 20 per $batch; the others are left out: their turn comes in a later round."""
        now = self._now()
        sparse = [item for item in items if rules.is_sparse_occurrence(item)]
        if not sparse:
            return items
        first_to_come: dict[str, tuple[dt.datetime, str]] = {}
        wanted = []
        for item in sparse:
            start = graph_datetime(item.get("start"))
            if start is None or start <= now:
                wanted.append(item["id"])
            else:
                series = item.get("seriesMasterId") or ""
                if series not in first_to_come or start < first_to_come[series][0]:
                    first_to_come[series] = (start, item["id"])
        wanted += [event_id for _, event_id in first_to_come.values()]
        whole = self.client.get_events(wanted) if wanted else {}
        completed = []
        for item in items:
            if not rules.is_sparse_occurrence(item):
                completed.append(item)
            elif whole.get(item["id"]) is not None:  # None: deleted since the round was cut
                completed.append(whole[item["id"]])
        return completed

    # ---- items set aside -----------------------------------------------------------------------

    def _set_aside(self, session: so.Session, resource: str, kind: str, raw: Any, error: BaseException) -> None:
        graph_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        message = f"{type(error).__name__}: {str(getattr(error, 'orig', None) or error)}"[:1000]
        log.warning("%s: item %s set aside: %s", resource, (graph_id or "?")[:60], message[:300])
        if not graph_id:
            return  # nothing to fetch it again by: Graph sent an item without an id
        now = self._now()
        row = session.get(SetAsideItem, (self.mailbox_id, graph_id[:300]))
        if row is None:
            session.add(SetAsideItem(mailbox_id=self.mailbox_id, graph_id=graph_id[:300], resource=resource[:200],
                                     kind=kind, error=message, attempts=1, first_failed_at=now,
                                     next_try_at=now + SET_ASIDE_FIRST_WAIT))
        else:
            row.attempts += 1
            row.error = message
            row.next_try_at = now + min(SET_ASIDE_FIRST_WAIT * (2 ** min(row.attempts - 1, 20)), SET_ASIDE_MAX_WAIT)

    def _retry_set_aside(self, report: SyncReport) -> None:
        """Items set aside whose wait is over: fetched again by id and applied, one transaction each.
        Gone from the mailbox: forgotten. Failing again: set aside for longer."""
        with self._session_factory() as session:
            due = [(r.graph_id, r.resource, r.kind) for r in session.scalars(
                sa.select(SetAsideItem).where(SetAsideItem.mailbox_id == self.mailbox_id,
                                              SetAsideItem.next_try_at <= self._now())
                .order_by(SetAsideItem.next_try_at).limit(100))]
        for graph_id, resource, kind in due:
            try:
                raw = self.client.get_message(graph_id) if kind == "message" else self.client.get_event(graph_id)
            except GraphNotFound:
                raw = None
            with UnitOfWork(self._session_factory) as uow:
                mailbox = self._renew_lease(uow.session)
                row = uow.session.get(SetAsideItem, (self.mailbox_id, graph_id))
                if row is None:
                    continue
                if raw is not None:
                    try:
                        with uow.session.begin_nested():
                            PageLinker(uow.session, mailbox, now=self._now).apply(kind, [raw], [])
                    except OWN_DATABASE_ERRORS:
                        raise
                    except Exception as error:  # noqa: BLE001 - still failing: wait longer
                        self._set_aside(uow.session, resource, kind, raw, error)
                        uow.commit()
                        continue
                uow.session.delete(row)
                report.retried += 1
                uow.commit()

    # ---- removals ------------------------------------------------------------------------------

    def _really_removed(self, kind: str, ids: list[str]) -> list[str]:
        """`@removed` is not proof of deletion: a message moved to another folder, or a meeting that
        left the calendar window (delta-query-events: "@removed ... reason deleted" for events outside
        the window), still exist. Only items Graph no longer has (or, for mail, that sit in Deleted
        Items) are flagged; ids we never stored are not looked up."""
        with self._session_factory() as session:
            workspace_id = session.get(Mailbox, self.mailbox_id).workspace_id
            stored = list(session.scalars(sa.select(HistoryItem.graph_id).where(  # ix_history_item_ws_graph_id
                HistoryItem.workspace_id == workspace_id, HistoryItem.graph_id.in_(ids),
                HistoryItem.kind == ("email" if kind == "message" else "appointment"))))
        if not stored:
            return []
        try:
            where = self.client.locate(kind, stored)
        except GraphBug as error:  # an answer we cannot read: flag nothing rather than guess
            log.warning("%s: could not check removed items: %s", self.mailbox_id, error)
            return []
        deleted_folder = self._deleted_items_id() if kind == "message" and any(where.values()) else None
        return [item_id for item_id, folder in where.items()
                if folder is None or (deleted_folder is not None and folder == deleted_folder)]

    def _deleted_items_id(self) -> str | None:
        """Deleted Items' id, asked of Graph once per run (not once per page with removals)."""
        if self._deleted_folder is _UNKNOWN:
            try:
                self._deleted_folder = self.client.folder_id("deleteditems")
            except GraphNotFound:  # a mailbox without the folder: nothing sits in it
                self._deleted_folder = None
        return self._deleted_folder

    # ---- cursors ----------------------------------------------------------------------------

    def _load_cursor(self, resource: str, query: str | None = None) -> str | None:
        with self._session_factory() as session:
            row = session.get(SyncCursor, (self.mailbox_id, resource))
            if row is None or not row.cursor:
                return None
            if query is not None and row.query != query:
                log.info("%s: the delta query changed since this cursor began; a new round", resource)
                cursor = None
            else:
                return row.cursor
        self._save_cursor_only(resource, cursor, full_sync=True)
        return None

    def _write_cursor(self, session: so.Session, resource: str, page: DeltaPage,
                      window: tuple[dt.datetime, dt.datetime] | None = None, query: str | None = None) -> None:
        row = session.get(SyncCursor, (self.mailbox_id, resource))
        if row is None:
            row = SyncCursor(mailbox_id=self.mailbox_id, resource=resource, pages=0, full_syncs=0)
            session.add(row)
        if window is not None:
            row.window_start, row.window_end = window
        if query is not None:
            row.query = query
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

