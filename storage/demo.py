"""The demo workspace `dealpane demo` starts with: a small sales team's realistic data, in English
(`--lang en`, the default: the "Demo" workspace, American companies, USD) or in French (`--lang fr`:
the « Démo » workspace, French companies and people, EUR, the default stages and lists in French).

Built through the service functions, so the demo obeys every rule real data does.
Seeding is idempotent: a database that has the language's demo workspace is left as it is.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.i18n import SOURCE_LANGUAGE, word
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
# title, link (kind, index), stage, probability, close in days, lines [(product index, qty, discount)], type, source.
# Stages, types and sources are the default ones' msgids (storage.services.workspaces): the workspace
# has them in its language (storage.i18n.word).
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

# The French demo: invented French companies and people. Their telephone numbers are in the ranges ARCEP
# keeps for fiction (01 99 00, 03 53 01, 04 65 71, 05 36 49), their domains under the reserved
# `.example` top-level domain (RFC 2606), so none of them reaches anyone.
ACCOUNTS_FR = [
    ("Maison Lefèvre SA", ["lefevre.example"], "+33 1 99 00 12 34", "https://www.lefevre.example",
     "12 rue de la Paix, 75002 Paris"),
    ("Cycles Durand", ["cycles-durand.example"], "+33 4 65 71 20 45", "https://cycles-durand.example",
     "8 quai Saint-Vincent, 69001 Lyon"),
    ("Transports Moreau & Fils", ["moreau-transports.example"], "+33 5 36 49 30 12",
     "https://moreau-transports.example", "45 allée Jean-Jaurès, 31000 Toulouse"),
    ("Jouets Bertin", ["jouets-bertin.example"], "+33 3 53 01 44 70", "https://jouets-bertin.example",
     "3 place Kléber, 67000 Strasbourg"),
    ("Vignobles Rousseau", ["vignobles-rousseau.example"], "+33 5 36 49 81 07", "https://vignobles-rousseau.example",
     "Route des Châteaux, 33250 Pauillac"),
]
CONTACTS_FR = [
    ("Camille Lefèvre", "camille.lefevre@lefevre.example", 0, "Responsable des achats"),
    ("Julien Mercier", "julien.mercier@lefevre.example", 0, "Directeur financier"),
    ("Sophie Durand", "sophie.durand@cycles-durand.example", 1, "Cheffe de produit"),
    ("Thomas Moreau", "thomas.moreau@moreau-transports.example", 2, "Directeur des opérations"),
    ("Nadia Benali", "nadia.benali@jouets-bertin.example", 3, "Directrice des systèmes d’information"),
    ("Élise Rousseau", "elise.rousseau@vignobles-rousseau.example", 4, "Gérante"),
    ("Antoine Girard", "antoine.girard@outlook.com", None, "Consultant indépendant"),
]
PRODUCTS_FR = [
    ("Licence Dealpane Équipe (par utilisateur et par an)", "Abonnement pour un commercial", Decimal("220.00")),
    ("Atelier de prise en main", "Une journée sur site", Decimal("1400.00")),
    ("Reprise des données de BCM", "Comptes, contacts, opportunités et historique", Decimal("2900.00")),
    ("Support premium (un an)", "Délai de réponse de quatre heures", Decimal("1650.00")),
    ("Pack de rapports personnalisés", "Cinq rapports sur mesure", Decimal("890.00")),
]
OPPORTUNITIES_FR = [
    ("Maison Lefèvre – 50 postes", ("account", 0), "Proposal", 60, 21, [(0, 50, 10), (1, 2, 0)], "New business",
     "Trade show"),
    ("Maison Lefèvre – reprise des données BCM", ("contact", 1), "Negotiation", 80, 10, [(2, 1, 0)], "New business",
     "Referral"),
    ("Cycles Durand – projet pilote", ("account", 1), "Qualification", 30, 45, [(0, 10, 0)], "New business", "Web site"),
    ("Cycles Durand – renouvellement du support", ("contact", 2), "Prospecting", 20, 90, [(3, 1, 0)], "Renewal",
     "E-mail campaign"),
    ("Transports Moreau – déploiement national", ("account", 2), "Needs Analysis", 40, 60,
     [(0, 120, 15), (1, 4, 0), (4, 1, 0)], "New business", "Cold call"),
    ("Transports Moreau – rapports", ("contact", 3), "Proposal", 50, 30, [(4, 2, 5)], "Existing business", "Referral"),
    ("Jouets Bertin – licences pour l’équipe", ("account", 3), "Negotiation", 75, 14, [(0, 25, 5)], "New business",
     "Advertisement"),
    ("Jouets Bertin – atelier", ("contact", 4), "Prospecting", 10, 120, [(1, 1, 0)], "Existing business", "Web site"),
    ("Vignobles Rousseau – lancement à l’export", ("account", 4), "Qualification", 35, 75, [(0, 40, 10), (2, 1, 0)],
     "New business", "Trade show"),
    ("Antoine Girard – postes de conseil", ("contact", 6), "Proposal", 55, 25, [(0, 3, 0)], "New business", "Referral"),
    ("Maison Lefèvre – support premium", ("account", 0), "Closed Won", 100, -20, [(3, 1, 0)], "Existing business",
     "E-mail campaign"),
    ("Vignobles Rousseau – module d’analyse", ("contact", 5), "Closed Lost", 0, -35, [(4, 1, 0)], "New business",
     "Cold call"),
]


@dataclasses.dataclass(frozen=True)
class DemoData:
    """One language's demo: the workspace's name and currency and what it holds."""

    workspace: str
    currency: str
    accounts: list
    contacts: list
    products: list
    opportunities: list
    campaign: str
    campaign_kind: str
    key_account: str
    call_subject: str  # %(title)s: the opportunity's title
    call_body: str
    comments: dict[int, str] = dataclasses.field(default_factory=dict)  # opportunity index -> its comments


DEMOS = {
    "en": DemoData(DEMO_WORKSPACE, "USD", ACCOUNTS, CONTACTS, PRODUCTS, OPPORTUNITIES, "Spring trade show", "Trade show",
                   "Key account", "Call about %(title)s",
                   "Went through the proposal; they will come back after their budget meeting."),
    "fr": DemoData("Démo", "EUR", ACCOUNTS_FR, CONTACTS_FR, PRODUCTS_FR, OPPORTUNITIES_FR, "Salon de printemps",
                   "Salon professionnel", "Grand compte", "Appel au sujet de %(title)s",
                   "Proposition passée en revue ; ils reviendront vers nous après leur réunion budgétaire.",
                   {0: "Camille souhaite un déploiement en deux temps : le siège en janvier, les boutiques en mars.",
                    1: "Julien demande un devis ferme avant la fin du trimestre ; prévoir une remise de 5 %.",
                    4: "Appel d’offres en cours : deux concurrents consultés."}),
}
DEMO_LANGUAGES = tuple(DEMOS)
# The closed demo deals' close reasons (values of workspaces.DEFAULT_LISTS["close_reason"]) and competitors.
DEMO_CLOSE_REASONS = {"won": "Relationship", "lost": "Price"}
DEMO_COMPETITORS = {"won": "Northwind Traders", "lost": "Northwind Traders; Adatum"}


def demo_workspace(session: so.Session, language: str = SOURCE_LANGUAGE) -> Workspace | None:
    return session.scalar(
        sa.select(Workspace).join(Member).join(User).where(
            Workspace.name == DEMOS[language].workspace, User.email == DEMO_OWNER, Member.role == "owner")
    )


def seed_demo(session: so.Session, today: dt.date | None = None,
              language: str = SOURCE_LANGUAGE) -> tuple[Workspace, bool]:
    """The demo workspace of `language` ("en": Demo, "fr": Démo); created with its data the first time.
    Returns (workspace, created)."""
    demo = DEMOS[language]
    existing = demo_workspace(session, language)
    if existing is not None:
        return existing, False
    today = today or dt.date.today()
    owner = access.get_or_create_dev_user(session, DEMO_OWNER)
    owner.display_name = "Diego Siciliani"
    workspace = workspaces.create_workspace(session, owner, demo.workspace, demo.currency, language)
    owner_member = session.get(Member, (workspace.id, owner.id))
    colleague, _created = workspaces.add_member(session, owner_member, DEMO_COLLEAGUE, "member")
    colleague.user.display_name = "Alex Wilber"
    if language != SOURCE_LANGUAGE:
        # the demo team reads it in its language whatever the browser says (the language menu changes it)
        for user in (owner, colleague.user):
            user.language = user.language or language

    accounts = [
        crm.save_account(session, workspace.id, None, {"name": n, "email_domains": d, "phone": p, "web_site": w,
                                                       "address": a})
        for n, d, p, w, a in demo.accounts
    ]
    contacts = [
        crm.save_contact(session, workspace.id, None, {
            "display_name": n, "email_addresses": [e], "job_title": t,
            "account_id": accounts[i].id if i is not None else None})
        for n, e, i, t in demo.contacts
    ]
    products = [
        crm.save_product(session, workspace.id, None, {"name": n, "description": d, "unit_price": p})
        for n, d, p in demo.products
    ]
    campaign = crm.save_marketing_activity(session, workspace.id, None, {
        "name": demo.campaign, "kind": demo.campaign_kind, "start_date": today - dt.timedelta(days=60),
        "end_date": today - dt.timedelta(days=57)})
    stages = {s.name: s for s in session.scalars(sa.select(SalesStage).where(SalesStage.workspace_id == workspace.id))}

    for n, (title, (kind, index), stage_msgid, probability, days, lines, type_, source) in enumerate(demo.opportunities):
        target = accounts[index] if kind == "account" else contacts[index]
        stage = stages[word(stage_msgid, language)]
        data = {
            "title": title, "link": {"type": kind, "id": target.id}, "stage_id": stage.id,
            "close_date": today + dt.timedelta(days=days), "type": word(type_, language),
            "source": word(source, language), "payment_terms": word("Net 30", language),
            "assigned_to": owner.id if n % 3 else colleague.user_id,
            "lines": [opportunities.LineInput(product_id=products[p].id, quantity=Decimal(q),
                                              discount_percent=Decimal(d)) for p, q, d in lines],
            "categories": [demo.key_account] if n in (0, 4, 8) else [],
        }
        if n in demo.comments:
            data["comments"] = demo.comments[n]
        if stage.outcome is None:  # a closed stage sets its own probability (100 / 0)
            data["probability"] = probability
        if source == "Trade show":
            data["initiated_by"] = {"type": "marketing_activity", "id": campaign.id}
        if stage.outcome is not None:  # why it was won or lost (a value of the close_reason list)
            data["close_reason"] = word(DEMO_CLOSE_REASONS[stage.outcome], language)
            data["competitors"] = DEMO_COMPETITORS[stage.outcome]
        opportunity = opportunities.create_opportunity(session, owner_member, data, today=today)
        if n < 4:
            history.add_manual_item(session, opportunity, owner, {
                "kind": "phone_log", "subject": demo.call_subject % {"title": title}, "direction": "outgoing",
                "body": demo.call_body, "duration_minutes": 20,
                "occurred_at": dt.datetime.combine(today - dt.timedelta(days=3 + n), dt.time(14, 30),
                                                   tzinfo=dt.timezone.utc)})
    session.flush()
    return workspace, True
