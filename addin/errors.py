"""Every error leaves the API as RFC 9457 problem+json; domain errors map to statuses here, once."""
from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from flask import Flask, Response, json, request
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from addin.i18n import say, tr
from graph_sync.outbound import SendFailed
from graph_sync.port import GraphAuthError, GraphError, GraphNotFound, GraphPermissionError, GraphTransientError
from graph_sync.tokens import GRAPH_SCOPES, NeedsSignIn, TokenConfigError
from storage.i18n import N_
from storage.errors import BadInput, Conflict, DomainError, Forbidden, NotFound, RuleViolation, VersionMismatch

log = logging.getLogger(__name__)

STATUS_OF = {BadInput: 400, Forbidden: 403, NotFound: 404, Conflict: 409, VersionMismatch: 412, RuleViolation: 422}


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error: its class's in STATUS_OF (or its nearest base class's, e.g.
    storage.services.mail.NotTheSameMessage is a Conflict: 409), 422 for any other."""
    return next((STATUS_OF[cls] for cls in type(error).__mro__ if cls in STATUS_OF), 422)


def bulk_failure(record_id: str, error: DomainError) -> dict:
    """One record a bulk change left as it was: {"id", "status", "detail"} (the BulkFailure schema)."""
    return {"id": record_id, "status": status_of(error), "detail": error.detail}
TITLES = {
    400: N_("Bad request"), 401: N_("Unauthorized"), 403: N_("Forbidden"), 404: N_("Not found"),
    405: N_("Method not allowed"), 406: N_("Not acceptable"), 409: N_("Conflict"), 412: N_("Precondition failed"),
    413: N_("Request body too large"), 415: N_("Unsupported media type"), 422: N_("Unprocessable content"),
    428: N_("Precondition required"), 429: N_("Too many requests"), 500: N_("Internal server error"),
    502: N_("Bad gateway"), 503: N_("Service unavailable"),
}
# pydantic error types that mean "not the right JSON type or format" (400); all others
# (missing, out of range, unknown field, bad choice) are rule breaks (422).
TYPE_ERROR_SUFFIXES = ("_type", "_parsing", "json_invalid", "int_from_float", "_syntax")


@dataclass(frozen=True)
class GraphChallenge:
    """What the pane needs to sign the user in again when Entra refused the on-behalf-of exchange
    for something only the user can do: consent (AADSTS65001) or MFA / Conditional Access (a claims
    challenge). Per Microsoft's on-behalf-of page the middle tier answers 401 with a WWW-Authenticate
    header carrying the error and the claims, and the client signs in interactively with them:
    https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example,
    https://learn.microsoft.com/entra/identity-platform/claims-challenge (the claims, base64, in the header),
    https://azuread.github.io/microsoft-authentication-library-for-js/ref/classes/_azure_msal_common.InteractionRequiredAuthError.html"""

    error: str  # consent_required | interaction_required
    claims: str | None  # the claims request, JSON, as Entra gave it
    scopes: tuple[str, ...]  # the Graph permissions to consent to, as full scope names

    @classmethod
    def of(cls, error: NeedsSignIn) -> "GraphChallenge | None":
        if not error.refused:
            return None  # no grant stored: nothing Entra asked for
        scopes = tuple(GRAPH_SCOPES)
        if error.consent_required:
            return cls("consent_required", error.claims, scopes)
        return cls("interaction_required", error.claims, scopes)

    def members(self) -> dict:
        return {"error": self.error, "claims": self.claims, "scopes": list(self.scopes)}

    def header(self) -> str:
        parts = ['Bearer realm=""', f'error="{self.error}"']
        if self.claims:
            parts.append(f'claims="{base64.b64encode(self.claims.encode()).decode()}"')
        parts.append(f'scope="{" ".join(self.scopes)}"')
        return ", ".join(parts)


def problem(status: int, detail: str = "", errors: list[dict] | None = None, headers: dict | None = None,
            type_: str = "about:blank", extra: dict | None = None) -> Response:
    """`extra`: RFC 9457 extension members, added after the standard ones. The title, the detail and each
    error's message are said in the request's language (addin/i18n.py) when they are marked Texts."""
    body = {
        "type": type_,
        "title": say(TITLES.get(status, N_("Error"))),
        "status": status,
        "detail": tr(detail),
        "errors": [{**error, "message": tr(error.get("message"))} for error in errors or []],
        **(extra or {}),
    }
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_path(loc: tuple) -> str:
    """('lines', 0, 'quantity') -> 'lines[0].quantity'"""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_problem(error: ValidationError, where: str | None = None) -> Response:
    errors, malformed = [], False
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and "[" in part and "]" in part))
        field = field_path(loc) or (where or "body")
        kind = item["type"]
        if kind.endswith(TYPE_ERROR_SUFFIXES) or kind in ("model_type", "dict_type", "model_attributes_type"):
            malformed = True
        message = item["msg"]
        if kind == "extra_forbidden":
            message = "is not a field of this request"
        errors.append({"field": field, "message": message})
    status = 400 if malformed else 422
    detail = "The request has values of the wrong type or format." if malformed else "The request breaks one or more rules."
    if len(errors) == 1:
        detail = f"{errors[0]['field']}: {errors[0]['message']}"
    return problem(status, detail, errors)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return problem(status_of(error), error.detail, [{"field": e.field, "message": e.message} for e in error.errors])

    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError):
        return validation_problem(error)

    @app.errorhandler(GraphError)
    def _graph(error: GraphError):
        if isinstance(error, GraphPermissionError):
            # Signing in again does not help: an admin (or the user's consent) must grant it.
            return problem(403, error.explain(), type_="https://dealpane.dev/problems/graph-permission-missing",
                           extra={"permission": error.permission, "permission_type":
                                  "application" if error.application else "delegated"})
        if isinstance(error, GraphAuthError):
            return problem(409, "Dealpane cannot reach your mailbox: sign in again from the Outlook pane.",
                           type_="https://dealpane.dev/problems/mailbox-needs-sign-in")
        if isinstance(error, GraphTransientError):
            wait = f"{max(1, round(error.retry_after or 5))}"
            return problem(503, "Microsoft Graph is busy or unreachable; try again shortly.",
                           headers={"Retry-After": wait}, type_="https://dealpane.dev/problems/graph-unavailable")
        if isinstance(error, GraphNotFound):
            return problem(404, "The item is not in your mailbox any more.")
        log.error("Graph failure on %s %s: %s", request.method, request.path, error)
        return problem(502, "Microsoft Graph gave an answer Dealpane did not expect; it has been logged.",
                       type_="https://dealpane.dev/problems/graph-unavailable")

    @app.errorhandler(SendFailed)
    def _send_failed(error: SendFailed):
        response = problem(502, error.detail, type_="https://dealpane.dev/problems/send-failed")
        return response

    @app.errorhandler(NeedsSignIn)
    def _needs_sign_in(error: NeedsSignIn):
        found = GraphChallenge.of(error)
        return problem(409, "Dealpane has no access to your mailbox yet: sign in from the Outlook pane.",
                       type_="https://dealpane.dev/problems/mailbox-needs-sign-in",
                       extra=found.members() if found else None)

    @app.errorhandler(TokenConfigError)
    def _token_config(error: TokenConfigError):
        log.error("Graph is not configured: %s", error)
        return problem(503, "This Dealpane server is not connected to Microsoft Graph; ask your administrator.",
                       type_="https://dealpane.dev/problems/graph-not-configured")

    @app.errorhandler(StaleDataError)
    def _stale(_error):
        return problem(409, "Someone else changed this record at the same moment; load it again and retry.")

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError):
        # The services check every rule first; this is a race between two requests.
        log.warning("integrity error on %s %s: %s", request.method, request.path, error.orig)
        return problem(409, "The change conflicts with another change made at the same time; retry.")

    @app.errorhandler(DataError)
    def _data(error: DataError):
        # The services validate first; this is a value the database itself cannot take.
        log.warning("data error on %s %s: %s", request.method, request.path, error.orig)
        return problem(400, "A value in the request cannot be stored.")

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError):
        log.error("database error on %s %s: %s", request.method, request.path, error.orig)
        return problem(503, "The database is busy or unreachable; retry shortly.", headers={"Retry-After": "2"})

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if getattr(error, "response", None) is not None:
            return error.response  # a finished response aborted with
        headers = {}
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        detail = {413: "The request body is larger than this API accepts."}.get(error.code, error.description or "")
        return problem(error.code or 500, detail, headers=headers)

    @app.errorhandler(Exception)
    def _bug(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_BUGS"):
            raise error
        return problem(500, "An unexpected error occurred; it has been logged.")
