"""A stand-in for Microsoft Entra ID: the tokens it issues, claim for claim, and its token endpoint.

Entra is the one edge we cannot run, so this module models what Microsoft documents, and the tests
that use it fail where Entra would refuse:

- Access tokens for our API in both formats. Which one an API gets is the API's choice in its app
  manifest (`api.requestedAccessTokenVersion`, formerly `accessTokenAcceptedVersion`): null or 1
  gives v1.0 tokens, 2 gives v2.0 tokens, whatever endpoint the client called.
  https://learn.microsoft.com/entra/identity-platform/access-tokens#token-formats
  Claims per https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference :
  v1.0: `iss` = https://sts.windows.net/{tid}/, `aud` = the application ID URI the client asked
  for (or the client id), `appid`/`appidacr`, `upn`/`unique_name`, `acr`, `amr`, header `x5t`;
  v2.0: `iss` = https://login.microsoftonline.com/{tid}/v2.0, `aud` = always the API's client id,
  `azp`/`azpacr`, `preferred_username`. Both: `tid`, `oid`, `sub` (pairwise), `scp`, `ver`, `uti`.
- Microsoft Graph tokens are v1.0 tokens for `https://graph.microsoft.com` whatever the client's
  format (the on-behalf-of page's example), with `scp` for a user or `roles` for an app, and a
  `nonce` header that makes them unverifiable by anyone but Graph:
  https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#middle-tier-access-token-response
- The signing keys as the tenant-independent keys endpoint serves them, with the `issuer` each key
  may sign for: https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer

The HTTP side (discovery, keys, authorize, token) is in entra_http.py.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Iterable

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PUBLIC_CLOUD = "https://login.microsoftonline.com"
V1_ISSUER = "https://sts.windows.net/{tid}/"
V2_ISSUER = "https://login.microsoftonline.com/{tid}/v2.0"
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# Scopes the v2.0 endpoint adds to every sign-in; they are not permissions of a resource.
OIDC_SCOPES = {"openid", "profile", "email", "offline_access"}
ACCESS_TOKEN_SECONDS = 3600  # Entra picks 60-90 minutes; a fixed hour keeps tests readable


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uti() -> str:
    return b64url(secrets.token_bytes(16))


@dataclass
class EntraUser:
    """A work account of one tenant. `mfa_required`: Conditional Access asks for MFA before any
    on-behalf-of token (error AADSTS50076 with a claims challenge)."""

    tenant_id: str
    upn: str
    name: str
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    mfa_required: bool = False

    @property
    def given_name(self) -> str:
        return self.name.split(" ")[0]

    @property
    def family_name(self) -> str:
        return self.name.split(" ")[-1]


@dataclass
class EntraApp:
    """An app registration: our API, its single-page-application platform (the pane and the
    workspace sign in with it) and its confidential client (on-behalf-of, client credentials).

    `token_version`: the manifest's requestedAccessTokenVersion (None = v1.0, Entra's default).
    `delegated_consent`: per tenant, the Graph scopes users (or an admin for all) consented to.
    `app_roles`: per tenant, the Graph application permissions an admin granted."""

    client_id: str
    secret: str
    home_tenant: str
    app_id_uri: str | None = None
    token_version: int | None = None
    multi_tenant: bool = False
    api_scopes: tuple[str, ...] = ("access_as_user",)
    spa_redirect_uris: tuple[str, ...] = ()
    delegated_consent: dict[str, set[str]] = field(default_factory=dict)
    app_roles: dict[str, set[str]] = field(default_factory=dict)
    display_name: str = "Dealpane"

    def accepts_tenant(self, tenant_id: str) -> bool:
        return self.multi_tenant or tenant_id == self.home_tenant

    def resource_ids(self) -> set[str]:
        return {self.client_id, *((self.app_id_uri,) if self.app_id_uri else ())}


class EntraError(Exception):
    """An OAuth error as Entra's token endpoint returns it (RFC 6749 section 5.2 plus Entra's fields)."""

    def __init__(self, error: str, code: int, description: str, status: int = 400, suberror: str | None = None,
                 claims: str | None = None):
        super().__init__(f"{error}: AADSTS{code}: {description}")
        self.error, self.code, self.description = error, code, description
        self.status, self.suberror, self.claims = status, suberror, claims

    def body(self) -> dict:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
        body = {"error": self.error,
                "error_description": f"AADSTS{self.code}: {self.description} Trace ID: {trace} "
                                     f"Correlation ID: {correlation} Timestamp: {stamp}",
                "error_codes": [self.code], "timestamp": stamp, "trace_id": trace, "correlation_id": correlation,
                "error_uri": f"{PUBLIC_CLOUD}/error?code={self.code}"}
        if self.suberror:
            body["suberror"] = self.suberror
        if self.claims:
            body["claims"] = self.claims
        return body


class SigningKey:
    """An RSA key as Entra publishes it: `kid` and `x5t` are the certificate's SHA-1 thumbprint."""

    def __init__(self, issuer: str = V2_ISSUER.replace("{tid}", "{tenantid}")):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = b64url(hashlib.sha1(public).digest())  # noqa: S324 - a thumbprint, as Entra's
        self.issuer = issuer

    def jwk(self) -> dict:
        numbers = self.private.public_key().public_numbers()

        def b64int(n: int) -> str:
            return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

        return {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": b64int(numbers.n),
                "e": b64int(numbers.e), "issuer": self.issuer}


class StandinEntra:
    """Tenants' users, app registrations, the keys and every token issued. Thread-safe."""

    def __init__(self):
        self.keys = [SigningKey()]
        self.users: dict[str, EntraUser] = {}  # by object id
        self.apps: dict[str, EntraApp] = {}
        self.requests: list[dict] = []  # every token request: grant type, client, tenant, outcome
        self.browser_user: EntraUser | None = None  # who is signed in to the stand-in's browser session
        self._refresh: dict[str, dict] = {}  # refresh token -> grant
        self._codes: dict[str, dict] = {}  # authorization code -> grant
        self._revoked: set[str] = set()  # object ids whose refresh tokens were revoked
        self._lock = threading.Lock()

    # ---- registry ------------------------------------------------------------------------------

    def add_user(self, tenant_id: str, upn: str, name: str, **options) -> EntraUser:
        user = EntraUser(tenant_id=tenant_id, upn=upn, name=name, **options)
        self.users[user.object_id] = user
        return user

    def add_app(self, app: EntraApp) -> EntraApp:
        self.apps[app.client_id] = app
        return app

    def consent(self, app: EntraApp, tenant_id: str, scopes: Iterable[str]) -> None:
        app.delegated_consent.setdefault(tenant_id, set()).update(scopes)

    def grant_roles(self, app: EntraApp, tenant_id: str, roles: Iterable[str]) -> None:
        app.app_roles.setdefault(tenant_id, set()).update(roles)

    def revoke_sessions(self, user: EntraUser) -> None:
        """As `revokeSignInSessions`: every refresh token of the user stops working."""
        with self._lock:
            self._revoked.add(user.object_id)

    def rotate_keys(self) -> SigningKey:
        """Key rollover: a new key signs from now on; the old one is still published for a while."""
        key = SigningKey()
        self.keys.insert(0, key)
        return key

    def jwks(self) -> dict:
        return {"keys": [key.jwk() for key in self.keys]}

    # ---- tokens as Entra mints them ------------------------------------------------------------

    def api_token(self, app: EntraApp, user: EntraUser, *, scopes: Iterable[str] = ("access_as_user",),
                  client_id: str | None = None, version: int | None = None, audience: str | None = None,
                  lifetime: int = ACCESS_TOKEN_SECONDS, key: SigningKey | None = None, now: int | None = None,
                  **overrides) -> str:
        """An access token for our API, as the pane receives it (NAA: the client is our own SPA
        registration, a public client: `appidacr`/`azpacr` "0"). `audience` is what the client asked
        for: the application ID URI or the client id (v1.0 puts it in `aud`; v2.0 always the client id)."""
        version = version or app.token_version or 1
        now = int(time.time()) if now is None else now
        client = client_id or app.client_id
        claims: dict = {"iat": now, "nbf": now, "exp": now + lifetime, "aio": b64url(secrets.token_bytes(24)),
                        "name": user.name, "oid": user.object_id, "rh": "0.A" + b64url(secrets.token_bytes(12)) + ".",
                        "scp": " ".join(scopes), "sub": self._pairwise_sub(user, app), "tid": user.tenant_id,
                        "uti": _uti()}
        if version == 2:
            claims.update(aud=app.client_id, iss=V2_ISSUER.format(tid=user.tenant_id), azp=client, azpacr="0",
                          preferred_username=user.upn, ver="2.0")
        else:
            claims.update(aud=audience or app.app_id_uri or app.client_id, iss=V1_ISSUER.format(tid=user.tenant_id),
                          acr="1", amr=["pwd", "mfa"] if user.mfa_required else ["pwd"], appid=client,
                          appidacr="0", family_name=user.family_name, given_name=user.given_name,
                          ipaddr="203.0.113.7", unique_name=user.upn, upn=user.upn, ver="1.0")
        claims.update(overrides)
        return self._sign({k: v for k, v in claims.items() if v is not None}, key, x5t=version != 2)

    def graph_token(self, *, app: EntraApp, tenant_id: str, user: EntraUser | None = None,
                    permissions: Iterable[str], lifetime: int = ACCESS_TOKEN_SECONDS) -> tuple[str, int]:
        """A Microsoft Graph token (v1.0 format, Graph's `nonce` header): delegated with `scp`, or
        app-only with `roles` (`idtyp` says which). Returns (token, expires_in)."""
        now = int(time.time())
        claims: dict = {"aud": GRAPH_RESOURCE, "iss": V1_ISSUER.format(tid=tenant_id), "iat": now, "nbf": now,
                        "exp": now + lifetime, "aio": b64url(secrets.token_bytes(24)), "app_displayname": app.display_name,
                        "appid": app.client_id, "appidacr": "1", "tid": tenant_id, "uti": _uti(), "ver": "1.0",
                        "xms_tcdt": 1700000000}
        if user is not None:
            claims.update(acr="1", amr=["pwd"], family_name=user.family_name, given_name=user.given_name,
                          idtyp="user", name=user.name, oid=user.object_id, scp=" ".join(sorted(permissions)),
                          sub=self._pairwise_sub(user, app), unique_name=user.upn, upn=user.upn)
        else:
            service_principal = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{app.client_id}"))
            claims.update(idtyp="app", oid=service_principal, roles=sorted(permissions), sub=service_principal)
        return self._sign(claims, None, x5t=True, nonce=b64url(secrets.token_bytes(32))), lifetime

    def id_token(self, app: EntraApp, user: EntraUser, *, nonce: str | None = None) -> str:
        """A v2.0 ID token: https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference"""
        now = int(time.time())
        claims = {"aud": app.client_id, "iss": V2_ISSUER.format(tid=user.tenant_id), "iat": now, "nbf": now,
                  "exp": now + 3600, "name": user.name, "oid": user.object_id, "preferred_username": user.upn,
                  "rh": "0.A" + b64url(secrets.token_bytes(12)) + ".", "sub": self._pairwise_sub(user, app),
                  "tid": user.tenant_id, "uti": _uti(), "ver": "2.0", "nonce": nonce}
        return self._sign({k: v for k, v in claims.items() if v is not None}, None, x5t=False)

    def graph_claims(self, token: str) -> dict:
        """What Graph itself reads from a token it receives (the fake Graph calls this): signature by
        one of our keys, audience Graph, not expired. Raises jwt.PyJWTError otherwise."""
        header = jwt.get_unverified_header(token)
        key = next((k for k in self.keys if k.kid == header.get("kid")), None)
        if key is None:
            raise jwt.InvalidSignatureError("unknown signing key")
        return jwt.decode(token, key.private.public_key(), algorithms=["RS256"], audience=GRAPH_RESOURCE,
                          options={"require": ["exp", "tid", "oid"]})

    def _pairwise_sub(self, user: EntraUser, app: EntraApp) -> str:
        # `sub` differs per application for the same user (claims reference).
        return b64url(hashlib.sha256(f"{user.object_id}|{app.client_id}".encode()).digest())[:43]

    def _sign(self, claims: dict, key: SigningKey | None, *, x5t: bool, nonce: str | None = None) -> str:
        key = key or self.keys[0]
        headers = {"typ": "JWT", "kid": key.kid}
        if x5t:
            headers["x5t"] = key.kid
        if nonce:
            headers["nonce"] = nonce
        return jwt.encode(claims, key.private, algorithm="RS256", headers=headers)

    # ---- the grants the token endpoint serves (entra_http.py calls these) ----------------------

    def _log(self, **entry) -> None:
        with self._lock:
            self.requests.append(entry)

    def _client(self, client_id: str, secret: str | None, tenant: str, *, confidential: bool = True) -> EntraApp:
        app = self.apps.get(client_id)
        if app is None:
            raise EntraError("unauthorized_client", 700016, f"Application with identifier '{client_id}' was not found "
                             f"in the directory '{tenant}'.")
        if confidential and not secrets.compare_digest(secret or "", app.secret):
            raise EntraError("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                             f"sent in the request is the client secret value, not the client secret ID, for a "
                             f"secret added to app '{client_id}'.", status=401)
        return app

    @staticmethod
    def _graph_permissions(scope: str, *, app_only: bool) -> set[str]:
        names = set()
        for item in scope.split():
            if item in OIDC_SCOPES:
                continue
            if app_only:
                if item != f"{GRAPH_RESOURCE}/.default":
                    raise EntraError("invalid_scope", 1002012, f"The provided value for scope {item} is not valid. "
                                     "Client credential flows must have a scope value with /.default suffixed to "
                                     "the resource identifier (application ID URI).")
                continue
            names.add(item.removeprefix(f"{GRAPH_RESOURCE}/"))
        return names

    def client_credentials(self, tenant: str, form: dict) -> dict:
        app = self._client(form.get("client_id", ""), form.get("client_secret"), tenant)
        self._graph_permissions(form.get("scope", ""), app_only=True)
        if not _is_guid(tenant):
            raise EntraError("invalid_request", 90009, "Application is requesting a token for itself. This scenario "
                             "is supported only if resource is specified using the GUID based App Identifier.")
        if not app.accepts_tenant(tenant):
            raise EntraError("unauthorized_client", 700016, f"Application with identifier '{app.client_id}' was not "
                             f"found in the directory '{tenant}'.")
        roles = app.app_roles.get(tenant, set())
        token, expires_in = self.graph_token(app=app, tenant_id=tenant, permissions=roles)
        self._log(grant="client_credentials", client_id=app.client_id, tenant=tenant, ok=True)
        return {"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token}

    def on_behalf_of(self, tenant: str, form: dict) -> dict:
        """https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow"""
        app = self._client(form.get("client_id", ""), form.get("client_secret"), tenant)
        if form.get("requested_token_use") != "on_behalf_of":
            raise EntraError("invalid_request", 900144, "The request body must contain the following parameter: "
                             "'requested_token_use'.")
        claims = self._assertion_claims(form.get("assertion", ""), app)
        user = self.users.get(claims.get("oid", ""))
        if user is None:
            raise EntraError("invalid_grant", 50034, "The user account does not exist in the directory.")
        if _is_guid(tenant) and tenant != user.tenant_id:
            raise EntraError("invalid_grant", 50020, f"User account '{user.upn}' from identity provider "
                             f"'https://sts.windows.net/{user.tenant_id}/' does not exist in tenant '{tenant}' and "
                             "cannot access the application in that tenant.")
        wanted = self._graph_permissions(form.get("scope", ""), app_only=False)
        # A refresh token only when offline_access is asked for (MSAL adds it to every request).
        return self._delegated_grant(app, user, wanted, grant="on_behalf_of", tenant=tenant,
                                     offline="offline_access" in form.get("scope", "").split())

    def refresh(self, tenant: str, form: dict, *, public_client: bool = False) -> dict:
        app = self._client(form.get("client_id", ""), form.get("client_secret"), tenant, confidential=not public_client)
        with self._lock:
            grant = self._refresh.get(form.get("refresh_token", ""))
        if grant is None or grant["client_id"] != app.client_id:
            raise EntraError("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        user = self.users[grant["oid"]]
        if user.object_id in self._revoked:
            raise EntraError("invalid_grant", 50173, "The provided grant has expired due to it being revoked, a "
                             "fresh auth token is needed. The user might have changed or reset their password.",
                             suberror="bad_token")
        wanted = self._graph_permissions(form.get("scope", ""), app_only=False) if grant["resource"] == GRAPH_RESOURCE \
            else set(grant["scopes"])
        if grant["resource"] == GRAPH_RESOURCE:
            return self._delegated_grant(app, user, wanted or set(grant["scopes"]), grant="refresh_token",
                                         tenant=tenant, offline=True)
        return self._api_grant(app, user, grant["scopes"], nonce=None, origin=grant.get("origin"), grant="refresh_token")

    def _delegated_grant(self, app: EntraApp, user: EntraUser, wanted: set[str], *, grant: str, tenant: str,
                         offline: bool) -> dict:
        if not app.accepts_tenant(user.tenant_id):
            raise EntraError("invalid_grant", 700016, f"Application with identifier '{app.client_id}' was not found "
                             f"in the directory '{user.tenant_id}'.")
        consented = app.delegated_consent.get(user.tenant_id, set())
        missing = sorted(wanted - consented)
        if missing:
            self._log(grant=grant, client_id=app.client_id, tenant=tenant, oid=user.object_id, ok=False,
                      error="consent_required")
            raise EntraError("invalid_grant", 65001, f"The user or administrator has not consented to use the "
                             f"application with ID '{app.client_id}' named '{app.display_name}'. Send an interactive "
                             f"authorization request for this user and resource.", suberror="consent_required")
        if user.mfa_required and grant == "on_behalf_of":
            self._log(grant=grant, client_id=app.client_id, tenant=tenant, oid=user.object_id, ok=False,
                      error="interaction_required")
            raise EntraError("interaction_required", 50076, "Due to a configuration change made by your "
                             "administrator, or because you moved to a new location, you must use multi-factor "
                             f"authentication to access '{GRAPH_APP_ID}'.",
                             claims='{"access_token":{"capolids":{"essential":true,"values":'
                                    '["8a6b2f4c-0000-4000-8000-000000000001"]}}}')
        token, expires_in = self.graph_token(app=app, tenant_id=user.tenant_id, user=user, permissions=wanted)
        body = {"token_type": "Bearer", "scope": " ".join(f"{GRAPH_RESOURCE}/{p}" for p in sorted(wanted)),
                "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token}
        if offline:
            body["refresh_token"] = self._new_refresh(app, user, GRAPH_RESOURCE, sorted(wanted))
        body["id_token"] = self.id_token(app, user)
        body["client_info"] = b64url(f'{{"uid":"{user.object_id}","utid":"{user.tenant_id}"}}'.encode())
        self._log(grant=grant, client_id=app.client_id, tenant=tenant, oid=user.object_id, ok=True)
        return body

    def _assertion_claims(self, assertion: str, app: EntraApp) -> dict:
        """The incoming token must be ours, unexpired, and meant for the app asking (its `aud`)."""
        try:
            header = jwt.get_unverified_header(assertion)
            key = next((k for k in self.keys if k.kid == header.get("kid")), None)
            if key is None:
                raise jwt.InvalidSignatureError("unknown key")
            return jwt.decode(assertion, key.private.public_key(), algorithms=["RS256"],
                              audience=sorted(app.resource_ids()), options={"verify_iss": False})
        except jwt.ExpiredSignatureError:
            raise EntraError("invalid_grant", 500133, "Assertion is not within its valid time range.") from None
        except jwt.InvalidAudienceError:
            raise EntraError("invalid_grant", 50013, "Assertion failed signature validation. [Reason - The "
                             "provided signature value did not match the expected signature value., Thumbprint "
                             "used by client: ...] (the assertion's audience is not this application)") from None
        except jwt.PyJWTError:
            raise EntraError("invalid_grant", 50013, "Assertion failed signature validation.") from None

    def _new_refresh(self, app: EntraApp, user: EntraUser, resource: str, scopes: list[str],
                     origin: str | None = None) -> str:
        token = "1.A" + b64url(secrets.token_bytes(48))
        with self._lock:
            self._refresh[token] = {"client_id": app.client_id, "oid": user.object_id, "resource": resource,
                                    "scopes": scopes, "origin": origin}
        return token

    # ---- the browser's sign-in (authorization code with PKCE, for single-page apps) ----------------

    def check_authorize_request(self, tenant: str, query: dict) -> EntraApp:
        """The checks Entra makes before anything else, even before it asks who is signing in; their
        errors Entra shows on its own page (it never redirects to an unregistered URI): unknown app,
        unregistered redirect URI, no PKCE. Returns the app registration."""
        app = self.apps.get(query.get("client_id", ""))
        if app is None:
            raise EntraError("unauthorized_client", 700016, f"Application with identifier "
                             f"'{query.get('client_id')}' was not found in the directory '{tenant}'.")
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in app.spa_redirect_uris:
            # https://learn.microsoft.com/entra/identity-platform/reference-error-codes (AADSTS50011)
            raise EntraError("invalid_request", 50011, f"The redirect URI '{redirect_uri}' specified in the request "
                             f"does not match the redirect URIs configured for the application '{app.client_id}'.")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise EntraError("invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin "
                             "authorization code redemption.")
        return app

    def user_by_upn(self, upn: str) -> EntraUser | None:
        wanted = upn.strip().lower()
        return next((user for user in self.users.values() if user.upn.lower() == wanted), None)

    def authorize(self, tenant: str, query: dict) -> tuple[str, dict]:
        """Sign in `browser_user` (as a user who already has a session would be) and answer with a
        code. Returns (redirect_uri, response parameters). Errors that Entra shows on its own page
        (unknown app, unregistered redirect URI) raise EntraError; the caller renders them."""
        app = self.check_authorize_request(tenant, query)
        redirect_uri = query.get("redirect_uri", "")
        user = self.browser_user
        if user is None:  # nobody signed in to the browser session: Entra would ask for credentials
            return redirect_uri, {"error": "login_required", "error_description": "AADSTS50058: A silent sign-in "
                                  "request was sent but no user is signed in.", "state": query.get("state", "")}
        if not app.accepts_tenant(user.tenant_id) or _is_guid(tenant) and tenant != user.tenant_id:
            return redirect_uri, {"error": "invalid_request", "error_description": f"AADSTS50020: User account "
                                  f"'{user.upn}' from identity provider 'https://sts.windows.net/{user.tenant_id}/' "
                                  f"does not exist in tenant '{tenant}'.", "state": query.get("state", "")}
        code = "1.A" + b64url(secrets.token_bytes(32))
        with self._lock:
            self._codes[code] = {"client_id": app.client_id, "oid": user.object_id, "redirect_uri": redirect_uri,
                                 "challenge": query["code_challenge"], "scope": query.get("scope", ""),
                                 "nonce": query.get("nonce"), "expires": time.time() + 600}
        return redirect_uri, {"code": code, "client_info": b64url(
            f'{{"uid":"{user.object_id}","utid":"{user.tenant_id}"}}'.encode()), "state": query.get("state", ""),
            "session_state": str(uuid.uuid4())}

    def redeem_code(self, tenant: str, form: dict, origin: str | None) -> dict:
        """A single-page app redeems its code cross-origin, with the PKCE verifier, no secret."""
        app = self._client(form.get("client_id", ""), None, tenant, confidential=False)
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != app.client_id or grant["expires"] < time.time():
            raise EntraError("invalid_grant", 70008, "The provided authorization code or refresh token has expired "
                             "due to inactivity. Send a new interactive authorization request for this user and "
                             "resource.")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            raise EntraError("invalid_grant", 50148, "The code_verifier does not match the code_challenge "
                             "supplied in the authorization request for PKCE (or the redirect URI differs).")
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            raise EntraError("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied "
                             "in the authorization request.")
        if not origin:
            raise EntraError("invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' "
                             "client-type may only be redeemed via cross-origin requests.")
        user = self.users[grant["oid"]]
        scopes = [s for s in grant["scope"].split() if s not in OIDC_SCOPES]
        # The authorization request may ask consent for several resources (MSAL.js's extraScopesToConsent);
        # the token request's `scope` names the one resource the code is redeemed for, from among them:
        # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
        asked = [s for s in form.get("scope", "").split() if s not in OIDC_SCOPES]
        if asked:
            if not set(asked) <= set(scopes):
                raise EntraError("invalid_grant", 70000, "The request was denied because one or more scopes requested "
                                 "are unauthorized or expired.")
            scopes = asked
        return self._api_grant(app, user, scopes, nonce=grant["nonce"], origin=origin, grant="authorization_code")

    def _api_grant(self, app: EntraApp, user: EntraUser, scopes: list[str], *, nonce: str | None, origin: str | None,
                   grant: str) -> dict:
        prefix = (app.app_id_uri or f"api://{app.client_id}").rstrip("/") + "/"
        names = []
        for scope in scopes:
            if not scope.startswith(prefix) or scope[len(prefix):] not in app.api_scopes:
                raise EntraError("invalid_scope", 70011, f"The provided value for the input parameter 'scope' is not "
                                 f"valid. The scope {scope} is not valid.")
            names.append(scope[len(prefix):])
        token = self.api_token(app, user, scopes=names, audience=prefix.rstrip("/"))
        body = {"token_type": "Bearer", "scope": " ".join(scopes), "expires_in": ACCESS_TOKEN_SECONDS,
                "ext_expires_in": ACCESS_TOKEN_SECONDS, "access_token": token,
                "refresh_token": self._new_refresh(app, user, prefix, scopes, origin),
                "refresh_token_expires_in": 86400,  # single-page apps get 24-hour refresh tokens
                "id_token": self.id_token(app, user, nonce=nonce),
                "client_info": b64url(f'{{"uid":"{user.object_id}","utid":"{user.tenant_id}"}}'.encode())}
        self._log(grant=grant, client_id=app.client_id, tenant=user.tenant_id, oid=user.object_id, ok=True)
        return body


def _is_guid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def self_signed_tls(directory) -> tuple[str, str, str]:
    """A throwaway CA and a certificate for 127.0.0.1/localhost signed by it, written to `directory`.
    Returns (ca_file, cert_file, key_file): MSAL Python talks only to https authorities, so tests
    point REQUESTS_CA_BUNDLE at ca_file."""
    import datetime as dt  # noqa: PLC0415
    import ipaddress  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from cryptography import x509  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    directory = Path(directory)
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dealpane test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return str(ca_file), str(cert_file), str(key_file)
