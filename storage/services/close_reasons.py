"""Won and lost by reason and by competitor: why deals close the way they do.

A closed deal (Closed Won or Closed Lost, by the stage's outcome) counts under its close reason (a value of
the workspace's close_reason list, or none) and under each competitor its Competitors field names.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.models import ListValue, Opportunity, SalesStage

from .crm import cents_to_money

# Competitors is free text: people write "Contoso, Fabrikam", "Contoso; Fabrikam" or one per line.
COMPETITOR_SEPARATORS = re.compile(r"[,;\n\r]+")


def competitor_names(text: str | None) -> list[str]:
    """The competitors a Competitors field names, in order, each once (case does not matter)."""
    seen: dict[str, str] = {}
    for part in COMPETITOR_SEPARATORS.split(text or ""):
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


@dataclass
class Tally:
    name: str | None
    won_count: int = 0
    won_cents: int = 0
    lost_count: int = 0
    lost_cents: int = 0
    order: tuple = field(default=(), compare=False)

    def add(self, outcome: str, cents: int) -> None:
        if outcome == "won":
            self.won_count += 1
            self.won_cents += cents
        else:
            self.lost_count += 1
            self.lost_cents += cents

    def row(self) -> dict[str, Any]:
        return {"name": self.name, "won_count": self.won_count, "won_total": cents_to_money(self.won_cents),
                "lost_count": self.lost_count, "lost_total": cents_to_money(self.lost_cents)}


def close_reasons(session: so.Session, workspace_id: str, start: dt.date | None = None, end: dt.date | None = None,
                  assigned_to: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Closed deals whose close date is within [start, end] (either open-ended), counted and summed per
    close reason (in the list's order, values since removed from the list after, "no reason" last) and
    per competitor (most deals first)."""
    conditions = [Opportunity.workspace_id == workspace_id, SalesStage.outcome.is_not(None)]
    if start is not None:
        conditions.append(Opportunity.close_date >= start)
    if end is not None:
        conditions.append(Opportunity.close_date <= end)
    if assigned_to:
        conditions.append(Opportunity.assigned_to == assigned_to)
    rows = session.execute(
        sa.select(SalesStage.outcome, Opportunity.close_reason, Opportunity.competitors,
                  sa.type_coerce(Opportunity.total, sa.BigInteger))  # integer cents: exact sums
        .join(SalesStage, SalesStage.id == Opportunity.stage_id).where(*conditions))
    positions = {value: (0 if active else 1, position) for value, active, position in session.execute(
        sa.select(ListValue.value, ListValue.active, ListValue.position)
        .where(ListValue.workspace_id == workspace_id, ListValue.list_name == "close_reason"))}
    reasons: dict[str | None, Tally] = {}
    competitors: dict[str, Tally] = {}
    for outcome, reason, competitor_text, cents in rows:
        cents = int(cents or 0)
        if reason not in reasons:
            order = (2, 0, "") if reason is None else (*positions.get(reason, (1, 1_000_000)), reason.casefold())
            reasons[reason] = Tally(reason, order=order)
        reasons[reason].add(outcome, cents)
        for name in competitor_names(competitor_text):
            competitors.setdefault(name.casefold(), Tally(name)).add(outcome, cents)
    by_reason = sorted(reasons.values(), key=lambda t: t.order)
    by_competitor = sorted(competitors.values(),
                           key=lambda t: (-(t.won_count + t.lost_count), (t.name or "").casefold()))
    return {"reasons": [t.row() for t in by_reason], "competitors": [t.row() for t in by_competitor]}

