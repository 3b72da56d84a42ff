"""The one place a sync sets a mailbox's state, with one message format.

A run of a mailbox ends in one of these outcomes (SyncReport.status):

- ok: synced; status ok, last_sync_at now.
- needs_sign_in (Graph 401, or no usable grant): waits for its owner's next sign-in
  (storage.services.mailboxes.grant_renewed makes it due again); never claimed meanwhile.
- missing_permission (Graph 403, https://learn.microsoft.com/graph/errors): an admin must grant the
  permission the detail names; claimed again once every PERMISSION_RECHECK (worker.py).
- error: anything else (a Graph answer we do not handle, a bug of ours, missing app settings).
  The mailbox is NOT stopped for ever: a deploy may fix a bug and an admin may add a setting, and
  one-off failures happen. It stays claimable and is retried after a growing wait: ERROR_FIRST_WAIT,
  doubled after each further failure in a row, at most ERROR_MAX_WAIT; the first run that works
  makes it ok again.
- retry (429/503/504, a dropped connection, an expired cursor twice): counted and remembered as the
  last error, the status is left as it was; the worker waits what Graph asked (retry_after).
- lease_lost: another worker owns the mailbox now; nothing is written.

Every non-ok outcome is recorded the same way: errors + 1, last_error (the error itself, as
"<status>: <error>"), last_error_at, and status_detail (what a person reads in the status API and
`dealpane mailboxes list`: what happened and what to do, built by `detail`).

What people do to a mailbox (connect, reconnect, pause, an admin's permission probe) is set by
storage.services.mailboxes and `dealpane mailboxes set`, not here.
"""
from __future__ import annotations

import datetime as dt
import logging

from storage.i18n import Text, _
from storage.models import Mailbox

from .port import CursorExpired, GraphAuthError, GraphError, GraphPermissionError, GraphTransientError
from .tokens import NeedsSignIn, TokenConfigError

log = logging.getLogger(__name__)

ERROR_FIRST_WAIT = dt.timedelta(minutes=5)
ERROR_MAX_WAIT = dt.timedelta(hours=6)
STOPPED = ("needs_sign_in", "missing_permission", "error")  # the states a sync sets besides ok


def classify(error: BaseException) -> tuple[str, str, float | None]:
    """(status, message, retry_after seconds) for what a mailbox's run raised."""
    if isinstance(error, GraphPermissionError):  # before GraphAuthError: it is its subclass
        return "missing_permission", error.explain(), None
    if isinstance(error, (GraphAuthError, NeedsSignIn)):
        return "needs_sign_in", str(error), None
    if isinstance(error, GraphTransientError):
        return "retry", str(error), error.retry_after
    if isinstance(error, CursorExpired):  # expired again right after starting afresh
        return "retry", str(error), 30.0
    if isinstance(error, TokenConfigError):
        return "error", f"configuration: {error}", None
    if isinstance(error, GraphError):
        return "error", str(error), None
    return "error", f"{type(error).__name__}: {error}", None


def fail(report, error: BaseException) -> None:
    """Put what `error` means into `report` (a graph_sync.sync.SyncReport)."""
    report.status, report.error, report.retry_after = classify(error)


def is_configuration_error(report) -> bool:
    """The run failed because settings of this deployment are missing (not the mailbox's fault)."""
    return report.status == "error" and (report.error or "").startswith("configuration: ")


def detail(mailbox: Mailbox, status: str, error: str | None, wait: dt.timedelta | None = None) -> str:
    """status_detail: what happened, then what to do. The one place these sentences are written: Texts
    (storage.i18n), said in the reader's language by the API; `error` (Graph's or Entra's own words) is
    quoted as it came, cut to 300 characters so the sentence fits the column."""
    if isinstance(error, Text):
        quoted = error
    else:
        quoted = (error or "").strip()[:300]
    if status == "needs_sign_in":
        if mailbox.mode == "application":
            return _("Entra refused the app's credentials: %(error)s", error=quoted)
        return _("Dealpane lost access to this mailbox: its owner must open the pane once.")
    if status == "missing_permission":
        return quoted or _("A Microsoft Graph permission is missing.")
    if status == "error":
        if wait:
            return _("Sync failed: %(error)s. Dealpane tries again in %(wait)s.",
                     error=quoted or _("unknown error"), wait=_span(wait))
        return _("Sync failed: %(error)s. Dealpane tries again later.", error=quoted or _("unknown error"))
    return ""


def error_wait(mailbox: Mailbox, now: dt.datetime) -> dt.timedelta:
    """How long an errored mailbox waits: 5 min, doubled per failure in a row, at most 6 h. The wait
    before this failure is next_sync_at - last_error_at of the previous one (still on the row), so no
    column is needed; a change notification (worker.wake) or a reconnect starts again from 5 min."""
    previous = None
    if mailbox.status == "error" and mailbox.last_error_at is not None and mailbox.next_sync_at is not None:
        previous = mailbox.next_sync_at - mailbox.last_error_at
    if previous is None or previous < ERROR_FIRST_WAIT:
        return ERROR_FIRST_WAIT
    return min(previous * 2, ERROR_MAX_WAIT)


def record_outcome(mailbox: Mailbox, report, now: dt.datetime) -> None:
    """Write a run's outcome on the mailbox row (the caller commits). For status error it also sets
    report.retry_after to the growing wait, which the worker uses to schedule the next run."""
    if report.status == "lease_lost":
        return
    if report.status == "ok":
        mailbox.last_sync_at = now
        if mailbox.status in STOPPED:
            mailbox.status, mailbox.status_detail = "ok", ""
        return
    mailbox.errors = (mailbox.errors or 0) + 1
    mailbox.last_error = f"{report.status}: {report.error or 'unknown error'}"[:1000]
    if report.status == "error":
        wait = error_wait(mailbox, now)  # before last_error_at is overwritten
        report.retry_after = wait.total_seconds()
        mailbox.status, mailbox.status_detail = "error", detail(mailbox, "error", report.error, wait)
    elif report.status in STOPPED:
        mailbox.status, mailbox.status_detail = report.status, detail(mailbox, report.status, report.error)
    mailbox.last_error_at = now


def mark_stopped(mailbox: Mailbox, report) -> None:
    """A run that needs a person (sign-in, a permission) or failed: status and status_detail only."""
    if report.status in STOPPED:
        mailbox.status, mailbox.status_detail = report.status, detail(mailbox, report.status, report.error)


def _span(wait: dt.timedelta) -> Text:
    minutes = round(wait.total_seconds() / 60)
    if minutes < 60:
        return _("%(minutes)s min", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)
    return _("%(hours)s h", hours=hours)
