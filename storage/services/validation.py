"""Collecting rule violations so one answer names every field that is wrong."""
from __future__ import annotations

from storage import limits
from storage.errors import FieldError, RuleViolation
from storage.i18n import _


class Problems:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        """`message`: a Text (storage.i18n._), said in the request's language by the API."""
        self.errors.append(FieldError(field, message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, detail: str | None = None) -> None:
        if self.errors:
            if len(self.errors) == 1:
                detail = field_message(self.errors[0].field, self.errors[0].message)
            raise RuleViolation(detail or _("The request breaks one or more rules."), list(self.errors))


def field_message(field: str, message: str) -> str:
    """One field's message as a problem's detail: "lines[0].quantity: must not be negative"."""
    return _("%(field)s: %(message)s", field=field, message=message)


def clean_text(value: str | None) -> str | None:
    """Trim; an empty or blank string means "no value"."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def require_text(problems: Problems, field: str, value: str | None, max_len: int = limits.NAME) -> str | None:
    value = clean_text(value)
    if value is None:
        problems.add(field, _("is required"))
    elif len(value) > max_len:
        problems.add(field, _("must be at most %(max_length)s characters", max_length=max_len))
    return value


def optional_text(problems: Problems, field: str, value: str | None, max_len: int) -> str | None:
    value = clean_text(value)
    if value is not None and len(value) > max_len:
        problems.add(field, _("must be at most %(max_length)s characters", max_length=max_len))
    return value
