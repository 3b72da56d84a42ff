"""The Office stand-in's custom properties behave as office.js documents them, never kinder: an
in-memory copy until saveAsync, one JSON object on the item, at most 2,500 characters
(https://learn.microsoft.com/javascript/api/outlook/office.customproperties)."""
import json

from playwright.sync_api import expect

SAVE = """async (value) => {
  const call = (fn) => new Promise((resolve) => fn(resolve));
  const item = Office.context.mailbox.item;
  const loaded = await call((done) => item.loadCustomPropertiesAsync(done));
  loaded.value.set("DealpaneOpportunity", value);
  const unsaved = await call((done) => item.loadCustomPropertiesAsync(done));
  const saved = await call((done) => loaded.value.saveAsync(done));
  const again = await call((done) => item.loadCustomPropertiesAsync(done));
  return {unsaved: unsaved.value.get("DealpaneOpportunity") ?? null, status: saved.status,
          after: again.value.get("DealpaneOpportunity") ?? null, cecp: window.OfficeStandin.stamps().cecp};
}"""


def test_custom_properties_are_saved_as_one_json_object_of_at_most_2500_characters(pane):
    page = pane.open({"itemType": "message", "mode": "compose", "subject": "Sizing",
                      "to": [{"displayName": "Megan Bowen", "emailAddress": "megan.bowen@fabrikam.com"}]})
    expect(page.get_by_role("heading", level=1)).to_have_text("File this e-mail under an opportunity")

    ok = page.evaluate(SAVE, "a" * 32)
    assert ok["unsaved"] is None  # set() changes the loaded copy only
    assert ok["status"] == "succeeded" and ok["after"] == "a" * 32
    assert json.loads(ok["cecp"]) == {"DealpaneOpportunity": "a" * 32}

    too_big = page.evaluate(SAVE, "b" * 2500)
    assert too_big["status"] == "failed" and too_big["after"] == "a" * 32
