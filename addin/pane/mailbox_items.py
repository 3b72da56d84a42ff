"""The demo mailbox's messages and events as Office.js would show them to the pane (for /pane/preview).

Read through the same GraphClient port as everything else (so the demo's fake Graph answers),
with each item's immutable id translated to the EWS id Office.js hands a pane on the desktop.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from graph_sync.port import DeltaPage, GraphClient
from storage.demo import DEMO_OWNER
from storage.db import UnitOfWork
from storage.services.access import get_or_create_dev_user

MAIL_FOLDERS = ("inbox", "sentitems")
EVENT_WINDOW = (dt.timedelta(days=-90), dt.timedelta(days=180))
MAX_PAGES = 50  # a demo mailbox is small; never loop forever on a broken server
MAX_ITEMS = 200


def _all_pages(first: DeltaPage, follow) -> list[dict[str, Any]]:
    items, page, pages = list(first.items), first, 1
    while page.next_link and pages < MAX_PAGES and len(items) < MAX_ITEMS:
        page = follow(page.next_link)
        items.extend(page.items)
        pages += 1
    return items


def _person(recipient: dict | None) -> dict[str, str] | None:
    address = (recipient or {}).get("emailAddress") or {}
    if not address.get("address"):
        return None
    return {"displayName": address.get("name") or address["address"], "emailAddress": address["address"]}


def _people(recipients: list[dict] | None) -> list[dict[str, str]]:
    return [p for p in (_person(r) for r in recipients or []) if p]


def _utc(value: Any) -> str | None:
    """Graph's {"dateTime", "timeZone": "UTC"} (we ask for UTC) as ISO 8601 with Z."""
    if isinstance(value, dict) and isinstance(value.get("dateTime"), str):
        text = value["dateTime"].split(".")[0]
        return text + "Z" if (value.get("timeZone") or "UTC").upper() == "UTC" else text
    return value if isinstance(value, str) else None


def office_message(message: dict[str, Any], ews_id: str | None, folder: str) -> dict[str, Any]:
    return {
        "itemType": "message",
        "itemId": ews_id,
        "internetMessageId": message.get("internetMessageId"),
        "conversationId": message.get("conversationId"),
        "subject": message.get("subject") or "",
        "from": _person(message.get("from")) or _person(message.get("sender")),
        "to": _people(message.get("toRecipients")),
        "cc": _people(message.get("ccRecipients")),
        "dateTimeCreated": message.get("receivedDateTime") or message.get("sentDateTime"),
        "folder": folder,
    }


def office_event(event: dict[str, Any], ews_id: str | None) -> dict[str, Any]:
    attendees = event.get("attendees") or []
    return {
        "itemType": "appointment",
        "itemId": ews_id,
        "subject": event.get("subject") or "",
        "start": _utc(event.get("start")),
        "end": _utc(event.get("end")),
        "location": ((event.get("location") or {}).get("displayName")) or "",
        "organizer": _person(event.get("organizer")),
        "requiredAttendees": _people([a for a in attendees if (a.get("type") or "required") == "required"]),
        "optionalAttendees": _people([a for a in attendees if a.get("type") == "optional"]),
        "folder": "calendar",
    }


def read_mailbox(client: GraphClient, now: dt.datetime) -> tuple[list[dict], list[dict]]:
    """(messages with their folder, events) from the delta endpoints, every page followed."""
    messages: list[dict] = []
    for folder in MAIL_FOLDERS:
        first = client.delta_messages(folder)
        for message in _all_pages(first, lambda link, f=folder: client.delta_messages(f, cursor=link)):
            if not message.get("isDraft") and "@removed" not in message:
                messages.append({**message, "_folder": folder})
    start, end = now + EVENT_WINDOW[0], now + EVENT_WINDOW[1]
    first = client.delta_events(start, end)
    events = [e for e in _all_pages(first, lambda link: client.delta_events(start, end, cursor=link))
              if "@removed" not in e]
    return messages, events


def demo_mailbox_items(services, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.timezone.utc)
    with UnitOfWork(services.session_factory) as unit:
        owner = get_or_create_dev_user(unit.session, DEMO_OWNER)
        if unit.session.new:
            unit.commit()
        user = {"emailAddress": owner.email, "displayName": owner.display_name or owner.email}
        client = services.graph.client_for(owner)
    messages, events = read_mailbox(client, now)
    immutable_ids = [item["id"] for item in messages + events if item.get("id")]
    ews_ids = client.translate_ids(immutable_ids, "restImmutableEntryId", "ewsId") if immutable_ids else {}
    office_messages = [office_message(m, ews_ids.get(m.get("id")), m["_folder"]) for m in messages]
    office_messages.sort(key=lambda m: m.get("dateTimeCreated") or "", reverse=True)
    office_events = [office_event(e, ews_ids.get(e.get("id"))) for e in events]
    office_events.sort(key=lambda e: e.get("start") or "")
    return {"user": user, "messages": office_messages[:MAX_ITEMS], "events": office_events[:MAX_ITEMS]}
