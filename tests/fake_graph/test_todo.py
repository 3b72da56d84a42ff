"""Microsoft To Do lists and tasks: CRUD, linkedResources, delta."""
from __future__ import annotations

import pytest

from .conftest import Client


@pytest.fixture
def todo(client: Client) -> tuple[Client, str]:
    lists = client.ok("GET", "/me/todo/lists")["value"]
    (dealpane,) = [lst for lst in lists if lst["displayName"] == "Dealpane"]
    return client, dealpane["id"]


def test_demo_list_and_tasks(todo):
    client, list_id = todo
    assert client.ok("GET", f"/me/todo/lists/{list_id}")["displayName"] == "Dealpane"
    tasks = client.ok("GET", f"/me/todo/lists/{list_id}/tasks")["value"]
    assert len(tasks) == 2 and all("linkedResources" not in t for t in tasks)
    expanded = client.ok("GET", f"/me/todo/lists/{list_id}/tasks?$expand=linkedResources")["value"]
    assert expanded[0]["linkedResources"][0]["applicationName"] == "Dealpane"


def test_task_crud(todo):
    client, list_id = todo
    created = client.ok("POST", f"/me/todo/lists/{list_id}/tasks", {
        "title": "Follow up with Lidia",
        "reminderDateTime": {"dateTime": "2026-12-02T09:00:00.0000000", "timeZone": "UTC"},
        "linkedResources": [{"webUrl": "https://dealpane.example/opportunities/7", "applicationName": "Dealpane",
                             "displayName": "Adventure Works – pilot", "externalId": "opportunity-7"}],
    }, expect=201)
    assert created["status"] == "notStarted" and created["isReminderOn"] is True
    assert created["linkedResources"][0]["externalId"] == "opportunity-7"
    assert created["linkedResources"][0]["id"]
    path = f"/me/todo/lists/{list_id}/tasks/{created['id']}"
    done = client.ok("PATCH", path, {"status": "completed"})
    assert done["status"] == "completed" and done["completedDateTime"]["timeZone"] == "UTC"
    assert done["@odata.etag"] != created["@odata.etag"]
    reopened = client.ok("PATCH", path, {"status": "notStarted"})
    assert "completedDateTime" not in reopened
    assert client.ok("GET", path + "?$expand=linkedResources")["linkedResources"][0]["externalId"] == "opportunity-7"
    client.ok("DELETE", path, expect=204)
    assert client.get(path).status == 404


def test_task_delta(todo):
    client, list_id = todo
    delta = f"/me/todo/lists/{list_id}/tasks/delta"
    pages, items, link = client.delta_round(delta, page_size=1)
    assert len(pages) == 2 and len(items) == 2
    assert items[0]["@odata.type"] == "#microsoft.graph.todoTask"
    first, second = items
    client.ok("PATCH", f"/me/todo/lists/{list_id}/tasks/{first['id']}", {"status": "completed"})
    client.ok("DELETE", f"/me/todo/lists/{list_id}/tasks/{second['id']}", expect=204)
    new = client.ok("POST", f"/me/todo/lists/{list_id}/tasks", {"title": "New"}, expect=201)
    _, changes, link = client.delta_round(link)
    assert [(c["id"], c.get("status"), "@removed" in c) for c in changes] == [
        (first["id"], "completed", False), (second["id"], None, True), (new["id"], "notStarted", False)]
    assert client.delta_round(link)[1] == []


def test_control_changes_show_in_task_delta(todo):
    client, list_id = todo
    _, _, link = client.delta_round(f"/me/todo/lists/{list_id}/tasks/delta")
    added = client.ok("POST", f"/_fake/mailbox/todoLists/{list_id}/tasks", {"title": "Done in Outlook"}, expect=201)
    client.ok("PATCH", f"/_fake/mailbox/todoLists/{list_id}/tasks/{added['id']}", {"status": "completed"})
    _, changes, _ = client.delta_round(link)
    assert [(c["title"], c["status"]) for c in changes] == [("Done in Outlook", "completed")]


def test_new_list_and_errors(todo):
    client, _ = todo
    created = client.ok("POST", "/me/todo/lists", {"displayName": "Opportunities"}, expect=201)
    assert created["isOwner"] is True and created["wellknownListName"] == "none"
    assert client.ok("GET", f"/me/todo/lists/{created['id']}/tasks")["value"] == []
    assert client.get("/me/todo/lists/AAMkADIynope/tasks").status == 404
    bad = client.post(f"/me/todo/lists/{created['id']}/tasks", {"title": "x", "owner": "me"})
    assert bad.status == 400 and bad.body["error"]["code"] == "RequestBodyRead"


def test_a_deleted_list_answers_404_to_task_delta(todo, demo):
    client, list_id = todo
    delta = f"/me/todo/lists/{list_id}/tasks/delta"
    _, tasks, link = client.delta_round(delta)
    client.ok("DELETE", f"/me/todo/lists/{list_id}", expect=204)
    for url in (delta, link):
        reply = client.get(url)
        assert reply.status == 404 and reply.body["error"]["code"] == "ErrorItemNotFound"
    assert client.get(f"/me/todo/lists/{list_id}").status == 404
    patch = client.patch(f"/me/todo/lists/{list_id}/tasks/{tasks[0]['id']}", {"status": "completed"})
    assert patch.status == 404 and patch.body["error"]["code"] == "ErrorItemNotFound"


def test_a_list_deleted_through_the_python_api(todo, demo):
    client, list_id = todo
    _, _, link = client.delta_round(f"/me/todo/lists/{list_id}/tasks/delta")
    demo.mailbox.delete_list(list_id)
    assert client.get(link).status == 404
    with pytest.raises(KeyError):
        demo.mailbox.delete_list(list_id)


def test_patch_of_a_deleted_task_is_404(todo):
    client, list_id = todo
    created = client.ok("POST", f"/me/todo/lists/{list_id}/tasks", {"title": "Short-lived"}, expect=201)
    path = f"/me/todo/lists/{list_id}/tasks/{created['id']}"
    client.ok("DELETE", path, expect=204)
    for reply in (client.patch(path, {"status": "completed"}), client.get(path), client.delete(path)):
        assert reply.status == 404 and reply.body["error"]["code"] == "ErrorItemNotFound"
