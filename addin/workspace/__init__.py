"""The full-page sales workspace (plain HTML/CSS/JS modules on the REST API v1).

Routes (all under /workspace/):
- `/workspace/` the single-page app; `/workspace/static/...` its files;
- `/workspace/config.json` how the page signs in (dev header, or Entra through MSAL.js) and, in the
  demo, which seeded people it may act as;
- `/workspace/auth-redirect.html` the redirect URI of Entra sign-in: MSAL.js's redirect bridge and
  nothing else (it hands Entra's answer to the workspace that opened the sign-in window);
- `/workspace/icons/icon-NN.png` the add-in's icons;
- `/workspace/vendor/chart.umd.min.js` Chart.js, `/workspace/vendor/msal-browser.min.js` MSAL.js and
  `/workspace/vendor/msal-redirect-bridge.min.js` its redirect bridge, all from node_modules (npm),
  never from a CDN (MSAL's docs forbid a CDN for the bridge: it receives the authorization code,
  https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/redirect-bridge.md).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, send_file, send_from_directory

REPO_ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = Path(__file__).with_name("static")
# The one redirect URI the workspace signs in (and out) with; the README's app registration step lists
# it as https://HOST/workspace/auth-redirect.html (Single-page application platform).
REDIRECT_PATH = "/workspace/auth-redirect.html"
MSAL_DIR = REPO_ROOT / "node_modules" / "@azure" / "msal-browser" / "lib"
VENDOR_FILES = {
    "chart.umd.min.js": (REPO_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js", "chart.js"),
    "msal-browser.min.js": (MSAL_DIR / "msal-browser.min.js", "@azure/msal-browser"),
    # The package's own UMD build of `@azure/msal-browser/redirect-bridge` (global `msalRedirectBridge`).
    "msal-redirect-bridge.min.js": (MSAL_DIR / "redirect-bridge" / "msal-redirect-bridge.min.js",
                                    "@azure/msal-browser"),
}

bp = Blueprint("workspace", __name__, url_prefix="/workspace", static_folder="static", static_url_path="/static")


def _config():
    return current_app.extensions["dealpane"].config


@bp.get("/")
def page():
    return send_from_directory(STATIC_DIR, "index.html", mimetype="text/html", max_age=0)


@bp.get("/config.json")
def workspace_config():
    config = _config()
    data = {
        "auth_mode": config.auth_mode,
        "demo": bool(config.demo),
        "client_id": config.client_id,
        "api_audience": config.api_resource,
        "api_scope": config.api_scope,
        "scope": config.api_scope_uri,
        "authority": config.spa_authority,
        "redirect_path": REDIRECT_PATH,
        "dev_users": [],
    }
    if config.auth_mode == "dev" and config.demo:
        from storage.demo import DEMO_COLLEAGUE, DEMO_OWNER  # noqa: PLC0415

        data["dev_users"] = [{"email": DEMO_OWNER, "label": "Diego Siciliani (owner)"},
                             {"email": DEMO_COLLEAGUE, "label": "Alex Wilber (colleague)"}]
    return jsonify(data)


@bp.get("/auth-redirect.html")
def auth_redirect():
    """MSAL.js v5's redirect bridge: Entra sends the sign-in answer here (in the sign-in window, the
    hidden renewal frame or, after a redirect sign-in or sign-out, this window) and the bridge hands it
    to the workspace. It must run no app code and must not be served with Cross-Origin-Opener-Policy:
    https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge"""
    return send_from_directory(STATIC_DIR, "auth-redirect.html", mimetype="text/html", max_age=0)


@bp.get("/icons/<name>")
def icon(name: str):
    from manifest import ICON_DIR  # noqa: PLC0415 - the add-in's icons, shared with the pane

    if not name.endswith(".png"):
        return Response("Not found.\n", status=404, mimetype="text/plain")
    return send_from_directory(ICON_DIR, name, mimetype="image/png", max_age=86400)


@bp.get("/vendor/<name>")
def vendor(name: str):
    if name not in VENDOR_FILES:
        return Response("Not found.\n", status=404, mimetype="text/plain")
    path, package = VENDOR_FILES[name]
    if not path.is_file():
        return Response(f"{package} is not installed on this server: run `make node` (npm ci) in {REPO_ROOT}.\n",
                        status=404, mimetype="text/plain")
    return send_file(path, mimetype="text/javascript", max_age=3600)


def content_security_policy(authority_host: str) -> str:
    """Our own files only, plus Entra sign-in; no inline script or style, no framing by others.
    MSAL.js calls Entra's token endpoint (connect-src); when the refresh token has run out, silent
    renewal loads Entra in a hidden frame that ends on our redirect page (frame-src: Entra, then
    'self'), which therefore may be framed by us (its frame-ancestors 'self'):
    https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/redirect-bridge.md
    ("acquireTokenSilent ... falls back to acquiring a new token in a hidden iframe") and the ssoSilent
    warning in https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/login-user.md"""
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        f"connect-src 'self' {authority_host}",
        f"frame-src 'self' {authority_host}",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "frame-ancestors 'self'",
    ])


def redirect_page_policy() -> str:
    """The redirect page runs two scripts of ours (the bridge and the line that calls it) and nothing
    else: no styles, no fetches, no forms, no DOM sinks (Trusted Types), framed only by the workspace's
    own hidden renewal frame."""
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "object-src 'none'",
        "frame-ancestors 'self'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ])


@bp.after_request
def security_headers(response: Response) -> Response:
    if request.endpoint == "workspace.auth_redirect":
        response.headers["Content-Security-Policy"] = redirect_page_policy()
        # The page's URL carries the authorization code: never stored by a cache (MSAL's v5 migration
        # guide), never sent on as a Referer. And no Cross-Origin-Opener-Policy header here, ever.
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers["Content-Security-Policy"] = content_security_policy(_config().authority_host)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint in ("workspace.page", "workspace.workspace_config"):
        response.headers["Cache-Control"] = "no-cache"
    return response
