"""Item ids from the pane go into Graph URL paths: only Microsoft's documented id forms are accepted
(graph_sync/linking.py, check_item_id), anything else is 422 before a request reaches Graph; and an
application-mode client looks items up under /users/{its mailbox}/ only."""
import pytest

from addin.app import create_app
from graph_sync.linking import MAX_ITEM_ID_LENGTH, check_item_id
from graph_sync.msgraph_adapter import MsGraphClient
from storage.errors import RuleViolation

from .conftest import OWNER, Api

MAILBOX = "demo@contoso.com"  # the demo mailbox's address on the fake Graph

CRAFTED = {
    "dot-dot": "..",  # /me/messages/.. is /me once the HTTP client resolves it
    "dot-dot-slash": "../../users/other@contoso.com/messages/AAMkAGI2",
    "slash": "AAMkAGI2/..",
    "encoded": "%2e%2e",
    "query": "AAMkAGI2?$select=id",
    "fragment": "AAMkAGI2#x",
    "space": "AAMk AGI2",
    "newline": "AAMkAGI2\n",
    "non-ascii": "AAMkAGI2é",
    "too long": "A" * 2000,
}


class _OneMailbox:
    """GraphAccess's stand-in: every caller's client addresses one mailbox as application mode does
    (/users/{mailbox}/...), on the fake Graph."""

    def __init__(self, url: str, mailbox: str | None):
        self.client = MsGraphClient(url, lambda force=False: "t", mailbox=mailbox)

    def client_for(self, user, pane_token=None):
        return self.client

    def close(self):
        self.client.close()


@pytest.fixture(params=[None, MAILBOX], ids=["delegated /me", "application /users/{mailbox}"])
def linking(request, config, engine, fake):
    graph = _OneMailbox(fake.url, request.param)
    app = create_app(config.with_(graph_base_url=fake.url), engine=engine, graph=graph)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    api = Api(app.test_client(), OWNER)
    api.ws = api.ok(api.post("/api/v1/workspaces", {"name": "Sales"}), 201)["id"]
    api.deal = api.make_opportunity()
    api.mailbox = request.param
    yield api
    graph.close()


def _graph_requests(fake) -> list[dict]:
    return [r for r in fake.requests() if not r["path"].startswith("/_fake")]


@pytest.mark.parametrize("item_id_format", ["ews", "rest", "immutable"])
@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_a_crafted_item_id_is_422_and_never_reaches_graph(linking, fake, case, item_id_format):
    before = len(_graph_requests(fake))
    response = linking.post(f"/opportunities/{linking.deal['id']}/links",
                            {"item_id": CRAFTED[case], "item_id_format": item_id_format, "item_type": "message"})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "item_id"
    assert _graph_requests(fake)[before:] == []


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_the_context_call_refuses_a_crafted_item_id_too(linking, case):
    response = linking.get("/context", query_string={"item_id": CRAFTED[case], "item_id_format": "ews"})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "item_id"


def test_a_real_item_is_looked_up_in_the_clients_own_mailbox_only(linking, fake):
    message = next(m for m in fake.mailbox.to_dict()["messages"])
    before = len(_graph_requests(fake))
    linked = linking.ok(linking.post(f"/opportunities/{linking.deal['id']}/links",
                                     {"item_id": message["id"], "item_id_format": "immutable"}), 201)
    assert linked["graph"]["id"] == message["id"]
    paths = [r["path"] for r in _graph_requests(fake)[before:]]
    root = "/v1.0/me" if linking.mailbox is None else f"/v1.0/users/{linking.mailbox}"
    assert paths == [f"{root}/messages/{message['id']}"]


def test_an_ews_id_and_the_id_graph_translates_it_to_stay_in_the_mailbox(linking, fake):
    message = next(m for m in fake.mailbox.to_dict()["messages"])
    client = MsGraphClient(fake.url, lambda force=False: "t")
    try:
        ews = client.translate_ids([message["id"]], "restImmutableEntryId", "ewsId")[message["id"]]
    finally:
        client.close()
    assert "+" in ews or "/" in ews or ews.startswith("AAMk")  # standard base64, as Office.js hands it over
    before = len(_graph_requests(fake))
    linking.ok(linking.post(f"/opportunities/{linking.deal['id']}/links", {"item_id": ews, "item_id_format": "ews"}),
               201)
    requests = _graph_requests(fake)[before:]
    root = "/v1.0/me" if linking.mailbox is None else f"/v1.0/users/{linking.mailbox}"
    assert [r["path"] for r in requests] == [f"{root}/translateExchangeIds", f"{root}/messages/{message['id']}"]


class _Translator:
    """A Graph whose translateExchangeIds answers a path instead of an id: it never reaches a URL."""

    def __init__(self):
        self.fetched = []

    def translate_ids(self, ids, source, target="restImmutableEntryId"):
        return {ids[0]: "../../users/other@contoso.com"}

    def get_message(self, message_id):
        self.fetched.append(message_id)
        return {}


def test_an_id_translated_to_something_that_is_not_an_id_is_refused():
    from graph_sync.linking import immutable_id  # noqa: PLC0415

    graph = _Translator()
    with pytest.raises(RuleViolation):
        immutable_id(graph, "AAMkAGI2+/AAA=", "ews")
    assert graph.fetched == []


@pytest.mark.parametrize("item_id, item_id_format", [
    ("AAMkAGI2THVSAAA=", "ews"), ("AAMkAGI2+/THVSAAA=", "ews"), ("AAMkAGI2-_THVSAAA=", "rest"),
    ("AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0AuJeBHLUOTkKeiBJ9ZJd_3AAAAAAACAAA=", "immutable"),
    ("A" * MAX_ITEM_ID_LENGTH, "immutable"), ("AAMk-ews-1", None), ("AAMk+ews/1==", None),
])
def test_the_documented_forms_pass(item_id, item_id_format):
    assert check_item_id(item_id, item_id_format) == item_id


@pytest.mark.parametrize("item_id, item_id_format", [
    ("AAMk-rest_1", "ews"),  # the URL-safe alphabet is REST's, not EWS's
    ("AAMk+ews/1", "rest"), ("AAMk+ews/1", "immutable"),
    ("A" * (MAX_ITEM_ID_LENGTH + 1), "ews"), ("", "ews"), ("AA=A", "ews"), ("AA===", "rest"),
])
def test_other_forms_fail(item_id, item_id_format):
    with pytest.raises(RuleViolation):
        check_item_id(item_id, item_id_format)
