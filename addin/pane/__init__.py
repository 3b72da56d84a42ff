"""The Outlook task pane, the ribbon's function file and the demo preview (plain HTML/CSS/JS).

Routes (all under /pane/):
- `/pane/` the task pane; `/pane/commands.html` the ribbon's function file;
- `/pane/preview` and `/pane/preview/items` (demo mode only) the pane beside the demo mailbox;
- `/pane/config.json` how the pane signs in (dev header or Entra through MSAL.js NAA);
- `/pane/static/...`, `/pane/icons/icon-NN.png`, `/pane/vendor/msal-browser.min.js`, and
  `/pane/shared/...` the modules and stylesheet shared with the workspace (addin/shared/);
  config.json, shared, icons, vendor and the security headers come from addin/pages.py.

In Outlook the pages load office.js from Microsoft's CDN (which loads MicrosoftAjax.js from the Ajax
CDN). In demo mode `?standin=1` swaps office.js for our Office stand-in (static/office-standin.js),
which the preview and the browser tests drive; it loads MicrosoftAjax.js as office.js does.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from addin.pages import MESSAGEFORMAT_VENDOR, MSAL_DIR, register_page_routes

OFFICE_JS_URL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
OFFICE_JS_ORIGIN = "https://appsforoffice.microsoft.com"
# Where office.js's Outlook host files load MicrosoftAjax.js from, over the page's own protocol:
# https://github.com/microsoft/MHA/issues/125 quotes the code. Over http a CSP needs the http source,
# which (CSP Level 3) also matches the https URL.
AJAX_CDN_ORIGIN = "https://ajax.aspnetcdn.com"
AJAX_CDN_ORIGIN_PLAIN_HTTP = "http://ajax.aspnetcdn.com"
LOGIN_ORIGIN = "https://login.microsoftonline.com"
STANDIN_URL_PATH = "office-standin.js"
MSAL_FILE = MSAL_DIR / "msal-browser.min.js"

bp = Blueprint("pane", __name__, url_prefix="/pane", static_folder="static", static_url_path="/static",
               template_folder="templates")


def _services():
    return current_app.extensions["dealpane"]


def _demo() -> bool:
    return bool(_services().config.demo)


def _use_standin() -> bool:
    """The Office stand-in replaces office.js only in demo mode, and only when the page asks for it."""
    return _demo() and request.args.get("standin") == "1"


def _in_language(template: str, **context) -> Response:
    """A page in the request's language (Accept-Language): `ui(key)` gives the pane's message (the text of
    each data-i18n element, which pane.js says again in Outlook's display language once Office tells it)."""
    from addin.i18n import request_language  # noqa: PLC0415
    from storage.i18n import ui_messages  # noqa: PLC0415

    language = request_language()
    messages = ui_messages(language, ("common", "pane"))
    response = Response(render_template(template, page_language=language, ui=messages.__getitem__, **context),
                        mimetype="text/html")
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


def _page(template: str, **context) -> Response:
    return _in_language(template, use_standin=_use_standin(), office_js_url=OFFICE_JS_URL, **context)


@bp.get("/")
def pane():
    return _page("pane/index.html")


@bp.get("/commands.html")
def commands():
    return _page("pane/commands.html")


@bp.get("/preview")
def preview():
    if not _demo():
        abort(404)
    return _in_language("pane/preview.html")


@bp.get("/preview/items")
def preview_items():
    """The demo mailbox's messages and events, shaped as Office.js shows them to the pane."""
    if not _demo():
        abort(404)
    from .mailbox_items import demo_mailbox_items  # noqa: PLC0415 - only the demo needs Graph here

    return jsonify(demo_mailbox_items(_services()))


def content_security_policy(endpoint: str | None, *, plain_http_demo: bool = False,
                            authority_host: str = LOGIN_ORIGIN) -> str:
    """Only what the pages load: our own files, office.js and the scripts it loads at start, and Entra
    sign-in. The same for every Outlook (on the web, new Outlook, classic Outlook on Windows, Mac, iOS
    and Android): each loads office.js, which loads the rest; tests/browser/test_office_js.py runs
    Microsoft's own office.js for each under this policy and fails on any refusal.

    `plain_http_demo`: the demo served over plain http on loopback, where office.js's host file and our
    stand-in ask for MicrosoftAjax.js over http (the protocol is taken from the page)."""
    ajax_cdn = AJAX_CDN_ORIGIN_PLAIN_HTTP if plain_http_demo else AJAX_CDN_ORIGIN
    # Entra at DEALPANE_AUTHORITY_HOST (the public cloud unless set): MSAL.js's token requests and,
    # where Outlook offers no nested app authentication, its sign-in frames.
    authority = (authority_host or LOGIN_ORIGIN).rstrip("/")
    # 'self' too: MSAL.js renews silently in a hidden frame that ends on our redirect bridge page
    # (/workspace/auth-redirect.html) when the pane signs in without nested app authentication:
    # https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
    frames = "'self'" if endpoint == "pane.preview" else f"'self' {authority}"
    return "; ".join([
        "default-src 'none'",
        # office.js, and what it loads from its own folder on the same CDN: the Outlook host file
        # (outlook-web-16.01.js, outlook-win32-16.02.js, outlook-mac-16.00.js, outlook-ios-16.00.js,
        # outlook-android-16.00.js), the locale strings (en-us/office_strings.js, outlook_strings.js)
        # and its telemetry scripts (telemetry/oteljs_agave.js):
        # https://learn.microsoft.com/office/dev/add-ins/develop/referencing-the-javascript-api-for-office-library-from-its-cdn
        # https://github.com/OfficeDev/office-js/issues/1005
        # MicrosoftAjax.js from the Ajax CDN, loaded by every Outlook host file; without it
        # Office.onReady never resolves: https://github.com/microsoft/MHA/issues/125,
        # https://github.com/OfficeDev/office-js/issues/4131 (classic and new Outlook on Windows),
        # https://github.com/OfficeDev/office-js/issues/5733,
        # https://github.com/OfficeDev/office-js-docs-pr/pull/5418. Not needed:
        # browser.pipe.aria.microsoft.com (listed in office-js#1005): office.js 1.1.110 sends
        # telemetry through the host (oteljs_agave), its direct Aria logger is switched off
        # (AriaLogger.EnableSendingTelemetryWithLegacyAria = false in every Outlook host file).
        f"script-src 'self' {OFFICE_JS_ORIGIN} {ajax_cdn}",
        # No 'unsafe-inline': Outlook's host files style elements only through element.style (CSSOM),
        # which a CSP does not restrict; the inline style of https://github.com/OfficeDev/office-js/issues/1687
        # comes from Excel's host file. Outside Office (no _host_Info), office.js's
        # o15apptofilemappingtable.js frames a telemetry proxy with an inline style attribute:
        # refused on purpose, since the pane only shows "Open Dealpane from Outlook" there.
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        # MSAL.js (nested app authentication) talks to Entra; office.js itself fetches nothing.
        f"connect-src 'self' {authority}",
        f"frame-src {frames}",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
        # No frame-ancestors: Outlook frames the pane from hosts Microsoft does not list
        # (https://github.com/OfficeDev/office-js/issues/3342).
    ])


def _plain_http_demo() -> bool:
    """Demo mode served over plain http on loopback (`dealpane demo`): the only place the pages are
    not https (Outlook requires https for an add-in's pages)."""
    if not _demo() or request.scheme != "http":
        return False
    host = urlsplit(f"//{request.host}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


register_page_routes(
    bp,
    # Read per request (the tests point MSAL_FILE elsewhere).
    vendor=lambda: {"msal-browser.min.js": (MSAL_FILE, "@azure/msal-browser"), **MESSAGEFORMAT_VENDOR},
    ui_parts=("pane",),
    policy=lambda endpoint: content_security_policy(endpoint, plain_http_demo=_plain_http_demo(),
                                                    authority_host=_services().config.authority_host),
    no_cache=("pane.pane", "pane.commands", "pane.preview", "pane.preview_items"),
)
