"""The slice of Graph's v1.0 schema the fake serves and accepts, and the OData options it parses.

Each table maps a property to None (a primitive, an enum or a value the fake passes through
untouched) or to the name of a complex type (``"[name]"`` for a collection). A test checks every
name here against Graph's CSDL, so what the fake accepts and returns stays inside real Graph.
"""
from __future__ import annotations

import re
from typing import Iterable

from .errors import GraphError

COMPLEX: dict[str, dict[str, str | None]] = {
    "recipient": {"emailAddress": "emailAddress"},
    "emailAddress": {"name": None, "address": None},
    "itemBody": {"contentType": None, "content": None},
    "dateTimeTimeZone": {"dateTime": None, "timeZone": None},
    "internetMessageHeader": {"name": None, "value": None},
    "followupFlag": {"completedDateTime": "dateTimeTimeZone", "dueDateTime": "dateTimeTimeZone",
                     "flagStatus": None, "startDateTime": "dateTimeTimeZone"},
    "responseStatus": {"response": None, "time": None},
    "attendee": {"emailAddress": "emailAddress", "type": None, "status": "responseStatus", "proposedNewTime": None},
    "physicalAddress": {"city": None, "countryOrRegion": None, "postalCode": None, "state": None, "street": None},
    "outlookGeoCoordinates": {"accuracy": None, "altitude": None, "altitudeAccuracy": None, "latitude": None,
                              "longitude": None},
    "location": {"address": "physicalAddress", "coordinates": "outlookGeoCoordinates", "displayName": None,
                 "locationEmailAddress": None, "locationType": None, "locationUri": None, "uniqueId": None,
                 "uniqueIdType": None},
    "onlineMeetingInfo": {"conferenceId": None, "joinUrl": None, "phones": None, "quickDial": None,
                          "tollFreeNumbers": None, "tollNumber": None},
    "singleValueLegacyExtendedProperty": {"id": None, "value": None},
    "linkedResource": {"id": None, "webUrl": None, "applicationName": None, "displayName": None, "externalId": None},
}

_OUTLOOK_ITEM = {"id": None, "categories": None, "changeKey": None, "createdDateTime": None,
                 "lastModifiedDateTime": None}

ENTITIES: dict[str, dict[str, str | None]] = {
    "message": {
        **_OUTLOOK_ITEM,
        "bccRecipients": "[recipient]", "body": "itemBody", "bodyPreview": None, "ccRecipients": "[recipient]",
        "conversationId": None, "conversationIndex": None, "flag": "followupFlag", "from": "recipient",
        "hasAttachments": None, "importance": None, "inferenceClassification": None,
        "internetMessageHeaders": "[internetMessageHeader]", "internetMessageId": None,
        "isDeliveryReceiptRequested": None, "isDraft": None, "isRead": None, "isReadReceiptRequested": None,
        "parentFolderId": None, "receivedDateTime": None, "replyTo": "[recipient]", "sender": "recipient",
        "sentDateTime": None, "subject": None, "toRecipients": "[recipient]", "uniqueBody": "itemBody",
        "webLink": None, "singleValueExtendedProperties": "[singleValueLegacyExtendedProperty]",
        "attachments": None,  # Graph's attachment shapes, passed through (routes_attachments.py)
    },
    "event": {
        **_OUTLOOK_ITEM,
        "allowNewTimeProposals": None, "attendees": "[attendee]", "body": "itemBody", "bodyPreview": None,
        "cancelledOccurrences": None, "end": "dateTimeTimeZone", "hasAttachments": None, "hideAttendees": None,
        "iCalUId": None, "importance": None, "isAllDay": None, "isCancelled": None, "isDraft": None,
        "isOnlineMeeting": None, "isOrganizer": None, "isReminderOn": None, "location": "location",
        "locations": "[location]", "onlineMeeting": "onlineMeetingInfo", "onlineMeetingProvider": None,
        "onlineMeetingUrl": None, "organizer": "recipient", "originalEndTimeZone": None, "originalStart": None,
        "originalStartTimeZone": None, "recurrence": None, "reminderMinutesBeforeStart": None,
        "responseRequested": None, "responseStatus": "responseStatus", "sensitivity": None, "seriesMasterId": None,
        "showAs": None, "start": "dateTimeTimeZone", "subject": None, "transactionId": None, "type": None,
        "webLink": None, "singleValueExtendedProperties": "[singleValueLegacyExtendedProperty]",
    },
    "todoTask": {
        "id": None, "body": "itemBody", "bodyLastModifiedDateTime": None, "categories": None,
        "completedDateTime": "dateTimeTimeZone", "createdDateTime": None, "dueDateTime": "dateTimeTimeZone",
        "hasAttachments": None, "importance": None, "isReminderOn": None, "lastModifiedDateTime": None,
        "recurrence": None, "reminderDateTime": "dateTimeTimeZone", "startDateTime": "dateTimeTimeZone",
        "status": None, "title": None, "linkedResources": "[linkedResource]",
    },
    "todoTaskList": {"id": None, "displayName": None, "isOwner": None, "isShared": None, "wellknownListName": None},
    "mailFolder": {"id": None, "displayName": None, "parentFolderId": None, "childFolderCount": None,
                   "unreadItemCount": None, "totalItemCount": None, "isHidden": None},
    "subscription": {"id": None, "applicationId": None, "changeType": None, "clientState": None, "creatorId": None,
                     "encryptionCertificate": None, "encryptionCertificateId": None, "expirationDateTime": None,
                     "includeResourceData": None, "latestSupportedTlsVersion": None,
                     "lifecycleNotificationUrl": None, "notificationQueryOptions": None, "notificationUrl": None,
                     "notificationUrlAppId": None, "resource": None},
}

# Navigation properties: served only on $expand (or, for messages, $select), never by default.
HIDDEN = {
    "message": {"internetMessageHeaders", "uniqueBody", "singleValueExtendedProperties", "attachments"},
    "event": {"singleValueExtendedProperties"},
    "todoTask": {"linkedResources"},
}
EXPANDABLE = {"message": {"singleValueExtendedProperties", "attachments"}, "event": {"singleValueExtendedProperties"},
              "todoTask": {"linkedResources"}}


def _unknown_property(name: str, type_name: str) -> GraphError:
    return GraphError(400, "RequestBodyRead",
                      f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure to "
                      "only use property names that are defined by the type or mark the type as open type.")


def validate_body(entity: str, body: object) -> dict:
    """Reject what Graph rejects in a request body: a non-object, or a property its type lacks."""
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
    _validate(body, ENTITIES[entity], entity)
    return body


def _validate(value: dict, props: dict[str, str | None], type_name: str) -> None:
    for name, item in value.items():
        if name.startswith("@odata.") or "@odata." in name:
            continue
        if name not in props:
            raise _unknown_property(name, type_name)
        kind = props[name]
        if kind is None or item is None:
            continue
        inner = kind.strip("[]")
        values = item if kind.startswith("[") else [item]
        if kind.startswith("[") and not isinstance(item, list):
            raise GraphError(400, "RequestBodyRead", f"A collection was expected for the property '{name}'.")
        for element in values:
            if not isinstance(element, dict):
                raise GraphError(400, "RequestBodyRead",
                                 f"An object of type 'microsoft.graph.{inner}' was expected for '{name}'.")
            _validate(element, COMPLEX[inner], inner)


def parse_select(entity: str, raw: str | None, names: Iterable[str] | None = None) -> list[str] | None:
    """``$select`` as the entity's own property names (Graph matches them case-insensitively, and a
    name given twice is one). `names`: the properties to accept when they are not ENTITIES[entity]'s
    (an attachment's, whose properties depend on its derived type)."""
    if raw is None or not raw.strip():
        return None
    known = {name.lower(): name for name in (ENTITIES[entity] if names is None else names)}
    chosen = []
    for part in raw.split(","):
        name = known.get(part.strip().lower())
        if name is None:
            raise GraphError(400, "RequestBroker--ParseUri",
                             f"Could not find a property named '{part.strip()}' on type 'microsoft.graph.{entity}'.")
        if name not in chosen:
            chosen.append(name)
    return chosen


_EXPAND_FILTER = re.compile(r"\$filter\s*=\s*id\s+eq\s+'((?:[^']|'')*)'", re.IGNORECASE)


def parse_expand(entity: str, raw: str | None) -> dict[str, str | None]:
    """``$expand`` as {navigation property: id filter or None}; only ``id eq '...'`` filters are understood."""
    if raw is None or not raw.strip():
        return {}
    parts, depth, current = [], 0, ""
    for char in raw:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    known = {name.lower(): name for name in EXPANDABLE.get(entity, ())}
    out: dict[str, str | None] = {}
    for part in parts:
        name, _, options = part.strip().partition("(")
        canonical = known.get(name.strip().lower())
        if canonical is None:
            raise GraphError(400, "RequestBroker--ParseUri",
                             f"Could not find a navigation property named '{name.strip()}' on type "
                             f"'microsoft.graph.{entity}'.")
        match = _EXPAND_FILTER.search(options)
        out[canonical] = match.group(1).replace("''", "'") if match else None
    return out
