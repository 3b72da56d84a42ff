"""Graph clients for request handlers: which token, which mailbox, per the configuration."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from addin.config import Config
from graph_sync.msgraph_adapter import MsGraphClient
from graph_sync.port import GraphClient
from graph_sync.tokens import DEV_TOKEN, ApplicationTokens, CacheCipher, DelegatedTokens, TokenCacheStore
from storage.models import User

MAX_CLIENTS = 256


class GraphAccess:
    """Builds (and keeps, per user) Graph clients; tokens come from MSAL or, in dev mode, a fixed token."""

    def __init__(self, config: Config, session_factory: Callable, client_factory=MsGraphClient):
        self.config = config
        self._session_factory = session_factory
        self._client_factory = client_factory
        self._clients: OrderedDict[str, GraphClient] = OrderedDict()
        self._lock = threading.Lock()
        self._delegated: DelegatedTokens | None = None
        self._application: ApplicationTokens | None = None

    def client_for(self, user: User, pane_token: str | None = None) -> GraphClient:
        mode = self.config.graph_auth
        if mode == "delegated":
            tokens = self._delegated_tokens()
            if pane_token:
                tokens.exchange(user.id, pane_token)  # refresh the stored grant from the pane's token
            return self._cached(user.id, lambda: self._client_factory(
                self.config.graph_base_url, lambda: tokens.token_for(user.id)))
        if mode == "application":
            app = self._application_tokens()
            return self._cached(user.id, lambda: self._client_factory(
                self.config.graph_base_url, app.token, mailbox=user.email))
        return self._cached(user.id, lambda: self._client_factory(self.config.graph_base_url, lambda: DEV_TOKEN))

    def _cached(self, key: str, build: Callable[[], GraphClient]) -> GraphClient:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = build()
                self._clients[key] = client
                while len(self._clients) > MAX_CLIENTS:
                    _, old = self._clients.popitem(last=False)
                    old.close()
            self._clients.move_to_end(key)
            return client

    def _delegated_tokens(self) -> DelegatedTokens:
        if self._delegated is None:
            store = TokenCacheStore(self._session_factory, CacheCipher(self.config.secret_key or ""))
            self._delegated = DelegatedTokens(client_id=self.config.client_id or "",
                                              client_secret=self.config.client_secret or "",
                                              tenant_id=self.config.tenant_id or "", store=store)
        return self._delegated

    def _application_tokens(self) -> ApplicationTokens:
        if self._application is None:
            self._application = ApplicationTokens(client_id=self.config.client_id or "",
                                                  client_secret=self.config.client_secret or "",
                                                  tenant_id=self.config.tenant_id or "")
        return self._application

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
