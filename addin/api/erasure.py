"""A person's data on request: export a business contact's data, erase the contact (owner only).

The rules of erasure (what goes, what stays, the never-log list) are in storage.services.erasure."""
from __future__ import annotations

from typing import Any, Optional

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from storage.services import erasure as service

from . import schemas as s
from .context import commit, current_user, json_response, session
from .paths import WsRecordPath

bp = APIBlueprint("erasure", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="privacy")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem}


class RemovedFrom(BaseModel):
    history_items: int = Field(description="items that stay (linked to other records) without the person's addresses")
    contacts: int = Field(description="other business contacts that carried one of the addresses")
    opportunities_initiated: int = Field(description="opportunities whose initiated_by named the person")
    projects: int = Field(description="projects linked to or associated with the person")


class ErasureReceipt(BaseModel):
    contact_id: str
    history_items_removed: int = Field(description="history items that concerned nobody else of the workspace")
    history_items_kept: int = Field(description="items of the person's history kept for other records")
    addresses_removed_from: RemovedFrom
    addresses_blocked: int = Field(description="the person's addresses put on the never-log list")
    mailboxes_blocking: int = Field(description="connected mailboxes whose never-log list now holds them")
    audit_event_id: str


class PersonExport(BaseModel):
    exported_at: str
    contact: dict[str, Any]
    account: Optional[dict[str, Any]] = None
    history: list[dict[str, Any]]
    opportunities: list[dict[str, Any]]
    projects: list[dict[str, Any]]
    change_log: list[dict[str, Any]]


@bp.post("/contacts/<id>/erase", responses={200: ErasureReceipt, 403: s.Problem, 409: s.Problem, **PROBLEMS})
def erase_contact(path: WsRecordPath):
    """Erase a business contact on request (GDPR art. 17; owner only).

    Removes the contact, the history items that concern nobody else of the workspace, the person's
    addresses from other records, and puts the addresses on the never-log list of every mailbox of
    the workspace so a later sync does not bring them back. 409 while opportunities are linked to
    the contact. Recorded in the audit log with counts and the contact's id only."""
    receipt = service.erase_contact(session(), path.ws, current_user(), path.id)
    commit()
    return json_response(receipt)


@bp.get("/contacts/<id>/export", responses={200: PersonExport, **PROBLEMS})
def export_contact(path: WsRecordPath):
    """Everything stored about a business contact, as a JSON file (GDPR art. 15)."""
    data = service.export_contact(session(), path.ws, current_user(), path.id)
    response = json_response(data)
    response.headers["Content-Disposition"] = f'attachment; filename="contact-{path.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
