"""E-mail and meeting requests to the opportunity's customer, sent through Graph."""
import datetime as dt
from typing import Optional

from flask_openapi3 import APIBlueprint, Tag
from pydantic import Field

from graph_sync.outbound import send_email, send_meeting_request
from storage.errors import RuleViolation
from storage.i18n import _
from storage.services.opportunities import get_opportunity

from . import schemas as s
from . import serializers
from .context import commit, current_user, graph_client, member, record_response, session
from .paths import WsRecordPath

bp = APIBlueprint("outbound", __name__, url_prefix="/api/v1/workspaces/<ws>/opportunities",
                  abp_tags=[Tag(name="outbound")], abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 403: s.Problem, 404: s.Problem, 422: s.Problem, 502: s.Problem,
            503: s.Problem}


class MeetingRequestIn(s.Input):
    subject: Optional[str] = Field(max_length=255)
    start: dt.datetime = Field(description="wall-clock time in time_zone, e.g. 2026-12-01T10:00")
    end: dt.datetime
    time_zone: str = Field(max_length=64, description="IANA (Europe/Berlin) or Windows (W. Europe Standard Time)")
    location: Optional[str] = Field(default=None, max_length=255)
    body_html: Optional[str] = Field(default=None, max_length=100_000)
    online_meeting: bool = False
    attendees: Optional[list[s.Email]] = Field(default=None, max_length=s.MAX_RECIPIENTS,
                                               description="e-mail addresses; default: the linked contact")


class EmailIn(s.Input):
    subject: Optional[str] = Field(max_length=255)
    body_html: str = Field(default="", max_length=1_000_000)
    to: Optional[list[s.Email]] = Field(default=None, max_length=s.MAX_RECIPIENTS,
                                        description="default: the linked contact")
    cc: Optional[list[s.Email]] = Field(default=None, max_length=s.MAX_RECIPIENTS,
                                        description=f"to and cc together name at most {s.MAX_RECIPIENTS} recipients")


@bp.post("/<id>/meeting-request", responses={201: s.HistoryOut, 200: s.HistoryOut, **PROBLEMS})
def meeting_request(path: WsRecordPath, body: MeetingRequestIn):
    """Create the meeting in the user's calendar with the linked contact as attendee (Outlook sends the
    request). The same request sent twice creates one meeting (Graph transactionId)."""
    m = member(path.ws)
    opportunity = get_opportunity(session(), m.workspace_id, path.id)
    user = current_user()
    data = body.model_dump()
    data["start"], data["end"] = body.start, body.end
    item, created = send_meeting_request(session(), opportunity, user, graph_client(user), data)
    result = serializers.history_item(item)
    commit()
    return record_response(result, 201 if created else 200)


@bp.post("/<id>/email", responses={201: s.HistoryOut, **PROBLEMS})
def email(path: WsRecordPath, body: EmailIn):
    """Send an e-mail to the linked contact (or to the account's contacts given in `to`), recorded at once."""
    m = member(path.ws)
    opportunity = get_opportunity(session(), m.workspace_id, path.id)
    if len(body.to or []) + len(body.cc or []) > s.MAX_RECIPIENTS:
        raise RuleViolation.on("cc", _("to and cc together may name at most %(count)s recipients",
                                       count=s.MAX_RECIPIENTS))
    user = current_user()
    item = send_email(session(), opportunity, user, graph_client(user), body.model_dump())
    result = serializers.history_item(item)
    commit()
    return record_response(result, 201)
