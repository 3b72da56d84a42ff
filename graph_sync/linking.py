"""Linking an e-mail or appointment open in Outlook to an opportunity ("Link to record")."""
from __future__ import annotations

from sqlalchemy import orm as so

from storage.errors import RuleViolation
from storage.models import HistoryItem, Opportunity
from storage.services.mail import link_item, upsert_mail_item

from .port import GraphClient, GraphNotFound
from .records import event_fields, message_fields

SOURCE_ID_TYPES = {"ews": "ewsId", "rest": "restId"}


def immutable_id(client: GraphClient, item_id: str, item_id_format: str) -> str:
    """Office.js hands the pane an EWS id; Graph keeps immutable ids. Translate when needed."""
    if item_id_format == "immutable":
        return item_id
    translated = client.translate_ids([item_id], SOURCE_ID_TYPES[item_id_format]).get(item_id)
    if not translated:
        raise RuleViolation.on("item_id", "is not an item of your mailbox")
    return translated


def link_from_mailbox(session: so.Session, opportunity: Opportunity, client: GraphClient, *, item_id: str,
                      item_id_format: str, item_type: str, mailbox_address: str | None,
                      keep_body: bool = False) -> tuple[HistoryItem, bool]:
    """Fetch the item from Graph by its immutable id and put it in the opportunity's history.

    One history item per e-mail (internetMessageId) or meeting (iCalUId) per workspace;
    linking twice returns the same item. Returns (item, newly linked).
    """
    graph_id = immutable_id(client, item_id, item_id_format)
    try:
        raw = client.get_message(graph_id) if item_type == "message" else client.get_event(graph_id)
    except GraphNotFound:
        raise RuleViolation.on("item_id", "is not an item of your mailbox (moved or deleted?)") from None
    mapper = message_fields if item_type == "message" else event_fields
    fields = mapper(raw, mailbox_address=mailbox_address, keep_body=keep_body)
    item, _ = upsert_mail_item(session, opportunity.workspace_id, fields)
    if item_id_format != "immutable":
        item.client_item_id = item_id[:500]
    _, linked = link_item(item, opportunity_id=opportunity.id, origin="manual", reason="linked from Outlook")
    session.flush()
    return item, linked
