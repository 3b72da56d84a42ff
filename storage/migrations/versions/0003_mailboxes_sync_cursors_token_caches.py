"""mailboxes, sync cursors, token caches

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:46:08.182029

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('graph_token_cache',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_graph_token_cache_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_graph_token_cache'))
    )
    op.create_table('mailbox',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('status_detail', sa.String(length=500), nullable=False),
    sa.Column('keep_bodies', sa.Boolean(), nullable=False),
    sa.Column('never_log', sa.JSON(), nullable=False),
    sa.Column('folders', sa.JSON(), nullable=False),
    sa.Column('items_synced', sa.BigInteger(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.Column('next_sync_at', sa.DateTime(), nullable=True),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.CheckConstraint("mode IN ('delegated', 'application', 'dev')", name=op.f('ck_mailbox_mode')),
    sa.CheckConstraint("status IN ('ok', 'needs_sign_in', 'error', 'paused')", name=op.f('ck_mailbox_status')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_mailbox_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_mailbox_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox')),
    sa.UniqueConstraint('workspace_id', 'address', name=op.f('uq_mailbox_workspace_id_address'))
    )
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.create_index('ix_mailbox_due', ['status', 'next_sync_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailbox_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailbox_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sync_cursor',
    sa.Column('mailbox_id', sa.String(length=32), nullable=False),
    sa.Column('resource', sa.String(length=200), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('in_round', sa.Boolean(), nullable=False),
    sa.Column('full_syncs', sa.Integer(), nullable=False),
    sa.Column('pages', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailbox.id'], name=op.f('fk_sync_cursor_mailbox_id_mailbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mailbox_id', 'resource', name=op.f('pk_sync_cursor'))
    )



def downgrade() -> None:
    """Downgrade schema."""

    op.drop_table('sync_cursor')
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailbox_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_mailbox_user_id'))
        batch_op.drop_index('ix_mailbox_due')

    op.drop_table('mailbox')
    op.drop_table('graph_token_cache')

