"""The full-page sales workspace (plain HTML/CSS/JS modules on the REST API v1).

Routes (all under /workspace/):
- `/workspace/` the single-page app; `/workspace/static/...` its files;
- `/workspace/config.json` how the page signs in (dev header, or Entra through MSAL.js) and, in the
  demo, which seeded people it may act as;
- `/workspace/icons/icon-NN.png` the add-in's icons;
- `/workspace/vendor/chart.umd.min.js` Chart.js and `/workspace/vendor/msal-browser.min.js` MSAL.js,
  both from node_modules (npm), never from a CDN.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, send_file, send_from_directory

REPO_ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = Path(__file__).with_name("static")
LOGIN_ORIGIN = "https://login.microsoftonline.com"
VENDOR_FILES = {
    "chart.umd.min.js": (REPO_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js", "chart.js"),
    "msal-browser.min.js": (REPO_ROOT / "node_modules" / "@azure" / "msal-browser" / "lib" / "msal-browser.min.js",
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
    audience = (config.api_audience or "").rstrip("/")
    data = {
        "auth_mode": config.auth_mode,
        "demo": bool(config.demo),
        "client_id": config.client_id,
        "api_audience": config.api_audience,
        "api_scope": config.api_scope,
        "scope": f"{audience}/{config.api_scope}" if audience else None,
        "authority": f"{LOGIN_ORIGIN}/{config.tenant_id or 'common'}",
        "dev_users": [],
    }
    if config.auth_mode == "dev" and config.demo:
        from storage.demo import DEMO_COLLEAGUE, DEMO_OWNER  # noqa: PLC0415

        data["dev_users"] = [{"email": DEMO_OWNER, "label": "Diego Siciliani (owner)"},
                             {"email": DEMO_COLLEAGUE, "label": "Alex Wilber (colleague)"}]
    return jsonify(data)


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


def content_security_policy() -> str:
    """Our own files only, plus Entra sign-in; no inline script or style, no framing by others."""
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        f"connect-src 'self' {LOGIN_ORIGIN}",
        f"frame-src {LOGIN_ORIGIN}",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "frame-ancestors 'self'",
    ])


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint in ("workspace.page", "workspace.workspace_config"):
        response.headers["Cache-Control"] = "no-cache"
    return response
