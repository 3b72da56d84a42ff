"""Shared fixtures: the stand-in Entra ID over HTTPS on loopback, and the fake Graph checking its tokens.

`entra_world` starts a StandinEntra behind its HTTPS token endpoint (graph_sync/fake/entra_http.py)
with a throwaway CA, and points the process at that CA for the test: REQUESTS_CA_BUNDLE for MSAL
Python (requests), SSL_CERT_FILE for the API's key fetch (urllib, OpenSSL's default paths). It
registers Dealpane as the README does, with one user whose mailbox is the demo mailbox:

    world.entra, world.app, world.user          # the stand-in, the registration, the demo user
    world.authority_host                        # DEALPANE_AUTHORITY_HOST
    world.graph()                               # the fake Graph accepting only this Entra's tokens
    world.config(engine, graph_url, ...)        # a Config for the API with Entra auth and Graph access
    world.pane_token(user)                      # what the pane sends our API for `user`
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from addin.config import Config
from graph_sync.fake import FakeGraph
from graph_sync.fake.cli import DEMO_MAILBOX
from graph_sync.fake.entra import EntraApp, EntraUser, StandinEntra
from graph_sync.fake.entra_http import EntraServer
from graph_sync.tokens import DELEGATED_PERMISSIONS

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "5a1e2f3c-0d4b-4e6f-8a9b-0c1d2e3f4a5b"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "stand-in-client-secret"
API_URI = f"api://dealpane.example/{CLIENT_ID}"
SECRET_KEY = "a-long-enough-test-secret-key"
# The demo mailbox's owner (graph_sync/fake/demo_mailbox.json): the Entra user is the same person.
DEMO_MAILBOX_DATA = json.loads(DEMO_MAILBOX.read_text(encoding="utf-8"))
DEMO_OWNER_ID = DEMO_MAILBOX_DATA["user"]["id"]
DEMO_OWNER_UPN = DEMO_MAILBOX_DATA["user"]["userPrincipalName"]
# The application permissions of README's table (graph_sync.permissions.FEATURES), all granted.
ALL_APP_ROLES = ("Mail.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Tasks.ReadWrite.All",
                 "User.Read.All")


@dataclass
class EntraWorld:
    entra: StandinEntra
    server: EntraServer
    app: EntraApp
    user: EntraUser
    graphs: list[FakeGraph] = field(default_factory=list)

    @property
    def authority_host(self) -> str:
        return self.server.authority_host

    def graph(self, mailbox: dict | None = None) -> FakeGraph:
        fake = FakeGraph(mailbox if mailbox is not None else DEMO_MAILBOX_DATA, entra=self.entra)
        fake.start(port=0)
        self.graphs.append(fake)
        return fake

    def pane_token(self, user: EntraUser | None = None, **claims) -> str:
        """The pane's access token for our API (NAA), v2.0 as the README's registration asks."""
        return self.entra.api_token(self.app, user or self.user, version=2, **claims)

    def config(self, engine, graph_url: str, *, graph_auth: str = "delegated", tenant_id: str = TENANT,
               **overrides) -> Config:
        values = dict(database_url=engine.url.render_as_string(hide_password=False), auth_mode="entra",
                      client_id=CLIENT_ID, client_secret=CLIENT_SECRET, tenant_id=tenant_id, api_uri=API_URI,
                      authority_host=self.authority_host, graph_base_url=graph_url, graph_auth=graph_auth,
                      secret_key=SECRET_KEY, graph_page_size=5)
        return Config(**{**values, **overrides})

    def token_requests(self, grant: str | None = None) -> list[dict]:
        """The token endpoint's log; refusals are logged with the grant type as sent (the OBO URN)."""
        names = {grant, "urn:ietf:params:oauth:grant-type:jwt-bearer"} if grant == "on_behalf_of" else {grant}
        return [r for r in self.entra.requests if grant is None or r.get("grant") in names]


@pytest.fixture
def entra_world(tmp_path_factory, monkeypatch):
    """The stand-in Entra on HTTPS, Dealpane registered in TENANT (v2.0 tokens, Graph consented by an
    admin for the tenant), and the demo mailbox's owner as a user of that tenant."""
    entra = StandinEntra()
    app = entra.add_app(EntraApp(client_id=CLIENT_ID, secret=CLIENT_SECRET, home_tenant=TENANT, app_id_uri=API_URI,
                                 token_version=2))
    user = entra.add_user(TENANT, DEMO_OWNER_UPN, DEMO_MAILBOX_DATA["user"]["displayName"], object_id=DEMO_OWNER_ID)
    entra.consent(app, TENANT, DELEGATED_PERMISSIONS)
    server = EntraServer(entra, tmp_path_factory.mktemp("entra-tls"))
    server.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
    world = EntraWorld(entra=entra, server=server, app=app, user=user)
    yield world
    for fake in world.graphs:
        fake.stop()
    server.stop()
