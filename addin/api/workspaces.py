"""GET /me, workspaces and their members."""
from flask_openapi3 import APIBlueprint, Tag

from addin.i18n import request_language
from storage.services import workspaces as service

from . import schemas as s
from .context import commit, current_user, json_response, member, session
from .paths import WsMemberPath, WsPath

bp = APIBlueprint("workspaces", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="workspaces")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem, 422: s.Problem}


def _workspace(w, role) -> dict:
    return s.WorkspaceOut(id=w.id, name=w.name, currency=w.currency, language=w.language,
                          role=role).model_dump(mode="json")


def _member(m) -> dict:
    return s.MemberOut(user_id=m.user_id, email=m.user.email, display_name=m.user.display_name,
                       role=m.role).model_dump(mode="json")


def _me(user) -> dict:
    return {
        "user": {"id": user.id, "email": user.email, "display_name": user.display_name, "language": user.language},
        "workspaces": [_workspace(w, role) for w, role in service.workspaces_of(session(), user)],
    }


@bp.get("/me", responses={200: s.MeOut, 401: s.Problem})
def get_me():
    """The signed-in user (with the language they chose, null to follow the browser) and the workspaces
    they belong to (each with its language)."""
    return json_response(_me(current_user()))


@bp.patch("/me", responses={200: s.MeOut, 400: s.Problem, 401: s.Problem, 422: s.Problem})
def patch_me(body: s.MePatch):
    """Choose the language the workspace speaks to the signed-in user (`null`: follow the browser).
    Answers as GET /me."""
    user = current_user()
    if "language" in body.model_fields_set:
        service.set_user_language(session(), user, body.language)
        commit()
    return json_response(_me(user))


@bp.post("/workspaces", responses={201: s.WorkspaceOut, **PROBLEMS})
def create_workspace(body: s.WorkspaceIn):
    """Create a workspace (a shared database); the caller becomes its owner. Its default stages and
    lists are in `language`, by default the request's (Accept-Language): a workspace created from a
    French Outlook or browser starts in French."""
    language = body.language if body.language is not None else request_language()
    workspace = service.create_workspace(session(), current_user(), body.name, body.currency, language)
    commit()
    return json_response(_workspace(workspace, "owner"), 201)


@bp.get("/workspaces/<ws>", responses={200: s.WorkspaceOut, 401: s.Problem, 404: s.Problem})
def get_workspace(path: WsPath):
    m = member(path.ws)
    return json_response(_workspace(m.workspace, m.role))


@bp.get("/workspaces/<ws>/members", responses={200: s.MemberList, 401: s.Problem, 404: s.Problem})
def list_members(path: WsPath):
    m = member(path.ws)
    return json_response({"items": [_member(x) for x in service.members_of(session(), m.workspace)]})


@bp.post("/workspaces/<ws>/members", responses={201: s.MemberOut, 200: s.MemberOut, 403: s.Problem, 409: s.Problem,
                                                **PROBLEMS})
def add_member(path: WsPath, body: s.MemberIn):
    """Share the workspace with a colleague by e-mail (owner only), even before their first sign-in.
    Adding an existing member changes their role."""
    added, created = service.add_member(session(), member(path.ws), body.email, body.role, body.tenant)
    data = _member(added)
    commit()
    return json_response(data, 201 if created else 200)


@bp.delete("/workspaces/<ws>/members/<user_id>", responses={204: None, 403: s.Problem, 409: s.Problem, **PROBLEMS})
def remove_member(path: WsMemberPath):
    """Remove a member (owner only); the last owner cannot be removed."""
    service.remove_member(session(), member(path.ws), path.user_id)
    commit()
    return "", 204
