"""Sales stages and their sales activities: the owner's customisation of the sales process.

Every change renumbers positions (open stages 0..n-1, then Closed Won, Closed Lost) under
a lock on the workspace row, so two owners editing at once never share a position.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage import limits
from storage.errors import Conflict, NotFound, RuleViolation
from storage.i18n import _
from storage.models import ChecklistMark, Opportunity, SalesActivity, SalesStage, Workspace

from .changes import record_change
from .records import get_record
from .validation import Problems, require_text


def lock_stages(session: so.Session, workspace_id: str) -> list[SalesStage]:
    """The workspace's stages in order, with the workspace row locked for this transaction
    (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    session.execute(sa.select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())
    return list(session.scalars(
        sa.select(SalesStage).where(SalesStage.workspace_id == workspace_id)
        .order_by(SalesStage.outcome.is_not(None), SalesStage.position, SalesStage.id)
        .execution_options(populate_existing=True)))


def get_stage(session: so.Session, workspace_id: str, stage_id: str) -> SalesStage:
    return get_record(session, SalesStage, workspace_id, stage_id, "sales stage")


def get_activity(stage: SalesStage, activity_id: str) -> SalesActivity:
    activity = next((a for a in stage.activities if a.id == activity_id), None)
    if activity is None:
        raise NotFound(_("No such sales activity in this stage."))
    return activity


def _renumber(stages: list[SalesStage]) -> None:
    open_stages = [s for s in stages if s.outcome is None]
    closed = sorted((s for s in stages if s.outcome is not None), key=lambda s: s.outcome != "won")
    for position, stage in enumerate(open_stages + closed):
        stage.position = position


def _check_name(problems: Problems, stages: list[SalesStage], name: str | None, exclude: SalesStage | None = None):
    name = require_text(problems, "name", name, limits.LIST_VALUE)
    if name and any(s.name.casefold() == name.casefold() for s in stages if s is not exclude):
        problems.add("name", _("a stage named '%(name)s' exists already", name=name))
    return name


def _move(items: list, item, position: int | None, field: str = "position") -> list:
    """`items` with `item` placed at `position` (0-based); 422 when out of range."""
    rest = [x for x in items if x is not item]
    if position is None:
        return rest + [item]
    if not 0 <= position <= len(rest):
        raise RuleViolation.on(field, _("must be between %(low)s and %(high)s", low=0, high=len(rest)))
    return rest[:position] + [item] + rest[position:]


def _refuse_built_in(stage: SalesStage) -> None:
    if stage.built_in:
        raise Conflict(_("%(stage)s is built in and cannot be changed or removed.", stage=stage.name))


def add_stage(session: so.Session, workspace_id: str, name: str | None, position: int | None) -> SalesStage:
    stages = lock_stages(session, workspace_id)
    problems = Problems()
    name = _check_name(problems, stages, name)
    problems.raise_if_any()
    stage = SalesStage(workspace_id=workspace_id, name=name)
    session.add(stage)
    open_stages = _move([s for s in stages if s.outcome is None], stage, position)
    _renumber(open_stages + [s for s in stages if s.outcome])
    session.flush()
    return stage


def update_stage(session: so.Session, workspace_id: str, stage_id: str, changes: dict) -> SalesStage:
    stages = lock_stages(session, workspace_id)
    stage = get_stage(session, workspace_id, stage_id)
    if stage.built_in and ({"name", "position"} & changes.keys() or changes.get("is_default")):
        _refuse_built_in(stage)
    problems = Problems()
    if "name" in changes:
        stage.name = _check_name(problems, stages, changes["name"], exclude=stage)
    problems.raise_if_any()
    if "position" in changes:
        if changes["position"] is None:
            raise RuleViolation.on("position", _("must be a number"))
        open_stages = _move([s for s in stages if s.outcome is None], stage, changes["position"])
        _renumber(open_stages + [s for s in stages if s.outcome])
    if "is_default" in changes:
        for other in stages:
            other.is_default = False
        stage.is_default = bool(changes["is_default"])
    session.flush()
    return stage


def delete_stage(session: so.Session, workspace_id: str, stage_id: str, replace_with: str | None,
                 move_activities: bool, actor_id: str | None, today: dt.date | None = None) -> None:
    """BCM's stage deletion: the opportunities in it go to the replacement (or to no stage);
    with move_activities the stage's activities go to the TOP of the replacement's list,
    keeping the opportunities' done marks; otherwise they are deleted with the stage.
    All in the caller's one transaction."""
    stages = lock_stages(session, workspace_id)
    stage = get_stage(session, workspace_id, stage_id)
    _refuse_built_in(stage)
    replacement = None
    if replace_with:
        if replace_with == stage.id:
            raise RuleViolation.on("replace_with", _("must be another stage than the one deleted"))
        replacement = get_stage(session, workspace_id, replace_with)
        if replacement.outcome is not None:
            raise RuleViolation.on("replace_with", _("must be an open stage"))
    elif move_activities:
        raise RuleViolation.on("move_activities", _("needs replace_with: the stage the activities move to"))
    today = today or dt.date.today()
    moved = list(session.scalars(sa.select(Opportunity).where(Opportunity.stage_id == stage.id)))
    for opportunity in moved:
        record_change(session, opportunity, actor_id, "stage", stage.name, replacement.name if replacement else None)
        opportunity.stage_id = replacement.id if replacement else None
        opportunity.stage = replacement
        opportunity.stage_entered_on = today
        so.attributes.flag_modified(opportunity, "workspace_id")
    if replacement is not None and move_activities:
        incoming = list(stage.activities)
        existing = list(replacement.activities)
        for activity in incoming:
            activity.stage = replacement  # re-parented, not orphaned: ids and done marks stay
        replacement.activities = incoming + existing
        for position, activity in enumerate(replacement.activities):
            activity.position = position
        session.flush()
    session.delete(stage)
    session.flush()
    _renumber([s for s in stages if s is not stage])
    session.flush()


# ---- sales activities ----------------------------------------------------------------------

def _activity_fields(problems: Problems, activity: SalesActivity, changes: dict, creating: bool) -> None:
    if creating or "name" in changes:
        activity.name = require_text(problems, "name", changes.get("name"))
    if "duration_days" in changes or creating:
        days = changes.get("duration_days") or 0
        if not 0 <= days <= 3650:
            problems.add("duration_days", _("must be between %(low)s and %(high)s", low=0, high=3650))
        activity.duration_days = days
    if "reminder" in changes or creating:
        activity.reminder = bool(changes.get("reminder"))


def add_activity(session: so.Session, workspace_id: str, stage_id: str, changes: dict) -> SalesActivity:
    lock_stages(session, workspace_id)
    stage = get_stage(session, workspace_id, stage_id)
    _refuse_built_in(stage)
    problems = Problems()
    activity = SalesActivity(stage_id=stage.id)
    _activity_fields(problems, activity, changes, creating=True)
    problems.raise_if_any()
    stage.activities = _move(list(stage.activities), activity, changes.get("position"))
    for position, item in enumerate(stage.activities):
        item.position = position
    session.flush()
    return activity


def update_activity(session: so.Session, workspace_id: str, stage_id: str, activity_id: str,
                    changes: dict) -> SalesActivity:
    lock_stages(session, workspace_id)
    stage = get_stage(session, workspace_id, stage_id)
    _refuse_built_in(stage)
    activity = get_activity(stage, activity_id)
    problems = Problems()
    _activity_fields(problems, activity, changes, creating=False)
    problems.raise_if_any()
    if "position" in changes:
        if changes["position"] is None:
            raise RuleViolation.on("position", _("must be a number"))
        stage.activities = _move(list(stage.activities), activity, changes["position"])
        for position, item in enumerate(stage.activities):
            item.position = position
    session.flush()
    return activity


def delete_activity(session: so.Session, workspace_id: str, stage_id: str, activity_id: str) -> None:
    """The activity goes from the stage and from every opportunity's checklist, done or not."""
    lock_stages(session, workspace_id)
    stage = get_stage(session, workspace_id, stage_id)
    _refuse_built_in(stage)
    activity = get_activity(stage, activity_id)
    session.execute(sa.delete(ChecklistMark).where(ChecklistMark.activity_id == activity.id))
    stage.activities.remove(activity)
    for position, item in enumerate(stage.activities):
        item.position = position
    session.flush()
    # the opportunities' loaded checklists must not keep the deleted marks
    for opportunity in session.identity_map.values():
        if isinstance(opportunity, Opportunity):
            session.expire(opportunity, ["checklist"])
