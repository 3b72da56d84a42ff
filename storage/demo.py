"""The demo workspace `dealpane demo` starts with: a small sales team's realistic data.

Built through the service functions, so the demo obeys every rule real data does.
Seeding is idempotent: a database that has the Demo workspace is left as it is.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.models import Member, SalesStage, User, Workspace
from storage.services import access, crm, history, opportunities, workspaces

DEMO_OWNER = "demo@contoso.com"
DEMO_COLLEAGUE = "alex.wilber@contoso.com"
DEMO_WORKSPACE = "Demo"

ACCOUNTS = [
    ("Fabrikam, Inc.", ["fabrikam.com"], "+1 425 555 0100", "https://www.fabrikam.com", "One Microsoft Way, Redmond, WA"),
    ("Adventure Works Cycles", ["adventure-works.com"], "+1 206 555 0142", "https://adventure-works.com", "Bothell, WA"),
    ("Northwind Traders", ["northwindtraders.com"], "+44 20 7946 0958", "https://northwindtraders.com", "London, UK"),
    ("Tailspin Toys", ["tailspintoys.com"], "+1 312 555 0199", "https://tailspintoys.com", "Chicago, IL"),
    ("Litware, Inc.", ["litware.com"], "+49 30 5555 0123", "https://litware.com", "Berlin, Germany"),
]
CONTACTS = [  # name, address, account index or None, job title
    ("Megan Bowen", "megan.bowen@fabrikam.com", 0, "Purchasing Manager"),
    ("Isaiah Langer", "isaiah.langer@fabrikam.com", 0, "CFO"),
    ("Lidia Holloway", "lidia.holloway@adventure-works.com", 1, "Product Manager"),
    ("Lee Gu", "lee.gu@northwindtraders.com", 2, "Head of Operations"),
    ("Pradeep Gupta", "pradeep.gupta@tailspintoys.com", 3, "IT Director"),
    ("Johanna Lorenz", "johanna.lorenz@litware.com", 4, "Managing Director"),
    ("Grady Archie", "grady.archie@outlook.com", None, "Independent consultant"),
]
PRODUCTS = [
    ("Dealpane Team licence (per user, year)", "Subscription for one salesperson", Decimal("240.00")),
    ("Onboarding workshop", "One day on site", Decimal("1500.00")),
    ("Data migration from BCM", "Accounts, contacts, opportunities and history", Decimal("3200.00")),
    ("Premium support (year)", "Four-hour response time", Decimal("1800.00")),
    ("Custom report pack", "Five custom reports", Decimal("950.00")),
]
# title, link (kind, index), stage name, probability, close in days, lines [(product index, qty, discount)], type, source
OPPORTUNITIES = [
    ("Fabrikam – 50 seats", ("account", 0), "Proposal", 60, 21, [(0, 50, 10), (1, 2, 0)], "New business", "Trade show"),
    ("Fabrikam – BCM migration", ("contact", 1), "Negotiation", 80, 10, [(2, 1, 0)], "New business", "Referral"),
    ("Adventure Works – pilot", ("account", 1), "Qualification", 30, 45, [(0, 10, 0)], "New business", "Web site"),
    ("Adventure Works – support renewal", ("contact", 2), "Prospecting", 20, 90, [(3, 1, 0)], "Renewal", "E-mail campaign"),
    ("Northwind – EMEA rollout", ("account", 2), "Needs Analysis", 40, 60, [(0, 120, 15), (1, 4, 0), (4, 1, 0)],
     "New business", "Cold call"),
    ("Northwind – reports", ("contact", 3), "Proposal", 50, 30, [(4, 2, 5)], "Existing business", "Referral"),
    ("Tailspin – team licences", ("account", 3), "Negotiation", 75, 14, [(0, 25, 5)], "New business", "Advertisement"),
    ("Tailspin – workshop", ("contact", 4), "Prospecting", 10, 120, [(1, 1, 0)], "Existing business", "Web site"),
    ("Litware – Germany launch", ("account", 4), "Qualification", 35, 75, [(0, 40, 10), (2, 1, 0)], "New business",
     "Trade show"),
    ("Grady Archie – consulting seats", ("contact", 6), "Proposal", 55, 25, [(0, 3, 0)], "New business", "Referral"),
    ("Fabrikam – premium support", ("account", 0), "Closed Won", 100, -20, [(3, 1, 0)], "Existing business",
     "E-mail campaign"),
    ("Litware – analytics add-on", ("contact", 5), "Closed Lost", 0, -35, [(4, 1, 0)], "New business", "Cold call"),
]


def demo_workspace(session: so.Session) -> Workspace | None:
    return session.scalar(
        sa.select(Workspace).join(Member).join(User).where(
            Workspace.name == DEMO_WORKSPACE, User.email == DEMO_OWNER, Member.role == "owner")
    )


def seed_demo(session: so.Session, today: dt.date | None = None) -> tuple[Workspace, bool]:
    """The Demo workspace; created with its data the first time. Returns (workspace, created)."""
    existing = demo_workspace(session)
    if existing is not None:
        return existing, False
    today = today or dt.date.today()
    owner = access.get_or_create_dev_user(session, DEMO_OWNER)
    owner.display_name = "Diego Siciliani"
    workspace = workspaces.create_workspace(session, owner, DEMO_WORKSPACE, "USD")
    owner_member = session.get(Member, (workspace.id, owner.id))
    colleague, _ = workspaces.add_member(session, owner_member, DEMO_COLLEAGUE, "member")
    colleague.user.display_name = "Alex Wilber"

    accounts = [
        crm.save_account(session, workspace.id, None, {"name": n, "email_domains": d, "phone": p, "web_site": w,
                                                       "address": a})
        for n, d, p, w, a in ACCOUNTS
    ]
    contacts = [
        crm.save_contact(session, workspace.id, None, {
            "display_name": n, "email_addresses": [e], "job_title": t,
            "account_id": accounts[i].id if i is not None else None})
        for n, e, i, t in CONTACTS
    ]
    products = [
        crm.save_product(session, workspace.id, None, {"name": n, "description": d, "unit_price": p})
        for n, d, p in PRODUCTS
    ]
    campaign = crm.save_marketing_activity(session, workspace.id, None, {
        "name": "Spring trade show", "kind": "Trade show", "start_date": today - dt.timedelta(days=60),
        "end_date": today - dt.timedelta(days=57)})
    stages = {s.name: s for s in session.scalars(sa.select(SalesStage).where(SalesStage.workspace_id == workspace.id))}

    for n, (title, (kind, index), stage, probability, days, lines, type_, source) in enumerate(OPPORTUNITIES):
        target = accounts[index] if kind == "account" else contacts[index]
        data = {
            "title": title, "link": {"type": kind, "id": target.id}, "stage_id": stages[stage].id,
            "close_date": today + dt.timedelta(days=days), "type": type_, "source": source,
            "payment_terms": "Net 30", "assigned_to": owner.id if n % 3 else colleague.user_id,
            "lines": [opportunities.LineInput(product_id=products[p].id, quantity=Decimal(q),
                                              discount_percent=Decimal(d)) for p, q, d in lines],
            "categories": ["Key account"] if n in (0, 4, 8) else [],
        }
        if stage not in ("Closed Won", "Closed Lost"):
            data["probability"] = probability
        if source == "Trade show":
            data["initiated_by"] = {"type": "marketing_activity", "id": campaign.id}
        opportunity = opportunities.create_opportunity(session, owner_member, data, today=today)
        if n < 4:
            history.add_manual_item(session, opportunity, owner, {
                "kind": "phone_log", "subject": f"Call about {title}", "direction": "outgoing",
                "body": "Went through the proposal; they will come back after their budget meeting.",
                "duration_minutes": 20,
                "occurred_at": dt.datetime.combine(today - dt.timedelta(days=3 + n), dt.time(14, 30),
                                                   tzinfo=dt.timezone.utc)})
    session.flush()
    return workspace, True
