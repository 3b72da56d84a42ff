"""Graph's Outlook limits in the fake (throttling.py): 4 concurrent requests and a request budget per
app and mailbox, 150 MB of uploads, batch items counted one by one, 429 ApplicationThrottled with
Retry-After. Concurrency is made deterministic with a gate standing in for the latency: requests
wait inside it (holding their slot) until the test lets them go."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from graph_sync.fake.company import Company
from graph_sync.fake.entra import EntraApp, StandinEntra
from graph_sync.fake.throttling import OutlookLimits

from .conftest import Client, message

SELLER = "seller0001@contoso.com"
OTHER = "seller0002@contoso.com"
CONCURRENCY_MESSAGE = "Application is over its MailboxConcurrency limit."


class Gate:
    """Stands in for the fake's latency: the first `hold` requests wait inside until `release()`."""

    def __init__(self, hold: int):
        self.hold = hold
        self.inside = 0
        self.cond = threading.Condition()
        self.released = False

    def pause(self, share: float = 1.0) -> None:
        with self.cond:
            if self.inside >= self.hold:
                return
            self.inside += 1
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.released, timeout=30)

    def wait_inside(self, count: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.inside >= count, timeout=30), f"only {self.inside} arrived"

    def release(self) -> None:
        with self.cond:
            self.released = True
            self.cond.notify_all()


def gated(fake, hold: int) -> Gate:
    gate = Gate(hold)
    fake.app.latency = gate
    return gate


def inbox(who: str = SELLER) -> str:
    return f"/users/{who}/mailFolders/inbox"


@pytest.fixture
def company(start_fake):
    return start_fake(company=Company(mailboxes=5, messages_per_mailbox=2))


def test_a_fifth_concurrent_request_on_one_mailbox_is_429_while_other_mailboxes_are_free(company):
    client = Client(company.url)
    gate = gated(company, hold=4)
    with ThreadPoolExecutor(4) as pool:
        held = [pool.submit(client.get, inbox()) for _ in range(4)]
        gate.wait_inside(4)
        fifth = client.get(inbox())
        elsewhere = client.get(inbox(OTHER))  # not held by the gate: passes straight through
        gate.release()
        assert [f.result().status for f in held] == [200] * 4
    assert fifth.status == 429
    assert fifth.body["error"]["code"] == "ApplicationThrottled"
    assert fifth.body["error"]["message"] == CONCURRENCY_MESSAGE
    assert fifth.headers["retry-after"] == "1"
    assert elsewhere.status == 200
    stats = company.stats()
    assert stats["throttled"]["MailboxConcurrency"] == 1 and stats["throttled"]["ApplicationThrottled"] == 0
    assert stats["max_concurrent_per_mailbox"] == 4
    assert stats["by_mailbox"][SELLER] == {"requests": 5, "throttled": 1, "max_concurrent": 4}
    assert client.get(inbox()).status == 200  # the slots are free again


def test_the_limit_is_per_app_and_mailbox_when_tokens_are_checked(start_fake):
    entra = StandinEntra()
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    company = Company(mailboxes=3, messages_per_mailbox=1)
    for n in range(3):
        user = company.user(n)
        entra.add_user(tenant, user["userPrincipalName"], user["displayName"], object_id=user["id"])
    apps = [entra.add_app(EntraApp(client_id=f"11111111-2222-3333-4444-55555555555{i}", secret="s",
                                   home_tenant=tenant)) for i in range(2)]
    tokens = [entra.graph_token(app=app, tenant_id=tenant, permissions=["Mail.Read"])[0] for app in apps]
    fake = start_fake(company=company, entra=entra)
    first, second = Client(fake.url, token=tokens[0]), Client(fake.url, token=tokens[1])
    gate = gated(fake, hold=8)
    with ThreadPoolExecutor(8) as pool:
        held = [pool.submit(c.get, inbox()) for c in (first, second) for _ in range(4)]
        gate.wait_inside(8)
        over = first.get(inbox())
        gate.release()
        assert [f.result().status for f in held] == [200] * 8
    assert over.status == 429 and over.body["error"]["message"] == CONCURRENCY_MESSAGE


def test_over_the_budget_is_429_with_the_seconds_until_the_window_has_room(start_fake):
    fake = start_fake(company=Company(mailboxes=3, messages_per_mailbox=1, budget=(50, 600)))
    client = Client(fake.url)
    assert all(client.get(inbox()).status == 200 for _ in range(50))
    over = client.get(inbox())
    assert over.status == 429 and over.body["error"]["code"] == "ApplicationThrottled"
    assert over.body["error"]["message"] == "Application is over its MailboxRequests limit."
    assert 590 <= int(over.headers["retry-after"]) <= 601
    assert client.get(inbox()).status == 429     # a refused request counts too: the window stays full
    assert client.get(inbox(OTHER)).status == 200  # another mailbox has its own budget
    stats = fake.stats()
    assert stats["throttled"]["ApplicationThrottled"] == 2
    assert stats["by_mailbox"][SELLER]["requests"] == 52


def test_the_budget_frees_up_as_the_window_slides(start_fake):
    fake = start_fake(company=Company(mailboxes=1, messages_per_mailbox=0, budget=(3, 1.0)))
    client = Client(fake.url, token="t")
    seller = "seller0000@contoso.com"
    assert [client.get(inbox(seller)).status for _ in range(3)] == [200] * 3
    over = client.get(inbox(seller))
    assert over.status == 429 and over.headers["retry-after"] in ("1", "2")  # whole seconds, rounded up
    threading.Event().wait(float(over.headers["retry-after"]) + 0.05)
    assert client.get(inbox(seller)).status == 200


def test_the_one_mailbox_fake_has_the_limits_too_unless_turned_off(start_fake, demo_mailbox):
    limited = start_fake(demo_mailbox, limits=OutlookLimits(requests=2))
    client = Client(limited.url)
    assert [client.get("/me/mailFolders/inbox").status for _ in range(3)] == [200, 200, 429]
    free = start_fake(demo_mailbox, limits=False)
    gate = gated(free, hold=6)
    other = Client(free.url)
    with ThreadPoolExecutor(6) as pool:
        held = [pool.submit(other.get, "/me/mailFolders/inbox") for _ in range(6)]
        gate.wait_inside(6)
        gate.release()
        assert [f.result().status for f in held] == [200] * 6
    assert free.stats()["max_concurrent_per_mailbox"] == 6


def batch_of(count: int, who: str = SELLER, *, chained: bool = False) -> dict:
    requests = []
    for i in range(count):
        item = {"id": str(i + 1), "method": "GET", "url": f"/users/{who}/mailFolders/inbox"}
        if chained and i:
            item["dependsOn"] = [str(i)]
        requests.append(item)
    return {"requests": requests}


def test_batch_items_count_against_the_budget_one_by_one(start_fake):
    fake = start_fake(company=Company(mailboxes=2, messages_per_mailbox=1, budget=(10, 600)))
    client = Client(fake.url)
    answer = client.ok("POST", "/$batch", batch_of(12))
    statuses = [r["status"] for r in answer["responses"]]
    assert statuses == [200] * 10 + [429] * 2
    throttled = answer["responses"][-1]
    assert throttled["body"]["error"]["code"] == "ApplicationThrottled"
    assert int(throttled["headers"]["Retry-After"]) > 0
    stats = fake.stats()
    assert stats["by_mailbox"][SELLER]["requests"] == 12
    assert (stats["requests"], stats["http_requests"]) == (13, 1)  # the envelope and its items; one over the wire


def test_a_batch_holds_up_to_four_slots_on_its_mailbox(company):
    """Graph runs up to 4 items of a batch at once: a batch of 4 beside 2 running requests gets 2 of
    them through and 429 for the 2 that found the mailbox full."""
    client = Client(company.url)
    gate = gated(company, hold=2)
    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(client.get, inbox()) for _ in range(2)]
        gate.wait_inside(2)
        answer = client.ok("POST", "/$batch", batch_of(4))
        chained = client.ok("POST", "/$batch", batch_of(4, chained=True))  # dependsOn: one slot at a time
        gate.release()
        assert [f.result().status for f in held] == [200, 200]
    responses = sorted(answer["responses"], key=lambda r: int(r["id"]))
    assert [r["status"] for r in responses] == [200, 200, 429, 429]
    assert responses[2]["body"]["error"]["message"] == CONCURRENCY_MESSAGE
    assert [r["status"] for r in chained["responses"]] == [200] * 4
    assert company.stats()["by_mailbox"][SELLER]["max_concurrent"] == 4


def test_while_a_batch_runs_its_mailbox_has_no_slot_left(company):
    client = Client(company.url)
    gate = gated(company, hold=1)  # the batch's first item waits inside, the batch holding 4 slots
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(client.post, "/$batch", batch_of(6))
        gate.wait_inside(1)
        beside = client.get(inbox())
        gate.release()
        assert [r["status"] for r in running.result().body["responses"]] == [200] * 6
    assert beside.status == 429 and beside.body["error"]["message"] == CONCURRENCY_MESSAGE


def test_uploads_over_the_byte_budget_are_429_incoming_bytes(start_fake):
    fake = start_fake(company=Company(mailboxes=1, messages_per_mailbox=0), limits=OutlookLimits(upload_bytes=6000))
    client = Client(fake.url)
    draft = message("Big", body={"contentType": "text", "content": "x" * 4000})
    assert client.post("/users/seller0000@contoso.com/messages", draft).status == 201
    over = client.post("/users/seller0000@contoso.com/messages", draft)
    assert over.status == 429 and over.body["error"]["message"] == "Application is over its IncomingBytes limit."
    assert fake.stats()["throttled"]["IncomingBytes"] == 1
    assert client.get("/users/seller0000@contoso.com/mailFolders/inbox").status == 200  # reads still pass


def test_the_threaded_server_serves_many_requests_at_once(start_fake):
    fake = start_fake(company=Company(mailboxes=40, messages_per_mailbox=1))
    gate = gated(fake, hold=40)
    client = Client(fake.url)
    with ThreadPoolExecutor(40) as pool:
        replies = [pool.submit(client.get, inbox(f"seller{n:04d}@contoso.com")) for n in range(40)]
        gate.wait_inside(40)  # all 40 are being served at the same moment
        gate.release()
        assert {f.result().status for f in replies} == {200}


@pytest.fixture
def demo_mailbox() -> dict:
    import json

    from graph_sync.fake.cli import DEMO_MAILBOX
    return json.loads(DEMO_MAILBOX.read_text(encoding="utf-8"))
