"""The change log of opportunities: who changed stage, probability, amount, close date,
assignee or link, when, from what to what."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.models import Opportunity, OpportunityChange, User
from storage.paging import Page, keyset_page
from storage.types import utcnow

TRACKED = ("stage", "probability", "total", "close_date", "assigned_to", "link", "close_reason")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)[:500]


def snapshot(opportunity: Opportunity) -> dict[str, str | None]:
    """The tracked fields as text, to compare before and after a change."""
    return {
        "stage": opportunity.stage.name if opportunity.stage is not None else None,
        "probability": _text(opportunity.probability),
        "total": _text(opportunity.total),
        "close_date": _text(opportunity.close_date),
        "assigned_to": opportunity.assigned_to,
        "link": f"{opportunity.link_type}:{opportunity.link_id}" if opportunity.link_id else None,
        "close_reason": opportunity.close_reason,
    }


def record_differences(session: so.Session, opportunity: Opportunity, before: dict, actor_id: str | None) -> None:
    after = snapshot(opportunity)
    for field in TRACKED:
        if before.get(field) != after[field]:
            record_change(session, opportunity, actor_id, field, before.get(field), after[field])


def record_change(session: so.Session, opportunity: Opportunity, actor_id: str | None, field: str, old, new) -> None:
    session.add(OpportunityChange(
        opportunity_id=opportunity.id, user_id=actor_id, changed_at=utcnow(), field=field,
        old_value=_text(old), new_value=_text(new),
    ))


def change_log(session: so.Session, opportunity_id: str, cursor: str | None, limit: int) -> Page[OpportunityChange]:
    stmt = sa.select(OpportunityChange).where(OpportunityChange.opportunity_id == opportunity_id)
    return keyset_page(session, stmt, sort_key="-changed_at", column=OpportunityChange.changed_at,
                       id_column=OpportunityChange.id, descending=True, python_type=dt.datetime, cursor=cursor,
                       limit=limit)


def user_names(session: so.Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return {u.id: u.display_name or u.email for u in session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
