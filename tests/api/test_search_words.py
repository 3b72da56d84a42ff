"""The link dialog's search through the name_word index: the same answers as the plain meaning of
"a name that starts with the query, or has a later word that does", kept current through renames
and deletes, on both databases."""
import random


from storage import migrate
from storage.models.search import SUFFIX_CHARS

WORDS = ["Fabrikam", "fab", "Northwind", "EMEA", "rollout", "Ärzte", "Smith", "smithy", "Co.", "–", "100%",
         "under_score", "Contoso", "a", "ab", "Anna", "Österreich", "中文", "x" * 60]


def matches(name: str | None, query: str) -> bool:
    """What the search means, in plain Python."""
    wanted = query.strip().lower()
    text = (name or "").lower()
    return bool(wanted) and (text.startswith(wanted) or f" {wanted}" in text)


def _search(api, q: str, types: str) -> set[tuple[str, str]]:
    items = api.ok(api.get("/search", query_string={"q": q, "types": types, "limit": 50}))["items"]
    return {(hit["type"], hit["id"]) for hit in items}


def test_random_names_and_queries_match_the_plain_meaning(api):
    rnd = random.Random(9)
    records = []  # (type, id, name)
    keys = []  # (type, id, address or domain)
    for n in range(24):
        name = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4)))
        if n % 3 == 0:
            domains = [f"{rnd.choice(['fab', 'north', 'contoso'])}{n}.example"]
            made = api.make_account(name=f"{name} {n}", email_domains=domains)
            records.append(("account", made["id"], made["name"]))
            keys += [("account", made["id"], d) for d in made["email_domains"]]
        elif n % 3 == 1:
            addresses = [f"{rnd.choice(['anna', 'fab.ops', 'smith'])}{n}@{rnd.choice(['x', 'emea'])}.example",
                         f"Info{n}@North.Example"]
            made = api.make_contact(display_name=f"{name} {n}", email_addresses=addresses)
            records.append(("contact", made["id"], made["display_name"]))
            keys += [("contact", made["id"], a) for a in made["email_addresses"]]
        else:
            made = api.make_opportunity(title=f"{name} {n}")
            records.append(("opportunity", made["id"], made["title"]))
            link = made["link"]
            records.append(("account", link["id"], link["name"]))
    queries = {"fab.o", "info1", "north", "contoso1", "anna1", "INFO",
               "fab", "FAB", "emea ro", "ärz", "ÄRZTE", "smith", "smithy", "co.", "–", "100%", "under_", "_",
               "a", "anna fab", "österr", "中", "zzz", "x" * 61, "x" * (SUFFIX_CHARS + 5)}
    queries |= {name.split(" ", 1)[-1][:rnd.randint(1, 8)] for _type, _id, name in records}
    for q in sorted(queries):
        want = {(t, i) for t, i, name in records if matches(name, q)}
        want |= {(t, i) for t, i, key in keys if key.lower().startswith(q.strip().lower())}
        assert _search(api, q, "account,contact,opportunity") == want, q


def test_a_renamed_record_is_found_by_its_new_name_only(api):
    account = api.make_account(name="Blue Yonder Airlines", email_domains=[])
    assert ("account", account["id"]) in _search(api, "yonder", "account")
    api.ok(api.patch(f"/accounts/{account['id']}", {"name": "Red Horizon", "version": account["version"]}))
    assert ("account", account["id"]) not in _search(api, "yonder", "account")
    assert ("account", account["id"]) in _search(api, "horizon", "account")


def test_a_deleted_record_is_not_found(api):
    contact = api.make_contact(display_name="Ida Lindqvist", email_addresses=[])
    assert ("contact", contact["id"]) in _search(api, "lindq", "contact")
    assert api.delete(f"/contacts/{contact['id']}").status_code == 204
    assert _search(api, "lindq", "contact") == set()


def test_marketing_activities_are_found_by_a_later_word_too(api):
    made = api.ok(api.post("/marketing-activities", {"name": "Spring Trade Fair", "kind": "event"}), 201)
    assert _search(api, "trade", "marketing_activity") == {("marketing_activity", made["id"])}


def test_another_workspaces_names_are_never_found(api, outsider_api):
    api.make_account(name="Tailspin Toys", email_domains=[])
    other_ws = outsider_api.ok(outsider_api.post("/api/v1/workspaces", {"name": "Elsewhere"}), 201)["id"]
    found = outsider_api.ok(outsider_api.get(f"/api/v1/workspaces/{other_ws}/search",
                                             query_string={"q": "tailspin"}))["items"]
    assert found == []


def test_a_contacts_changed_addresses_are_found_and_the_old_ones_not(api):
    contact = api.make_contact(display_name="Jun Cao", email_addresses=["jun@old.example", "cao@both.example"])
    assert ("contact", contact["id"]) in _search(api, "jun@old", "contact")
    changed = api.ok(api.patch(f"/contacts/{contact['id']}", {
        "email_addresses": ["cao@both.example", "jun@new.example"], "version": contact["version"]}))
    assert changed["email_addresses"] == ["cao@both.example", "jun@new.example"]
    assert _search(api, "jun@old", "contact") == set()
    assert ("contact", contact["id"]) in _search(api, "jun@new", "contact")
    assert ("contact", contact["id"]) in _search(api, "cao@both", "contact")


def test_the_migration_fills_the_index_from_records_already_stored(api, engine):
    api.make_account(name="Margie's Travel", email_domains=["margiestravel.example"])
    api.make_contact(display_name="Jun Cao", email_addresses=["jun.cao@margiestravel.example"])
    api.make_opportunity(title="Travel desk renewal")
    queries = ("travel", "margie", "margiestr", "jun.c", "cao", "desk r")
    before = {q: _search(api, q, "account,contact,opportunity") for q in queries}
    assert all(before.values())
    migrate.downgrade(engine, "0008")  # as `dealpane db` runs it (on SQLite, table rebuilds keep referring rows)
    migrate.upgrade(engine)
    assert {q: _search(api, q, "account,contact,opportunity") for q in queries} == before
