"""projects and change log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:26:39.824002

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('project_template',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_project_template_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_template')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_project_template_workspace_id_name'))
    )
    with op.batch_alter_table('project_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_template_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('template_task',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('template_id', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['project_template.id'], name=op.f('fk_template_task_template_id_project_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_task'))
    )
    with op.batch_alter_table('template_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_task_template_id'), ['template_id'], unique=False)

    op.create_table('opportunity_change',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('opportunity_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('old_value', sa.String(length=500), nullable=True),
    sa.Column('new_value', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_opportunity_change_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_opportunity_change_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_change'))
    )
    with op.batch_alter_table('opportunity_change', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_change_opportunity_at', ['opportunity_id', 'changed_at'], unique=False)

    op.create_table('project',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('opportunity_id', sa.String(length=32), nullable=True),
    sa.Column('link_account_id', sa.String(length=32), nullable=True),
    sa.Column('link_contact_id', sa.String(length=32), nullable=True),
    sa.Column('assigned_to', sa.String(length=32), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('template_id', sa.String(length=32), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(link_account_id IS NULL) OR (link_contact_id IS NULL)', name=op.f('ck_project_at_most_one_link')),
    sa.ForeignKeyConstraint(['assigned_to'], ['user.id'], name=op.f('fk_project_assigned_to_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['link_account_id'], ['account.id'], name=op.f('fk_project_link_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['link_contact_id'], ['contact.id'], name=op.f('fk_project_link_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_project_opportunity_id_opportunity'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['project_template.id'], name=op.f('fk_project_template_id_project_template'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_project_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project'))
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_link_account_id'), ['link_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_link_contact_id'), ['link_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('project_association',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=True),
    sa.Column('contact_id', sa.String(length=32), nullable=True),
    sa.CheckConstraint('(account_id IS NULL) <> (contact_id IS NULL)', name=op.f('ck_project_association_exactly_one_record')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_project_association_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_project_association_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_association_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_association')),
    sa.UniqueConstraint('project_id', 'account_id', name=op.f('uq_project_association_project_id_account_id')),
    sa.UniqueConstraint('project_id', 'contact_id', name=op.f('uq_project_association_project_id_contact_id'))
    )
    with op.batch_alter_table('project_association', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_association_project_id'), ['project_id'], unique=False)

    op.create_table('project_task',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('assigned_to', sa.String(length=32), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to'], ['user.id'], name=op.f('fk_project_task_assigned_to_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_task_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_task'))
    )
    with op.batch_alter_table('project_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_task_project_id'), ['project_id'], unique=False)




def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('project_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_task_project_id'))

    op.drop_table('project_task')
    with op.batch_alter_table('project_association', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_association_project_id'))

    op.drop_table('project_association')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_project_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_project_link_contact_id'))
        batch_op.drop_index(batch_op.f('ix_project_link_account_id'))

    op.drop_table('project')
    with op.batch_alter_table('opportunity_change', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_change_opportunity_at')

    op.drop_table('opportunity_change')
    with op.batch_alter_table('template_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_task_template_id'))

    op.drop_table('template_task')
    with op.batch_alter_table('project_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_template_workspace_id'))

    op.drop_table('project_template')

