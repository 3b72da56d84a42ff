"""The stand-in Entra's HTTP endpoints, shaped as the Microsoft identity platform's v2.0 endpoints:

- `GET /{tenant}/v2.0/.well-known/openid-configuration` (endpoints on the host the request came to)
- `GET /common/discovery/instance` (MSAL.js's instance discovery), `GET /{tenant}/discovery/v2.0/keys`
- `GET /{tenant}/oauth2/v2.0/authorize` (auth code + PKCE for single-page apps; redirects back), with
  a sign-in page when nobody is signed in and the request may prompt (`POST /{tenant}/login` signs the
  user in by user name: a stand-in asks for no password)
- `GET /{tenant}/oauth2/v2.0/logout` (ends the browser session, back to `post_logout_redirect_uri`)
- on those pages, `Cross-Origin-Opener-Policy: same-origin` unless the request carries MSAL.js's pocd=1
- `POST /{tenant}/oauth2/v2.0/token`: client_credentials, on-behalf-of (jwt-bearer), refresh_token,
  authorization_code; CORS for single-page apps; errors as Entra's JSON bodies.
  https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow

MSAL Python only talks to https authorities, so `EntraServer.start()` serves TLS with a throwaway CA
(entra.self_signed_tls); the browser tests call `handle()` from Playwright's routing instead.
"""
from __future__ import annotations

import html
import json
import re
import threading
import urllib.parse
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .entra import PUBLIC_CLOUD, EntraError, StandinEntra, self_signed_tls

_TENANT = r"(?P<tenant>[A-Za-z0-9.\-]+)"
_ROUTES = [
    (re.compile(rf"^/{_TENANT}/v2\.0/\.well-known/openid-configuration$"), "GET", "discovery"),
    (re.compile(r"^/common/discovery/instance$"), "GET", "instance"),
    (re.compile(rf"^/{_TENANT}/discovery/(?:v2\.0/)?keys$"), "GET", "keys"),
    (re.compile(rf"^/{_TENANT}/oauth2/v2\.0/authorize$"), "GET", "authorize"),
    (re.compile(rf"^/{_TENANT}/oauth2/v2\.0/token$"), "POST", "token"),
    (re.compile(rf"^/{_TENANT}/oauth2/v2\.0/token$"), "OPTIONS", "preflight"),
    (re.compile(rf"^/{_TENANT}/oauth2/v2\.0/logout$"), "GET", "logout"),
    (re.compile(rf"^/{_TENANT}/login$"), "POST", "login"),
]
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_BROWSER_PAGES = ("authorize", "login", "logout")  # what the browser navigates to, not what it fetches


class EntraWsgi:
    """The WSGI application over a StandinEntra."""

    def __init__(self, entra: StandinEntra):
        self.entra = entra

    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        for pattern, method, name in _ROUTES:
            match = pattern.match(request.path)
            if match and request.method == method:
                response = getattr(self, f"_{name}")(request, **match.groupdict())
                if name in _BROWSER_PAGES and not _origin_checked(request):
                    # Entra's sign-in pages cut a popup off from its opener, unless the client showed
                    # that no untrusted window can reach it (MSAL.js sends pocd=1; never pocd=0):
                    # "Cross-Origin-Opener-Policy and popup responses" in
                    # https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/configuration.md
                    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
                return response
        return _json({"error": "invalid_request", "error_description": f"AADSTS900561: The endpoint only accepts "
                      f"{'POST, OPTIONS' if request.path.endswith('/token') else 'GET'} requests."}, 400)

    def _discovery(self, request: Request, tenant: str) -> Response:
        base = request.host_url.rstrip("/")
        issuer_tenant = "{tenantid}" if tenant in ("common", "organizations", "consumers") else tenant
        return _json({
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{PUBLIC_CLOUD}/{issuer_tenant}/v2.0", "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "tid", "ver", "oid",
                                 "preferred_username"],
            "kerberos_endpoint": f"{base}/{tenant}/kerberos", "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com", "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com", "rbac_url": "https://pas.windows.net",
        }, cors=request)

    def _instance(self, request: Request) -> Response:
        host = urllib.parse.urlparse(request.host_url).netloc
        return _json({"tenant_discovery_endpoint":
                      f"{request.host_url.rstrip('/')}/{{tenant}}/v2.0/.well-known/openid-configuration",
                      "api-version": "1.1",
                      "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]},
                     cors=request)

    def _keys(self, request: Request, tenant: str) -> Response:
        return _json(self.entra.jwks(), cors=request)

    def _authorize(self, request: Request, tenant: str) -> Response:
        query = request.args.to_dict(flat=True)
        try:
            self.entra.check_authorize_request(tenant, query)
        except EntraError as error:  # Entra shows these on its own page and does not redirect
            return _error_page(error)
        # With no session, or when asked to (prompt=login / select_account), Entra asks who signs in;
        # prompt=none never shows a page: it answers login_required instead (authorize() does).
        # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code
        prompt = query.get("prompt")
        if prompt in ("login", "select_account") or (self.entra.browser_user is None and prompt != "none"):
            return _sign_in_page(tenant, {k: v for k, v in query.items() if k != "prompt"})
        return self._answer(tenant, query)

    def _answer(self, tenant: str, query: dict) -> Response:
        """Back to the app's redirect URI with the code (or Entra's error), as the request's response_mode says."""
        try:
            redirect_uri, params = self.entra.authorize(tenant, query)
        except EntraError as error:
            return _error_page(error)
        separator = "#" if query.get("response_mode", "query") == "fragment" else ("&" if "?" in redirect_uri else "?")
        return Response(status=302, headers={"Location": redirect_uri + separator + urllib.parse.urlencode(params)})

    def _token(self, request: Request, tenant: str) -> Response:
        form = request.form.to_dict(flat=True)
        if request.authorization and request.authorization.type == "basic":  # RFC 6749 client_secret_basic
            form.setdefault("client_id", urllib.parse.unquote(request.authorization.username or ""))
            form.setdefault("client_secret", urllib.parse.unquote(request.authorization.password or ""))
        origin = request.headers.get("Origin")
        grant = form.get("grant_type")
        try:
            if grant == "client_credentials":
                body = self.entra.client_credentials(tenant, form)
            elif grant == JWT_BEARER:
                body = self.entra.on_behalf_of(tenant, form)
            elif grant == "refresh_token":
                body = self.entra.refresh(tenant, form, public_client="client_secret" not in form)
            elif grant == "authorization_code":
                body = self.entra.redeem_code(tenant, form, origin)
            else:
                raise EntraError("unsupported_grant_type", 70003, f"The app requested an unsupported grant type "
                                 f"'{grant}'.")
        except EntraError as error:
            self.entra.requests.append({"grant": grant, "tenant": tenant, "ok": False, "error": error.error,
                                        "code": error.code})
            return _json(error.body(), error.status, cors=request)
        return _json(body, cors=request)

    def _preflight(self, request: Request, tenant: str) -> Response:
        response = Response(status=204)
        _allow(response, request)
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "")
        return response

    def _login(self, request: Request, tenant: str) -> Response:
        """The sign-in page's form: the user name of a stand-in user signs them in to this browser
        session, and Entra answers the authorization request the page came from."""
        authorize = request.form.get("ctx", "")
        user = self.entra.user_by_upn(request.form.get("loginfmt", ""))
        if user is None:
            return _sign_in_page(tenant, dict(urllib.parse.parse_qsl(authorize)),
                                 problem="AADSTS50034: We couldn't find an account with that username.")
        self.entra.browser_user = user
        return self._answer(tenant, dict(urllib.parse.parse_qsl(authorize)))

    def _logout(self, request: Request, tenant: str) -> Response:
        """Ends the browser session and returns to `post_logout_redirect_uri` with the request's `state`
        (OpenID Connect RP-Initiated Logout 1.0, section 3; MSAL.js v5's redirect bridge needs it to
        find the window that signed out:
        https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/v4-migration.md#cross-origin-opener-policy-coop-support).
        https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#send-a-sign-out-request"""
        self.entra.browser_user = None
        target = request.args.get("post_logout_redirect_uri")
        if not target:
            return Response("Signed out.")
        state = request.args.get("state")
        if state:
            target += ("&" if "?" in target else "?") + urllib.parse.urlencode({"state": state})
        return Response(status=302, headers={"Location": target})


def _origin_checked(request: Request) -> bool:
    """pocd=1 on the request, or on the authorization request a sign-in form carries on."""
    carried = dict(urllib.parse.parse_qsl(request.form.get("ctx", ""))) if request.method == "POST" else {}
    return request.args.get("pocd") == "1" or carried.get("pocd") == "1"


def _error_page(error: EntraError) -> Response:
    return Response(f"<!DOCTYPE html><title>Sign in</title><h1>Sorry, but we're having trouble signing you "
                    f"in.</h1><p id='error'>{error.error}: AADSTS{error.code}</p>", status=400, mimetype="text/html")


def _sign_in_page(tenant: str, authorize: dict, problem: str | None = None) -> Response:
    """Entra's "Sign in" page, reduced to its user name field (`loginfmt`, as Entra names it)."""
    context = html.escape(urllib.parse.urlencode(authorize), quote=True)
    alert = f"<p id='error' role='alert'>{html.escape(problem)}</p>" if problem else ""
    return Response(f"<!DOCTYPE html><html lang='en'><title>Sign in to your account</title><main><h1>Sign in</h1>"
                    f"{alert}<form method='post' action='/{html.escape(tenant)}/login'>"
                    f"<label for='i0116'>Email, phone, or Skype</label> "
                    f"<input id='i0116' name='loginfmt' type='email' autocomplete='username'>"
                    f"<input type='hidden' name='ctx' value='{context}'>"
                    f"<button type='submit' id='idSIButton9'>Next</button></form></main></html>",
                    mimetype="text/html", headers={"Cache-Control": "no-store"})


def _allow(response: Response, request: Request) -> None:
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"


def _json(payload: dict, status: int = 200, *, cors: Request | None = None) -> Response:
    response = Response(json.dumps(payload), status=status, mimetype="application/json",
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
    if cors is not None:
        _allow(response, cors)
    return response


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


class EntraServer:
    """The stand-in Entra served over HTTPS on loopback. `authority_host` is what to configure as
    DEALPANE_AUTHORITY_HOST; `ca_file` what REQUESTS_CA_BUNDLE must trust."""

    def __init__(self, entra: StandinEntra, tls_dir: str | Path):
        self.entra = entra
        self.ca_file, cert, key = self_signed_tls(tls_dir)
        self._tls = (cert, key)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.authority_host: str | None = None

    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, EntraWsgi(self.entra), threaded=True, request_handler=_Quiet,
                                   ssl_context=self._tls)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="standin-entra", daemon=True)
        self._thread.start()
        self.authority_host = f"https://127.0.0.1:{self._server.server_port}"
        return self.authority_host

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None
