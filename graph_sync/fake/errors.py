"""Graph's error responses: ``{"error": {"code", "message", "innerError"}}`` with its status."""
from __future__ import annotations


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def item_not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def not_implemented(method: str, path: str) -> GraphError:
    return GraphError(501, "NotImplemented", f"{method} {path} is not implemented by the fake Graph")


def unauthorized(message: str) -> GraphError:
    # Graph's real 401s carry this challenge; clients that parse it should find it here too.
    challenge = ('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                 'client_id="00000003-0000-0000-c000-000000000000"')
    return GraphError(401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": challenge})


def sync_state_not_found() -> GraphError:
    return GraphError(410, "syncStateNotFound",
                      "The sync state generation is not found. Start a new round of synchronization.")


# Bodies used for injected faults, per status.
FAULT_ERRORS = {
    401: ("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    410: ("syncStateNotFound", "The sync state generation is not found. Start a new round of synchronization."),
    429: ("TooManyRequests", "Too many requests. Retry after the time given in the Retry-After header."),
    500: ("InternalServerError", "An internal server error occurred. The operation failed."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Retry later."),
    504: ("GatewayTimeout", "The gateway timed out waiting for the service."),
}


def fault_error(status: int, retry_after: float | None) -> GraphError:
    code, message = FAULT_ERRORS.get(status, ("UnknownError", "An error occurred."))
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = format_seconds(retry_after)
    if status == 401:
        err = unauthorized(message)
        err.headers.update(headers)
        return err
    return GraphError(status, code, message, headers)


def format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
