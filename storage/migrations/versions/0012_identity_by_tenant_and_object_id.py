"""identity by tenant and object id: the workspace's tenant, invitations bound to a tenant

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00

A user is `tid` + `oid` (https://learn.microsoft.com/entra/identity-platform/claims-validation ,
"Validate the subject"); the address is display only, so it stops being unique:

- workspace.tenant_id: the tenant the workspace belongs to. Filled here from its owners: the tenant of
  the owner added first who has one (the creator is the first member of a workspace); empty when no
  owner ever signed in with Entra (dev mode).
- user.email is no longer unique. It stays the key of rows without a tenant (dev mode:
  ux_user_email_no_tenant), and one invitation per tenant and address (ux_user_invited_tenant_email).
- Invitations not yet accepted (a user row without tenant and object id that has memberships) get the
  tenant of the workspaces they were made for, so that only a token of that tenant whose verified
  username is the address can accept them (storage.services.access). A row invited into workspaces of
  several tenants is split, one row per tenant, each keeping the memberships (and the opportunities,
  projects, project tasks and connected mailboxes it was given) of its tenant's workspaces;
  memberships in workspaces without a tenant stay with the first row. Rows whose workspaces have no
  tenant (dev mode) are left as they are. Users who already signed in keep their rows: nothing about
  them changes.

Downgrade: the address becomes unique again. Where one address now has several rows, the oldest
signed-in row (else the oldest invitation) keeps it and the others are renamed to a placeholder
(`{oid}@{tid}.invalid`, `invited-{id}@{tid}.invalid`): every row and membership is kept.
"""
import uuid
from collections import defaultdict
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NO_TENANT = "tenant_id IS NULL"
INVITED = "tenant_id IS NOT NULL AND object_id IS NULL"
# Workspace-owned rows that may point at an invited (never signed in) user.
ASSIGNED = (("opportunity", "assigned_to"), ("project", "assigned_to"), ("mailbox", "user_id"))


def _where(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.String(length=36), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_email', type_='unique')
    conn = op.get_bind()
    _fill_workspace_tenants(conn)
    _bind_invitations(conn)
    op.create_index('ux_user_email_no_tenant', 'user', ['email'], unique=True, **_where(NO_TENANT))
    op.create_index('ux_user_invited_tenant_email', 'user', ['tenant_id', 'email'], unique=True, **_where(INVITED))
    op.create_index('ix_user_tenant_email', 'user', ['tenant_id', 'email'], unique=False)


def _fill_workspace_tenants(conn) -> None:
    rows = conn.execute(sa.text(
        'SELECT m.workspace_id, u.tenant_id FROM member m JOIN "user" u ON u.id = m.user_id '
        "WHERE m.role = 'owner' AND u.tenant_id IS NOT NULL ORDER BY m.workspace_id, m.added_at, u.id")).all()
    chosen: dict[str, str] = {}
    for workspace_id, tenant_id in rows:
        chosen.setdefault(workspace_id, tenant_id)
    for workspace_id, tenant_id in chosen.items():
        conn.execute(sa.text("UPDATE workspace SET tenant_id = :t WHERE id = :w"), {"t": tenant_id, "w": workspace_id})


def _bind_invitations(conn) -> None:
    rows = conn.execute(sa.text(
        'SELECT u.id, u.email, u.display_name, u.time_zone, u.created_at, m.workspace_id, w.tenant_id '
        'FROM "user" u JOIN member m ON m.user_id = u.id JOIN workspace w ON w.id = m.workspace_id '
        "WHERE u.tenant_id IS NULL AND u.object_id IS NULL ORDER BY u.id, m.added_at, m.workspace_id")).all()
    invited: dict[str, list] = defaultdict(list)
    for row in rows:
        invited[row.id].append(row)
    for user_id, memberships in invited.items():
        by_tenant: dict[str, list[str]] = {}
        for m in memberships:
            if m.tenant_id is not None:
                by_tenant.setdefault(m.tenant_id, []).append(m.workspace_id)
        if not by_tenant:
            continue  # dev mode: the address stays the key
        first, *others = by_tenant
        conn.execute(sa.text('UPDATE "user" SET tenant_id = :t WHERE id = :u'), {"t": first, "u": user_id})
        template = memberships[0]
        for tenant_id in others:
            _split(conn, user_id, template, tenant_id, by_tenant[tenant_id])


def _split(conn, user_id: str, template, tenant_id: str, workspace_ids: list[str]) -> None:
    new_id = uuid.uuid4().hex
    conn.execute(sa.text('INSERT INTO "user" (id, tenant_id, object_id, email, display_name, time_zone, created_at) '
                         "VALUES (:id, :t, NULL, :e, :d, :z, :c)"),
                 {"id": new_id, "t": tenant_id, "e": template.email, "d": template.display_name,
                  "z": template.time_zone, "c": template.created_at})
    workspaces = sa.bindparam("ws", expanding=True)
    moves = [sa.text("UPDATE member SET user_id = :new WHERE user_id = :old AND workspace_id IN :ws")]
    moves += [sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old AND workspace_id IN :ws")
              for table, column in ASSIGNED]
    moves.append(sa.text("UPDATE project_task SET assigned_to = :new WHERE assigned_to = :old AND project_id IN "
                         "(SELECT id FROM project WHERE workspace_id IN :ws)"))
    for statement in moves:
        conn.execute(statement.bindparams(workspaces), {"new": new_id, "old": user_id, "ws": workspace_ids})


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        'SELECT id, email, tenant_id, object_id FROM "user" WHERE email IN '
        '(SELECT email FROM "user" GROUP BY email HAVING count(*) > 1) '
        "ORDER BY email, CASE WHEN object_id IS NULL THEN 1 ELSE 0 END, created_at, id")).all()
    kept: set[str] = set()
    for row in rows:
        if row.email not in kept:
            kept.add(row.email)
            continue
        placeholder = f"{row.object_id}@{row.tenant_id}.invalid" if row.object_id else \
            f"invited-{row.id}@{row.tenant_id}.invalid"
        conn.execute(sa.text('UPDATE "user" SET email = :e WHERE id = :u'), {"e": placeholder, "u": row.id})
    op.drop_index('ix_user_tenant_email', table_name='user')
    op.drop_index('ux_user_invited_tenant_email', table_name='user', **_where(INVITED))
    op.drop_index('ux_user_email_no_tenant', table_name='user', **_where(NO_TENANT))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_user_email', ['email'])
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('tenant_id')
