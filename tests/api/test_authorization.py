"""Who may see and do what (API.md): non-members get 404 on everything in a workspace, exactly as
for a workspace that does not exist; members get 403 on owner-only writes; a workspace always
keeps an owner; listings and searches never cross workspaces."""
from __future__ import annotations

import re
from urllib.parse import urlencode
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from addin.app import create_app
from graph_sync.fake.entra import EntraApp, StandinEntra
from tests.auth.test_entra_tokens import API_URI, CLIENT_ID, OTHER_TENANT, TENANT, KeyServer

from .conftest import MEMBER, OWNER, Api, assert_problem

RANDOM_WS = "f" * 32
THIRD = "third@contoso.com"


# ---- helpers ---------------------------------------------------------------------------------

def read(api: Api, path: str) -> Any:
    return api.ok(api.get(path))


def me(api: Api) -> dict:
    return read(api, "/api/v1/me")


def user_id(api: Api) -> str:
    return me(api)["user"]["id"]


def own_workspace_of(api: Api) -> Api:
    """The same user's client on the one workspace they own."""
    owned = [w["id"] for w in me(api)["workspaces"] if w["role"] == "owner"]
    assert len(owned) == 1
    other = api.as_(api.user)
    other.ws = owned[0]
    return other


def members(api: Api) -> dict[str, str]:
    """email -> role"""
    return {m["email"]: m["role"] for m in read(api, "/members")["items"]}


def member_id(api: Api, email: str) -> str:
    return next(m["user_id"] for m in read(api, "/members")["items"] if m["email"] == email)


def close_won(api: Api, opp: dict) -> dict:
    closed = api.ok(api.patch(f"/opportunities/{opp['id']}", {"stage_id": api.stage("Closed Won")["id"]}))
    assert closed["read_only"] and closed["status"] == "won"
    return closed


@pytest.fixture
def foreign(outsider_api) -> Api:
    """The outsider on their own workspace."""
    return own_workspace_of(outsider_api)


class Records(dict):
    """Ids of the owner's records, each made on first use (so a table row only needs what it names)."""

    def __init__(self, api: Api):
        super().__init__()
        self.api = api

    def __missing__(self, key: str) -> str:
        api = self.api
        make: dict[str, Callable[[], str]] = {
            "account": lambda: api.make_account()["id"],
            "contact": lambda: api.make_contact(account_id=self["account"])["id"],
            "product": lambda: api.make_product()["id"],
            "marketing": lambda: api.ok(api.post("/marketing-activities", {"name": "Spring fair"}), 201)["id"],
            "opportunity": lambda: api.make_opportunity(link={"type": "account", "id": self["account"]})["id"],
            "history": lambda: api.ok(api.post(f"/opportunities/{self['opportunity']}/history",
                                               {"kind": "note", "subject": "Met them"}), 201)["id"],
            "member": lambda: member_id(api, MEMBER),
            "stage": lambda: api.stage("Proposal")["id"],
            "activity": lambda: api.stage("Proposal")["activities"][0]["id"],
            "list": lambda: "type",
            "attachment": lambda: "AAMkAGI2THVSAAABEgAQAAAA",  # shaped like a Graph attachment id
            "project": lambda: api.ok(api.post("/projects", {"name": "Rollout"}), 201)["id"],
            "template": lambda: api.ok(api.post("/project-templates", {
                "name": "Standard", "tasks": [{"subject": "Kick-off", "offset_days": 0}]}), 201)["id"],
        }
        self[key] = make[key]()
        return self[key]


@pytest.fixture
def records(api) -> Records:
    return Records(api)


# ---- outsiders: 404 on everything, like a workspace that does not exist ------------------------

@dataclass
class Call:
    method: str
    path: str  # relative to the workspace; {name} are ids from `records`, "?..." a query string
    body: Callable[[dict], Any] | None = None
    witness: str | None = None  # what the owner re-reads to prove that nothing changed (default: path)

    def url(self, ws: str, ids: dict) -> str:
        return f"/api/v1/workspaces/{ws}{self.path.format_map(ids)}"

    def rule(self) -> tuple[str, str]:
        """(method, route) as Flask spells it, for the coverage check."""
        path = re.sub(r"/(export|import)/[a-z]+", r"/\1/*", self.path.split("?")[0])  # <kind> routes
        return self.method, re.sub(r"\{[a-z]+\}", "*", f"/api/v1/workspaces/<ws>{path}")


NEW_OPP = lambda ids: {"title": "Outsider deal", "link": {"type": "account", "id": ids["account"]}}  # noqa: E731

WORKSPACE_CALLS = [
    Call("GET", ""),
    Call("GET", "/members"),
    Call("POST", "/members", lambda ids: {"email": "spy@fabrikam.com", "role": "owner"}, "/members"),
    Call("DELETE", "/members/{member}", witness="/members"),
    Call("GET", "/accounts"),
    Call("GET", "/accounts?q=Acc"),
    Call("POST", "/accounts", lambda ids: {"name": "Outsider Inc"}, "/accounts"),
    Call("GET", "/accounts/{account}"),
    Call("PATCH", "/accounts/{account}", lambda ids: {"name": "Pwned"}),
    Call("DELETE", "/accounts/{account}", witness="/accounts/{account}"),
    Call("GET", "/accounts/{account}/history"),
    Call("GET", "/contacts"),
    Call("POST", "/contacts", lambda ids: {"display_name": "Spy"}, "/contacts"),
    Call("GET", "/contacts/{contact}"),
    Call("PATCH", "/contacts/{contact}", lambda ids: {"display_name": "Pwned"}),
    Call("DELETE", "/contacts/{contact}", witness="/contacts/{contact}"),
    Call("GET", "/contacts/{contact}/history"),
    Call("POST", "/contacts/{contact}/erase", witness="/contacts/{contact}"),
    Call("GET", "/contacts/{contact}/export"),
    Call("GET", "/products"),
    Call("POST", "/products", lambda ids: {"name": "Fake", "unit_price": "1.00"}, "/products"),
    Call("GET", "/products/{product}"),
    Call("PATCH", "/products/{product}", lambda ids: {"unit_price": "0.01"}),
    Call("DELETE", "/products/{product}", witness="/products/{product}"),
    Call("GET", "/marketing-activities"),
    Call("POST", "/marketing-activities", lambda ids: {"name": "Spam"}, "/marketing-activities"),
    Call("GET", "/marketing-activities/{marketing}"),
    Call("PATCH", "/marketing-activities/{marketing}", lambda ids: {"name": "Pwned"}),
    Call("DELETE", "/marketing-activities/{marketing}", witness="/marketing-activities/{marketing}"),
    Call("GET", "/opportunities"),
    Call("GET", "/opportunities?status=open&sort=title"),
    Call("POST", "/opportunities", NEW_OPP, "/opportunities"),
    Call("GET", "/opportunities/{opportunity}"),
    Call("PATCH", "/opportunities/{opportunity}", lambda ids: {"title": "Pwned", "probability": 1}),
    Call("DELETE", "/opportunities/{opportunity}", witness="/opportunities/{opportunity}"),
    Call("GET", "/opportunities/{opportunity}/history"),
    Call("POST", "/opportunities/{opportunity}/history", lambda ids: {"kind": "note", "subject": "Spy note"},
         "/opportunities/{opportunity}/history"),
    Call("DELETE", "/opportunities/{opportunity}/links/{history}", witness="/opportunities/{opportunity}/history"),
    Call("POST", "/opportunities/{opportunity}/links", lambda ids: {"item_id": "AAMkAGI2", "item_id_format": "ews"},
         "/opportunities/{opportunity}/history"),
    Call("POST", "/opportunities/{opportunity}/meeting-request", lambda ids: {
        "subject": "Spy", "start": "2026-12-01T10:00", "end": "2026-12-01T11:00", "time_zone": "UTC"},
         "/opportunities/{opportunity}/history"),
    Call("POST", "/opportunities/{opportunity}/email", lambda ids: {"subject": "Spy", "body_html": "x"},
         "/opportunities/{opportunity}/history"),
    Call("GET", "/opportunities/{opportunity}/print"),
    Call("POST", "/opportunities/{opportunity}/comments", lambda ids: {"text": "Spy"}, "/opportunities/{opportunity}"),
    Call("POST", "/opportunities/{opportunity}/reopen", lambda ids: {"stage_id": ids["stage"]},
         "/opportunities/{opportunity}"),
    Call("POST", "/opportunities/bulk-assign", lambda ids: {"ids": [ids["opportunity"]], "assigned_to": None},
         "/opportunities/{opportunity}"),
    Call("POST", "/opportunities/bulk-close", lambda ids: {"ids": [ids["opportunity"]], "outcome": "lost"},
         "/opportunities/{opportunity}"),
    Call("GET", "/search?q=Acc"),
    Call("GET", "/context?from=contact1@people.example"),
    Call("GET", "/lists/{list}"),
    Call("PUT", "/lists/{list}", lambda ids: {"values": ["Hijacked"]}),
    Call("GET", "/sales-stages"),
    Call("POST", "/sales-stages", lambda ids: {"name": "Spy stage"}, "/sales-stages"),
    Call("PATCH", "/sales-stages/{stage}", lambda ids: {"name": "Pwned"}, "/sales-stages"),
    Call("DELETE", "/sales-stages/{stage}", witness="/sales-stages"),
    Call("POST", "/sales-stages/{stage}/activities", lambda ids: {"name": "Spy"}, "/sales-stages"),
    Call("PATCH", "/sales-stages/{stage}/activities/{activity}", lambda ids: {"name": "Pwned"}, "/sales-stages"),
    Call("DELETE", "/sales-stages/{stage}/activities/{activity}", witness="/sales-stages"),
    Call("GET", "/reminders"),
    Call("GET", "/export/opportunities.csv"),
    Call("GET", "/export/accounts.csv"),
    Call("GET", "/export/contacts.csv"),
    Call("POST", "/import/accounts?dry_run=false", lambda ids: {"csv": "Company,E-mail Domains\nSpy Inc,spy.example\n"},
         "/accounts"),
    Call("GET", "/reports/pipeline"),
    Call("GET", "/reports/pipeline?format=csv"),
    Call("GET", "/reports/forecast?months=6"),
    Call("GET", "/reports/close-reasons"),
    Call("GET", "/history/{history}/attachments"),
    Call("GET", "/history/{history}/attachments/{attachment}"),
    Call("GET", "/opportunities/{opportunity}/changes"),
    Call("POST", "/opportunities/{opportunity}/project", lambda ids: {}, "/projects"),
    Call("GET", "/projects"),
    Call("POST", "/projects", lambda ids: {"name": "Spy project"}, "/projects"),
    Call("GET", "/projects/{project}"),
    Call("PATCH", "/projects/{project}", lambda ids: {"name": "Pwned"}),
    Call("DELETE", "/projects/{project}", witness="/projects/{project}"),
    Call("GET", "/project-templates"),
    Call("POST", "/project-templates", lambda ids: {"name": "Spy template"}, "/project-templates"),
    Call("GET", "/project-templates/{template}"),
    Call("PATCH", "/project-templates/{template}", lambda ids: {"name": "Pwned"}),
    Call("DELETE", "/project-templates/{template}", witness="/project-templates/{template}"),
]


def call_id(c: Call) -> str:
    return f"{c.method} {c.path or '/'}"


def send(api: Api, call: Call, ws: str, ids: dict):
    body = call.body(ids) if call.body else None
    return api.request(call.method, call.url(ws, ids), json=body)


@pytest.mark.parametrize("call", WORKSPACE_CALLS, ids=call_id)
def test_outsider_gets_404_identical_to_a_nonexistent_workspace(api, outsider_api, records, call):
    call.url(api.ws, records), call.body and call.body(records)  # make the records the call names, first
    witness = call.witness or (call.path if call.method != "GET" else None)
    before = read(api, witness.format_map(records)) if witness else None

    real = assert_problem(send(outsider_api, call, api.ws, records), 404)
    missing = assert_problem(send(outsider_api, call, RANDOM_WS, records), 404)
    assert real == missing, "the 404 for a real workspace differs from the one for a nonexistent workspace"

    if witness:
        assert read(api, witness.format_map(records)) == before, "an outsider's refused write changed something"


def test_every_workspace_route_is_in_the_outsider_table(app):
    """A new workspace endpoint must be added to WORKSPACE_CALLS, so outsiders are tested against it."""
    covered = {c.rule() for c in WORKSPACE_CALLS}
    routes = {
        (method, re.sub(r"<[^>]+>", "*", rule.rule).replace("/api/v1/workspaces/*", "/api/v1/workspaces/<ws>", 1))
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/workspaces/<ws>")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "workspace routes no outsider test covers"


def test_outsider_does_not_see_the_workspace_in_me(api, outsider_api):
    assert api.ws not in [w["id"] for w in me(outsider_api)["workspaces"]]


# ---- a second tenant: a user of another tenant whose token names a member's address -----------
# Who a user is, is the token's tid + oid (https://learn.microsoft.com/entra/identity-platform/claims-validation );
# an invitation is accepted only by a token of the workspace's tenant (storage.services.access).

IMPOSTOR = "impostor"  # the other tenant's user; their token's username is MEMBER


class TokenApi(Api):
    """The same helper, calling with Entra access tokens (the stand-in's, claim for claim): `user` names
    an entry of `tokens`."""

    def __init__(self, client, user: str = OWNER, counter=None, tokens: dict | None = None):
        super().__init__(client, user, counter)
        self.tokens = tokens or {}

    def as_(self, user: str) -> "TokenApi":
        other = TokenApi(self.client, user, self._n, self.tokens)
        other.ws = self.ws
        return other

    def request(self, method: str, path: str, json: Any = None, headers: dict | None = None, **kwargs):
        h = {"Authorization": f"Bearer {self.tokens[self.user]}", **(headers or {})}
        return self.client.open(self.url(path), method=method, json=json, headers=h, **kwargs)


@pytest.fixture
def tenant_api(config, engine):
    """A multi-tenant app (every work tenant's tokens pass authentication). The owner, of TENANT, made
    the workspace and invited MEMBER; a user of OTHER_TENANT whose token says MEMBER signed in before
    the real member did."""
    entra = StandinEntra()
    registration = entra.add_app(EntraApp(client_id=CLIENT_ID, secret="s", home_tenant=TENANT, app_id_uri=API_URI,
                                          multi_tenant=True))
    keys = KeyServer(entra)
    app = create_app(config.with_(auth_mode="entra", client_id=CLIENT_ID, tenant_id="organizations", api_uri=API_URI,
                                  jwks_url=keys.url), engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    tokens = {
        OWNER: entra.api_token(registration, entra.add_user(TENANT, OWNER, "Olivia Owner"), version=2),
        MEMBER: entra.api_token(registration, entra.add_user(TENANT, MEMBER, "Mark Member"), version=1),
        IMPOSTOR: entra.api_token(registration, entra.add_user(OTHER_TENANT, MEMBER, "Eve Adams"), version=2),
    }
    owner = TokenApi(app.test_client(), OWNER, tokens=tokens)
    owner.ws = owner.ok(owner.post("/api/v1/workspaces", {"name": "Sales"}), 201)["id"]
    owner.ok(owner.post("/members", {"email": MEMBER, "role": "member"}), 201)
    me(owner.as_(IMPOSTOR))
    yield owner
    keys.close()


@pytest.mark.parametrize("call", WORKSPACE_CALLS, ids=call_id)
def test_another_tenants_user_named_like_a_member_gets_404_identical_to_a_nonexistent_workspace(tenant_api, call):
    records = Records(tenant_api)
    impostor = tenant_api.as_(IMPOSTOR)
    call.url(tenant_api.ws, records), call.body and call.body(records)
    witness = call.witness or (call.path if call.method != "GET" else None)
    before = read(tenant_api, witness.format_map(records)) if witness else None

    real = assert_problem(send(impostor, call, tenant_api.ws, records), 404)
    missing = assert_problem(send(impostor, call, RANDOM_WS, records), 404)
    assert real == missing

    if witness:
        assert read(tenant_api, witness.format_map(records)) == before, "a refused write changed something"


def test_the_real_member_of_the_workspaces_tenant_accepts_the_invitation_after_the_impostor_tried(tenant_api):
    impostor, member = tenant_api.as_(IMPOSTOR), tenant_api.as_(MEMBER)
    assert tenant_api.ws not in [w["id"] for w in me(impostor)["workspaces"]]
    invited = member_id(tenant_api, MEMBER)
    assert me(member)["user"]["id"] == invited != user_id(impostor)
    assert read(member, "")["role"] == "member"
    assert members(tenant_api) == {OWNER: "owner", MEMBER: "member"}
    assert_problem(member.post("/members", {"email": "friend@contoso.com", "role": "member"}), 403)
    assert_problem(impostor.get("/members"), 404)


# ---- records of another workspace through one's own workspace ---------------------------------

RECORD_PATHS = {
    "account": "/accounts/{}", "contact": "/contacts/{}", "product": "/products/{}",
    "marketing-activity": "/marketing-activities/{}", "opportunity": "/opportunities/{}",
    "account-history": "/accounts/{}/history", "contact-history": "/contacts/{}/history",
    "opportunity-history": "/opportunities/{}/history",
}
RECORD_KEYS = {"account": "account", "contact": "contact", "product": "product", "marketing-activity": "marketing",
               "opportunity": "opportunity", "account-history": "account", "contact-history": "contact",
               "opportunity-history": "opportunity"}


@pytest.mark.parametrize("kind", RECORD_PATHS, ids=list(RECORD_PATHS))
def test_another_workspaces_record_id_in_ones_own_workspace_is_404_like_an_unknown_id(api, foreign, records, kind):
    """The outsider uses the owner's record ids inside the outsider's own workspace."""
    template = RECORD_PATHS[kind]
    theirs = assert_problem(foreign.get(template.format(records[RECORD_KEYS[kind]])), 404)
    unknown = assert_problem(foreign.get(template.format("0" * 32)), 404)
    assert theirs == unknown


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_changing_another_workspaces_record_through_ones_own_workspace_is_404(api, foreign, records, method):
    path = f"/opportunities/{records['opportunity']}"
    before = read(api, path)
    body = {"title": "Pwned"} if method == "PATCH" else None
    assert_problem(foreign.request(method, path, json=body), 404)
    assert read(api, path) == before


CROSS_REFERENCES = {
    "contact-account_id": ("/contacts", lambda ids: {"display_name": "X", "account_id": ids["account"]},
                           "account_id"),
    "opportunity-link-account": ("/opportunities", lambda ids: {"title": "X", "link": {
        "type": "account", "id": ids["account"]}}, "link.id"),
    "opportunity-link-contact": ("/opportunities", lambda ids: {"title": "X", "link": {
        "type": "contact", "id": ids["contact"]}}, "link.id"),
    "opportunity-initiated_by": ("/opportunities", lambda ids: {"title": "X", "link": ids["own_link"], "initiated_by": {
        "type": "marketing_activity", "id": ids["marketing"]}}, "initiated_by.id"),
    "opportunity-line-product": ("/opportunities", lambda ids: {"title": "X", "link": ids["own_link"], "lines": [
        {"product_id": ids["product"]}]}, "lines[0].product_id"),
    "opportunity-stage": ("/opportunities", lambda ids: {"title": "X", "link": ids["own_link"],
                                                          "stage_id": ids["stage"]}, "stage_id"),
    "opportunity-assigned_to-their-member": ("/opportunities", lambda ids: {
        "title": "X", "link": ids["own_link"], "assigned_to": ids["member"]}, "assigned_to"),
}


@pytest.mark.parametrize(("path", "body", "field"), CROSS_REFERENCES.values(), ids=CROSS_REFERENCES.keys())
def test_referring_to_another_workspaces_records_in_a_body_is_422(api, foreign, records, path, body, field):
    records["own_link"] = {"type": "account", "id": foreign.make_account()["id"]}
    before = read(foreign, path)
    problem = assert_problem(foreign.post(path, body(records)), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert read(foreign, path) == before


def test_bulk_assign_of_another_workspaces_opportunity_fails_for_it_and_changes_nothing(api, foreign, records):
    path = f"/opportunities/{records['opportunity']}"
    before = read(api, path)
    own = foreign.make_opportunity()
    result = foreign.ok(foreign.post("/opportunities/bulk-assign",
                                     {"ids": [own["id"], records["opportunity"]], "assigned_to": None}))
    assert result["updated"] == [own["id"]]
    assert [(f["id"], f["status"]) for f in result["failed"]] == [(records["opportunity"], 404)]
    assert read(api, path) == before


def test_bulk_close_of_another_workspaces_opportunity_fails_for_it_and_changes_nothing(api, foreign, records):
    path = f"/opportunities/{records['opportunity']}"
    before = read(api, path)
    result = foreign.ok(foreign.post("/opportunities/bulk-close", {"ids": [records["opportunity"]], "outcome": "won"}))
    assert result["updated"] == []
    assert [(f["id"], f["status"]) for f in result["failed"]] == [(records["opportunity"], 404)]
    assert read(api, path) == before


# ---- members: 403 on owner-only writes, allowed on records and lists ---------------------------

def test_member_cannot_add_members(api, member_api):
    before = members(api)
    assert_problem(member_api.post("/members", {"email": "friend@contoso.com", "role": "member"}), 403)
    assert_problem(member_api.post("/members", {"email": MEMBER, "role": "owner"}), 403)  # nor promote themselves
    assert members(api) == before


@pytest.mark.parametrize("target", [OWNER, MEMBER], ids=["the-owner", "themselves"])
def test_member_cannot_remove_members(api, member_api, target):
    before = members(api)
    assert_problem(member_api.delete(f"/members/{member_id(api, target)}"), 403)
    assert members(api) == before


OWNER_ONLY_STAGE_WRITES = [c for c in WORKSPACE_CALLS if c.path.startswith("/sales-stages") and c.method != "GET"]


@pytest.mark.parametrize("call", OWNER_ONLY_STAGE_WRITES, ids=call_id)
def test_member_gets_403_on_every_stage_and_activity_write(api, member_api, records, call):
    call.url(api.ws, records)
    before = read(api, "/sales-stages")
    assert_problem(send(member_api, call, api.ws, records), 403)
    assert read(api, "/sales-stages") == before


def test_member_can_read_the_workspace_and_its_members(api, member_api):
    assert read(member_api, "")["role"] == "member"
    assert members(member_api) == members(api) == {OWNER: "owner", MEMBER: "member"}


def test_member_can_edit_the_lists(api, member_api):
    values = ["Upsell", "New business", "Renewal"]
    assert member_api.ok(member_api.put("/lists/type", {"values": values}))["values"] == values
    assert read(api, "/lists/type")["values"] == values


def test_member_can_create_edit_and_delete_records(api, member_api):
    own_account = member_api.make_account(name="Member Co", email_domains=["member-co.example"])
    opp = member_api.make_opportunity(link={"type": "account", "id": own_account["id"]})
    assert opp["assigned_to"] == user_id(member_api)
    owners_opp = api.make_opportunity()
    changed = member_api.ok(member_api.patch(f"/opportunities/{owners_opp['id']}", {"title": "Edited by member"}))
    assert read(api, f"/opportunities/{owners_opp['id']}")["title"] == changed["title"] == "Edited by member"
    account = api.make_account()
    assert member_api.ok(member_api.patch(f"/accounts/{account['id']}", {"phone": "555"}))["phone"] == "555"
    assert member_api.delete(f"/opportunities/{opp['id']}").status_code == 204
    assert_problem(api.get(f"/opportunities/{opp['id']}"), 404)


# ---- owners: the last one stays ------------------------------------------------------------------

def test_the_last_owner_cannot_remove_themselves(api):
    before = members(api)
    assert_problem(api.delete(f"/members/{member_id(api, OWNER)}"), 409)
    assert members(api) == before


def test_the_last_owner_cannot_demote_themselves(api):
    before = members(api)
    assert_problem(api.post("/members", {"email": OWNER, "role": "member"}), 409)
    assert members(api) == before


def test_a_second_owner_can_be_added_and_then_the_first_removed(api, member_api):
    promoted = api.ok(api.post("/members", {"email": MEMBER, "role": "owner"}))
    assert promoted["role"] == "owner" and promoted["email"] == MEMBER
    assert api.delete(f"/members/{member_id(api, OWNER)}").status_code == 204

    assert members(member_api) == {MEMBER: "owner"}
    assert_problem(api.get(""), 404)  # the former owner is an outsider now
    assert api.ws not in [w["id"] for w in me(api)["workspaces"]]
    assert_problem(member_api.delete(f"/members/{user_id(member_api)}"), 409)  # and the new one is the last
    assert members(member_api) == {MEMBER: "owner"}


def test_an_owner_can_remove_a_member_who_then_gets_404(api, member_api):
    assert api.delete(f"/members/{member_id(api, MEMBER)}").status_code == 204
    assert members(api) == {OWNER: "owner"}
    assert_problem(member_api.get("/opportunities"), 404)


def test_removing_someone_who_is_not_a_member_is_404(api, outsider_api):
    assert_problem(api.delete(f"/members/{user_id(outsider_api)}"), 404)


# ---- adding a member by e-mail before their first call -------------------------------------------

def test_a_member_added_by_email_before_their_first_call_sees_the_workspace(api):
    added = api.ok(api.post("/members", {"email": "Newcomer@Contoso.com", "role": "member"}), 201)
    assert added["email"] == "newcomer@contoso.com" and added["role"] == "member"

    newcomer = api.as_("newcomer@contoso.com")
    mine = me(newcomer)
    assert mine["user"]["id"] == added["user_id"]
    assert {"id": api.ws, "role": "member"}.items() <= next(w for w in mine["workspaces"] if w["id"] == api.ws).items()
    assert read(newcomer, "")["role"] == "member"
    assert len(read(newcomer, "/opportunities")["items"]) == 0


def test_adding_the_same_email_twice_makes_one_member(api):
    api.ok(api.post("/members", {"email": "twice@contoso.com", "role": "member"}), 201)
    again = api.post("/members", {"email": "TWICE@contoso.com", "role": "member"})
    assert again.status_code == 200
    assert list(members(api)).count("twice@contoso.com") == 1


# ---- listings and search never cross workspaces ---------------------------------------------------

@dataclass
class Twin:
    account: str
    contact: str
    product: str
    marketing: str
    opportunity: str
    all_ids: set[str] = field(default_factory=set)


def make_twin(api: Api) -> Twin:
    """The same names, domain and e-mail address in whichever workspace `api` is on."""
    account = api.make_account(name="Contoso Ltd", email_domains=["contoso-twin.com"])["id"]
    contact = api.make_contact(display_name="Connie Contoso", email_addresses=["connie@contoso-twin.com"],
                               account_id=account)["id"]
    product = api.make_product(name="Contoso Widget")["id"]
    marketing = api.ok(api.post("/marketing-activities", {"name": "Contoso Launch"}), 201)["id"]
    opportunity = api.make_opportunity(title="Contoso renewal", link={"type": "contact", "id": contact},
                                       categories=["Twin"])["id"]
    return Twin(account, contact, product, marketing, opportunity, {account, contact, product, marketing, opportunity})


@pytest.fixture
def twins(api, foreign) -> tuple[Twin, Twin]:
    return make_twin(api), make_twin(foreign)


def ids_of(page: dict) -> set[str]:
    return {item["id"] for item in page["items"]}


LISTINGS = {
    "accounts": ("/accounts?q=Contoso", "account"),
    "contacts": ("/contacts?q=Connie", "contact"),
    "products": ("/products?q=Contoso", "product"),
    "marketing-activities": ("/marketing-activities?q=Contoso", "marketing"),
    "opportunities-q": ("/opportunities?q=Contoso", "opportunity"),
    "opportunities-all": ("/opportunities", "opportunity"),
    "opportunities-category": ("/opportunities?category=Twin", "opportunity"),
    "opportunities-open": ("/opportunities?status=open&sort=title", "opportunity"),
}


@pytest.mark.parametrize(("path", "attr"), LISTINGS.values(), ids=LISTINGS.keys())
def test_listings_return_only_the_callers_workspace(api, foreign, twins, path, attr):
    ours, theirs = twins
    assert ids_of(read(api, path)) == {getattr(ours, attr)}
    assert ids_of(read(foreign, path)) == {getattr(theirs, attr)}


def test_filtering_by_another_workspaces_link_id_finds_nothing(api, foreign, twins):
    ours, theirs = twins
    assert read(api, f"/opportunities?link_id={theirs.contact}")["items"] == []
    assert read(api, f"/opportunities?link_type=contact&link_id={theirs.contact}")["items"] == []
    assert ids_of(read(api, f"/opportunities?link_id={ours.contact}")) == {ours.opportunity}


@pytest.mark.parametrize("q", ["contoso", "CONN", "connie@contoso", "contoso-twin.com"])
def test_search_returns_only_the_callers_workspace(api, foreign, twins, q):
    ours, theirs = twins
    for caller, mine, other in ((api, ours, theirs), (foreign, theirs, ours)):
        found = ids_of(read(caller, f"/search?q={q}&types=account,contact,opportunity,marketing_activity"))
        assert found, f"search for {q!r} found nothing at all"
        assert found <= mine.all_ids
        assert not found & other.all_ids


def test_context_matches_only_the_callers_workspace(api, foreign, twins):
    ours, theirs = twins
    for caller, mine in ((api, ours), (foreign, theirs)):
        ctx = read(caller, "/context?" + urlencode({"from": "Connie <connie@contoso-twin.com>"}))
        assert [c["id"] for c in ctx["matched_contacts"]] == [mine.contact]
        assert [a["id"] for a in ctx["matched_accounts"]] == [mine.account]
        assert [o["id"] for o in ctx["open_opportunities"]] == [mine.opportunity]


def test_contact_history_contains_only_the_callers_items(api, foreign, twins):
    ours, theirs = twins
    for caller, mine in ((api, ours), (foreign, theirs)):
        caller.ok(caller.post(f"/opportunities/{mine.opportunity}/history", {"kind": "note", "subject": "Twin note"}),
                  201)
    for caller, mine in ((api, ours), (foreign, theirs)):
        items = read(caller, f"/contacts/{mine.contact}/history")["items"]
        assert len(items) == 1
        assert {(l["type"], l["id"]) for l in items[0]["links"]} <= {("opportunity", mine.opportunity),
                                                                      ("contact", mine.contact),
                                                                      ("account", mine.account)}


# ---- reopening a closed opportunity: owner or assignee only -------------------------------------

@pytest.fixture
def third_api(api) -> Api:
    """A second plain member, neither owner nor assignee."""
    api.ok(api.post("/members", {"email": THIRD, "role": "member"}), 201)
    return api.as_(THIRD)


def reopen(api: Api, opp: dict, stage: str = "Proposal"):
    return api.post(f"/opportunities/{opp['id']}/reopen", {"stage_id": api.stage(stage)["id"]})


def assert_reopened(response, stage_name: str = "Proposal") -> dict:
    assert response.status_code == 200, response.get_json()
    opened = response.get_json()
    assert (opened["status"], opened["read_only"], opened["stage_name"]) == ("open", False, stage_name)
    return opened


def test_owner_can_reopen_a_closed_opportunity_assigned_to_someone_else(api, member_api):
    opp = api.make_opportunity(assigned_to=user_id(member_api))
    close_won(api, opp)
    assert_reopened(reopen(api, opp))


def test_assignee_member_can_reopen_their_closed_opportunity(api, member_api):
    opp = api.make_opportunity(assigned_to=user_id(member_api))
    close_won(api, opp)
    opened = assert_reopened(reopen(member_api, opp))
    assert read(api, f"/opportunities/{opp['id']}") == opened


def test_another_member_gets_403_on_reopen_and_nothing_changes(api, member_api, third_api):
    opp = api.make_opportunity(assigned_to=user_id(member_api))
    closed = close_won(api, opp)
    assert_problem(reopen(third_api, opp), 403)
    assert read(api, f"/opportunities/{opp['id']}") == closed


def test_a_member_cannot_reopen_the_owners_closed_opportunity(api, member_api):
    opp = api.make_opportunity()  # assigned to its creator, the owner
    closed = close_won(api, opp)
    assert_problem(reopen(member_api, opp), 403)
    assert read(api, f"/opportunities/{opp['id']}") == closed


def test_outsider_reopen_is_404_not_403(api, outsider_api):
    opp = api.make_opportunity()
    closed = close_won(api, opp)
    proposal = api.stage("Proposal")["id"]
    assert_problem(outsider_api.post(f"/opportunities/{opp['id']}/reopen", {"stage_id": proposal}), 404)
    assert read(api, f"/opportunities/{opp['id']}") == closed


def test_reopen_into_a_closed_stage_is_422(api):
    opp = api.make_opportunity()
    closed = close_won(api, opp)
    assert_problem(reopen(api, opp, "Closed Lost"), 422)
    assert read(api, f"/opportunities/{opp['id']}") == closed
