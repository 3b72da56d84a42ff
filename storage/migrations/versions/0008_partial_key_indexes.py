"""history item keys indexed only where present

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 12:30:00

internet_message_id, ical_uid and client_item_id are each NULL for most rows (an e-mail has no
iCalUId, a meeting no internetMessageId, only pane-linked items have the pane's id). Their indexes
become partial (WHERE column IS NOT NULL) — the same uniqueness, since NULLs never collided — so a
synced e-mail writes two index entries fewer.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEYS = (("uq", "internet_message_id", True), ("uq", "ical_uid", True), ("ix", "client_item_id", False))


def _where(column: str) -> dict:
    return {"sqlite_where": sa.text(f"{column} IS NOT NULL"), "postgresql_where": sa.text(f"{column} IS NOT NULL")}


def upgrade() -> None:
    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.drop_constraint('uq_history_item_workspace_id_internet_message_id', type_='unique')
        batch_op.drop_constraint('uq_history_item_workspace_id_ical_uid', type_='unique')
        batch_op.drop_index('ix_history_item_ws_client_item_id')
    for prefix, column, unique in KEYS:
        op.create_index(f"{prefix}_history_item_ws_{column}", 'history_item', ['workspace_id', column],
                        unique=unique, **_where(column))


def downgrade() -> None:
    for prefix, column, _unique in KEYS:
        op.drop_index(f"{prefix}_history_item_ws_{column}", table_name='history_item')
    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_history_item_workspace_id_internet_message_id',
                                          ['workspace_id', 'internet_message_id'])
        batch_op.create_unique_constraint('uq_history_item_workspace_id_ical_uid', ['workspace_id', 'ical_uid'])
        batch_op.create_index('ix_history_item_ws_client_item_id', ['workspace_id', 'client_item_id'], unique=False)
