"""drop indexes that a composite index already leads with

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:00:00

history_item(workspace_id), history_link(item_id), contact_email(workspace_id) and
account_domain(workspace_id) are each the first column of another index. Dropping them leaves one
index fewer to write per synced item and link, and planners no longer pick the one-column index over
the composite one (SQLite did, for the pane's context statement).
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DROPPED = (
    ("history_item", "ix_history_item_workspace_id", "workspace_id"),
    ("history_link", "ix_history_link_item_id", "item_id"),
    ("contact_email", "ix_contact_email_workspace_id", "workspace_id"),
    ("account_domain", "ix_account_domain_workspace_id", "workspace_id"),
)


def upgrade() -> None:
    for table, index, _column in DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)


def downgrade() -> None:
    for table, index, column in DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, [column], unique=False)
