"""Validating the Entra ID access tokens the pane and the workspace send our API (PyJWT, RS256).

Entra issues our API one of two token formats, chosen by the app registration's manifest
(`api.requestedAccessTokenVersion`; null — the default — or 1 gives v1.0, 2 gives v2.0), whatever
endpoint the client used: https://learn.microsoft.com/entra/identity-platform/access-tokens#token-formats
Claims per https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference :

    ver "2.0": iss = https://login.microsoftonline.com/{tid}/v2.0, aud = the API's client id (always)
    ver "1.0": iss = https://sts.windows.net/{tid}/, aud = the application ID URI the client asked
               for, or the client id

Exactly these shapes pass for the configured app; the tenant must be the app's own (single-tenant) or,
for a multi-tenant app, any work tenant (DEALPANE_ALLOWED_TENANTS narrows it), never the personal
Microsoft account tenant. Signing keys come from Entra's tenant-independent keys endpoint; a key
published for one tenant only signs that tenant's tokens (the key's `issuer`, same page,
"Validate the issuer").
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import ssl
import threading
import time
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import jwt
from jwt import PyJWK

from addin.auth import AuthError, Identity, bearer_token
from addin.config import Config

log = logging.getLogger(__name__)

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
V1_ISSUER = "https://sts.windows.net/{tid}/"
V2_ISSUER = "https://login.microsoftonline.com/{tid}/v2.0"
# Personal Microsoft accounts sign in under this tenant id (claims reference, `iss` and `tid`):
# Dealpane serves work and school accounts only.
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
LEEWAY_SECONDS = 60
# Tokens already validated, by SHA-256 (the tokens themselves are not kept): the pane sends the same
# token with every call for its hour of life, and checking it again gives the same answer until it
# expires. Bounded: the least recently used go first.
VALIDATED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class SigningKey:
    key: PyJWK
    tenant: str | None  # None: the key signs for every tenant ("{tenantid}" in its issuer)


class JwksCache:
    """Entra's signing keys, fetched on first use, kept for `max_age`, fetched again at most once per
    `min_refetch` when a token names a key we do not know (key rollover; a stream of made-up `kid`s
    must not make us hammer Entra), and retried after `retry_failed` when a fetch failed (the keys we
    had stay in use meanwhile).

    `clock` is monotonic time: it may start near 0 on a freshly booted host, so "never fetched" is
    its own state, not a timestamp of 0."""

    def __init__(self, url: str, *, max_age: float = 24 * 3600, min_refetch: float = 300, retry_failed: float = 30,
                 timeout: float = 5, clock: Callable[[], float] = time.monotonic,
                 fetch: Callable[[str, float], dict] | None = None):
        self.url, self.max_age, self.min_refetch, self.retry_failed = url, max_age, min_refetch, retry_failed
        self.timeout, self._clock, self._fetch = timeout, clock, fetch or _fetch_json
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._last_failed = False
        self._lock = threading.Lock()

    def key(self, kid: str) -> SigningKey | None:
        with self._lock:
            now = self._clock()
            if self._due(now, kid):
                self._refresh(now)
            return self._keys.get(kid)

    def _due(self, now: float, kid: str) -> bool:
        if self._attempted_at is None:
            return True
        since_attempt = now - self._attempted_at
        if self._last_failed:
            return since_attempt >= self.retry_failed
        if now - self._fetched_at >= self.max_age:
            return True
        return kid not in self._keys and since_attempt >= self.min_refetch

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            document = self._fetch(self.url, self.timeout)
        except (OSError, ValueError) as error:
            self._last_failed = True
            log.warning("could not fetch the signing keys from %s: %s", self.url, error)
            return
        keys = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid") or \
                    jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[jwk["kid"]] = SigningKey(PyJWK(jwk, algorithm="RS256"), _key_tenant(jwk.get("issuer")))
            except jwt.PyJWTError:
                continue
        if not keys:
            self._last_failed = True
            log.warning("the signing keys document at %s holds no usable key", self.url)
            return
        self._keys, self._fetched_at, self._last_failed = keys, now, False


def _key_tenant(issuer: object) -> str | None:
    """The only tenant a key may sign for, from its `issuer` (None: any tenant, or not said)."""
    if not isinstance(issuer, str) or "{tenantid}" in issuer:
        return None
    match = re.search(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", issuer)
    return match.group(0) if match else None


def _fetch_json(url: str, timeout: float) -> dict:
    # The system's CA store (SSL_CERT_FILE is honoured by OpenSSL's defaults).
    context = ssl.create_default_context()
    with urllib.request.urlopen(url, timeout=timeout, context=context if url.startswith("https:") else None) \
            as response:  # noqa: S310 - a configured URL
        return json.load(response)


def verified_username(claims: dict) -> str | None:
    """The user's sign-in name as their tenant assigned it, or None. Who the user is, is `tid` + `oid`
    (storage.services.access); this name is shown, and accepts an invitation made for this tenant.

    - v2.0: `preferred_username`, "the primary username that represents the user"; v1.0: `upn`, "the
      username of the user" (access token claims reference:
      https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference ). Each is
      read only from its own format.
    - never `unique_name`: "can be different within a tenant ... only for display purposes" (same page);
      a v1.0 token without `upn` (a guest) has no verified username.
    - never `email`: it "is not guaranteed to come from a verified email address" and is how "nOAuth"
      takes over accounts (https://learn.microsoft.com/entra/identity-platform/migrate-off-email-claim-authorization );
      `xms_edov` would only say the domain's owner verified it, not that it is this user's name.
    Microsoft says not to authorise by these names at all ("Never use claims like email,
    preferred_username or unique_name ...", https://learn.microsoft.com/entra/identity-platform/claims-validation ):
    Dealpane never does, except to let the tenant an invitation was made for name who accepts it.
    """
    name = claims.get("preferred_username") if claims.get("ver") == "2.0" else claims.get("upn")
    if not isinstance(name, str):
        return None
    name = name.strip()
    if not name or len(name) > 320 or "@" not in name or any(c.isspace() for c in name):
        return None  # a phone number or a bare name is no address to match an invitation
    return name.lower()


class EntraAuthenticator:
    """Validates every part of the token: signature (RS256 only, key by `kid`, key scoped to its
    tenant), version and the issuer and audience of that version, expiry/not-before, the tenant,
    the API scope and the caller's object id."""

    def __init__(self, config: Config, *, keys: JwksCache | None = None):
        if not (config.client_id and config.tenant_id):
            raise ValueError("Entra mode needs DEALPANE_CLIENT_ID and DEALPANE_TENANT_ID")
        self.config = config
        self.keys = keys or JwksCache(config.signing_keys_url)
        self.v1_audiences = {config.client_id, *((config.api_resource,) if config.api_resource else ())}
        self._validated: OrderedDict[bytes, dict] = OrderedDict()
        self._validated_lock = threading.Lock()
        self.clock: Callable[[], float] = time.time

    def identify(self) -> Identity:
        claims = self.validate(bearer_token())
        username = verified_username(claims)
        return Identity(
            email=username,
            display_name=claims.get("name"),
            tenant_id=claims["tid"],
            object_id=claims["oid"],
            username=username,
            home_tenant=None if self.config.multi_tenant else self.config.tenant_id.lower(),
        )

    def _tenant_allowed(self, tenant: str) -> bool:
        config = self.config
        if not config.multi_tenant:
            return tenant == config.tenant_id.lower()
        if tenant == CONSUMER_TENANT:
            return False
        return not config.allowed_tenants or tenant in config.allowed_tenants

    def validate(self, token: str) -> dict:
        """The token's claims when every rule passes; AuthError otherwise. A token that passed before
        passes again without the work until it expires (exp + the leeway PyJWT allowed)."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        with self._validated_lock:
            known = self._validated.get(digest)
            if known is not None:
                if known["exp"] + LEEWAY_SECONDS > self.clock():
                    self._validated.move_to_end(digest)
                    return dict(known)
                del self._validated[digest]
        claims = self._validate(token)
        with self._validated_lock:
            self._validated[digest] = claims
            while len(self._validated) > VALIDATED_CACHE_SIZE:
                self._validated.popitem(last=False)
        return dict(claims)

    def _validate(self, token: str) -> dict:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
                raise AuthError()
            unverified = jwt.decode(token, options={"verify_signature": False})
            tenant, version = unverified.get("tid"), unverified.get("ver")
            if not isinstance(tenant, str) or not GUID.match(tenant) or not self._tenant_allowed(tenant):
                raise AuthError()
            if version == "2.0":
                issuer, audience = V2_ISSUER.format(tid=tenant), [self.config.client_id]
            elif version == "1.0":
                issuer, audience = V1_ISSUER.format(tid=tenant), sorted(self.v1_audiences)
            else:
                raise AuthError()
            signing = self.keys.key(header["kid"])
            if signing is None or (signing.tenant is not None and signing.tenant != tenant):
                raise AuthError()
            claims = jwt.decode(
                token,
                key=signing.key.key,
                algorithms=["RS256"],
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "nbf", "iss", "aud", "tid", "oid", "ver"]},
            )
        except jwt.PyJWTError as error:
            log.info("token rejected: %s", type(error).__name__)  # never the token itself
            raise AuthError() from None
        scopes = claims.get("scp")
        oid = claims.get("oid")
        # An app-only token has `roles` and no `scp`: our API serves users only.
        if not isinstance(scopes, str) or self.config.api_scope not in scopes.split():
            raise AuthError()
        if not isinstance(oid, str) or not GUID.match(oid):
            raise AuthError()
        return claims
