"""history item client id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:10:53.361201

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_item_id', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_history_item_ws_client_item_id', ['workspace_id', 'client_item_id'], unique=False)




def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('history_item', schema=None) as batch_op:
        batch_op.drop_index('ix_history_item_ws_client_item_id')
        batch_op.drop_column('client_item_id')


