"""The msgraph-sdk adapter against the fake Graph over loopback: every port method, every fault."""
import datetime as dt

import pytest

from graph_sync.msgraph_adapter import MsGraphClient
from graph_sync.port import (
    BatchRequest, CursorExpired, EventSpec, GraphAuthError, GraphBug, GraphNotFound, GraphPermissionError,
    GraphTransientError, MailSpec,
)

from tests.conftest import demo_fake

from .csdl import unknown_properties

WINDOW = (dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc), dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc))


class Sleeps:
    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def fake():
    with demo_fake() as graph:
        yield graph


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(fake, sleeps):
    fake.clear_faults()
    fake.clear_requests()
    c = MsGraphClient(fake.url, lambda force=False: "test-token", page_size=4, sleep=sleeps)
    yield c
    c.close()


def walk(fetch):
    pages, items, removed = [], [], []
    cursor = None
    while True:
        page = fetch(cursor)
        pages.append(page)
        items += page.items
        removed += page.removed
        if page.delta_link:
            return pages, items, removed
        cursor = page.next_link


def test_message_delta_pages_to_a_delta_link_with_immutable_ids_and_our_select(client, fake):
    pages, items, _ = walk(lambda c: client.delta_messages("inbox", c))
    assert len(pages) > 1 and all(p.next_link for p in pages[:-1]) and pages[-1].delta_link
    assert len({i["id"] for i in items}) == len(items)
    assert all(set(i) <= {"id", "subject", "bodyPreview", "from", "sender", "toRecipients", "ccRecipients",
                          "receivedDateTime", "sentDateTime", "internetMessageId", "conversationId", "webLink",
                          "changeKey", "parentFolderId", "isDraft", "internetMessageHeaders", "hasAttachments",
                          "@odata.etag", "@odata.type"} for i in items)
    sent = [r for r in fake.requests() if "/messages/delta" in r["path"]]
    assert all('IdType="ImmutableId"' in r["headers"]["Prefer"] and "odata.maxpagesize=4" in r["headers"]["Prefer"]
               for r in sent)
    # the ids are the immutable ones: GET by id works and gives the same id back
    assert client.get_message(items[0]["id"])["id"] == items[0]["id"]


def test_the_next_round_returns_only_changes_and_removals(client, fake):
    _, _, _ = walk(lambda c: client.delta_messages("inbox", c))
    pages, _, _ = walk(lambda c: client.delta_messages("inbox", c))
    delta_link = pages[-1].delta_link
    added = fake.mailbox.add_message({"subject": "New", "from": {"emailAddress": {"address": "a@b.example"}}})
    victim = pages[0].items[0]["id"] if pages[0].items else None
    fake.mailbox.delete_message(added["id"])
    fake.mailbox.add_message({"subject": "Newer", "from": {"emailAddress": {"address": "a@b.example"}}})
    _, items, removed = walk(lambda c: client.delta_messages("inbox", c or delta_link))
    assert [i["subject"] for i in items] == ["Newer"]
    # created and deleted between two rounds: Graph may still report it removed, and the fake does
    assert added["id"] in removed
    assert victim is None or victim not in removed


def test_calendar_and_todo_deltas(client, fake):
    _, events, _ = walk(lambda c: client.delta_events(*WINDOW, c))
    assert events and all("start" in e and "end" in e for e in events)
    assert any('outlook.timezone="UTC"' in r["headers"].get("Prefer", "") for r in fake.requests())
    lists = fake.mailbox.todo_lists()
    _, tasks, _ = walk(lambda c: client.delta_tasks(lists[0]["id"], c))
    assert tasks and all("title" in t for t in tasks)


def test_translate_exchange_ids_round_trip_in_chunks_of_a_thousand(client, fake):
    ids = [m["id"] for m in fake.mailbox.to_dict()["messages"]][:3]
    ews = client.translate_ids(ids, "restImmutableEntryId", "ewsId")
    back = client.translate_ids(list(ews.values()), "ewsId", "restImmutableEntryId")
    assert [back[ews[i]] for i in ids] == ids
    many = (ids * 400)[:1001]
    client.translate_ids(many, "restImmutableEntryId", "ewsId")
    calls = [r for r in fake.requests() if r["path"].endswith("/translateExchangeIds")]
    assert [len(r["body"]["inputIds"]) for r in calls][-2:] == [1000, 1]


def test_batch_resends_throttled_items_after_their_retry_after(client, fake, sleeps):
    ids = [m["id"] for m in fake.mailbox.to_dict()["messages"]][:3]
    fake.add_fault(match=f"/messages/{ids[1]}", status=429, times=1, retry_after=0.75)
    answers = client.batch([BatchRequest(id=str(n), method="GET", url=f"/me/messages/{i}") for n, i in enumerate(ids)])
    assert [a.status for a in answers] == [200, 200, 200]
    assert [a.body["id"] for a in answers] == ids
    assert sleeps.waits == [0.75]


def test_batches_hold_at_most_twenty_requests(client, fake):
    ids = [m["id"] for m in fake.mailbox.to_dict()["messages"]][:1] * 25
    answers = client.batch([BatchRequest(id=str(n), method="GET", url=f"/me/messages/{i}") for n, i in enumerate(ids)])
    assert len(answers) == 25
    assert [len(r["body"]["requests"]) for r in fake.requests() if r["path"].endswith("/$batch")] == [20, 5]


@pytest.mark.parametrize(("status", "retry_after"), [(429, 1.5), (503, 0.25), (504, None)])
def test_transient_errors_are_retried_honouring_fractional_retry_after(client, fake, sleeps, status, retry_after):
    fake.add_fault(match="/messages/delta", status=status, times=2, retry_after=retry_after)
    page = client.delta_messages("inbox")
    assert page.items
    assert len(sleeps.waits) == 2
    if retry_after is not None:
        assert sleeps.waits == [retry_after, retry_after]


def test_giving_up_after_the_last_attempt_is_a_transient_error_with_the_wait(client, fake):
    fake.add_fault(match="/messages/delta", status=429, times=10, retry_after=2.5)
    with pytest.raises(GraphTransientError) as caught:
        client.delta_messages("inbox")
    assert caught.value.retry_after == 2.5 and caught.value.status == 429


def test_a_dropped_connection_is_retried(client, fake, sleeps):
    fake.add_fault(match="/messages/delta", drop=True, times=1)
    assert client.delta_messages("inbox").items
    assert len(sleeps.waits) == 1


def test_an_expired_cursor_is_its_own_error(client, fake):
    pages, _, _ = walk(lambda c: client.delta_messages("inbox", c))
    fake.expire_tokens()
    with pytest.raises(CursorExpired):
        client.delta_messages("inbox", pages[-1].delta_link)


def test_a_401_gets_one_fresh_token_then_is_an_auth_error(fake, sleeps):
    fake.clear_faults()
    fake.clear_requests()
    forced = []
    client = MsGraphClient(fake.url, lambda force=False: forced.append(force) or f"token-{len(forced)}", sleep=sleeps)
    fake.add_fault(match="/messages/delta", status=401, times=1)
    assert client.delta_messages("inbox").items  # refreshed once, then it worked
    assert forced[-1] is True
    fake.add_fault(match="/messages/delta", status=401, times=2)
    with pytest.raises(GraphAuthError):
        client.delta_messages("inbox")
    client.close()


def test_auth_and_not_found_and_bugs_are_sorted(client, fake):
    fake.add_fault(match="/messages/delta", status=403, times=2)  # the fresh token is refused too
    with pytest.raises(GraphPermissionError) as refused:
        client.delta_messages("inbox")
    assert refused.value.permission == "Mail.Read" and "message-delta" in refused.value.doc
    assert isinstance(refused.value, GraphAuthError)
    with pytest.raises(GraphNotFound):
        client.get_message("AAMkAGnotthere")
    with pytest.raises(GraphBug):
        client.translate_ids(["x"], "notAnIdType")


def test_posts_are_never_retried_automatically(client, fake, sleeps):
    fake.add_fault(match="/me/events", status=503, times=1, retry_after=0.1)
    spec = EventSpec(subject="Demo", start=dt.datetime(2026, 12, 3, 10), end=dt.datetime(2026, 12, 3, 11),
                     time_zone="W. Europe Standard Time", attendees=[("Megan", "megan.bowen@fabrikam.com")],
                     transaction_id="7e0e3c1e-0000-4000-8000-000000000001")
    with pytest.raises(GraphTransientError):
        client.create_event(spec)
    assert sleeps.waits == []
    assert len([r for r in fake.requests() if r["method"] == "POST" and r["path"].endswith("/me/events")]) == 1


def test_a_retried_event_with_the_same_transaction_id_is_one_event(client, fake):
    spec = EventSpec(subject="Pricing call", start=dt.datetime(2026, 12, 4, 15), end=dt.datetime(2026, 12, 4, 16),
                     time_zone="Europe/Berlin", attendees=[("Megan Bowen", "megan.bowen@fabrikam.com")],
                     transaction_id="7e0e3c1e-0000-4000-8000-000000000002", location="Teams",
                     extended_properties={"DealpaneOpportunity": "opp-1"})
    first, second = client.create_event(spec), client.create_event(spec)
    assert first["id"] == second["id"] and first["iCalUId"]


def test_draft_then_send_lands_in_sent_items_with_our_header(client, fake):
    draft = client.create_draft(MailSpec(subject="Proposal", body_html="<p>Hi</p>",
                                         to=[("Megan Bowen", "megan.bowen@fabrikam.com")],
                                         headers={"x-dealpane-opportunity": "opp-1"}))
    client.send_draft(draft["id"])
    _, sent, _ = walk(lambda c: client.delta_messages("sentitems", c))
    match = [m for m in sent if m.get("internetMessageId") == draft["internetMessageId"]]
    assert match and match[0]["id"] == draft["id"]  # immutable: same id in Drafts and in Sent Items


def test_request_bodies_we_send_are_real_graph_properties(client, fake):
    client.create_event(EventSpec(subject="S", start=dt.datetime(2026, 12, 5, 9), end=dt.datetime(2026, 12, 5, 10),
                                  time_zone="UTC", attendees=[("A", "a@b.example")], online_meeting=True,
                                  transaction_id="7e0e3c1e-0000-4000-8000-000000000003", body_html="<b>x</b>",
                                  location="Room", extended_properties={"DealpaneOpportunity": "o"}))
    client.create_draft(MailSpec(subject="S", body_html="x", to=[("A", "a@b.example")], cc=[("C", "c@d.example")],
                                 headers={"x-dealpane-opportunity": "o"}))
    bodies = {r["path"].rsplit("/", 1)[-1]: r["body"] for r in fake.requests() if r["method"] == "POST"}
    assert unknown_properties("event", bodies["events"]) == []
    assert unknown_properties("message", bodies["messages"]) == []


def test_the_csdl_check_itself_catches_a_made_up_property():
    assert unknown_properties("event", {"subject": "x", "attendeez": []}) == ["event.attendeez"]
    assert unknown_properties("event", {"start": {"dateTime": "x", "zone": "UTC"}}) == ["start.dateTimeTimeZone.zone"]


def test_at_most_four_requests_in_flight_per_mailbox(fake):
    import threading

    from graph_sync.limits import LIMITS

    fake.clear_faults()
    clients = [MsGraphClient(fake.url, lambda force=False: "t", limit_key="busy@contoso.com") for _ in range(3)]
    ids = [m["id"] for m in fake.mailbox.to_dict()["messages"]][:4]
    threads = [threading.Thread(target=lambda c=c, i=i: c.get_message(i)) for c in clients for i in ids for _ in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= LIMITS.peak_in_flight["busy@contoso.com"] <= 4
    for c in clients:
        c.close()


def test_a_retry_after_pauses_the_whole_mailbox(fake, sleeps):
    """Graph's Retry-After holds every request to that mailbox, not only the one refused
    (https://learn.microsoft.com/graph/throttling): proven by when the fake saw them arrive."""
    import threading

    fake.clear_faults()
    fake.clear_requests()
    first = MsGraphClient(fake.url, lambda force=False: "t", limit_key="paused@contoso.com", sleep=sleeps)
    second = MsGraphClient(fake.url, lambda force=False: "t", limit_key="paused@contoso.com")
    other = MsGraphClient(fake.url, lambda force=False: "t", limit_key="elsewhere@contoso.com")
    message_id = fake.mailbox.to_dict()["messages"][0]["id"]
    fake.add_fault(match="/messages/delta", status=429, times=1, retry_after=0.6)
    refused = threading.Event()
    original = sleeps.__call__

    async def after_the_429(seconds):  # the first client's own wait is skipped: the pause must still hold
        refused.set()
        return await original(seconds)

    first._sleep = after_the_429
    worker = threading.Thread(target=lambda: first.delta_messages("inbox"))
    worker.start()
    assert refused.wait(5)
    other.get_message(message_id)  # another mailbox: not held
    second.get_message(message_id)  # another client of the same mailbox, asking after the 429: held
    worker.join(10)
    log = fake.requests()
    throttled = next(r for r in log if "/messages/delta" in r["path"])
    after = [r for r in log if r["at"] > throttled["at"]]
    assert len(after) == 3  # the other mailbox's GET, the held GET, the delta asked again
    early = [r for r in after if r["at"] - throttled["at"] < 0.55]
    assert len(early) == 1 and "/messages/delta" not in early[0]["path"]  # only the other mailbox's
    late = [r["path"] for r in after if r not in early]
    assert any("/messages/delta" in p for p in late) and any(p.endswith(f"/messages/{message_id}") for p in late)
    for c in (first, second, other):
        c.close()


def _with_attachments(fake) -> dict:
    return next(m for m in fake.mailbox.to_dict()["messages"] if (m.get("subject") or "").startswith("BCM data migration"))


def test_attachments_are_listed_without_their_content_then_one_is_read(client, fake):
    from graph_sync.port import NotAFileAttachment  # noqa: PLC0415

    message = _with_attachments(fake)
    listed = client.list_attachments(message["id"])
    assert [(a["name"], a["kind"], a["is_inline"]) for a in listed] == [
        ("export-sample.csv", "file", False), ("BCM full export.xlsx", "reference", False)]
    assert set(listed[0]) == {"id", "name", "size", "content_type", "is_inline", "kind"}
    asked = [r for r in fake.requests() if r["path"].endswith("/attachments")][-1]
    assert "contentbytes" not in asked["query"]["$select"].lower()
    data, content_type, name = client.get_attachment_content(message["id"], listed[0]["id"])
    assert data.startswith(b"Company,Contact") and content_type == "text/csv" and name == "export-sample.csv"
    with pytest.raises(NotAFileAttachment) as reference:
        client.get_attachment_content(message["id"], listed[1]["id"])
    assert reference.value.kind == "reference"
    with pytest.raises(GraphNotFound):
        client.list_attachments("AAMkAGnotthere")
    with pytest.raises(GraphNotFound):
        client.get_attachment_content(message["id"], "AAMkAGnotthere")


def test_a_refused_attachment_names_its_permission(client, fake):
    message = _with_attachments(fake)
    fake.add_fault(match="/attachments", status=403, times=2)
    with pytest.raises(GraphPermissionError) as refused:
        client.list_attachments(message["id"])
    assert refused.value.permission == "Mail.Read" and "message-list-attachments" in refused.value.doc
    assert refused.value.what == "read attachments"


def test_a_batch_holds_the_slots_of_the_items_graph_runs_at_once():
    """Graph runs up to 4 of a $batch's items at once, each counting against the mailbox's 4 concurrent
    requests (https://learn.microsoft.com/graph/throttling#throttling-and-batching): a batch beside other
    requests to the same mailbox must not make a 5th. The fake Graph enforces the limit (429
    ApplicationThrottled, MailboxConcurrency) and, with latency, lets requests overlap."""
    import json
    import threading

    from graph_sync.fake import FakeGraph
    from graph_sync.fake.cli import DEMO_MAILBOX
    from graph_sync.limits import LIMITS
    from graph_sync.port import BatchRequest

    with FakeGraph(json.loads(DEMO_MAILBOX.read_text(encoding="utf-8")), latency=(0.05, 0.1)) as graph:
        client = MsGraphClient(graph.url, lambda force=False: "t", limit_key="batched@contoso.com", max_attempts=1)
        ids = [m["id"] for m in graph.mailbox.to_dict()["messages"]][:8]
        errors = []

        def single(message_id):
            try:
                client.get_message(message_id)
            except Exception as error:  # noqa: BLE001 - collected: a 429 here is the failure
                errors.append(error)

        def batch():
            answers = client.batch([BatchRequest(id=str(n), method="GET", url=f"/me/messages/{i}")
                                    for n, i in enumerate(ids * 2)])
            errors.extend(a.status for a in answers if a.status != 200)

        threads = [threading.Thread(target=batch)] + [threading.Thread(target=single, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.close()
        assert errors == [] and sum(graph.stats(summary=True)["throttled"].values()) == 0
    assert LIMITS.peak_in_flight["batched@contoso.com"] <= 4
