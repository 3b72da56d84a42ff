"""Business projects ("Create project" from an opportunity) and project templates."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage import limits
from storage.errors import RuleViolation
from storage.i18n import _
from storage.models import (
    Account, Contact, Member, Opportunity, Project, ProjectAssociation, ProjectTask, ProjectTemplate, TemplateTask,
)

from .records import find_record, get_record, not_of_workspace
from .validation import Problems, optional_text, require_text


def get_project(session: so.Session, workspace_id: str, project_id: str) -> Project:
    return get_record(session, Project, workspace_id, project_id, "project")


def get_template(session: so.Session, workspace_id: str, template_id: str) -> ProjectTemplate:
    return get_record(session, ProjectTemplate, workspace_id, template_id, "project template")


def _member_or_problem(session, workspace_id, user_id, problems, field) -> str | None:
    if user_id is not None and session.get(Member, (workspace_id, user_id)) is None:
        problems.add(field, _("must be a member of the workspace"))
        return None  # never an unknown key in the session: a later query would flush it and fail as a 409
    return user_id


def _set_link(session, project: Project, link: dict | None, problems: Problems, field: str = "link") -> None:
    if not link:
        project.link_account_id = project.link_contact_id = None
        return
    cls = {"account": Account, "contact": Contact}.get(link.get("type"))
    if cls is None:
        problems.add(f"{field}.type", _("must be account or contact"))
    elif find_record(session, cls, project.workspace_id, link.get("id")) is None:
        problems.add(f"{field}.id", not_of_workspace(link.get("type")))
    else:
        project.link_account_id = link["id"] if cls is Account else None
        project.link_contact_id = link["id"] if cls is Contact else None


def save_project(session: so.Session, workspace_id: str, project: Project | None, data: dict[str, Any]) -> Project:
    problems = Problems()
    creating = project is None
    if creating:
        project = Project(workspace_id=workspace_id)
    if creating or "name" in data:
        project.name = require_text(problems, "name", data.get("name"))
    if "link" in data:
        _set_link(session, project, data["link"], problems)
    if "assigned_to" in data:
        project.assigned_to = _member_or_problem(session, workspace_id, data["assigned_to"], problems, "assigned_to")
    if "start_date" in data:
        project.start_date = data["start_date"]
    if "opportunity_id" in data:
        opp_id = data["opportunity_id"]
        if opp_id and find_record(session, Opportunity, workspace_id, opp_id) is None:
            problems.add("opportunity_id", _("is not an opportunity of this workspace"))
        else:
            project.opportunity_id = opp_id or None
    if "associated" in data:
        project.associations = _associations(session, workspace_id, project, data["associated"] or [], problems)
    if "tasks" in data:
        project.tasks = _tasks(session, workspace_id, project, data["tasks"] or [], problems)
    problems.raise_if_any()
    if creating:
        session.add(project)
    if not creating:
        so.attributes.flag_modified(project, "workspace_id")
    session.flush()
    return project


def _associations(session, workspace_id, project, refs: list[dict], problems: Problems) -> list[ProjectAssociation]:
    current = {(a.account_id, a.contact_id): a for a in project.associations}
    result, seen = [], set()
    for i, ref in enumerate(refs):
        cls = {"account": Account, "contact": Contact}.get(ref.get("type"))
        if cls is None:
            problems.add(f"associated[{i}].type", _("must be account or contact"))
            continue
        if find_record(session, cls, workspace_id, ref.get("id")) is None:
            problems.add(f"associated[{i}].id", not_of_workspace(ref.get("type")))
            continue
        key = (ref["id"], None) if cls is Account else (None, ref["id"])
        if key in seen:
            continue
        seen.add(key)
        result.append(current.get(key) or ProjectAssociation(account_id=key[0], contact_id=key[1]))
    return result


def _tasks(session, workspace_id, project, tasks: list[dict], problems: Problems) -> list[ProjectTask]:
    current = {t.id: t for t in project.tasks}
    result = []
    for i, given in enumerate(tasks):
        task = current.pop(given.get("id"), None) if given.get("id") else None
        if given.get("id") and task is None:
            problems.add(f"tasks[{i}].id", _("is not a task of this project"))
            continue
        task = task or ProjectTask()
        task.subject = require_text(problems, f"tasks[{i}].subject", given.get("subject"), limits.TASK_SUBJECT)
        task.assigned_to = _member_or_problem(session, workspace_id, given.get("assigned_to"), problems,
                                              f"tasks[{i}].assigned_to")
        task.due_date = given.get("due_date")
        task.done = bool(given.get("done"))
        task.position = i
        result.append(task)
    return result


def create_from_opportunity(session: so.Session, opportunity: Opportunity, data: dict[str, Any]) -> Project:
    """BCM's "Create project": name defaults to the opportunity's title, link to its account or
    contact; a template's tasks are copied, due `offset_days` after the start date."""
    template = None
    if data.get("template_id"):
        template = find_record_template(session, opportunity.workspace_id, data["template_id"])
    values = {
        "name": data.get("name") or opportunity.title,
        "link": data["link"] if "link" in data else {"type": opportunity.link_type, "id": opportunity.link_id},
        "start_date": data.get("start_date"),
        "opportunity_id": opportunity.id,
        "assigned_to": data.get("assigned_to", opportunity.assigned_to),
    }
    if template is not None:
        start = values["start_date"] or dt.date.today()
        values["tasks"] = [{"subject": t.subject, "due_date": start + dt.timedelta(days=t.offset_days)}
                           for t in template.tasks]
    project = save_project(session, opportunity.workspace_id, None, values)
    project.template_id = template.id if template else None
    session.flush()
    return project


def find_record_template(session, workspace_id, template_id) -> ProjectTemplate:
    template = find_record(session, ProjectTemplate, workspace_id, template_id)
    if template is None:
        raise RuleViolation.on("template_id", _("is not a project template of this workspace"))
    return template


def projects_of_opportunity(session: so.Session, opportunity: Opportunity) -> list[Project]:
    return list(session.scalars(sa.select(Project).where(Project.opportunity_id == opportunity.id)
                                .order_by(Project.created_at)))


def save_template(session: so.Session, workspace_id: str, template: ProjectTemplate | None,
                  data: dict[str, Any]) -> ProjectTemplate:
    problems = Problems()
    creating = template is None
    if creating:
        template = ProjectTemplate(workspace_id=workspace_id)
    if creating or "name" in data:
        template.name = require_text(problems, "name", data.get("name"))
        clash = session.scalar(sa.select(ProjectTemplate.id).where(
            ProjectTemplate.workspace_id == workspace_id, ProjectTemplate.name == template.name,
            ProjectTemplate.id != (template.id or "")))
        if clash:
            problems.add("name", _("a template with this name exists already"))
    if "description" in data:
        template.description = optional_text(problems, "description", data["description"], limits.DESCRIPTION)
    if "tasks" in data:
        tasks = []
        for i, given in enumerate(data["tasks"] or []):
            subject = require_text(problems, f"tasks[{i}].subject", given.get("subject"), limits.TASK_SUBJECT)
            offset = given.get("offset_days") or 0
            if not 0 <= offset <= 3650:
                problems.add(f"tasks[{i}].offset_days", _("must be between %(low)s and %(high)s", low=0, high=3650))
            tasks.append(TemplateTask(subject=subject, offset_days=offset, position=i))
        template.tasks = tasks
    problems.raise_if_any()
    if creating:
        session.add(template)
    else:
        so.attributes.flag_modified(template, "workspace_id")
    session.flush()
    return template
