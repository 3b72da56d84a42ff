"""a mailbox's woken mark (change notifications), notifications pruned by age

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 23:00:00

- mailbox.woken_at: when the last change notification for the mailbox was accepted (None: nothing
  notified since its last pass). A woken mailbox is due at once, whatever next_sync_at says
  (next_sync_at stays the time of its next safety pass).
- mailbox.woken_parts: what was notified, as the sync's resource names (["mail:inbox", "calendar"]);
  "full" for a lifecycle event or a resource we cannot tell: the pass syncs everything.
- mailbox.next_tasks_at: when Dealpane's side of the To Do tasks (reminders, activities) is next pushed
  (graph_sync.tasks.TaskKeeper.push: no Graph request when nothing changed), for a mailbox whose full
  passes are hours apart (webhooks on); None: the full passes do it.
- ix_mailbox_woken: finds the woken mailboxes without reading the others.
- ix_notification_received_at: the notifications older than Graph's retry window are deleted in
  bounded batches (graph_sync.notifications.prune).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('woken_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('woken_parts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('next_tasks_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_mailbox_woken', ['status', 'woken_at'])
    op.create_index('ix_notification_received_at', 'notification', ['received_at'])


def downgrade() -> None:
    op.drop_index('ix_notification_received_at', table_name='notification')
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mailbox_woken')
        batch_op.drop_column('next_tasks_at')
        batch_op.drop_column('woken_parts')
        batch_op.drop_column('woken_at')
