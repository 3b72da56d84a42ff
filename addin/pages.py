"""What the task pane and the workspace blueprints both serve, registered by one helper for each.

`register_page_routes(bp, ...)` adds to a page's blueprint (under its own URL prefix):
- `config.json`: how the page signs in (dev header, or Entra through MSAL.js), plus what the page adds;
- `shared/<file>`: the ES modules and the Fluent stylesheet both pages import (addin/shared/);
- `vendor/<name>`: the JavaScript libraries the page may load, from node_modules (npm), never a CDN;
- `icons/icon-NN.png`: the add-in's icons;
and an after_request hook that sends the page's Content-Security-Policy (computed per endpoint), no
sniffing, no Referer, and no-cache (or no-store) for the endpoints named.

The shared files are served under each page's own prefix (/pane/shared/..., /workspace/shared/...), so
each page's CSP ('self') covers them and each page's relative imports resolve to one copy per page.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_file, send_from_directory

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(__file__).with_name("shared")
NODE_MODULES = REPO_ROOT / "node_modules"
MSAL_DIR = NODE_MODULES / "@azure" / "msal-browser" / "lib"
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
                         config_extra: Callable[[object], dict] | None = None,
                         no_cache: Iterable[str] = (), no_store: Iterable[str] = ()) -> None:
    """The shared routes and headers for `bp`: `vendor()` the files under vendor/ (read per request);
    `policy(endpoint)` the CSP; `config_extra(config)` what config.json adds; `no_cache` and `no_store`
    the endpoints (with the blueprint's name) that get those Cache-Control headers."""
    no_cache = frozenset(no_cache) | {f"{bp.name}.page_config"}
    no_store = frozenset(no_store)

    @bp.get("/config.json", endpoint="page_config")
    def page_config():
        config = _config()
        return jsonify({**sign_in_config(config), **(config_extra(config) if config_extra else {})})

    @bp.get("/shared/<path:filename>", endpoint="shared")
    def shared(filename: str):
        return send_from_directory(SHARED_DIR, filename)

    @bp.get("/icons/<name>", endpoint="icon")
    def icon(name: str):
        from manifest import ICON_DIR  # noqa: PLC0415 - the add-in's icons, one set for every page

        if not name.endswith(".png"):
            abort(404)
        return send_from_directory(ICON_DIR, name, mimetype="image/png", max_age=86400)

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
