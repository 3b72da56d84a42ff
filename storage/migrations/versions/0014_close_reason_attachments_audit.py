"""close reasons, e-mail attachments' metadata, the audit log

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:45:00

- list_value.list_name may be 'close_reason' (the team's list of reasons a deal is won or lost);
  opportunity.close_reason: the reason chosen when it was closed (a value of that list, kept as text
  like type/source).
- history_item.attachments: an e-mail's attachments as Graph lists them ([{id, name, size,
  content_type, is_inline}]); their content stays in the mailbox and is fetched on demand.
- audit_event: what an owner did that must be accounted for (erasing a person), with counts and ids
  only: no name, no address, no content.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_LISTS = "list_name IN ('type', 'payment_terms', 'source')"
NEW_LISTS = "list_name IN ('type', 'payment_terms', 'source', 'close_reason')"


def upgrade() -> None:
    with op.batch_alter_table('list_value', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_list_value_list_name'), type_='check')
        batch_op.create_check_constraint(op.f('ck_list_value_list_name'), NEW_LISTS)
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_reason', sa.String(length=100), nullable=True))
    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
    op.create_table(
        'audit_event',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('workspace_id', sa.String(length=32), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.String(length=32), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_audit_event_workspace_id_workspace'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    )
    op.create_index('ix_audit_event_workspace_at', 'audit_event', ['workspace_id', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_event_workspace_at', table_name='audit_event')
    op.drop_table('audit_event')
    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.drop_column('attachments')
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_column('close_reason')
    op.execute("DELETE FROM list_value WHERE list_name = 'close_reason'")
    with op.batch_alter_table('list_value', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_list_value_list_name'), type_='check')
        batch_op.create_check_constraint(op.f('ck_list_value_list_name'), OLD_LISTS)
