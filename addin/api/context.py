"""Per-request plumbing: the unit of work, the caller, their membership, ETag/If-Match."""
from __future__ import annotations

import orjson
from flask import current_app, g, request

from addin.auth import Identity
from storage.db import UnitOfWork
from storage.errors import VersionMismatch
from storage.i18n import _
from storage.models import Member, User, Workspace
from storage.services import access


def uow() -> UnitOfWork:
    """The request's unit of work, opened on first use and closed (rolled back unless
    committed) when the request ends."""
    if "uow" not in g:
        services = current_app.extensions["dealpane"]
        reading = request.method in ("GET", "HEAD")
        g.uow = UnitOfWork(services.read_session_factory if reading else services.session_factory).__enter__()
    return g.uow


def session():
    return uow().session


def commit() -> None:
    uow().commit()


def close_uow(_exc=None) -> None:
    unit = g.pop("uow", None)
    if unit is not None:
        unit.__exit__(None, None, None)


def current_user() -> User:
    if "user" not in g:
        identity: Identity = g.identity
        if identity.is_entra:
            user = access.get_or_create_entra_user(
                session(), tenant_id=identity.tenant_id, object_id=identity.object_id,
                username=identity.username, display_name=identity.display_name, home_tenant=identity.home_tenant,
            )
        else:
            user = access.get_or_create_dev_user(session(), identity.email)
        if session().new or session().dirty:
            commit()  # the first call of a new user creates them, whatever the request does next
        g.user = user
    return g.user


def member(ws: str) -> Member:
    """The caller's membership of workspace `ws`, or 404."""
    return access.membership(session(), ws, current_user())


def workspace(ws: str) -> tuple[Workspace, Member]:
    m = member(ws)
    return m.workspace, m


def check_if_match(record) -> None:
    """Honour If-Match: a stale version gets 412 and changes nothing."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")}
    if str(record.version) not in wanted:
        raise VersionMismatch(_(
            "The record is at version %(version)s, not %(asked)s; load it again before changing it.",
            version=record.version, asked=header.strip()))


def record_response(data: dict, status: int = 200):
    response = current_app.response_class(orjson.dumps(data), status=status, mimetype="application/json")
    if "version" in data:
        response.headers["ETag"] = f'"{data["version"]}"'
    return response


def json_response(data, status: int = 200):
    """JSON-ready data (str keys; dates as ISO text or date objects) as an application/json response."""
    return current_app.response_class(orjson.dumps(data), status=status, mimetype="application/json")


def release_read_transaction() -> None:
    """End the request's transaction when it holds no changes, before a call to Entra or Graph: the
    MSAL token cache is written in a transaction of its own, which a write lock held by this request
    would block on SQLite (writers BEGIN IMMEDIATE), and no transaction should wait on the network.
    Loaded records stay usable (expire_on_commit=False); the next statement begins a new transaction."""
    if "uow" in g:
        current = g.uow.session
        if not (current.new or current.dirty or current.deleted):
            current.commit()


def graph_client(user):
    """The caller's Graph client (their stored grant, or their token exchanged on-behalf-of)."""
    release_read_transaction()
    return current_app.extensions["dealpane"].graph.client_for(user, pane_token())


def pane_token() -> str | None:
    """The caller's bearer token (Entra mode), for on-behalf-of exchange; None in dev mode."""
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
