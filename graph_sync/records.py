"""Graph JSON (messages, events) to the fields of a history item: one mapping for linking and sync."""
from __future__ import annotations

import html
import re
from typing import Any

from storage.services.history import summarise

from .port import email_address, graph_datetime

# Stamped on mail sent for an opportunity (from Dealpane, or by the pane in compose) so the sync files it.
OPPORTUNITY_HEADER = "x-dealpane-opportunity"
# Linear on any input: a tag ends at the next ">" and never spans another "<" (with "<[^>]+>", 100 KB of
# "<" took seconds: each "<" scanned on to the end). Script and style blocks are cut by _drop_blocks.
_TAGS = re.compile(r"<[^<>]*>")


def _addresses(recipients: list[dict] | None) -> list[str]:
    return [a for a in (email_address(r) for r in recipients or []) if a]


def _summary(text: str | None) -> str:
    return summarise(text or "")


def body_text(body: dict | None) -> str | None:
    """Plain text of a Graph itemBody (HTML tags dropped, entities decoded)."""
    if not body or not body.get("content"):
        return None
    content = body["content"]
    if (body.get("contentType") or "").lower() == "html":
        content = html.unescape(_TAGS.sub(" ", _drop_blocks(content)))
    return " ".join(content.split()) or None


def _drop_blocks(content: str) -> str:
    """`content` without its <script>…</script> and <style>…</style> blocks, in one pass (str.find,
    no backtracking): anyone can send mail, so a body may be built to be slow."""
    lowered, out, at = content.lower(), [], 0

    def opening(name: str, start: int) -> int:  # "<script" ending the name (not "<scripted"), or -1
        while True:
            where = lowered.find(f"<{name}", start)
            after = where + len(name) + 1
            if where < 0 or after >= len(lowered) or not (lowered[after].isalnum() or lowered[after] == "_"):
                return where
            start = after

    following = {"script": opening("script", 0), "style": opening("style", 0)}  # each found once ahead
    while True:
        for name, where in following.items():
            if 0 <= where < at:
                following[name] = opening(name, at)
        starts = [where for where in following.values() if where >= 0]
        if not starts:
            out.append(content[at:])
            return " ".join(out)
        start = min(starts)
        name = "script" if following["script"] == start else "style"
        end = lowered.find(f"</{name}", start)
        out.append(content[at:start])
        if end < 0:  # never closed: the rest is the block
            return " ".join(out)
        close = lowered.find(">", end)
        at = len(content) if close < 0 else close + 1


def message_fields(message: dict[str, Any], *, mailbox_address: str | None, keep_body: bool,
                   keys: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a history item keeps of a message. `keys`: its message_keys(), when already made."""
    keys = keys or message_keys(message)
    sender = keys["from_address"]
    occurred = graph_datetime(message.get("sentDateTime") if sender == mailbox_address else None) \
        or graph_datetime(message.get("receivedDateTime")) or graph_datetime(message.get("sentDateTime"))
    return {
        "kind": "email",
        "subject": (message.get("subject") or "")[:500],
        "summary": _summary(message.get("bodyPreview")),
        "body": body_text(message.get("body")) if keep_body else None,
        "occurred_at": occurred,
        "direction": "outgoing" if mailbox_address and sender == mailbox_address else "incoming",
        "graph_id": message.get("id"),
        "internet_message_id": message.get("internetMessageId"),
        "conversation_id": message.get("conversationId"),
        "web_link": message.get("webLink"),
        "change_key": message.get("changeKey"),
        "from_address": sender,
        "to_addresses": keys["to_addresses"],
        "cc_addresses": keys["cc_addresses"],
        "sent_at": graph_datetime(message.get("sentDateTime")),
        # [] known to have none (hasAttachments false: no attachment but inline ones); None not known
        # yet: listed from Graph when first asked for (addin/api/attachments.py), then kept
        "attachments": [] if message.get("hasAttachments") is False else None,
    }


def attachment_fields(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a history item keeps of an e-mail's attachments (GraphClient.list_attachments records):
    names, types and sizes, never the content."""
    return [{"id": r["id"], "name": r["name"][:300], "size": r["size"], "content_type": r["content_type"],
             "is_inline": r["is_inline"], "kind": r["kind"]} for r in records]


def event_fields(event: dict[str, Any], *, mailbox_address: str | None, keep_body: bool,
                 keys: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a history item keeps of an event. `keys`: its event_keys(), when already made."""
    keys = keys or event_keys(event)
    organizer = keys["from_address"]
    start, end = graph_datetime(event.get("start")), graph_datetime(event.get("end"))
    attendees = keys["to_addresses"]
    location = (event.get("location") or {}).get("displayName") or None
    minutes = int((end - start).total_seconds() // 60) if start and end else None
    return {
        "kind": "appointment",
        "subject": (event.get("subject") or "")[:500],
        "summary": _summary(event.get("bodyPreview")),
        "body": body_text(event.get("body")) if keep_body else None,
        "occurred_at": start,
        "starts_at": start,
        "ends_at": end,
        "duration_minutes": minutes,
        "location": location[:500] if location else None,
        "graph_id": event.get("id"),
        "ical_uid": event.get("iCalUId"),
        "web_link": event.get("webLink"),
        "change_key": event.get("changeKey"),
        "from_address": organizer,
        "to_addresses": attendees,
        "cc_addresses": [],
        "direction": "outgoing" if mailbox_address and organizer == mailbox_address else "incoming",
        "series_id": keys["series_id"],
        "cancelled": keys["cancelled"],
    }


def message_keys(message: dict[str, Any]) -> dict[str, Any]:
    """What the linker decides on (keys and people), without the rest of message_fields: most of a
    mailbox is never stored, so the full mapping is made only for the items that are."""
    return {
        "graph_id": message.get("id"), "internet_message_id": message.get("internetMessageId"),
        "conversation_id": message.get("conversationId"),
        "from_address": email_address(message.get("from")) or email_address(message.get("sender")),
        "to_addresses": _addresses(message.get("toRecipients")), "cc_addresses": _addresses(message.get("ccRecipients")),
    }


def event_keys(event: dict[str, Any]) -> dict[str, Any]:
    """As message_keys, for an event."""
    return {"graph_id": event.get("id"), "ical_uid": event.get("iCalUId"),
            "from_address": email_address(event.get("organizer")), "to_addresses": _addresses(event.get("attendees")),
            "cc_addresses": [], "type": event.get("type"), "series_id": event.get("seriesMasterId"),
            "starts_at": graph_datetime(event.get("start")), "cancelled": bool(event.get("isCancelled"))}


# Which Graph properties each stored field comes from. Message delta may return an item with only
# id, isRead, parentFolderId and changeKey after a read/unread change, even with $select
# (https://github.com/microsoftgraph/microsoft-graph-docs/issues/7776): a property that is absent is
# unknown, not empty, so a stored field is refreshed only when one of its sources is in the item.
MESSAGE_SOURCES = {
    "subject": ("subject",), "summary": ("bodyPreview",), "body": ("body",),
    "occurred_at": ("receivedDateTime", "sentDateTime"), "direction": ("from", "sender"), "graph_id": ("id",),
    "internet_message_id": ("internetMessageId",), "conversation_id": ("conversationId",), "web_link": ("webLink",),
    "change_key": ("changeKey",), "from_address": ("from", "sender"), "to_addresses": ("toRecipients",),
    "cc_addresses": ("ccRecipients",), "sent_at": ("sentDateTime",), "attachments": ("hasAttachments",),
}
EVENT_SOURCES = {
    "subject": ("subject",), "summary": ("bodyPreview",), "body": ("body",), "occurred_at": ("start",),
    "starts_at": ("start",), "ends_at": ("end",), "duration_minutes": ("start", "end"), "location": ("location",),
    "graph_id": ("id",), "ical_uid": ("iCalUId",), "web_link": ("webLink",), "change_key": ("changeKey",),
    "from_address": ("organizer",), "direction": ("organizer",), "to_addresses": ("attendees",),
    "cc_addresses": ("attendees",), "series_id": ("seriesMasterId",), "cancelled": ("isCancelled",),
}


def known_fields(kind: str, raw: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` without those whose Graph properties are absent from `raw` (a partial delta item)."""
    sources = MESSAGE_SOURCES if kind == "email" else EVENT_SOURCES
    out = {}
    for name, value in fields.items():
        wanted = sources.get(name)
        if wanted is None or any(source in raw for source in wanted):
            out[name] = value
    return out
