"""POST /api/v1/me/graph-connection outside delegated Entra mode, and the mailbox states it reports.

The delegated exchange itself (success, consent, MFA, recovery of a needs-sign-in mailbox) runs end
to end against the stand-in Entra in tests/sync/test_entra_delegated.py.
"""
import datetime as dt

import pytest
import sqlalchemy as sa

from addin.app import create_app
from storage.db import UnitOfWork
from storage.models import Mailbox, User
from storage.services.mailboxes import connect_mailbox, grant_renewed
from storage.types import utcnow

from .conftest import OWNER, Api

PATH = "/api/v1/me/graph-connection"


def api_for(config, engine, **changes) -> Api:
    app = create_app(config.with_(**changes), engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    api = Api(app.test_client(), OWNER)
    api.ws = api.ok(api.post("/api/v1/workspaces", {"name": "Sales"}), 201)["id"]
    return api


@pytest.mark.parametrize("graph_auth,state", [("dev", "dev"), ("application", "application")])
def test_outside_delegated_mode_there_is_nothing_to_exchange(config, engine, graph_auth, state):
    api = api_for(config, engine, graph_auth=graph_auth)
    answer = api.ok(api.post(PATH))
    assert answer["state"] == state and answer["recovered"] == [] and answer["mailboxes"] == []
    assert answer["detail"]


def test_delegated_mode_without_a_bearer_token_is_a_plain_401(config, engine):
    api = api_for(config, engine, graph_auth="delegated")  # dev auth: a user, but no token to exchange
    response = api.post(PATH)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert "error" not in response.get_json() and response.headers["WWW-Authenticate"] == "Bearer"


def test_a_renewed_grant_recovers_only_the_users_own_stopped_mailboxes(config, engine, session_factory):
    api = api_for(config, engine, graph_auth="dev")
    with UnitOfWork(session_factory) as uow:
        owner = uow.session.scalars(sa.select(User).where(User.email == OWNER)).one()
        own, _ = connect_mailbox(uow.session, api.ws, OWNER, "delegated")
        shared, _ = connect_mailbox(uow.session, api.ws, "sales@contoso.com", "application")
        own.status, shared.status = "needs_sign_in", "needs_sign_in"
        uow.commit()
        ids = own.id, shared.id
    now = utcnow()
    with UnitOfWork(session_factory) as uow:
        recovered = grant_renewed(uow.session, owner.id, now)
        uow.commit()
    assert [m.id for m in recovered] == [ids[0]]
    with session_factory() as session:
        mine, theirs = (session.get(Mailbox, i) for i in ids)
    assert mine.status == "ok" and abs(mine.next_sync_at - now) < dt.timedelta(seconds=1)
    assert theirs.status == "needs_sign_in"  # an admin's application mailbox is not the user's to recover
    statuses = {m["mailbox"]: m["status"] for m in api.ok(api.get("/api/v1/sync/status"))["items"]}
    assert statuses == {OWNER: "ok", "sales@contoso.com": "needs_sign_in"}


def test_a_mailboxs_status_detail_is_said_in_the_readers_language(config, engine, session_factory):
    """The sync writes the detail once (graph_sync/state.py); each reader gets it in their language: it is
    stored with its msgid and parameters (storage.types.SpokenText), Graph's own words quoted as they came."""
    from graph_sync.port import GraphPermissionError
    from graph_sync.state import fail, record_outcome
    from graph_sync.sync import SyncReport

    api = api_for(config, engine, graph_auth="dev")
    with UnitOfWork(session_factory) as uow:
        mine, _ = connect_mailbox(uow.session, api.ws, OWNER, "delegated")
        shared, _ = connect_mailbox(uow.session, api.ws, "sales@contoso.com", "application")
        refused, failed = SyncReport(mailbox=OWNER), SyncReport(mailbox="sales@contoso.com")
        fail(refused, GraphPermissionError("Access is denied.", status=403, code="ErrorAccessDenied",
                                           permission="Mail.Read", what="read mail",
                                           doc="https://learn.microsoft.com/graph/api/user-list-messages"))
        fail(failed, RuntimeError("the fake broke"))
        record_outcome(mine, refused, utcnow())
        record_outcome(shared, failed, utcnow())
        uow.commit()
    english = {m["mailbox"]: m["status_detail"] for m in api.ok(api.get("/api/v1/sync/status"))["items"]}
    assert english[OWNER].startswith("Microsoft Graph refused to read mail: Dealpane needs the delegated "
                                     "permission Mail.Read")
    assert english["sales@contoso.com"] == ("Sync failed: RuntimeError: the fake broke. "
                                            "Dealpane tries again in 5 min.")
    french = {m["mailbox"]: m["status_detail"] for m in api.ok(api.get(
        "/api/v1/sync/status", headers={"Accept-Language": "fr-FR"}))["items"]}
    assert "Mail.Read" in french[OWNER] and "Microsoft Graph a refusé" in french[OWNER], french[OWNER]
    assert french["sales@contoso.com"] == ("La synchronisation a échoué : RuntimeError: the fake broke. "
                                           "Dealpane réessaiera dans 5 min.")
    with session_factory() as session:  # the CLI and the logs read English words
        assert session.get(Mailbox, mine.id).status_detail == english[OWNER]
