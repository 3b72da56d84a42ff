"""What the task pane and the workspace blueprints both serve, registered by one helper for each.

`register_page_routes(bp, ...)` adds to a page's blueprint (under its own URL prefix):
- `config.json`: how the page signs in (dev header, or Entra through MSAL.js), plus what the page adds;
- `shared/<file>`: the ES modules and the Fluent stylesheet both pages import (addin/shared/);
- `vendor/<name>`: the JavaScript libraries the page may load, from node_modules (npm), never a CDN;
- `icons/icon-NN.png`: the add-in's icons;
- `i18n/<lang>.json`: the page's messages in one language (storage/locales/<lang>/common.json and the
  page's own file, ICU MessageFormat by key), for addin/shared/i18n.js;
and an after_request hook that sends the page's Content-Security-Policy (computed per endpoint), no
sniffing, no Referer, and no-cache (or no-store) for the endpoints named.

The shared files are served under each page's own prefix (/pane/shared/..., /workspace/shared/...), so
each page's CSP ('self') covers them and each page's relative imports resolve to one copy per page.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_file, send_from_directory
from werkzeug.security import safe_join

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(__file__).with_name("shared")
NODE_MODULES = REPO_ROOT / "node_modules"
MSAL_DIR = NODE_MODULES / "@azure" / "msal-browser" / "lib"
# intl-messageformat's browser build: one ES module with its parser bundled (exports IntlMessageFormat).
MESSAGEFORMAT_FILE = NODE_MODULES / "intl-messageformat" / "intl-messageformat.iife.js"
MESSAGEFORMAT_VENDOR = {"intl-messageformat.js": (MESSAGEFORMAT_FILE, "intl-messageformat")}
# The one redirect URI the workspace (and the pane, where Outlook offers no nested app authentication)
# signs in and out with; the README's app registration step lists it as
# https://HOST/workspace/auth-redirect.html (Single-page application platform).
REDIRECT_PATH = "/workspace/auth-redirect.html"

# A vendor file: its path and the npm package it comes from.
VendorFiles = Callable[[], dict[str, tuple[Path, str]]]


def _config():
    return current_app.extensions["dealpane"].config


def sign_in_config(config) -> dict:
    """What both pages' config.json say about signing in."""
    return {
        "auth_mode": config.auth_mode,
        "demo": bool(config.demo),
        "client_id": config.client_id,
        "api_audience": config.api_resource,
        "api_scope": config.api_scope,
        "scope": config.api_scope_uri,
        "authority": config.spa_authority,
        # Where MSAL.js's popup (and hidden renewal frame) ends: the redirect bridge page on this origin.
        "redirect_path": REDIRECT_PATH,
    }


def register_page_routes(bp: Blueprint, *, vendor: VendorFiles, policy: Callable[[str | None], str],
                         ui_parts: tuple[str, ...], config_extra: Callable[[object], dict] | None = None,
                         no_cache: Iterable[str] = (), no_store: Iterable[str] = ()) -> None:
    """The shared routes and headers for `bp`: `vendor()` the files under vendor/ (read per request);
    `policy(endpoint)` the CSP; `ui_parts` the message files (storage/locales/<lang>/<part>.json) of the page; `config_extra(config)` what config.json adds; `no_cache` and `no_store`
    the endpoints (with the blueprint's name) that get those Cache-Control headers."""
    no_cache = frozenset(no_cache) | {f"{bp.name}.page_config"}
    no_store = frozenset(no_store)

    @bp.get("/config.json", endpoint="page_config")
    def page_config():
        config = _config()
        from storage.i18n import languages  # noqa: PLC0415

        return jsonify({**sign_in_config(config), "languages": list(languages()),
                        **(config_extra(config) if config_extra else {})})

    @bp.get("/shared/<path:filename>", endpoint="shared")
    def shared(filename: str):
        return send_from_directory(SHARED_DIR, filename)

    @bp.get("/i18n/<lang>.json", endpoint="messages")
    def messages(lang: str):
        from storage import i18n  # noqa: PLC0415

        if lang not in i18n.languages():
            abort(404)
        response = jsonify({"language": lang, "locale": i18n.region_tag(lang),
                            "messages": i18n.ui_messages(lang, ("common", *ui_parts))})
        response.headers["Content-Language"] = lang
        response.cache_control.max_age = 300
        return response

    @bp.get("/icons/<name>", endpoint="icon")
    def icon(name: str):
        from manifest import ICON_DIR  # noqa: PLC0415 - the add-in's icons, one set for every page

        path = safe_join(str(ICON_DIR), name)
        if not name.endswith(".png") or path is None or not Path(path).is_file():
            abort(404)
        # Read whole (a few KB): no file handle is left open when a page aborts the request mid-way.
        response = Response(Path(path).read_bytes(), mimetype="image/png")
        response.cache_control.max_age = 86400
        response.cache_control.public = True
        return response

    @bp.get("/vendor/<name>", endpoint="vendor")
    def vendor_file(name: str):
        files = vendor()
        if name not in files:
            abort(404)
        path, package = files[name]
        if not path.is_file():
            return Response(f"{package} is not installed on this server: run `make node` (npm ci) in {REPO_ROOT} "
                            f"to install it.\n", status=404, mimetype="text/plain")
        return send_file(path, mimetype="text/javascript", max_age=3600)

    @bp.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy(request.endpoint)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint in no_store:
            response.headers["Cache-Control"] = "no-store"
        elif request.endpoint in no_cache:
            response.headers["Cache-Control"] = "no-cache"
        return response
