"""The Outlook task pane, the ribbon's function file and the demo preview (plain HTML/CSS/JS).

Routes (all under /pane/):
- `/pane/` the task pane; `/pane/commands.html` the ribbon's function file;
- `/pane/preview` and `/pane/preview/items` (demo mode only) the pane beside the demo mailbox;
- `/pane/config.json` how the pane signs in (dev header or Entra through MSAL.js NAA);
- `/pane/static/...`, `/pane/icons/icon-NN.png`, `/pane/vendor/msal-browser.min.js`.

In Outlook the pages load office.js from Microsoft's CDN. In demo mode `?standin=1` swaps it for
our Office stand-in (static/office-standin.js), which the preview and the browser tests drive.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, send_file, \
    send_from_directory

from manifest import ICON_DIR

OFFICE_JS_URL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
OFFICE_JS_ORIGIN = "https://appsforoffice.microsoft.com"
LOGIN_ORIGIN = "https://login.microsoftonline.com"
STANDIN_URL_PATH = "office-standin.js"
REPO_ROOT = Path(__file__).resolve().parents[2]
MSAL_FILE = REPO_ROOT / "node_modules" / "@azure" / "msal-browser" / "lib" / "msal-browser.min.js"

bp = Blueprint("pane", __name__, url_prefix="/pane", static_folder="static", static_url_path="/static",
               template_folder="templates")


def _services():
    return current_app.extensions["dealpane"]


def _demo() -> bool:
    return bool(_services().config.demo)


def _use_standin() -> bool:
    """The Office stand-in replaces office.js only in demo mode, and only when the page asks for it."""
    return _demo() and request.args.get("standin") == "1"


def _page(template: str, **context) -> Response:
    return Response(render_template(template, use_standin=_use_standin(), office_js_url=OFFICE_JS_URL, **context),
                    mimetype="text/html")


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
    return Response(render_template("pane/preview.html"), mimetype="text/html")


@bp.get("/preview/items")
def preview_items():
    """The demo mailbox's messages and events, shaped as Office.js shows them to the pane."""
    if not _demo():
        abort(404)
    from .mailbox_items import demo_mailbox_items  # noqa: PLC0415 - only the demo needs Graph here

    return jsonify(demo_mailbox_items(_services()))


@bp.get("/config.json")
def pane_config():
    config = _services().config
    audience = (config.api_audience or "").rstrip("/")
    return jsonify({
        "auth_mode": config.auth_mode,
        "client_id": config.client_id,
        "api_audience": config.api_audience,
        "api_scope": config.api_scope,
        "scope": f"{audience}/{config.api_scope}" if audience else None,
        "authority": f"{LOGIN_ORIGIN}/{config.tenant_id or 'common'}",
        "demo": bool(config.demo),
    })


@bp.get("/icons/<name>")
def icon(name: str):
    if not name.endswith(".png"):
        abort(404)
    return send_from_directory(ICON_DIR, name, mimetype="image/png", max_age=86400)


@bp.get("/vendor/msal-browser.min.js")
def msal_browser():
    if not MSAL_FILE.is_file():
        return Response(
            "MSAL.js is not installed on this server: run `make node` (npm ci) in "
            f"{REPO_ROOT} to install @azure/msal-browser.\n",
            status=404, mimetype="text/plain")
    return send_file(MSAL_FILE, mimetype="text/javascript", max_age=3600)


def content_security_policy(endpoint: str | None) -> str:
    """Only what the pages load: our own files, office.js from Microsoft's CDN, and Entra sign-in.
    No frame-ancestors: Outlook (web and desktop) frames the pane."""
    frames = "'self'" if endpoint == "pane.preview" else LOGIN_ORIGIN
    return "; ".join([
        "default-src 'none'",
        f"script-src 'self' {OFFICE_JS_ORIGIN}",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {LOGIN_ORIGIN}",
        f"frame-src {frames}",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ])


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(request.endpoint)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint in ("pane.pane", "pane.commands", "pane.preview", "pane.preview_items", "pane.pane_config"):
        response.headers["Cache-Control"] = "no-cache"
    return response
