"""The opportunity form: link search dialog, lines with live totals, problem+json errors next to the
field, "Edit this list", Save, "Add time stamp", a history item, delete with confirmation."""
import re
import urllib.error

import pytest
from playwright.sync_api import expect


def test_create_edit_and_delete_an_opportunity_in_the_form(workspace, demo_api):
    page = workspace.open("opportunities/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New opportunity")

    page.get_by_role("button", name="Choose…").click()
    search = page.get_by_role("dialog", name="Link to an account or business contact")
    search.get_by_label("Search").fill("lee")
    search.get_by_role("button", name=re.compile("^Lee Gu")).click()
    expect(page.get_by_role("textbox", name="Link to", exact=True)).to_have_value("Lee Gu (business contact)")

    page.get_by_role("button", name="Add line").click()
    page.get_by_label("Line 1: product").select_option(label="Onboarding workshop")
    page.get_by_label("Line 1: quantity").fill("2")
    page.get_by_label("Line 1: discount percent").fill("10")
    page.get_by_label("Probability (%)").fill("50")
    expect(page.locator("#total")).to_have_text("$2,700.00")
    expect(page.locator("#expected-revenue")).to_have_text("$1,350.00")

    page.get_by_role("button", name="Save", exact=True).click()  # no title: the server says so
    title_field = page.locator("[data-field='title']")
    expect(title_field.locator(".field-error")).to_have_text("is required")
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-messages [role=alert]")).to_contain_text("title: is required")
    workspace.shot("1280-40-form-error-next-to-field", full_page=False)

    page.get_by_label("Title").fill("Form test deal")
    page.get_by_role("button", name="Edit this list: Type").click()
    edit = page.get_by_role("dialog", name="Edit this list: Type")
    edit.get_by_label("New value").fill("Partner deal")
    edit.get_by_role("button", name="Add", exact=True).click()
    edit.get_by_role("button", name="Save list").click()
    expect(edit).to_have_count(0)
    page.get_by_label("Type", exact=True).select_option("Partner deal")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Form test deal")
    expect(page.locator("#form-messages")).to_contain_text("Saved.")

    saved = demo_api.named("opportunities", "Form test deal")
    assert (saved["type"], saved["total"], saved["expected_revenue"]) == ("Partner deal", "2700.00", "1350.00")
    assert saved["link"]["name"] == "Lee Gu" and saved["lines"][0]["name"] == "Onboarding workshop"

    page.get_by_label("New comment").fill("Called Lee about the workshop dates")
    page.get_by_role("button", name="Add time stamp").click()
    expect(page.get_by_role("textbox", name="Comments", exact=True)).to_have_value(
        re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} .*Diego Siciliani: Called Lee about the workshop dates$"))

    page.get_by_role("button", name="New phone log").click()
    log = page.get_by_role("dialog", name="New phone log")
    log.get_by_label("Subject").fill("Workshop dates agreed")
    log.get_by_label("Duration (minutes)").fill("15")
    log.get_by_role("button", name="Save").click()
    expect(page.get_by_role("region", name="History")).to_contain_text("Workshop dates agreed")
    workspace.shot("1280-41-form-saved")

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog", name="Delete this opportunity?").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    with pytest.raises(urllib.error.HTTPError) as gone:
        demo_api.get(f"/opportunities/{saved['id']}")
    gone.value.close()
    assert gone.value.code == 404
