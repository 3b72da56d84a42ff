"""Injected faults: an error status (with ``Retry-After``) or a connection dropped mid-response.

A fault applies to the next ``times`` Graph requests whose path contains ``match`` (and whose
method is ``method``, when given); the earliest added fault that still has uses wins.
CLI form: ``match=/messages/delta,status=429,times=2,retry_after=1.5`` or ``match=/events,drop=true``.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass

FIELDS = {"match", "status", "times", "retry_after", "drop", "method"}


@dataclass
class Fault:
    id: int
    match: str
    status: int | None = None
    times: int = 1
    retry_after: float | None = None
    drop: bool = False
    method: str | None = None
    used: int = 0

    def public(self) -> dict:
        return asdict(self)


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def validate(spec: dict) -> dict:
    """The fault's fields checked and typed; ValueError says what is wrong."""
    if not isinstance(spec, dict):
        raise ValueError("a fault is a JSON object")
    unknown = set(spec) - FIELDS
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    match = spec.get("match")
    if not isinstance(match, str) or not match:
        raise ValueError("'match' (a substring of the request path) is required")
    out: dict = {"match": match, "drop": _bool(spec.get("drop", False))}
    if spec.get("status") is not None:
        out["status"] = int(spec["status"])
        if not 400 <= out["status"] <= 599:
            raise ValueError("'status' must be an HTTP error status (400-599)")
    if out["drop"] == ("status" in out):
        raise ValueError("a fault has either a 'status' or 'drop': true")
    out["times"] = int(spec.get("times", 1))
    if out["times"] < 1:
        raise ValueError("'times' must be at least 1")
    if spec.get("retry_after") is not None:
        out["retry_after"] = float(spec["retry_after"])
        if out["retry_after"] < 0:
            raise ValueError("'retry_after' must not be negative")
    if spec.get("method"):
        out["method"] = str(spec["method"]).upper()
    return out


def parse_spec(text: str) -> dict:
    """``key=value,key=value`` (the CLI's ``--fault``) as a validated fault."""
    spec: dict = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {part!r}")
        spec[key.strip()] = value.strip()
    return validate(spec)


class FaultSet:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec: dict) -> Fault:
        fault = Fault(id=next(self._ids), **validate(spec))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict]:
        with self._lock:
            return [f.public() for f in self._faults]

    def take(self, path: str, method: str, in_batch: bool = False) -> Fault | None:
        """Use up one application of the first matching fault. Inside ``$batch`` only status faults
        apply: a dropped connection belongs to the HTTP request that carries the whole batch."""
        with self._lock:
            for fault in self._faults:
                if fault.used >= fault.times or fault.match not in path:
                    continue
                if (fault.method and fault.method != method) or (in_batch and fault.drop):
                    continue
                fault.used += 1
                return fault
        return None
