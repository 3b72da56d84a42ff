"""Pipeline, forecast and reminders: the numbers a sales manager watches."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.models import Opportunity, SalesStage

from .crm import cents_to_money
from .opportunities import checklist

ZERO = Decimal("0.00")


def _open_condition(workspace_id: str):
    closed = sa.select(SalesStage.id).where(SalesStage.workspace_id == workspace_id, SalesStage.outcome.is_not(None))
    return sa.or_(Opportunity.stage_id.is_(None), Opportunity.stage_id.not_in(closed))


_cents = cents_to_money  # SUMs run over the integer-cent columns: exact on both databases


def _money_sums():
    # Sum the stored integer cents (exact on both databases), not the decoded Decimals.
    total = sa.func.coalesce(sa.func.sum(sa.type_coerce(Opportunity.total, sa.BigInteger)), 0)
    expected = sa.func.coalesce(sa.func.sum(sa.type_coerce(Opportunity.expected_revenue, sa.BigInteger)), 0)
    return total, expected


def pipeline(session: so.Session, workspace_id: str, assigned_to: str | None = None) -> list[dict[str, Any]]:
    """Per open stage, in stage order: how many opportunities, their total and expected revenue."""
    total, expected = _money_sums()
    conditions = [Opportunity.workspace_id == workspace_id]
    if assigned_to:
        conditions.append(Opportunity.assigned_to == assigned_to)
    sums = {
        stage_id: (count, t, e)
        for stage_id, count, t, e in session.execute(
            sa.select(Opportunity.stage_id, sa.func.count(), total, expected).where(*conditions)
            .group_by(Opportunity.stage_id))
    }
    stages = session.scalars(
        sa.select(SalesStage).where(SalesStage.workspace_id == workspace_id, SalesStage.outcome.is_(None))
        .order_by(SalesStage.position))
    rows = []
    for stage in stages:
        count, t, e = sums.get(stage.id, (0, 0, 0))
        rows.append({"stage_id": stage.id, "stage_name": stage.name, "count": count, "total": _cents(t),
                     "expected_revenue": _cents(e)})
    if None in sums:
        count, t, e = sums[None]
        rows.append({"stage_id": None, "stage_name": "(no stage)", "count": count, "total": _cents(t),
                     "expected_revenue": _cents(e)})
    return rows


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def forecast(session: so.Session, workspace_id: str, months: int, today: dt.date,
             assigned_to: str | None = None) -> list[dict[str, Any]]:
    """Per close month from this month on: open opportunities expected to close (count, total,
    expected revenue) and the opportunities won in that month (count, total)."""
    start, end = month_start(today), add_months(today, months)
    conditions = [Opportunity.workspace_id == workspace_id, Opportunity.close_date >= start,
                  Opportunity.close_date < end]
    if assigned_to:
        conditions.append(Opportunity.assigned_to == assigned_to)
    won_stage = sa.select(SalesStage.id).where(SalesStage.workspace_id == workspace_id, SalesStage.outcome == "won")
    buckets = {add_months(start, i): {"month": add_months(start, i).strftime("%Y-%m"), "count": 0, "total": ZERO,
                                      "expected_revenue": ZERO, "won_count": 0, "won_total": ZERO}
               for i in range(months)}
    for close_date, t, e in session.execute(
        sa.select(Opportunity.close_date, sa.type_coerce(Opportunity.total, sa.BigInteger),
                  sa.type_coerce(Opportunity.expected_revenue, sa.BigInteger))
        .where(*conditions, _open_condition(workspace_id))
    ):
        bucket = buckets[month_start(close_date)]
        bucket["count"] += 1
        bucket["total"] += _cents(t)
        bucket["expected_revenue"] += _cents(e)
    for close_date, t in session.execute(
        sa.select(Opportunity.close_date, sa.type_coerce(Opportunity.total, sa.BigInteger))
        .where(*conditions, Opportunity.stage_id.in_(won_stage))
    ):
        bucket = buckets[month_start(close_date)]
        bucket["won_count"] += 1
        bucket["won_total"] += _cents(t)
    return list(buckets.values())


def reminders(session: so.Session, workspace_id: str, before: dt.date, today: dt.date,
              assigned_to: str | None = None) -> list[dict[str, Any]]:
    """Due and overdue reminders of open opportunities up to `before` (inclusive): each
    opportunity's own reminder and its stage's reminder activities not yet done."""
    conditions = [Opportunity.workspace_id == workspace_id, _open_condition(workspace_id)]
    if assigned_to:
        conditions.append(Opportunity.assigned_to == assigned_to)
    with_reminder_activities = sa.select(SalesStage.id).where(
        SalesStage.workspace_id == workspace_id,
        SalesStage.activities.any(reminder=True))
    end_of_day = dt.datetime.combine(before + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)
    candidates = session.scalars(sa.select(Opportunity).where(
        *conditions,
        sa.or_(Opportunity.reminder_at < end_of_day,
               sa.and_(Opportunity.stage_id.in_(with_reminder_activities), Opportunity.stage_entered_on <= before)),
    ))
    items: list[dict[str, Any]] = []
    for o in candidates:
        if o.reminder_at is not None and o.reminder_at < end_of_day:
            items.append({"kind": "opportunity", "opportunity_id": o.id, "title": o.title, "activity_id": None,
                          "name": o.title, "due": o.reminder_at.date(), "due_at": o.reminder_at,
                          "overdue": o.reminder_at.date() < today, "assigned_to": o.assigned_to})
        for item in checklist(o):
            if item["due_date"] is not None and not item["done"] and item["due_date"] <= before:
                items.append({"kind": "activity", "opportunity_id": o.id, "title": o.title,
                              "activity_id": item["activity_id"], "name": item["name"], "due": item["due_date"],
                              "due_at": None, "overdue": item["due_date"] < today, "assigned_to": o.assigned_to})
    items.sort(key=lambda r: (r["due"], r["title"], r["name"]))
    return items
