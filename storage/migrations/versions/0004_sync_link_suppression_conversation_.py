"""sync: link suppression, conversation follow, subscriptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:50:19.408145

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('notification',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('subscription_id', sa.String(length=100), nullable=False),
    sa.Column('mailbox_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailbox.id'], name=op.f('fk_notification_mailbox_id_mailbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('subscription_id', 'fingerprint', name=op.f('uq_notification_subscription_id_fingerprint'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_mailbox_id'), ['mailbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('subscription',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('mailbox_id', sa.String(length=32), nullable=False),
    sa.Column('resource', sa.String(length=300), nullable=False),
    sa.Column('client_state', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailbox.id'], name=op.f('fk_subscription_mailbox_id_mailbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription'))
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_mailbox_id'), ['mailbox_id'], unique=False)

    with op.batch_alter_table('history_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suppressed', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('todo_list_id', sa.String(length=300), nullable=True))

    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_conversations', sa.Boolean(), server_default=sa.true(), nullable=False))




def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_column('follow_conversations')

    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.drop_column('todo_list_id')

    with op.batch_alter_table('history_link', schema=None) as batch_op:
        batch_op.drop_column('suppressed')

    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_mailbox_id'))

    op.drop_table('subscription')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_notification_mailbox_id'))

    op.drop_table('notification')

