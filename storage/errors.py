"""Domain errors. The API maps each class to one HTTP status in one place (addin/errors.py).

Details and field messages are sentences for people: made with storage.i18n's `_()` (a Text), so the
API says them in the request's language (addin/errors.py `problem`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str  # the request's field path, never translated: "lines[0].quantity"
    message: str  # a Text: "is required"


class DomainError(Exception):
    """Base of every error a service function raises on purpose."""

    def __init__(self, detail: str, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(DomainError):
    """The record does not exist or is not visible to this user (never say which)."""


class Forbidden(DomainError):
    """Authenticated and visible, but this user may not do this."""


class RuleViolation(DomainError):
    """Well-formed input that breaks a business rule."""

    @classmethod
    def on(cls, field: str, message: str) -> "RuleViolation":
        """One field's rule broken; the detail is the message itself (a Text, translated with it)."""
        return cls(message, [FieldError(field, message)])


class Conflict(DomainError):
    """The change conflicts with the record's state (closed record, built-in stage, ...)."""


class VersionMismatch(DomainError):
    """If-Match named a version that is no longer current."""


class BadInput(DomainError):
    """Input that is malformed rather than wrong (a bad cursor, a bad id format)."""
