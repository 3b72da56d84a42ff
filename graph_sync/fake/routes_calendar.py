"""Calendar: the primary calendar, calendarView delta, GET/POST/PATCH/DELETE events, cancel.

Only the primary calendar exists. A recurring series is expanded into its occurrences in
calendarView delta (recurrence.py); an occurrence id works with GET, PATCH (it becomes an
exception), DELETE and cancel. A single event is in a window when its own start/end overlap it.
"""
from __future__ import annotations

import datetime as dt

from werkzeug.wrappers import Response

from . import delta, recurrence
from .errors import GraphError, bad_request, item_not_found
from .mailbox import Change
from .render import instant, parse_instant, removed, render
from .schema import parse_expand, parse_select, validate_body
from .web import Ctx, Router, check_id, reject_options

WINDOW_MISSING = ("This request requires a time window specified by the query string parameters StartDateTime "
                  "and EndDateTime.")


def calendar_or_404(ctx: Ctx, calendar_id: str | None) -> str:
    own = ctx.mailbox.calendar["id"]
    if calendar_id is not None and calendar_id != own:
        check_id(calendar_id)
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return own


def event_or_404(ctx: Ctx, any_id: str) -> dict:
    """An event, a series master, or an occurrence (404 once it was cancelled or deleted)."""
    check_id(any_id)
    data = ctx.mailbox.get("event", any_id) or ctx.mailbox.get_occurrence(any_id)
    if data is None:
        raise item_not_found()
    return data


def _window(ctx: Ctx) -> list[str]:
    start, end = ctx.arg("startDateTime"), ctx.arg("endDateTime")
    if not start or not end:
        raise bad_request(WINDOW_MISSING, "ErrorInvalidParameter")
    try:
        bounds = [parse_instant(start), parse_instant(end)]
    except ValueError:
        raise bad_request(WINDOW_MISSING, "ErrorInvalidParameter") from None
    if bounds[1] - bounds[0] > dt.timedelta(days=recurrence.MAX_WINDOW_DAYS):
        # https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/6321
        raise GraphError(400, "ErrorInvalidRequest", "Your request can't be completed. The range between the start "
                         "and end dates is greater than the allowed range. Maximum number of days: 1825")
    return [moment.isoformat() for moment in bounds]


def _window_bounds(window: list[str]) -> tuple[dt.datetime, dt.datetime]:
    low, high = (dt.datetime.fromisoformat(bound) for bound in window)
    return low, high


# An occurrence in calendarView delta carries only these (plus @odata.type and @odata.etag): its
# subject, body, attendees, iCalUId... are read from the series master (seriesMasterId) or with
# GET /events/{occurrenceId}: https://github.com/microsoftgraph/microsoft-graph-docs/issues/7632,
# https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/34. Exceptions come whole,
# as GET /calendarView returns them (https://learn.microsoft.com/graph/api/event-delta).
OCCURRENCE_IN_DELTA = ["seriesMasterId", "type", "start", "end"]


def overlaps(event: dict, window: list[str]) -> bool:
    start, end = instant(event.get("start")), instant(event.get("end"))
    if start is None:
        return False
    low, high = (dt.datetime.fromisoformat(bound) for bound in window)
    end = end or start
    return start < high and (end > low or start >= low)


def _shown(ctx: Ctx, data: dict, **options) -> dict:
    return render("event", data, immutable=ctx.immutable, time_zone=ctx.time_zone, body_type=ctx.body_type,
                  **options)


def check_event(event: dict, creating: bool) -> None:
    for name in ("start", "end"):
        value = event.get(name)
        if (creating or name in event) and (not isinstance(value, dict) or instant(value) is None):
            raise GraphError(400, "ErrorInvalidRequest",
                             f"Your request can't be completed. The event's '{name}' needs a dateTime and a "
                             "timeZone.")


def register(router: Router) -> None:
    @router.route("/calendar")
    def get_calendar(ctx: Ctx) -> Response:
        return ctx.json({"@odata.context": ctx.context_url("calendars/$entity"), **ctx.mailbox.calendar})

    @router.route("/calendars")
    def list_calendars(ctx: Ctx) -> Response:
        return ctx.json({"@odata.context": ctx.context_url("calendars"), "value": [ctx.mailbox.calendar]})

    @router.route("/calendars/{calendar_id}")
    def get_one_calendar(ctx: Ctx, calendar_id: str) -> Response:
        calendar_or_404(ctx, calendar_id)
        return get_calendar(ctx)

    def calendar_view_delta(ctx: Ctx, calendar_id: str | None = None) -> Response:
        scope = calendar_or_404(ctx, calendar_id)
        if ctx.arg("$select") is not None:
            raise bad_request("$select is not supported on calendarView delta: it returns the properties of "
                              "GET /calendarView.", "ErrorInvalidUrlQuery")
        reject_options(ctx, {"$skiptoken", "$deltatoken", "$top"})

        def initial() -> dict:
            return {"window": _window(ctx), "query": delta.initial_query(ctx)}

        def collect(since: int | None, options: dict) -> tuple[int, list[Change]]:
            upto, changes = ctx.mailbox.changes("event", scope, since)
            window = _window_bounds(options["window"])
            out = []
            for change in changes:
                data = change.data or {}
                if change.op == "removed":
                    former = ctx.mailbox.former_series(change.id)
                    if former is not None and former[0] == change.seq:
                        out.extend(Change(*c, 0) for c in recurrence.gone_series(former[1], window, change.seq))
                    elif since is not None:
                        out.append(change)
                    continue
                if recurrence.SERIES in data:
                    existed = since is not None and change.entered <= since
                    out.extend(Change(*c, 0) for c in recurrence.series_changes(data, since, window, existed))
                    if recurrence.is_master(data):
                        continue  # calendarView returns a series' occurrences, never its master
                if overlaps(data, options["window"]):
                    out.append(change)
                elif since is not None:
                    # Events that left the window or changed outside it come as removed: "Events that
                    # are outside the date range and that have been added, deleted, or updated since the
                    # previous delta call" (https://learn.microsoft.com/graph/api/event-delta).
                    out.append(Change("removed", change.id, None, change.seq, 0))
            out.sort(key=lambda c: c.seq)
            return upto, out

        def render_change(change: Change, options: dict) -> dict:
            if change.op == "removed":
                return removed("event", change.id, ctx.immutable)
            data = change.data or {}
            if data.get("type") == "occurrence":
                return _shown(ctx, data, with_type=True, select=OCCURRENCE_IN_DELTA)
            return _shown(ctx, data, with_type=True)

        return delta.serve(ctx, kind="event", scope=scope, entity="event", initial_options=initial,
                           collect=collect, render_change=render_change)

    router.add("/calendarView/delta", "GET", calendar_view_delta)
    router.add("/calendar/calendarView/delta", "GET", calendar_view_delta)
    router.add("/calendars/{calendar_id}/calendarView/delta", "GET", calendar_view_delta)

    @router.route("/events/{event_id}")
    def get_event(ctx: Ctx, event_id: str) -> Response:
        reject_options(ctx, {"$select", "$expand"})
        data = event_or_404(ctx, event_id)
        shown = _shown(ctx, data, select=parse_select("event", ctx.arg("$select")),
                       expand=parse_expand("event", ctx.arg("$expand")))
        return ctx.json({"@odata.context": ctx.context_url("events/$entity"), **shown})

    def create_event(ctx: Ctx, calendar_id: str | None = None) -> Response:
        calendar_or_404(ctx, calendar_id)
        event = validate_body("event", ctx.body)
        check_event(event, creating=True)
        data, _created = ctx.mailbox.create_event(event)
        return ctx.json({"@odata.context": ctx.context_url("events/$entity"), **_shown(ctx, data)}, 201)

    router.add("/events", "POST", create_event)
    router.add("/calendar/events", "POST", create_event)
    router.add("/calendars/{calendar_id}/events", "POST", create_event)

    @router.route("/events/{event_id}", "PATCH")
    def update_event(ctx: Ctx, event_id: str) -> Response:
        """PATCH of an occurrence id changes only that occurrence, which becomes an exception;
        PATCH of the master changes every occurrence that is not an exception
        (https://learn.microsoft.com/graph/api/event-update)."""
        current = event_or_404(ctx, event_id)
        patch = validate_body("event", ctx.body)
        check_event(patch, creating=False)
        if current.get("seriesMasterId") and "recurrence" in patch:
            raise GraphError(501, "NotImplemented", "A recurrence on an occurrence is not implemented by the "
                                                    "fake Graph")
        data = ctx.mailbox.update_event(event_id, patch)
        return ctx.json({"@odata.context": ctx.context_url("events/$entity"), **_shown(ctx, data)})

    @router.route("/events/{event_id}", "DELETE")
    def delete_event(ctx: Ctx, event_id: str) -> Response:
        """An occurrence id deletes that occurrence only; the master's id, the whole series."""
        event_or_404(ctx, event_id)
        ctx.mailbox.delete_event(event_id)
        return ctx.empty(204)

    @router.route("/events/{event_id}/cancel", "POST")
    def cancel_event(ctx: Ctx, event_id: str) -> Response:
        """https://learn.microsoft.com/graph/api/event-cancel: the organizer only (an attendee gets 400
        "Your request can't be completed. You need to be an organizer to cancel a meeting."; the page
        names no error code), 202 without a body; the event (or, given an occurrence id, that
        occurrence) leaves the calendar for Deleted Items. Body: an optional ``comment``."""
        current = event_or_404(ctx, event_id)
        body = ctx.body if ctx.body is not None else {}
        if not isinstance(body, dict) or any(key.lower() != "comment" for key in body):
            extra = next((k for k in body if k.lower() != "comment"), "") if isinstance(body, dict) else ""
            raise bad_request(f"The parameter '{extra}' in the request payload is not a valid parameter for the "
                              "operation 'cancel'.", "RequestBodyRead")
        if not current.get("isOrganizer"):
            raise GraphError(400, "ErrorInvalidRequest", "Your request can't be completed. You need to be an "
                                                         "organizer to cancel a meeting.")
        ctx.mailbox.delete_event(event_id)
        return ctx.empty(202)

    @router.route("/events/{event_id}/permanentDelete", "POST")
    def permanent_delete(ctx: Ctx, event_id: str) -> Response:
        """Gone for good, not moved to Deleted Items:
        https://learn.microsoft.com/graph/api/event-permanentdelete?view=graph-rest-1.0"""
        event_or_404(ctx, event_id)
        ctx.mailbox.delete_event(event_id)
        return ctx.empty(204)
