"""Name words: what the "Link to" dialog's search finds a record by, answered from one index range.

The search matches a name that starts with the typed text, or has a word (after a space) that does:
"smi" finds "Anna Smith", "emea ro" finds "Northwind – EMEA rollout". For every searchable record the
table holds the lowercased name from each word start on (its "suffixes", at most SUFFIX_CHARS long),
so a match is `suffix >= q AND suffix < q + U+10FFFF` on the primary key, however large the
workspace. (A LIKE on the names themselves walked every record of the workspace: 60–80 ms at 100,000
opportunities.)

Contacts' e-mail addresses and accounts' e-mail domains are found by their start the same way (record
types "contact_address" and "account_domain", the owner's id as record_id).

The rows follow the records through mapper events (insert, rename, delete; address and domain changes)
in the same flush; bulk loads that bypass the ORM write them with `name_word_rows` (bench/seed.py). A
workspace's rows go with it (foreign key, ON DELETE CASCADE).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm as so

from .base import Base
from .crm import Account, AccountDomain, Contact, ContactEmail, MarketingActivity
from .sales import Opportunity

SUFFIX_CHARS = 100
# record type -> (model, the attribute searched)
SEARCHED: dict[str, tuple[type, str]] = {
    "account": (Account, "name"), "contact": (Contact, "display_name"), "opportunity": (Opportunity, "title"),
    "marketing_activity": (MarketingActivity, "name"),
}
# record type -> (model, the owner's id, the attribute found by its start): e-mail addresses find their
# contact, e-mail domains their account
KEYS: dict[str, tuple[type, str, str]] = {
    "contact_address": (ContactEmail, "contact_id", "address"), "account_domain": (AccountDomain, "account_id", "domain"),
}
TOP = chr(0x10FFFF)  # sorts after every character (code point order: SQLite BINARY, PostgreSQL "C")


class NameWord(Base):
    __tablename__ = "name_word"
    __table_args__ = (sa.Index("ix_name_word_record_id", "record_id"), {"sqlite_with_rowid": False})

    workspace_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    record_type: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    # code point order on both databases, so a prefix is one index range whatever the server's locale
    suffix: so.Mapped[str] = so.mapped_column(sa.String(SUFFIX_CHARS, collation="C").with_variant(
        sa.String(SUFFIX_CHARS), "sqlite"), primary_key=True)
    record_id: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)


def suffixes(name: str | None) -> set[str]:
    """The lowercased name from its start and from after each space on, cut to SUFFIX_CHARS."""
    text = (name or "").lower()
    found = {text[:SUFFIX_CHARS]}
    found.update(text[i + 1:i + 1 + SUFFIX_CHARS] for i, ch in enumerate(text) if ch == " ")
    found.discard("")
    return found


def prefix_range(query: str) -> tuple[str, str]:
    """The suffix range that holds every suffix starting with the (stripped, lowercased) query."""
    low = query.strip().lower()[:SUFFIX_CHARS]
    return low, low + TOP


def name_word_rows(record_type: str, workspace_id: str, record_id: str, *values: str | None) -> list[dict[str, Any]]:
    """The rows of a record's name (SEARCHED types: every word start) or of its addresses or domains
    (KEYS types: each value from its start); what the events below write, and bulk loads too."""
    found: set[str] = set()
    for value in values:
        if record_type in SEARCHED:
            found |= suffixes(value)
        elif value:
            found.add(value.lower()[:SUFFIX_CHARS])  # an owner's values cut alike make one row
    return [{"workspace_id": workspace_id, "record_type": record_type, "suffix": v, "record_id": record_id}
            for v in sorted(found)]


def _forget(connection: sa.Connection, record_id: str, record_type: str | None = None) -> None:
    table = NameWord.__table__
    condition = table.c.record_id == record_id
    if record_type is not None:
        condition &= table.c.record_type == record_type
    connection.execute(table.delete().where(condition))


def _put(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(NameWord.__table__.insert(), rows)


def _listen_names(record_type: str, model: type, attribute: str) -> None:
    def inserted(_mapper, connection, target):
        _put(connection, name_word_rows(record_type, target.workspace_id, target.id, getattr(target, attribute)))

    def updated(_mapper, connection, target):
        if sa.inspect(target).attrs[attribute].history.has_changes():
            _forget(connection, target.id, record_type)
            _put(connection, name_word_rows(record_type, target.workspace_id, target.id, getattr(target, attribute)))

    def deleted(_mapper, connection, target):
        _forget(connection, target.id)  # its name, and its addresses or domains (their rows go by cascade)

    event.listen(model, "after_insert", inserted)
    event.listen(model, "after_update", updated)
    event.listen(model, "after_delete", deleted)


def _listen_keys(record_type: str, model: type, parent: str, attribute: str) -> None:
    """Addresses (domains) are found by their start: the owner's current set, rewritten whenever
    one of them changes."""
    table = model.__table__

    def rewrite(connection: sa.Connection, workspace_id: str, owner: str) -> None:
        values = connection.execute(sa.select(table.c[attribute]).where(table.c[parent] == owner)).scalars()
        _forget(connection, owner, record_type)
        _put(connection, name_word_rows(record_type, workspace_id, owner, *values))

    def refresh(_mapper, connection, target):
        owners = {getattr(target, parent)}
        owners.update(sa.inspect(target).attrs[parent].history.deleted or ())  # moved from another owner
        for owner in owners - {None}:
            rewrite(connection, target.workspace_id, owner)

    for name in ("after_insert", "after_update", "after_delete"):
        event.listen(model, name, refresh)


# part of declaring the models, like the mappings
for _type, (_model, _attribute) in SEARCHED.items():
    _listen_names(_type, _model, _attribute)
for _type, (_model, _parent, _attribute) in KEYS.items():
    _listen_keys(_type, _model, _parent, _attribute)
