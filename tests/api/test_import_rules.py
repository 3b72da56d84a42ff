"""CSV import at scale (issue 16, "Import cost"): the rules it checks in memory are the services'
rules, the SQL it sends does not grow with the file, and the split modules keep their names."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from storage.errors import RuleViolation
from storage.models import Member, User
from storage.services import crm, transfer
from storage.services.opportunities import LineInput, create_opportunity
from storage.services.transfer.import_plan import Directory, Rules

from .conftest import MEMBER, OWNER

TODAY = dt.date(2030, 1, 15)


@pytest.fixture
def app(app):
    if "transfer" not in app.blueprints:
        from addin.api.transfer import bp  # noqa: PLC0415

        app.register_api(bp)
    return app


@pytest.fixture
def world(api, app):
    """The owner's Member row in a session of the app's database, with records to name."""
    account = api.make_account(name="Contoso", email_domains=["taken.example"])
    contact = api.make_contact(display_name="Megan Bowen")
    product = api.make_product(name="Seats", unit_price="240.00")
    factory = app.extensions["dealpane"].session_factory
    with factory() as session:
        owner_id = session.scalar(sa.select(User.id).where(User.email == OWNER))
        member = session.get(Member, (api.ws, owner_id))
        yield session, member, {"account": account["id"], "contact": contact["id"], "product": product["id"]}


def _service(session, call) -> list[tuple[str, str]]:
    savepoint = session.begin_nested()
    try:
        call()
        return []
    except RuleViolation as error:
        return [(e.field, e.message) for e in error.errors]
    finally:
        savepoint.rollback()


def _rules(session, member, kind, data) -> list[tuple[str, str]]:
    rules = Rules(Directory(session, member.workspace_id), member, TODAY)
    checked = getattr(rules, kind)(data)
    return [(e.field, e.message) for e in checked.problems.errors]


LONG = "x" * 100_000

ACCOUNT_CASES = [
    {"name": "Fine", "email_domains": ["fine.example"], "categories": ["Key", "key", "West"]},
    {"name": ""},
    {"name": "n" * 201, "phone": "1" * 51, "web_site": "w" * 501, "address": "a" * 2001},
    {"name": "Domains", "email_domains": ["not a domain", "gmail.com", "ok.example", "ok.example", "taken.example",
                                          LONG + ".com"]},
    {"name": "Categories", "categories": ["c" * 101, "Fine"]},
]
CONTACT_CASES = [
    {"display_name": "Fine", "email_addresses": ["a@b.example", "A@B.example"], "categories": ["VIP"]},
    {"display_name": None, "job_title": "j" * 201, "phone": "p" * 51},
    {"display_name": "Addresses", "email_addresses": ["bad", "a@b.example", LONG + "@a.example", "a@" + "." * 5000]},
    {"display_name": "No account", "account_id": "0" * 32},
]


def _opportunity_cases(ids, closed_won):
    link = {"type": "account", "id": ids["account"]}
    big = Decimal("999999999999.99")
    return [
        {"title": "Fine", "link": link, "type": "New business", "categories": ["Q1"], "probability": 40,
         "lines": [LineInput(product_id=ids["product"], quantity=Decimal("2")),
                   LineInput(name="Travel", unit_price=Decimal("99.50"), discount_percent=Decimal("10"))]},
        {"title": "", "link": None},
        {"title": "Lists", "link": link, "type": "Barter", "payment_terms": "Net 30", "source": "s" * 101,
         "competitors": LONG, "comments": "c" * 100_001},
        {"title": "Won", "link": link, "stage_id": closed_won, "probability": 50},
        {"title": "Won, no probability", "link": {"type": "contact", "id": ids["contact"]}, "stage_id": closed_won,
         "close_date": None},
        {"title": "Nobody", "link": {"type": "contact", "id": "0" * 32}, "assigned_to": "0" * 32,
         "initiated_by": {"type": "marketing_activity", "id": "0" * 32}, "stage_id": "0" * 32},
        {"title": "Reminder", "link": link, "reminder_at": dt.datetime(2030, 1, 1, 9, 30)},
        {"title": "Lines", "link": link, "lines": [
            LineInput(name="No price"), LineInput(name="Places", unit_price=Decimal("1.234")),
            LineInput(product_id=ids["product"], quantity=Decimal("1.2345"), discount_percent=Decimal("150")),
            LineInput(product_id="0" * 32)]},
        {"title": "Description", "link": link, "lines": [LineInput(name="D", unit_price=Decimal(1),
                                                                   description="d" * 4001)]},
        {"title": "Overflow", "link": link, "lines": [LineInput(name="A", unit_price=big, quantity=Decimal(2))]},
        {"title": "Sum", "link": link, "lines": [LineInput(name="A", unit_price=big), LineInput(name="B",
                                                                                              unit_price=big)]},
    ]


def test_the_import_checks_accounts_and_contacts_as_the_services_do(world):
    session, member, _ids = world
    for data in ACCOUNT_CASES:
        expected = _service(session, lambda: crm.save_account(session, member.workspace_id, None, data))
        assert _rules(session, member, "account", data) == expected, data
    for data in CONTACT_CASES:
        expected = _service(session, lambda: crm.save_contact(session, member.workspace_id, None, data))
        assert _rules(session, member, "contact", data) == expected, data
    assert _service(session, lambda: crm.save_account(session, member.workspace_id, None, ACCOUNT_CASES[0])) == []


def test_the_import_checks_opportunities_as_the_service_does(world, api):
    session, member, ids = world
    closed_won = api.stage("Closed Won")["id"]
    cases = _opportunity_cases(ids, closed_won)
    failing = 0
    for data in cases:
        expected = _service(session, lambda: create_opportunity(session, member, data, today=TODAY))
        assert _rules(session, member, "opportunity", data) == expected, data
        failing += bool(expected)
    assert failing == len(cases) - 2  # "Fine" and "Won, no probability" pass; every other case breaks a rule


def test_the_import_computes_what_the_service_stores(world, api):
    session, member, ids = world
    data = _opportunity_cases(ids, api.stage("Closed Won")["id"])[0]
    checked = Rules(Directory(session, member.workspace_id), member, TODAY).opportunity(data)
    savepoint = session.begin_nested()
    record = create_opportunity(session, member, data, today=TODAY)
    stored = {c: getattr(record, c) for c in checked.values if c != "comments"}
    lines = [(l.name, l.quantity, l.unit_price, l.discount_percent, l.amount, l.product_id) for l in record.lines]
    savepoint.rollback()
    assert {c: v for c, v in checked.values.items() if c != "comments"} == stored
    assert [(l["name"], l["quantity"], l["unit_price"], l["discount_percent"], l["amount"], l["product_id"])
            for l in checked.children] == lines


def test_a_domain_of_an_earlier_account_in_the_file_is_taken(api):
    text = "Account Name,E-mail Domains\r\nFirst,shared.example\r\nSecond,shared.example\r\n"
    report = api.ok(api.post("/import/accounts?dry_run=true", {"csv": text}))
    assert [r["status"] for r in report["records"]] == ["ok", "error"]
    assert report["records"][1]["errors"] == [
        {"row": 3, "column": "E-mail Domains", "message": "shared.example already belongs to the account First"}]


def test_a_new_category_named_by_many_rows_is_created_once(api):
    text = "Account Name,Categories\r\nA,Brand new; West\r\nB,brand NEW\r\nC,West\r\n"
    report = api.ok(api.post("/import/accounts", {"csv": text}))
    assert report["imported"] == 3
    accounts = {a["name"]: a["categories"] for a in api.ok(api.get("/accounts"))["items"]}
    assert accounts == {"A": ["Brand new", "West"], "B": ["Brand new"], "C": ["West"]}
    found = api.ok(api.get("/accounts", query_string={"q": "b"}))["items"]
    assert [a["name"] for a in found] == ["B"]  # the name search rows are written too


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue()


def _files(n: int) -> dict[str, str]:
    return {
        "accounts": _csv(["Account Name", "E-mail Domains", "Categories"],
                         [[f"Account {i}", f"a{i}.example", f"Key; Region {i}"] for i in range(n)]),
        "contacts": _csv(["Full Name", "E-mail Address", "Account", "Categories"],
                         [[f"Contact {i}", f"p{i}@a{i}.example", f"Account {i}", f"Team {i}"] for i in range(n)]),
        "opportunities": _csv(
            ["Opportunity ID", "Opportunity Title", "Link To Type", "Link To", "Assigned To", "Sales Stage",
             "Type", "Categories", "Initiated By Type", "Initiated By", "Product or Service", "Unit Price"],
            [[f"o{i // 2}", f"Deal {i // 2}", "Account", f"Account {i // 2}", MEMBER, "Proposal", "Renewal",
              f"Quarter {i // 2}", "Business Contact", f"Contact {i // 2}", "Seats" if i % 2 else "Travel", "10.00"]
             for i in range(n)]),
    }


def test_the_sql_an_import_sends_does_not_grow_with_the_file(api, app, engine):
    """100 and 1,000 rows of each kind, dry run and real, in new workspaces: the same number of
    statements sent to the database, counted per cursor execution (before: about 12 per record)."""
    factory = app.extensions["dealpane"].session_factory
    seen: list[str] = []

    def sent(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", sent)
    counts: dict[int, dict[str, int]] = {}
    try:
        for n in (100, 1000):
            owner = api.as_(OWNER)
            owner.ws = owner.ok(owner.post("/api/v1/workspaces", {"name": f"Rows {n}"}), 201)["id"]
            owner.ok(owner.post("/members", {"email": MEMBER, "role": "member"}), 201)
            owner.make_product(name="Seats", unit_price="240.00")
            counts[n] = {}
            for kind, text in _files(n).items():
                for dry_run in (True, False):
                    with factory() as session:
                        member = session.scalars(sa.select(Member).join(User, User.id == Member.user_id).where(
                            Member.workspace_id == owner.ws, User.email == OWNER)).one()
                        before = len(seen)
                        report = transfer.import_csv(session, member, kind, text, dry_run=dry_run)
                        session.commit()
                        counts[n][f"{kind} {'dry' if dry_run else 'real'}"] = len(seen) - before
                    assert report.ok, report.errors()[:3]
                    assert len(report.records) == (n // 2 if kind == "opportunities" else n)
    finally:
        sa.event.remove(engine, "before_cursor_execute", sent)
    assert counts[1000] == counts[100], counts
    # the lookups the kind needs (one query per table), and for a real import one INSERT per table
    assert counts[100] == {"accounts dry": 1, "accounts real": 7, "contacts dry": 1, "contacts real": 7,
                           "opportunities dry": 6, "opportunities real": 12}, counts
    with factory() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM opportunity_line")) == 1100
        assert session.scalar(sa.text("SELECT count(*) FROM opportunity_category")) == 550


def test_the_split_modules_keep_their_public_names():
    from storage.services.transfer import columns, csv_reading, export, import_plan, import_write  # noqa: PLC0415

    assert transfer.safe_cell is export.safe_cell  # the report CSVs escape formulas with it
    assert transfer.safe_cell("=1+1") == "'=1+1" and transfer.safe_cell("'x") == "''x"
    assert transfer.write_csv is export.write_csv and transfer.export_rows is export.export_rows
    assert transfer.read_csv is csv_reading.read_csv and transfer.Row is csv_reading.Row
    assert transfer.import_csv is import_plan.import_csv and transfer.ImportReport is import_plan.ImportReport
    assert transfer.KINDS == columns.KINDS == ("opportunities", "accounts", "contacts")
    assert transfer.MAX_ROWS == 20_000 and transfer.FORMULA_STARTS == columns.FORMULA_STARTS
    assert import_write.Batch is import_plan.Batch
    for name in transfer.__all__:
        assert getattr(transfer, name) is not None, name
