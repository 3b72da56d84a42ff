"""Business projects, project templates, and "Create project" from an opportunity."""
import sqlalchemy as sa
from flask_openapi3 import APIBlueprint, Tag

from storage.i18n import _
from storage.models import Project, ProjectTemplate
from storage.paging import keyset_page
from storage.services import projects as service
from storage.services.access import require_owner
from storage.services.opportunities import get_opportunity
from storage.services.queries import like_prefix

from . import process_schemas as ps
from . import schemas as s
from .context import check_if_match, commit, json_response, member, record_response, session
from .paths import WsPath, WsRecordPath

bp = APIBlueprint("projects", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="projects")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 403: s.Problem, 404: s.Problem, 412: s.Problem, 422: s.Problem}


def project_out(p: Project) -> dict:
    link = None
    if p.link_account_id or p.link_contact_id:
        link = ps.ProjectLinkOut(type="account" if p.link_account_id else "contact",
                                 id=p.link_account_id or p.link_contact_id)
    return ps.ProjectOut(
        id=p.id, name=p.name, link=link, opportunity_id=p.opportunity_id, assigned_to=p.assigned_to,
        start_date=p.start_date, template_id=p.template_id,
        associated=[ps.ProjectLinkOut(type="account" if a.account_id else "contact", id=a.account_id or a.contact_id)
                    for a in p.associations],
        tasks=[ps.ProjectTaskOut(id=t.id, subject=t.subject, assigned_to=t.assigned_to, due_date=t.due_date,
                                 done=t.done) for t in p.tasks],
        created_at=p.created_at, updated_at=p.updated_at, version=p.version,
    ).model_dump(mode="json")


def template_out(t: ProjectTemplate) -> dict:
    return ps.TemplateOut(id=t.id, name=t.name, description=t.description,
                          tasks=[ps.TemplateTaskOut(subject=x.subject, offset_days=x.offset_days) for x in t.tasks],
                          created_at=t.created_at, updated_at=t.updated_at, version=t.version).model_dump(mode="json")


@bp.post("/opportunities/<id>/project", responses={201: ps.ProjectOut, **PROBLEMS})
def create_project_from_opportunity(path: WsRecordPath, body: ps.ProjectFromOpportunityIn):
    """BCM's "Create project": named after the opportunity and linked to its account or contact
    unless given; a template's tasks are copied with due dates from the start date."""
    m = member(path.ws)
    opportunity = get_opportunity(session(), m.workspace_id, path.id)
    project = service.create_from_opportunity(session(), opportunity, body.model_dump(exclude_unset=True))
    data = project_out(project)
    commit()
    return record_response(data, 201)


@bp.get("/projects", responses={200: ps.ProjectList, **PROBLEMS})
def list_projects(path: WsPath, query: s.NamedListQuery):
    m = member(path.ws)
    stmt = sa.select(Project).where(Project.workspace_id == m.workspace_id)
    if query.q:
        stmt = stmt.where(sa.func.lower(Project.name).like(like_prefix(query.q), escape="\\"))
    page = keyset_page(session(), stmt, sort_key="name", column=sa.func.lower(Project.name), id_column=Project.id,
                       descending=False, python_type=str, cursor=query.cursor, limit=query.limit,
                       value_of=lambda p: p.name.lower())
    return json_response({"items": [project_out(p) for p in page.items], "next_cursor": page.next_cursor})


@bp.post("/projects", responses={201: ps.ProjectOut, **PROBLEMS})
def create_project(path: WsPath, body: ps.ProjectIn):
    m = member(path.ws)
    project = service.save_project(session(), m.workspace_id, None, body.model_dump(exclude_unset=True))
    data = project_out(project)
    commit()
    return record_response(data, 201)


@bp.get("/projects/<id>", responses={200: ps.ProjectOut, **PROBLEMS})
def get_project(path: WsRecordPath):
    m = member(path.ws)
    return record_response(project_out(service.get_project(session(), m.workspace_id, path.id)))


@bp.patch("/projects/<id>", responses={200: ps.ProjectOut, **PROBLEMS})
def update_project(path: WsRecordPath, body: ps.ProjectIn):
    """Change a project: name, link, assignee, start date, associated records, tasks (with done marks)."""
    m = member(path.ws)
    project = service.get_project(session(), m.workspace_id, path.id)
    check_if_match(project)
    project = service.save_project(session(), m.workspace_id, project, body.model_dump(exclude_unset=True))
    data = project_out(project)
    commit()
    return record_response(data)


@bp.delete("/projects/<id>", responses={204: None, **PROBLEMS})
def delete_project(path: WsRecordPath):
    m = member(path.ws)
    project = service.get_project(session(), m.workspace_id, path.id)
    check_if_match(project)
    session().delete(project)
    commit()
    return "", 204


@bp.get("/project-templates", responses={200: ps.TemplateList, **PROBLEMS})
def list_templates(path: WsPath):
    m = member(path.ws)
    templates = session().scalars(sa.select(ProjectTemplate).where(ProjectTemplate.workspace_id == m.workspace_id)
                                  .order_by(ProjectTemplate.name))
    return json_response({"items": [template_out(t) for t in templates]})


@bp.post("/project-templates", responses={201: ps.TemplateOut, **PROBLEMS})
def create_template(path: WsPath, body: ps.TemplateIn):
    """Create a project template (owner only)."""
    m = member(path.ws)
    require_owner(m, _("edit project templates"))
    template = service.save_template(session(), m.workspace_id, None, body.model_dump(exclude_unset=True))
    data = template_out(template)
    commit()
    return record_response(data, 201)


@bp.get("/project-templates/<id>", responses={200: ps.TemplateOut, **PROBLEMS})
def get_template(path: WsRecordPath):
    m = member(path.ws)
    return record_response(template_out(service.get_template(session(), m.workspace_id, path.id)))


@bp.patch("/project-templates/<id>", responses={200: ps.TemplateOut, **PROBLEMS})
def update_template(path: WsRecordPath, body: ps.TemplateIn):
    """Change a project template (owner only); projects made from it keep their tasks."""
    m = member(path.ws)
    require_owner(m, _("edit project templates"))
    template = service.get_template(session(), m.workspace_id, path.id)
    check_if_match(template)
    template = service.save_template(session(), m.workspace_id, template, body.model_dump(exclude_unset=True))
    data = template_out(template)
    commit()
    return record_response(data)


@bp.delete("/project-templates/<id>", responses={204: None, **PROBLEMS})
def delete_template(path: WsRecordPath):
    m = member(path.ws)
    require_owner(m, _("edit project templates"))
    template = service.get_template(session(), m.workspace_id, path.id)
    check_if_match(template)
    session().delete(template)
    commit()
    return "", 204
