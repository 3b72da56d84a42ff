"""Opportunities: the rules of BCM's opportunity record, enforced for API, CLI and sync alike."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage import limits
from storage.errors import Conflict, DomainError, Forbidden, RuleViolation
from storage.i18n import Text, _
from storage.models import (
    Account, ChecklistMark, Contact, MarketingActivity, Member, Opportunity, OpportunityLine, Product, SalesStage,
    User,
)
from storage.types import MAX_MONEY, MAX_PERCENT, MAX_QUANTITY, round_money, utcnow

from .changes import record_differences, snapshot
from .crm import check_money, resolve_categories
from .records import find_record, get_record, not_of_workspace
from .validation import Problems, optional_text, require_text
from .workspaces import list_values

HUNDRED = Decimal(100)
OUTCOME_PROBABILITY = {"won": 100, "lost": 0}
LIST_FIELDS = ("type", "payment_terms", "source")
# Why a deal was won or lost: a value of the close_reason list, given when it is closed (or later, on its
# own, on a closed record); kept when the deal is reopened, so the next close starts from it.
CLOSE_REASON = "close_reason"
DATE_FIELDS = ("close_date", "expiration_date", "delivery_date")
INITIATOR_CLASSES = {"account": Account, "contact": Contact, "marketing_activity": MarketingActivity}


@dataclass
class LineInput:
    id: str | None = None
    product_id: str | None = None
    name: str | None = None
    description: str | None = None
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal(0)


def line_amount(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """quantity × unit price × (1 − discount/100), half-up to cents."""
    return round_money(quantity * unit_price * (1 - discount_percent / HUNDRED))


def expected_revenue(total: Decimal, probability: int) -> Decimal:
    return round_money(total * probability / HUNDRED)


def get_opportunity(session: so.Session, workspace_id: str, opportunity_id: str) -> Opportunity:
    return get_record(session, Opportunity, workspace_id, opportunity_id)


def create_opportunity(session: so.Session, member: Member, data: dict[str, Any], today: dt.date | None = None) -> Opportunity:
    """A new opportunity; the workspace's default stage when none is given, assigned to
    its creator unless said otherwise."""
    opportunity = Opportunity(workspace_id=member.workspace_id, created_by=member.user_id, comments="")
    data = dict(data)
    data.setdefault("assigned_to", member.user_id)
    if "stage_id" not in data:
        default = session.scalar(
            sa.select(SalesStage.id).where(SalesStage.workspace_id == member.workspace_id, SalesStage.is_default.is_(True))
        )
        data["stage_id"] = default
    _apply(session, opportunity, data, creating=True, today=today or dt.date.today())
    session.add(opportunity)
    session.flush()
    return opportunity


def update_opportunity(session: so.Session, opportunity: Opportunity, changes: dict[str, Any],
                       today: dt.date | None = None, actor_id: str | None = None) -> Opportunity:
    # A closed record is read-only, but its close reason may still be given or corrected on its own.
    if not (opportunity.read_only and changes and set(changes) == {CLOSE_REASON}):
        refuse_if_read_only(opportunity)
    before = snapshot(opportunity)
    _apply(session, opportunity, changes, creating=False, today=today or dt.date.today())
    so.attributes.flag_modified(opportunity, "workspace_id")  # version and updated_at move
    record_differences(session, opportunity, before, actor_id)
    session.flush()
    return opportunity


def delete_opportunity(session: so.Session, opportunity: Opportunity) -> None:
    refuse_if_read_only(opportunity)
    session.delete(opportunity)
    session.flush()


def refuse_if_read_only(opportunity: Opportunity) -> None:
    if opportunity.read_only:
        raise Conflict(_("This opportunity is Closed Won and read-only; reopen it to change it.")
                       if opportunity.status == "won" else
                       _("This opportunity is Closed Lost and read-only; reopen it to change it."))


def _apply(session: so.Session, opp: Opportunity, data: dict[str, Any], *, creating: bool, today: dt.date) -> None:
    problems = Problems()
    ws = opp.workspace_id

    if creating or "title" in data:
        opp.title = require_text(problems, "title", data.get("title"))
    if creating or "link" in data:
        _apply_link(session, opp, data.get("link"), problems)
    if "assigned_to" in data:
        user_id = data["assigned_to"]
        if user_id is not None and session.get(Member, (ws, user_id)) is None:
            problems.add("assigned_to", _("must be a member of the workspace"))
        opp.assigned_to = user_id
    for field in LIST_FIELDS:
        if field in data:
            value = optional_text(problems, field, data[field], limits.LIST_VALUE)
            if value is not None and value != getattr(opp, field) and value not in list_values(session, ws, field):
                problems.add(field, not_a_list_value(field, value))
            setattr(opp, field, value)
    for field in DATE_FIELDS:
        if field in data:
            setattr(opp, field, data[field])
    if "competitors" in data:
        opp.competitors = optional_text(problems, "competitors", data["competitors"], limits.DESCRIPTION)
    if "comments" in data:
        opp.comments = optional_text(problems, "comments", data["comments"], limits.LONG_TEXT) or ""
    if "reminder_at" in data:
        reminder = data["reminder_at"]
        if reminder is not None and reminder.tzinfo is None:
            problems.add("reminder_at", _("needs a time zone offset"))
        elif reminder is not None:
            reminder = reminder.astimezone(dt.timezone.utc)  # stored and answered in UTC
        opp.reminder_at = reminder
    if "initiated_by" in data:
        _apply_initiator(session, opp, data["initiated_by"], problems)
    if "categories" in data:
        opp.categories = resolve_categories(session, ws, data["categories"] or [], problems)
    if "lines" in data:
        _apply_lines(session, opp, data["lines"] or [], problems)

    stage_changed = False
    if "stage_id" in data and (creating or data["stage_id"] != opp.stage_id):
        stage_id = data["stage_id"]
        stage = find_record(session, SalesStage, ws, stage_id) if stage_id else None
        if stage_id and stage is None:
            problems.add("stage_id", _("is not a sales stage of this workspace"))
        else:
            opp.stage_id, opp.stage = (stage.id if stage else None), stage
            opp.stage_entered_on = today
            stage_changed = True
    if "probability" in data:
        if data["probability"] is None:
            problems.add("probability", _("must be a number between %(low)s and %(high)s", low=0, high=100))
        else:
            opp.probability = data["probability"]
    elif creating:
        opp.probability = 0
    if opp.probability is not None and not 0 <= opp.probability <= 100:
        problems.add("probability", _("must be between %(low)s and %(high)s", low=0, high=100))
    if stage_changed and opp.stage is not None and opp.stage.outcome:
        forced = OUTCOME_PROBABILITY[opp.stage.outcome]
        if "probability" in data and data["probability"] != forced:
            problems.add("probability", _("is %(probability)s for a %(stage)s opportunity", probability=forced,
                                          stage=opp.stage.name))
        opp.probability = forced
        if "close_date" not in data:
            opp.close_date = today  # once closed, the close date is the actual one
    if CLOSE_REASON in data:
        _apply_close_reason(session, opp, data[CLOSE_REASON], problems)
    if "activities" in data:
        _apply_checklist(opp, data["activities"] or [], problems)

    problems.raise_if_any()
    recompute_totals(opp)


def _apply_close_reason(session: so.Session, opp: Opportunity, given: Any, problems: Problems) -> None:
    """A value of the close_reason list, for a deal that is (being) closed; null clears it. An open deal
    keeps the reason of its last close (sent back unchanged, it is accepted) but cannot be given a new one."""
    value = optional_text(problems, CLOSE_REASON, given, limits.LIST_VALUE)
    if value is None or value == opp.close_reason:
        opp.close_reason = value
        return
    if opp.stage is None or not opp.stage.outcome:
        problems.add(CLOSE_REASON, _("can be given only when the opportunity is closed (won or lost)"))
    elif value not in list_values(session, opp.workspace_id, CLOSE_REASON):
        problems.add(CLOSE_REASON, not_a_list_value(CLOSE_REASON, value))
    else:
        opp.close_reason = value


def not_a_list_value(field: str, value: str) -> Text:
    """A value that is not one of the Type, Payment terms, Source or Close reason list's (also the CSV
    import's message)."""
    if field == "type":
        return _("'%(value)s' is not a value of the type list", value=value)
    if field == "payment_terms":
        return _("'%(value)s' is not a value of the payment terms list", value=value)
    if field == CLOSE_REASON:
        return _("'%(value)s' is not a value of the close reason list", value=value)
    return _("'%(value)s' is not a value of the source list", value=value)


def _apply_link(session: so.Session, opp: Opportunity, link: dict | None, problems: Problems) -> None:
    if not link:
        problems.add("link", _("is required: one account or one business contact"))
        return
    kind, record_id = link.get("type"), link.get("id")
    cls = {"account": Account, "contact": Contact}.get(kind)
    if cls is None:
        problems.add("link.type", _("must be account or contact"))
        return
    if find_record(session, cls, opp.workspace_id, record_id) is None:
        problems.add("link.id", not_of_workspace(kind))
        return
    opp.link_account_id = record_id if kind == "account" else None
    opp.link_contact_id = record_id if kind == "contact" else None
    # keep the loaded relationships in step with the ids for the response
    opp.link_account = session.get(Account, record_id) if kind == "account" else None
    opp.link_contact = session.get(Contact, record_id) if kind == "contact" else None


def _apply_initiator(session: so.Session, opp: Opportunity, initiator: dict | None, problems: Problems) -> None:
    if not initiator:
        opp.initiated_by_type = opp.initiated_by_id = None
        return
    kind, record_id = initiator.get("type"), initiator.get("id")
    cls = INITIATOR_CLASSES.get(kind)
    if cls is None:
        problems.add("initiated_by.type", _("must be account, contact or marketing_activity"))
    elif find_record(session, cls, opp.workspace_id, record_id) is None:
        problems.add("initiated_by.id", not_of_workspace(kind))
    else:
        opp.initiated_by_type, opp.initiated_by_id = kind, record_id


def _apply_lines(session: so.Session, opp: Opportunity, lines: list[LineInput], problems: Problems) -> None:
    """The product/service lines become exactly `lines`: ids keep their line, new ones are added,
    missing ones removed."""
    current = {line.id: line for line in opp.lines}
    result: list[OpportunityLine] = []
    for i, given in enumerate(lines):
        field = f"lines[{i}]"
        line = current.pop(given.id, None) if given.id else None
        if given.id and line is None:
            problems.add(f"{field}.id", _("is not a line of this opportunity"))
            continue
        product = None
        if given.product_id:
            product = find_record(session, Product, opp.workspace_id, given.product_id)
            if product is None:
                problems.add(f"{field}.product_id", not_of_workspace("product"))
                continue
        name = optional_text(problems, f"{field}.name", given.name, limits.NAME) or (product.name if product else None)
        if name is None:
            problems.add(f"{field}.name", _("is required for a line without a product"))
            continue
        price = given.unit_price if given.unit_price is not None else (product.unit_price if product else None)
        if price is None:
            problems.add(f"{field}.unit_price", _("is required for a line without a product"))
            continue
        check_money(problems, f"{field}.unit_price", price)
        _check_places(problems, f"{field}.quantity", given.quantity, 3, MAX_QUANTITY)
        _check_places(problems, f"{field}.discount_percent", given.discount_percent, 2, MAX_PERCENT)
        if problems:
            continue
        amount = line_amount(given.quantity, price, given.discount_percent)
        if amount > MAX_MONEY:  # each factor is in bounds, their product need not be
            problems.add(f"{field}.quantity",
                         _("quantity × unit price comes to %(amount)s; a line may be at most %(limit)s",
                           amount=amount, limit=MAX_MONEY))
            continue
        line = line or OpportunityLine()
        line.product_id = product.id if product else None
        line.name, line.description = name, optional_text(problems, f"{field}.description", given.description, limits.DESCRIPTION)
        line.quantity, line.unit_price, line.discount_percent = given.quantity, price, given.discount_percent
        line.amount = amount
        line.position = i
        result.append(line)
    total = sum((line.amount for line in result), Decimal(0))
    if not problems and total > MAX_MONEY:
        problems.add("lines", _("the lines add up to %(total)s; an opportunity's total may be at most %(limit)s",
                                total=total, limit=MAX_MONEY))
    if not problems:
        opp.lines = result


def _check_places(problems: Problems, field: str, value: Decimal, places: int, maximum: Decimal) -> None:
    if not value.is_finite():
        problems.add(field, _("must be a number"))
    elif value.as_tuple().exponent < -places:  # type: ignore[operator]
        problems.add(field, _("must have at most %(places)s decimal places", places=places))
    elif value < 0:
        problems.add(field, _("must not be negative"))
    elif value > maximum:
        problems.add(field, _("must be at most %(limit)s", limit=maximum))


def _apply_checklist(opp: Opportunity, marks: list[dict], problems: Problems) -> None:
    """Tick or untick activities of the current stage's checklist."""
    stage_activities = {a.id for a in opp.stage.activities} if opp.stage else set()
    done = {m.activity_id: m for m in opp.checklist}
    for i, mark in enumerate(marks):
        activity_id = mark.get("activity_id")
        if activity_id not in stage_activities:
            problems.add(f"activities[{i}].activity_id", _("is not an activity of the opportunity's current stage"))
            continue
        if mark.get("done") and activity_id not in done:
            opp.checklist.append(ChecklistMark(activity_id=activity_id, done_at=utcnow()))
        elif not mark.get("done") and activity_id in done:
            opp.checklist.remove(done.pop(activity_id))


def recompute_totals(opp: Opportunity) -> None:
    opp.total = round_money(sum((line.amount for line in opp.lines), Decimal(0)))
    opp.expected_revenue = expected_revenue(opp.total, opp.probability)


def checklist(opp: Opportunity) -> list[dict[str, Any]]:
    """The current stage's activities with done marks and, for reminder activities, due
    dates: the day the stage was entered plus the durations up to and including this one."""
    if opp.stage is None:
        return []
    done = {m.activity_id for m in opp.checklist}
    result, elapsed = [], 0
    for activity in opp.stage.activities:
        elapsed += activity.duration_days
        due = None
        if activity.reminder and opp.stage_entered_on is not None:
            due = opp.stage_entered_on + dt.timedelta(days=elapsed)
        result.append({"activity_id": activity.id, "name": activity.name, "done": activity.id in done, "due_date": due})
    return result


# ---- closing, reopening, assigning -----------------------------------------------------

def closing_stage(session: so.Session, workspace_id: str, outcome: str) -> SalesStage:
    return session.scalars(
        sa.select(SalesStage).where(SalesStage.workspace_id == workspace_id, SalesStage.outcome == outcome)
    ).one()


def close_opportunity(session: so.Session, opp: Opportunity, outcome: str, close_date: dt.date | None,
                      today: dt.date | None = None, actor_id: str | None = None,
                      close_reason: str | None = None) -> Opportunity:
    stage = closing_stage(session, opp.workspace_id, outcome)
    changes: dict[str, Any] = {"stage_id": stage.id}
    if close_date is not None:
        changes["close_date"] = close_date
    if close_reason is not None:
        changes[CLOSE_REASON] = close_reason
    return update_opportunity(session, opp, changes, today=today, actor_id=actor_id)


def reopen_opportunity(session: so.Session, member: Member, opp: Opportunity, stage_id: str | None,
                       probability: int | None, today: dt.date | None = None) -> Opportunity:
    """Put a closed opportunity back in an open stage (owner or assignee only)."""
    if member.role != "owner" and opp.assigned_to != member.user_id:
        raise Forbidden(_("Only an owner of the workspace or the person it is assigned to may reopen it."))
    if not opp.read_only:
        raise Conflict(_("This opportunity is open already."))
    before = snapshot(opp)
    stage = find_record(session, SalesStage, opp.workspace_id, stage_id) if stage_id else None
    if stage is None or stage.outcome is not None:
        raise RuleViolation.on("stage_id", _("must be an open sales stage of this workspace"))
    opp.stage_id, opp.stage = stage.id, stage
    opp.stage_entered_on = today or dt.date.today()
    if probability is not None:
        if not 0 <= probability <= 100:
            raise RuleViolation.on("probability", _("must be between %(low)s and %(high)s", low=0, high=100))
        opp.probability = probability
    recompute_totals(opp)
    so.attributes.flag_modified(opp, "workspace_id")
    record_differences(session, opp, before, member.user_id)
    session.flush()
    return opp


@dataclass(frozen=True)
class BulkFailure:
    """A record a bulk change left as it was, and the domain error that says why (the API gives it the
    status addin/errors.py maps the error's class to)."""

    id: str
    error: DomainError


@dataclass
class BulkResult:
    updated: list[str]
    failed: list[BulkFailure]


def bulk_apply(session: so.Session, workspace_id: str, ids: list[str], change) -> BulkResult:
    """Apply `change(opportunity)` to each record in its own savepoint: a record is changed
    whole or not at all, and one failure does not stop the others."""
    result = BulkResult([], [])
    for record_id in dict.fromkeys(ids):
        savepoint = session.begin_nested()
        try:
            change(get_opportunity(session, workspace_id, record_id))
            savepoint.commit()
            result.updated.append(record_id)
        except DomainError as error:
            savepoint.rollback()
            result.failed.append(BulkFailure(record_id, error))
    return result


def check_close_reason(session: so.Session, workspace_id: str, value: str | None) -> None:
    """A bulk close's reason, checked once for all its records."""
    if value is not None and value not in list_values(session, workspace_id, CLOSE_REASON):
        raise RuleViolation.on(CLOSE_REASON, not_a_list_value(CLOSE_REASON, value))


def check_assignee(session: so.Session, workspace_id: str, user_id: str | None) -> None:
    if user_id is not None and session.get(Member, (workspace_id, user_id)) is None:
        raise RuleViolation.on("assigned_to", _("must be a member of the workspace"))


# ---- comments ------------------------------------------------------------------------------

def append_comment(opp: Opportunity, user: User, text: str | None, timestamp: bool, time_zone: str | None,
                   now: dt.datetime | None = None) -> Opportunity:
    """BCM's "Add time stamp": a new paragraph, headed with the date, time and author."""
    refuse_if_read_only(opp)
    problems = Problems()
    text = require_text(problems, "text", text, limits.COMMENT)
    zone_name = time_zone or user.time_zone or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("time_zone", _("'%(zone)s' is not a known time zone", zone=zone_name))
        zone = None
    problems.raise_if_any()
    if timestamp:
        local = (now or utcnow()).astimezone(zone)
        text = f"{local:%Y-%m-%d %H:%M} {local.tzname()} {user.display_name or user.email}: {text}"
    opp.comments = f"{opp.comments}\n\n{text}" if opp.comments else text
    so.attributes.flag_modified(opp, "workspace_id")
    return opp
