"""Workspaces (a team's shared database), their members, and what a new one starts with."""
from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage import i18n, limits
from storage.errors import Conflict, NotFound
from storage.i18n import N_, _, word
from storage.models import ListValue, Member, Opportunity, SalesActivity, SalesStage, User, Workspace

from .access import invited, normalise_email, require_owner, signed_in_user, user_by_email
from .validation import Problems, require_text

# What BCM shipped with; every team edits these to its own terms. Marked for the catalogue
# (storage/locales/<lang>/LC_MESSAGES/workspace.po): a workspace is created with them in its language.
DEFAULT_STAGES: list[tuple[str, list[tuple[str, int, bool]]]] = [
    (N_("Prospecting"), [(N_("Identify decision makers"), 3, True), (N_("First call"), 2, True)]),
    (N_("Qualification"), [(N_("Confirm budget"), 5, True), (N_("Confirm timeline"), 3, False)]),
    (N_("Needs Analysis"), [(N_("Discovery meeting"), 7, True)]),
    (N_("Proposal"), [(N_("Prepare quote"), 3, True), (N_("Send proposal"), 1, True)]),
    (N_("Negotiation"), [(N_("Agree terms"), 10, True)]),
]
# The two built-in closed stages. Their rules (probability 100 / 0, read-only records, cannot be renamed,
# moved or deleted) go by `outcome` and `built_in`, never by these names, which follow the language.
CLOSED_STAGES: list[tuple[str, str]] = [(N_("Closed Won"), "won"), (N_("Closed Lost"), "lost")]
# close_reason says why a deal was won or lost (one list for both). Workspaces created before it came
# start with it empty (their owners fill it in Customise); new ones get these values in their language.
DEFAULT_LISTS = {
    "type": [N_("New business"), N_("Existing business"), N_("Renewal")],
    "payment_terms": [N_("Due on receipt"), N_("Net 15"), N_("Net 30"), N_("Net 60")],
    "source": [N_("Advertisement"), N_("E-mail campaign"), N_("Trade show"), N_("Web site"), N_("Referral"),
               N_("Cold call")],
    "close_reason": [N_("Price"), N_("Competitor chosen"), N_("No budget"), N_("No decision"), N_("Timing"),
                     N_("Product fit"), N_("Relationship")],
}
TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def create_workspace(session: so.Session, owner: User, name: str | None, currency: str | None = None,
                     language: str | None = None) -> Workspace:
    """A new workspace owned by `owner`, with the default stages and lists in `language` (English when
    None; the API passes the request's language)."""
    problems = Problems()
    name = require_text(problems, "name", name)
    code = (currency or "USD").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        problems.add("currency", _("must be a three-letter ISO 4217 code such as USD or EUR"))
    language = check_language(problems, "language", language) or i18n.SOURCE_LANGUAGE
    problems.raise_if_any()
    # The creator's tenant (none in dev mode): invitations are for this tenant's users unless the owner
    # names another (add_member).
    workspace = Workspace(name=name, currency=code, tenant_id=owner.tenant_id, language=language)
    session.add(workspace)
    session.flush()
    session.add(Member(workspace_id=workspace.id, user_id=owner.id, role="owner"))
    _add_defaults(session, workspace)
    session.flush()
    return workspace


def _add_defaults(session: so.Session, workspace: Workspace) -> None:
    """The default stages, their activities and the lists' values, in the workspace's language."""
    language = workspace.language
    for position, (stage_name, activities) in enumerate(DEFAULT_STAGES):
        stage = SalesStage(workspace_id=workspace.id, name=word(stage_name, language), position=position,
                           is_default=position == 0)
        stage.activities = [
            SalesActivity(name=word(a, language), position=i, duration_days=days, reminder=reminder)
            for i, (a, days, reminder) in enumerate(activities)
        ]
        session.add(stage)
    for position, (stage_name, outcome) in enumerate(CLOSED_STAGES, start=len(DEFAULT_STAGES)):
        session.add(SalesStage(workspace_id=workspace.id, name=word(stage_name, language), position=position,
                               built_in=True, outcome=outcome))
    for list_name, values in DEFAULT_LISTS.items():
        for position, value in enumerate(values):
            session.add(ListValue(workspace_id=workspace.id, list_name=list_name, value=word(value, language),
                                  position=position))


def check_language(problems: Problems, field: str, language: str | None) -> str | None:
    """A language Dealpane speaks ("fr", "en": storage.i18n.languages()), or None when none is given."""
    if language is None:
        return None
    code = language.strip().lower()
    if code not in i18n.languages():
        problems.add(field, _("must be a language Dealpane speaks: %(languages)s",
                              languages=", ".join(i18n.languages())))
        return None
    return code


def set_user_language(session: so.Session, user: User, language: str | None) -> User:
    """The language `user` chose for the workspace; None: follow the browser."""
    problems = Problems()
    code = check_language(problems, "language", language)
    problems.raise_if_any()
    user.language = code
    session.flush()
    return user


def workspaces_of(session: so.Session, user: User) -> list[tuple[Workspace, str]]:
    rows = session.execute(
        sa.select(Workspace, Member.role).join(Member).where(Member.user_id == user.id).order_by(Workspace.name)
    )
    return [(w, role) for w, role in rows]


def members_of(session: so.Session, workspace: Workspace) -> list[Member]:
    return list(
        session.scalars(
            sa.select(Member).join(User).where(Member.workspace_id == workspace.id).order_by(User.display_name, User.email)
        )
    )


def add_member(session: so.Session, actor: Member, email: str | None, role: str,
               tenant: str | None = None) -> tuple[Member, bool]:
    """Share the workspace with someone, by e-mail, even before their first sign-in.

    In Entra mode the invitation is for a user of one tenant: `tenant` when the owner names one (a
    partner's tenant), else the workspace's (its creator's), else the inviting owner's. A user of that
    tenant who already signed in showing this address is added at once; otherwise an invitation row is
    kept that only a token of that tenant whose verified username is the address accepts
    (access.get_or_create_entra_user). In dev mode (no tenant anywhere) the address is the key.

    Returns the membership and whether it is new; adding an existing member changes
    their role (never leaving the workspace without an owner).
    """
    require_owner(actor, _("add members"))
    problems = Problems()
    email = require_text(problems, "email", email, limits.EMAIL_ADDRESS)
    if email and ("@" not in email or email.startswith("@") or email.endswith("@") or " " in email):
        problems.add("email", _("is not an e-mail address"))
    if role not in ("owner", "member"):
        problems.add("role", _("must be owner or member"))
    if tenant is not None:
        tenant = tenant.strip().lower()
        if not TENANT_ID.match(tenant):
            problems.add("tenant", _("must be a tenant id (a GUID)"))
    problems.raise_if_any()
    tenant = tenant or actor.workspace.tenant_id or actor.user.tenant_id
    address = normalise_email(email)
    if tenant is None:
        user = user_by_email(session, address)
    else:
        user = signed_in_user(session, tenant, address) or invited(session, tenant, address)
    if user is None:
        user = User(email=address, tenant_id=tenant,
                    display_name=address.split("@", 1)[0].replace(".", " ").title())
        session.add(user)
        session.flush()
    existing = session.get(Member, (actor.workspace_id, user.id))
    if existing is not None:
        if existing.role == "owner" and role != "owner":
            _keep_an_owner(session, existing)
        existing.role = role
        return existing, False
    member = Member(workspace_id=actor.workspace_id, user_id=user.id, role=role)
    session.add(member)
    session.flush()
    return member, True


def remove_member(session: so.Session, actor: Member, user_id: str) -> None:
    require_owner(actor, _("remove members"))
    member = session.get(Member, (actor.workspace_id, user_id))
    if member is None:
        raise NotFound(_("No such member."))
    if member.role == "owner":
        _keep_an_owner(session, member)
    session.delete(member)
    session.flush()


def _keep_an_owner(session: so.Session, leaving: Member) -> None:
    owners = session.scalar(
        sa.select(sa.func.count()).select_from(Member).where(
            Member.workspace_id == leaving.workspace_id, Member.role == "owner"
        )
    )
    if owners <= 1:
        raise Conflict(_("The last owner of a workspace cannot be removed; make someone else owner first."))


# ---- customisable lists -------------------------------------------------------------

def list_values(session: so.Session, workspace_id: str, list_name: str, *, active_only: bool = True) -> list[str]:
    stmt = sa.select(ListValue.value).where(ListValue.workspace_id == workspace_id, ListValue.list_name == list_name)
    if active_only:
        stmt = stmt.where(ListValue.active.is_(True))
    return list(session.scalars(stmt.order_by(ListValue.position)))


def replace_list(session: so.Session, workspace_id: str, list_name: str, values: list[str],
                 rename: dict[str, str] | None = None) -> list[str]:
    """Set a list's values in order.

    `rename` {"old": "new"} renames values everywhere: on every record that uses them too.
    Removed values are kept inactive, so the records that use them still show them, but
    they cannot be chosen again.
    """
    problems = Problems()
    cleaned: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(values):
        value = require_text(problems, f"values[{i}]", raw, limits.LIST_VALUE)
        if value is None:
            continue
        if value.casefold() in seen:
            problems.add(f"values[{i}]", _("'%(value)s' is in the list twice", value=value))
        seen.add(value.casefold())
        cleaned.append(value)
    rows = {
        row.value: row
        for row in session.scalars(
            sa.select(ListValue).where(ListValue.workspace_id == workspace_id, ListValue.list_name == list_name)
        )
    }
    renames: dict[str, str] = {}
    for old, new in (rename or {}).items():
        new = (new or "").strip()
        if old not in rows:
            problems.add(f"rename.{old}", _("is not a value of this list"))
        elif new not in cleaned:
            problems.add(f"rename.{old}", _("the new name '%(new)s' must be one of `values`", new=new))
        elif new in rows and new != old:
            problems.add(f"rename.{old}", _("'%(new)s' is a value of this list already", new=new))
        else:
            renames[old] = new
    problems.raise_if_any()
    for old, new in renames.items():
        row = rows.pop(old)
        row.value = new
        rows[new] = row
        _rename_on_records(session, workspace_id, list_name, old, new)
    for row in rows.values():
        row.active = False
        row.position = len(cleaned) + 1
    for position, value in enumerate(cleaned):
        row = rows.get(value)
        if row is None:
            row = ListValue(workspace_id=workspace_id, list_name=list_name, value=value)
            session.add(row)
        row.active, row.position = True, position
    session.flush()
    return cleaned


def _rename_on_records(session: so.Session, workspace_id: str, list_name: str, old: str, new: str) -> None:
    column = getattr(Opportunity, list_name)
    session.execute(
        sa.update(Opportunity)
        .where(Opportunity.workspace_id == workspace_id, column == old)
        .values({list_name: new, "version": Opportunity.version + 1})
        .execution_options(synchronize_session="fetch")
    )


def require_list_name(list_name: str) -> None:
    if list_name not in DEFAULT_LISTS:
        raise NotFound(_("No such list."))
