"""Issue 3: the team's own sales process — lists, stages and activities, reminders, change log, reports."""
import datetime as dt
import threading

import pytest

TODAY = dt.date.today()


def stages(api) -> list[dict]:
    return api.ok(api.get("/sales-stages"))["items"]


def names(api) -> list[str]:
    return [s["name"] for s in stages(api)]


def add_stage(api, name, position=None, status=201):
    body = {"name": name} if position is None else {"name": name, "position": position}
    return api.ok(api.post("/sales-stages", body), status)


# ---- customisable lists ---------------------------------------------------------------------

def test_members_edit_lists_and_order_is_kept(member_api):
    member_api.ok(member_api.put("/lists/type", {"values": ["Upsell", "New business", "Renewal"]}))
    assert member_api.ok(member_api.get("/lists/type"))["values"] == ["Upsell", "New business", "Renewal"]


def test_rename_updates_every_record_using_the_value(api):
    deal = api.make_opportunity(payment_terms="Net 30")
    values = ["Due on receipt", "Net 15", "30 days net", "Net 60"]
    api.ok(api.put("/lists/payment_terms", {"values": values, "rename": {"Net 30": "30 days net"}}))
    after = api.ok(api.get(f"/opportunities/{deal['id']}"))
    assert after["payment_terms"] == "30 days net"
    assert after["version"] == deal["version"] + 1


def test_a_removed_value_stays_on_records_but_cannot_be_chosen_again(api):
    deal = api.make_opportunity(source="Cold call")
    api.ok(api.put("/lists/source", {"values": ["Referral", "Web site"]}))
    kept = api.ok(api.get(f"/opportunities/{deal['id']}"))
    assert kept["source"] == "Cold call"
    api.ok(api.patch(f"/opportunities/{deal['id']}", {"title": "Still editable"}))  # unchanged value is fine
    refused = api.post("/opportunities", {"title": "New", "link": kept["link"], "source": "Cold call"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "source"


def test_renaming_a_value_that_is_not_in_the_list_is_422(api):
    response = api.put("/lists/type", {"values": ["A"], "rename": {"Nope": "A"}})
    assert response.status_code == 422


# ---- sales stages ---------------------------------------------------------------------------

def test_owner_adds_renames_and_reorders_stages_and_activities_move_with_them(api):
    proposal = api.stage("Proposal")
    add_stage(api, "Demo", position=1)
    assert names(api)[:3] == ["Prospecting", "Demo", "Qualification"]
    api.ok(api.patch(f"/sales-stages/{proposal['id']}", {"position": 0, "name": "Quote"}))
    moved = stages(api)[0]
    assert moved["name"] == "Quote" and [a["id"] for a in moved["activities"]] == [a["id"] for a in proposal["activities"]]
    assert [s["position"] for s in stages(api)] == list(range(len(stages(api))))
    assert names(api)[-2:] == ["Closed Won", "Closed Lost"]


def test_members_cannot_change_stages(api, member_api):
    stage = api.stage("Proposal")
    assert member_api.post("/sales-stages", {"name": "X"}).status_code == 403
    assert member_api.patch(f"/sales-stages/{stage['id']}", {"name": "X"}).status_code == 403
    assert member_api.delete(f"/sales-stages/{stage['id']}").status_code == 403
    assert member_api.post(f"/sales-stages/{stage['id']}/activities", {"name": "X"}).status_code == 403


@pytest.mark.parametrize("change", [{"name": "Signed"}, {"position": 0}, {"is_default": True}])
def test_built_in_stages_cannot_be_changed(api, change):
    won = api.stage("Closed Won")
    assert api.patch(f"/sales-stages/{won['id']}", change).status_code == 409
    assert api.delete(f"/sales-stages/{won['id']}").status_code == 409
    assert api.post(f"/sales-stages/{won['id']}/activities", {"name": "Invoice"}).status_code == 409


def test_positions_out_of_range_and_duplicate_names_are_422(api):
    stage = api.stage("Proposal")
    response = api.patch(f"/sales-stages/{stage['id']}", {"position": 99})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "position"
    assert api.post("/sales-stages", {"name": "proposal"}).status_code == 422


def test_default_stage_set_cleared_and_used_for_new_opportunities(api):
    qualification = api.stage("Qualification")
    api.ok(api.patch(f"/sales-stages/{qualification['id']}", {"is_default": True}))
    assert [s["name"] for s in stages(api) if s["is_default"]] == ["Qualification"]
    assert api.make_opportunity()["stage_id"] == qualification["id"]
    api.ok(api.patch(f"/sales-stages/{qualification['id']}", {"is_default": False}))
    assert not any(s["is_default"] for s in stages(api))
    assert api.make_opportunity()["stage_id"] is None


def test_activities_are_added_renamed_reordered_and_removed(api):
    stage = add_stage(api, "Evaluation")
    first = api.ok(api.post(f"/sales-stages/{stage['id']}/activities",
                            {"name": "Trial", "duration_days": 14, "reminder": True}), 201)
    second = api.ok(api.post(f"/sales-stages/{stage['id']}/activities", {"name": "Review", "duration_days": 2}), 201)
    api.ok(api.patch(f"/sales-stages/{stage['id']}/activities/{second['id']}", {"position": 0, "name": "Kick-off"}))
    listed = next(s for s in stages(api) if s["id"] == stage["id"])["activities"]
    assert [(a["name"], a["position"]) for a in listed] == [("Kick-off", 0), ("Trial", 1)]
    assert api.delete(f"/sales-stages/{stage['id']}/activities/{first['id']}").status_code == 204
    assert [a["name"] for a in next(s for s in stages(api) if s["id"] == stage["id"])["activities"]] == ["Kick-off"]


def test_deleting_an_activity_removes_it_from_checklists_even_where_done(api):
    stage = api.stage("Proposal")
    deal = api.make_opportunity(stage_id=stage["id"])
    activity = stage["activities"][0]
    api.ok(api.patch(f"/opportunities/{deal['id']}", {"activities": [{"activity_id": activity["id"], "done": True}]}))
    api.delete(f"/sales-stages/{stage['id']}/activities/{activity['id']}")
    checklist = api.ok(api.get(f"/opportunities/{deal['id']}"))["activities"]
    assert activity["id"] not in [a["activity_id"] for a in checklist]


def test_deleting_a_stage_with_replacement_and_moved_activities_keeps_done_marks(api):
    proposal, negotiation = api.stage("Proposal"), api.stage("Negotiation")
    deal = api.make_opportunity(stage_id=proposal["id"])
    done = proposal["activities"][1]
    api.ok(api.patch(f"/opportunities/{deal['id']}", {"activities": [{"activity_id": done["id"], "done": True}]}))
    response = api.delete(f"/sales-stages/{proposal['id']}?replace_with={negotiation['id']}&move_activities=true")
    assert response.status_code == 204
    after = api.ok(api.get(f"/opportunities/{deal['id']}"))
    assert after["stage_id"] == negotiation["id"]
    expected = [a["id"] for a in proposal["activities"]] + [a["id"] for a in negotiation["activities"]]
    assert [a["activity_id"] for a in after["activities"]] == expected  # moved ones on TOP, in order
    assert {a["activity_id"]: a["done"] for a in after["activities"]}[done["id"]] is True


def test_deleting_a_stage_without_moving_activities_deletes_them(api):
    proposal, negotiation = api.stage("Proposal"), api.stage("Negotiation")
    deal = api.make_opportunity(stage_id=proposal["id"])
    api.delete(f"/sales-stages/{proposal['id']}?replace_with={negotiation['id']}")
    after = api.ok(api.get(f"/opportunities/{deal['id']}"))
    assert [a["activity_id"] for a in after["activities"]] == [a["id"] for a in negotiation["activities"]]


def test_deleting_a_stage_without_replacement_empties_the_opportunities_stage(api):
    proposal = api.stage("Proposal")
    deal = api.make_opportunity(stage_id=proposal["id"])
    assert api.delete(f"/sales-stages/{proposal['id']}").status_code == 204
    assert api.ok(api.get(f"/opportunities/{deal['id']}"))["stage_id"] is None
    assert "Proposal" not in names(api)


def test_deleting_a_stage_with_itself_as_replacement_is_422_and_changes_nothing(api):
    proposal = api.stage("Proposal")
    before = stages(api)
    assert api.delete(f"/sales-stages/{proposal['id']}?replace_with={proposal['id']}").status_code == 422
    assert stages(api) == before


def test_another_workspaces_stage_is_404(api, outsider_api):
    foreign = outsider_api.as_(outsider_api.user)
    foreign.ws = outsider_api.ok(outsider_api.get("/api/v1/me"))["workspaces"][0]["id"]
    foreign_stage = foreign.stage("Proposal")
    assert api.patch(f"/sales-stages/{foreign_stage['id']}", {"name": "Mine"}).status_code == 404
    assert api.delete(f"/sales-stages/{api.stage('Proposal')['id']}?replace_with={foreign_stage['id']}").status_code == 404


def test_two_owners_adding_stages_at_once_never_share_a_position(api, app):
    second_owner = api.as_("second.owner@contoso.com")
    api.ok(api.post("/members", {"email": second_owner.user, "role": "owner"}), 201)
    errors = []

    def add_many(client_api, prefix):
        for i in range(6):
            response = client_api.post("/sales-stages", {"name": f"{prefix} {i}", "position": 0})
            if response.status_code != 201:
                errors.append(response.status_code)

    threads = [threading.Thread(target=add_many, args=(a, p)) for a, p in
               ((api.as_(api.user), "A"), (second_owner, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    positions = [s["position"] for s in stages(api)]
    assert positions == list(range(len(positions)))
    assert len(positions) == 7 + 12


# ---- checklist due dates and reminders --------------------------------------------------------

def test_reminder_activities_get_due_dates_and_show_in_reminders(api):
    stage = add_stage(api, "Trial")
    api.ok(api.post(f"/sales-stages/{stage['id']}/activities", {"name": "Set up", "duration_days": 2, "reminder": True}), 201)
    api.ok(api.post(f"/sales-stages/{stage['id']}/activities", {"name": "Wait", "duration_days": 5}), 201)
    api.ok(api.post(f"/sales-stages/{stage['id']}/activities", {"name": "Call back", "duration_days": 1, "reminder": True}), 201)
    deal = api.make_opportunity(stage_id=stage["id"])
    due = {a["name"]: a["due_date"] for a in deal["activities"]}
    assert due == {"Set up": str(TODAY + dt.timedelta(days=2)), "Wait": None,
                   "Call back": str(TODAY + dt.timedelta(days=8))}
    soon = api.ok(api.get(f"/reminders?before={TODAY + dt.timedelta(days=3)}"))["items"]
    assert [(r["kind"], r["name"]) for r in soon if r["opportunity_id"] == deal["id"]] == [("activity", "Set up")]
    later = api.ok(api.get(f"/reminders?before={TODAY + dt.timedelta(days=10)}"))["items"]
    assert [r["name"] for r in later if r["opportunity_id"] == deal["id"]] == ["Set up", "Call back"]


def test_opportunity_reminder_shows_in_reminders(api):
    deal = api.make_opportunity(stage_id=None, reminder_at=f"{TODAY}T09:00:00+00:00")
    items = api.ok(api.get(f"/reminders?before={TODAY}"))["items"]
    assert [(r["kind"], r["opportunity_id"]) for r in items] == [("opportunity", deal["id"])]


# ---- change log -----------------------------------------------------------------------------

def test_change_log_records_who_changed_what_including_close_and_reopen(api, member_api):
    deal = api.make_opportunity(probability=20)
    member_api.ok(member_api.patch(f"/opportunities/{deal['id']}", {"probability": 40, "close_date": "2027-03-01"}))
    api.ok(api.post("/opportunities/bulk-close", {"ids": [deal["id"]], "outcome": "won"}))
    api.ok(api.post(f"/opportunities/{deal['id']}/reopen", {"stage_id": api.stage("Negotiation")["id"]}))
    log = api.ok(api.get(f"/opportunities/{deal['id']}/changes"))["items"]
    fields = [(c["field"], c["old_value"], c["new_value"]) for c in reversed(log)]
    assert ("probability", "20", "40") in fields
    assert ("close_date", None, "2027-03-01") in fields
    assert ("stage", "Prospecting", "Closed Won") in fields
    assert ("stage", "Closed Won", "Negotiation") in fields
    assert {c["user_name"] for c in log} >= {"Member", "Owner"}


# ---- marketing activities and reports ----------------------------------------------------------

def test_marketing_activity_counts_won_opportunities(api):
    campaign = api.ok(api.post("/marketing-activities", {"name": "Expo"}), 201)
    product = api.make_product(unit_price="1000.00")
    initiated = {"type": "marketing_activity", "id": campaign["id"]}
    won = api.make_opportunity(initiated_by=initiated, lines=[{"product_id": product["id"], "quantity": 2}])
    api.make_opportunity(initiated_by=initiated, lines=[{"product_id": product["id"], "quantity": 1}])
    api.ok(api.post("/opportunities/bulk-close", {"ids": [won["id"]], "outcome": "won"}))
    result = api.ok(api.get(f"/marketing-activities/{campaign['id']}"))
    assert (result["opportunity_count"], result["pipeline_total"]) == (2, "3000.00")
    assert (result["won_count"], result["won_total"]) == (1, "2000.00")


def test_pipeline_and_forecast_are_exact_and_filter_by_assignee(api, member_api):
    member_id = next(m["user_id"] for m in api.ok(api.get("/members"))["items"] if m["role"] == "member")
    line = [{"name": "Seat", "quantity": 3, "unit_price": "33.33"}]
    close = (TODAY.replace(day=1) + dt.timedelta(days=40)).replace(day=15)
    api.make_opportunity(lines=line, probability=33, close_date=str(close))
    api.make_opportunity(lines=line, probability=33, close_date=str(close), assigned_to=member_id)
    won = api.make_opportunity(lines=line, close_date=str(TODAY))
    api.ok(api.post("/opportunities/bulk-close", {"ids": [won["id"]], "outcome": "won", "close_date": str(TODAY)}))
    pipeline = {r["stage_name"]: r for r in api.ok(api.get("/reports/pipeline"))["items"]}
    assert (pipeline["Prospecting"]["count"], pipeline["Prospecting"]["total"],
            pipeline["Prospecting"]["expected_revenue"]) == (2, "199.98", "66.00")  # 33.00 each, summed
    mine = {r["stage_name"]: r for r in api.ok(api.get(f"/reports/pipeline?assigned_to={member_id}"))["items"]}
    assert mine["Prospecting"]["count"] == 1
    forecast = api.ok(api.get("/reports/forecast?months=3"))["items"]
    assert [r["month"] for r in forecast][0] == TODAY.strftime("%Y-%m") and len(forecast) == 3
    this_month, next_month = forecast[0], forecast[1]
    assert (this_month["won_count"], this_month["won_total"]) == (1, "99.99")
    assert (next_month["count"], next_month["total"]) == (2, "199.98")


def test_reports_as_csv(api):
    api.make_opportunity(lines=[{"name": "Seat", "quantity": 1, "unit_price": "10.00"}])
    response = api.get("/reports/pipeline?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "stage_id,stage_name,count,total,expected_revenue"
    assert any(",Prospecting,1,10.00,0.00" in line for line in lines)


# ---- projects ---------------------------------------------------------------------------------

def test_create_project_from_opportunity_with_template(api, member_api):
    template = api.ok(api.post("/project-templates", {"name": "Onboarding", "tasks": [
        {"subject": "Kick-off", "offset_days": 0}, {"subject": "Training", "offset_days": 7}]}), 201)
    assert member_api.post("/project-templates", {"name": "Nope"}).status_code == 403
    deal = api.make_opportunity()
    project = api.ok(api.post(f"/opportunities/{deal['id']}/project",
                              {"template_id": template["id"], "start_date": "2027-01-04"}), 201)
    assert project["name"] == deal["title"]
    assert project["link"] == {"type": deal["link"]["type"], "id": deal["link"]["id"]}
    assert [(t["subject"], t["due_date"]) for t in project["tasks"]] == [("Kick-off", "2027-01-04"),
                                                                       ("Training", "2027-01-11")]
    assert api.ok(api.get(f"/opportunities/{deal['id']}"))["projects"] == [{"id": project["id"], "name": deal["title"]}]


def test_project_tasks_are_assigned_to_members_and_marked_done(api):
    deal = api.make_opportunity()
    project = api.ok(api.post(f"/opportunities/{deal['id']}/project", {"name": "Rollout"}), 201)
    contact = api.make_contact()
    me = api.ok(api.get("/api/v1/me"))["user"]["id"]
    updated = api.ok(api.patch(f"/projects/{project['id']}", {
        "associated": [{"type": "contact", "id": contact["id"]}],
        "tasks": [{"subject": "Install", "assigned_to": me, "done": True}]}))
    assert updated["associated"] == [{"type": "contact", "id": contact["id"]}]
    assert updated["tasks"][0]["done"] is True and updated["tasks"][0]["assigned_to"] == me
    bad = api.patch(f"/projects/{project['id']}", {"tasks": [{"subject": "X", "assigned_to": "nobody"}]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "tasks[0].assigned_to"
