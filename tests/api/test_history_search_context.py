"""Communication history, the "Link to" search and the task pane's context call, through the REST API.

Every test runs on SQLite and on PostgreSQL (the `engine` fixture is parametrised).
"""
from __future__ import annotations

import datetime as dt

import pytest

from storage.models import HistoryItem, HistoryLink
from tests.api.conftest import OUTSIDER, Api, error_fields, problem


# ---- helpers ------------------------------------------------------------------------------

def outsider_workspace(api: Api) -> Api:
    """The outsider acting in their own workspace (created by the `api` fixture)."""
    other = api.as_(OUTSIDER)  # shares the builders' numbering, so generated names never collide
    other.ws = other.ok(other.get("/api/v1/me"))["workspaces"][0]["id"]
    return other


def add_history(api: Api, opportunity_id: str, **item) -> dict:
    return api.ok(api.post(f"/opportunities/{opportunity_id}/history", item), 201)


def history_ids(api: Api, record_path: str, **params) -> list[str]:
    return [h["id"] for h in api.ok(api.get(f"{record_path}/history", query_string=params))["items"]]


def same_instant(a: str, b: str) -> bool:
    return dt.datetime.fromisoformat(a) == dt.datetime.fromisoformat(b)


def without(record: dict, *keys: str) -> dict:
    return {k: v for k, v in record.items() if k not in keys}


def ids(items: list[dict]) -> set[str]:
    return {x["id"] for x in items}


def account_link(account: dict) -> dict:
    return {"type": "account", "id": account["id"]}


def contact_link(contact: dict) -> dict:
    return {"type": "contact", "id": contact["id"]}


def store_email(app, workspace_id: str, internet_message_id: str, opportunity_id: str | None,
                subject: str = "Re: your quote") -> str:
    """An e-mail history item as Graph linking stores it (the API cannot create one without Graph)."""
    with app.extensions["dealpane"].session_factory() as session:
        item = HistoryItem(workspace_id=workspace_id, kind="email", subject=subject, summary=subject,
                           occurred_at=dt.datetime(2025, 2, 3, 9, 30, tzinfo=dt.timezone.utc),
                           internet_message_id=internet_message_id, graph_id=f"AAMk-{internet_message_id}")
        if opportunity_id:
            item.links = [HistoryLink(opportunity_id=opportunity_id, origin="manual", reason="linked from the ribbon")]
        session.add(item)
        session.commit()
        return item.id


# ---- adding history items ---------------------------------------------------------------

@pytest.fixture
def crm(api):
    """An account with a contact, a contact without account, and an opportunity linked to each."""
    fabrikam = api.make_account(name="Fabrikam", email_domains=["fabrikam.com"])
    anna = api.make_contact(display_name="Anna Meyer", email_addresses=["anna@fabrikam.com"],
                            account_id=fabrikam["id"])
    loner = api.make_contact(display_name="Lonely Larry", email_addresses=["larry@solo.example"])
    unrelated = api.make_account(name="Unrelated")
    return {
        "fabrikam": fabrikam, "anna": anna, "loner": loner, "unrelated": unrelated,
        "account_opp": api.make_opportunity(title="Fleet", link=account_link(fabrikam)),
        "anna_opp": api.make_opportunity(title="Spare parts", link=contact_link(anna)),
        "loner_opp": api.make_opportunity(title="Solo", link=contact_link(loner)),
    }


ITEMS = {
    "note": ({"kind": "note", "subject": "Met at the fair", "body": "Interested in 40 seats.\nCall back in May."},
             {"subject": "Met at the fair", "body": "Interested in 40 seats.\nCall back in May.", "file": None}),
    "phone_log": ({"kind": "phone_log", "subject": "Call with purchasing", "direction": "incoming",
                   "duration_minutes": 25},
                  {"subject": "Call with purchasing", "direction": "incoming", "duration_minutes": 25}),
    "task": ({"kind": "task", "subject": "Send the quote", "due_date": "2025-05-02", "done": False},
             {"subject": "Send the quote", "due_date": "2025-05-02", "done": False}),
    "file": ({"kind": "file", "subject": "Signed quote", "file": {"name": "Quote 2025-17.pdf",
                                                                  "url": "https://files.example/quote-17.pdf"}},
             {"subject": "Signed quote",
              "file": {"name": "Quote 2025-17.pdf", "url": "https://files.example/quote-17.pdf"}}),
}


@pytest.mark.parametrize("kind", list(ITEMS))
def test_a_history_item_is_added_to_the_opportunity_with_its_fields(api, crm, kind):
    body, expected = ITEMS[kind]
    opportunity = crm["account_opp"]
    item = add_history(api, opportunity["id"], occurred_at="2025-04-01T10:15:00+02:00", **body)
    assert item["kind"] == kind
    assert {k: item[k] for k in expected} == expected
    assert dt.datetime.fromisoformat(item["occurred_at"]) == dt.datetime(2025, 4, 1, 8, 15, tzinfo=dt.timezone.utc)
    assert {"type": "opportunity", "id": opportunity["id"]} in item["links"]
    assert item["graph"] is None and item["removed_in_mailbox"] is False
    (listed,) = api.ok(api.get(f"/opportunities/{opportunity['id']}/history"))["items"]
    assert same_instant(listed["occurred_at"], item["occurred_at"])
    assert without(listed, "occurred_at") == without(item, "occurred_at")


def test_a_file_link_without_a_subject_takes_the_file_name_as_subject(api, crm):
    item = add_history(api, crm["account_opp"]["id"], kind="file",
                       file={"name": "Brochure.pdf", "url": "https://files.example/brochure.pdf"})
    assert item["subject"] == "Brochure.pdf"


@pytest.mark.parametrize("body, field", [
    ({"kind": "file", "subject": "No url", "file": {"name": "Quote.pdf"}}, "file.url"),
    ({"kind": "file", "subject": "Empty url", "file": {"name": "Quote.pdf", "url": ""}}, "file.url"),
    ({"kind": "file", "subject": "Script url", "file": {"name": "x", "url": "javascript:alert(1)"}}, "file.url"),
    ({"kind": "file", "subject": "No name", "file": {"name": "", "url": "https://files.example/q.pdf"}}, "file.name"),
    ({"kind": "file", "subject": "No file at all"}, "file.url"),
    ({"kind": "note", "subject": "A note", "file": {"name": "q.pdf", "url": "https://files.example/q.pdf"}}, "file"),
    ({"kind": "note", "subject": "A note", "direction": "outgoing"}, "direction"),
    ({"kind": "note"}, "subject"),
    ({"kind": "phone_log", "subject": "Endless", "duration_minutes": -5}, "duration_minutes"),
    ({"kind": "note", "subject": "No zone", "occurred_at": "2025-04-01T10:15:00"}, "occurred_at"),
    ({"kind": "email", "subject": "Only Graph makes these"}, "kind"),
])
def test_an_invalid_history_item_is_refused_naming_the_field(api, crm, body, field):
    opportunity = crm["account_opp"]
    result = problem(api.post(f"/opportunities/{opportunity['id']}/history", body), 422)
    assert field in error_fields(result), result
    assert history_ids(api, f"/opportunities/{opportunity['id']}") == []


def test_an_item_shows_in_the_history_of_the_opportunity_and_of_its_account(api, crm):
    item = add_history(api, crm["account_opp"]["id"], kind="note", subject="Account-level note")
    assert history_ids(api, f"/opportunities/{crm['account_opp']['id']}") == [item["id"]]
    assert history_ids(api, f"/accounts/{crm['fabrikam']['id']}") == [item["id"]]
    assert history_ids(api, f"/contacts/{crm['anna']['id']}") == []  # not Anna's opportunity
    assert history_ids(api, f"/opportunities/{crm['anna_opp']['id']}") == []
    assert history_ids(api, f"/accounts/{crm['unrelated']['id']}") == []


def test_an_item_of_a_contacts_opportunity_shows_in_the_contact_and_its_account_history(api, crm):
    item = add_history(api, crm["anna_opp"]["id"], kind="phone_log", subject="Anna called", direction="incoming")
    assert history_ids(api, f"/opportunities/{crm['anna_opp']['id']}") == [item["id"]]
    assert history_ids(api, f"/contacts/{crm['anna']['id']}") == [item["id"]]
    assert history_ids(api, f"/accounts/{crm['fabrikam']['id']}") == [item["id"]]
    assert history_ids(api, f"/contacts/{crm['loner']['id']}") == []
    assert history_ids(api, f"/opportunities/{crm['account_opp']['id']}") == []


def test_an_item_of_a_contact_without_account_shows_in_the_contact_history_only(api, crm):
    item = add_history(api, crm["loner_opp"]["id"], kind="task", subject="Follow up")
    assert history_ids(api, f"/contacts/{crm['loner']['id']}") == [item["id"]]
    assert history_ids(api, f"/accounts/{crm['fabrikam']['id']}") == []


def test_history_moves_with_the_opportunitys_link(api, crm):
    item = add_history(api, crm["loner_opp"]["id"], kind="note", subject="Moves along")
    api.ok(api.patch(f"/opportunities/{crm['loner_opp']['id']}", {"link": account_link(crm["fabrikam"])}))
    assert history_ids(api, f"/accounts/{crm['fabrikam']['id']}") == [item["id"]]
    assert history_ids(api, f"/contacts/{crm['loner']['id']}") == []


def test_history_is_newest_first_by_occurred_at_whatever_the_order_of_entry(api, crm):
    oid = crm["anna_opp"]["id"]
    entered = {  # entered out of order; offsets differ on purpose
        "second": "2025-01-05T09:00:00+00:00",
        "oldest": "2024-12-31T23:30:00-05:00",  # 2025-01-01 04:30 UTC
        "newest": "2025-01-05T12:00:00+02:00",  # 10:00 UTC
        "third": "2025-01-03T00:00:00+01:00",
    }
    made = {name: add_history(api, oid, kind="note", subject=name, occurred_at=when)["id"]
            for name, when in entered.items()}
    expected = [made[n] for n in ("newest", "second", "third", "oldest")]
    for path in (f"/opportunities/{oid}", f"/contacts/{crm['anna']['id']}", f"/accounts/{crm['fabrikam']['id']}"):
        assert history_ids(api, path) == expected, path


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_history_pages_with_a_cursor_return_every_item_once_in_order(api, crm, limit):
    oid = crm["account_opp"]["id"]
    times = ["2025-03-01T10:00:00+00:00", "2025-03-02T10:00:00+00:00", "2025-03-02T10:00:00+00:00",
             "2025-02-28T10:00:00+00:00", "2025-03-02T10:00:00+00:00", "2025-03-05T08:00:00+00:00"]
    made = {add_history(api, oid, kind="note", subject=f"n{i}", occurred_at=t)["id"] for i, t in enumerate(times)}
    for path in (f"/opportunities/{oid}", f"/accounts/{crm['fabrikam']['id']}"):
        seen, cursor, pages = [], None, 0
        while True:
            page = api.ok(api.get(f"{path}/history",
                                  query_string={"limit": limit, **({"cursor": cursor} if cursor else {})}))
            pages += 1
            assert len(page["items"]) <= limit
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert pages < 20, "paging does not end"
        assert [h["id"] for h in seen] == history_ids(api, path, limit=500)
        assert {h["id"] for h in seen} == made and len(seen) == len(made)
        instants = [dt.datetime.fromisoformat(h["occurred_at"]) for h in seen]
        assert instants == sorted(instants, reverse=True)
        assert pages == -(-len(made) // limit)


def test_unlinking_removes_the_item_from_every_history(api, crm):
    oid = crm["anna_opp"]["id"]
    kept = add_history(api, oid, kind="note", subject="Kept")
    dropped = add_history(api, oid, kind="note", subject="Dropped")
    response = api.delete(f"/opportunities/{oid}/links/{dropped['id']}")
    assert response.status_code == 204
    for path in (f"/opportunities/{oid}", f"/contacts/{crm['anna']['id']}", f"/accounts/{crm['fabrikam']['id']}"):
        assert history_ids(api, path) == [kept["id"]], path
    problem(api.delete(f"/opportunities/{oid}/links/{dropped['id']}"), 404)


def test_an_item_cannot_be_unlinked_through_another_opportunity(api, crm):
    item = add_history(api, crm["anna_opp"]["id"], kind="note", subject="Anna's")
    problem(api.delete(f"/opportunities/{crm['account_opp']['id']}/links/{item['id']}"), 404)
    assert history_ids(api, f"/opportunities/{crm['anna_opp']['id']}") == [item["id"]]


def test_another_workspace_can_neither_read_nor_add_nor_unlink_history(api, crm):
    oid = crm["account_opp"]["id"]
    item = add_history(api, oid, kind="note", subject="Private")
    other = outsider_workspace(api)
    problem(other.get(f"/opportunities/{oid}/history"), 404)
    problem(other.get(f"/accounts/{crm['fabrikam']['id']}/history"), 404)
    problem(other.get(f"/contacts/{crm['anna']['id']}/history"), 404)
    problem(other.post(f"/opportunities/{oid}/history", {"kind": "note", "subject": "Intruder"}), 404)
    problem(other.delete(f"/opportunities/{oid}/links/{item['id']}"), 404)
    foreign_opp = other.make_opportunity()
    problem(other.delete(f"/opportunities/{foreign_opp['id']}/links/{item['id']}"), 404)
    assert history_ids(api, f"/opportunities/{oid}") == [item["id"]]


# ---- search -------------------------------------------------------------------------------

@pytest.fixture
def searchable(api):
    made = {
        ("account", "Fabrikam Inc"): api.make_account(name="Fabrikam Inc", email_domains=["fabrikam.com"]),
        ("account", "Northwind"): api.make_account(name="Northwind", email_domains=["fabnorth.example"]),
        ("account", "Prefab Ltd"): api.make_account(name="Prefab Ltd", email_domains=["prefab.example"]),
        ("contact", "Fabian Fischer"): api.make_contact(display_name="Fabian Fischer",
                                                        email_addresses=["fischer@mail.example"]),
        ("contact", "Zed Zimmer"): api.make_contact(display_name="Zed Zimmer",
                                                    email_addresses=["fab.zed@people.example"]),
        ("contact", "Nina Prefabova"): api.make_contact(display_name="Nina Prefabova",
                                                        email_addresses=["nina@prefab.example"]),
    }
    holder = api.make_account(name="Holder", email_domains=["holder.example"])
    made[("opportunity", "Fabulous deal")] = api.make_opportunity(title="Fabulous deal", link=account_link(holder))
    made[("opportunity", "Prefab roof")] = api.make_opportunity(title="Prefab roof", link=account_link(holder))
    other = outsider_workspace(api)
    other.make_account(name="Fabrikam elsewhere", email_domains=["fabrikam.com"])
    other.make_contact(display_name="Fabia Foreign", email_addresses=["fab@fabrikam.com"])
    other.make_opportunity(title="Fab outsider deal")
    return {key: record["id"] for key, record in made.items()}


def search(api: Api, q: str, types: str = "account,contact,opportunity") -> set[tuple[str, str]]:
    items = api.ok(api.get("/search", query_string={"q": q, "types": types}))["items"]
    return {(hit["type"], hit["name"]) for hit in items}


EXPECTED_FAB = {("account", "Fabrikam Inc"), ("account", "Northwind"), ("contact", "Fabian Fischer"),
                ("contact", "Zed Zimmer"), ("opportunity", "Fabulous deal")}


@pytest.mark.parametrize("q", ["fab", "FAB", "Fab"])
def test_search_finds_by_name_address_and_domain_prefix_case_insensitively(api, searchable, q):
    assert search(api, q) == EXPECTED_FAB


def test_search_hits_name_the_record_with_its_id(api, searchable):
    items = api.ok(api.get("/search", query_string={"q": "fab", "types": "account,contact,opportunity"}))["items"]
    assert {(hit["type"], hit["name"]): hit["id"] for hit in items} == {k: searchable[k] for k in EXPECTED_FAB}


@pytest.mark.parametrize("q, expected", [
    ("fabrikam.c", {("account", "Fabrikam Inc")}),  # domain prefix
    ("FABNORTH", {("account", "Northwind")}),  # domain prefix, other case
    ("fab.zed@", {("contact", "Zed Zimmer")}),  # e-mail address prefix
    ("Fischer@Mail", {("contact", "Fabian Fischer")}),  # address prefix, other case
    ("zzz", set()),
])
def test_search_by_domain_and_address_prefix(api, searchable, q, expected):
    assert search(api, q) == expected


def test_search_is_by_prefix_not_by_substring(api, searchable):
    found = search(api, "abrik")
    assert found == set()
    assert ("account", "Prefab Ltd") not in search(api, "fab")


@pytest.mark.parametrize("types, kinds", [
    ("account", {"account"}), ("contact", {"contact"}), ("opportunity", {"opportunity"}),
    ("contact,opportunity", {"contact", "opportunity"}),
])
def test_search_returns_only_the_types_asked_for(api, searchable, types, kinds):
    assert search(api, "fab", types) == {hit for hit in EXPECTED_FAB if hit[0] in kinds}


@pytest.mark.parametrize("types", ["account,colleague", "accounts", "", ","])
def test_search_with_an_unknown_type_is_refused(api, searchable, types):
    body = problem(api.get("/search", query_string={"q": "fab", "types": types}), 422)
    assert "types" in error_fields(body)


def test_search_needs_a_query(api):
    problem(api.get("/search", query_string={"q": "", "types": "account"}), 422)


def test_search_treats_like_wildcards_literally(api, searchable):
    assert search(api, "%") == set()
    assert search(api, "_ab") == set()


def test_search_never_returns_another_workspaces_records(api, searchable):
    other = outsider_workspace(api)
    theirs = {(h["type"], h["name"]) for h in other.ok(other.get(
        "/search", query_string={"q": "fab", "types": "account,contact,opportunity"}))["items"]}
    assert theirs == {("account", "Fabrikam elsewhere"), ("contact", "Fabia Foreign"),
                      ("opportunity", "Fab outsider deal")}
    problem(api.as_(OUTSIDER).get("/search", query_string={"q": "fab"}), 404)


# ---- the pane's context ---------------------------------------------------------------------

@pytest.fixture
def pane(api):
    """Fabrikam (domain fabrikam.com) with contact Anna; open and closed opportunities of both;
    the caller's own company as an account and the caller as a contact; look-alikes elsewhere."""
    fabrikam = api.make_account(name="Fabrikam", email_domains=["fabrikam.com"])
    anna = api.make_contact(display_name="Anna Meyer", email_addresses=["anna@fabrikam.com"],
                            account_id=fabrikam["id"])
    contoso = api.make_account(name="Contoso (us)", email_domains=["contoso.com"])
    me = api.make_contact(display_name="Owner himself", email_addresses=["owner@contoso.com"],
                          account_id=contoso["id"])
    other_account = api.make_account(name="Unrelated", email_domains=["unrelated.example"])
    opps = {
        "anna_open": api.make_opportunity(title="Anna open", link=contact_link(anna), close_date="2025-06-01"),
        "anna_closed": api.make_opportunity(title="Anna lost", link=contact_link(anna),
                                            stage_id=api.stage("Closed Lost")["id"]),
        "account_open": api.make_opportunity(title="Fabrikam open", link=account_link(fabrikam)),
        "account_won": api.make_opportunity(title="Fabrikam won", link=account_link(fabrikam),
                                            stage_id=api.stage("Closed Won")["id"]),
        "no_stage": api.make_opportunity(title="Fabrikam unstaged", link=account_link(fabrikam), stage_id=None),
        "contoso_open": api.make_opportunity(title="Contoso open", link=account_link(contoso)),
        "me_open": api.make_opportunity(title="Me open", link=contact_link(me)),
        "unrelated_open": api.make_opportunity(title="Unrelated open", link=account_link(other_account)),
    }
    other = outsider_workspace(api)
    their_account = other.make_account(name="Fabrikam elsewhere", email_domains=["fabrikam.com"])
    their_anna = other.make_contact(display_name="Anna elsewhere", email_addresses=["anna@fabrikam.com"])
    their_opp = other.make_opportunity(title="Their Anna deal", link=contact_link(their_anna))
    return {"fabrikam": fabrikam, "anna": anna, "contoso": contoso, "me": me, "opps": opps, "other": other,
            "their_account": their_account, "their_opp": their_opp}


def context(api: Api, **params) -> dict:
    params = {("from" if k == "from_" else k): v for k, v in params.items()}
    return api.ok(api.get("/context", query_string=params))


def opp_ids(pane: dict, *names: str) -> set[str]:
    return {pane["opps"][n]["id"] for n in names}


@pytest.mark.parametrize("sender", ["anna@fabrikam.com", "Anna@Fabrikam.COM", "Anna Meyer <anna@fabrikam.com>",
                                    '"Meyer, Anna" <ANNA@fabrikam.com>'])
def test_context_from_a_contact_matches_the_contact_its_account_and_their_open_opportunities(api, pane, sender):
    result = context(api, from_=sender)
    assert ids(result["matched_contacts"]) == {pane["anna"]["id"]}
    assert ids(result["matched_accounts"]) == {pane["fabrikam"]["id"]}
    assert ids(result["open_opportunities"]) == opp_ids(pane, "anna_open", "account_open", "no_stage")
    assert all(o["status"] == "open" for o in result["open_opportunities"])
    assert result["linked_opportunities"] == []


def test_context_from_an_unknown_person_at_an_account_domain_matches_the_account_only(api, pane):
    result = context(api, from_="someone.new@fabrikam.com")
    assert result["matched_contacts"] == []
    assert ids(result["matched_accounts"]) == {pane["fabrikam"]["id"]}
    found = ids(result["open_opportunities"])
    assert opp_ids(pane, "account_open", "no_stage") <= found
    assert not found & opp_ids(pane, "account_won", "anna_closed", "unrelated_open", "contoso_open")


def test_context_ignores_the_callers_own_address(api, pane):
    result = context(api, from_="anna@fabrikam.com", to="Owner <Owner@Contoso.com>")
    assert ids(result["matched_contacts"]) == {pane["anna"]["id"]}
    assert ids(result["matched_accounts"]) == {pane["fabrikam"]["id"]}
    assert not ids(result["open_opportunities"]) & opp_ids(pane, "contoso_open", "me_open")
    alone = context(api, from_="owner@contoso.com")
    assert (alone["matched_contacts"], alone["matched_accounts"], alone["open_opportunities"]) == ([], [], [])


def test_context_reads_every_address_of_to_and_cc(api, pane):
    result = context(api, from_="owner@contoso.com", to="Nobody <nobody@nowhere.example>; Anna <anna@fabrikam.com>",
                     cc="x@unrelated.example, owner@contoso.com")
    assert ids(result["matched_contacts"]) == {pane["anna"]["id"]}
    assert ids(result["matched_accounts"]) == {pane["fabrikam"]["id"], next(
        a["id"] for a in api.ok(api.get("/accounts", query_string={"q": "Unrelated"}))["items"])}
    assert pane["opps"]["unrelated_open"]["id"] in ids(result["open_opportunities"])


def test_context_with_nobody_known_is_empty(api, pane):
    result = context(api, from_="stranger@nowhere.example")
    assert (result["matched_contacts"], result["matched_accounts"], result["open_opportunities"],
            result["linked_opportunities"]) == ([], [], [], [])


def test_context_never_returns_another_workspaces_records(api, pane):
    result = context(api, from_="anna@fabrikam.com")
    every_id = {x["id"] for key in ("matched_contacts", "matched_accounts", "open_opportunities")
                for x in result[key]}
    assert pane["their_account"]["id"] not in every_id
    assert pane["their_opp"]["id"] not in every_id
    theirs = context(pane["other"], from_="anna@fabrikam.com")
    assert ids(theirs["matched_accounts"]) == {pane["their_account"]["id"]}
    assert ids(theirs["open_opportunities"]) == {pane["their_opp"]["id"]}
    problem(api.as_(OUTSIDER).get("/context", query_string={"from": "anna@fabrikam.com"}), 404)


def test_context_names_the_opportunities_an_email_is_already_linked_to(api, app, pane):
    message_id = "<CAF=quote-17@fabrikam.com>"
    linked = pane["opps"]["account_won"]  # a closed opportunity is still shown as linked
    item_id = store_email(app, api.ws, message_id, linked["id"])
    store_email(app, pane["other"].ws, message_id, pane["their_opp"]["id"])  # same message, other workspace
    result = context(api, internet_message_id=message_id, from_="anna@fabrikam.com")
    assert ids(result["linked_opportunities"]) == {linked["id"]}
    assert result["linked_items"] == [item_id]
    assert ids(result["open_opportunities"]) == opp_ids(pane, "anna_open", "account_open", "no_stage")
    assert item_id in history_ids(api, f"/opportunities/{linked['id']}")
    assert item_id in history_ids(api, f"/accounts/{pane['fabrikam']['id']}")


def test_context_for_an_email_not_linked_yet_has_no_linked_opportunities(api, app, pane):
    store_email(app, api.ws, "<linked@fabrikam.com>", pane["opps"]["account_open"]["id"])
    result = context(api, internet_message_id="<never-seen@fabrikam.com>")
    assert (result["linked_opportunities"], result["linked_items"]) == ([], [])


def test_context_finds_an_email_linked_to_several_opportunities(api, app, pane):
    message_id = "<multi@fabrikam.com>"
    item_id = store_email(app, api.ws, message_id, pane["opps"]["anna_open"]["id"])
    with app.extensions["dealpane"].session_factory() as session:
        session.add(HistoryLink(item_id=item_id, opportunity_id=pane["opps"]["account_open"]["id"]))
        session.commit()
    result = context(api, internet_message_id=message_id)
    assert ids(result["linked_opportunities"]) == opp_ids(pane, "anna_open", "account_open")
