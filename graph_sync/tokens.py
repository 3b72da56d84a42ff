"""Graph access tokens with MSAL.

- delegated: on-behalf-of the pane's user (ConfidentialClientApplication), the MSAL token
  cache kept per user in the database, encrypted; later calls (the background sync) use
  acquire_token_silent_with_error, so the sync keeps working while the user is away. No grant
  stored, and a grant Entra refuses (revoked, expired, consent withdrawn, MFA now required),
  raise NeedsSignIn; the second carries Entra's error, codes and claims challenge.
- application: client credentials, for mailboxes an admin connected.
- dev: a fixed token for the fake Graph (demo and tests only).

Multi-tenant (DEALPANE_TENANT_ID=organizations): the on-behalf-of exchange and the refreshes for
a user go to that user's own tenant, `{authority_host}/{tid}`, never /organizations or /common,
or Entra issues the token in the wrong tenant for guests:
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#middle-tier-access-token-request
("the tenant-specific ... token endpoint"), https://github.com/AzureAD/microsoft-identity-web/issues/1738,
https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/issues/4606.
A single-tenant app stays on its own tenant for everyone.

Tokens are never logged: log lines name the user id and MSAL's error code only.
"""
from __future__ import annotations

import base64
import contextlib
import logging
import threading
from typing import Callable, Iterable, Iterator

import msal
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import orm as so

from storage.models import GraphTokenCache
from storage.types import utcnow

from .port import GraphTransientError

log = logging.getLogger(__name__)

PUBLIC_CLOUD = "https://login.microsoftonline.com"
MULTI_TENANT = ("organizations", "common")
# Full scope names, as in the on-behalf-of page's request and response examples (the response's
# `scope` lists https://graph.microsoft.com/... names): MSAL files a token under the response's scopes
# and finds it again only when asked in the same form; asked with short names, every silent request
# would go to Entra with the refresh token.
# https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#success-response-example
# What each is for: graph_sync/permissions.py. User.Read: translateExchangeIds (linking the open item)
# needs one of the User.* permissions,
# https://learn.microsoft.com/graph/api/user-translateexchangeids?view=graph-rest-1.0#permissions
GRAPH_RESOURCE = "https://graph.microsoft.com"
DELEGATED_PERMISSIONS = ("Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Tasks.ReadWrite", "User.Read")
GRAPH_SCOPES = [f"{GRAPH_RESOURCE}/{name}" for name in DELEGATED_PERMISSIONS]
APP_SCOPES = ["https://graph.microsoft.com/.default"]
DEV_TOKEN = "dealpane-dev-token"
# Entra's answers that only the user can resolve, by signing in interactively (MSAL's "UI required"):
# https://learn.microsoft.com/entra/msal/python/advanced/msal-error-handling-python
INTERACTIVE_ERRORS = ("invalid_grant", "interaction_required", "consent_required", "login_required")


class NeedsSignIn(Exception):
    """No usable grant for this user: they must open the pane (sign in) again.

    `error`, `suberror`, `codes` (the AADSTS numbers) and `claims` come from Entra when it refused;
    all are empty when no grant is stored at all."""

    def __init__(self, message: str, *, error: str | None = None, suberror: str | None = None,
                 codes: Iterable[int] = (), claims: str | None = None, description: str | None = None):
        super().__init__(message)
        self.error, self.suberror, self.codes = error, suberror, tuple(codes or ())
        self.claims, self.description = claims, description

    @property
    def refused(self) -> bool:
        """Entra answered and refused (as opposed to: nothing stored to ask with)."""
        return self.error is not None

    @property
    def consent_required(self) -> bool:
        # AADSTS65001: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
        return self.suberror == "consent_required" or self.error == "consent_required" or 65001 in self.codes

    @property
    def interaction_required(self) -> bool:
        """MFA or another Conditional Access control: the error carries a claims challenge
        (AADSTS50076, 50079, 50158...): https://learn.microsoft.com/entra/identity-platform/claims-challenge"""
        return self.error == "interaction_required" or bool(self.claims)


class TokenConfigError(Exception):
    """The Entra app settings needed for Graph tokens are missing."""


@contextlib.contextmanager
def _entra_reachable(authority: str) -> Iterator[None]:
    """Entra down or unreachable is transient (try again later), not a refusal."""
    try:
        yield
    except requests.RequestException as error:
        raise GraphTransientError(f"Entra ID at {authority} could not be reached ({type(error).__name__})") from None
    except ValueError as error:  # MSAL could not read the authority's configuration: no such tenant
        raise NeedsSignIn(f"Entra does not know the authority {authority} ({error})", error="invalid_tenant") from None


def _refusal(result: dict) -> dict:
    """The parts of an MSAL error result we keep (never a token)."""
    return {"error": result.get("error") or "unknown_error", "suberror": result.get("suberror"),
            "codes": [c for c in result.get("error_codes") or [] if isinstance(c, int)],
            "claims": result.get("claims") or None,
            "description": str(result.get("error_description") or "").split(" Trace ID:")[0][:300] or None}


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
                 authority_host: str = PUBLIC_CLOUD, scopes: list[str] | None = None, http_client=None):
        if not (client_id and client_secret and tenant_id):
            raise TokenConfigError("delegated Graph access needs DEALPANE_CLIENT_ID, DEALPANE_CLIENT_SECRET and "
                                   "DEALPANE_TENANT_ID")
        self._client_id, self._secret = client_id, client_secret
        self._host = authority_host.rstrip("/")
        self._tenant = tenant_id
        self.multi_tenant = tenant_id.lower() in MULTI_TENANT
        self._store = store
        self.scopes = list(scopes or GRAPH_SCOPES)
        # One HTTP session (kept-alive connections to Entra) and one http_cache for every MSAL app
        # object built here: MSAL reads each authority's OpenID configuration when an app object is
        # built, and the shared cache keeps that to once per authority, not once per token request.
        self._http_client, self._owns_http = http_client or requests.Session(), http_client is None
        self._http_cache: dict = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def authority_for(self, user_tenant: str | None) -> str:
        """The user's own tenant when the app is multi-tenant; the app's tenant otherwise."""
        if not self.multi_tenant:
            return f"{self._host}/{self._tenant}"
        if not user_tenant or user_tenant.lower() in MULTI_TENANT:
            raise NeedsSignIn("the user's Entra tenant is not known yet; they must open the pane once")
        return f"{self._host}/{user_tenant}"

    def _app(self, cache: msal.SerializableTokenCache, authority: str) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self._client_id, client_credential=self._secret, authority=authority, token_cache=cache,
            instance_discovery=False, http_cache=self._http_cache, http_client=self._http_client)

    def close(self) -> None:
        if self._owns_http:
            self._http_client.close()

    def _lock(self, user_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(user_id, threading.Lock())

    def exchange(self, user_id: str, pane_token: str, tenant_id: str | None = None) -> str:
        """On-behalf-of: the pane's access token for our API -> a Graph token (cached). `tenant_id`:
        the user's tenant (the pane token's `tid`), used when the app is multi-tenant."""
        authority = self.authority_for(tenant_id)
        with self._lock(user_id), _entra_reachable(authority):
            cache = self._store.load(user_id)
            result = self._app(cache, authority).acquire_token_on_behalf_of(user_assertion=pane_token,
                                                                            scopes=self.scopes)
            self._store.save(user_id, cache)
        return self._token_or_raise(user_id, result)

    def token_for(self, user_id: str, force_refresh: bool = False, tenant_id: str | None = None) -> str:
        """A Graph token from the cache (refreshed with the refresh token when needed, or when
        Graph has just refused the cached one: force_refresh). NeedsSignIn without `error` when no
        grant is stored; with Entra's error when Entra refused the stored grant."""
        authority = self.authority_for(tenant_id)
        with self._lock(user_id), _entra_reachable(authority):
            cache = self._store.load(user_id)
            app = self._app(cache, authority)
            accounts = app.get_accounts()
            # _with_error: a refusal comes back as Entra's error, not as None ("nothing cached"):
            # https://msal-python.readthedocs.io/en/latest/#msal.ClientApplication.acquire_token_silent_with_error
            result = app.acquire_token_silent_with_error(self.scopes, account=accounts[0],
                                                         force_refresh=force_refresh) if accounts else None
            self._store.save(user_id, cache)
        if not result:
            raise NeedsSignIn("no Graph grant is stored for this user; they must open the pane to sign in")
        return self._token_or_raise(user_id, result)

    @staticmethod
    def _token_or_raise(user_id: str, result: dict) -> str:
        if "access_token" in result:
            return result["access_token"]
        refusal = _refusal(result)
        log.warning("Graph token for user %s refused by Entra: %s %s", user_id, refusal["error"],
                    refusal["codes"])  # never the token
        code = refusal["error"]
        if code in INTERACTIVE_ERRORS or refusal["suberror"]:
            aadsts = f", AADSTS{refusal['codes'][0]}" if refusal["codes"] else ""
            raise NeedsSignIn(f"Entra refused the grant ({code}{aadsts}); the user must sign in again", **refusal)
        raise NeedsSignIn(f"Entra did not issue a Graph token ({code})", **refusal)


class ApplicationTokenRefused(NeedsSignIn):
    """Entra refused the app's own credentials (wrong secret, app not in the tenant, ...)."""


class ApplicationTokens:
    """Client-credentials tokens for the mailboxes an admin connected (MSAL caches them in memory).

    Client credentials need the tenant itself (a GUID or a domain): /organizations and /common
    name no tenant to issue an app-only token in.
    https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow (the `tenant`
    parameter of "First case: Access token request with a shared secret")
    """

    def __init__(self, *, client_id: str, client_secret: str, tenant_id: str,
                 authority_host: str = PUBLIC_CLOUD, http_client=None):
        settings = (("DEALPANE_CLIENT_ID", client_id), ("DEALPANE_CLIENT_SECRET", client_secret),
                    ("DEALPANE_TENANT_ID", tenant_id))
        missing = [name for name, value in settings if not value]
        if missing:
            raise TokenConfigError(f"application Graph access needs {', '.join(missing)}")
        if tenant_id.lower() in MULTI_TENANT:
            raise TokenConfigError(f"application Graph access needs the tenant's own id in DEALPANE_TENANT_ID, not "
                                   f"'{tenant_id}': client credentials are issued in one tenant")
        self._client_id, self._secret = client_id, client_secret
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self._http_client, self._owns_http = http_client or requests.Session(), http_client is None
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def _application(self) -> msal.ConfidentialClientApplication:
        """Built on first use (MSAL reads the authority's configuration when built)."""
        if self._app is None:
            try:
                with _entra_reachable(self.authority):
                    self._app = msal.ConfidentialClientApplication(
                        self._client_id, client_credential=self._secret, authority=self.authority,
                        instance_discovery=False, http_client=self._http_client)
            except NeedsSignIn as error:  # no such tenant
                raise ApplicationTokenRefused(f"{error}; check DEALPANE_TENANT_ID", error="invalid_tenant") from None
        return self._app

    def token(self, force: bool = False) -> str:
        with self._lock:
            app = self._application()
            if force:
                app.remove_tokens_for_client()
            with _entra_reachable(self.authority):
                result = app.acquire_token_for_client(scopes=APP_SCOPES)
        if "access_token" not in result:
            refusal = _refusal(result)
            log.error("application Graph token refused by Entra: %s %s", refusal["error"], refusal["codes"])
            aadsts = f", AADSTS{refusal['codes'][0]}" if refusal["codes"] else ""
            raise ApplicationTokenRefused(f"Entra did not issue an application token ({refusal['error']}{aadsts}); "
                                          "check the app registration", **refusal)
        return result["access_token"]

    def close(self) -> None:
        if self._owns_http:
            self._http_client.close()
