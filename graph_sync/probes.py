"""Probing an application-mode mailbox, each feature once, so `dealpane mailboxes add --mode application`
names a missing permission at once instead of the worker failing later.

Graph answers 403 ErrorAccessDenied for a call whose permission the app-only token lacks, before it
looks at the request any further (the fake does the same, graph_sync/fake/authority.py); the probes
rely on that, and leave nothing behind:

- read_mail: one page (one message, `id` and `bodyPreview`) of the Inbox's message delta. Read-only.
  With only Mail.ReadBasic.All Graph leaves `bodyPreview` out instead of refusing: a message without
  it means Mail.Read is missing (an empty Inbox cannot tell).
- read_calendar: one page of the calendar's delta over one day. Read-only.
- link_items: translateExchangeIds of one made-up id: a lookup, nothing stored.
- send_mail: a draft without recipients is created (Mail.ReadWrite) and permanently deleted; and a
  message without recipients goes to sendMail (Mail.Send), which Graph refuses with 400
  ErrorInvalidRecipients when the permission is there. Nothing can be sent: there is no recipient.
- create_meetings: an event without attendees (so no invitation goes out) in the year 2000, created
  and permanently deleted (not moved to Deleted Items).
- todo_tasks: a To Do list "Dealpane permission check" is created and deleted with its tasks.

The permissions each feature needs, and Microsoft's pages: graph_sync/permissions.py (FEATURES).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from storage.i18n import ngettext

from .permissions import FEATURES, Feature
from .port import (
    BatchRequest, EventSpec, GraphClient, GraphError, GraphNotFound, GraphPermissionError, MailSpec,
)
from .tokens import ApplicationTokens, NeedsSignIn, TokenConfigError

PROBE_SUBJECT = "Dealpane permission check (safe to delete)"
MADE_UP_EWS_ID = "AAMkAGRlYWxwYW5lLXBlcm1pc3Npb24tY2hlY2sAAAA="


@dataclass
class ProbeResult:
    feature: Feature
    missing: list[str] = field(default_factory=list)
    unknown: str | None = None  # the probe could not tell (an unexpected answer), and why

    @property
    def ok(self) -> bool:
        return not self.missing and self.unknown is None


class MailboxNotFound(Exception):
    """Graph does not know the mailbox (not in the tenant, or without Exchange Online)."""


class CannotProbe(Exception):
    """Settings, credentials or the mailbox are wrong: no feature can work; the message says what to fix."""


def probe_application_mailbox(settings, address: str, client_factory=None) -> list[ProbeResult]:
    """The app's settings (`GraphSettings`), its app-only token, then one probe per feature of `address`.
    Raises CannotProbe when nothing can work yet."""
    from .msgraph_adapter import MsGraphClient  # noqa: PLC0415 - the SDK loads only when probing

    try:
        tokens = ApplicationTokens(client_id=settings.client_id or "", client_secret=settings.client_secret or "",
                                   tenant_id=settings.tenant_id or "", authority_host=settings.authority_host)
    except TokenConfigError as error:
        raise CannotProbe(f"{error}.") from None
    try:
        tokens.token()
        client = (client_factory or MsGraphClient)(settings.base_url, tokens.token, mailbox=address, page_size=1)
        try:
            return probe_mailbox(client)
        finally:
            client.close()
    except MailboxNotFound as error:
        raise CannotProbe(f"Microsoft Graph does not know the mailbox {address} in tenant {settings.tenant_id} "
                          f"({error}).") from None
    except NeedsSignIn as error:
        raise CannotProbe(credentials_problem(error, settings)) from None
    except GraphError as error:  # Entra unreachable
        raise CannotProbe(str(error)) from None
    finally:
        tokens.close()


def credentials_problem(error: NeedsSignIn, settings) -> str:
    """What an admin should check when Entra refuses the app's own credentials. The AADSTS codes:
    https://learn.microsoft.com/entra/identity-platform/reference-error-codes"""
    codes = set(error.codes)
    if error.error == "invalid_client" or codes & {7000215, 7000222}:
        return ("Entra refused DEALPANE_CLIENT_SECRET (invalid_client): give the secret's Value, not its "
                "Secret ID, and check that it has not expired.")
    if error.error == "unauthorized_client" or codes & {700016}:
        return (f"Entra does not know the app {settings.client_id} in tenant {settings.tenant_id} (AADSTS700016): "
                "check DEALPANE_CLIENT_ID and DEALPANE_TENANT_ID, and that an admin of that tenant consented.")
    if error.error == "invalid_tenant":
        return f"{error}."
    return f"Entra refused the app's credentials: {error}."


def probe_mailbox(client: GraphClient) -> list[ProbeResult]:
    """Every feature of FEATURES, in order, through an application-mode client of the mailbox."""
    probes = {"read_mail": _read_mail, "read_calendar": _read_calendar, "link_items": _link_items,
              "send_mail": _send_mail, "create_meetings": _create_meetings, "todo_tasks": _todo_tasks}
    results = []
    for feature in FEATURES:
        result = ProbeResult(feature)
        try:
            probes[feature.key](client, result)
        except GraphPermissionError as error:
            result.missing.append(error.permission or "a permission Graph did not name")
        except GraphNotFound as error:
            if feature.key == "read_mail":
                raise MailboxNotFound(str(error)) from None
            result.unknown = str(error)
        except GraphError as error:
            result.unknown = str(error)
        results.append(result)
    return results


def _read_mail(client: GraphClient, result: ProbeResult) -> None:
    page = client.delta_messages("inbox", select=["id", "bodyPreview"])
    if page.items and "bodyPreview" not in page.items[0]:
        result.missing.append("Mail.Read")  # only Mail.ReadBasic.All: no previews, no bodies


def _read_calendar(client: GraphClient, result: ProbeResult) -> None:
    start = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    client.delta_events(start, start + dt.timedelta(days=1))


def _link_items(client: GraphClient, result: ProbeResult) -> None:
    client.translate_ids([MADE_UP_EWS_ID], "ewsId")


def _send_mail(client: GraphClient, result: ProbeResult) -> None:
    try:
        draft = client.create_draft(MailSpec(subject=PROBE_SUBJECT, body_html="", to=[]))
    except GraphPermissionError as error:
        result.missing.append(error.permission or "Mail.ReadWrite")
    else:
        client.delete_message(draft["id"])
    # sendMail without a recipient: 400 when Mail.Send is granted, 403 when not; never sent.
    (answer,) = client.batch([BatchRequest(id="1", method="POST", url="/me/sendMail", body={
        "message": {"subject": PROBE_SUBJECT, "body": {"contentType": "Text", "content": ""}},
        "saveToSentItems": False})])
    if answer.status == 403:
        result.missing.append("Mail.Send")
    elif answer.status != 400:
        result.unknown = f"sendMail without recipients answered {answer.status}; Mail.Send not confirmed"


def _create_meetings(client: GraphClient, result: ProbeResult) -> None:
    start = dt.datetime(2000, 1, 3, 9, 0)
    event = client.create_event(EventSpec(subject=PROBE_SUBJECT, start=start, end=start + dt.timedelta(minutes=15),
                                          time_zone="UTC", attendees=[], transaction_id=str(uuid.uuid4())))
    client.delete_event(event["id"])


def _todo_tasks(client: GraphClient, result: ProbeResult) -> None:
    created = client.create_todo_list(PROBE_SUBJECT)
    client.delete_todo_list(created["id"])


def summary(results: list[ProbeResult], *, application: bool = True) -> str:
    """One line per missing permission, for a mailbox's status_detail."""
    missing = sorted({p for r in results for p in r.missing})
    if not missing:
        return ""
    names = ", ".join(missing)
    if application:
        return ngettext("Microsoft Graph refused Dealpane's checks: grant the application permission "
                        "%(names)s (with admin consent).",
                        "Microsoft Graph refused Dealpane's checks: grant the application permissions "
                        "%(names)s (with admin consent).", len(missing), names=names)
    return ngettext("Microsoft Graph refused Dealpane's checks: grant the delegated permission "
                    "%(names)s (with admin consent).",
                    "Microsoft Graph refused Dealpane's checks: grant the delegated permissions "
                    "%(names)s (with admin consent).", len(missing), names=names)
