"""Who is calling: an Entra access token (production) or the X-Dev-User header (demo/dev only)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request

from storage.i18n import _


class AuthError(Exception):
    """No or invalid credentials: 401 with a WWW-Authenticate challenge, and no detail that helps an attacker."""

    def __init__(self, detail: str | None = None, error: str | None = "invalid_token"):
        detail = detail or _("A valid access token is required.")
        super().__init__(detail)
        self.detail = detail
        self.error = error


@dataclass(frozen=True)
class Identity:
    """The caller as the credentials name them; resolved to a User row per request.

    Entra: `tenant_id` + `object_id` are the user; `username` is the token's verified username
    (addin.tokens.verified_username) or None, and `email` the same, for display. Dev: `email` only."""

    email: str | None
    display_name: str | None = None
    tenant_id: str | None = None
    object_id: str | None = None
    username: str | None = None
    # The app's own tenant when it is single-tenant (then every token is of that tenant), else None.
    home_tenant: str | None = None

    @property
    def is_entra(self) -> bool:
        return self.object_id is not None


class DevAuthenticator:
    """Demo/dev mode only: trust the X-Dev-User header. Never enabled by default."""

    header = "X-Dev-User"

    def identify(self) -> Identity:
        email = (request.headers.get(self.header) or "").strip()
        if not email:
            raise AuthError(_("Send the %(header)s header (dev mode).", header=self.header), error=None)
        if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
            raise AuthError(_("%(header)s must be an e-mail address.", header=self.header), error=None)
        return Identity(email=email.lower())


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(error=None)
    return token.strip()
