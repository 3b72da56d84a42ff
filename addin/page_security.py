"""Headers for what the blueprints do not send themselves: the API docs pages (flask-openapi3's Swagger UI
under /api/docs) get a Content-Security-Policy like the pane's and the workspace's, and no redirect
copies the request's Host header into its Location.

The docs UI is served from the installed flask-openapi3-swagger package (its own copy of Swagger UI, no
CDN); its pages carry a few inline scripts, allowed by their hashes (computed from the page served, so an
upgrade of the package cannot silently widen the policy), never by 'unsafe-inline'. Styles are another
matter: Swagger UI inserts <style> elements as it renders (https://github.com/swagger-api/swagger-ui/issues/3370,
still so in 5.30: https://github.com/swagger-api/swagger-ui/issues/10655), so the docs pages alone allow
inline styles; no script can run from them, and the pages render no user input.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import re
from urllib.parse import urlsplit

from flask import Flask, Response, request

DOCS_PREFIX = "/api/docs"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.lru_cache(maxsize=32)
def docs_policy(html: str) -> str:
    """The docs page's policy: our own files, plus the page's own inline scripts and event handlers by
    hash (CSP Level 3 'unsafe-hashes' for the handlers). Fetches only to this origin (the OpenAPI
    document and "Try it out"), never framed."""
    scripts = sorted({_sha256(body) for body in _INLINE_SCRIPT.findall(html)})
    handlers = sorted({_sha256(a or b) for a, b in _EVENT_HANDLER.findall(html)})
    script_src = " ".join(["'self'", *scripts, *(["'unsafe-hashes'", *handlers] if handlers else [])])
    return "; ".join([
        "default-src 'none'",
        f"script-src {script_src}",
        "style-src 'self' 'unsafe-inline'",  # Swagger UI's own <style> elements (see above)
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ])


def relative_location(location: str, request_host: str) -> str:
    """A Location on the request's own host made relative (path, query, fragment): the Host header is the
    caller's to choose, so an absolute URL built from it could send a victim anywhere (Werkzeug builds
    its trailing-slash redirects that way). Locations to other hosts are left as they are."""
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() != request_host.lower():
        return location
    path = "/" + parts.path.lstrip("/")  # never "//host": that would be absolute again
    return path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def register_page_security(app: Flask) -> None:
    @app.after_request
    def _page_security(response: Response) -> Response:
        location = response.headers.get("Location")
        if location and 300 <= response.status_code < 400:
            response.headers["Location"] = relative_location(location, request.host)
        if request.path == DOCS_PREFIX or request.path.startswith(DOCS_PREFIX + "/"):
            html = response.get_data(as_text=True) if response.mimetype == "text/html" and not response.is_streamed \
                else ""
            response.headers["Content-Security-Policy"] = docs_policy(html)
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response
