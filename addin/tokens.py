"""Validating the pane's Entra ID access tokens for our API (PyJWT, RS256, keys by `kid`)."""
from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.request

import jwt
from jwt import PyJWK

from addin.auth import AuthError, Identity, bearer_token
from addin.config import Config

log = logging.getLogger(__name__)

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LEEWAY_SECONDS = 60


class JwksCache:
    """The signing keys at `url`, fetched lazily, kept for `max_age`, and refetched at most
    once per `min_refetch` when a token names a key we do not know (key rollover)."""

    def __init__(self, url: str, *, max_age: float = 24 * 3600, min_refetch: float = 300, timeout: float = 5):
        self.url, self.max_age, self.min_refetch, self.timeout = url, max_age, min_refetch, timeout
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def key(self, kid: str) -> PyJWK | None:
        now = time.monotonic()
        with self._lock:
            stale = now - self._fetched_at > self.max_age
            unknown = kid not in self._keys and now - self._fetched_at > self.min_refetch
            if stale or unknown:
                self._refresh(now)
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        self._fetched_at = now  # even on failure: never hammer the key endpoint
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                document = json.load(response)
        except (OSError, ValueError) as error:
            log.warning("could not fetch the signing keys from %s: %s", self.url, error)
            return
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                try:
                    keys[jwk["kid"]] = PyJWK(jwk, algorithm="RS256")
                except jwt.PyJWTError:
                    continue
        if keys:
            self._keys = keys


class EntraAuthenticator:
    """Validates every part of the token: signature (RS256 only, key by kid), issuer (with the
    token's tenant), audience, expiry/not-before, tenant allow-list and the API scope."""

    def __init__(self, config: Config):
        if not (config.jwks_url and config.token_issuer and config.api_audience):
            raise ValueError("Entra mode needs DEALPANE_JWKS_URL, DEALPANE_TOKEN_ISSUER and DEALPANE_API_AUDIENCE")
        self.config = config
        self.keys = JwksCache(config.jwks_url)

    def identify(self) -> Identity:
        claims = self.validate(bearer_token())
        return Identity(
            email=claims.get("preferred_username") or claims.get("upn") or claims.get("email"),
            display_name=claims.get("name"),
            tenant_id=claims["tid"],
            object_id=claims["oid"],
        )

    def validate(self, token: str) -> dict:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
                raise AuthError()
            key = self.keys.key(header["kid"])
            if key is None:
                raise AuthError()
            unverified = jwt.decode(token, options={"verify_signature": False})
            tenant = unverified.get("tid")
            if not isinstance(tenant, str) or not GUID.match(tenant):
                raise AuthError()
            if self.config.allowed_tenants and tenant not in self.config.allowed_tenants:
                raise AuthError()
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self.config.api_audience,
                issuer=self.config.token_issuer.replace("{tenantid}", tenant),
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "tid", "oid"]},
            )
        except jwt.PyJWTError as error:
            log.info("token rejected: %s", type(error).__name__)  # never the token itself
            raise AuthError() from None
        scopes = str(claims.get("scp", "")).split()
        if self.config.api_scope not in scopes or not isinstance(claims.get("oid"), str):
            raise AuthError()
        return claims
