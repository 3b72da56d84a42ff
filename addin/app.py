"""The application factory: create_app(config). Nothing happens at import time."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import g, json, request
from flask_openapi3 import Info, OpenAPI
from sqlalchemy import orm as so

from addin.auth import AuthError, DevAuthenticator
from addin.config import Config
from addin.errors import problem, register_error_handlers, validation_problem
from addin.i18n import register_language
from addin.observability import register_observability
from addin.page_security import register_page_security
from graph_sync.clients import GraphAccess
from storage.i18n import _
from storage.services.validation import field_message
from storage.db import make_engine, make_session_factory, read_only, single_statement

log = logging.getLogger(__name__)

CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")
SECURITY_SCHEMES = {
    "entra": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
              "description": "Microsoft Entra ID access token for this API (Nested App Authentication in Outlook)."},
    "dev": {"type": "apiKey", "in": "header", "name": "X-Dev-User",
            "description": "Demo/dev mode only: the e-mail address of the user to act as."},
}


class DealpaneOpenAPI(OpenAPI):
    """flask-openapi3's app, with error responses documented as what they are: problem+json."""

    @property
    def api_doc(self) -> dict:
        document = super().api_doc
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                offers_csv = any(p.get("name") == "format" and "csv" in str(p.get("schema"))
                                 for p in operation.get("parameters") or [])
                for status, response in (operation.get("responses") or {}).items():
                    content = response.get("content") or {}
                    schema = (content.get("application/json") or {}).get("schema") or {}
                    if status == "422" and schema.get("type") == "array":
                        # flask-openapi3's default for a request it validates; ours answers problem+json
                        # (addin.errors.validation_problem), with the field paths in `errors`
                        content["application/json"] = {"schema": {"$ref": "#/components/schemas/Problem"}}
                    if status[:1] in ("4", "5") and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
                    if status == "200" and offers_csv:  # ?format=csv answers a spreadsheet
                        content["text/csv"] = {"schema": {"type": "string"}}
        return document


@dataclass
class Services:
    """What the app holds for the requests: built once in create_app."""

    config: Config
    engine: Any
    read_engine: Any  # the same pool; on SQLite its transactions begin deferred (see storage.db.read_only)
    single_statement_engine: Any  # the same pool, for one-statement reads (storage.db.single_statement)
    session_factory: so.sessionmaker
    read_session_factory: so.sessionmaker
    authenticator: Any
    graph: Any


def create_app(config: Config | None = None, *, engine=None, graph=None) -> OpenAPI:
    config = config or Config.from_env()
    app = DealpaneOpenAPI(
        __name__,
        info=Info(title="Dealpane API", version="1",
                  description="Sales opportunity tracking inside Outlook. All money is a decimal string."),
        security_schemes=SECURITY_SCHEMES,
        doc_prefix="/api/docs",
        doc_url="/openapi.json",
        validation_error_status=422,
        validation_error_callback=validation_problem,
    )
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    engine = engine or make_engine(config.database_url, read_heavy=True)
    session_factory = make_session_factory(engine)
    read_engine = read_only(engine)
    app.extensions["dealpane"] = Services(
        config=config, engine=engine, read_engine=read_engine, single_statement_engine=single_statement(engine),
        session_factory=session_factory,
        read_session_factory=make_session_factory(read_engine), authenticator=_authenticator(config),
        graph=graph or GraphAccess(config.graph_settings(), session_factory),
    )
    register_error_handlers(app)
    register_language(app)
    register_observability(app)
    register_page_security(app)
    _register_request_hooks(app)

    from addin.api import register_api  # noqa: PLC0415 - blueprints are built per app, not at import

    register_api(app)
    from addin.pane import bp as pane_bp  # noqa: PLC0415
    from addin.workspace import bp as workspace_bp

    app.register_blueprint(pane_bp)
    app.register_blueprint(workspace_bp)

    @app.get("/api/v1/openapi.json", doc_ui=False)
    def openapi_document():
        return app.response_class(json.dumps(app.api_doc), mimetype="application/json")

    @app.get("/", doc_ui=False)
    def index():
        # The site's root opens the sales workspace; the API documentation stays at /api/docs/.
        return app.redirect("/workspace/")

    return app


def _authenticator(config: Config):
    if config.auth_mode == "dev":
        return DevAuthenticator()
    from addin.tokens import EntraAuthenticator  # noqa: PLC0415

    return EntraAuthenticator(config)


def _nul_path(value) -> str | None:
    """The field path of the first text holding U+0000, or None."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return path or "body"
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def _register_request_hooks(app: OpenAPI) -> None:
    from addin.api.context import close_uow  # noqa: PLC0415

    services: Services = app.extensions["dealpane"]

    @app.before_request
    def _authenticate_and_parse():
        if not request.path.startswith("/api/v1/") or request.path == "/api/v1/openapi.json":
            return None
        if request.path.startswith("/api/v1/graph/notifications"):
            return None
        try:
            g.identity = services.authenticator.identify()
        except AuthError as error:
            challenge = 'Bearer error="invalid_token"' if error.error else "Bearer"
            if services.config.auth_mode == "dev":
                challenge = 'Bearer realm="dealpane", X-Dev-User'
            return problem(401, error.detail, headers={"WWW-Authenticate": challenge})
        bad_query = next((k for k, v in request.args.items() if "\x00" in v or "\x00" in k), None)
        if bad_query is not None:
            message = _("must not contain a NUL character")
            return problem(400, field_message(bad_query, message), [{"field": bad_query, "message": message}])
        # Every body, however it is sent. A chunked one (Transfer-Encoding, no Content-Length) is read
        # here through werkzeug's stream, which stops at MAX_CONTENT_LENGTH without a word: a byte left
        # beyond it means the body is too large (413), never a truncated body taken for the whole.
        if "/import/" in request.path and request.method == "POST":
            # a CSV import may be up to 20,000 rows: its own, larger limit (Flask 3.1 per-request limit)
            request.max_content_length = services.config.max_import_bytes
        if request.method in ("POST", "PUT", "PATCH") and (
                request.content_length or "Transfer-Encoding" in request.headers):
            if request.content_length is None:
                request.get_data(cache=True)
                if "wsgi.input_terminated" in request.environ and request.environ["wsgi.input"].read(1):
                    return problem(413, _("The request body is larger than this API accepts."))
            if "/import/" in request.path and request.mimetype in CSV_TYPES:
                return None  # the import endpoint reads the CSV itself (UTF-8 checked, NUL refused)
            if not request.is_json and (request.content_length or request.get_data(cache=True)):
                return problem(415, _("Send the body as application/json."))
            data = request.get_data(cache=True)
            if not data:
                return None  # an empty chunked body: as if none was sent
            try:
                body = json.loads(data)
            except (ValueError, RecursionError):  # deeply nested JSON is refused, not a crash
                return problem(400, _("The body is not valid JSON."),
                               [{"field": "body", "message": _("malformed JSON")}])
            if not isinstance(body, dict):
                return problem(400, _("The body must be a JSON object."),
                               [{"field": "body", "message": _("must be a JSON object")}])
            nul_at = _nul_path(body)
            if nul_at:  # PostgreSQL cannot store U+0000: refuse it the same way on every database (400, as README)
                message = _("must not contain a NUL character (\\u0000)")
                return problem(400, field_message(nul_at, message), [{"field": nul_at, "message": message}])
        return None

    app.teardown_request(close_uow)
