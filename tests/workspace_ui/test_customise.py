"""Customising the sales process is the owner's: the owner renames a stage; the colleague (a member)
tries the same in the same dialog and is refused with the server's reason."""
from playwright.sync_api import expect


def _rename(page, stage: str, new_name: str) -> None:
    page.get_by_role("button", name="Edit sales stages…").click()
    dialog = page.get_by_role("dialog", name="Sales stages and activities")
    item = dialog.locator(f"li.stage-item[data-stage='{stage}']")
    item.get_by_role("button", name=f"Rename {stage}").click()
    item.get_by_label(f"New name for {stage}").fill(new_name)
    item.get_by_role("button", name="Save name").click()


def test_owner_renames_a_stage_and_the_colleague_is_refused(workspace, demo_api):
    demo_api.post("/sales-stages", {"name": "Demo review"})

    page = workspace.open("customise")
    _rename(page, "Demo review", "Demo review (renamed)")
    dialog = page.get_by_role("dialog", name="Sales stages and activities")
    expect(dialog.locator("#stages-messages")).to_contain_text("Stage renamed to “Demo review (renamed)”.")
    expect(dialog.locator("li.stage-item[data-stage='Demo review (renamed)']")).to_be_visible()
    workspace.shot("1280-20-stage-renamed-by-owner", full_page=False)
    dialog.get_by_role("button", name="Close", exact=True).click()
    assert demo_api.stage("Demo review (renamed)")

    workspace.act_as("Alex Wilber (colleague)")
    workspace.go("customise")
    expect(page.locator("main")).to_contain_text("Only the workspace owner can change the sales stages and activities.")
    _rename(page, "Demo review (renamed)", "Changed by a member")
    alert = page.get_by_role("dialog").get_by_role("alert")
    expect(alert).to_contain_text("You are not allowed to do this.")
    expect(alert).to_contain_text("owner")
    workspace.shot("1280-21-stage-edit-refused-for-member", full_page=False)
    names = [s["name"] for s in demo_api.get("/sales-stages")["items"]]
    assert "Demo review (renamed)" in names and "Changed by a member" not in names
