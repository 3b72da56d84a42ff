"""Records to the JSON shapes of API.md. Built through the response models, so what we send
is what the OpenAPI document says."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from storage.models import Account, Contact, HistoryItem, MarketingActivity, Opportunity, Product, Workspace
from storage.services.opportunities import checklist
from storage.services.pane_context import OpportunityRow

from . import schemas as s


def money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def plain_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def dump(model) -> dict[str, Any]:
    return model.model_dump(mode="json")


def account(a: Account) -> dict[str, Any]:
    return dump(s.AccountOut(
        id=a.id, name=a.name, email_domains=a.email_domains, phone=a.phone, web_site=a.web_site, address=a.address,
        categories=a.category_names, created_at=a.created_at, updated_at=a.updated_at, version=a.version,
    ))


def contact(c: Contact, account_name: str | None = None) -> dict[str, Any]:
    return dump(s.ContactOut(
        id=c.id, display_name=c.display_name, email_addresses=c.email_addresses, account_id=c.account_id,
        account_name=account_name, job_title=c.job_title, phone=c.phone, categories=c.category_names,
        created_at=c.created_at, updated_at=c.updated_at, version=c.version,
    ))


def marketing_activity(m: MarketingActivity, results: dict[str, Any] | None = None) -> dict[str, Any]:
    results = results or {}
    return dump(s.MarketingActivityOut(
        id=m.id, name=m.name, kind=m.kind, start_date=m.start_date, end_date=m.end_date,
        opportunity_count=results.get("opportunity_count"), won_count=results.get("won_count"),
        pipeline_total=money(results["pipeline_total"]) if results else None,
        won_total=money(results["won_total"]) if results else None,
        created_at=m.created_at, updated_at=m.updated_at, version=m.version,
    ))


def product(p: Product) -> dict[str, Any]:
    return dump(s.ProductOut(
        id=p.id, name=p.name, description=p.description, unit_price=money(p.unit_price),
        created_at=p.created_at, updated_at=p.updated_at, version=p.version,
    ))


def link(o: Opportunity) -> s.LinkOut:
    record = o.link_account if o.link_account_id else o.link_contact
    name = (record.name if o.link_account_id else record.display_name) if record is not None else ""
    return s.LinkOut(type=o.link_type, id=o.link_id, name=name)


def opportunity(o: Opportunity, workspace: Workspace) -> dict[str, Any]:
    return dump(s.OpportunityOut(
        id=o.id, title=o.title, assigned_to=o.assigned_to,
        assigned_to_name=(o.assignee.display_name or o.assignee.email) if o.assignee else None,
        type=o.type, link=link(o), probability=o.probability, expected_revenue=money(o.expected_revenue),
        total=money(o.total), currency=workspace.currency, close_date=o.close_date, payment_terms=o.payment_terms,
        expiration_date=o.expiration_date, delivery_date=o.delivery_date,
        lines=[s.LineOut(id=l.id, product_id=l.product_id, name=l.name, description=l.description,
                         quantity=plain_decimal(l.quantity), unit_price=money(l.unit_price),
                         discount_percent=plain_decimal(l.discount_percent), amount=money(l.amount))
               for l in o.lines],
        source=o.source,
        initiated_by=s.InitiatorOut(type=o.initiated_by_type, id=o.initiated_by_id) if o.initiated_by_type else None,
        competitors=o.competitors, close_reason=o.close_reason, stage_id=o.stage_id,
        stage_name=o.stage.name if o.stage else None, status=o.status,
        activities=[s.ChecklistItemOut(**item) for item in checklist(o)],
        reminder_at=o.reminder_at, comments=o.comments or "", categories=o.category_names, read_only=o.read_only,
        projects=[s.ProjectRef(id=p.id, name=p.name) for p in o.projects],
        created_at=o.created_at, updated_at=o.updated_at, version=o.version,
    ))


def opportunity_summary(o: Opportunity) -> s.OpportunitySummary:
    return s.OpportunitySummary(
        id=o.id, title=o.title, link=link(o), stage_id=o.stage_id, stage_name=o.stage.name if o.stage else None,
        status=o.status, probability=o.probability, total=money(o.total), expected_revenue=money(o.expected_revenue),
        close_date=o.close_date, assigned_to=o.assigned_to,
    )


def opportunity_row_summary(o: OpportunityRow) -> dict[str, Any]:
    """The same OpportunitySummary from the pane context's rows (storage/services/pane_context.py), built
    as a plain dict: that call is the hot path, and a test checks its answers against the schema."""
    return {"id": o.id, "title": o.title, "link": {"type": o.link_type, "id": o.link_id, "name": o.link_name},
            "stage_id": o.stage_id, "stage_name": o.stage_name, "status": o.status, "probability": o.probability,
            "total": money(o.total), "expected_revenue": money(o.expected_revenue),
            "close_date": o.close_date.isoformat() if o.close_date else None, "assigned_to": o.assigned_to}


def history_item(h: HistoryItem) -> dict[str, Any]:
    graph = None
    if h.graph_id or h.internet_message_id:
        graph = s.GraphRefOut(id=h.graph_id, internet_message_id=h.internet_message_id, web_link=h.web_link,
                              change_key=h.change_key)
    return dump(s.HistoryOut(
        id=h.id, kind=h.kind, subject=h.subject, occurred_at=h.occurred_at, summary=h.summary, body=h.body,
        duration_minutes=h.duration_minutes, direction=h.direction, due_date=h.due_date, done=h.done,
        file={"name": h.file_name, "url": h.file_url} if h.kind == "file" else None,
        graph=graph, links=[s.RecordRef(type=l.record_type, id=l.record_id) for l in h.links if not l.suppressed],
        removed_in_mailbox=h.removed_in_mailbox, cancelled=bool(h.cancelled), created_at=h.created_at,
        attachments=[{k: a.get(k) for k in ("id", "name", "size", "content_type", "is_inline")} for a in h.attachments]
        if h.kind == "email" and h.attachments is not None else None,
        version=h.version,
    ))
