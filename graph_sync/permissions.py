"""Which Microsoft Graph permission each of Dealpane's calls needs, per Microsoft's API reference.

Two uses: when Graph answers 403 the adapter names the permission the refused call needed
(`needed_for`), and `dealpane mailboxes add --mode application` probes each feature (FEATURES)
and names what is missing. The README's permission table is FEATURES.

Each call lists the least-privileged permission Microsoft documents for it, delegated (the
signed-in user's token, on-behalf-of) and application (client credentials). A higher permission
of the same family also works (Mail.ReadWrite includes Mail.Read, and so on):
https://learn.microsoft.com/graph/permissions-reference
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from storage.i18n import N_

LEARN = "https://learn.microsoft.com/graph/api/{}?view=graph-rest-1.0#permissions"


@dataclass(frozen=True)
class Call:
    method: str
    path: re.Pattern  # the path after /me or /users/{id} (or from the version root: /subscriptions)
    what: str  # "read mail": said to the user when Graph refuses it (marked N_, translated by port.explain)
    delegated: str
    application: str
    doc: str

    def permission(self, application: bool) -> str:
        return self.application if application else self.delegated


def _call(method: str, path: str, what: str, delegated: str, application: str, page: str) -> Call:
    return Call(method, re.compile(rf"^{path}/?$", re.IGNORECASE), what, delegated, application, LEARN.format(page))


_ID = r"[^/]+"
_DELTA = r"delta(?:\(\))?"
CALLS: tuple[Call, ...] = (
    _call("GET", rf"/mailFolders/{_ID}/messages/{_DELTA}", N_("read mail"), "Mail.Read", "Mail.Read", "message-delta"),
    _call("GET", rf"/messages/{_ID}", N_("read a message"), "Mail.Read", "Mail.Read", "message-get"),
    _call("GET", rf"/messages/{_ID}/attachments", N_("read attachments"), "Mail.Read", "Mail.Read",
          "message-list-attachments"),
    _call("GET", rf"/messages/{_ID}/attachments/{_ID}(?:/\$value)?", N_("read attachments"), "Mail.Read",
          "Mail.Read", "attachment-get"),
    _call("GET", rf"/mailFolders/{_ID}", N_("read a mail folder"), "Mail.Read", "Mail.Read", "mailfolder-get"),
    _call("POST", r"/messages", N_("create a draft"), "Mail.ReadWrite", "Mail.ReadWrite", "user-post-messages"),
    _call("POST", rf"/messages/{_ID}/permanentDelete", N_("delete a draft"), "Mail.ReadWrite", "Mail.ReadWrite",
          "message-permanentdelete"),
    _call("POST", rf"/messages/{_ID}/send", N_("send mail"), "Mail.Send", "Mail.Send", "message-send"),
    _call("POST", r"/sendMail", N_("send mail"), "Mail.Send", "Mail.Send", "user-sendmail"),
    _call("GET", rf"(?:/calendar|/calendars/{_ID})?/calendarView/{_DELTA}", N_("read the calendar"), "Calendars.Read",
          "Calendars.Read", "event-delta"),
    _call("GET", rf"/events/{_ID}", N_("read a meeting"), "Calendars.Read", "Calendars.Read", "event-get"),
    _call("POST", rf"(?:/calendar|/calendars/{_ID})?/events", N_("create a meeting"), "Calendars.ReadWrite",
          "Calendars.ReadWrite", "user-post-events"),
    _call("POST", rf"/events/{_ID}/permanentDelete", N_("delete a meeting"), "Calendars.ReadWrite",
          "Calendars.ReadWrite", "event-permanentdelete"),
    _call("POST", r"/translateExchangeIds", N_("translate Outlook's item ids"), "User.Read", "User.Read.All",
          "user-translateexchangeids"),
    _call("GET", r"/todo/lists", N_("read To Do lists"), "Tasks.ReadWrite", "Tasks.ReadWrite.All", "todo-list-lists"),
    _call("POST", r"/todo/lists", N_("create a To Do list"), "Tasks.ReadWrite", "Tasks.ReadWrite.All",
          "todo-post-lists"),
    _call("DELETE", rf"/todo/lists/{_ID}", N_("delete a To Do list"), "Tasks.ReadWrite", "Tasks.ReadWrite.All",
          "todotasklist-delete"),
    _call("GET", rf"/todo/lists/{_ID}/tasks/{_DELTA}", N_("read To Do tasks"), "Tasks.ReadWrite", "Tasks.ReadWrite.All",
          "todotask-delta"),
    _call("POST", rf"/todo/lists/{_ID}/tasks", N_("create a To Do task"), "Tasks.ReadWrite", "Tasks.ReadWrite.All",
          "todotasklist-post-tasks"),
    _call("PATCH", rf"/todo/lists/{_ID}/tasks/{_ID}", N_("update a To Do task"), "Tasks.ReadWrite",
          "Tasks.ReadWrite.All", "todotask-update"),
)
_USER_PREFIX = re.compile(r"^(?:/v1\.0)?(?:/me|/users/[^/]+)(?=/|$)", re.IGNORECASE)


def needed_for(method: str, path: str) -> Call | None:
    """The call a request is, from its method and URL path (`/v1.0/me/...` or `/users/{id}/...`)."""
    match = _USER_PREFIX.match(path)
    rest = path[match.end():] if match else path
    for call in CALLS:
        if call.method == method.upper() and call.path.match(rest):
            return call
    return None


@dataclass(frozen=True)
class Feature:
    """What a user or admin sees Dealpane do, and every permission it needs (all of them)."""

    key: str
    title: str
    delegated: tuple[str, ...]
    application: tuple[str, ...]
    docs: tuple[str, ...]


FEATURES: tuple[Feature, ...] = (
    Feature("read_mail", "Reading mail (sync of Inbox and Sent Items, linking an e-mail)", ("Mail.Read",),
            ("Mail.Read",), (LEARN.format("message-delta"), LEARN.format("message-get"))),
    Feature("read_calendar", "Reading the calendar (sync of meetings, linking a meeting)", ("Calendars.Read",),
            ("Calendars.Read",), (LEARN.format("event-delta"), LEARN.format("event-get"))),
    Feature("link_items", "Linking the open item from the pane (Outlook's item id translated)", ("User.Read",),
            ("User.Read.All",), (LEARN.format("user-translateexchangeids"),)),
    Feature("send_mail", "Sending e-mail (a draft carrying Dealpane's header, then sent)",
            ("Mail.ReadWrite", "Mail.Send"), ("Mail.ReadWrite", "Mail.Send"),
            (LEARN.format("user-post-messages"), LEARN.format("message-send"))),
    Feature("create_meetings", "Creating meetings (meeting requests to contacts)", ("Calendars.ReadWrite",),
            ("Calendars.ReadWrite",), (LEARN.format("user-post-events"),)),
    Feature("todo_tasks", "To Do tasks for reminders and sales activities", ("Tasks.ReadWrite",),
            ("Tasks.ReadWrite.All",), (LEARN.format("todo-post-lists"), LEARN.format("todotasklist-post-tasks"),
                                       LEARN.format("todotask-delta"))),
)
