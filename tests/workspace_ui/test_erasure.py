"""Erase a person and export a person from a business contact's page: the owner confirms by typing
the name (keyboard only), reads the receipt; a member only exports; the same in French."""
from __future__ import annotations

import itertools
import json
import urllib.error

from playwright.sync_api import expect

from tests.workspace_ui.test_french import french, in_french  # noqa: F401 - the French browser fixture

_numbers = itertools.count(1)


def make_person(demo_api, first: str) -> dict:
    n = next(_numbers)
    return demo_api.post("/contacts", {"display_name": f"{first} Erasable{n}",
                                       "email_addresses": [f"{first.lower()}.erasable{n}@people.example"]})


def gone(demo_api, contact_id: str) -> bool:
    try:
        demo_api.get(f"/contacts/{contact_id}")
    except urllib.error.HTTPError as error:
        return error.code == 404
    return False


def test_owner_erases_a_person_by_keyboard_and_reads_the_receipt(workspace, demo_api, axe):
    person = make_person(demo_api, "Pat")
    page = workspace.open(f"contacts/{person['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(person["display_name"])

    erase = page.get_by_role("button", name="Erase this person…")
    erase.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Erase {person['display_name']}")
    expect(dialog).to_contain_text("never-log list of every mailbox")
    expect(dialog).to_contain_text("cannot be undone")
    typed = dialog.get_by_label(f"Type {person['display_name']} to confirm")
    expect(typed).to_be_focused()
    confirm = dialog.get_by_role("button", name="Erase", exact=True)
    expect(confirm).to_be_disabled()
    page.keyboard.type("Pat")
    page.keyboard.press("Enter")  # not the name yet: nothing happens
    expect(dialog).to_be_visible()
    expect(confirm).to_be_disabled()
    assert not axe(page), axe(page)
    workspace.shot("1280-60-erase-person-dialog", full_page=False)
    typed.fill("")
    page.keyboard.type(person["display_name"])
    expect(confirm).to_be_enabled()
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("Person erased")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    receipt = page.get_by_role("region", name="Receipt")
    expect(receipt).to_contain_text("History items removed")
    expect(receipt).to_contain_text("Mailboxes that block them")
    expect(page.locator("main")).to_contain_text(f"{person['display_name']} is erased.")
    assert not axe(page), axe(page)
    workspace.shot("1280-61-erase-person-receipt", full_page=False)
    assert gone(demo_api, person["id"])


def test_escape_cancels_and_erases_nothing(workspace, demo_api):
    person = make_person(demo_api, "Kim")
    page = workspace.open(f"contacts/{person['id']}")
    page.get_by_role("button", name="Erase this person…").click()
    dialog = page.get_by_role("dialog", name=f"Erase {person['display_name']}")
    page.keyboard.type(person["display_name"])
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Erase this person…")).to_be_focused()
    assert not gone(demo_api, person["id"])


def test_export_downloads_the_person_as_json_and_a_member_cannot_erase(workspace, demo_api):
    person = make_person(demo_api, "Lou")
    page = workspace.open(f"contacts/{person['id']}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export this person").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert download.value.suggested_filename == f"contact-{person['id']}.json"
    assert data["contact"]["display_name"] == person["display_name"]
    assert data["contact"]["email_addresses"] == person["email_addresses"]

    workspace.act_as("Alex Wilber (colleague)")
    workspace.go(f"contacts/{person['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(person["display_name"])
    expect(page.get_by_role("button", name="Export this person")).to_be_visible()
    expect(page.get_by_role("button", name="Erase this person…")).to_have_count(0)


def test_erasure_in_french(french, demo_api, axe):  # noqa: F811 - the fixture imported above
    person = make_person(demo_api, "Camille")
    name = person["display_name"]
    page = french.open(f"contacts/{person['id']}")
    page.get_by_role("button", name="Effacer cette personne…").click()
    dialog = page.get_by_role("dialog", name=f"Effacer {name}")
    expect(dialog).to_contain_text("irréversible")
    in_french(page, axe, allow=(name,))
    dialog.get_by_label(f"Tapez {name} pour confirmer").fill(name)
    dialog.get_by_role("button", name="Effacer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personne effacée")
    expect(page.locator("main")).to_contain_text(f"Les données de {name} sont effacées.")
    in_french(page, axe, allow=(name,))
    assert gone(demo_api, person["id"])
