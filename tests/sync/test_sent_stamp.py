"""Mail stamped while it is written lands in the opportunity from its copy in Sent Items, once.

The copy in Sent Items keeps the add-in's custom properties (the pane's stamp) and has no internet
headers (microsoft-graph-docs#2716, #12726; office-js-docs-pr#5057): the fake Graph drops them as Graph
does, so a header-only stamp files nothing. Everything goes through the real msgraph-sdk adapter.
"""
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from graph_sync.clients import GraphAccess, GraphSettings
from graph_sync.msgraph_adapter import MsGraphClient
from graph_sync.stamp import StampedMail, opportunity_stamp, property_id
from graph_sync.worker import SyncWorker
from storage.demo import DEMO_OWNER
from storage.models import HistoryItem, HistoryLink, Opportunity

ADDIN_ID = "0B0E6A5C-2F7E-4A43-9D3A-1C5F0E7D9A21"  # as a manifest may spell it; cecp- uses it lowercased
PROSPECT = "buyer@new-prospect.example"  # no contact, no account: only the stamp can file this mail


@pytest.fixture
def stamped_graph(fake, session_factory):
    access = GraphAccess(GraphSettings(base_url=fake.url, auth="dev", page_size=5, addin_id=ADDIN_ID),
                         session_factory)
    yield access
    access.close()


@pytest.fixture
def worker(session_factory, stamped_graph, mailbox_id):
    return SyncWorker(session_factory, stamped_graph, interval=dt.timedelta(minutes=5))


@pytest.fixture
def graph_client(fake):
    client = MsGraphClient(fake.url, lambda force=False: "t", addin_id=ADDIN_ID)
    yield client
    client.close()


@pytest.fixture
def opportunities(session_factory, workspace_id) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(sa.select(Opportunity.id).where(Opportunity.workspace_id == workspace_id)
                                    .order_by(Opportunity.id).limit(2)))


def draft(fake, subject: str, **stamp) -> dict:
    """A draft in Drafts, as Outlook saves the message being written."""
    return fake.mailbox.add_message({
        "subject": subject, "parentFolderId": "drafts", "isDraft": True, "bodyPreview": subject,
        "from": {"emailAddress": {"name": "Demo", "address": "demo@contoso.com"}},
        "toRecipients": [{"emailAddress": {"name": "Buyer", "address": PROSPECT}}], **stamp})


def office_js_stamp(opportunity_id: str) -> dict:
    """What the pane's loadCustomPropertiesAsync / set / saveAsync leave on the item: all the add-in's
    custom properties as one JSON object in cecp-<add-in id> (MS-OXCEXT 2.2.5)."""
    value = json.dumps({"DealpaneOpportunity": opportunity_id, "otherSetting": "kept"})
    return {"singleValueExtendedProperties": [{"id": property_id(ADDIN_ID), "value": value}]}


def filed(session_factory, internet_message_id: str) -> list[tuple]:
    with session_factory() as session:
        return list(session.execute(
            sa.select(HistoryItem.id, HistoryLink.opportunity_id, HistoryLink.origin)
            .join(HistoryLink, HistoryLink.item_id == HistoryItem.id, isouter=True)
            .where(HistoryItem.internet_message_id == internet_message_id)))


def test_a_mail_stamped_in_compose_lands_in_the_opportunity_once(worker, fake, graph_client, session_factory,
                                                                  opportunities):
    opportunity = opportunities[0]
    assert [r.status for r in worker.run_once()] == ["ok"]
    written = draft(fake, "Proposal for the new prospect", **office_js_stamp(opportunity))
    graph_client.send_draft(written["id"])

    sent_copy = fake.mailbox.get("message", written["id"])
    assert "internetMessageHeaders" not in sent_copy and sent_copy["singleValueExtendedProperties"]
    assert [r.status for r in worker.run_once(DEMO_OWNER)] == ["ok"]
    rows = filed(session_factory, written["internetMessageId"])
    assert [(r.opportunity_id, r.origin) for r in rows] == [(opportunity, "auto")]

    # Another round, and a change to the sent copy (read, flagged...): still one item, one link.
    fake.mailbox.update_message(written["id"], {"isRead": True, "categories": ["Dealpane"]})
    worker.run_once(DEMO_OWNER)
    worker.run_once(DEMO_OWNER)
    assert filed(session_factory, written["internetMessageId"]) == rows

    # The first delta request asked Graph for the add-in's custom properties the documented way.
    first = next(r for r in fake.requests() if "/mailFolders/sentitems/messages/delta" in r["path"]
                 and "$select" in r["query"])
    assert first["query"]["$expand"] == f"singleValueExtendedProperties($filter=id eq '{property_id(ADDIN_ID)}')"


def test_a_header_only_stamp_is_not_on_the_sent_copy_and_files_nothing(worker, fake, graph_client,
                                                                       session_factory, opportunities):
    opportunity = opportunities[1]
    worker.run_once()
    written = draft(fake, "Header-stamped proposal",
                    internetMessageHeaders=[{"name": "x-dealpane-opportunity", "value": opportunity}])
    assert opportunity_stamp(fake.mailbox.get("message", written["id"])) == opportunity  # the draft has it
    graph_client.send_draft(written["id"])
    assert [r.status for r in worker.run_once(DEMO_OWNER)] == ["ok"]
    assert filed(session_factory, written["internetMessageId"]) == []  # the copy in Sent Items has no header


def test_mail_sent_by_dealpane_is_stamped_with_the_property_not_a_header(fake, graph_client):
    written = graph_client.create_draft(StampedMail(subject="Quote", body_html="<p>x</p>",
                                                    to=[("Buyer", PROSPECT)], opportunity_id="a" * 32))
    posted = [r["body"] for r in fake.requests() if r["method"] == "POST" and r["path"].endswith("/me/messages")]
    assert "internetMessageHeaders" not in posted[-1]
    assert posted[-1]["singleValueExtendedProperties"] == [
        {"id": property_id(ADDIN_ID), "value": json.dumps({"DealpaneOpportunity": "a" * 32}, separators=(",", ":"))}]
    graph_client.send_draft(written["id"])
    assert opportunity_stamp(graph_client.get_message(written["id"])) == "a" * 32


def test_without_the_add_in_id_nothing_is_asked_for_and_nothing_stamped(fake):
    client = MsGraphClient(fake.url, lambda force=False: "t")
    try:
        client.delta_messages("sentitems")
        written = client.create_draft(StampedMail(subject="Q", body_html="x", to=[("B", PROSPECT)],
                                                  opportunity_id="b" * 32))
    finally:
        client.close()
    assert not any("$expand" in str(r["query"]) for r in fake.requests())
    assert "singleValueExtendedProperties" not in fake.mailbox.get("message", written["id"])


CECP = property_id(ADDIN_ID)


@pytest.mark.parametrize("raw", [
    None, "text", [], {}, {"singleValueExtendedProperties": "x"}, {"singleValueExtendedProperties": [None, 1, "x"]},
    {"singleValueExtendedProperties": [{"id": CECP}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": None}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": "not json"}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": "[" * 5000 + "]" * 5000}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": '["DealpaneOpportunity"]'}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": '{"DealpaneOpportunity": 42}'}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": '{"DealpaneOpportunity": "  "}'}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": '{"DealpaneOpportunity": "a b"}'}]},
    {"singleValueExtendedProperties": [{"id": CECP, "value": json.dumps({"DealpaneOpportunity": "x" * 65})}]},
    {"singleValueExtendedProperties": [{"id": "String {00020329-0000-0000-C000-000000000046} Name other",
                                        "value": '{"DealpaneOpportunity": "abc"}'}]},
    {"internetMessageHeaders": "x"}, {"internetMessageHeaders": [None, {"name": None}]},
    {"internetMessageHeaders": [{"name": "x-dealpane-opportunity", "value": ["abc"]}]},
])
def test_garbage_is_no_stamp_and_never_raises(raw):
    assert opportunity_stamp(raw) is None


def test_the_property_wins_over_the_header_and_graph_may_spell_the_id_its_own_way():
    graph_spelling = "String {00020329-0000-0000-c000-000000000046}  Name cecp-0b0e6a5c-2f7e-4a43-9d3a-1c5f0e7d9a21"
    raw = {"internetMessageHeaders": [{"name": "X-Dealpane-Opportunity", "value": " old "}],
           "singleValueExtendedProperties": [{"id": graph_spelling, "value": '{"DealpaneOpportunity": " new "}'}]}
    assert opportunity_stamp(raw) == "new"
    assert opportunity_stamp({"internetMessageHeaders": raw["internetMessageHeaders"]}) == "old"


def test_the_property_id_follows_ms_oxcext_from_the_manifest_id():
    expected = "String {00020329-0000-0000-C000-000000000046} Name cecp-0b0e6a5c-2f7e-4a43-9d3a-1c5f0e7d9a21"
    assert property_id("{0B0E6A5C-2F7E-4A43-9D3A-1C5F0E7D9A21}") == expected
    assert property_id("urn:uuid:0b0e6a5c-2f7e-4a43-9d3a-1c5f0e7d9a21") == expected
    assert property_id(None) is None and property_id("") is None


def test_the_add_in_id_comes_from_configuration_as_the_manifest_derives_it():
    from addin.config import Config  # noqa: PLC0415
    from manifest.settings import ManifestSettings  # noqa: PLC0415

    rendered = ManifestSettings.create("https://dealpane.contoso.com/", api_client_id=ADDIN_ID,
                                       api_uri="api://dealpane.contoso.com/x")
    derived = Config.from_env({"DEALPANE_PUBLIC_BASE_URL": "https://dealpane.contoso.com"})
    assert derived.outlook_addin_id == rendered.app_id == derived.graph_settings().addin_id
    given = Config.from_env({"DEALPANE_ADDIN_ID": ADDIN_ID, "DEALPANE_PUBLIC_BASE_URL": "https://x.example"})
    assert given.outlook_addin_id == ADDIN_ID.lower()
    assert Config.from_env({}).outlook_addin_id is None
    assert Config.from_env({"DEALPANE_PUBLIC_BASE_URL": "http://127.0.0.1:5000"}).outlook_addin_id is None
    assert Config.from_env({"DEALPANE_ADDIN_ID": "not-a-guid"}).outlook_addin_id is None
