"""CSV export and import (the workspace's Import/Export): opportunities, accounts, business contacts.

`GET …/export/{kind}.csv` answers a spreadsheet file. `POST …/import/{kind}?dry_run=` takes the
file as the body (`text/csv`, or JSON `{"csv": "..."}`) and creates every record or none: the answer
reports per record the rows it came from and, per row and column, what is wrong.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from flask import current_app, json, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from addin.errors import problem
from addin.i18n import request_language, say, tr
from storage.errors import BadInput, FieldError, RuleViolation
from storage.i18n import _, ngettext
from storage.services import transfer as service

from . import schemas as s
from .context import commit, member, session
from .paths import WsPath

bp = APIBlueprint("transfer", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="import and export")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem, 413: s.Problem, 415: s.Problem, 422: s.Problem}
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")

Kind = Literal["opportunities", "accounts", "contacts"]


class WsKindPath(WsPath):
    kind: Kind = Field(description="opportunities, accounts or contacts")


class ImportQuery(BaseModel):
    dry_run: bool = Field(default=False, description="check only: report what would be created, change nothing")


class CellErrorOut(BaseModel):
    row: int = Field(description="the spreadsheet row: the header is row 1")
    column: str
    message: str


class ImportRecordOut(BaseModel):
    row: int = Field(description="the record's first row")
    rows: list[int]
    name: str
    lines: int = Field(description="product and service lines (opportunities)")
    status: Literal["ok", "error"]
    id: Optional[str] = Field(description="the created record (not on a dry run)")
    errors: list[CellErrorOut]


class ImportReportOut(BaseModel):
    kind: Kind
    dry_run: bool
    ok: bool = Field(description="every record can be (or was) created")
    imported: int = Field(description="records created: all of them, or 0")
    would_import: int = Field(description="records that are fine")
    failed: int
    records: list[ImportRecordOut]


def _report(report: service.ImportReport) -> dict:
    return ImportReportOut(
        kind=report.kind, dry_run=report.dry_run, ok=report.ok,
        imported=len(report.records) if report.imported else 0,
        would_import=len(report.records) - len(report.failed), failed=len(report.failed),
        records=[ImportRecordOut(row=r.row, rows=r.rows, name=r.name, lines=r.lines, status="ok" if r.ok else "error",
                                 id=r.id, errors=[CellErrorOut(row=e.row, column=e.column, message=tr(e.message))
                                                  for e in r.errors])
                 for r in report.records],
    ).model_dump(mode="json")


def _body_text() -> str | None:
    """The CSV file: the raw body (text/csv) or the "csv" member of a JSON object; None for
    another media type."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("csv"), str):
            raise BadInput(_("Send the file as text/csv, or as JSON {\"csv\": \"...\"}."),
                           [FieldError("csv", _("must be a string holding the CSV file"))])
        return body["csv"]
    if request.mimetype not in CSV_TYPES:
        return None
    try:
        return request.get_data(cache=True).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(_("The file is not UTF-8 text: save it as \"CSV UTF-8\" and try again."),
                       [FieldError("csv", _("is not UTF-8 text"))]) from error


@bp.get("/export/<kind>.csv", responses={
    200: {"description": "The spreadsheet (UTF-8 with byte order mark, CRLF line ends)",
          "content": {"text/csv": {"schema": {"type": "string"}}}}, **PROBLEMS})
def export_csv(path: WsKindPath):
    """All opportunities (one row per product/service line), accounts or business contacts as CSV,
    with BCM's column names in the request's language (Accept-Language; English by default). A French
    file is as a French spreadsheet reads it: columns separated by `;`, decimal commas, dates DD/MM/YYYY.
    Cells that a spreadsheet would run as a formula start with an apostrophe."""
    m = member(path.ws)
    language = request_language()
    columns, rows = service.export_rows(session(), m.workspace_id, path.kind, language)
    response = current_app.response_class(service.write_csv(columns, rows, language), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = dt.date.today().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="{path.kind}-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/import/<kind>", responses={200: ImportReportOut, **PROBLEMS}, openapi_extensions={
    "requestBody": {"required": True, "description": "The CSV file (header row first), or JSON {\"csv\": \"...\"}",
                    "content": {"text/csv": {"schema": {"type": "string"}},
                                "application/json": {"schema": {
                                    "type": "object", "required": ["csv"], "additionalProperties": False,
                                    "properties": {"csv": {"type": "string"}}}}}}})
def import_csv(path: WsKindPath, query: ImportQuery):
    """Create the file's records, all or none. `dry_run=true` changes nothing and reports per record
    what would be created or, by row and column, what is wrong. A real import with a bad row answers
    422 with the same report in `report`, and imports nothing."""
    m = member(path.ws)
    text = _body_text()
    if text is None:
        return problem(415, _("Send the file as text/csv (or as JSON {\"csv\": \"...\"})."))
    if not text.strip():
        raise RuleViolation.on("csv", _("is empty: the first row must name the columns"))
    report = service.import_csv(session(), m, path.kind, text, dry_run=query.dry_run)
    data = _report(report)
    if report.imported:
        commit()
    if report.ok or query.dry_run:
        return current_app.response_class(json.dumps(data), mimetype="application/json")
    errors = [{"field": f"row {e.row}: {e.column}" if e.column else f"row {e.row}", "message": tr(e.message)}
              for e in report.errors()]
    first = errors[0]
    failed, total = len(report.failed), len(report.records)
    if total == 1:
        detail = _("Nothing was imported: the record has errors (first: %(field)s %(message)s).",
                   field=first["field"], message=first["message"])
    else:
        detail = ngettext("Nothing was imported: %(failed)s of %(total)s records has errors (first: %(field)s "
                          "%(message)s).",
                          "Nothing was imported: %(failed)s of %(total)s records have errors (first: %(field)s "
                          "%(message)s).", failed, failed=failed, total=total, field=first["field"],
                          message=first["message"])
    body = {"type": "https://dealpane.dev/problems/import-failed", "title": say("Unprocessable content"),
            "status": 422, "detail": tr(detail), "errors": errors, "report": data}
    return current_app.response_class(json.dumps(body), status=422, mimetype="application/problem+json")
