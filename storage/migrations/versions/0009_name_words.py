"""name words for the link dialog's search

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 14:40:00

A table of each searchable record's name from every word start on, and of contacts' e-mail addresses
and accounts' domains (storage/models/search.py), filled here from the records already stored, so the
search reads one index range instead of walking the workspace's records.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SUFFIX_CHARS = 100  # as storage.models.search.SUFFIX_CHARS when this was written
# record type -> (table, the column searched)
SEARCHED = {"account": ("account", "name"), "contact": ("contact", "display_name"),
            "opportunity": ("opportunity", "title"), "marketing_activity": ("marketing_activity", "name")}
# record type -> (table, the owner's id column, the column found by its start)
KEYS = {"contact_address": ("contact_email", "contact_id", "address"),
        "account_domain": ("account_domain", "account_id", "domain")}
BATCH = 5000


def _suffixes(name):
    text = (name or "").lower()
    found = {text[:SUFFIX_CHARS]}
    found.update(text[i + 1:i + 1 + SUFFIX_CHARS] for i, ch in enumerate(text) if ch == " ")
    found.discard("")
    return sorted(found)


def upgrade() -> None:
    name_word = op.create_table(
        'name_word',
        sa.Column('workspace_id', sa.String(length=32), nullable=False),
        sa.Column('record_type', sa.String(length=20), nullable=False),
        sa.Column('suffix', sa.String(length=SUFFIX_CHARS, collation="C").with_variant(
            sa.String(length=SUFFIX_CHARS), "sqlite"), nullable=False),
        sa.Column('record_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_name_word_workspace_id_workspace'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workspace_id', 'record_type', 'suffix', 'record_id', name=op.f('pk_name_word')),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_name_word_record_id', 'name_word', ['record_id'], unique=False)
    connection = op.get_bind()
    for record_type, (table, column) in SEARCHED.items():
        last = ""
        while True:  # in keyset batches: memory stays flat however many records there are
            batch = connection.execute(sa.text(
                f"SELECT workspace_id, id, {column} FROM {table} WHERE id > :last ORDER BY id LIMIT {BATCH}"),
                {"last": last}).all()
            if not batch:
                break
            rows = [{"workspace_id": workspace_id, "record_type": record_type, "suffix": suffix,
                     "record_id": record_id} for workspace_id, record_id, name in batch for suffix in _suffixes(name)]
            if rows:
                connection.execute(name_word.insert(), rows)
            last = batch[-1][1]
    for record_type, (table, owner, column) in KEYS.items():
        last, carried = ("", ""), set()  # by owner: an owner's values may span two batches
        while True:
            batch = connection.execute(sa.text(  # on the unique (owner, value) index
                f"SELECT workspace_id, {owner}, {column} FROM {table} "
                f"WHERE ({owner}, {column}) > (:owner, :value) ORDER BY {owner}, {column} LIMIT {BATCH}"),
                {"owner": last[0], "value": last[1]}).all()
            if not batch:
                break
            rows = []
            for workspace_id, record_id, value in batch:
                key = (record_id, (value or "").lower()[:SUFFIX_CHARS])
                if value and key not in carried:  # two values cut to the same characters make one row
                    carried.add(key)
                    rows.append({"workspace_id": workspace_id, "record_type": record_type, "suffix": key[1],
                                 "record_id": record_id})
            if rows:
                connection.execute(name_word.insert(), rows)
            last = (batch[-1][1], batch[-1][2])
            carried = {key for key in carried if key[0] == last[0]}
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE name_word")  # the planner should know the new table at once


def downgrade() -> None:
    op.drop_index('ix_name_word_record_id', table_name='name_word')
    op.drop_table('name_word')
