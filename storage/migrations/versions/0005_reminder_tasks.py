"""reminder tasks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:01:51.244881

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('reminder_task',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('mailbox_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('opportunity_id', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.String(length=32), nullable=True),
    sa.Column('task_id', sa.String(length=300), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('reminder_at', sa.DateTime(), nullable=True),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailbox.id'], name=op.f('fk_reminder_task_mailbox_id_mailbox'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_reminder_task_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_task')),
    sa.UniqueConstraint('mailbox_id', 'key', name=op.f('uq_reminder_task_mailbox_id_key'))
    )
    with op.batch_alter_table('reminder_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_task_opportunity_id'), ['opportunity_id'], unique=False)




def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('reminder_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_task_opportunity_id'))

    op.drop_table('reminder_task')

