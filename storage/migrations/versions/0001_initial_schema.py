"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 08:14:39.552022

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('user',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('object_id', sa.String(length=36), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('tenant_id', 'object_id', name=op.f('uq_user_tenant_id_object_id'))
    )
    op.create_table('workspace',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace'))
    )
    op.create_table('account',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('web_site', sa.String(length=500), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_account_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account'))
    )
    op.create_index(op.f('ix_account_workspace_id'), 'account', ['workspace_id'], unique=False)

    op.create_table('category',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_category_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_category_workspace_id_name'))
    )
    op.create_index(op.f('ix_category_workspace_id'), 'category', ['workspace_id'], unique=False)

    op.create_table('history_item',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('direction', sa.String(length=8), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=True),
    sa.Column('file_url', sa.String(length=2000), nullable=True),
    sa.Column('graph_id', sa.String(length=300), nullable=True),
    sa.Column('internet_message_id', sa.String(length=500), nullable=True),
    sa.Column('ical_uid', sa.String(length=500), nullable=True),
    sa.Column('conversation_id', sa.String(length=300), nullable=True),
    sa.Column('web_link', sa.String(length=2000), nullable=True),
    sa.Column('change_key', sa.String(length=200), nullable=True),
    sa.Column('from_address', sa.String(length=320), nullable=True),
    sa.Column('to_addresses', sa.JSON(), nullable=False),
    sa.Column('cc_addresses', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=True),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('location', sa.String(length=500), nullable=True),
    sa.Column('removed_in_mailbox', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("direction IS NULL OR direction IN ('incoming', 'outgoing')", name=op.f('ck_history_item_direction')),
    sa.CheckConstraint("kind IN ('note', 'phone_log', 'task', 'file', 'email', 'appointment')", name=op.f('ck_history_item_kind')),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_history_item_created_by_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_history_item_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_item')),
    sa.UniqueConstraint('workspace_id', 'ical_uid', name=op.f('uq_history_item_workspace_id_ical_uid')),
    sa.UniqueConstraint('workspace_id', 'internet_message_id', name=op.f('uq_history_item_workspace_id_internet_message_id'))
    )
    op.create_index(op.f('ix_history_item_occurred_at'), 'history_item', ['occurred_at'], unique=False)
    op.create_index(op.f('ix_history_item_workspace_id'), 'history_item', ['workspace_id'], unique=False)
    op.create_index('ix_history_item_ws_conversation', 'history_item', ['workspace_id', 'conversation_id'], unique=False)
    op.create_index('ix_history_item_ws_graph_id', 'history_item', ['workspace_id', 'graph_id'], unique=False)

    op.create_table('list_value',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('list_name', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.CheckConstraint("list_name IN ('type', 'payment_terms', 'source')", name=op.f('ck_list_value_list_name')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_list_value_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_value')),
    sa.UniqueConstraint('workspace_id', 'list_name', 'value', name=op.f('uq_list_value_workspace_id_list_name_value'))
    )
    op.create_index(op.f('ix_list_value_workspace_id'), 'list_value', ['workspace_id'], unique=False)

    op.create_table('marketing_activity',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('end_date IS NULL OR start_date IS NULL OR end_date >= start_date', name=op.f('ck_marketing_activity_dates')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_marketing_activity_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_activity'))
    )
    op.create_index(op.f('ix_marketing_activity_workspace_id'), 'marketing_activity', ['workspace_id'], unique=False)

    op.create_table('member',
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'member')", name=op.f('ck_member_role')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_member_user_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_member_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', 'user_id', name=op.f('pk_member'))
    )
    op.create_index(op.f('ix_member_user_id'), 'member', ['user_id'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_product_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product'))
    )
    op.create_index(op.f('ix_product_workspace_id'), 'product', ['workspace_id'], unique=False)

    op.create_table('sales_stage',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('built_in', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=4), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('won', 'lost')", name=op.f('ck_sales_stage_outcome')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_sales_stage_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_stage')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_sales_stage_workspace_id_name'))
    )
    op.create_index(op.f('ix_sales_stage_workspace_id'), 'sales_stage', ['workspace_id'], unique=False)

    op.create_table('account_category',
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('category_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_category_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_account_category_category_id_category'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'category_id', name=op.f('pk_account_category'))
    )
    op.create_index(op.f('ix_account_category_category_id'), 'account_category', ['category_id'], unique=False)

    op.create_table('account_domain',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_domain_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_account_domain_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_domain')),
    sa.UniqueConstraint('account_id', 'domain', name=op.f('uq_account_domain_account_id_domain'))
    )
    op.create_index('ix_account_domain_lookup', 'account_domain', ['workspace_id', 'domain'], unique=False)
    op.create_index(op.f('ix_account_domain_workspace_id'), 'account_domain', ['workspace_id'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=True),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_contact_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_contact_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact'))
    )
    op.create_index(op.f('ix_contact_account_id'), 'contact', ['account_id'], unique=False)
    op.create_index(op.f('ix_contact_workspace_id'), 'contact', ['workspace_id'], unique=False)

    op.create_table('sales_activity',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('stage_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('reminder', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['stage_id'], ['sales_stage.id'], name=op.f('fk_sales_activity_stage_id_sales_stage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_activity'))
    )
    op.create_index(op.f('ix_sales_activity_stage_id'), 'sales_activity', ['stage_id'], unique=False)

    op.create_table('contact_category',
    sa.Column('contact_id', sa.String(length=32), nullable=False),
    sa.Column('category_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_contact_category_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_contact_category_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'category_id', name=op.f('pk_contact_category'))
    )
    op.create_index(op.f('ix_contact_category_category_id'), 'contact_category', ['category_id'], unique=False)

    op.create_table('contact_email',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('contact_id', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_contact_email_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_contact_email_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_email')),
    sa.UniqueConstraint('contact_id', 'address', name=op.f('uq_contact_email_contact_id_address'))
    )
    op.create_index('ix_contact_email_lookup', 'contact_email', ['workspace_id', 'address'], unique=False)
    op.create_index(op.f('ix_contact_email_workspace_id'), 'contact_email', ['workspace_id'], unique=False)

    op.create_table('opportunity',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('assigned_to', sa.String(length=32), nullable=True),
    sa.Column('type', sa.String(length=100), nullable=True),
    sa.Column('link_account_id', sa.String(length=32), nullable=True),
    sa.Column('link_contact_id', sa.String(length=32), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('expected_revenue', sa.BigInteger(), nullable=False),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('payment_terms', sa.String(length=100), nullable=True),
    sa.Column('expiration_date', sa.Date(), nullable=True),
    sa.Column('delivery_date', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('initiated_by_type', sa.String(length=20), nullable=True),
    sa.Column('initiated_by_id', sa.String(length=32), nullable=True),
    sa.Column('competitors', sa.Text(), nullable=True),
    sa.Column('stage_id', sa.String(length=32), nullable=True),
    sa.Column('stage_entered_on', sa.Date(), nullable=True),
    sa.Column('reminder_at', sa.DateTime(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('workspace_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("initiated_by_type IS NULL OR initiated_by_type IN ('account', 'contact', 'marketing_activity')", name=op.f('ck_opportunity_initiated_by_type')),
    sa.CheckConstraint('(link_account_id IS NULL) <> (link_contact_id IS NULL)', name=op.f('ck_opportunity_exactly_one_link')),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_opportunity_probability')),
    sa.ForeignKeyConstraint(['assigned_to'], ['user.id'], name=op.f('fk_opportunity_assigned_to_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_opportunity_created_by_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['link_account_id'], ['account.id'], name=op.f('fk_opportunity_link_account_id_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['link_contact_id'], ['contact.id'], name=op.f('fk_opportunity_link_contact_id_contact'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['stage_id'], ['sales_stage.id'], name=op.f('fk_opportunity_stage_id_sales_stage'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_opportunity_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity'))
    )
    op.create_index(op.f('ix_opportunity_assigned_to'), 'opportunity', ['assigned_to'], unique=False)
    op.create_index(op.f('ix_opportunity_initiated_by_id'), 'opportunity', ['initiated_by_id'], unique=False)
    op.create_index(op.f('ix_opportunity_link_account_id'), 'opportunity', ['link_account_id'], unique=False)
    op.create_index(op.f('ix_opportunity_link_contact_id'), 'opportunity', ['link_contact_id'], unique=False)
    op.create_index(op.f('ix_opportunity_stage_id'), 'opportunity', ['stage_id'], unique=False)
    op.create_index(op.f('ix_opportunity_workspace_id'), 'opportunity', ['workspace_id'], unique=False)
    op.create_index('ix_opportunity_ws_close', 'opportunity', ['workspace_id', 'close_date'], unique=False)
    op.create_index('ix_opportunity_ws_updated', 'opportunity', ['workspace_id', 'updated_at'], unique=False)

    op.create_table('checklist_mark',
    sa.Column('opportunity_id', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.String(length=32), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['sales_activity.id'], name=op.f('fk_checklist_mark_activity_id_sales_activity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_checklist_mark_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('opportunity_id', 'activity_id', name=op.f('pk_checklist_mark'))
    )
    op.create_index(op.f('ix_checklist_mark_activity_id'), 'checklist_mark', ['activity_id'], unique=False)

    op.create_table('history_link',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('opportunity_id', sa.String(length=32), nullable=True),
    sa.Column('account_id', sa.String(length=32), nullable=True),
    sa.Column('contact_id', sa.String(length=32), nullable=True),
    sa.Column('origin', sa.String(length=6), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("origin IN ('manual', 'auto')", name=op.f('ck_history_link_origin')),
    sa.CheckConstraint('(CASE WHEN opportunity_id IS NULL THEN 0 ELSE 1 END + CASE WHEN account_id IS NULL THEN 0 ELSE 1 END + CASE WHEN contact_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_history_link_exactly_one_record')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_history_link_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_history_link_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['history_item.id'], name=op.f('fk_history_link_item_id_history_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_history_link_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_link')),
    sa.UniqueConstraint('item_id', 'account_id', name=op.f('uq_history_link_item_id_account_id')),
    sa.UniqueConstraint('item_id', 'contact_id', name=op.f('uq_history_link_item_id_contact_id')),
    sa.UniqueConstraint('item_id', 'opportunity_id', name=op.f('uq_history_link_item_id_opportunity_id'))
    )
    op.create_index(op.f('ix_history_link_account_id'), 'history_link', ['account_id'], unique=False)
    op.create_index(op.f('ix_history_link_contact_id'), 'history_link', ['contact_id'], unique=False)
    op.create_index(op.f('ix_history_link_item_id'), 'history_link', ['item_id'], unique=False)
    op.create_index(op.f('ix_history_link_opportunity_id'), 'history_link', ['opportunity_id'], unique=False)

    op.create_table('opportunity_category',
    sa.Column('opportunity_id', sa.String(length=32), nullable=False),
    sa.Column('category_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_opportunity_category_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_opportunity_category_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('opportunity_id', 'category_id', name=op.f('pk_opportunity_category'))
    )
    op.create_index(op.f('ix_opportunity_category_category_id'), 'opportunity_category', ['category_id'], unique=False)

    op.create_table('opportunity_line',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('opportunity_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('discount_percent', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('discount_percent BETWEEN 0 AND 10000', name=op.f('ck_opportunity_line_discount')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_opportunity_line_quantity')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_opportunity_line_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_opportunity_line_product_id_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_line'))
    )
    op.create_index(op.f('ix_opportunity_line_opportunity_id'), 'opportunity_line', ['opportunity_id'], unique=False)
    op.create_index(op.f('ix_opportunity_line_product_id'), 'opportunity_line', ['product_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema: drop every table (their indexes go with them)."""
    op.drop_table('opportunity_line')
    op.drop_table('opportunity_category')
    op.drop_table('history_link')
    op.drop_table('checklist_mark')
    op.drop_table('opportunity')
    op.drop_table('contact_email')
    op.drop_table('contact_category')
    op.drop_table('sales_activity')
    op.drop_table('contact')
    op.drop_table('account_domain')
    op.drop_table('account_category')
    op.drop_table('sales_stage')
    op.drop_table('product')
    op.drop_table('member')
    op.drop_table('marketing_activity')
    op.drop_table('list_value')
    op.drop_table('history_item')
    op.drop_table('category')
    op.drop_table('account')
    op.drop_table('workspace')
    op.drop_table('user')
