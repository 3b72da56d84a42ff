"""Who the caller is and what they may see: users, membership and roles."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import Forbidden, NotFound, RuleViolation
from storage.i18n import _
from storage.models import Member, User, Workspace, new_id

from .records import is_valid_id


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(session: so.Session, email: str) -> User | None:
    """Dev mode's key: the user without a tenant who has this address (never an Entra user)."""
    return session.scalar(sa.select(User).where(User.tenant_id.is_(None), User.email == normalise_email(email)))


def member_by_email(session: so.Session, workspace_id: str, email: str) -> User | None:
    """The member of the workspace shown with this address (an admin connecting a mailbox names it);
    None when no member has it. Two members showing one address (users of two tenants) are refused:
    the address is display only and cannot choose between them."""
    found = list(session.scalars(sa.select(User).join(Member, Member.user_id == User.id).where(
        Member.workspace_id == workspace_id, User.email == normalise_email(email)).limit(2)))
    if len(found) > 1:
        raise RuleViolation.on("address", _("several members of the workspace have this address"))
    return found[0] if found else None


def get_or_create_dev_user(session: so.Session, email: str) -> User:
    """Dev mode: the X-Dev-User header names the user; unknown ones are created."""
    user = user_by_email(session, email)
    if user is None:
        email = normalise_email(email)
        user = User(id=new_id(), email=email, display_name=email.split("@", 1)[0].replace(".", " ").title())
        session.add(user)  # not flushed: the caller sees it in session.new and commits it
    return user


def get_or_create_entra_user(
    session: so.Session, *, tenant_id: str, object_id: str, username: str | None, display_name: str | None,
    home_tenant: str | None = None,
) -> User:
    """Entra mode: the user is `tid` + `oid`, and only that ("use the immutable claim values tid and oid
    as a combined key": https://learn.microsoft.com/entra/identity-platform/claims-validation ).

    `username` is the token's verified username (addin.tokens.verified_username: `preferred_username`
    of a v2.0 token, `upn` of a v1.0 token; never `email`, which Entra does not verify:
    https://learn.microsoft.com/entra/identity-platform/migrate-off-email-claim-authorization ). It is
    kept as the address shown, and it accepts invitations, but only those made for the token's own
    tenant (`invited`): Microsoft says not to authorise by it because it is mutable and, across
    tenants, not unique; inside the tenant that issued it, it is the user's current sign-in name, which
    only that tenant's administrators assign. So an invitation to bob@contoso.com made for Contoso's
    tenant goes to whoever Contoso's directory calls bob@contoso.com when they first sign in, and a
    token of any other tenant, or with no verified username, gets a user of its own and no membership.

    A renamed user (same `oid`, new username) is the same row: memberships stay; the address shown
    follows, and an invitation already made to the new name for their tenant is merged in.

    Rows without any tenant (made in dev mode, or invitations the migration to 0012 could not give a
    tenant because their workspaces had none) are claimed the same way only when the app is
    single-tenant (`home_tenant`: then no other tenant's token can exist, and a workspace without a
    tenant can only be that tenant's) and none of the row's workspaces belongs to another tenant; their
    workspaces without a tenant get this one. A multi-tenant app never hands such a row to anyone."""
    address = normalise_email(username) if username else None
    user = session.scalar(sa.select(User).where(User.tenant_id == tenant_id, User.object_id == object_id))
    if user is not None:
        if address and user.email != address:
            pending = invited(session, tenant_id, address)
            if pending is not None:
                _merge_into(session, pending, user)
            user.email = address  # changed last: the caller commits what is dirty
        if display_name and user.display_name != display_name:
            user.display_name = display_name
        return user
    pending = invited(session, tenant_id, address) if address else None
    if pending is not None:  # the invitation, accepted: the same row, so its memberships stay
        pending.object_id = object_id
        if display_name:
            pending.display_name = display_name
        return pending
    legacy = user_by_email(session, address) if address and home_tenant and tenant_id == home_tenant else None
    if legacy is not None and legacy.object_id is None:
        workspaces = list(session.scalars(sa.select(Workspace).join(Member).where(Member.user_id == legacy.id)))
        if all(w.tenant_id in (None, tenant_id) for w in workspaces):
            legacy.tenant_id, legacy.object_id = tenant_id, object_id
            if display_name:
                legacy.display_name = display_name
            for workspace in workspaces:
                workspace.tenant_id = tenant_id
            return legacy
    shown = address or f"{object_id}@{tenant_id}.invalid"
    user = User(id=new_id(), tenant_id=tenant_id, object_id=object_id, email=shown, display_name=display_name or shown)
    session.add(user)  # not flushed: the caller sees it in session.new and commits it
    return user


def invited(session: so.Session, tenant_id: str, address: str) -> User | None:
    """The invitation (a user row not signed in yet) for this address, made for this tenant."""
    return session.scalar(sa.select(User).where(User.tenant_id == tenant_id, User.object_id.is_(None),
                                                User.email == normalise_email(address)))


def signed_in_user(session: so.Session, tenant_id: str, address: str) -> User | None:
    """The user of this tenant whose last sign-in showed this address (their verified username then);
    the most recent one should an old row still show a name the tenant has given to someone else since."""
    return session.scalar(sa.select(User).where(User.tenant_id == tenant_id, User.object_id.is_not(None),
                                                User.email == normalise_email(address))
                          .order_by(User.created_at.desc(), User.id.desc()).limit(1))


def _merge_into(session: so.Session, source: User, target: User) -> None:
    """Give `target` everything that points at the invitation row `source` (memberships first; a
    workspace both belong to keeps `target`'s role), then delete `source`."""
    both = sa.select(Member.workspace_id).where(Member.user_id == target.id).scalar_subquery()
    session.execute(sa.delete(Member).where(Member.user_id == source.id, Member.workspace_id.in_(both))
                    .execution_options(synchronize_session=False))
    for table in User.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "user" and fk.column.name == "id":
                session.execute(sa.update(table).where(fk.parent == source.id).values({fk.parent.name: target.id})
                                .execution_options(synchronize_session=False))
    session.execute(sa.delete(User).where(User.id == source.id).execution_options(synchronize_session=False))
    session.expunge(source)
    for loaded in list(session.identity_map.values()):
        if loaded is not target:
            session.expire(loaded)  # memberships and the like were moved underneath them


def membership(session: so.Session, workspace_id: str, user: User) -> Member:
    """The caller's membership, or 404: outsiders never learn that a workspace exists."""
    member = session.get(Member, (workspace_id, user.id)) if is_valid_id(workspace_id) else None
    if member is None:
        raise NotFound(_("No such workspace."))
    return member


def workspace_for(session: so.Session, workspace_id: str, user: User) -> tuple[Workspace, Member]:
    member = membership(session, workspace_id, user)
    return member.workspace, member


def require_owner(member: Member, action: str | None = None) -> None:
    """`action`: what only an owner may do, a Text that completes the sentence ("add members")."""
    if member.role != "owner":
        raise Forbidden(_("Only an owner of the workspace may %(action)s.", action=action or _("do this")))


def is_member(session: so.Session, workspace_id: str, user_id: str) -> bool:
    return session.get(Member, (workspace_id, user_id)) is not None
