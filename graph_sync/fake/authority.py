"""Tokens and permissions as Microsoft Graph checks them, for a fake Graph given a token authority.

`FakeGraph(..., entra=StandinEntra)` makes the fake refuse exactly what Graph refuses:

- the token (401 InvalidAuthenticationToken): missing, not a JWT, not signed by the authority's
  keys, expired, or for another audience; with the messages Graph gives, e.g.
  https://github.com/microsoftgraph/microsoft-graph-docs/issues/4752 (invalid audience),
  https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/8457 (not a JWT);
- `/me` with an app-only token (400 BadRequest): a token without a user has no "me",
  https://github.com/microsoftgraph/msgraph-sdk-php/issues/1163,
  https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/4895;
- another user's mailbox with a delegated token (403 ErrorAccessDenied): delegated permissions
  reach only the signed-in user's own mailbox (`.Shared` permissions and mailbox sharing, which
  Dealpane does not use, aside), https://github.com/microsoftgraph/microsoft-graph-docs/issues/9429,
  https://learn.microsoft.com/graph/outlook-share-messages-folders;
- a route without the permission its API reference page lists (403 ErrorAccessDenied, "Access is
  denied. Check credentials and try again."), delegated `scp` or application `roles`,
  https://github.com/microsoftgraph/aspnetcore-connect-sample/issues/37. Each rule below carries
  its page. A permission implies the lower ones of its family (IMPLIES).

Graph checks the permission before it looks for the item, so a missing permission is a 403 even
for an id that does not exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from .errors import GraphError, unauthorized

if TYPE_CHECKING:
    from .entra import StandinEntra
    from .server import GraphApp

LEARN = "https://learn.microsoft.com/graph/api/{}?view=graph-rest-1.0#permissions"
ACCESS_DENIED = "Access is denied. Check credentials and try again."
NOT_A_JWT = ("IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact "
             "Serialization Format. (JWS): 'EncodedHeader.EncodedPayload.EncodedSignature'. (JWE): "
             "'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext."
             "EncodedAuthenticationTag'.")

# A permission also grants what the lower permissions of its family grant: ReadWrite includes Read,
# Read includes ReadBasic (each permission's description in the permissions reference),
# https://learn.microsoft.com/graph/permissions-reference
IMPLIES: dict[str, set[str]] = {
    "Mail.ReadWrite": {"Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All"},
    "Mail.Read": {"Mail.ReadBasic", "Mail.ReadBasic.All"},
    "Calendars.ReadWrite": {"Calendars.Read", "Calendars.ReadBasic"},
    "Calendars.Read": {"Calendars.ReadBasic"},
    "Tasks.ReadWrite": {"Tasks.Read"},
    "Tasks.ReadWrite.All": {"Tasks.Read.All"},
    "User.ReadWrite": {"User.Read"},
    "User.ReadWrite.All": {"User.Read.All", "User.ReadBasic.All"},
    "User.Read.All": {"User.ReadBasic.All"},
}
# Mail.ReadBasic reads "email except body, previewBody, attachments and any extended properties"
# (permissions reference, Mail.ReadBasic): Graph leaves those out rather than refusing.
BASIC_MAIL_HIDDEN = ("body", "bodyPreview", "uniqueBody", "attachments", "singleValueExtendedProperties",
                     "multiValueExtendedProperties")


@dataclass(frozen=True)
class Caller:
    """Who a valid token names: a user (delegated `scp`) or an app (`roles`)."""

    app_only: bool
    permissions: frozenset[str]
    tenant_id: str
    object_id: str
    app_id: str = ""  # the client the token was issued to (`appid`): Graph's throttling is per app and mailbox

    def has_any(self, wanted: frozenset[str]) -> bool:
        held = set(self.permissions)
        for permission in self.permissions:
            held |= IMPLIES.get(permission, set())
        return bool(held & wanted)

    def reads_mail_bodies(self) -> bool:
        return self.has_any(frozenset({"Mail.Read"}))


@dataclass(frozen=True)
class Rule:
    delegated: frozenset[str]
    application: frozenset[str]
    doc: str

    def allows(self, caller: Caller) -> bool:
        return caller.has_any(self.application if caller.app_only else self.delegated)


def _rule(delegated: str, application: str, page: str) -> Rule:
    """Both columns of a Permissions table: the least privileged permission first, then the higher ones."""
    return Rule(frozenset(delegated.split()), frozenset(application.split()), LEARN.format(page))


MAIL_READ = ("Mail.ReadBasic Mail.Read Mail.ReadWrite", "Mail.ReadBasic.All Mail.Read Mail.ReadWrite")
CALENDAR_READ = ("Calendars.ReadBasic Calendars.Read Calendars.ReadWrite",
                 "Calendars.ReadBasic Calendars.Read Calendars.ReadWrite")
TASKS_READ = ("Tasks.Read Tasks.ReadWrite", "Tasks.Read.All Tasks.ReadWrite.All")
TASKS_WRITE = ("Tasks.ReadWrite", "Tasks.ReadWrite.All")
_ID = r"[^/]+"
_DELTA = r"delta(?:\(\))?"
_CALENDAR = rf"(?:/calendar|/calendars/{_ID})?"

# (method, path after /me or /users/{id}, rule)
USER_RULES: list[tuple[str, str, Rule]] = [
    ("GET", r"", _rule("User.Read User.ReadWrite User.ReadBasic.All User.Read.All User.ReadWrite.All "
                       "Directory.Read.All Directory.ReadWrite.All",
                       "User.ReadBasic.All User.Read.All User.ReadWrite.All Directory.Read.All "
                       "Directory.ReadWrite.All", "user-get")),
    ("GET", r"/mailFolders", _rule(*MAIL_READ, "user-list-mailfolders")),
    ("GET", rf"/mailFolders/{_ID}", _rule(*MAIL_READ, "mailfolder-get")),
    ("GET", rf"/mailFolders/{_ID}/messages/{_DELTA}", _rule(*MAIL_READ, "message-delta")),
    ("GET", rf"/messages/{_ID}", _rule(*MAIL_READ, "message-get")),
    # attachments need Mail.Read: Mail.ReadBasic reads neither bodies nor attachments
    ("GET", rf"/messages/{_ID}/attachments", _rule("Mail.Read Mail.ReadWrite", "Mail.Read Mail.ReadWrite",
                                                   "message-list-attachments")),
    ("GET", rf"/messages/{_ID}/attachments/{_ID}", _rule("Mail.Read Mail.ReadWrite", "Mail.Read Mail.ReadWrite",
                                                         "attachment-get")),
    # .../$value, the only GET below an attachment (written without regex escapes, for the rules' own test)
    ("GET", rf"/messages/{_ID}/attachments/{_ID}/{_ID}", _rule("Mail.Read Mail.ReadWrite", "Mail.Read Mail.ReadWrite",
                                                               "attachment-get")),
    ("POST", r"/messages", _rule("Mail.ReadWrite", "Mail.ReadWrite", "user-post-messages")),
    ("PATCH", rf"/messages/{_ID}", _rule("Mail.ReadWrite", "Mail.ReadWrite", "message-update")),
    ("DELETE", rf"/messages/{_ID}", _rule("Mail.ReadWrite", "Mail.ReadWrite", "message-delete")),
    ("POST", rf"/messages/{_ID}/permanentDelete", _rule("Mail.ReadWrite", "Mail.ReadWrite",
                                                         "message-permanentdelete")),
    ("POST", rf"/messages/{_ID}/send", _rule("Mail.Send", "Mail.Send", "message-send")),
    ("POST", r"/sendMail", _rule("Mail.Send", "Mail.Send", "user-sendmail")),
    ("GET", r"/calendar", _rule(*CALENDAR_READ, "calendar-get")),
    ("GET", r"/calendars", _rule(*CALENDAR_READ, "user-list-calendars")),
    ("GET", rf"/calendars/{_ID}", _rule(*CALENDAR_READ, "calendar-get")),
    ("GET", rf"{_CALENDAR}/calendarView/{_DELTA}", _rule(*CALENDAR_READ, "event-delta")),
    ("GET", rf"/events/{_ID}", _rule(*CALENDAR_READ, "event-get")),
    ("POST", rf"{_CALENDAR}/events", _rule("Calendars.ReadWrite", "Calendars.ReadWrite", "user-post-events")),
    ("PATCH", rf"/events/{_ID}", _rule("Calendars.ReadWrite", "Calendars.ReadWrite", "event-update")),
    ("DELETE", rf"/events/{_ID}", _rule("Calendars.ReadWrite", "Calendars.ReadWrite", "event-delete")),
    ("POST", rf"/events/{_ID}/permanentDelete", _rule("Calendars.ReadWrite", "Calendars.ReadWrite",
                                                       "event-permanentdelete")),
    ("POST", r"/translateExchangeIds", _rule("User.ReadBasic.All User.Read User.Read.All User.ReadWrite "
                                             "User.ReadWrite.All", "User.Read.All User.ReadWrite.All",
                                             "user-translateexchangeids")),
    ("GET", r"/todo/lists", _rule(*TASKS_READ, "todo-list-lists")),
    ("POST", r"/todo/lists", _rule(*TASKS_WRITE, "todo-post-lists")),
    ("GET", rf"/todo/lists/{_ID}", _rule(*TASKS_READ, "todotasklist-get")),
    ("PATCH", rf"/todo/lists/{_ID}", _rule(*TASKS_WRITE, "todotasklist-update")),
    ("DELETE", rf"/todo/lists/{_ID}", _rule(*TASKS_WRITE, "todotasklist-delete")),
    # The table of todoTask: delta lists Tasks.ReadWrite as least privileged and Tasks.Read as higher.
    ("GET", rf"/todo/lists/{_ID}/tasks/{_DELTA}", _rule(*TASKS_READ, "todotask-delta")),
    ("GET", rf"/todo/lists/{_ID}/tasks", _rule(*TASKS_READ, "todotasklist-list-tasks")),
    ("POST", rf"/todo/lists/{_ID}/tasks", _rule(*TASKS_WRITE, "todotasklist-post-tasks")),
    ("GET", rf"/todo/lists/{_ID}/tasks/{_ID}", _rule(*TASKS_READ, "todotask-get")),
    ("PATCH", rf"/todo/lists/{_ID}/tasks/{_ID}", _rule(*TASKS_WRITE, "todotask-update")),
    ("DELETE", rf"/todo/lists/{_ID}/tasks/{_ID}", _rule(*TASKS_WRITE, "todotask-delete")),
]
_COMPILED = [(method, re.compile(rf"^{path}/?$", re.IGNORECASE), rule) for method, path, rule in USER_RULES]

# A subscription needs the permission that reads its resource (the subscription's table per resource):
# https://learn.microsoft.com/graph/api/subscription-post-subscriptions?view=graph-rest-1.0#permissions
SUBSCRIPTION_RULES = {
    "messages": _rule(*MAIL_READ, "subscription-post-subscriptions"),
    "events": _rule(*CALENDAR_READ, "subscription-post-subscriptions"),
    "tasks": _rule("Tasks.ReadWrite", "Tasks.Read.All Tasks.ReadWrite.All", "subscription-post-subscriptions"),
}


def user_rule(method: str, rest: str) -> Rule | None:
    for wanted, pattern, rule in _COMPILED:
        if wanted == method and pattern.match(rest):
            return rule
    return None


def subscription_rule(resource: Any) -> Rule | None:
    tail = str(resource or "").rstrip("/").rsplit("/", 1)[-1].lower()
    return SUBSCRIPTION_RULES.get(tail)


def access_denied() -> GraphError:
    return GraphError(403, "ErrorAccessDenied", ACCESS_DENIED)


class TokenAuthority:
    """Checks a request's token and permissions against a StandinEntra, as Graph would."""

    def __init__(self, entra: "StandinEntra"):
        self.entra = entra

    def caller(self, token: str) -> Caller:
        if not token:
            raise unauthorized("Access token is empty.")
        if token.count(".") != 2:
            raise unauthorized(NOT_A_JWT)
        try:
            claims = self.entra.graph_claims(token)
        except jwt.ExpiredSignatureError:
            raise unauthorized("Lifetime validation failed, the token is expired.") from None
        except jwt.InvalidAudienceError:
            raise unauthorized("Access token validation failure. Invalid audience.") from None
        except jwt.PyJWTError:
            raise unauthorized("Access token validation failure.") from None
        app_only = claims.get("idtyp") == "app" or "scp" not in claims
        permissions = (claims.get("roles") or []) if app_only else str(claims.get("scp", "")).split()
        return Caller(app_only=app_only, permissions=frozenset(permissions), tenant_id=str(claims["tid"]),
                      object_id=str(claims["oid"]), app_id=str(claims.get("appid") or claims.get("azp") or ""))

    def owner_tenant(self, owner_id: str) -> str | None:
        user = self.entra.users.get(owner_id)
        return user.tenant_id if user is not None else None

    def check_me(self, caller: Caller, owner_id: str) -> None:
        """`/me`: only with a user's token, and only the mailbox of that user."""
        if caller.app_only:
            raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        if caller.object_id != owner_id:
            # A user this fake has no mailbox for (one mailbox, or the company's directory).
            raise GraphError(404, "MailboxNotEnabledForRESTAPI",
                             "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")

    def check_user(self, caller: Caller, owner_id: str, who: str) -> None:
        """`/users/{id}`: a user's token reaches only their own mailbox; an app's only its tenant's users."""
        if caller.app_only:
            tenant = self.owner_tenant(owner_id)
            if tenant is not None and tenant != caller.tenant_id:
                raise GraphError(404, "ErrorInvalidUser", f"The requested user '{who}' is invalid.")
        elif caller.object_id != owner_id:
            raise access_denied()

    def check_route(self, caller: Caller, method: str, rest: str) -> None:
        rule = user_rule(method, rest)
        if rule is not None and not rule.allows(caller):
            raise access_denied()

    def check_root(self, caller: Caller, method: str, rest: str, app: "GraphApp", body: Any) -> None:
        """`/subscriptions...`: the permission that reads the subscribed resource."""
        match = re.match(r"^/subscriptions(?:/([^/]+))?/?$", rest, re.IGNORECASE)
        if match is None:
            return
        if match.group(1) is None:
            resource = body.get("resource") if method == "POST" and isinstance(body, dict) else None
        else:
            existing = app.subscriptions.get(match.group(1))
            resource = existing["resource"] if existing else None
        rule = subscription_rule(resource) if resource else None
        if rule is not None and not rule.allows(caller):
            raise access_denied()


def hide_for_basic_mail(caller: Caller | None, shown: dict) -> dict:
    """With Mail.ReadBasic only, a message comes without its body and preview (see BASIC_MAIL_HIDDEN)."""
    if caller is not None and not caller.reads_mail_bodies():
        for name in BASIC_MAIL_HIDDEN:
            shown.pop(name, None)
    return shown
