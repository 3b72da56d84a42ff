"""Customisable lists, sales stages and activities (editing them is owner-only), reminders, reports."""
import csv
import datetime as dt
import io

import sqlalchemy as sa
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from storage.errors import RuleViolation
from storage.i18n import _
from storage.models import SalesStage
from storage.services import close_reasons as close_reason_service
from storage.services import reports
from storage.services import stages as stage_service
from storage.services import workspaces as service
from storage.services.access import require_owner
from storage.services.transfer import safe_cell

from . import process_schemas as ps
from . import schemas as s
from .context import commit, json_response, member, session
from .paths import WsListPath, WsPath, WsRecordPath


class WsActivityPath(WsRecordPath):
    activity_id: str = Field(max_length=64)

bp = APIBlueprint("process", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="sales process")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem, 422: s.Problem}


@bp.get("/lists/<list_name>", responses={200: s.ListOut, **PROBLEMS})
def get_list(path: WsListPath):
    """The values of the Type, Payment terms, Source or Close reason (`close_reason`) list, in order."""
    m = member(path.ws)
    service.require_list_name(path.list_name)
    return json_response({"values": service.list_values(session(), m.workspace_id, path.list_name)})


@bp.put("/lists/<list_name>", responses={200: s.ListOut, **PROBLEMS})
def put_list(path: WsListPath, body: s.ListIn):
    """Replace the list's values (owners and members, as in BCM). Removed values stay on the
    records that have them but cannot be chosen again."""
    m = member(path.ws)
    service.require_list_name(path.list_name)
    values = service.replace_list(session(), m.workspace_id, path.list_name, body.values, body.rename)
    commit()
    return json_response({"values": values})


@bp.get("/sales-stages", responses={200: s.StageList, **PROBLEMS})
def list_stages(path: WsPath):
    """The sales stages in order, each with its sales activities; Closed Won and Closed Lost last."""
    m = member(path.ws)
    stages = session().scalars(
        sa.select(SalesStage).where(SalesStage.workspace_id == m.workspace_id).order_by(SalesStage.position))
    return json_response({"items": [_stage(st) for st in stages]})


def _stage(st: SalesStage) -> dict:
    return s.StageOut(id=st.id, name=st.name, position=st.position, is_default=st.is_default, built_in=st.built_in,
                      outcome=st.outcome, activities=[_activity_model(a) for a in st.activities]).model_dump(mode="json")


def _activity_model(a) -> s.ActivityOut:
    return s.ActivityOut(id=a.id, name=a.name, position=a.position, duration_days=a.duration_days, reminder=a.reminder)


def _owner(ws: str):
    m = member(ws)
    require_owner(m, _("customise sales stages and activities"))
    return m


STAGE_PROBLEMS = {**PROBLEMS, 403: s.Problem, 409: s.Problem}


@bp.post("/sales-stages", responses={201: s.StageOut, **STAGE_PROBLEMS})
def add_stage(path: WsPath, body: ps.StageIn):
    """Add a sales stage (owner only) at `position` among the open stages, or at their end."""
    m = _owner(path.ws)
    stage = stage_service.add_stage(session(), m.workspace_id, body.name, body.position)
    data = _stage(stage)
    commit()
    return json_response(data, 201)


@bp.patch("/sales-stages/<id>", responses={200: s.StageOut, **STAGE_PROBLEMS})
def update_stage(path: WsRecordPath, body: ps.StagePatch):
    """Rename, move (its activities move with it) or make the default (owner only).
    `is_default: false` clears the default. Closed Won / Closed Lost: 409."""
    m = _owner(path.ws)
    stage = stage_service.update_stage(session(), m.workspace_id, path.id, body.model_dump(exclude_unset=True))
    data = _stage(stage)
    commit()
    return json_response(data)


@bp.delete("/sales-stages/<id>", responses={204: None, **STAGE_PROBLEMS})
def delete_stage(path: WsRecordPath, query: ps.StageDeleteQuery):
    """Delete a stage (owner only): its opportunities go to `replace_with` (or to no stage); with
    `move_activities=true` its activities go to the top of the replacement's list."""
    m = _owner(path.ws)
    stage_service.delete_stage(session(), m.workspace_id, path.id, query.replace_with, query.move_activities,
                               actor_id=m.user_id)
    commit()
    return "", 204


@bp.post("/sales-stages/<id>/activities", responses={201: s.ActivityOut, **STAGE_PROBLEMS})
def add_activity(path: WsRecordPath, body: ps.ActivityIn):
    """Add a sales activity to a stage (owner only)."""
    m = _owner(path.ws)
    activity = stage_service.add_activity(session(), m.workspace_id, path.id, body.model_dump(exclude_unset=True))
    data = _activity_model(activity).model_dump(mode="json")
    commit()
    return json_response(data, 201)


@bp.patch("/sales-stages/<id>/activities/<activity_id>", responses={200: s.ActivityOut, **STAGE_PROBLEMS})
def update_activity(path: WsActivityPath, body: ps.ActivityPatch):
    """Rename, reorder or change the duration/reminder of a sales activity (owner only)."""
    m = _owner(path.ws)
    activity = stage_service.update_activity(session(), m.workspace_id, path.id, path.activity_id,
                                             body.model_dump(exclude_unset=True))
    data = _activity_model(activity).model_dump(mode="json")
    commit()
    return json_response(data)


@bp.delete("/sales-stages/<id>/activities/<activity_id>", responses={204: None, **STAGE_PROBLEMS})
def delete_activity(path: WsActivityPath):
    """Remove a sales activity from its stage and from every opportunity's checklist, done or not."""
    m = _owner(path.ws)
    stage_service.delete_activity(session(), m.workspace_id, path.id, path.activity_id)
    commit()
    return "", 204


@bp.get("/reminders", responses={200: ps.ReminderList, **PROBLEMS})
def list_reminders(path: WsPath, query: ps.ReminderQuery):
    """Due and overdue reminders of open opportunities up to `before`: their own and their sales activities'."""
    m = member(path.ws)
    today = dt.date.today()
    items = reports.reminders(session(), m.workspace_id, query.before or today, today, query.assigned_to)
    return json_response({"items": [ps.ReminderOut(**r).model_dump(mode="json") for r in items]})


def _report(rows: list[dict], model: type[BaseModel], fmt: str, name: str, currency: str):
    items = [model(**{k: (f"{v:.2f}" if k in MONEY_FIELDS else v) for k, v in r.items() if k in model.model_fields})
             .model_dump(mode="json") for r in rows]
    if fmt != "csv":
        return json_response({"items": items, "currency": currency})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(model.model_fields), lineterminator="\r\n")
    writer.writeheader()
    # A stage name is free text: escaped as the exports escape it, so a spreadsheet never runs it as a formula.
    writer.writerows({k: safe_cell("" if v is None else str(v)) for k, v in item.items()} for item in items)
    response = json_response(None)
    response.set_data(out.getvalue())
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


MONEY_FIELDS = {"total", "expected_revenue", "won_total"}


@bp.get("/reports/pipeline", responses={200: ps.PipelineOut, **PROBLEMS})
def pipeline_report(path: WsPath, query: ps.ReportQuery):
    """Per open stage: count, total and expected revenue (`format=csv` for a spreadsheet)."""
    m = member(path.ws)
    rows = reports.pipeline(session(), m.workspace_id, query.assigned_to)
    return _report(rows, ps.PipelineRow, query.format, "pipeline", m.workspace.currency)


@bp.get("/reports/forecast", responses={200: ps.ForecastOut, **PROBLEMS})
def forecast_report(path: WsPath, query: ps.ForecastQuery):
    """Per close month from this month on: open count/total/expected revenue and won count/total."""
    m = member(path.ws)
    rows = reports.forecast(session(), m.workspace_id, query.months, dt.date.today(), query.assigned_to)
    return _report(rows, ps.ForecastRow, query.format, "forecast", m.workspace.currency)


@bp.get("/reports/close-reasons", responses={200: ps.CloseReasonsOut, **PROBLEMS})
def close_reasons_report(path: WsPath, query: ps.CloseReasonQuery):
    """Won and lost by close reason and by competitor (count and total) for the deals closed between
    `from` and `to` (inclusive, either may be left out); `format=csv` for a spreadsheet: one row per
    reason then per competitor, the `group` column saying which."""
    m = member(path.ws)
    if query.from_ and query.to and query.to < query.from_:
        raise RuleViolation.on("to", _("must not be before the `from` date"))
    result = close_reason_service.close_reasons(session(), m.workspace_id, query.from_, query.to, query.assigned_to)
    groups = {group: [ps.CloseReasonRow(**{**row, "won_total": f"{row['won_total']:.2f}",
                                            "lost_total": f"{row['lost_total']:.2f}"}).model_dump(mode="json")
                      for row in rows] for group, rows in result.items()}
    if query.format != "csv":
        return json_response({**groups, "currency": m.workspace.currency})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["group", *ps.CloseReasonRow.model_fields])
    for group, singular in (("reasons", "reason"), ("competitors", "competitor")):
        for row in groups[group]:
            # reasons and competitors are free text: escaped so a spreadsheet never runs one as a formula
            writer.writerow([singular, *(safe_cell("" if v is None else str(v)) for v in row.values())])
    response = json_response(None)
    response.set_data(out.getvalue())
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = 'attachment; filename="close-reasons.csv"'
    return response
