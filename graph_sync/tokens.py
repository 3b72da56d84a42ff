"""Graph access tokens with MSAL.

- delegated: on-behalf-of the pane's user (ConfidentialClientApplication), the MSAL token
  cache kept per user in the database, encrypted; later calls (the background sync) use
  acquire_token_silent, so the sync keeps working while the user is away. A revoked or
  expired grant raises NeedsSignIn.
- application: client credentials, for mailboxes an admin connected.
- dev: a fixed token for the fake Graph (demo and tests only).

Tokens are never logged: log lines name the user id and MSAL's error code only.
"""
from __future__ import annotations

import base64
import logging
import threading
from typing import Callable

import msal
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import orm as so

from storage.models import GraphTokenCache
from storage.types import utcnow

log = logging.getLogger(__name__)

# Short names: Graph is the default resource, and Entra answers with these short names, so
# MSAL's cache lookups match what it stored.
GRAPH_SCOPES = ["Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Tasks.ReadWrite"]
APP_SCOPES = ["https://graph.microsoft.com/.default"]
DEV_TOKEN = "dealpane-dev-token"


class NeedsSignIn(Exception):
    """No usable grant for this user: they must open the pane (sign in) again."""


class TokenConfigError(Exception):
    """The Entra app settings needed for Graph tokens are missing."""


class CacheCipher:
    """Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from DEALPANE_SECRET_KEY by HKDF."""

    def __init__(self, secret_key: str):
        if not secret_key or len(secret_key) < 16:
            raise TokenConfigError("DEALPANE_SECRET_KEY must be set (at least 16 characters) to store Graph tokens")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dealpane", info=b"msal token cache").derive(
            secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode())

    def decrypt(self, blob: bytes) -> str | None:
        try:
            return self._fernet.decrypt(blob).decode()
        except InvalidToken:
            log.warning("a stored token cache could not be decrypted (secret key changed?); ignoring it")
            return None


class TokenCacheStore:
    """Per-user MSAL caches in the graph_token_cache table, encrypted at rest."""

    def __init__(self, session_factory: Callable[[], so.Session], cipher: CacheCipher):
        self._session_factory, self._cipher = session_factory, cipher

    def load(self, user_id: str) -> msal.SerializableTokenCache:
        cache = msal.SerializableTokenCache()
        with self._session_factory() as session:
            row = session.get(GraphTokenCache, user_id)
            text = self._cipher.decrypt(row.blob) if row is not None else None
        if text:
            cache.deserialize(text)
        return cache

    def save(self, user_id: str, cache: msal.SerializableTokenCache) -> None:
        if not cache.has_state_changed:
            return
        blob = self._cipher.encrypt(cache.serialize())
        with self._session_factory() as session:
            row = session.get(GraphTokenCache, user_id)
            if row is None:
                session.add(GraphTokenCache(user_id=user_id, blob=blob))
            else:
                row.blob, row.updated_at = blob, utcnow()
            session.commit()

    def forget(self, user_id: str) -> None:
        with self._session_factory() as session:
            session.execute(sa.delete(GraphTokenCache).where(GraphTokenCache.user_id == user_id))
            session.commit()


class DelegatedTokens:
    """On-behalf-of tokens for the pane's user, kept usable for the background sync."""

    def __init__(self, *, client_id: str, client_secret: str, tenant_id: str, store: TokenCacheStore,
                 authority_host: str = "https://login.microsoftonline.com", scopes: list[str] | None = None,
                 http_client=None):
        if not (client_id and client_secret and tenant_id):
            raise TokenConfigError("delegated Graph access needs DEALPANE_CLIENT_ID, DEALPANE_CLIENT_SECRET and "
                                   "DEALPANE_TENANT_ID")
        self._client_id, self._secret = client_id, client_secret
        self._authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self._store = store
        self._scopes = scopes or GRAPH_SCOPES
        self._http_client = http_client
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _app(self, cache: msal.SerializableTokenCache) -> msal.ConfidentialClientApplication:
        kwargs = {"http_client": self._http_client} if self._http_client is not None else {}
        return msal.ConfidentialClientApplication(
            self._client_id, client_credential=self._secret, authority=self._authority, token_cache=cache,
            instance_discovery=False, **kwargs)

    def _lock(self, user_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(user_id, threading.Lock())

    def exchange(self, user_id: str, pane_token: str) -> str:
        """On-behalf-of: the pane's access token for our API -> a Graph token (cached)."""
        with self._lock(user_id):
            cache = self._store.load(user_id)
            result = self._app(cache).acquire_token_on_behalf_of(user_assertion=pane_token, scopes=self._scopes)
            self._store.save(user_id, cache)
        return self._token_or_raise(user_id, result)

    def token_for(self, user_id: str, force_refresh: bool = False) -> str:
        """A Graph token from the cache (refreshed with the refresh token when needed, or when
        Graph has just refused the cached one: force_refresh)."""
        with self._lock(user_id):
            cache = self._store.load(user_id)
            app = self._app(cache)
            accounts = app.get_accounts()
            result = app.acquire_token_silent(self._scopes, account=accounts[0], force_refresh=force_refresh) \
                if accounts else None
            self._store.save(user_id, cache)
        if not result:
            raise NeedsSignIn("no Graph grant is stored for this user; they must open the pane to sign in")
        return self._token_or_raise(user_id, result)

    @staticmethod
    def _token_or_raise(user_id: str, result: dict) -> str:
        if "access_token" in result:
            return result["access_token"]
        code = result.get("error", "unknown_error")
        log.warning("Graph token for user %s refused by Entra: %s", user_id, code)  # never the token
        if code in ("invalid_grant", "interaction_required", "consent_required", "login_required"):
            raise NeedsSignIn(f"Entra refused the grant ({code}); the user must sign in again")
        raise NeedsSignIn(f"Entra did not issue a Graph token ({code})")


class ApplicationTokens:
    """Client-credentials tokens for the mailboxes an admin connected (MSAL caches them in memory)."""

    def __init__(self, *, client_id: str, client_secret: str, tenant_id: str,
                 authority_host: str = "https://login.microsoftonline.com", http_client=None):
        if not (client_id and client_secret and tenant_id):
            raise TokenConfigError("application Graph access needs DEALPANE_CLIENT_ID, DEALPANE_CLIENT_SECRET and "
                                   "DEALPANE_TENANT_ID")
        kwargs = {"http_client": http_client} if http_client is not None else {}
        self._app = msal.ConfidentialClientApplication(
            client_id, client_credential=client_secret, authority=f"{authority_host.rstrip('/')}/{tenant_id}",
            instance_discovery=False, **kwargs)
        self._lock = threading.Lock()

    def token(self, force: bool = False) -> str:
        with self._lock:
            if force:
                self._app.remove_tokens_for_client()
            result = self._app.acquire_token_for_client(scopes=APP_SCOPES)
        if "access_token" not in result:
            code = result.get("error", "unknown_error")
            log.error("application Graph token refused by Entra: %s", code)
            raise NeedsSignIn(f"Entra did not issue an application token ({code}); check the app registration")
        return result["access_token"]
