"""Opportunities: CRUD, filters and keyset paging, bulk assign/close, reopen, comments, print."""
import datetime as dt

from flask_openapi3 import APIBlueprint, Tag

from addin.errors import bulk_failure
from storage.services import opportunities as service
from storage.services.changes import change_log, user_names
from storage.services.queries import OpportunityFilter, history_of, list_opportunities

from . import process_schemas as ps
from . import schemas as s
from . import serializers
from .context import check_if_match, commit, current_user, json_response, member, record_response, session
from .paths import WsPath, WsRecordPath
from .print_page import render_print_page

bp = APIBlueprint("opportunities", __name__, url_prefix="/api/v1/workspaces/<ws>/opportunities",
                  abp_tags=[Tag(name="opportunities")], abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem, 409: s.Problem, 412: s.Problem, 422: s.Problem}


def _changes(body) -> dict:
    """The fields the client sent, as plain values for the service (lines as LineInput)."""
    data = body.model_dump(exclude_unset=True)
    if "lines" in data and data["lines"] is not None:
        data["lines"] = [service.LineInput(**{k: v for k, v in line.items()}) for line in data["lines"]]
    return data


@bp.get("", responses={200: s.OpportunityList, **PROBLEMS})
def list_opportunities_route(path: WsPath, query: s.OpportunityQuery):
    """Opportunities of the workspace, filtered and sorted (`sort=close_date`, `-updated_at`, ...)."""
    m = member(path.ws)
    f = OpportunityFilter(**query.model_dump(exclude={"limit", "cursor"}))
    page = list_opportunities(session(), m.workspace_id, f, query.cursor, query.limit)
    return json_response({"items": [serializers.opportunity(o, m.workspace) for o in page.items],
                          "next_cursor": page.next_cursor})


@bp.post("", responses={201: s.OpportunityOut, **PROBLEMS})
def create_opportunity(path: WsPath, body: s.OpportunityIn):
    """Create an opportunity (the default stage and the caller as assignee unless given)."""
    m = member(path.ws)
    opportunity = service.create_opportunity(session(), m, _changes(body))
    data = serializers.opportunity(opportunity, m.workspace)
    commit()
    return record_response(data, 201)


@bp.get("/<id>", responses={200: s.OpportunityOut, **PROBLEMS})
def get_opportunity(path: WsRecordPath):
    m = member(path.ws)
    return record_response(serializers.opportunity(service.get_opportunity(session(), m.workspace_id, path.id),
                                                   m.workspace))


@bp.patch("/<id>", responses={200: s.OpportunityOut, **PROBLEMS})
def update_opportunity(path: WsRecordPath, body: s.OpportunityPatch):
    """Change the fields sent; `If-Match: "<version>"` guards against overwriting a newer version."""
    m = member(path.ws)
    opportunity = service.get_opportunity(session(), m.workspace_id, path.id)
    check_if_match(opportunity)
    service.update_opportunity(session(), opportunity, _changes(body), actor_id=m.user_id)
    data = serializers.opportunity(opportunity, m.workspace)
    commit()
    return record_response(data)


@bp.delete("/<id>", responses={204: None, **PROBLEMS})
def delete_opportunity(path: WsRecordPath):
    m = member(path.ws)
    opportunity = service.get_opportunity(session(), m.workspace_id, path.id)
    check_if_match(opportunity)
    service.delete_opportunity(session(), opportunity)
    commit()
    return "", 204


@bp.post("/bulk-assign", responses={200: s.BulkOut, **PROBLEMS})
def bulk_assign(path: WsPath, body: s.BulkAssignIn):
    """Assign several opportunities to one member; each record changes whole or not at all."""
    m = member(path.ws)
    service.check_assignee(session(), m.workspace_id, body.assigned_to)
    result = service.bulk_apply(session(), m.workspace_id, body.ids, lambda o: service.update_opportunity(
        session(), o, {"assigned_to": body.assigned_to}, actor_id=m.user_id))
    commit()
    return json_response({"updated": result.updated, "failed": [bulk_failure(f.id, f.error) for f in result.failed]})


@bp.post("/bulk-close", responses={200: s.BulkOut, **PROBLEMS})
def bulk_close(path: WsPath, body: s.BulkCloseIn):
    """Mark several opportunities Closed Won or Closed Lost (with the actual close date, default today, and
    the close reason, a value of the close_reason list)."""
    m = member(path.ws)
    service.check_close_reason(session(), m.workspace_id, body.close_reason)
    result = service.bulk_apply(session(), m.workspace_id, body.ids, lambda o: service.close_opportunity(
        session(), o, body.outcome, body.close_date, actor_id=m.user_id, close_reason=body.close_reason))
    commit()
    return json_response({"updated": result.updated, "failed": [bulk_failure(f.id, f.error) for f in result.failed]})


@bp.post("/<id>/reopen", responses={200: s.OpportunityOut, 403: s.Problem, **PROBLEMS})
def reopen(path: WsRecordPath, body: s.ReopenIn):
    """Reopen a closed opportunity into an open stage (owner or assignee)."""
    m = member(path.ws)
    opportunity = service.get_opportunity(session(), m.workspace_id, path.id)
    check_if_match(opportunity)
    service.reopen_opportunity(session(), m, opportunity, body.stage_id, body.probability)
    data = serializers.opportunity(opportunity, m.workspace)
    commit()
    return record_response(data)


@bp.post("/<id>/comments", responses={200: s.OpportunityOut, **PROBLEMS})
def add_comment(path: WsRecordPath, body: s.CommentIn):
    """Append to the comments, with "Add time stamp" (date, time and author) by default."""
    m = member(path.ws)
    opportunity = service.get_opportunity(session(), m.workspace_id, path.id)
    check_if_match(opportunity)
    service.append_comment(opportunity, current_user(), body.text, body.timestamp, body.time_zone)
    session().flush()
    data = serializers.opportunity(opportunity, m.workspace)
    commit()
    return record_response(data)


@bp.get("/<id>/print", responses={200: None, 401: s.Problem, 404: s.Problem})
def print_opportunity(path: WsRecordPath):
    """A printable HTML page of the whole record, history included."""
    m = member(path.ws)
    opportunity = service.get_opportunity(session(), m.workspace_id, path.id)
    history = history_of(session(), m.workspace_id, "opportunity", opportunity.id, None, 500).items
    html = render_print_page(
        o=serializers.opportunity(opportunity, m.workspace), workspace=m.workspace,
        history=[serializers.history_item(h) for h in history], printed_at=dt.datetime.now(dt.timezone.utc),
    )
    response = json_response(None)
    response.set_data(html)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/<id>/changes", responses={200: ps.ChangeList, **PROBLEMS})
def list_changes(path: WsRecordPath, query: s.PageQuery):
    """The change log: stage, probability, total, close date, assignee and link changes, newest first."""
    m = member(path.ws)
    opportunity = service.get_opportunity(session(), m.workspace_id, path.id)
    page = change_log(session(), opportunity.id, query.cursor, query.limit)
    names = user_names(session(), {c.user_id for c in page.items if c.user_id})
    return json_response({"items": [ps.ChangeOut(
        id=c.id, field=c.field, old_value=c.old_value, new_value=c.new_value, user_id=c.user_id,
        user_name=names.get(c.user_id), changed_at=c.changed_at).model_dump(mode="json") for c in page.items],
        "next_cursor": page.next_cursor})
