"""items set aside by the sync, meeting series, the calendar window

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:00:00

- sync_set_aside: a synced item that failed to apply is kept aside with its error (the rest of its
  page and the cursor are committed), and tried again later by its id.
- history_item.series_id and .cancelled: an occurrence of a recurring meeting (Graph's
  seriesMasterId) and whether it was cancelled; .sent_at: an e-mail's sentDateTime, the same on
  every copy of one message, so a copy with another date never replaces what is stored.
- sync_cursor.window_start / window_end: the calendarView window a calendar delta round covers, fixed
  in its token; the sync re-anchors it as time passes. sync_cursor.query: a fingerprint of what a
  message round asks Graph for; a cursor without one (made before this revision, without bodies or
  the add-in's stamp) starts a new round once, and upserts keep that from doubling anything.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'sync_set_aside',
        sa.Column('mailbox_id', sa.String(length=32), nullable=False),
        sa.Column('graph_id', sa.String(length=300), nullable=False),
        sa.Column('resource', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('error', sa.String(length=1000), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('first_failed_at', sa.DateTime(), nullable=False),
        sa.Column('next_try_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['mailbox_id'], ['mailbox.id'], name=op.f('fk_sync_set_aside_mailbox_id_mailbox'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('mailbox_id', 'graph_id', name=op.f('pk_sync_set_aside')),
    )
    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('cancelled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_history_item_ws_series_id', ['workspace_id', 'series_id'], unique=False,
                              sqlite_where=sa.text('series_id IS NOT NULL'),
                              postgresql_where=sa.text('series_id IS NOT NULL'))
    with op.batch_alter_table('sync_cursor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_start', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('window_end', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('query', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sync_cursor', schema=None) as batch_op:
        batch_op.drop_column('query')
        batch_op.drop_column('window_end')
        batch_op.drop_column('window_start')
    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.drop_index('ix_history_item_ws_series_id', sqlite_where=sa.text('series_id IS NOT NULL'),
                            postgresql_where=sa.text('series_id IS NOT NULL'))
        batch_op.drop_column('sent_at')
        batch_op.drop_column('cancelled')
        batch_op.drop_column('series_id')
    op.drop_table('sync_set_aside')
