"""The user itself, translateExchangeIds, and change-notification subscriptions."""
from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from . import ids
from .errors import GraphError, bad_request
from .render import parse_instant
from .schema import validate_body
from .web import Ctx, Router, reject_options

MAX_TRANSLATE_IDS = 1000
FAKE_APPLICATION_ID = "24b0a53c-1f3e-4d8a-9c6b-7e2f5a1d0c93"
# Graph's longest subscription lifetimes, in minutes, per resource kind.
MAX_MINUTES = {"outlook": 10080, "todo": 4230}
_USER = r"(?:me|users/[^/]+|users\('[^']+'\))"
_RESOURCES = [
    (re.compile(rf"^/?{_USER}/(?:mailFolders(?:/[^/]+|\('[^']+'\))/)?messages$", re.I), "outlook"),
    (re.compile(rf"^/?{_USER}/(?:calendars?(?:/[^/]+|\('[^']+'\))?/)?events$", re.I), "outlook"),
    (re.compile(rf"^/?{_USER}/todo/lists(?:/[^/]+|\('[^']+'\))/tasks$", re.I), "todo"),
]
CHANGE_TYPES = {"created", "updated", "deleted"}
_NAMED_USER = re.compile(r"^/?users(?:/([^/]+)|\('([^']+)'\))", re.I)


class Subscriptions:
    """The live subscriptions, indexed by the user whose mailbox each watches (notify.py looks a
    change's subscriptions up by its mailbox, never scanning them all)."""

    def __init__(self) -> None:
        self._items: dict[str, dict] = {}
        self._owner: dict[str, str | None] = {}
        self._by_owner: dict[str | None, dict[str, dict]] = {}
        self._lock = threading.Lock()

    def all(self) -> list[dict]:
        with self._lock:
            return [dict(s) for s in self._items.values()]

    def count(self) -> int:
        """Live subscriptions: an expired one no longer counts (Graph deletes them)."""
        now = dt.datetime.now(dt.timezone.utc)
        with self._lock:
            expiries = [s.get("expirationDateTime") for s in self._items.values()]
        return sum(1 for expiry in expiries if expiry and parse_instant(expiry) > now)

    def get(self, sub_id: str) -> dict | None:
        with self._lock:
            return self._items.get(sub_id)

    def owner(self, sub_id: str) -> str | None:
        with self._lock:
            return self._owner.get(sub_id)

    def for_owner(self, owner: str) -> list[dict]:
        """The subscriptions on the mailbox of user `owner` (their stored dicts: do not modify)."""
        with self._lock:
            found = self._by_owner.get(owner)
            return list(found.values()) if found else []

    def put(self, sub: dict, owner: str | None = None) -> None:
        """Store a new subscription or a changed one (a change keeps the owner it had)."""
        with self._lock:
            owner = self._owner.get(sub["id"], owner)
            self._items[sub["id"]] = sub
            self._owner[sub["id"]] = owner
            self._by_owner.setdefault(owner, {})[sub["id"]] = sub

    def delete(self, sub_id: str) -> bool:
        with self._lock:
            if self._items.pop(sub_id, None) is None:
                return False
            owner = self._owner.pop(sub_id, None)
            watched = self._by_owner.get(owner)
            if watched is not None:
                watched.pop(sub_id, None)
                if not watched:
                    del self._by_owner[owner]
            return True


def _invalid(message: str) -> GraphError:
    return GraphError(400, "InvalidRequest", message)


def _check_url(name: str, url: object) -> None:
    """Graph only calls HTTPS endpoints; the fake also allows plain HTTP to loopback for local runs."""
    parts = urlsplit(url if isinstance(url, str) else "")
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise _invalid(f"Subscription validation request failed. {name} must be an HTTPS URL.")


def _check_expiration(value: object, kind: str) -> str:
    try:
        moment = parse_instant(str(value))
    except ValueError:
        raise _invalid("Subscription expirationDateTime is not a valid date and time.") from None
    now = dt.datetime.now(dt.timezone.utc)
    if moment <= now:
        raise _invalid("Subscription expiration must be in the future.")
    if moment > now + dt.timedelta(minutes=MAX_MINUTES[kind]):
        raise _invalid(f"Subscription expiration can only be {MAX_MINUTES[kind]} minutes in the future.")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _resource_kind(resource: object) -> str:
    for pattern, kind in _RESOURCES:
        if isinstance(resource, str) and pattern.match(resource):
            return kind
    raise _invalid(f"The resource '{resource}' is not supported by the fake Graph's subscriptions.")


def register_user(router: Router) -> None:
    @router.route("/")
    def get_user(ctx: Ctx) -> Response:
        reject_options(ctx, {"$select"})
        user = ctx.mailbox.user
        select = ctx.arg("$select")
        if select:
            wanted = {name.strip().lower() for name in select.split(",")} | {"id"}
            user = {k: v for k, v in user.items() if k.lower() in wanted}
        return ctx.json({"@odata.context": ctx.context_url("users/$entity"), **user})

    @router.route("/translateExchangeIds", "POST")
    def translate(ctx: Ctx) -> Response:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        input_ids, source, target = body.get("inputIds"), body.get("sourceIdType"), body.get("targetIdType")
        if not isinstance(input_ids, list) or not all(isinstance(i, str) for i in input_ids):
            raise bad_request("The 'inputIds' parameter must be a collection of strings.", "ErrorInvalidParameter")
        for name, value in (("sourceIdType", source), ("targetIdType", target)):
            if value not in ids.FORMATS:
                raise bad_request(f"The request is invalid: '{value}' is not a valid value of {name} "
                                  "(exchangeIdFormat).", "ErrorInvalidParameter")
        if len(input_ids) > MAX_TRANSLATE_IDS:
            raise bad_request(f"The number of ids ({len(input_ids)}) exceeds the maximum of {MAX_TRANSLATE_IDS}.",
                              "ErrorInvalidParameter")
        results = []
        for source_id in input_ids:
            target_id = ids.convert(source_id, source, target)
            if target_id is None:
                results.append({"sourceId": source_id,
                                "errorDetails": {"code": "ErrorInvalidIdMalformed", "message": "Id is malformed."}})
            else:
                results.append({"sourceId": source_id, "targetId": target_id})
        return ctx.json({"@odata.context": ctx.context_url("Collection(microsoft.graph.convertIdResult)"),
                         "value": results})


def register_root(router: Router) -> None:
    def shown(ctx: Ctx, sub: dict) -> dict:
        return {"@odata.context": ctx.context_url("subscriptions/$entity"), **sub}

    def existing(ctx: Ctx, sub_id: str) -> dict:
        sub = ctx.app.subscriptions.get(sub_id)
        if sub is None:
            raise GraphError(404, "ResourceNotFound", f"The object was not found. Subscription '{sub_id}'.")
        return sub

    @router.route("/subscriptions", "POST")
    def create(ctx: Ctx) -> Response:
        body = validate_body("subscription", ctx.body)
        for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not body.get(name):
                raise _invalid(f"Subscription property '{name}' is required.")
        if not set(str(body["changeType"]).split(",")) <= CHANGE_TYPES:
            raise _invalid(f"Invalid changeType '{body['changeType']}'.")
        kind = _resource_kind(body["resource"])
        _check_url("notificationUrl", body["notificationUrl"])
        if body.get("lifecycleNotificationUrl"):
            _check_url("lifecycleNotificationUrl", body["lifecycleNotificationUrl"])
        caller = ctx.caller
        owner = ctx.app.resource_owner(body["resource"], caller)
        named = _NAMED_USER.match(str(body["resource"]))
        if owner is None and named is not None:
            # A user the tenant does not have: Graph's subscription service answers 404 ExtensionError,
            # https://github.com/microsoftgraph/aspnet-webhooks-rest-sample/issues/18 (create),
            # https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/3201 (its wording).
            who = named.group(1) or named.group(2)
            raise GraphError(404, "ExtensionError", "Operation: Create; Exception: [Status Code: NotFound; Reason: "
                                                    f"The requested user '{who}' is invalid.]")
        creator = (caller.object_id if caller is not None
                   else ctx.app.mailbox.user.get("id") if ctx.app.mailbox is not None else owner)
        sub = {"id": str(uuid.uuid4()), "resource": body["resource"],
               "applicationId": caller.app_id if caller is not None and caller.app_id else FAKE_APPLICATION_ID,
               "changeType": body["changeType"], "clientState": body.get("clientState"),
               "notificationUrl": body["notificationUrl"], "notificationQueryOptions": None,
               "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"),
               "expirationDateTime": _check_expiration(body["expirationDateTime"], kind),
               "creatorId": creator, "includeResourceData": bool(body.get("includeResourceData")),
               "latestSupportedTlsVersion": body.get("latestSupportedTlsVersion") or "v1_2",
               "encryptionCertificate": body.get("encryptionCertificate"),
               "encryptionCertificateId": body.get("encryptionCertificateId"), "notificationUrlAppId": None}
        if ctx.app.notifier is not None:  # Graph's validation handshake, on both URLs (notify.py)
            ctx.app.notifier.validate(sub["notificationUrl"])
            ctx.app.notifier.validate(sub["lifecycleNotificationUrl"])
            ctx.app.notifier.subscribed(sub["id"], ctx.immutable)
        ctx.app.subscriptions.put(sub, owner)
        ctx.app.stats.subscription("created")
        return ctx.json(shown(ctx, sub), 201)

    @router.route("/subscriptions")
    def list_all(ctx: Ctx) -> Response:
        return ctx.json({"@odata.context": ctx.context_url("subscriptions"), "value": ctx.app.subscriptions.all()})

    @router.route("/subscriptions/{sub_id}")
    def get_one(ctx: Ctx, sub_id: str) -> Response:
        return ctx.json(shown(ctx, existing(ctx, sub_id)))

    @router.route("/subscriptions/{sub_id}", "PATCH")
    def renew(ctx: Ctx, sub_id: str) -> Response:
        sub = dict(existing(ctx, sub_id))
        patch = validate_body("subscription", ctx.body)
        for name in patch:
            if name not in ("expirationDateTime", "notificationUrl", "lifecycleNotificationUrl"):
                raise _invalid(f"Subscription property '{name}' cannot be updated.")
        if "notificationUrl" in patch:
            _check_url("notificationUrl", patch["notificationUrl"])
            if ctx.app.notifier is not None:
                ctx.app.notifier.validate(patch["notificationUrl"])
            sub["notificationUrl"] = patch["notificationUrl"]
        if "lifecycleNotificationUrl" in patch:
            _check_url("lifecycleNotificationUrl", patch["lifecycleNotificationUrl"])
            sub["lifecycleNotificationUrl"] = patch["lifecycleNotificationUrl"]
        if "expirationDateTime" in patch:
            sub["expirationDateTime"] = _check_expiration(patch["expirationDateTime"],
                                                          _resource_kind(sub["resource"]))
        ctx.app.subscriptions.put(sub)
        ctx.app.stats.subscription("renewed")
        return ctx.json(shown(ctx, sub))

    @router.route("/subscriptions/{sub_id}", "DELETE")
    def delete(ctx: Ctx, sub_id: str) -> Response:
        existing(ctx, sub_id)
        if ctx.app.subscriptions.delete(sub_id):
            ctx.app.stats.subscription("deleted")
        return ctx.empty(204)
