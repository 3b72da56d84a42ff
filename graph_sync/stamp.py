"""The opportunity stamp: which opportunity a message was written for, as Graph shows it on the sent copy.

Why a custom property and not an internet header: the copy of a sent message in Sent Items carries
no internet headers, whoever set them (Graph's create-draft, or the pane's
`item.internetHeaders.setAsync`): https://github.com/microsoftgraph/microsoft-graph-docs/issues/2716,
https://github.com/microsoftgraph/microsoft-graph-docs/issues/12726,
https://github.com/OfficeDev/office-js-docs-pr/issues/5057. An extended property stays on it: "tag the
message with a custom identifier [a single-value extended property], then find it in Sent Items after
you've sent it" (https://github.com/microsoftgraph/microsoft-graph-docs/issues/3766, Microsoft's answer).

The pane stamps with the add-in's custom properties (`item.loadCustomPropertiesAsync`, `set`,
`saveAsync`). Outlook keeps them on the sent item: "When a message or appointment with custom
properties is sent, its properties can be accessed from the item in the Sent Items folder"
(https://learn.microsoft.com/javascript/api/outlook/office.customproperties, and "Get and set add-in
metadata for an Outlook add-in", https://learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in).
Office.js stores all of an add-in's custom properties as one JSON object in the named String property
`cecp-<add-in id>` of PS_PUBLIC_STRINGS {00020329-0000-0000-C000-000000000046}, the id being the
manifest's add-in Id lowercased, without braces or "urn:uuid:" (MS-OXCEXT 2.2.5,
https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxcext/4cf1da5e-c68e-433e-a97e-c45625483481).
Graph reads it as any named extended property, with
`$expand=singleValueExtendedProperties($filter=id eq 'String {00020329-...} Name cecp-<id>')` (the same
page, "Get custom properties using Microsoft Graph or EWS"); Microsoft: "Graph is essentially just
accessing the raw property cecp-[ADDIN-ID]. It is ok to access the property in this manner"
(https://github.com/OfficeDev/office-js/issues/2478). Message delta takes `$expand` ("Delta query
support $select, $top, and $expand for messages", https://learn.microsoft.com/graph/delta-query-messages).

Mail Dealpane sends itself (graph_sync.outbound) gets the same property on its draft, so one reader
serves both. The `x-dealpane-opportunity` header is still read, as a fallback only: older versions
stamped with it, and a colleague's received copy of such mail carries it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .port import MailSpec
from .records import OPPORTUNITY_HEADER

# Named properties in PS_PUBLIC_STRINGS (MS-OXPROPS 1.3.2, the property set Office.js uses).
PS_PUBLIC_STRINGS = "{00020329-0000-0000-C000-000000000046}"
# The name of our custom property inside the add-in's JSON (the pane's OPPORTUNITY_PROPERTY, mailbox.js).
OPPORTUNITY_PROPERTY = "DealpaneOpportunity"
_PREFIX = f"string {PS_PUBLIC_STRINGS.lower()} name cecp-"
_MAX_VALUE = 32_000  # Office.js keeps the JSON to 2,500 characters; anything far larger is not ours
_MAX_ID = 64         # our ids are 32 hex characters


def addin_key(addin_id: str) -> str:
    """The <ID> of `cecp-<ID>` from a manifest add-in Id (MS-OXCEXT 2.2.5): lowercased, braces and a
    "urn:uuid:" prefix removed."""
    key = addin_id.strip().lower().replace("{", "").replace("}", "")
    for prefix in ("urn:uuid:", "urn:uuid"):
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return key


def property_id(addin_id: str | None) -> str | None:
    """The Graph id of the add-in's custom properties, or None when the add-in id is not configured."""
    if not addin_id or not addin_key(addin_id):
        return None
    return f"String {PS_PUBLIC_STRINGS} Name cecp-{addin_key(addin_id)}"


def expand_option(addin_id: str | None) -> str | None:
    """The `$expand` that brings the add-in's custom properties with each message."""
    wanted = property_id(addin_id)
    return None if wanted is None else f"singleValueExtendedProperties($filter=id eq '{wanted}')"


def stamp_value(opportunity_id: str) -> str:
    """The property's value as Office.js writes it: the add-in's custom properties as one JSON object."""
    return json.dumps({OPPORTUNITY_PROPERTY: opportunity_id}, separators=(",", ":"))


@dataclass
class StampedMail(MailSpec):
    """A draft to create stamped for an opportunity: the adapter writes the stamp as the add-in's custom
    property (the sent copy keeps it), never as an internet header (it would not)."""

    opportunity_id: str | None = None


def opportunity_stamp(raw_message: Any, *, header_too: bool = True) -> str | None:
    """The opportunity id a synced message was stamped with, or None. Never raises: whatever Graph (or
    anyone who can write to the mailbox) put there, garbage gives None. `header_too`: also read the
    older header stamp. Anyone who sends mail can set an internet header, while extended properties
    are not delivered to recipients (microsoft-graph-docs#12962): the sync trusts the header only
    on mail the mailbox itself sent."""
    try:
        return _from_property(raw_message) or (_from_header(raw_message) if header_too else None)
    except Exception:  # noqa: BLE001 - a stamp is a hint; a broken one must never stop a sync page
        return None


def _from_property(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    for prop in raw.get("singleValueExtendedProperties") or ():
        if not isinstance(prop, dict) or not isinstance(prop.get("id"), str):
            continue
        # Only the configured add-in's property is asked for ($expand with its exact id), so any cecp-
        # property in the answer is ours; Graph may answer the id in another case or spacing.
        if not " ".join(prop["id"].split()).lower().startswith(_PREFIX):
            continue
        value = prop.get("value")
        if not isinstance(value, str) or len(value) > _MAX_VALUE:
            continue
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            continue
        found = _clean(data.get(OPPORTUNITY_PROPERTY)) if isinstance(data, dict) else None
        if found:
            return found
    return None


def _from_header(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    for header in raw.get("internetMessageHeaders") or ():
        if isinstance(header, dict) and str(header.get("name") or "").strip().lower() == OPPORTUNITY_HEADER:
            found = _clean(header.get("value"))
            if found:
                return found
    return None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= _MAX_ID and not any(c.isspace() for c in value) else None
