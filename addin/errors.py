"""Every error leaves the API as RFC 9457 problem+json; domain errors map to statuses here, once.

Everything a problem says to a person (title, detail, each error's message) is in the request's language
(addin/i18n.py): the services' sentences are Texts (storage.i18n), pydantic's messages are replaced by
our own (PYDANTIC_MESSAGES) and werkzeug's descriptions by ours (HTTP_DETAILS)."""
from __future__ import annotations

import base64
import logging
from collections.abc import Callable
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
from storage.errors import BadInput, Conflict, DomainError, Forbidden, NotFound, RuleViolation, VersionMismatch
from storage.i18n import N_, Text, _, ngettext
from storage.services.validation import field_message

log = logging.getLogger(__name__)

STATUS_OF = {BadInput: 400, Forbidden: 403, NotFound: 404, Conflict: 409, VersionMismatch: 412, RuleViolation: 422}


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error: its class's in STATUS_OF (or its nearest base class's, e.g.
    storage.services.mail.NotTheSameMessage is a Conflict: 409), 422 for any other."""
    return next((STATUS_OF[cls] for cls in type(error).__mro__ if cls in STATUS_OF), 422)


def bulk_failure(record_id: str, error: DomainError) -> dict:
    """One record a bulk change left as it was: {"id", "status", "detail"} (the BulkFailure schema),
    the detail in the request's language."""
    return {"id": record_id, "status": status_of(error), "detail": tr(error.detail)}

TITLES = {
    400: N_("Bad request"), 401: N_("Unauthorized"), 403: N_("Forbidden"), 404: N_("Not found"),
    405: N_("Method not allowed"), 406: N_("Not acceptable"), 409: N_("Conflict"), 412: N_("Precondition failed"),
    413: N_("Request body too large"), 415: N_("Unsupported media type"), 422: N_("Unprocessable content"),
    428: N_("Precondition required"), 429: N_("Too many requests"), 500: N_("Internal server error"),
    502: N_("Bad gateway"), 503: N_("Service unavailable"),
    408: N_("Request timeout"), 410: N_("Gone"), 411: N_("Length required"), 414: N_("URI too long"),
    416: N_("Range not satisfiable"), 417: N_("Expectation failed"), 431: N_("Request header fields too large"),
    501: N_("Not implemented"), 504: N_("Gateway timeout"),
}
# werkzeug's HTTPException descriptions are English sentences of its own: a problem says ours instead.
HTTP_DETAILS: dict[int, Callable[[], Text]] = {
    400: lambda: _("The request could not be understood."),
    401: lambda: _("A valid access token is required."),
    403: lambda: _("You may not do this."),
    404: lambda: _("Nothing is found at this address."),
    405: lambda: _("This address does not accept this method; the Allow header lists those it accepts."),
    406: lambda: _("The server cannot answer in a format the request accepts."),
    408: lambda: _("The request took too long to arrive."),
    409: lambda: _("The request conflicts with the current state of the record."),
    410: lambda: _("This is no longer here."),
    411: lambda: _("The request needs a Content-Length header."),
    412: lambda: _("A condition of the request is not met."),
    413: lambda: _("The request body is larger than this API accepts."),
    414: lambda: _("The address is too long."),
    415: lambda: _("The body's media type is not one this address accepts."),
    416: lambda: _("The requested range cannot be given."),
    417: lambda: _("The Expect header cannot be met."),
    422: lambda: _("The request breaks one or more rules."),
    428: lambda: _("The request must name the version it changes (If-Match)."),
    429: lambda: _("Too many requests; try again shortly."),
    431: lambda: _("The request's headers are too large."),
    500: lambda: _("An unexpected error occurred; it has been logged."),
    501: lambda: _("This server cannot do what the request asks."),
    502: lambda: _("A server this one relies on gave an answer it did not expect."),
    503: lambda: _("The service is unavailable; try again shortly."),
    504: lambda: _("A server this one relies on did not answer in time."),
}
# pydantic error types that mean "not the right JSON type or format" (400); all others
# (missing, out of range, unknown field, bad choice) are rule breaks (422).
TYPE_ERROR_SUFFIXES = ("_type", "_parsing", "json_invalid", "int_from_float", "_syntax")


def _choices(expected: object) -> str:
    """pydantic's "'owner' or 'member'" (English "or") as "'owner', 'member'"."""
    text = str(expected)
    head, sep, last = text.rpartition(" or ")
    return f"{head}, {last}" if sep else text


def _count(ctx: dict, key: str) -> int:
    try:
        return int(ctx.get(key) or 0)
    except (TypeError, ValueError):
        return 0


# Our message for each error type pydantic can give on a request (JSON body, query string or path),
# from the error's `ctx`; the types of https://docs.pydantic.dev/latest/errors/validation_errors/ that
# none of our request schemas can produce (bytes, sets, callables, dataclasses, ...) keep pydantic's
# English `msg` (tests/api/test_language.py lists them).
PYDANTIC_MESSAGES: dict[str, Callable[[dict], Text]] = {
    "missing": lambda ctx: _("is required"),
    "extra_forbidden": lambda ctx: _("is not a field of this request"),
    "none_required": lambda ctx: _("must be null"),
    "json_invalid": lambda ctx: _("is not valid JSON"),
    "json_type": lambda ctx: _("must be JSON text"),
    "recursion_loop": lambda ctx: _("is nested too deeply"),
    "recursion_depth_exceeded": lambda ctx: _("is nested too deeply"),
    "model_type": lambda ctx: _("must be an object"),
    "model_attributes_type": lambda ctx: _("must be an object"),
    "dict_type": lambda ctx: _("must be an object"),
    "list_type": lambda ctx: _("must be a list"),
    "string_type": lambda ctx: _("must be a string"),
    "string_unicode": lambda ctx: _("must be valid Unicode text"),
    "string_too_short": lambda ctx: ngettext("must be at least %(min_length)s character long",
                                             "must be at least %(min_length)s characters long",
                                             _count(ctx, "min_length"), min_length=ctx.get("min_length")),
    "string_too_long": lambda ctx: _("must be at most %(max_length)s characters", max_length=ctx.get("max_length")),
    "string_pattern_mismatch": lambda ctx: _("must match the pattern %(pattern)s", pattern=ctx.get("pattern")),
    "too_short": lambda ctx: ngettext("must have at least %(min_length)s item",
                                      "must have at least %(min_length)s items",
                                      _count(ctx, "min_length"), min_length=ctx.get("min_length")),
    "too_long": lambda ctx: ngettext("must have at most %(max_length)s item",
                                     "must have at most %(max_length)s items",
                                     _count(ctx, "max_length"), max_length=ctx.get("max_length")),
    "bool_type": lambda ctx: _("must be true or false"),
    "bool_parsing": lambda ctx: _("must be true or false"),
    "int_type": lambda ctx: _("must be a whole number"),
    "int_parsing": lambda ctx: _("must be a whole number"),
    "int_from_float": lambda ctx: _("must be a whole number"),
    "int_parsing_size": lambda ctx: _("is too large a number"),
    "float_type": lambda ctx: _("must be a number"),
    "float_parsing": lambda ctx: _("must be a number"),
    "finite_number": lambda ctx: _("must be a finite number"),
    "decimal_type": lambda ctx: _("must be a decimal number"),
    "decimal_parsing": lambda ctx: _("must be a decimal number"),
    "decimal_max_digits": lambda ctx: _("must have at most %(digits)s digits", digits=ctx.get("max_digits")),
    "decimal_max_places": lambda ctx: _("must have at most %(places)s decimal places",
                                        places=ctx.get("decimal_places")),
    "decimal_whole_digits": lambda ctx: _("must have at most %(digits)s digits before the decimal point",
                                          digits=ctx.get("whole_digits")),
    "greater_than": lambda ctx: _("must be greater than %(limit)s", limit=ctx.get("gt")),
    "greater_than_equal": lambda ctx: _("must be at least %(limit)s", limit=ctx.get("ge")),
    "less_than": lambda ctx: _("must be less than %(limit)s", limit=ctx.get("lt")),
    "less_than_equal": lambda ctx: _("must be at most %(limit)s", limit=ctx.get("le")),
    "multiple_of": lambda ctx: _("must be a multiple of %(multiple)s", multiple=ctx.get("multiple_of")),
    "literal_error": lambda ctx: _("must be one of %(expected)s", expected=_choices(ctx.get("expected"))),
    "enum": lambda ctx: _("must be one of %(expected)s", expected=_choices(ctx.get("expected"))),
    "union_tag_invalid": lambda ctx: _("must be one of %(expected)s", expected=_choices(ctx.get("expected_tags"))),
    "union_tag_not_found": lambda ctx: _("needs %(field)s", field=ctx.get("discriminator")),
    "date_type": lambda ctx: _("must be a date (YYYY-MM-DD)"),
    "date_parsing": lambda ctx: _("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": lambda ctx: _("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": lambda ctx: _("must be a date without a time (YYYY-MM-DD)"),
    "date_past": lambda ctx: _("must be in the past"),
    "date_future": lambda ctx: _("must be in the future"),
    "datetime_type": lambda ctx: _("must be a date and time (YYYY-MM-DDTHH:MM:SS+HH:MM)"),
    "datetime_parsing": lambda ctx: _("must be a date and time (YYYY-MM-DDTHH:MM:SS+HH:MM)"),
    "datetime_from_date_parsing": lambda ctx: _("must be a date and time (YYYY-MM-DDTHH:MM:SS+HH:MM)"),
    "datetime_object_invalid": lambda ctx: _("must be a date and time (YYYY-MM-DDTHH:MM:SS+HH:MM)"),
    "datetime_past": lambda ctx: _("must be in the past"),
    "datetime_future": lambda ctx: _("must be in the future"),
    "timezone_naive": lambda ctx: _("must not have a time zone offset"),
    "timezone_aware": lambda ctx: _("needs a time zone offset"),
    "timezone_offset": lambda ctx: _("must have the time zone offset %(offset)s", offset=ctx.get("tz_expected")),
    "time_type": lambda ctx: _("must be a time (HH:MM)"),
    "time_parsing": lambda ctx: _("must be a time (HH:MM)"),
    "time_delta_type": lambda ctx: _("must be a duration"),
    "time_delta_parsing": lambda ctx: _("must be a duration"),
    "uuid_type": lambda ctx: _("must be a UUID"),
    "uuid_parsing": lambda ctx: _("must be a UUID"),
    "uuid_version": lambda ctx: _("must be a UUID"),
    "url_type": lambda ctx: _("must be a URL"),
    "url_parsing": lambda ctx: _("must be a URL"),
    "url_syntax_violation": lambda ctx: _("must be a URL"),
    "url_too_long": lambda ctx: _("must be at most %(max_length)s characters", max_length=ctx.get("max_length")),
    "url_scheme": lambda ctx: _("must be a URL with one of the schemes %(expected)s",
                                expected=_choices(ctx.get("expected_schemes"))),
}


def pydantic_message(item: dict) -> str:
    """One pydantic error as our catalogue's message (a Text); a validator of ours that raised
    ValueError(Text) keeps its Text; an error type we do not map keeps pydantic's English `msg`."""
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        said = cause.args[0] if isinstance(cause, Exception) and cause.args else None
        return said if isinstance(said, Text) else item["msg"]
    make = PYDANTIC_MESSAGES.get(kind)
    return make(ctx) if make is not None else item["msg"]


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
        errors.append({"field": field, "message": pydantic_message(item)})
    status = 400 if malformed else 422
    detail = _("The request has values of the wrong type or format.") if malformed else \
        _("The request breaks one or more rules.")
    if len(errors) == 1:
        detail = field_message(errors[0]["field"], errors[0]["message"])
    return problem(status, detail, errors)


def http_detail(error: HTTPException) -> str:
    """An HTTPException's detail: its description when it is ours (a Text), else our sentence for its
    status (werkzeug's descriptions are its own English)."""
    if isinstance(error.description, Text):
        return error.description
    make = HTTP_DETAILS.get(error.code or 500)
    return make() if make is not None else _("The request could not be completed.")


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
            return problem(409, _("Dealpane cannot reach your mailbox: sign in again from the Outlook pane."),
                           type_="https://dealpane.dev/problems/mailbox-needs-sign-in")
        if isinstance(error, GraphTransientError):
            wait = f"{max(1, round(error.retry_after or 5))}"
            return problem(503, _("Microsoft Graph is busy or unreachable; try again shortly."),
                           headers={"Retry-After": wait}, type_="https://dealpane.dev/problems/graph-unavailable")
        if isinstance(error, GraphNotFound):
            return problem(404, _("The item is not in your mailbox any more."))
        log.error("Graph failure on %s %s: %s", request.method, request.path, error)
        return problem(502, _("Microsoft Graph gave an answer Dealpane did not expect; it has been logged."),
                       type_="https://dealpane.dev/problems/graph-unavailable")

    @app.errorhandler(SendFailed)
    def _send_failed(error: SendFailed):
        response = problem(502, error.detail, type_="https://dealpane.dev/problems/send-failed")
        return response

    @app.errorhandler(NeedsSignIn)
    def _needs_sign_in(error: NeedsSignIn):
        found = GraphChallenge.of(error)
        return problem(409, _("Dealpane has no access to your mailbox yet: sign in from the Outlook pane."),
                       type_="https://dealpane.dev/problems/mailbox-needs-sign-in",
                       extra=found.members() if found else None)

    @app.errorhandler(TokenConfigError)
    def _token_config(error: TokenConfigError):
        log.error("Graph is not configured: %s", error)
        return problem(503, _("This Dealpane server is not connected to Microsoft Graph; ask your administrator."),
                       type_="https://dealpane.dev/problems/graph-not-configured")

    @app.errorhandler(StaleDataError)
    def _stale(_error):
        return problem(409, _("Someone else changed this record at the same moment; load it again and retry."))

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError):
        # The services check every rule first; this is a race between two requests.
        log.warning("integrity error on %s %s: %s", request.method, request.path, error.orig)
        return problem(409, _("The change conflicts with another change made at the same time; retry."))

    @app.errorhandler(DataError)
    def _data(error: DataError):
        # The services validate first; this is a value the database itself cannot take.
        log.warning("data error on %s %s: %s", request.method, request.path, error.orig)
        return problem(400, _("A value in the request cannot be stored."))

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError):
        log.error("database error on %s %s: %s", request.method, request.path, error.orig)
        return problem(503, _("The database is busy or unreachable; retry shortly."), headers={"Retry-After": "2"})

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if getattr(error, "response", None) is not None:
            return error.response  # a finished response aborted with
        headers = {}
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return problem(error.code or 500, http_detail(error), headers=headers)

    @app.errorhandler(Exception)
    def _bug(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_BUGS"):
            raise error
        return problem(500, _("An unexpected error occurred; it has been logged."))
