"""Customisable lists and sales stages (reading; stage editing is owner-only)."""
from flask_openapi3 import APIBlueprint, Tag

import sqlalchemy as sa

from storage.models import SalesStage
from storage.services import workspaces as service

from . import schemas as s
from .context import commit, json_response, member, session
from .paths import WsListPath, WsPath

bp = APIBlueprint("process", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="sales process")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem, 422: s.Problem}


@bp.get("/lists/<list_name>", responses={200: s.ListOut, **PROBLEMS})
def get_list(path: WsListPath):
    """The values of the Type, Payment terms or Source list, in order."""
    m = member(path.ws)
    service.require_list_name(path.list_name)
    return json_response({"values": service.list_values(session(), m.workspace_id, path.list_name)})


@bp.put("/lists/<list_name>", responses={200: s.ListOut, **PROBLEMS})
def put_list(path: WsListPath, body: s.ListIn):
    """Replace the list's values (owners and members, as in BCM). Removed values stay on the
    records that have them but cannot be chosen again."""
    m = member(path.ws)
    service.require_list_name(path.list_name)
    values = service.replace_list(session(), m.workspace_id, path.list_name, body.values)
    commit()
    return json_response({"values": values})


@bp.get("/sales-stages", responses={200: s.StageList, **PROBLEMS})
def list_stages(path: WsPath):
    """The sales stages in order, each with its sales activities; Closed Won and Closed Lost last."""
    m = member(path.ws)
    stages = session().scalars(
        sa.select(SalesStage).where(SalesStage.workspace_id == m.workspace_id).order_by(SalesStage.position))
    items = [s.StageOut(id=st.id, name=st.name, position=st.position, is_default=st.is_default, built_in=st.built_in,
                        outcome=st.outcome,
                        activities=[s.ActivityOut(id=a.id, name=a.name, position=a.position,
                                                  duration_days=a.duration_days, reminder=a.reminder)
                                    for a in st.activities]).model_dump(mode="json") for st in stages]
    return json_response({"items": items})
