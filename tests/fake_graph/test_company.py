"""The fake Graph serving a company (company.py): a directory of sellers whose mailboxes are made on
first use, per-mailbox delta state, /me only for a directory user's delegated token, change
notifications for every mailbox, the /_fake/users/{id}/... controls and /_fake/stats, the
`fake-graph --company` command, and a real sync of two company mailboxes in application mode."""
from __future__ import annotations

import datetime as dt
import json
import signal
import ssl
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from werkzeug.test import EnvironBuilder

from graph_sync.fake import FakeGraph
from graph_sync.fake.company import NEWSLETTERS, Company, customer_addresses
from graph_sync.fake.entra import StandinEntra
from graph_sync.fake.server import COMPANY_LOG_SIZE, RequestLog

from .conftest import Client
from .test_notify import FAST, Receiver, in_minutes

SMALL = Company(mailboxes=30, messages_per_mailbox=12, seed=3)


@pytest.fixture
def company(start_fake):
    return start_fake(company=SMALL)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def control(fake: FakeGraph) -> str:
    return fake.url[: -len("/v1.0")] + "/_fake"


def round_of(client: Client, who: str, folder: str = "inbox") -> tuple[list[dict], str]:
    _, items, link = client.delta_round(f"/users/{who}/mailFolders/{folder}/messages/delta", page_size=50)
    return items, link


def test_users_by_upn_id_or_mail_and_mailboxes_made_only_when_touched(company):
    client = Client(company.url)
    expected = SMALL.user(5)
    assert expected["userPrincipalName"] == "seller0005@contoso.com" and expected["displayName"] == "Seller 5"
    assert company.stats()["mailboxes_generated"] == 0
    for who in ("seller0005@contoso.com", expected["id"], "SELLER0005@contoso.com"):
        user = client.ok("GET", f"/users/{who}")
        assert (user["id"], user["mail"], user["displayName"]) == (expected["id"], expected["mail"], "Seller 5")
    assert company.stats()["mailboxes_generated"] == 1
    missing = client.get("/users/seller0030@contoso.com/mailFolders/inbox")
    assert missing.status == 404 and missing.body["error"]["code"] == "ErrorInvalidUser"
    assert client.get("/users/seller0005@contoso.com/mailFolders('inbox')").status == 200


def test_a_mailbox_is_the_same_on_every_run_and_differs_by_seed(start_fake):
    def ids(company: Company) -> list[str]:
        fake = start_fake(company=company)
        items, _ = round_of(Client(fake.url), "seller0002@contoso.com")
        return sorted(item["id"] for item in items)

    assert ids(SMALL) == ids(SMALL)
    assert ids(SMALL) != ids(Company(mailboxes=30, messages_per_mailbox=12, seed=4))
    assert SMALL.user(2)["id"] == Company(mailboxes=30, seed=3).user(2)["id"] != Company(seed=4).user(2)["id"]


def test_generated_mail_is_customers_and_newsletters_in_inbox_and_sent_items(company):
    client = Client(company.url)
    seller = "seller0007@contoso.com"
    inbox, _ = round_of(client, seller)
    sent, _ = round_of(client, seller, "sentitems")
    assert inbox and sent and len(inbox) + len(sent) == SMALL.messages_per_mailbox
    customers = set(customer_addresses(1000))
    assert all(m["from"]["emailAddress"]["address"] in customers | set(NEWSLETTERS) for m in inbox)
    assert all(m["from"]["emailAddress"]["address"] == seller for m in sent)
    assert all(m["toRecipients"][0]["emailAddress"]["address"] in customers for m in sent)
    assert all(m["toRecipients"][0]["emailAddress"]["address"] == seller for m in inbox)
    every = inbox + sent
    assert len({m["internetMessageId"] for m in every}) == len(every)
    now = dt.datetime.now(dt.timezone.utc)
    for m in every:
        received = dt.datetime.fromisoformat(m["receivedDateTime"].replace("Z", "+00:00"))
        assert now - dt.timedelta(days=60) <= received <= now
    lists = client.ok("GET", f"/users/{seller}/todo/lists")["value"]
    assert [(lst["displayName"], lst["wellknownListName"]) for lst in lists] == [("Tasks", "defaultList")]
    assert client.ok("GET", f"/users/{seller}/todo/lists/{lists[0]['id']}/tasks")["value"] == []
    assert client.ok("GET", f"/users/{seller}/calendar")["isDefaultCalendar"] is True


def test_customers_can_be_given():
    company = Company(mailboxes=2, messages_per_mailbox=30, customers=["only@one.example"])
    fake = FakeGraph(company=company)
    messages = fake.mailbox_of("seller0001@contoso.com").to_dict()["messages"]
    addresses = {m["from"]["emailAddress"]["address"] for m in messages} | {
        m["toRecipients"][0]["emailAddress"]["address"] for m in messages}
    assert addresses - set(NEWSLETTERS) == {"only@one.example", "seller0001@contoso.com"}
    assert customer_addresses(3) == ["buyer0@customer0.example", "buyer1@customer1.example",
                                     "buyer2@customer2.example"]


def test_delta_tokens_belong_to_their_mailbox(company):
    client = Client(company.url)
    _, link = round_of(client, "seller0001@contoso.com")
    token = parse_qs(urlsplit(link).query)["$deltatoken"][0]
    other = client.get(f"/users/seller0002@contoso.com/mailFolders/inbox/messages/delta?$deltatoken={token}")
    assert other.status == 410 and other.body["error"]["code"] == "syncStateNotFound"
    assert "/users/seller0002@contoso.com/" in other.headers["location"]
    assert client.ok("GET", link)["value"] == []   # still good on its own mailbox


def test_mail_injected_through_the_control_shows_in_that_mailbox_delta_only(company):
    client = Client(company.url)
    _, first = round_of(client, "seller0003@contoso.com")
    _, second = round_of(client, "seller0004@contoso.com")
    reply = httpx.post(f"{control(company)}/users/seller0003@contoso.com/messages", json={
        "subject": "New order", "from": {"emailAddress": {"address": "buyer7@customer7.example"}},
        "body": {"contentType": "text", "content": "50 more seats"}})
    assert reply.status_code == 201
    answer = reply.json()
    assert set(answer) == {"id", "internetMessageId", "arrived_at"} and isinstance(answer["arrived_at"], float)
    items, _ = client.delta_round(first)[1:]
    assert [(i["id"], i["internetMessageId"], i["subject"]) for i in items] == \
        [(answer["id"], answer["internetMessageId"], "New order")]
    assert client.ok("GET", second)["value"] == []
    by_id = httpx.post(f"{control(company)}/users/{SMALL.user(3)['id']}/messages", json={"subject": "Again"})
    assert by_id.status_code == 201 and by_id.json()["internetMessageId"] != answer["internetMessageId"]
    unknown = httpx.post(f"{control(company)}/users/nobody@contoso.com/messages", json={"subject": "x"})
    assert unknown.status_code == 404
    # The other mailbox controls answer under /users/{id} too; /_fake/mailbox has no mailbox to mean here.
    dump = httpx.get(f"{control(company)}/users/seller0003@contoso.com").json()
    assert any(m["subject"] == "Again" for m in dump["messages"])
    assert httpx.get(f"{control(company)}/mailbox").status_code == 400


def test_me_needs_a_delegated_token_of_a_directory_user(start_fake):
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    entra = StandinEntra()
    from graph_sync.fake.entra import EntraApp
    app = entra.add_app(EntraApp(client_id="11111111-2222-3333-4444-555555555555", secret="s", home_tenant=tenant))
    seller = SMALL.user(9)
    user = entra.add_user(tenant, seller["userPrincipalName"], seller["displayName"], object_id=seller["id"])
    stranger = entra.add_user(tenant, "someone@contoso.com", "Someone Else")
    fake = start_fake(company=SMALL, entra=entra)

    def token(who=None, permissions=("Mail.Read", "User.Read")):
        return entra.graph_token(app=app, tenant_id=tenant, user=who, permissions=permissions)[0]

    mine = Client(fake.url, token=token(user)).ok("GET", "/me")
    assert mine["id"] == seller["id"]
    assert Client(fake.url, token=token(user)).get("/me/mailFolders/inbox").status == 200
    other = Client(fake.url, token=token(stranger)).get("/me/mailFolders/inbox")
    assert other.status == 404 and other.body["error"]["code"] == "MailboxNotEnabledForRESTAPI"
    app_only = Client(fake.url, token=token(None, ("Mail.Read",))).get("/me/mailFolders/inbox")
    assert app_only.status == 400
    # Without a token authority there is no user behind a token: /me is what Graph says to an app.
    plain = start_fake(company=SMALL)
    reply = Client(plain.url).get("/me")
    assert reply.status == 400 and "delegated authentication flow" in reply.body["error"]["message"]


def subscribe(client: Client, url: str, resource: str, state: str) -> dict:
    return client.ok("POST", "/subscriptions", {"changeType": "created,updated,deleted", "notificationUrl": url,
                                                "resource": resource, "expirationDateTime": in_minutes(60),
                                                "clientState": state}, expect=201)


def test_notifications_fire_for_each_mailbox_batched_per_url(start_fake, receiver):
    fake = start_fake(company=SMALL, **FAST)
    client = Client(fake.url)
    one, two = SMALL.user(1), SMALL.user(2)
    first = subscribe(client, receiver.url, f"users/{one['userPrincipalName']}/mailFolders('inbox')/messages", "a")
    second = subscribe(client, receiver.url, f"users/{two['id']}/messages", "b")
    subscribe(client, receiver.url, f"users/{SMALL.user(3)['userPrincipalName']}/messages", "c")  # stays quiet
    assert fake.stats()["mailboxes_generated"] == 0  # subscribing makes no mailbox; they are made below
    for who in (one, two):
        reply = httpx.post(f"{control(fake)}/users/{who['userPrincipalName']}/messages", json={"subject": "Hi"})
        assert reply.status_code == 201
    posts = receiver.wait_posts(1)
    assert fake.notifier.wait_idle()
    posts = receiver.posts
    assert len(posts) == 1   # both mailboxes' notifications in one POST to the shared URL
    items = posts[0]["body"]["value"]
    assert sorted((i["subscriptionId"], i["clientState"], i["changeType"]) for i in items) == sorted(
        [(first["id"], "a", "created"), (second["id"], "b", "created")])
    by_sub = {i["subscriptionId"]: i for i in items}
    assert by_sub[first["id"]]["resource"].startswith(f"Users/{one['id']}/Messages/")
    assert by_sub[second["id"]]["resource"].startswith(f"Users/{two['id']}/Messages/")
    stats = fake.stats()
    assert stats["notifications"] == {"posts": 1, "items": 2, "failed_posts": 0}
    assert stats["subscriptions"] == {"created": 3, "renewed": 0, "deleted": 0, "active": 3}


def test_a_change_looks_only_at_its_mailbox_subscriptions(start_fake, receiver):
    fake = start_fake(company=Company(mailboxes=1000, messages_per_mailbox=0), **FAST)
    subscriptions = fake.app.subscriptions
    expiry = in_minutes(60)
    for n in range(3000):   # 3,000 subscriptions on other mailboxes, put straight in the store
        owner = Company(mailboxes=1000).user(1 + n % 999)["id"]
        subscriptions.put({"id": f"sub-{n}", "resource": f"users/{owner}/messages", "changeType": "created",
                           "notificationUrl": receiver.url, "expirationDateTime": expiry, "clientState": "x"}, owner)
    mine = subscribe(Client(fake.url), receiver.url, "users/seller0000@contoso.com/messages", "mine")
    looked_at: list[str] = []
    parse = fake.notifier._scope
    fake.notifier._scope = lambda sub: looked_at.append(sub["id"]) or parse(sub)
    fake.mailbox_of("seller0000@contoso.com").add_message({"subject": "One"})
    assert looked_at == [mine["id"]]
    receiver.wait_posts(1)
    assert fake.notifier.wait_idle()
    assert [i["subscriptionId"] for p in receiver.posts for i in p["body"]["value"]] == [mine["id"]]


def test_stats_count_and_reset_without_touching_state(company):
    client = Client(company.url)
    seller = "seller0001@contoso.com"
    items, link = round_of(client, seller)
    client.get("/users/seller0002@contoso.com")
    stats = company.stats()
    assert stats["requests"] >= 2 and set(stats["by_mailbox"]) == {seller, "seller0002@contoso.com"}
    assert stats["mailboxes_touched"] == 2
    over_http = httpx.get(f"{control(company)}/stats").json()
    assert over_http["by_mailbox"][seller]["requests"] == stats["by_mailbox"][seller]["requests"]
    summary = httpx.get(f"{control(company)}/stats?summary=1").json()
    assert "by_mailbox" not in summary and summary["requests"] == over_http["requests"] + 0
    assert httpx.delete(f"{control(company)}/stats").status_code == 204
    reset = company.stats()
    assert reset["requests"] == 0 and reset["by_mailbox"] == {} and reset["mailboxes_generated"] == 2
    assert client.ok("GET", link)["value"] == []  # the delta state survived
    assert len(round_of(client, seller)[0]) == len(items)


def test_the_request_log_is_bounded_in_company_mode(company):
    log = RequestLog(limit=3)
    for path in ("/a", "/b", "/c", "/d"):
        log.record(EnvironBuilder(path=path).get_request(), None)
    assert [e["path"] for e in log.entries()] == ["/b", "/c", "/d"]
    assert company.app.log._entries.maxlen == COMPANY_LOG_SIZE
    assert FakeGraph({}).app.log._entries.maxlen is None


def run_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "graph_sync.fake.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_the_command_prints_one_json_line_and_serves_until_sigterm(tmp_path):
    process = run_cli("--company", "5", "--messages-per-mailbox", "3", "--seed", "11", "--latency", "0-0.01",
                      "--notify", "--notify-delay", "0.2", "--entra-tls-dir", str(tmp_path / "tls"))
    try:
        line = json.loads(process.stdout.readline())
        assert set(line) >= {"graph_url", "control_url", "authority_host", "ca_file", "tenant_id", "client_id",
                             "client_secret", "mailboxes", "domain"}
        assert line["mailboxes"] == 5 and line["domain"] == "contoso.com"
        assert line["graph_url"] == line["control_url"] + "/v1.0"
        assert line["authority_host"].startswith("https://127.0.0.1:")
        token = httpx.post(f"{line['authority_host']}/{line['tenant_id']}/oauth2/v2.0/token", verify=ssl.create_default_context(cafile=line["ca_file"]),
                           data={"grant_type": "client_credentials", "client_id": line["client_id"],
                                 "client_secret": line["client_secret"],
                                 "scope": "https://graph.microsoft.com/.default"}).json()["access_token"]
        graph = Client(line["graph_url"], token=token)
        items, _ = round_of(graph, "seller0004@contoso.com")
        assert len(items) + len(round_of(graph, "seller0004@contoso.com", "sentitems")[0]) == 3
        assert graph.get("/users/seller0004@contoso.com/todo/lists").status == 200   # Tasks.ReadWrite.All
        assert Client(line["graph_url"], token="not-a-jwt").get("/users/seller0004@contoso.com").status == 401
        assert httpx.get(f"{line['control_url']}/_fake/stats").json()["mailboxes_touched"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, err = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err


def test_the_command_without_entra(tmp_path):
    process = run_cli("--company", "3")
    try:
        line = json.loads(process.stdout.readline())
        assert line["authority_host"] is None and line["ca_file"] is None
        assert Client(line["graph_url"]).get("/users/seller0002@contoso.com/mailFolders/inbox").status == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err


@pytest.fixture
def company_graph(entra_world):
    """A company's fake Graph checking the stand-in Entra's tokens; the sellers are users of its tenant
    and Dealpane's registration holds every application role the sync needs."""
    from tests.entra_fixtures import ALL_APP_ROLES, TENANT

    company = Company(mailboxes=20, messages_per_mailbox=25, seed=5)
    for n in range(company.mailboxes):
        user = company.user(n)
        entra_world.entra.add_user(TENANT, user["userPrincipalName"], user["displayName"], object_id=user["id"])
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    fake = FakeGraph(company=company, entra=entra_world.entra, latency=(0.005, 0.03))
    fake.start()
    entra_world.graphs.append(fake)
    return fake


def test_two_company_mailboxes_sync_in_application_mode_within_graphs_limits(entra_world, company_graph, engine,
                                                                             session_factory):
    """The msgraph-sdk adapter with the app's own token (client credentials at the stand-in Entra),
    two mailboxes synced at the same time in one process: every request within Graph's limits (the
    adapter keeps 4 per mailbox, graph_sync/limits.py), so the fake never had to answer 429."""
    import threading

    from graph_sync.clients import GraphAccess
    from graph_sync.worker import SyncWorker
    from storage.db import UnitOfWork
    from storage.demo import seed_demo
    from storage.services.mailboxes import connect_mailbox

    sellers = ["seller0001@contoso.com", "seller0002@contoso.com"]
    with UnitOfWork(session_factory) as uow:
        workspace, _ = seed_demo(uow.session, today=dt.date(2026, 11, 27))
        for upn in sellers:
            connect_mailbox(uow.session, workspace.id, upn, "application")
        uow.commit()
    settings = entra_world.config(engine, company_graph.url, graph_auth="application").graph_settings()
    access = GraphAccess(settings, session_factory)
    reports: dict[str, list] = {}
    try:
        worker = SyncWorker(session_factory, access, interval=dt.timedelta(minutes=5))
        threads = [threading.Thread(target=lambda upn=upn: reports.__setitem__(upn, worker.run_once(upn)))
                   for upn in sellers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        access.close()
    assert {upn: [r.status for r in got] for upn, got in reports.items()} == {upn: ["ok"] for upn in sellers}
    assert all(got[0].seen >= 25 for got in reports.values())   # every message of both mailboxes read
    stats = company_graph.stats()
    assert set(stats["by_mailbox"]) == set(sellers)
    assert stats["throttled"] == {"MailboxConcurrency": 0, "ApplicationThrottled": 0, "IncomingBytes": 0}
    assert 1 <= stats["max_concurrent_per_mailbox"] <= 4
    paths = {r["path"] for r in company_graph.requests()}
    assert any(p.startswith("/v1.0/users/seller0001@contoso.com/mailFolders/") for p in paths)
    assert any(p.startswith("/v1.0/users/seller0002@contoso.com/mailFolders/") for p in paths)


def test_a_subscription_for_a_user_the_directory_lacks_is_404_extension_error(company):
    reply = Client(company.url).post("/subscriptions", {
        "changeType": "created", "notificationUrl": "https://example.com/hook",
        "resource": "users/nobody@contoso.com/messages", "expirationDateTime": in_minutes(60)})
    assert reply.status == 404 and reply.body["error"]["code"] == "ExtensionError"
    assert "The requested user 'nobody@contoso.com' is invalid." in reply.body["error"]["message"]
    assert company.subscriptions() == []
