"""The GraphClient port on msgraph-sdk.

- The SDK builds and sends every request (its request builders, its request adapter and
  httpx pipeline, with the Graph client options so /me paths resolve).
- Bulk responses (delta pages, $batch) come back as raw bytes and are parsed with `json`:
  msgraph-sdk's model parsing costs ~3 ms per message (msgraph-sdk-python #584).
- The SDK's own retry handler is left out: retries are ours, so Retry-After (fractional
  too) is honoured, only idempotent requests are retried, and what remains is sorted into
  GraphAuthError / GraphTransientError / CursorExpired / GraphNotFound / GraphBug.
- asyncio stays in here: calls run on one long-lived background loop (graph_sync.loop).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import random
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx
import orjson
from kiota_abstractions.authentication import AuthenticationProvider
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_http.middleware import (
    HeadersInspectionHandler, ParametersNameDecodingHandler, RedirectHandler, UrlReplaceHandler, UserAgentHandler,
)
from kiota_http.middleware.options import UrlReplaceHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.attendee import Attendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.internet_message_header import InternetMessageHeader
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.location import Location
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.models.single_value_legacy_extended_property import SingleValueLegacyExtendedProperty
from msgraph.generated.models.subscription import Subscription
from msgraph.generated.models.linked_resource import LinkedResource
from msgraph.generated.models.task_status import TaskStatus
from msgraph.generated.models.todo_task import TodoTask
from msgraph.generated.models.todo_task_list import TodoTaskList
from msgraph_core import GraphClientFactory

from . import loop, stamp
from .limits import LIMITS
from .metrics import GRAPH_CALLS, THROTTLE_WAIT
from .permissions import needed_for
from .port import (
    BatchRequest, BatchResponse, CursorExpired, DeltaPage, EventSpec, GraphAuthError, GraphBug, GraphError,
    GraphNotFound, GraphPermissionError, GraphTransientError, MailSpec, NotAFileAttachment, TaskSpec,
    attachment_record,
)
from .tokens import NeedsSignIn, TokenConfigError

# Raised by the token provider: not Graph's answers, so they pass through unsorted.
TOKEN_ERRORS = (NeedsSignIn, TokenConfigError)

log = logging.getLogger(__name__)

IMMUTABLE_IDS = 'IdType="ImmutableId"'
UTC_TIMES = 'outlook.timezone="UTC"'
# bodies as text: https://learn.microsoft.com/graph/api/message-get#request-headers ("outlook.body-content-type")
TEXT_BODIES = 'outlook.body-content-type="text"'
TRANSIENT_STATUSES = {429, 500, 502, 503, 504}
ATTACHMENT_FIELDS = "id,name,size,contentType,isInline,lastModifiedDateTime"
EXPIRED_CURSOR_CODES = {"syncstatenotfound", "syncstateinvalid", "resyncrequired"}
ERROR_MAP = {"XXX": ODataError}
MESSAGE_FIELDS = [
    "id", "subject", "bodyPreview", "from", "sender", "toRecipients", "ccRecipients", "receivedDateTime",
    "sentDateTime", "internetMessageId", "conversationId", "webLink", "changeKey", "parentFolderId", "isDraft",
    "internetMessageHeaders",  # only for the old x-dealpane-opportunity stamp (stamp.py); Sent Items copies have none
    # Attachments: only whether there are any. Their list is asked for when a person opens the e-mail's
    # history (addin/api/attachments.py), never in delta: $expand=attachments there brings every
    # attachment whole, contentBytes included, its inner $select being ignored
    # (https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/8431), which would cost
    # the sync its throughput. hasAttachments leaves inline images out
    # (https://learn.microsoft.com/graph/api/resources/message).
    "hasAttachments",
]


class _BearerToken(AuthenticationProvider):
    """Adds `Authorization: Bearer <token>`; the token comes from MSAL (or the dev token).

    Token acquisition may block on the network, so it runs in a worker thread, not on the loop.
    """

    def __init__(self, token_provider: Callable[..., str]):
        self._token_provider = token_provider
        self.force_next = False

    async def authenticate_request(self, request: RequestInformation, additional_authentication_context=None) -> None:
        force, self.force_next = self.force_next, False
        provider = (lambda: self._token_provider(force=True)) if force else self._token_provider
        token = await asyncio.get_running_loop().run_in_executor(None, provider)
        request.headers.try_add("Authorization", f"Bearer {token}")


async def build_http(base_url: str, timeout: float = 30.0) -> httpx.AsyncClient:
    """The httpx client and msgraph-core middleware every request goes through (its connection pool).
    Built on the Graph event loop (graph_sync.loop). The token is not in it (each client's adapter adds
    its own), so one can serve every mailbox of an application-mode deployment."""
    http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout, connect=10.0),
                             limits=httpx.Limits(max_connections=100, max_keepalive_connections=40))
    middleware = [
        RedirectHandler(),
        ParametersNameDecodingHandler(),
        UrlReplaceHandler(options=UrlReplaceHandlerOption(
            enabled=True, replacement_pairs={"/users/me-token-to-replace": "/me"})),
        UserAgentHandler(),
        HeadersInspectionHandler(),
    ]  # no RetryHandler: retries are decided here
    return GraphClientFactory.create_with_custom_middleware(middleware, client=http)


class MsGraphClient:
    """One mailbox through msgraph-sdk. `mailbox` None means /me (delegated token), else
    /users/{mailbox} (application token)."""

    def __init__(self, base_url: str, token_provider: Callable[[], str], *, mailbox: str | None = None,
                 page_size: int = 200, max_attempts: int = 4, max_wait: float = 60.0, timeout: float = 30.0,
                 sleep: Callable[[float], Any] | None = None, limit_key: str | None = None,
                 addin_id: str | None = None, http: httpx.AsyncClient | None = None):
        self.base_url = base_url.rstrip("/")
        self.addin_id = addin_id  # the manifest's add-in id: messages come with its custom properties (stamp.py)
        self.mailbox = mailbox
        # whose mailbox this is, for the 4-in-flight limit shared by every client of that mailbox
        self.limit_key = (limit_key or mailbox or f"me:{id(self)}").lower()
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._sleep = sleep or asyncio.sleep
        self._timeout = timeout
        self._token_provider = token_provider
        # `http`: a pipeline shared by many clients (build_http; graph_sync.clients shares one per
        # GraphAccess), left open by close(); else one of our own.
        self._owns_http = http is None
        self._graph, self._adapter, self._http = loop.run(self._build(http))

    async def _build(self, http: httpx.AsyncClient | None = None):
        if http is None:
            http = await build_http(self.base_url, self._timeout)
        self._auth = _BearerToken(self._token_provider)
        adapter = GraphRequestAdapter(self._auth, http)
        adapter.base_url = self.base_url
        return GraphServiceClient(request_adapter=adapter), adapter, http

    def close(self) -> None:
        if self._owns_http:
            loop.run(self._http.aclose())

    # ---- the port -----------------------------------------------------------------------

    def _user(self):
        return self._graph.me if self.mailbox is None else self._graph.users.by_user_id(self.mailbox)

    def delta_messages(self, folder: str, cursor: str | None = None, select: list[str] | None = None,
                       with_body: bool = False) -> DeltaPage:
        if cursor:
            info = self._absolute(Method.GET, cursor)
        else:
            builder = self._user().mail_folders.by_mail_folder_id(folder).messages.delta
            info = builder.to_get_request_information()
            fields = (select or MESSAGE_FIELDS) + (["body"] if with_body else [])
            info.url = self._with_query(info.url, self._message_query(fields))
        if with_body:  # text, not HTML: what the history keeps (the $select rides in the nextLink/deltaLink)
            info.headers.add("Prefer", TEXT_BODIES)
        return self._delta(info)

    def delta_events(self, start: dt.datetime, end: dt.datetime, cursor: str | None = None) -> DeltaPage:
        if cursor:
            info = self._absolute(Method.GET, cursor)
        else:
            info = self._user().calendar_view.delta.to_get_request_information()
            info.url = self._with_query(info.url, {"startDateTime": _iso(start), "endDateTime": _iso(end)})
        info.headers.add("Prefer", UTC_TIMES)
        return self._delta(info)

    def delta_tasks(self, list_id: str, cursor: str | None = None) -> DeltaPage:
        if cursor:
            info = self._absolute(Method.GET, cursor)
        else:
            info = self._user().todo.lists.by_todo_task_list_id(list_id).tasks.delta.to_get_request_information()
            info.url = self._with_query(info.url, {"$expand": "linkedResources"})
        return self._delta(info)

    def translate_ids(self, ids: list[str], source: str, target: str = "restImmutableEntryId") -> dict[str, str]:
        result: dict[str, str] = {}
        for start in range(0, len(ids), 1000):  # Graph takes at most 1,000 ids per call
            chunk = ids[start:start + 1000]
            info = self._absolute(Method.POST, f"{self._user_path()}/translateExchangeIds",
                                  {"inputIds": chunk, "sourceIdType": source, "targetIdType": target})
            body = self._json(info, idempotent=True)  # a pure lookup: safe to retry
            for row in body.get("value", []):
                if row.get("targetId"):  # an id Exchange cannot translate comes back with errorDetails instead
                    result[row["sourceId"]] = row["targetId"]
        return result

    def get_message(self, message_id: str) -> dict[str, Any]:
        info = self._user().messages.by_message_id(message_id).to_get_request_information()
        info.url = self._with_query(info.url, self._message_query(MESSAGE_FIELDS + ["body"]))
        return self._json(info)

    def list_attachments(self, message_id: str) -> list[dict[str, Any]]:
        """GET /messages/{id}/attachments with $select, so no fileAttachment brings its contentBytes:
        https://learn.microsoft.com/graph/api/message-list-attachments (the list returns whole attachments)."""
        info = self._user().messages.by_message_id(message_id).attachments.to_get_request_information()
        info.url = self._with_query(info.url, {"$select": ATTACHMENT_FIELDS})
        return [attachment_record(value) for value in self._json(info).get("value", [])]

    def get_attachment_content(self, message_id: str, attachment_id: str) -> tuple[bytes, str, str]:
        """The attachment's properties, then its raw bytes from .../$value (file attachments only):
        https://learn.microsoft.com/graph/api/attachment-get ("Get the raw contents of a file attachment")."""
        builder = self._user().messages.by_message_id(message_id).attachments.by_attachment_id(attachment_id)
        info = builder.to_get_request_information()
        info.url = self._with_query(info.url, {"$select": ATTACHMENT_FIELDS})
        record = attachment_record(self._json(info))
        if record["kind"] != "file":
            raise NotAFileAttachment(f"a {record['kind']} attachment has no file content", kind=record["kind"])
        raw = self._send(self._absolute(Method.GET, info.url.split("?", 1)[0] + "/$value"))
        return raw or b"", record["content_type"] or "application/octet-stream", record["name"]

    def message_query(self, with_body: bool = False) -> str:
        """What a message delta round asks Graph for ($select, $expand), as a short fingerprint. A delta
        link replays the query its round began with, so a cursor made with another query (bodies
        switched on, the add-in id configured, fields added by an upgrade) must start a new round."""
        fields = MESSAGE_FIELDS + (["body"] if with_body else [])
        text = "&".join(f"{k}={v}" for k, v in sorted(self._message_query(fields).items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _message_query(self, fields: list[str]) -> dict[str, str]:
        """$select, and the $expand of the add-in's custom properties (the pane's stamp, stamp.py) when the
        add-in id is known. Message delta takes $expand: https://learn.microsoft.com/graph/delta-query-messages"""
        query = {"$select": ",".join(fields)}
        expand = stamp.expand_option(self.addin_id)
        if expand:
            query["$expand"] = expand
        return query

    def get_event(self, event_id: str) -> dict[str, Any]:
        info = self._user().events.by_event_id(event_id).to_get_request_information()
        info.headers.add("Prefer", UTC_TIMES)
        return self._json(info)

    def locate(self, kind: str, ids: list[str]) -> dict[str, str | None]:
        """Where each message (kind "message") or event ("event") is now: its parentFolderId (an
        event: its calendar, ""), or None when Graph no longer has it (404). One $batch per 20 ids.
        An answer that is neither raises, sorted like any other (a 429 that outlasts the batch's
        retries is transient: the caller tries again later; it never guesses "gone")."""
        what = "messages/{}?$select=parentFolderId" if kind == "message" else "events/{}?$select=id"
        answers = self.batch([BatchRequest(id=str(i), method="GET", url="/me/" + what.format(item_id))
                              for i, item_id in enumerate(ids)])
        found: dict[str, str | None] = {}
        for item_id, answer in zip(ids, answers):
            if answer.status == 404:
                found[item_id] = None
            elif 200 <= answer.status < 300:
                found[item_id] = ((answer.body or {}).get("parentFolderId") or "") if isinstance(answer.body, dict) else ""
            else:
                error = (answer.body or {}).get("error", {}) if isinstance(answer.body, dict) else {}
                raise _sort_status(answer.status, error.get("code"), error.get("message") or f"Graph {answer.status}",
                                   _retry_after(answer.headers), "GET", f"/me/{what.split('?')[0]}",
                                   application=self.mailbox is not None)
        return found

    def get_events(self, ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Whole events by id, 20 per $batch, times in UTC: id -> the event, None when Graph no
        longer has it. calendarView delta sends an occurrence of a series with only id, type,
        seriesMasterId, start and end (microsoftgraph/microsoft-graph-docs#7632); its subject,
        attendees and iCalUId come from GET /events/{id}."""
        answers = self.batch([BatchRequest(id=str(i), method="GET", url=f"/me/events/{event_id}",
                                           headers={"Prefer": f"{IMMUTABLE_IDS}, {UTC_TIMES}"})
                              for i, event_id in enumerate(ids)])
        found: dict[str, dict[str, Any] | None] = {}
        for event_id, answer in zip(ids, answers):
            if answer.status == 404:
                found[event_id] = None
            elif 200 <= answer.status < 300 and isinstance(answer.body, dict):
                found[event_id] = answer.body
            else:
                error = (answer.body or {}).get("error", {}) if isinstance(answer.body, dict) else {}
                raise _sort_status(answer.status, error.get("code"), error.get("message") or f"Graph {answer.status}",
                                   _retry_after(answer.headers), "GET", "/me/events/{id}",
                                   application=self.mailbox is not None)
        return found

    def folder_id(self, well_known_name: str) -> str:
        info = self._user().mail_folders.by_mail_folder_id(well_known_name).to_get_request_information()
        info.url = self._with_query(info.url, {"$select": "id"})
        return self._json(info)["id"]

    def create_subscription(self, resource: str, notification_url: str, expires: dt.datetime,
                            client_state: str, change_type: str = "created,updated,deleted") -> dict[str, Any]:
        subscription = Subscription(change_type=change_type, notification_url=notification_url, resource=resource,
                                    expiration_date_time=expires, client_state=client_state,
                                    lifecycle_notification_url=notification_url)
        return self._json(self._graph.subscriptions.to_post_request_information(subscription))

    def renew_subscription(self, subscription_id: str, expires: dt.datetime) -> dict[str, Any]:
        info = self._graph.subscriptions.by_subscription_id(subscription_id).to_patch_request_information(
            Subscription(expiration_date_time=expires))
        return self._json(info, idempotent=True)

    def delete_subscription(self, subscription_id: str) -> None:
        self._send(self._graph.subscriptions.by_subscription_id(subscription_id).to_delete_request_information())

    def todo_lists(self) -> list[dict[str, Any]]:
        return self._json(self._user().todo.lists.to_get_request_information()).get("value", [])

    def create_todo_list(self, name: str) -> dict[str, Any]:
        return self._json(self._user().todo.lists.to_post_request_information(TodoTaskList(display_name=name)))

    def create_task(self, list_id: str, spec: TaskSpec) -> dict[str, Any]:
        task = _todo_task(spec)
        task.linked_resources = [LinkedResource(web_url=spec.web_url, application_name="Dealpane",
                                                display_name=spec.display_name, external_id=spec.external_id)]
        return self._json(self._user().todo.lists.by_todo_task_list_id(list_id).tasks.to_post_request_information(task))

    def update_task(self, list_id: str, task_id: str, spec: TaskSpec) -> dict[str, Any]:
        builder = self._user().todo.lists.by_todo_task_list_id(list_id).tasks.by_todo_task_id(task_id)
        return self._json(builder.to_patch_request_information(_todo_task(spec)), idempotent=True)

    def create_event(self, spec: EventSpec) -> dict[str, Any]:
        """POST /events. Not retried automatically: the transactionId makes a retry by the caller safe."""
        event = Event(
            subject=spec.subject,
            body=ItemBody(content_type=BodyType.Html, content=spec.body_html or ""),
            start=DateTimeTimeZone(date_time=spec.start.strftime("%Y-%m-%dT%H:%M:%S"), time_zone=spec.time_zone),
            end=DateTimeTimeZone(date_time=spec.end.strftime("%Y-%m-%dT%H:%M:%S"), time_zone=spec.time_zone),
            location=Location(display_name=spec.location) if spec.location else None,
            attendees=[Attendee(email_address=EmailAddress(name=name or address, address=address),
                                type=AttendeeType.Required) for name, address in spec.attendees],
            transaction_id=spec.transaction_id,
            is_online_meeting=spec.online_meeting or None,
            online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness if spec.online_meeting else None,
            single_value_extended_properties=[
                SingleValueLegacyExtendedProperty(id=extended_property_id(name), value=value)
                for name, value in spec.extended_properties.items()] or None,
        )
        info = self._user().events.to_post_request_information(event)
        info.headers.add("Prefer", UTC_TIMES)
        return self._json(info)

    def create_draft(self, spec: MailSpec) -> dict[str, Any]:
        """POST /messages; sending is a separate, unretried step. A StampedMail's opportunity goes into the
        add-in's custom properties, which the copy in Sent Items keeps (stamp.py); no stamp without the
        add-in id. `spec.headers` go out as x- headers: the recipients get them, Sent Items does not."""
        opportunity = getattr(spec, "opportunity_id", None)
        stamp_id = stamp.property_id(self.addin_id) if opportunity else None
        message = Message(
            subject=spec.subject,
            body=ItemBody(content_type=BodyType.Html, content=spec.body_html),
            to_recipients=[_recipient(n, a) for n, a in spec.to],
            cc_recipients=[_recipient(n, a) for n, a in spec.cc] or None,
            internet_message_headers=[InternetMessageHeader(name=k, value=v) for k, v in spec.headers.items()] or None,
            single_value_extended_properties=[SingleValueLegacyExtendedProperty(
                id=stamp_id, value=stamp.stamp_value(opportunity))] if stamp_id else None,
        )
        return self._json(self._user().messages.to_post_request_information(message))

    def send_draft(self, message_id: str) -> None:
        self._send(self._user().messages.by_message_id(message_id).send.to_post_request_information())

    def delete_message(self, message_id: str) -> None:
        """Permanently (not to Deleted Items): https://learn.microsoft.com/graph/api/message-permanentdelete"""
        self._send(self._user().messages.by_message_id(message_id).permanent_delete.to_post_request_information(),
                   idempotent=True)

    def delete_event(self, event_id: str) -> None:
        """Permanently (not to Deleted Items): https://learn.microsoft.com/graph/api/event-permanentdelete"""
        self._send(self._user().events.by_event_id(event_id).permanent_delete.to_post_request_information(),
                   idempotent=True)

    def delete_todo_list(self, list_id: str) -> None:
        self._send(self._user().todo.lists.by_todo_task_list_id(list_id).to_delete_request_information())

    def batch(self, requests: list[BatchRequest]) -> list[BatchResponse]:
        """JSON $batch, 20 requests per call; items answered 429/503 are sent again (in a new
        batch) after the longest Retry-After among them."""
        responses: dict[str, BatchResponse] = {}
        pending = list(requests)
        for start in range(0, len(pending), 20):
            chunk = pending[start:start + 20]
            for attempt in range(1, self.max_attempts + 1):
                answered = self._send_batch(chunk)
                retry = [r for r in chunk if answered[r.id].status in TRANSIENT_STATUSES]
                for request in chunk:
                    if request not in retry:
                        responses[request.id] = answered[request.id]
                if not retry:
                    break
                waits = [_retry_after(answered[r.id].headers) for r in retry]
                if attempt == self.max_attempts:
                    for request in retry:
                        responses[request.id] = answered[request.id]
                    break
                loop.run(self._sleep(self._backoff(attempt, max((w for w in waits if w is not None), default=None))))
                chunk = retry
        return [responses[r.id] for r in requests]

    def _send_batch(self, chunk: list[BatchRequest]) -> dict[str, BatchResponse]:
        body = {"requests": [
            {"id": r.id, "method": r.method, "url": self._batch_url(r.url),
             "headers": {"Prefer": IMMUTABLE_IDS, **({"Content-Type": "application/json"} if r.body is not None else {}),
                         **r.headers},
             **({"body": r.body} if r.body is not None else {})}
            for r in chunk
        ]}
        info = self._absolute(Method.POST, f"{self.base_url}/$batch", body)
        idempotent = all(r.method.upper() in ("GET", "HEAD") for r in chunk)
        # Graph runs up to 4 of a batch's items at once, each against the mailbox's limits: the batch
        # holds that many of its slots (limits.py), so a delta page fetched beside it cannot make a 5th.
        answer = self._json(info, idempotent=idempotent, weight=len(chunk))
        return {str(item["id"]): BatchResponse(id=str(item["id"]), status=int(item["status"]), body=item.get("body"),
                                               headers=item.get("headers") or {})
                for item in answer.get("responses", [])}

    def _batch_url(self, url: str) -> str:
        """Callers write /me/...; an application-mode client addresses its mailbox instead."""
        if self.mailbox is not None and (url == "/me" or url.startswith("/me/")):
            return f"/users/{self.mailbox}{url[3:]}"
        return url

    # ---- plumbing ------------------------------------------------------------------------

    def _user_path(self) -> str:
        return f"{self.base_url}/me" if self.mailbox is None else f"{self.base_url}/users/{self.mailbox}"

    def _absolute(self, method: Method, url: str, body: Any = None) -> RequestInformation:
        info = RequestInformation(method)
        info.url = url
        if body is not None:
            info.set_stream_content(json.dumps(body).encode(), "application/json")
        return info

    @staticmethod
    def _with_query(url: str, params: dict[str, str]) -> str:
        request = httpx.URL(url)
        return str(request.copy_merge_params(params))

    def _delta(self, info: RequestInformation) -> DeltaPage:
        info.headers.add("Prefer", f"odata.maxpagesize={self.page_size}")
        body = self._json(info)
        items, removed = [], []
        for item in body.get("value", []):
            if "@removed" in item:
                removed.append(item["id"])
            else:
                items.append(item)
        next_link, delta_link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
        if not next_link and not delta_link:
            raise GraphBug("a delta page without @odata.nextLink or @odata.deltaLink")
        return DeltaPage(items=items, removed=removed, next_link=next_link, delta_link=delta_link)

    def _json(self, info: RequestInformation, *, idempotent: bool | None = None, weight: int = 1) -> Any:
        raw = self._send(info, idempotent=idempotent, weight=weight)
        if not raw:
            return {}
        try:  # orjson: a 1,000-message delta page parses ~3x faster than with json, and the parse holds the GIL
            return orjson.loads(raw)
        except ValueError as error:  # orjson.JSONDecodeError is a ValueError
            raise GraphBug(f"Graph answered {len(raw)} bytes that are not JSON") from error

    def _send(self, info: RequestInformation, *, idempotent: bool | None = None, weight: int = 1) -> bytes | None:
        """Send through the SDK; retry transient failures of idempotent requests. `weight`: the
        mailbox's concurrency slots it holds (limits.GraphLimits.slot; a $batch more than one)."""
        info.headers.add("Prefer", IMMUTABLE_IDS)
        if idempotent is None:
            idempotent = info.http_method in (Method.GET, Method.HEAD, Method.PUT, Method.DELETE, Method.OPTIONS)
        attempts = self.max_attempts if idempotent else 1
        refreshed = False
        for attempt in range(1, attempts + 1):
            try:
                body = loop.run(self._limited(info, weight), timeout=self._timeout * 3)
                GRAPH_CALLS.labels("ok").inc()
                return body
            except TOKEN_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - every SDK/httpx error is sorted, then raised or retried
                sorted_error = _sort(error, info, application=self.mailbox is not None)
                GRAPH_CALLS.labels(str(sorted_error.status or type(sorted_error).__name__)).inc()
                if sorted_error.status in (401, 403) and not refreshed:
                    # 401, an expired or revoked token: get a fresh one once, then give up (needs sign-in).
                    # 403, a permission missing: the token's roles/scp are those granted when it was
                    # issued, so one fresh token picks up a permission granted since; then give up.
                    refreshed = True
                    info.headers.remove("Authorization")
                    self._auth.force_next = True
                    try:
                        return loop.run(self._limited(info, weight), timeout=self._timeout * 3)
                    except TOKEN_ERRORS:
                        raise
                    except Exception as retry_error:  # noqa: BLE001 - sorted like the first one
                        sorted_error = _sort(retry_error, info, application=self.mailbox is not None)
                        error = retry_error
                if not isinstance(sorted_error, GraphTransientError) or attempt == attempts:
                    raise sorted_error from error
                wait = self._backoff(attempt, sorted_error.retry_after)
                log.info("Graph %s on %s (attempt %d): retrying in %.2fs", sorted_error.status or "connection",
                         _path(info), attempt, wait)
                THROTTLE_WAIT.observe(wait)
                if sorted_error.retry_after:
                    LIMITS.pause(self.limit_key, wait)
                loop.run(self._sleep(wait))
        raise GraphBug("unreachable")  # pragma: no cover

    async def _limited(self, info: RequestInformation, weight: int = 1) -> bytes | None:
        async with LIMITS.slot(self.limit_key, weight):
            return await self._adapter.send_primitive_async(info, "bytes", ERROR_MAP)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait)
        return min(self.max_wait, (2 ** (attempt - 1)) * 0.5 + random.uniform(0, 0.25))


DEALPANE_PROPERTY_SET = "{5d3b1c5e-8f0a-4d0e-9a7c-2f1d6b9e4a10}"


def extended_property_id(name: str) -> str:
    """A named String MAPI property in Dealpane's own property set."""
    return f"String {DEALPANE_PROPERTY_SET} Name {name}"


def _todo_task(spec: TaskSpec) -> TodoTask:
    return TodoTask(
        title=spec.title,
        status=TaskStatus.Completed if spec.completed else TaskStatus.NotStarted,
        due_date_time=DateTimeTimeZone(date_time=f"{spec.due.isoformat()}T00:00:00", time_zone="UTC") if spec.due else None,
        reminder_date_time=DateTimeTimeZone(date_time=spec.reminder_at.astimezone(dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S"), time_zone="UTC") if spec.reminder_at else None,
        is_reminder_on=spec.reminder_at is not None and not spec.completed,
    )


def _recipient(name: str, address: str) -> Recipient:
    return Recipient(email_address=EmailAddress(name=name or address, address=address))


def _sort(error: Exception, info: RequestInformation, application: bool = False) -> GraphError:
    """Map what the SDK or httpx raised to one of the port's errors."""
    if isinstance(error, GraphError):
        return error
    if isinstance(error, (httpx.TransportError, httpx.StreamError, TimeoutError)):
        return GraphTransientError(f"connection to Graph failed on {_path(info)}: {type(error).__name__}")
    status = getattr(error, "response_status_code", None)
    headers = {k.lower(): v for k, v in (getattr(error, "response_headers", None) or {}).items()}
    code = _error_code(error)
    message = f"Graph answered {status} ({code or 'no code'}) on {_path(info)}"
    return _sort_status(status, code, message, _retry_after(headers),
                        info.http_method.value if info.http_method else "GET", _path(info), application=application)


def _sort_status(status: int | None, code: str | None, message: str, retry_after: float | None, method: str,
                 path: str, *, application: bool = False) -> GraphError:
    """One of the port's errors for Graph's answer `status`/`code` (a whole response or a $batch item)."""
    if status == 403:
        return permission_error(message, code, method, path, application)
    if status == 401:
        return GraphAuthError(message, status=status, code=code)
    if status == 410 or (code or "").lower() in EXPIRED_CURSOR_CODES:
        return CursorExpired(message, status=status, code=code)
    if status == 404:
        return GraphNotFound(message, status=status, code=code)
    if status in TRANSIENT_STATUSES:
        return GraphTransientError(message, status=status, code=code, retry_after=retry_after)
    return GraphBug(message, status=status, code=code)


def permission_error(message: str, code: str | None, method: str, path: str,
                     application: bool) -> GraphPermissionError:
    """A 403, with the permission the refused call needed (graph_sync.permissions)."""
    call = needed_for(method, path)
    if call is None:
        return GraphPermissionError(message, code=code, application=application)
    return GraphPermissionError(message, code=code, permission=call.permission(application), what=call.what,
                                doc=call.doc, application=application)


def _error_code(error: Exception) -> str | None:
    odata = getattr(error, "error", None)
    return getattr(odata, "code", None) if odata is not None else None


def _retry_after(headers: dict[str, Any]) -> float | None:
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    value = lowered.get("retry-after")
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return None


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _path(info: RequestInformation) -> str:
    try:  # the SDK's placeholder for /me (see UrlReplaceHandler in _build) shown as what it stands for
        return urlsplit(info.url).path.replace("/users/me-token-to-replace", "/me")
    except Exception:  # noqa: BLE001 - only for log text
        return "?"
