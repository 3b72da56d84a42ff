"""Linking an e-mail or appointment open in Outlook to an opportunity ("Link to record")."""
from __future__ import annotations

import re

from sqlalchemy import orm as so

from storage.errors import RuleViolation
from storage.i18n import _
from storage.models import HistoryItem, Opportunity
from storage.services.mail import link_item, upsert_mail_item

from .port import GraphClient, GraphError, GraphNotFound
from .records import attachment_fields, event_fields, message_fields

SOURCE_ID_TYPES = {"ews": "ewsId", "rest": "restId"}

# The id formats the pane can hand us, as Microsoft documents them, and nothing else: an id ends up in a
# Graph URL path (/me/messages/{id}, /users/{mailbox}/messages/{id}), where ".." (which the HTTP client
# resolves: /me/messages/.. is /me), "/", "?", "#", "%" or a space would name another resource.
# * ews: Office.js's item.itemId (every Outlook but mobile), standard base64 with + / and = padding;
#   "the maximum size of this attribute is 512 bytes after base64 encoding" (MS-OXWSCORE 2.2.4.25
#   t:ItemIdType, https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxwscore/026b0cf7-53f9-490e-939a-e3738bfdb9d9;
#   the EWS team's advice is a 512-character column:
#   https://learn.microsoft.com/archive/blogs/exchangedev/ews-item-identifier-and-your-database).
# * rest: Outlook mobile's itemId, the same id in the URL-safe alphabet (- for +, _ for /), which is what
#   Office.context.mailbox.convertToRestId makes of an EWS id
#   (https://learn.microsoft.com/javascript/api/outlook/office.mailbox#outlook-office-mailbox-converttorestid-member(1)).
# * immutable: Graph's restImmutableEntryId (https://learn.microsoft.com/graph/outlook-immutable-id), the
#   URL-safe alphabet too; translateExchangeIds answers ids of these formats
#   (https://learn.microsoft.com/graph/api/user-translateexchangeids).
MAX_ITEM_ID_LENGTH = 512
ITEM_ID_PATTERNS = {
    "ews": re.compile(r"[A-Za-z0-9+/]+={0,2}"),
    "rest": re.compile(r"[A-Za-z0-9_-]+={0,2}"),
    "immutable": re.compile(r"[A-Za-z0-9_-]+={0,2}"),
}
ANY_ITEM_ID = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")  # the context call's id when it names no format


def check_item_id(item_id: str, item_id_format: str | None, field: str = "item_id") -> str:
    """The id when it is one of the documented forms (alphabet and length), else RuleViolation (422)."""
    pattern = ITEM_ID_PATTERNS.get(item_id_format or "", ANY_ITEM_ID)
    if not isinstance(item_id, str) or not 0 < len(item_id) <= MAX_ITEM_ID_LENGTH \
            or not pattern.fullmatch(item_id):
        if item_id_format:
            raise RuleViolation.on(field, _("is not an Outlook item id in %(format)s format (base64 or base64url, "
                                            "at most %(max_length)s characters)", format=item_id_format,
                                            max_length=MAX_ITEM_ID_LENGTH))
        raise RuleViolation.on(field, _("is not an Outlook item id (base64 or base64url, at most %(max_length)s "
                                        "characters)", max_length=MAX_ITEM_ID_LENGTH))
    return item_id


def immutable_id(client: GraphClient, item_id: str, item_id_format: str) -> str:
    """Office.js hands the pane an EWS id; Graph keeps immutable ids. Translate when needed. Both the id
    given and the one Graph translates it to are checked before either goes into a URL path."""
    check_item_id(item_id, item_id_format)
    if item_id_format == "immutable":
        return item_id
    translated = client.translate_ids([item_id], SOURCE_ID_TYPES[item_id_format]).get(item_id)
    if not translated:
        raise RuleViolation.on("item_id", _("is not an item of your mailbox"))
    return check_item_id(translated, "immutable")


def link_from_mailbox(session: so.Session, opportunity: Opportunity, client: GraphClient, *, item_id: str,
                      item_id_format: str, item_type: str, mailbox_address: str | None,
                      keep_body: bool = False) -> tuple[HistoryItem, bool]:
    """Fetch the item from Graph by its immutable id and put it in the opportunity's history.

    The item is looked up in the client's own mailbox only: /me/... (delegated) or
    /users/{mailbox}/... (application), the id checked by check_item_id so that it cannot leave that
    path, and Graph resolves an id only inside the mailbox the path names: an id of another mailbox is
    refused with ErrorInvalidMailboxItemId, "Item ... doesn't belong to the targeted mailbox"
    (https://github.com/AzureAD/microsoft-authentication-library-for-js/issues/7264,
    https://github.com/OfficeDev/office-js/issues/1152).

    One history item per e-mail (internetMessageId) or meeting (iCalUId) per workspace;
    linking twice returns the same item. Returns (item, newly linked).
    """
    graph_id = immutable_id(client, item_id, item_id_format)
    try:
        raw = client.get_message(graph_id) if item_type == "message" else client.get_event(graph_id)
    except GraphNotFound:
        raise RuleViolation.on("item_id", _("is not an item of your mailbox (moved or deleted?)")) from None
    mapper = message_fields if item_type == "message" else event_fields
    fields = mapper(raw, mailbox_address=mailbox_address, keep_body=keep_body)
    if item_type == "message" and raw.get("hasAttachments"):
        try:  # one more call for one item: the pane's link shows the attachments at once
            fields["attachments"] = attachment_fields(client.list_attachments(graph_id))
        except GraphError:  # not fatal to the link: they are listed when first asked for (addin/api/attachments.py)
            fields["attachments"] = None
    item, _created = upsert_mail_item(session, opportunity.workspace_id, fields)
    if item_id_format != "immutable":
        item.client_item_id = item_id[:500]
    _link, linked = link_item(item, opportunity_id=opportunity.id, origin="manual", reason="linked from Outlook")
    session.flush()
    return item, linked
