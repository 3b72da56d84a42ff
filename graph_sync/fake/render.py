"""Stored items as one request sees them: id form, ``$select``/``$expand``, event times' time zone."""
from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo

from . import ids
from .schema import HIDDEN

# Graph speaks Windows time-zone names; the ones a demo or test is likely to use.
WINDOWS_ZONES = {
    "utc": "UTC", "coordinated universal time": "UTC", "pacific standard time": "America/Los_Angeles",
    "mountain standard time": "America/Denver", "central standard time": "America/Chicago",
    "eastern standard time": "America/New_York", "gmt standard time": "Europe/London",
    "greenwich standard time": "Atlantic/Reykjavik", "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris", "central europe standard time": "Europe/Budapest",
    "india standard time": "Asia/Kolkata", "tokyo standard time": "Asia/Tokyo",
    "aus eastern standard time": "Australia/Sydney",
}
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def zone(name: str | None) -> dt.tzinfo:
    """The zone for a Windows or IANA name; unknown names count as UTC (Graph's own default)."""
    if not name:
        return dt.timezone.utc
    mapped = WINDOWS_ZONES.get(name.strip().lower(), name.strip())
    try:
        return zoneinfo.ZoneInfo(mapped)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def parse_instant(text: str, default_zone: dt.tzinfo = dt.timezone.utc) -> dt.datetime:
    """An ISO 8601 date-time (Graph's seven fraction digits allowed); no offset means ``default_zone``."""
    cleaned = _FRACTION.sub(lambda m: m.group(1), text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    moment = dt.datetime.fromisoformat(cleaned)
    return moment if moment.tzinfo else moment.replace(tzinfo=default_zone)


def instant(value: dict | None) -> dt.datetime | None:
    """A dateTimeTimeZone as an aware datetime, or None when it is missing or unreadable."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        return None
    try:
        return parse_instant(value["dateTime"], zone(value.get("timeZone")))
    except ValueError:
        return None


def in_zone(value: dict, zone_name: str) -> dict:
    """Graph returns event times in UTC unless ``Prefer: outlook.timezone`` names another zone."""
    moment = instant(value)
    if moment is None:
        return value
    local = moment.astimezone(zone(zone_name))
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0", "timeZone": zone_name}


def _as_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])>", "\n", markup)
    lines = (" ".join(line.split()) for line in html.unescape(re.sub(r"<[^>]+>", "", markup)).splitlines())
    return "\r\n".join(line for line in lines if line)


def in_body_type(body: object, wanted: str | None) -> object:
    """Graph converts bodies for ``Prefer: outlook.body-content-type="text"`` (or ``"html"``)."""
    if not isinstance(body, dict) or not wanted or wanted.lower() not in ("text", "html"):
        return body
    have, content = str(body.get("contentType", "")).lower(), str(body.get("content") or "")
    if wanted.lower() == have:
        return body
    if wanted.lower() == "text":
        return {"contentType": "text", "content": _as_text(content)}
    escaped = html.escape(content).replace("\r\n", "<br>").replace("\n", "<br>")
    return {"contentType": "html", "content": f"<html><body>{escaped}</body></html>"}


def render(entity: str, data: dict, *, immutable: bool, select: list[str] | None = None,
           expand: dict[str, str | None] | None = None, time_zone: str | None = None,
           body_type: str | None = None, with_type: bool = False) -> dict:
    out: dict = {}
    if with_type:
        out["@odata.type"] = f"#microsoft.graph.{entity}"
    if "@odata.etag" in data:
        out["@odata.etag"] = data["@odata.etag"]
    hidden = HIDDEN.get(entity, set())
    if select is not None:
        names = [name for name in select if name in data and name != "id"] + ["id"]
    else:
        names = [name for name in data if not name.startswith("@") and name not in hidden]
    for name in names:
        out[name] = data.get(name)
    for nav, id_filter in (expand or {}).items():
        values = data.get(nav) or []
        out[nav] = [v for v in values if id_filter is None or str(v.get("id", "")).lower() == id_filter.lower()]
    if entity in ("message", "event"):
        out["id"] = ids.output_id(data["id"], immutable)
        for name in ("body", "uniqueBody"):
            if name in out:
                out[name] = in_body_type(out[name], body_type)
        if out.get("seriesMasterId"):
            out["seriesMasterId"] = ids.output_id(out["seriesMasterId"], immutable)
    if entity == "event":
        for name in ("start", "end"):
            if isinstance(out.get(name), dict):
                out[name] = in_zone(out[name], time_zone or "UTC")
    return out


def removed(entity: str, item_id: str, immutable: bool) -> dict:
    shown = ids.output_id(item_id, immutable) if entity in ("message", "event") else item_id
    return {"@odata.type": f"#microsoft.graph.{entity}", "id": shown, "@removed": {"reason": "deleted"}}
