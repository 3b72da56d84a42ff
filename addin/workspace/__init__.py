"""The full-page sales workspace (plain HTML/CSS/JS modules on the REST API v1).

Routes (all under /workspace/):
- `/workspace/` the single-page app; `/workspace/static/...` its files;
- `/workspace/config.json` how the page signs in (dev header, or Entra through MSAL.js) and, in the
  demo, which seeded people it may act as;
- `/workspace/auth-redirect.html` the redirect URI of Entra sign-in: MSAL.js's redirect bridge and
  nothing else (it hands Entra's answer to the workspace that opened the sign-in window);
- `/workspace/icons/icon-NN.png` the add-in's icons; `/workspace/shared/...` the modules and stylesheet
  shared with the pane (addin/shared/);
- `/workspace/vendor/chart.umd.min.js` Chart.js, `/workspace/vendor/msal-browser.min.js` MSAL.js and
  `/workspace/vendor/msal-redirect-bridge.min.js` its redirect bridge, all from node_modules (npm),
  never from a CDN (MSAL's docs forbid a CDN for the bridge: it receives the authorization code,
  https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/redirect-bridge.md).
config.json, shared, icons, vendor and the security headers come from addin/pages.py.
"""
from __future__ import annotations

import re
from html import escape
from pathlib import Path

from flask import Blueprint, Response, current_app

from addin.pages import MESSAGEFORMAT_VENDOR, MSAL_DIR, NODE_MODULES, REDIRECT_PATH, register_page_routes

__all__ = ["REDIRECT_PATH", "bp", "content_security_policy", "redirect_page_policy"]

STATIC_DIR = Path(__file__).with_name("static")
VENDOR_FILES = {
    "chart.umd.min.js": (NODE_MODULES / "chart.js" / "dist" / "chart.umd.min.js", "chart.js"),
    "msal-browser.min.js": (MSAL_DIR / "msal-browser.min.js", "@azure/msal-browser"),
    # The package's own UMD build of `@azure/msal-browser/redirect-bridge` (global `msalRedirectBridge`).
    "msal-redirect-bridge.min.js": (MSAL_DIR / "redirect-bridge" / "msal-redirect-bridge.min.js",
                                    "@azure/msal-browser"),
    **MESSAGEFORMAT_VENDOR,
}

bp = Blueprint("workspace", __name__, url_prefix="/workspace", static_folder="static", static_url_path="/static")


_MARKED = re.compile(r'(<(?P<tag>[a-z0-9]+)\b[^>]*\bdata-i18n="(?P<key>[\w.-]+)"[^>]*>)[^<]*(</(?P=tag)>)')
_ATTRIBUTE = re.compile(r'\bdata-i18n-(?P<name>[a-z-]+)="(?P<key>[\w.-]+)"')


def _in_language(name: str) -> Response:
    """A page of ours in the request's language (Accept-Language): <html lang> and the text of each
    element marked data-i18n="key" from the workspace's catalogue, so the first paint (and the redirect
    page, which loads no catalogue) reads right. The workspace then says it again in the user's choice."""
    from addin.i18n import request_language  # noqa: PLC0415
    from storage.i18n import ui_messages  # noqa: PLC0415

    language = request_language()
    messages = ui_messages(language, ("common", "workspace"))
    html = (STATIC_DIR / name).read_text(encoding="utf-8")
    html = html.replace('<html lang="en">', f'<html lang="{language}">', 1)
    html = _MARKED.sub(lambda m: m.group(1) + escape(messages.get(m.group("key"), "")) + m.group(4)
                       if m.group("key") in messages else m.group(0), html)
    html = _ATTRIBUTE.sub(lambda m: f'{m.group(0)} data-{m.group("name")}="{escape(messages[m.group("key")])}"'
                          if m.group("key") in messages and m.group("name") == "text" else m.group(0), html)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


@bp.get("/")
def page():
    return _in_language("index.html")


@bp.get("/auth-redirect.html")
def auth_redirect():
    """MSAL.js v5's redirect bridge: Entra sends the sign-in answer here (in the sign-in window, the
    hidden renewal frame or, after a redirect sign-in or sign-out, this window) and the bridge hands it
    to the workspace. It must run no app code and must not be served with Cross-Origin-Opener-Policy:
    https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge"""
    return _in_language("auth-redirect.html")


def content_security_policy(authority_host: str) -> str:
    """Our own files only, plus Entra sign-in; no inline script or style, no framing by others.
    MSAL.js calls Entra's token endpoint (connect-src); when the refresh token has run out, silent
    renewal loads Entra in a hidden frame that ends on our redirect page (frame-src: Entra, then
    'self'), which therefore may be framed by us (its frame-ancestors 'self'):
    https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/redirect-bridge.md
    ("acquireTokenSilent ... falls back to acquiring a new token in a hidden iframe") and the ssoSilent
    warning in https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/login-user.md
    Downloads (a CSV export, an e-mail's attachment: views/attachments.js) are a fetch with the API's
    Authorization header to a Blob, saved through an <a download> on its blob: object URL: a download
    navigation, which no fetch directive governs (https://www.w3.org/TR/CSP3/#directives-fetch), so
    nothing is added for it (tests/workspace_ui/test_attachments.py downloads one with no CSP report)."""
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


def _dev_users(config) -> dict:
    """In the demo (dev sign-in), the seeded people the workspace may act as."""
    if config.auth_mode != "dev" or not config.demo:
        return {"dev_users": []}
    from storage.demo import DEMO_COLLEAGUE, DEMO_OWNER  # noqa: PLC0415

    # `name` and `role` for the page to say in its language (workspace.header.person); `label` in English.
    return {"dev_users": [{"email": DEMO_OWNER, "name": "Diego Siciliani", "role": "owner",
                           "label": "Diego Siciliani (owner)"},
                          {"email": DEMO_COLLEAGUE, "name": "Alex Wilber", "role": "colleague",
                           "label": "Alex Wilber (colleague)"}]}


def _policy(endpoint: str | None) -> str:
    if endpoint == "workspace.auth_redirect":
        return redirect_page_policy()
    return content_security_policy(current_app.extensions["dealpane"].config.authority_host)


register_page_routes(
    bp,
    vendor=lambda: VENDOR_FILES,
    policy=_policy,
    ui_parts=("workspace",),
    config_extra=_dev_users,
    no_cache=("workspace.page",),
    # The redirect page's URL carries the authorization code: never stored by a cache (MSAL's v5
    # migration guide), never sent on as a Referer. And no Cross-Origin-Opener-Policy header here, ever.
    no_store=("workspace.auth_redirect",),
)
