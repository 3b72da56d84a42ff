"""Reminders and sales activities as To Do tasks: one task each, kept in step, completion flows back."""
import datetime as dt

import sqlalchemy as sa

from graph_sync.tasks import TaskKeeper
from storage.models import ChecklistMark, Mailbox, Opportunity, ReminderTask, SyncCursor
from storage.services.opportunities import checklist, close_opportunity

from ..graph.csdl import unknown_properties
from .conftest import mailbox_row


def keeper(session_factory, graph, mailbox_id):
    client = graph.client_for_mailbox(mailbox_row(session_factory, mailbox_id))
    return TaskKeeper(session_factory, client, mailbox_id, web_base_url="https://dealpane.example")


def dealpane_tasks(fake):
    lists = [l for l in fake.mailbox.todo_lists() if l.get("displayName") == "Dealpane"]
    assert len(lists) == 1
    return lists[0]["id"], [t for t in fake.mailbox.to_dict()["todoLists"] if t["id"] == lists[0]["id"]][0]["tasks"]


def ours(tasks):
    return {r["externalId"]: t for t in tasks for r in t.get("linkedResources") or []
            if (r.get("externalId") or "").startswith("o:")}


def an_opportunity_with_due_activities(session_factory, mailbox_id):
    with session_factory() as session:
        owner = session.get(Mailbox, mailbox_id).user_id
        for opp in session.scalars(sa.select(Opportunity).where(Opportunity.assigned_to == owner)):
            if not opp.read_only and any(i["due_date"] for i in checklist(opp)):
                return opp.id, [i for i in checklist(opp) if i["due_date"] and not i["done"]]
    raise AssertionError("the demo has no opportunity with due activities")


def test_due_activities_and_reminders_become_one_task_each_even_on_reruns(session_factory, graph, mailbox_id, fake):
    opp_id, due = an_opportunity_with_due_activities(session_factory, mailbox_id)
    with session_factory() as session:
        session.get(Opportunity, opp_id).reminder_at = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.timezone.utc)
        session.commit()
    report = keeper(session_factory, graph, mailbox_id).run()
    assert report.created >= len(due) + 1
    _, tasks = dealpane_tasks(fake)
    mine = ours(tasks)
    assert f"o:{opp_id}:reminder" in mine
    assert mine[f"o:{opp_id}:reminder"]["reminderDateTime"]["dateTime"].startswith("2026-12-01T08:30")
    for item in due:
        task = mine[f"o:{opp_id}:a:{item['activity_id']}"]
        assert task["dueDateTime"]["dateTime"].startswith(item["due_date"].isoformat())
        link = task["linkedResources"][0]
        assert link["webUrl"].endswith(f"/workspace/#/opportunities/{opp_id}")
    again = keeper(session_factory, graph, mailbox_id).run()
    assert (again.created, again.updated) == (0, 0)
    assert len(dealpane_tasks(fake)[1]) == len(tasks)


def test_a_task_created_just_before_a_crash_is_adopted_not_duplicated(session_factory, graph, mailbox_id, fake):
    opp_id, due = an_opportunity_with_due_activities(session_factory, mailbox_id)
    keeper(session_factory, graph, mailbox_id).run()
    key = f"o:{opp_id}:a:{due[0]['activity_id']}"
    with session_factory() as session:  # forget we created it, as if we crashed right after the POST
        session.execute(sa.delete(ReminderTask).where(ReminderTask.key == key))
        session.commit()
    keeper(session_factory, graph, mailbox_id).run()
    assert list(ours(dealpane_tasks(fake)[1])).count(key) == 1
    assert len([t for t in dealpane_tasks(fake)[1] if key in str(t.get("linkedResources"))]) == 1


def test_completing_the_task_in_to_do_marks_the_activity_done(session_factory, graph, mailbox_id, fake):
    opp_id, due = an_opportunity_with_due_activities(session_factory, mailbox_id)
    keeper(session_factory, graph, mailbox_id).run()
    list_id, tasks = dealpane_tasks(fake)
    task = ours(tasks)[f"o:{opp_id}:a:{due[0]['activity_id']}"]
    fake.mailbox.update_task(list_id, task["id"], {"status": "completed"})
    report = keeper(session_factory, graph, mailbox_id).run()
    assert report.marked_done == 1
    with session_factory() as session:
        assert session.get(ChecklistMark, (opp_id, due[0]["activity_id"])) is not None


def test_changing_the_reminder_updates_the_task_and_closing_completes_them(session_factory, graph, mailbox_id, fake):
    opp_id, _ = an_opportunity_with_due_activities(session_factory, mailbox_id)
    with session_factory() as session:
        session.get(Opportunity, opp_id).reminder_at = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.timezone.utc)
        session.commit()
    keeper(session_factory, graph, mailbox_id).run()
    with session_factory() as session:
        session.get(Opportunity, opp_id).reminder_at = dt.datetime(2026, 12, 8, 10, 0, tzinfo=dt.timezone.utc)
        session.commit()
    assert keeper(session_factory, graph, mailbox_id).run().updated == 1
    task = ours(dealpane_tasks(fake)[1])[f"o:{opp_id}:reminder"]
    assert task["reminderDateTime"]["dateTime"].startswith("2026-12-08T10:00")
    with session_factory() as session:
        close_opportunity(session, session.get(Opportunity, opp_id), "won", None)
        session.commit()
    report = keeper(session_factory, graph, mailbox_id).run()
    assert report.completed >= 1
    mine = {k: t for k, t in ours(dealpane_tasks(fake)[1]).items() if k.startswith(f"o:{opp_id}:")}
    assert mine and all(t["status"] == "completed" for t in mine.values())


def test_task_bodies_are_real_graph_properties(session_factory, graph, mailbox_id, fake):
    keeper(session_factory, graph, mailbox_id).run()
    bodies = [r["body"] for r in fake.requests() if r["method"] in ("POST", "PATCH") and "/tasks" in r["path"]]
    assert bodies
    for body in bodies:
        assert unknown_properties("todoTask", body) == []


# ---- what the user deletes in To Do ----------------------------------------------------------------


def delete_in_to_do(fake, path):
    """DELETE through the fake's HTTP API, as To Do's own client would."""
    import httpx

    answer = httpx.delete(f"{fake.url}/me/todo/{path}", headers={"Authorization": "Bearer user"})
    assert answer.status_code == 204, answer.text


def posts(fake, suffix):
    return [r for r in fake.requests() if r["method"] == "POST" and r["path"].endswith(suffix)]


def rows_of(session_factory, mailbox_id):
    with session_factory() as session:
        return {r.key: (r.task_id, r.completed) for r in session.scalars(
            sa.select(ReminderTask).where(ReminderTask.mailbox_id == mailbox_id))}


def test_a_deleted_list_is_made_again_with_the_open_tasks_once(session_factory, graph, mailbox_id, fake):
    opp_id, due = an_opportunity_with_due_activities(session_factory, mailbox_id)
    with session_factory() as session:
        session.get(Opportunity, opp_id).reminder_at = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.timezone.utc)
        session.commit()
    keeper(session_factory, graph, mailbox_id).run()
    old_list, tasks = dealpane_tasks(fake)
    done_key = f"o:{opp_id}:a:{due[0]['activity_id']}"  # completed in To Do before the list goes
    fake.mailbox.update_task(old_list, ours(tasks)[done_key]["id"], {"status": "completed"})
    keeper(session_factory, graph, mailbox_id).run()
    before = rows_of(session_factory, mailbox_id)
    assert before[done_key][1] is True
    open_keys = {k for k, (_, completed) in before.items() if not completed}
    assert f"o:{opp_id}:reminder" in open_keys and len(open_keys) >= 2

    delete_in_to_do(fake, f"lists/{old_list}")
    fake.clear_requests()
    report = keeper(session_factory, graph, mailbox_id).run()

    assert report.lists_recreated == 1 and report.created == len(open_keys)
    assert len(posts(fake, "/todo/lists")) == 1  # one new list
    assert len(posts(fake, "/tasks")) == len(open_keys)  # each open task once
    new_list, new_tasks = dealpane_tasks(fake)
    assert new_list != old_list
    assert set(ours(new_tasks)) == open_keys and len(new_tasks) == len(open_keys)  # the completed one is not back
    after = rows_of(session_factory, mailbox_id)
    assert after[done_key] == before[done_key]  # still completed, untouched
    assert {after[k][0] for k in open_keys} == {t["id"] for t in new_tasks}
    with session_factory() as session:
        assert session.get(Mailbox, mailbox_id).todo_list_id == new_list
        assert session.get(SyncCursor, (mailbox_id, f"todo:{old_list}")) is None
        assert session.get(SyncCursor, (mailbox_id, f"todo:{new_list}")) is not None

    fake.clear_requests()
    again = keeper(session_factory, graph, mailbox_id).run()
    assert (again.created, again.updated, again.lists_recreated) == (0, 0, 0)
    assert [r for r in fake.requests() if r["method"] in ("POST", "PATCH")] == []


def test_a_task_deleted_in_to_do_is_made_again_while_its_reminder_is_wanted(session_factory, graph, mailbox_id,
                                                                          fake):
    opp_id, _ = an_opportunity_with_due_activities(session_factory, mailbox_id)
    with session_factory() as session:
        session.get(Opportunity, opp_id).reminder_at = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.timezone.utc)
        session.commit()
    keeper(session_factory, graph, mailbox_id).run()
    list_id, tasks = dealpane_tasks(fake)
    key = f"o:{opp_id}:reminder"
    deleted = ours(tasks)[key]["id"]
    delete_in_to_do(fake, f"lists/{list_id}/tasks/{deleted}")
    with session_factory() as session:  # a change in Dealpane: the task is PATCHed, and To Do answers 404
        session.get(Opportunity, opp_id).reminder_at = dt.datetime(2026, 12, 8, 10, 0, tzinfo=dt.timezone.utc)
        session.commit()
    fake.clear_requests()
    report = keeper(session_factory, graph, mailbox_id).run()

    assert (report.recreated, report.updated, report.created) == (1, 0, 0)
    assert len(posts(fake, "/tasks")) == 1
    remade = ours(dealpane_tasks(fake)[1])[key]
    assert remade["id"] != deleted and remade["reminderDateTime"]["dateTime"].startswith("2026-12-08T10:00")
    assert rows_of(session_factory, mailbox_id)[key] == (remade["id"], False)
    fake.clear_requests()
    keeper(session_factory, graph, mailbox_id).run()
    assert [r for r in fake.requests() if r["method"] in ("POST", "PATCH")] == []


def test_a_task_deleted_in_to_do_whose_activity_is_done_is_not_made_again(session_factory, graph, mailbox_id, fake):
    opp_id, due = an_opportunity_with_due_activities(session_factory, mailbox_id)
    keeper(session_factory, graph, mailbox_id).run()
    list_id, tasks = dealpane_tasks(fake)
    key = f"o:{opp_id}:a:{due[0]['activity_id']}"
    delete_in_to_do(fake, f"lists/{list_id}/tasks/{ours(tasks)[key]['id']}")
    with session_factory() as session:  # done in Dealpane: the task is no longer wanted
        session.add(ChecklistMark(opportunity_id=opp_id, activity_id=due[0]["activity_id"],
                                  done_at=dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)))
        session.commit()
    fake.clear_requests()
    report = keeper(session_factory, graph, mailbox_id).run()

    assert (report.gone, report.recreated, report.created, report.completed) == (1, 0, 0, 0)
    assert len([r for r in fake.requests() if r["method"] == "PATCH"]) == 1  # the one that answered 404
    assert posts(fake, "/tasks") == []
    assert key not in ours(dealpane_tasks(fake)[1])
    assert rows_of(session_factory, mailbox_id)[key][1] is True  # completed here
    fake.clear_requests()
    keeper(session_factory, graph, mailbox_id).run()
    assert [r for r in fake.requests() if r["method"] in ("POST", "PATCH")] == []


def test_a_reminder_task_is_titled_in_the_users_language(session_factory, graph, mailbox_id, fake):
    """The task is the user's, in their To Do: their chosen language, else their workspace's."""
    from storage.models import User, Workspace

    opp_id, _due = an_opportunity_with_due_activities(session_factory, mailbox_id)
    with session_factory() as session:
        opp = session.get(Opportunity, opp_id)
        opp.reminder_at = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.timezone.utc)
        title = opp.title
        mailbox = session.get(Mailbox, mailbox_id)
        session.get(Workspace, mailbox.workspace_id).language = "fr"
        session.commit()
    keeper(session_factory, graph, mailbox_id).run()
    assert ours(dealpane_tasks(fake)[1])[f"o:{opp_id}:reminder"]["title"] == f"Relancer : {title}"
    with session_factory() as session:
        session.get(User, session.get(Mailbox, mailbox_id).user_id).language = "en"
        session.commit()
    report = keeper(session_factory, graph, mailbox_id).run()
    assert report.updated >= 1
    assert ours(dealpane_tasks(fake)[1])[f"o:{opp_id}:reminder"]["title"] == f"Follow up: {title}"
