"""Graph-looking ids and the fake's reversible rules between Exchange id formats.

A fake cannot know Exchange's real EWS ids, so every format is derived from the item's
immutable id ``I`` (the id kept in the mailbox file, base64url alphabet):

* ``restImmutableEntryId`` = ``I`` (what Graph returns with ``Prefer: IdType="ImmutableId"``)
* ``restId``               = ``"R" + I`` (what Graph returns without that header)
* ``ewsId``                = ``restId`` with ``-``→``+`` and ``_``→``/`` (EWS uses standard base64
  where REST uses the URL-safe alphabet; Office.js hands the pane ids in this form)
* ``entryId`` / ``immutableEntryId`` = the binary ``00 00 00 00`` + ``b"R"``/``b"I"`` + ``I``,
  in Graph's documented URL-safe form: base64url, ``=`` padding stripped, padding count appended.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets

REST_PREFIX = "R"
_ID_CHARS = re.compile(r"^[A-Za-z0-9_=-]+$")
_BINARY_FLAGS = b"\x00\x00\x00\x00"
FORMATS = ("entryId", "ewsId", "immutableEntryId", "restId", "restImmutableEntryId")


def is_well_formed(value: str) -> bool:
    return isinstance(value, str) and bool(_ID_CHARS.match(value))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def new_id(seed: str | None = None, prefix: str = "AAMkAG") -> str:
    """An Exchange-looking id; deterministic for a seed so a mailbox file loads the same ids every time."""
    raw = hashlib.sha256(seed.encode("utf-8")).digest() if seed is not None else secrets.token_bytes(32)
    return prefix + _b64url(raw + b"\x00\x00\x00")


def random_b64(nbytes: int) -> str:
    return base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def to_rest(immutable_id: str) -> str:
    return REST_PREFIX + immutable_id


def from_rest(rest_id: str) -> str | None:
    if rest_id.startswith(REST_PREFIX) and is_well_formed(rest_id[len(REST_PREFIX):]):
        return rest_id[len(REST_PREFIX):]
    return None


def output_id(immutable_id: str, immutable: bool) -> str:
    return immutable_id if immutable else to_rest(immutable_id)


def _to_binary(kind: bytes, immutable_id: str) -> str:
    encoded = _b64url(_BINARY_FLAGS + kind + immutable_id.encode("ascii"))
    stripped = encoded.rstrip("=")
    return stripped + str(len(encoded) - len(stripped))


def _from_binary(kind: bytes, value: str) -> str | None:
    if len(value) < 2 or value[-1] not in "012" or not is_well_formed(value[:-1]):
        return None
    try:
        raw = base64.urlsafe_b64decode(value[:-1] + "=" * int(value[-1]))
    except (binascii.Error, ValueError):
        return None
    head = _BINARY_FLAGS + kind
    if not raw.startswith(head):
        return None
    try:
        inner = raw[len(head):].decode("ascii")
    except UnicodeDecodeError:
        return None
    return inner if is_well_formed(inner) else None


def _to_ews(immutable_id: str) -> str:
    return to_rest(immutable_id).replace("-", "+").replace("_", "/")


def _from_ews(value: str) -> str | None:
    if "-" in value or "_" in value:
        return None
    return from_rest(value.replace("+", "-").replace("/", "_"))


_ENCODE = {
    "restImmutableEntryId": lambda i: i,
    "restId": to_rest,
    "ewsId": _to_ews,
    "entryId": lambda i: _to_binary(b"R", i),
    "immutableEntryId": lambda i: _to_binary(b"I", i),
}
_DECODE = {
    "restImmutableEntryId": lambda v: v if is_well_formed(v) else None,
    "restId": from_rest,
    "ewsId": _from_ews,
    "entryId": lambda v: _from_binary(b"R", v),
    "immutableEntryId": lambda v: _from_binary(b"I", v),
}


def convert(value: str, source: str, target: str) -> str | None:
    """The id in the target format, or None when ``value`` is not an id of the source format."""
    immutable_id = _DECODE[source](value) if isinstance(value, str) else None
    return None if immutable_id is None else _ENCODE[target](immutable_id)


def ews_id(immutable_id: str) -> str:
    return _to_ews(immutable_id)
