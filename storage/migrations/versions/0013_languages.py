"""languages: the language a workspace starts in and the one a user chose

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:00:00

- workspace.language: the language its default stages and lists were created in and the one the
  workspace shows by default ("en" or "fr"; storage.i18n.languages()). Workspaces made before this
  revision were made in English: they get "en".
- user.language: the language the user chose for the workspace; empty means "follow the browser"
  (Accept-Language), which is what every user made before this revision does.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('language')
