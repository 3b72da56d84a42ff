"""The workspace in Entra mode, against the stand-in Entra ID (graph_sync/fake/entra*.py).

- `entra_app()`: the app with `auth_mode="entra"` on a seeded SQLite file, served on loopback. It
  validates the tokens the browser sends with the stand-in's signing keys, fetched over plain http
  from a second loopback server (`jwks_url`), so the path page → Entra → our API is the real one.
- `EntraRoute`: Playwright routes every request to https://login.microsoftonline.com (the page's
  fetches, the popup's and the hidden frame's navigations) into the stand-in's WSGI app, and keeps
  what was asked (never a token) for the tests to check.
"""
from __future__ import annotations

import logging
import re
import urllib.parse
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from addin.app import create_app
from addin.config import Config, sqlite_url
from addin.workspace import REDIRECT_PATH
from graph_sync.fake.entra import PUBLIC_CLOUD, EntraApp, EntraUser, StandinEntra
from graph_sync.fake.entra_http import EntraWsgi
from storage import migrate
from storage.db import UnitOfWork
from storage.demo import DEMO_COLLEAGUE, DEMO_OWNER, seed_demo
from tests.live_server import served

ENTRA_ROUTE = f"{PUBLIC_CLOUD}/**"




@dataclass
class EntraWorld:
    """The stand-in tenant and the Dealpane app registration the server is configured with."""

    entra: StandinEntra
    tenant_id: str
    registration: EntraApp
    owner: EntraUser  # demo@contoso.com: owns the seeded Demo workspace
    colleague: EntraUser  # alex.wilber@contoso.com: a member of it
    outsider: EntraUser  # another organisation's user (the app is single-tenant)
    base_url: str = ""
    app: object = None

    @property
    def redirect_uri(self) -> str:
        return self.base_url + REDIRECT_PATH

    def registered(self, *uris: str, token_version: int | None = 2) -> None:
        """The app registration's SPA redirect URIs and requestedAccessTokenVersion, as a test needs them."""
        self.registration.spa_redirect_uris = tuple(uris)
        self.registration.token_version = token_version


def make_world() -> EntraWorld:
    entra = StandinEntra()
    tenant = str(uuid.uuid4())
    client_id = str(uuid.uuid4())
    registration = entra.add_app(EntraApp(client_id=client_id, secret="unused-by-a-spa", home_tenant=tenant,
                                          app_id_uri=f"api://dealpane.example/{client_id}", token_version=2))
    return EntraWorld(entra=entra, tenant_id=tenant, registration=registration,
                      owner=entra.add_user(tenant, DEMO_OWNER, "Diego Siciliani"),
                      colleague=entra.add_user(tenant, DEMO_COLLEAGUE, "Alex Wilber"),
                      outsider=entra.add_user(str(uuid.uuid4()), "megan.bowen@fabrikam.com", "Megan Bowen"))


@contextmanager
def entra_app(database: Path, world: EntraWorld, **settings):
    """Dealpane in Entra mode for `world`'s registration; yields `world` with base_url and app set.
    `settings`: further Config fields (the pane's tests: demo=True for the Office stand-in)."""
    with served(EntraWsgi(world.entra)) as keys_host:
        config = Config(database_url=sqlite_url(database), auth_mode="entra", client_id=world.registration.client_id,
                        tenant_id=world.tenant_id, api_uri=world.registration.app_id_uri,
                        jwks_url=f"{keys_host}/common/discovery/v2.0/keys", **settings)
        app = create_app(config)
        services = app.extensions["dealpane"]
        migrate.upgrade(services.engine)
        with UnitOfWork(services.session_factory) as unit:
            seed_demo(unit.session)
            unit.commit()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        try:
            with served(app) as base_url:
                world.base_url, world.app = base_url, app
                yield world
        finally:
            if hasattr(services.graph, "close"):
                services.graph.close()
            services.engine.dispose()


@dataclass
class Seen:
    """One request the browser sent to Entra: method, path and query/form names with their values,
    except the secrets (codes, verifiers, refresh tokens, assertions)."""

    method: str
    path: str
    params: dict = field(default_factory=dict)
    origin: str | None = None
    status: int = 0

    SECRET = ("code", "code_verifier", "refresh_token", "assertion", "client_secret", "id_token_hint")

    @property
    def endpoint(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class EntraRoute:
    """Answers the browser's requests to login.microsoftonline.com with the stand-in's WSGI app."""

    def __init__(self, world: EntraWorld):
        self.world = world
        self.wsgi = EntraWsgi(world.entra)
        self.seen: list[Seen] = []

    def install(self, context) -> None:
        context.route(ENTRA_ROUTE, self._handle)

    def _handle(self, route) -> None:
        playwright_request = route.request
        url = urllib.parse.urlsplit(playwright_request.url)
        headers = playwright_request.all_headers()
        body = playwright_request.post_data_buffer
        environ = EnvironBuilder(path=url.path, base_url=f"{url.scheme}://{url.netloc}", query_string=url.query,
                                 method=playwright_request.method, headers=headers, data=body).get_environ()
        request = Request(environ)
        response = self.wsgi.handle(request)
        params = {**request.args.to_dict(), **(request.form.to_dict() if request.method == "POST" else {})}
        self.seen.append(Seen(request.method, url.path, {k: v for k, v in params.items() if k not in Seen.SECRET},
                              headers.get("origin"), response.status_code))
        route.fulfill(status=response.status_code, headers={k: v for k, v in response.headers.items()},
                      body=response.get_data())

    def to(self, endpoint: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.endpoint == endpoint]


SECRETS_IN_URL = re.compile(r"\b(code|id_token|access_token|refresh_token|client_info)=[^&#\s'\"]+")
OFF_MACHINE = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z]+://")


class EntraSession:
    """One browser context on the Entra-mode workspace: Entra answered by the stand-in, everything
    else off the machine refused, and what every page of the context (the workspace, the sign-in
    popup, the hidden renewal frame) reported: uncaught errors, CSP refusals."""

    def __init__(self, browser, world: EntraWorld, *, viewport: dict, timeout_ms: int, locale: str = "en-US"):
        self.world = world
        self.context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Europe/Berlin",
                                           service_workers="block")
        self.context.set_default_timeout(timeout_ms)
        self.errors: list[str] = []
        self.csp: list[str] = []
        self.outside: list[str] = []
        self.context.on("weberror", lambda error: self.errors.append(str(error.error)))
        self.context.on("console", self._console)

        def refuse(route):
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")
        self.context.route(OFF_MACHINE, refuse)
        self.entra = EntraRoute(world)
        self.entra.install(self.context)  # registered last: runs before the refusal for Entra's URLs
        self.page = self.context.new_page()

    def _console(self, message) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused" in message.text
                                        or "Trusted Type" in message.text):
            self.csp.append(SECRETS_IN_URL.sub(r"\1=…", message.text))  # a refused URL may carry a code

    def open(self, view: str = "opportunities"):
        self.page.goto(f"{self.world.base_url}/workspace/#/{view}")
        self.wait_ready()
        return self.page

    def wait_ready(self) -> None:
        self.page.wait_for_selector("main[aria-busy='false'] h1")

    def close(self) -> None:
        self.context.close()
