"""What Graph always puts on an item, added only where the mailbox file or request body lacks it.

Keys come out in the order Graph serialises them, so served JSON looks like the real thing.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
import uuid
from typing import Any, Callable
from urllib.parse import quote

from . import ids

NEVER = "0001-01-01T00:00:00Z"
WELL_KNOWN_FOLDERS = [("inbox", "Inbox"), ("drafts", "Drafts"), ("sentitems", "Sent Items"),
                      ("deleteditems", "Deleted Items"), ("junkemail", "Junk Email"), ("archive", "Archive"),
                      ("outbox", "Outbox")]
DEFAULT_USER = {"id": "6e1c4a52-8d3f-4b0e-9a7c-2f5d8b1e0c47", "displayName": "Diego Siciliani",
                "mail": "demo@contoso.com", "userPrincipalName": "demo@contoso.com"}


def complete_user(user: dict | None) -> dict:
    """The mailbox owner; a file naming only an address gets an id and names derived from it."""
    if not user:
        return dict(DEFAULT_USER)
    address = user.get("mail") or user.get("userPrincipalName") or DEFAULT_USER["mail"]
    derived = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{address.lower()}")), "displayName": address,
               "mail": address, "userPrincipalName": address}
    return {**derived, **user}


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(seed: str, size: int) -> bytes:
    return hashlib.sha256(seed.encode("utf-8")).digest()[:size]


def change_key(seed: str | None = None) -> str:
    raw = _digest(seed, 12) if seed is not None else uuid.uuid4().bytes[:12]
    return "CQAAABYAAAA" + base64.b64encode(raw).decode("ascii")


def etag(key: str) -> str:
    return f'W/"{key}"'


def body_preview(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("content"), str):
        return ""
    text = body["content"]
    if str(body.get("contentType", "")).lower() == "html":
        text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())[:255]


def recipient(name: str | None, address: str | None) -> dict:
    return {"emailAddress": {"name": name or address or "", "address": address or ""}}


def user_recipient(user: dict) -> dict:
    return recipient(user.get("displayName"), user.get("mail") or user.get("userPrincipalName"))


def internet_message_id(seed: str | None = None) -> str:
    raw = _digest(seed, 10) if seed is not None else uuid.uuid4().bytes[:10]
    host = raw[:4].hex().upper()
    return f"<{raw.hex().upper()}@DM6PR{host}.namprd11.prod.outlook.com>"


def conversation_id(seed: str | None = None) -> str:
    raw = _digest(seed, 16) if seed is not None else uuid.uuid4().bytes
    return "AAQkAGI2" + base64.urlsafe_b64encode(raw).decode("ascii")


def ical_uid(seed: str | None = None) -> str:
    raw = _digest(seed, 16) if seed is not None else uuid.uuid4().bytes
    return "040000008200E00074C5B7101A82E00800000000" + "0" * 16 + "10000000" + raw.hex().upper()


def normalize(item: dict) -> dict:
    """Graph stores bodies with its own enum spelling: ``HTML`` in a request comes back as ``html``."""
    for key in ("body", "uniqueBody"):
        body = item.get(key)
        if isinstance(body, dict) and isinstance(body.get("contentType"), str):
            item[key] = {**body, "contentType": body["contentType"].lower()}
    return item


def _ordered(given: dict, defaults: list[tuple[str, Callable[[], Any]]]) -> dict:
    """Graph's key order, the given values winning; keys the fake does not know follow, unchanged."""
    out: dict = {}
    given = normalize(dict(given))
    if "@odata.etag" in given:
        out["@odata.etag"] = given["@odata.etag"]
    for key, make in defaults:
        out[key] = given[key] if key in given else make()
    for key, value in given.items():
        out.setdefault(key, value)
    return out


def complete_message(msg: dict, *, user: dict, folder_id: str, is_outgoing: bool, seed: str | None) -> dict:
    sub = (lambda part: None if seed is None else f"{seed}/{part}")
    item_id = msg.get("id") or ids.new_id(sub("id"))
    received = msg.get("receivedDateTime") or msg.get("sentDateTime") or iso(now())
    created = msg.get("createdDateTime") or received
    sender = msg.get("from") or msg.get("sender") or user_recipient(user)
    key = msg.get("changeKey") or change_key(sub("changeKey"))
    weblink = ("https://outlook.office365.com/owa/?ItemID=" + quote(ids.ews_id(item_id), safe="")
               + "&exvsurl=1&viewmodel=ReadMessageItem")
    out = _ordered(msg, [
        ("id", lambda: item_id),
        ("createdDateTime", lambda: created),
        ("lastModifiedDateTime", lambda: created),
        ("changeKey", lambda: key),
        ("categories", list),
        ("receivedDateTime", lambda: received),
        ("sentDateTime", lambda: received),
        ("hasAttachments", lambda: False),
        ("internetMessageId", lambda: internet_message_id(sub("internetMessageId"))),
        ("subject", lambda: ""),
        ("bodyPreview", lambda: body_preview(msg.get("body"))),
        ("importance", lambda: "normal"),
        ("parentFolderId", lambda: folder_id),
        ("conversationId", lambda: conversation_id(sub("conversationId"))),
        ("conversationIndex", lambda: base64.b64encode(_digest(f"{item_id}/index", 22)).decode("ascii")),
        ("isDeliveryReceiptRequested", lambda: False),
        ("isReadReceiptRequested", lambda: False),
        ("isRead", lambda: is_outgoing),
        ("isDraft", lambda: False),
        ("webLink", lambda: weblink),
        ("inferenceClassification", lambda: "focused"),
        ("body", lambda: {"contentType": "text", "content": ""}),
        ("sender", lambda: sender),
        ("from", lambda: sender),
        ("toRecipients", list),
        ("ccRecipients", list),
        ("bccRecipients", list),
        ("replyTo", list),
        ("flag", lambda: {"flagStatus": "notFlagged"}),
    ])
    out["parentFolderId"] = folder_id
    out.setdefault("@odata.etag", etag(out["changeKey"]))
    return out


def _default_time(hours: int) -> dict:
    start = now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=hours)
    return {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _location(value: Any) -> dict:
    base = {"displayName": "", "locationType": "default", "uniqueIdType": "unknown", "address": {},
            "coordinates": {}}
    return {**base, **value} if isinstance(value, dict) else base


def complete_event(event: dict, *, user: dict, seed: str | None) -> dict:
    sub = (lambda part: None if seed is None else f"{seed}/{part}")
    item_id = event.get("id") or ids.new_id(sub("id"))
    created = event.get("createdDateTime") or iso(now())
    organizer = event.get("organizer") or user_recipient(user)
    own_address = (user.get("mail") or "").lower()
    is_organizer = organizer.get("emailAddress", {}).get("address", "").lower() == own_address
    start = event.get("start") or _default_time(1)
    end = event.get("end") or _default_time(2)
    location = _location(event.get("location"))
    attendees = [{"type": "required", "status": {"response": "none", "time": NEVER}, **a}
                 for a in event.get("attendees") or []]
    key = event.get("changeKey") or change_key(sub("changeKey"))
    weblink = ("https://outlook.office365.com/owa/?itemid=" + quote(ids.ews_id(item_id), safe="")
               + "&exvsurl=1&path=/calendar/item")
    out = _ordered(event, [
        ("id", lambda: item_id),
        ("createdDateTime", lambda: created),
        ("lastModifiedDateTime", lambda: created),
        ("changeKey", lambda: key),
        ("categories", list),
        ("transactionId", lambda: None),
        ("originalStartTimeZone", lambda: start.get("timeZone", "UTC")),
        ("originalEndTimeZone", lambda: end.get("timeZone", "UTC")),
        ("iCalUId", lambda: ical_uid(sub("iCalUId"))),
        ("reminderMinutesBeforeStart", lambda: 15),
        ("isReminderOn", lambda: True),
        ("hasAttachments", lambda: False),
        ("subject", lambda: ""),
        ("bodyPreview", lambda: body_preview(event.get("body"))),
        ("importance", lambda: "normal"),
        ("sensitivity", lambda: "normal"),
        ("isAllDay", lambda: False),
        ("isCancelled", lambda: False),
        ("isOrganizer", lambda: is_organizer),
        ("responseRequested", lambda: True),
        ("seriesMasterId", lambda: None),
        ("showAs", lambda: "busy"),
        ("type", lambda: "singleInstance"),
        ("webLink", lambda: weblink),
        ("onlineMeetingUrl", lambda: None),
        ("isOnlineMeeting", lambda: False),
        ("onlineMeetingProvider", lambda: "unknown"),
        ("allowNewTimeProposals", lambda: True),
        ("isDraft", lambda: False),
        ("hideAttendees", lambda: False),
        ("responseStatus", lambda: {"response": "organizer" if is_organizer else "notResponded", "time": NEVER}),
        ("body", lambda: {"contentType": "html", "content": ""}),
        ("start", lambda: start),
        ("end", lambda: end),
        ("location", lambda: location),
        ("locations", lambda: [location] if location["displayName"] else []),
        ("recurrence", lambda: None),
        ("attendees", lambda: attendees),
        ("organizer", lambda: organizer),
        ("onlineMeeting", lambda: None),
    ])
    out["attendees"] = attendees
    out["location"] = location
    out.setdefault("@odata.etag", etag(out["changeKey"]))
    return out


def linked_resource(value: dict) -> dict:
    return {"id": value.get("id") or str(uuid.uuid4()), **{k: v for k, v in value.items() if k != "id"}}


def complete_task(task: dict, *, seed: str | None) -> dict:
    sub = (lambda part: None if seed is None else f"{seed}/{part}")
    created = task.get("createdDateTime") or iso(now())
    out = _ordered(task, [
        ("importance", lambda: "normal"),
        ("isReminderOn", lambda: "reminderDateTime" in task),
        ("status", lambda: "notStarted"),
        ("title", lambda: ""),
        ("createdDateTime", lambda: created),
        ("lastModifiedDateTime", lambda: created),
        ("hasAttachments", lambda: False),
        ("categories", list),
        ("id", lambda: ids.new_id(sub("id"), prefix="AAkALgAA")),
        ("body", lambda: {"content": "", "contentType": "text"}),
    ])
    if "linkedResources" in task:
        out["linkedResources"] = [linked_resource(r) for r in task["linkedResources"] or []]
    out.setdefault("@odata.etag", etag(change_key(sub("etag"))))
    return out


def complete_list(todo_list: dict, *, seed: str | None) -> dict:
    out = _ordered(todo_list, [
        ("displayName", lambda: "Tasks"),
        ("isOwner", lambda: True),
        ("isShared", lambda: False),
        ("wellknownListName", lambda: "none"),
        ("id", lambda: ids.new_id(None if seed is None else f"{seed}/id", prefix="AAMkADIy")),
    ])
    out.setdefault("@odata.etag", etag(change_key(None if seed is None else f"{seed}/etag")))
    return out
