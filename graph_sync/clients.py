"""Graph clients per user or mailbox: which token, which mailbox path, per the settings.

Used by request handlers (the pane's user, with the pane's token for on-behalf-of) and by
the sync worker (a connected mailbox, from the stored grant or the app's credentials).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa

from storage.errors import Conflict
from storage.i18n import _
from storage.models import Mailbox, User

from . import loop
from .msgraph_adapter import MsGraphClient, build_http
from .port import GraphClient
from .tokens import (
    DEV_TOKEN, MULTI_TENANT, ApplicationTokens, CacheCipher, DelegatedTokens, NeedsSignIn, TokenCacheStore,
)

# Clients kept (least recently used dropped). A client built by MsGraphClient here shares the one
# HTTP pipeline of its GraphAccess (connection pool, TLS sessions: msgraph_adapter.build_http), so
# it is ~1 KiB and ~1 ms to build (bench, 300 clients on loopback: 21.6 ms each with a pipeline of
# its own, 0.9 ms sharing one): 1,000 application-mode mailboxes keep theirs, one pool for all.
MAX_CLIENTS = 4096


def _dev_token(force: bool = False) -> str:
    return DEV_TOKEN


@dataclass(frozen=True)
class GraphSettings:
    base_url: str
    auth: str  # delegated | application | dev
    client_id: str | None = None
    client_secret: str | None = None
    tenant_id: str | None = None
    secret_key: str | None = None
    page_size: int = 200
    authority_host: str = "https://login.microsoftonline.com"
    addin_id: str | None = None  # the manifest's add-in id: the sync reads the pane's stamp under it (stamp.py)

    @property
    def multi_tenant(self) -> bool:
        return (self.tenant_id or "").lower() in MULTI_TENANT


class GraphAccess:
    """Builds (and keeps, bounded) Graph clients; tokens come from MSAL or, in dev mode, a fixed token."""

    def __init__(self, settings: GraphSettings, session_factory: Callable, client_factory=MsGraphClient):
        self.settings = settings
        self._session_factory = session_factory
        self._client_factory = client_factory
        self._clients: OrderedDict[str, GraphClient] = OrderedDict()
        self._lock = threading.Lock()
        self._delegated: DelegatedTokens | None = None
        self._application: ApplicationTokens | None = None
        self._http = None  # the shared HTTP pipeline, built with the first MsGraphClient

    def client_for(self, user: User, pane_token: str | None = None) -> GraphClient:
        """The signed-in user's own mailbox."""
        if self.settings.auth == "delegated":
            tokens = self.delegated_tokens()
            user_id, tenant = user.id, user.tenant_id
            if pane_token:
                try:  # the stored grant usually still works: no call to Entra on every request
                    tokens.token_for(user_id, tenant_id=tenant)
                except NeedsSignIn:
                    tokens.exchange(user_id, pane_token, tenant_id=tenant)
            return self._cached(f"user:{user.id}", lambda: self._build(
                lambda force=False: tokens.token_for(user_id, force_refresh=force, tenant_id=tenant),
                limit_key=user.email))
        if self.settings.auth == "application":
            # The app's own token reaches every mailbox of the tenant: it acts only on the mailbox an
            # admin connected for this user (storage.services.mailboxes), never on an address taken
            # from a sign-in (a token's names are display only: addin.tokens.verified_username).
            address = self._connected_mailbox(user.id)
            app = self.application_tokens()
            return self._cached(f"user:{user.id}:{address}", lambda: self._build(app.token, mailbox=address))
        return self._cached(f"user:{user.id}", lambda: self._build(_dev_token, limit_key=user.email))

    def connect(self, user: User, pane_token: str) -> None:
        """A fresh on-behalf-of exchange with the pane's token (the pane calls this once at start):
        it proves the user's grant works now, and stores it for the background sync. Raises
        NeedsSignIn with Entra's error (consent, MFA...) when it does not."""
        self.delegated_tokens().exchange(user.id, pane_token, tenant_id=user.tenant_id)

    def client_for_mailbox(self, mailbox: Mailbox) -> GraphClient:
        """A connected mailbox, for the sync worker (no user present). A delegated mailbox's grant is
        refreshed in its owner's tenant when the app is multi-tenant."""
        if mailbox.mode == "delegated":
            if not mailbox.user_id:
                raise NeedsSignIn("this mailbox has no user grant; its owner must open the pane once")
            tokens, user_id = self.delegated_tokens(), mailbox.user_id
            owner_tenant = self._tenant_of(user_id) if tokens.multi_tenant else None
            return self._cached(f"mailbox:{mailbox.id}", lambda: self._build(
                lambda force=False: tokens.token_for(user_id, force_refresh=force, tenant_id=owner_tenant),
                limit_key=mailbox.address))
        if mailbox.mode == "application":
            app = self.application_tokens()
            return self._cached(f"mailbox:{mailbox.id}", lambda: self._build(app.token, mailbox=mailbox.address))
        return self._cached(f"mailbox:{mailbox.id}", lambda: self._build(_dev_token, limit_key=mailbox.address))

    def _build(self, token_provider, mailbox: str | None = None, limit_key: str | None = None) -> GraphClient:
        """Called under self._lock (_cached). The app-only token (ApplicationTokens.token) is one per
        tenant, cached by MSAL until near its expiry: clients of many mailboxes share it, no
        acquisition per mailbox or per pass."""
        stamp = {"addin_id": self.settings.addin_id} if self.settings.addin_id else {}
        if self._client_factory is MsGraphClient:  # a test's own factory builds its own pipeline
            if self._http is None:
                self._http = loop.run(build_http(self.settings.base_url))
            stamp["http"] = self._http
        return self._client_factory(self.settings.base_url, token_provider, mailbox=mailbox,
                                    page_size=self.settings.page_size, limit_key=limit_key or mailbox, **stamp)

    def _cached(self, key: str, build: Callable[[], GraphClient]) -> GraphClient:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = build()
                self._clients[key] = client
                while len(self._clients) > MAX_CLIENTS:
                    _key, old = self._clients.popitem(last=False)
                    old.close()
            self._clients.move_to_end(key)
            return client

    def _connected_mailbox(self, user_id: str) -> str:
        """The address of the application-mode mailbox an admin connected for this user (the latest)."""
        with self._session_factory() as session:
            address = session.scalar(sa.select(Mailbox.address).where(
                Mailbox.user_id == user_id, Mailbox.mode == "application")
                .order_by(Mailbox.created_at.desc(), Mailbox.id.desc()).limit(1))
        if address is None:
            raise Conflict(_("No mailbox of yours is connected to Dealpane: ask your administrator to connect it."))
        return address

    def _tenant_of(self, user_id: str) -> str | None:
        with self._session_factory() as session:
            user = session.get(User, user_id)
            return user.tenant_id if user is not None else None

    def delegated_tokens(self) -> DelegatedTokens:
        if self._delegated is None:
            store = TokenCacheStore(self._session_factory, CacheCipher(self.settings.secret_key or ""))
            self._delegated = DelegatedTokens(client_id=self.settings.client_id or "",
                                              client_secret=self.settings.client_secret or "",
                                              tenant_id=self.settings.tenant_id or "", store=store,
                                              authority_host=self.settings.authority_host)
        return self._delegated

    def application_tokens(self) -> ApplicationTokens:
        if self._application is None:
            self._application = ApplicationTokens(client_id=self.settings.client_id or "",
                                                  client_secret=self.settings.client_secret or "",
                                                  tenant_id=self.settings.tenant_id or "",
                                                  authority_host=self.settings.authority_host)
        return self._application

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            http, self._http = self._http, None
        if http is not None:
            loop.run(http.aclose())
        for tokens in (self._delegated, self._application):
            if tokens is not None:
                tokens.close()
        self._delegated = self._application = None  # built again if used after all
