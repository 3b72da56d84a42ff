"""Communication history, the "Link to" search and the pane's context call."""
import sqlalchemy as sa
from flask import current_app, g
from flask_openapi3 import APIBlueprint, Tag

from graph_sync.linking import check_item_id, link_from_mailbox

from storage.errors import NotFound, RuleViolation
from storage.i18n import _
from storage.models import Account, Contact
from storage.services import history as service
from storage.services.opportunities import get_opportunity
from storage.services import pane_context
from storage.services.queries import SEARCH_TYPES, history_of, search
from storage.services.records import get_record

from . import schemas as s
from . import serializers
from .context import commit, current_user, graph_client, json_response, member, record_response, session
from .paths import WsLinkPath, WsPath, WsRecordPath

bp = APIBlueprint("history", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="history")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem, 422: s.Problem}


def _page(record_type: str, record_id: str, workspace_id: str, query: s.PageQuery):
    page = history_of(session(), workspace_id, record_type, record_id, query.cursor, query.limit)
    return json_response({"items": [serializers.history_item(h) for h in page.items], "next_cursor": page.next_cursor})


@bp.get("/opportunities/<id>/history", responses={200: s.HistoryList, **PROBLEMS})
def opportunity_history(path: WsRecordPath, query: s.PageQuery):
    """Every history item linked to the opportunity, newest first."""
    m = member(path.ws)
    opportunity = get_opportunity(session(), m.workspace_id, path.id)
    return _page("opportunity", opportunity.id, m.workspace_id, query)


@bp.get("/accounts/<id>/history", responses={200: s.HistoryList, **PROBLEMS})
def account_history(path: WsRecordPath, query: s.PageQuery):
    """The account's history, with its contacts' and its opportunities' items."""
    m = member(path.ws)
    account = get_record(session(), Account, m.workspace_id, path.id)
    return _page("account", account.id, m.workspace_id, query)


@bp.get("/contacts/<id>/history", responses={200: s.HistoryList, **PROBLEMS})
def contact_history(path: WsRecordPath, query: s.PageQuery):
    """The contact's history, with its opportunities' items."""
    m = member(path.ws)
    contact = get_record(session(), Contact, m.workspace_id, path.id)
    return _page("contact", contact.id, m.workspace_id, query)


@bp.post("/opportunities/<id>/history", responses={201: s.HistoryOut, **PROBLEMS})
def add_history(path: WsRecordPath, body: s.HistoryIn):
    """Add a business note, phone log, task or file link to the opportunity's history."""
    m = member(path.ws)
    opportunity = get_opportunity(session(), m.workspace_id, path.id)
    data = body.model_dump(exclude_unset=True)
    item = service.add_manual_item(session(), opportunity, current_user(), data)
    result = serializers.history_item(item)
    commit()
    return record_response(result, 201)


@bp.post("/opportunities/<id>/links", responses={201: s.HistoryOut, 200: s.HistoryOut, 403: s.Problem, 503: s.Problem,
                                                 **PROBLEMS})
def link_mail_item(path: WsRecordPath, body: s.LinkItemIn):
    """Link the e-mail or appointment open in Outlook: fetched from Graph by its immutable id, one history
    item per message/meeting. Linking the same item again answers 200 with the existing item."""
    check_item_id(body.item_id, body.item_id_format)  # before anything reaches Graph (or Entra)
    m = member(path.ws)
    opportunity = get_opportunity(session(), m.workspace_id, path.id)
    user = current_user()
    client = graph_client(user)
    item, linked = link_from_mailbox(session(), opportunity, client, item_id=body.item_id,
                                     item_id_format=body.item_id_format, item_type=body.item_type,
                                     mailbox_address=user.email)
    result = serializers.history_item(item)
    commit()
    return record_response(result, 201 if linked else 200)


@bp.delete("/opportunities/<id>/links/<history_id>", responses={204: None, **PROBLEMS})
def unlink(path: WsLinkPath):
    """Take an item out of the opportunity's history."""
    m = member(path.ws)
    opportunity = get_opportunity(session(), m.workspace_id, path.id)
    service.unlink(session(), opportunity, path.history_id)
    commit()
    return "", 204


@bp.get("/search", responses={200: s.SearchOut, **PROBLEMS})
def search_records(path: WsPath, query: s.SearchQuery):
    """Records for the "Link to" dialog: prefix and case-insensitive on names, e-mail addresses and domains."""
    m = member(path.ws)
    types = [t.strip() for t in query.types.split(",") if t.strip()]
    unknown = [t for t in types if t not in SEARCH_TYPES]
    if unknown or not types:
        raise RuleViolation.on("types", _("must be a comma-separated list of %(expected)s",
                                          expected=", ".join(SEARCH_TYPES)))
    return json_response({"items": search(session(), m.workspace_id, query.q, types, query.limit)})


def _addresses(*values: str | None) -> list[str]:
    found = []
    for value in values:
        for part in (value or "").replace(";", ",").split(","):
            part = part.strip()
            if "<" in part and part.endswith(">"):
                part = part[part.rindex("<") + 1:-1]
            if part:
                found.append(part)
    return found


def _pane_context(engine, workspace_id: str, ask: dict) -> pane_context.PaneContext:
    """The context statement on a pooled connection. Its pool does not ping connections before use
    (a round trip per call); a connection the database dropped (a restart, a failover) fails the
    statement instead, SQLAlchemy then drops the whole pool, and the read is simply run once more."""
    try:
        with engine.connect() as conn:
            return pane_context.pane_context(conn, workspace_id, **ask)
    except sa.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    with engine.connect() as conn:
        return pane_context.pane_context(conn, workspace_id, **ask)


@bp.get("/context", responses={200: s.ContextOut, **PROBLEMS})
def item_context(path: WsPath, query: s.ContextQuery):
    """What the pane shows for the open e-mail or appointment, answered from the database alone.

    The hot path of the pane: one SQL statement on one connection (storage.services.pane_context),
    serialised straight to the documented ContextOut shape (a test checks it against the schema)."""
    if query.item_id:  # compared with stored ids only, but held to the same forms as a link's
        check_item_id(query.item_id, query.item_id_format)
    services = current_app.extensions["dealpane"]
    identity = g.identity
    ask = dict(internet_message_id=query.internet_message_id, item_id=query.item_id,
               addresses=_addresses(query.from_, query.to, query.cc), caller_email=identity.email,
               tenant_id=identity.tenant_id, object_id=identity.object_id)
    result = _pane_context(services.single_statement_engine, path.ws, ask)
    if result.caller is None:  # the first call of a new user: the usual path creates them (and answers 404)
        member(path.ws)
        result = _pane_context(services.single_statement_engine, path.ws, ask)
        if result.caller is None:
            raise NotFound(_("No such workspace."))
    return json_response({
        "linked_opportunities": [serializers.opportunity_row_summary(o) for o in result.linked_opportunities],
        "linked_items": result.linked_items,
        "matched_contacts": [{"id": c.id, "display_name": c.display_name, "email_addresses": c.email_addresses,
                              "account_id": c.account_id, "job_title": c.job_title} for c in result.matched_contacts],
        "matched_accounts": [{"id": a.id, "name": a.name, "email_domains": a.email_domains}
                             for a in result.matched_accounts],
        "open_opportunities": [serializers.opportunity_row_summary(o) for o in result.open_opportunities],
        "currency": result.caller.currency,
    })
