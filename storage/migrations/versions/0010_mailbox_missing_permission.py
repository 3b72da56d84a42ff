"""mailbox status missing_permission

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:00:00

A mailbox Microsoft Graph answered 403 for (a permission is missing: signing in again does not
help) gets a status of its own, missing_permission, beside needs_sign_in; its status_detail names
the permission. The status column grows to hold the longer name. Downgrading turns
missing_permission back into error, the nearest state the older schema knows.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW = "status IN ('ok', 'needs_sign_in', 'missing_permission', 'error', 'paused')"
OLD = "status IN ('ok', 'needs_sign_in', 'error', 'paused')"


def upgrade() -> None:
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mailbox_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=14), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_mailbox_status'), NEW)


def downgrade() -> None:
    op.execute("UPDATE mailbox SET status = 'error' WHERE status = 'missing_permission'")
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mailbox_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=14),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_mailbox_status'), OLD)
