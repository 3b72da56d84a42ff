"""Collecting rule violations so one answer names every field that is wrong."""
from __future__ import annotations

from storage import limits
from storage.errors import FieldError, RuleViolation


class Problems:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, detail: str = "The request breaks one or more rules.") -> None:
        if self.errors:
            if len(self.errors) == 1:
                detail = f"{self.errors[0].field}: {self.errors[0].message}"
            raise RuleViolation(detail, list(self.errors))


def clean_text(value: str | None) -> str | None:
    """Trim; an empty or blank string means "no value"."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def require_text(problems: Problems, field: str, value: str | None, max_len: int = limits.NAME) -> str | None:
    value = clean_text(value)
    if value is None:
        problems.add(field, "is required")
    elif len(value) > max_len:
        problems.add(field, f"must be at most {max_len} characters")
    return value


def optional_text(problems: Problems, field: str, value: str | None, max_len: int) -> str | None:
    value = clean_text(value)
    if value is not None and len(value) > max_len:
        problems.add(field, f"must be at most {max_len} characters")
    return value
