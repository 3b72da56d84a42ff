"""Who the caller is and what they may see: users, membership and roles."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import Forbidden, NotFound
from storage.models import Member, User, Workspace, new_id

from .records import is_valid_id


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(session: so.Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def get_or_create_dev_user(session: so.Session, email: str) -> User:
    """Dev mode: the X-Dev-User header names the user; unknown ones are created."""
    user = user_by_email(session, email)
    if user is None:
        email = normalise_email(email)
        user = User(id=new_id(), email=email, display_name=email.split("@", 1)[0].replace(".", " ").title())
        session.add(user)  # not flushed: the caller sees it in session.new and commits it
    return user


def get_or_create_entra_user(
    session: so.Session, *, tenant_id: str, object_id: str, email: str | None, display_name: str | None
) -> User:
    """Entra mode: the user is tid+oid. A colleague invited by e-mail before their first
    sign-in is that same row, claimed here by matching the e-mail."""
    user = session.scalar(sa.select(User).where(User.tenant_id == tenant_id, User.object_id == object_id))
    if user is not None:
        return user
    invited = user_by_email(session, email) if email else None
    if invited is not None and invited.object_id is None:
        invited.tenant_id, invited.object_id = tenant_id, object_id
        if display_name:
            invited.display_name = display_name
        return invited
    address = normalise_email(email) if email and invited is None else f"{object_id}@{tenant_id}.invalid"
    user = User(id=new_id(), tenant_id=tenant_id, object_id=object_id, email=address,
                display_name=display_name or address)
    session.add(user)  # not flushed: the caller sees it in session.new and commits it
    return user


def membership(session: so.Session, workspace_id: str, user: User) -> Member:
    """The caller's membership, or 404: outsiders never learn that a workspace exists."""
    member = session.get(Member, (workspace_id, user.id)) if is_valid_id(workspace_id) else None
    if member is None:
        raise NotFound("No such workspace.")
    return member


def workspace_for(session: so.Session, workspace_id: str, user: User) -> tuple[Workspace, Member]:
    member = membership(session, workspace_id, user)
    return member.workspace, member


def require_owner(member: Member, action: str = "do this") -> None:
    if member.role != "owner":
        raise Forbidden(f"Only an owner of the workspace may {action}.")


def is_member(session: so.Session, workspace_id: str, user_id: str) -> bool:
    return session.get(Member, (workspace_id, user_id)) is not None
