"""Opportunity reminders and sales activities as To Do tasks, and their completion flowing back.

For a mailbox whose owner is a member: each open opportunity assigned to them gets a task
for its reminder, and one per reminder-flagged sales activity with a due date that is not
done. Tasks live in a To Do list the app creates ("Dealpane"). Every task carries a
linkedResource whose externalId is our key, so a task created just before a crash is
adopted on the next run instead of created twice. Completing the task in Outlook/To Do
marks the activity done; closing the opportunity completes its open tasks.

What the user deletes in To Do is noticed by Graph answering 404 ("The requested resource doesn't
exist", https://learn.microsoft.com/graph/errors; To Do's body is ErrorItemNotFound, as in
microsoftgraph/microsoft-graph-docs-contrib#7358), which graph_sync.msgraph_adapter sorts into
GraphNotFound:
- the "Dealpane" list deleted (its task delta, or a POST of a task into it, answers 404): the list
  id and its delta cursor are forgotten, the list is found by name or created again, and the open
  tasks are created in it once (completed ones stay completed). If the new list is gone at once
  too, the run fails (recorded on the mailbox, retried later): never a loop.
- one task deleted (its PATCH answers 404, https://learn.microsoft.com/graph/api/todotask-update):
  created again only if it is still wanted (opportunity open, activity not done, reminder set);
  otherwise it is simply marked completed here.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from storage.db import UnitOfWork
from storage.i18n import _, translate
from storage.models import ChecklistMark, Mailbox, Opportunity, ReminderTask, SalesStage, SyncCursor, User, Workspace
from storage.services.opportunities import checklist
from storage.types import utcnow

from .port import CursorExpired, GraphClient, GraphNotFound, TaskSpec

log = logging.getLogger(__name__)

LIST_NAME = "Dealpane"
ACTIVITY_REMINDER_TIME = dt.time(9, 0)


@dataclass
class Wanted:
    key: str
    opportunity_id: str
    activity_id: str | None
    title: str
    display_name: str
    due: dt.date | None
    reminder_at: dt.datetime | None


@dataclass
class TaskReport:
    created: int = 0
    updated: int = 0
    completed: int = 0
    adopted: int = 0
    marked_done: int = 0
    recreated: int = 0  # tasks deleted in To Do, created again because still wanted
    gone: int = 0  # tasks deleted in To Do and no longer wanted: marked completed here
    lists_recreated: int = 0


class ListGone(Exception):
    """Graph answered 404 for the app's To Do list: the user deleted it."""

    def __init__(self, list_id: str, error: GraphNotFound):
        super().__init__(f"To Do list {list_id} is gone: {error}")
        self.list_id, self.error = list_id, error


class TaskKeeper:
    def __init__(self, session_factory: Callable[[], so.Session], client: GraphClient, mailbox_id: str, *,
                 web_base_url: str, now: Callable[[], dt.datetime] = utcnow):
        self._session_factory = session_factory
        self.client = client
        self.mailbox_id = mailbox_id
        self.web_base_url = web_base_url.rstrip("/")
        self._now = now

    def run(self) -> TaskReport:
        report = TaskReport()
        for attempt in (1, 2):
            list_id = self._list_id()
            try:
                self._read_back(list_id, report)
                self._reconcile(list_id, report)
                return report
            except ListGone as gone:
                if attempt == 2:  # the list found or made a moment ago is gone too: fail this run, no loop
                    raise gone.error from gone
                log.warning("mailbox %s: To Do list %s was deleted; making it again with the open tasks",
                            self.mailbox_id, gone.list_id)
                self._forget_list(gone.list_id)
                report.lists_recreated += 1
        raise AssertionError("unreachable")  # pragma: no cover

    def push(self) -> TaskReport:
        """Dealpane's side only: tasks to create, update or complete after a change in Dealpane (a
        reminder set, an activity done, a deal closed). Reads the database and asks Graph nothing
        when nothing changed, so the worker runs it every few minutes even when the mailbox's full
        passes (which also read back what was completed in To Do) are hours apart. No list known
        yet, or the list gone: a whole run()."""
        with self._session_factory() as session:
            known = session.get(Mailbox, self.mailbox_id).todo_list_id
        if not known:
            return self.run()
        report = TaskReport()
        try:
            self._reconcile(known, report)
        except ListGone:
            return self.run()
        return report

    # ---- the app's list --------------------------------------------------------------------

    def _list_id(self) -> str:
        with self._session_factory() as session:
            known = session.get(Mailbox, self.mailbox_id).todo_list_id
        if known:
            return known
        existing = next((l for l in self.client.todo_lists() if l.get("displayName") == LIST_NAME), None)
        list_id = (existing or self.client.create_todo_list(LIST_NAME))["id"]
        with UnitOfWork(self._session_factory) as uow:
            uow.session.get(Mailbox, self.mailbox_id).todo_list_id = list_id
            uow.commit()
        return list_id

    def _forget_list(self, list_id: str) -> None:
        """The list was deleted in To Do: forget it, its cursor and its open tasks' ids (in one
        transaction), so the next _list_id() finds or makes one and _reconcile creates them again."""
        with UnitOfWork(self._session_factory) as uow:
            mailbox = uow.session.get(Mailbox, self.mailbox_id)
            if mailbox.todo_list_id == list_id:
                mailbox.todo_list_id = None
            uow.session.execute(sa.delete(SyncCursor).where(SyncCursor.mailbox_id == self.mailbox_id,
                                                            SyncCursor.resource == f"todo:{list_id}"))
            uow.session.execute(sa.update(ReminderTask).where(ReminderTask.mailbox_id == self.mailbox_id,
                                                              ReminderTask.completed.is_(False))
                                .values(task_id=None, updated_at=self._now()))
            uow.commit()

    def _create(self, list_id: str, spec: TaskSpec) -> dict:
        try:
            return self.client.create_task(list_id, spec)
        except GraphNotFound as error:  # a POST into a list that is not there
            raise ListGone(list_id, error) from error

    # ---- To Do -> Dealpane -------------------------------------------------------------------

    def _read_back(self, list_id: str, report: TaskReport) -> None:
        """Follow the list's delta: adopt our tasks (by linkedResource externalId) and bring
        completions back to the activity checklist. Each page with its cursor in one transaction."""
        resource = f"todo:{list_id}"
        with self._session_factory() as session:
            row = session.get(SyncCursor, (self.mailbox_id, resource))
            cursor = row.cursor if row else None
        restarted = False
        while True:
            try:
                page = self.client.delta_tasks(list_id, cursor)
            except GraphNotFound as error:  # the list itself is gone (https://learn.microsoft.com/graph/errors)
                raise ListGone(list_id, error) from error
            except CursorExpired:
                if restarted or cursor is None:
                    raise
                restarted, cursor = True, None  # adopting by externalId makes a full pass safe
                continue
            self._apply_page(resource, page, report)
            if page.delta_link:
                return
            cursor = page.next_link

    def _apply_page(self, resource: str, page, report: TaskReport) -> None:
        for attempt in (1, 2, 3):
            try:
                with UnitOfWork(self._session_factory) as uow:
                    for task in page.items:
                        self._apply_task(uow.session, task, report)
                    row = uow.session.get(SyncCursor, (self.mailbox_id, resource))
                    if row is None:
                        row = SyncCursor(mailbox_id=self.mailbox_id, resource=resource, pages=0, full_syncs=0)
                        uow.session.add(row)
                    row.cursor, row.in_round = page.next_link or page.delta_link, bool(page.next_link)
                    row.updated_at, row.pages = self._now(), (row.pages or 0) + 1
                    uow.commit()
                    return
            except (IntegrityError, StaleDataError):
                if attempt == 3:  # a person edited the opportunity at the same moment; try again
                    raise

    def _apply_task(self, session: so.Session, task: dict, report: TaskReport) -> None:
        row = session.scalar(sa.select(ReminderTask).where(ReminderTask.mailbox_id == self.mailbox_id,
                                                           ReminderTask.task_id == task["id"]))
        key = row.key if row is not None else next(
            (r.get("externalId") for r in task.get("linkedResources") or []
             if (r.get("externalId") or "").startswith("o:")), None)
        if not key:
            return  # not one of ours
        if row is None:
            row = session.scalar(sa.select(ReminderTask).where(ReminderTask.mailbox_id == self.mailbox_id,
                                                               ReminderTask.key == key))
        if row is None:
            parts = key.split(":")
            opportunity = session.get(Opportunity, parts[1]) if len(parts) >= 3 else None
            owner = session.get(Mailbox, self.mailbox_id).user_id
            if opportunity is None or owner is None or opportunity.assigned_to != owner:
                return  # someone else's task (a shared list): not ours to adopt
            row = ReminderTask(mailbox_id=self.mailbox_id, key=key, opportunity_id=parts[1],
                               activity_id=parts[3] if len(parts) == 4 and parts[2] == "a" else None,
                               title=task.get("title") or "")
            session.add(row)
            report.adopted += 1
        if not row.task_id:
            row.task_id = task["id"]
        done = task.get("status") == "completed"
        if done and not row.completed:
            row.completed = True
            if row.activity_id and self._mark_done(session, row.opportunity_id, row.activity_id):
                report.marked_done += 1

    def _mark_done(self, session: so.Session, opportunity_id: str, activity_id: str) -> bool:
        exists = session.get(ChecklistMark, (opportunity_id, activity_id))
        opportunity = session.get(Opportunity, opportunity_id)
        if exists is not None or opportunity is None or opportunity.read_only:
            return False
        session.add(ChecklistMark(opportunity_id=opportunity_id, activity_id=activity_id, done_at=self._now()))
        so.attributes.flag_modified(opportunity, "workspace_id")
        return True

    # ---- Dealpane -> To Do -------------------------------------------------------------------

    def _wanted(self, session: so.Session) -> dict[str, Wanted]:
        mailbox = session.get(Mailbox, self.mailbox_id)
        if not mailbox.user_id:
            return {}
        # The task is the user's, in their To Do: in the language they chose, else their workspace's.
        language = (session.get(User, mailbox.user_id).language
                    or session.get(Workspace, mailbox.workspace_id).language)
        closed = sa.select(SalesStage.id).where(SalesStage.workspace_id == mailbox.workspace_id,
                                                SalesStage.outcome.is_not(None))
        wanted: dict[str, Wanted] = {}
        for opp in session.scalars(sa.select(Opportunity).where(
                Opportunity.workspace_id == mailbox.workspace_id, Opportunity.assigned_to == mailbox.user_id,
                sa.or_(Opportunity.stage_id.is_(None), Opportunity.stage_id.not_in(closed)))):
            if opp.reminder_at is not None:
                key = f"o:{opp.id}:reminder"
                wanted[key] = Wanted(key, opp.id, None,
                                     translate(_("Follow up: %(title)s", title=opp.title), language), opp.title,
                                     opp.reminder_at.date(), opp.reminder_at)
            for item in checklist(opp):
                if item["due_date"] is not None and not item["done"]:
                    key = f"o:{opp.id}:a:{item['activity_id']}"
                    reminder = dt.datetime.combine(item["due_date"], ACTIVITY_REMINDER_TIME, tzinfo=dt.timezone.utc)
                    wanted[key] = Wanted(key, opp.id, item["activity_id"], f"{item['name']} – {opp.title}",
                                         opp.title, item["due_date"], reminder)
        return wanted

    def _reconcile(self, list_id: str, report: TaskReport) -> None:
        with self._session_factory() as session:
            wanted = self._wanted(session)
            rows = {r.key: (r.id, r.task_id, r.due, r.reminder_at, r.completed, r.title)
                    for r in session.scalars(sa.select(ReminderTask).where(ReminderTask.mailbox_id == self.mailbox_id))}
        for key, want in wanted.items():
            spec = TaskSpec(title=want.title[:255], external_id=key, display_name=want.display_name[:255],
                            web_url=f"{self.web_base_url}/workspace/#/opportunities/{want.opportunity_id}",
                            due=want.due, reminder_at=want.reminder_at)
            row = rows.get(key)
            if row is None or row[1] is None:
                task = self._create(list_id, spec)
                self._record(key, want, task["id"], completed=False)
                report.created += 1
            elif row[4]:
                continue  # completed in To Do: the person is done with it
            elif (row[2], row[3], row[5]) != (want.due, want.reminder_at, want.title[:255]):
                try:
                    self.client.update_task(list_id, row[1], spec)
                    report.updated += 1
                    task_id = row[1]
                except GraphNotFound:  # deleted in To Do, still wanted: a new one (its list was there just now)
                    task_id = self._create(list_id, spec)["id"]
                    report.recreated += 1
                self._record(key, want, task_id, completed=False)
        for key, (row_id, task_id, due, reminder, completed, title) in rows.items():
            if key in wanted or completed or not task_id:
                continue
            # closed, reassigned, activity done in Dealpane or reminder cleared: the task is done
            try:
                self.client.update_task(list_id, task_id, TaskSpec(title=title or "Dealpane", external_id=key,
                                                                   web_url="", display_name="", completed=True))
                report.completed += 1
            except GraphNotFound:  # deleted in To Do and no longer wanted: nothing to complete there
                report.gone += 1
            with UnitOfWork(self._session_factory) as uow:
                uow.session.get(ReminderTask, row_id).completed = True
                uow.commit()

    def _record(self, key: str, want: Wanted, task_id: str, *, completed: bool) -> None:
        with UnitOfWork(self._session_factory) as uow:
            row = uow.session.scalar(sa.select(ReminderTask).where(ReminderTask.mailbox_id == self.mailbox_id,
                                                                   ReminderTask.key == key))
            if row is None:
                row = ReminderTask(mailbox_id=self.mailbox_id, key=key, opportunity_id=want.opportunity_id,
                                   activity_id=want.activity_id)
                uow.session.add(row)
            row.task_id, row.title, row.due, row.reminder_at = task_id, want.title[:255], want.due, want.reminder_at
            row.completed, row.updated_at = completed, self._now()
            uow.commit()
