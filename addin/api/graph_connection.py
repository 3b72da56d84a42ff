"""POST /api/v1/me/graph-connection: the pane (or the workspace) proves the user's Graph grant at start.

Delegated mode: a fresh on-behalf-of exchange with the caller's token. When it succeeds the grant is
stored for the background sync, and the user's mailboxes waiting for a sign-in become ok and due at
once (issue 14, section 3). When Entra asks for something only the user can do, consent or MFA /
Conditional Access, the answer is 401 with the error and the claims challenge in WWW-Authenticate
(addin.errors.GraphChallenge), so the pane offers Reconnect: an interactive sign-in with those claims
and the Graph scopes to consent to, then this call again.
Application and dev mode: nothing to exchange; the answer says so and lists the user's mailboxes.
"""
import datetime as dt
from typing import Literal, Optional

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel

from addin.errors import GraphChallenge, problem
from addin.i18n import tr
from graph_sync.tokens import NeedsSignIn
from storage.i18n import _
from storage.models.mailbox import MAILBOX_STATUSES
from storage.services.mailboxes import grant_renewed, own_delegated_mailboxes
from storage.types import utcnow

from . import schemas as s
from .context import commit, current_user, json_response, pane_token, release_read_transaction, session

bp = APIBlueprint("graph_connection", __name__, url_prefix="/api/v1/me", abp_tags=[Tag(name="graph")],
                  abp_security=[{"entra": []}, {"dev": []}])
CHALLENGE_TYPE = "https://dealpane.dev/problems/graph-interaction-required"


class ConnectionMailboxOut(BaseModel):
    mailbox: str
    workspace_id: str
    status: Literal[MAILBOX_STATUSES]  # type: ignore[valid-type]
    status_detail: str
    next_sync_at: Optional[dt.datetime]


class GraphConnectionOut(BaseModel):
    state: Literal["connected", "application", "dev"]
    detail: str
    recovered: list[str]
    mailboxes: list[ConnectionMailboxOut]


class GraphChallengeProblem(s.Problem):
    """A 401: the caller's own token is refused (no members below), or Entra needs them (`error`)."""

    error: Optional[Literal["consent_required", "interaction_required"]] = None
    claims: Optional[str] = None
    scopes: list[str] = []


DETAILS = {  # said in the request's language
    "connected": lambda: _("Dealpane can reach your mailbox through Microsoft Graph."),
    "application": lambda: _("Your administrator connects mailboxes for Dealpane; there is nothing to sign in to."),
    "dev": lambda: _("Demo mode: the mailbox is the built-in fake Graph."),
}


@bp.post("/graph-connection", responses={200: GraphConnectionOut, 401: GraphChallengeProblem, 409: s.Problem,
                                         503: s.Problem})
def connect_graph():
    """Check (and store) the caller's Microsoft Graph grant; the pane calls it once at start.

    Delegated mode: exchanges the caller's token for Graph (on-behalf-of); on success the caller's
    mailboxes that needed a sign-in are ok and synced at once. 401 `graph-interaction-required` when
    Entra needs the user: `error` consent_required or interaction_required, `claims` (the claims
    challenge, JSON) and `scopes` (the Graph permissions to consent to) for an interactive sign-in,
    after which the pane calls again."""
    services = current_app.extensions["dealpane"]
    user = current_user()
    mode = services.graph.settings.auth
    recovered = []
    if mode == "delegated":
        token = pane_token()
        if not token:
            return problem(401, _("Sign in with your work account."), headers={"WWW-Authenticate": "Bearer"})
        release_read_transaction()
        try:
            services.graph.connect(user, token)
        except NeedsSignIn as error:
            return _challenge(error)
        recovered = [m.address for m in grant_renewed(session(), user.id, utcnow())]
    state = "connected" if mode == "delegated" else ("application" if mode == "application" else "dev")
    mailboxes = [ConnectionMailboxOut(mailbox=m.address, workspace_id=m.workspace_id, status=m.status,
                                      status_detail=tr(m.status_detail or ""), next_sync_at=m.next_sync_at
                                      ).model_dump(mode="json")
                 for m in own_delegated_mailboxes(session(), user.id)]
    commit()
    return json_response({"state": state, "detail": tr(DETAILS[state]()), "recovered": recovered,
                          "mailboxes": mailboxes})


def _challenge(error: NeedsSignIn):
    found = GraphChallenge.of(error)
    if found is None:  # not a refusal the user can answer (cannot happen right after an exchange)
        return problem(409, _("Dealpane has no access to your mailbox yet: sign in from the Outlook pane."),
                       type_="https://dealpane.dev/problems/mailbox-needs-sign-in")
    detail = (_("Dealpane needs your consent to use your mailbox: choose Reconnect.")
              if found.error == "consent_required" else
              _("Your organization asks you to sign in again (for example with multi-factor authentication) "
                "before Dealpane can use your mailbox: choose Reconnect."))
    return problem(401, detail, type_=CHALLENGE_TYPE, headers={"WWW-Authenticate": found.header()},
                   extra=found.members())
