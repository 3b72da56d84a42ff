"""Everything the fake serves (and the schema slice it validates bodies with) exists in Graph's v1.0 CSDL.

Properties are checked recursively through complex types, navigation properties and collections,
with inheritance (BaseType) resolved; primitive values are checked against their Edm type and
enum values against the enum's members. Without the CSDL the test skips locally and FAILS in CI.
"""
from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graph_sync.fake import schema

from .conftest import Client

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"
CSDL = SCHEMAS / "graph" / "v1.0-Prod.csdl"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
GRAPH = "microsoft.graph."


@dataclass
class StructuredType:
    base: str | None
    props: dict[str, str] = field(default_factory=dict)


@dataclass
class Model:
    types: dict[str, StructuredType]
    enums: dict[str, set[str]]

    def properties(self, name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        while name:
            structured = self.types[name]
            out = {**structured.props, **out}
            name = structured.base
        return out


def load_model(path: Path) -> Model:
    root = ET.parse(path).getroot()
    schemas = list(root.iter(f"{EDM}Schema"))
    aliases = {s.get("Alias"): s.get("Namespace") for s in schemas if s.get("Alias")}

    def full(name: str | None) -> str | None:
        if name is None:
            return None
        prefix, _, rest = name.rpartition(".")
        return f"{aliases.get(prefix, prefix)}.{rest}" if prefix else name

    types: dict[str, StructuredType] = {}
    enums: dict[str, set[str]] = {}
    for element in schemas:
        namespace = element.get("Namespace")
        for kind in ("EntityType", "ComplexType"):
            for node in element.findall(f"{EDM}{kind}"):
                props = {p.get("Name"): p.get("Type") for tag in ("Property", "NavigationProperty")
                         for p in node.findall(f"{EDM}{tag}")}
                resolved = {}
                for name, type_name in props.items():
                    inner = type_name[len("Collection("):-1] if type_name.startswith("Collection(") else type_name
                    inner = inner if inner.startswith("Edm.") else full(inner)
                    resolved[name] = f"Collection({inner})" if type_name.startswith("Collection(") else inner
                types[f"{namespace}.{node.get('Name')}"] = StructuredType(full(node.get("BaseType")), resolved)
        for node in element.findall(f"{EDM}EnumType"):
            enums[f"{namespace}.{node.get('Name')}"] = {m.get("Name") for m in node.findall(f"{EDM}Member")}
    return Model(types, enums)


@pytest.fixture(scope="module")
def model() -> Model:
    if not CSDL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Graph's CSDL is missing: {CSDL}")
        pytest.skip(f"Graph's CSDL is not available at {CSDL}")
    return load_model(CSDL)


def _check_primitive(edm: str, value: object, where: str) -> None:
    if value is None:
        return
    if edm == "Edm.Boolean":
        assert isinstance(value, bool), where
    elif edm in ("Edm.Int32", "Edm.Int64", "Edm.Int16", "Edm.Byte"):
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif edm in ("Edm.Double", "Edm.Single", "Edm.Decimal"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    elif edm == "Edm.DateTimeOffset":
        assert isinstance(value, str) and dt.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo, where
    elif edm == "Edm.Binary":
        assert isinstance(value, str), where
        base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    elif edm == "Edm.Guid":
        uuid.UUID(str(value))
    else:
        assert isinstance(value, str), f"{where}: {edm} expected a string, got {value!r}"


def check(model: Model, value: object, type_name: str, where: str) -> None:
    """``value`` is a valid serialisation of ``type_name`` (a full name, ``Edm.*`` or ``Collection(...)``)."""
    if value is None:
        return
    if type_name.startswith("Collection("):
        assert isinstance(value, list), f"{where}: a collection expected"
        for index, item in enumerate(value):
            check(model, item, type_name[len("Collection("):-1], f"{where}[{index}]")
    elif type_name.startswith("Edm."):
        _check_primitive(type_name, value, where)
    elif type_name in model.enums:
        assert isinstance(value, str), f"{where}: enum {type_name} expected a string"
        members = {v.strip() for v in value.split(",")}
        assert members <= model.enums[type_name], f"{where}: {value!r} is not a member of {type_name}"
    else:
        assert isinstance(value, dict), f"{where}: an object of {type_name} expected"
        if isinstance(value.get("@odata.type"), str):
            type_name = value["@odata.type"].lstrip("#")
        props = model.properties(type_name)
        for name, item in value.items():
            if name.startswith("@") or "@odata." in name:
                continue
            assert name in props, f"{where}.{name} is not a property of {type_name}"
            check(model, item, props[name], f"{where}.{name}")


def check_all(model: Model, values: list[dict], entity: str, what: str) -> None:
    assert values, f"nothing served for {what}"
    for index, value in enumerate(values):
        check(model, value, GRAPH + entity, f"{what}[{index}]")


def test_schema_tables_match_the_csdl(model):
    for entity, props in schema.ENTITIES.items():
        graph_props = model.properties(GRAPH + entity)
        for name, complex_name in props.items():
            assert name in graph_props, f"{entity}.{name}"
            if complex_name is not None:
                expected = GRAPH + complex_name.strip("[]")
                actual = graph_props[name]
                assert actual in (expected, f"Collection({expected})"), f"{entity}.{name}: {actual}"
    for complex_name, props in schema.COMPLEX.items():
        graph_props = model.properties(GRAPH + complex_name)
        for name, inner in props.items():
            assert name in graph_props, f"{complex_name}.{name}"
            if inner is not None:
                assert graph_props[name].endswith(GRAPH + inner.strip("[]")) or \
                    graph_props[name].endswith(GRAPH + inner.strip("[]") + ")"), f"{complex_name}.{name}"


def test_demo_mailbox_as_served(model, client: Client):
    wide = "?startDateTime=2026-01-01T00:00:00Z&endDateTime=2028-01-01T00:00:00Z"
    folders = client.ok("GET", "/me/mailFolders")["value"]
    check_all(model, folders, "mailFolder", "mailFolders")
    messages = [m for folder in folders for m in client.delta_round(
        f"/me/mailFolders/{folder['id']}/messages/delta", page_size=100)[1]]
    check_all(model, messages, "message", "message delta")
    assert len(messages) >= 25
    detailed = [client.ok("GET", f"/me/messages/{m['id']}?$select=internetMessageHeaders,uniqueBody,subject"
                          "&$expand=singleValueExtendedProperties") for m in messages[:3]]
    check_all(model, [client.ok("GET", f"/me/messages/{m['id']}") for m in messages], "message", "GET message")
    check_all(model, detailed, "message", "GET message $select")
    events = client.delta_round("/me/calendarView/delta" + wide, page_size=100)[1]
    assert len(events) >= 8
    check_all(model, events, "event", "calendarView delta")
    check_all(model, [client.ok("GET", f"/me/events/{e['id']}?$expand=singleValueExtendedProperties")
                      for e in events], "event", "GET event")
    lists = client.ok("GET", "/me/todo/lists")["value"]
    check_all(model, lists, "todoTaskList", "todo lists")
    for todo in lists:
        tasks = client.ok("GET", f"/me/todo/lists/{todo['id']}/tasks?$expand=linkedResources")["value"]
        check_all(model, tasks, "todoTask", "tasks")
        check_all(model, client.delta_round(f"/me/todo/lists/{todo['id']}/tasks/delta")[1], "todoTask", "task delta")
    check_all(model, [client.ok("GET", "/me")], "user", "user")
    check_all(model, [client.ok("GET", "/me/calendar")], "calendar", "calendar")
    converted = client.ok("POST", "/me/translateExchangeIds", {
        "inputIds": [messages[0]["id"], "x-y"], "sourceIdType": "restImmutableEntryId", "targetIdType": "ewsId"})
    check_all(model, converted["value"], "convertIdResult", "translateExchangeIds")


def test_created_items_as_served(model, client: Client):
    to = [{"emailAddress": {"name": "Megan Bowen", "address": "megan.bowen@fabrikam.com"}}]
    draft = client.ok("POST", "/me/messages", {
        "subject": "Draft", "toRecipients": to, "ccRecipients": to, "importance": "high",
        "body": {"contentType": "HTML", "content": "<p>x</p>"},
        "internetMessageHeaders": [{"name": "x-dealpane-opportunity", "value": "1"}]}, expect=201)
    client.ok("POST", f"/me/messages/{draft['id']}/send", expect=202)
    client.ok("POST", "/me/sendMail", {"message": {"subject": "Sent", "toRecipients": to}}, expect=202)
    sent = client.delta_round("/me/mailFolders/sentitems/messages/delta", page_size=100)[1]
    check_all(model, [draft] + sent, "message", "created messages")
    event = client.ok("POST", "/me/events", {
        "subject": "Meeting", "transactionId": "tx-1", "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness", "body": {"contentType": "html", "content": "<p>x</p>"},
        "start": {"dateTime": "2026-12-09T10:00:00", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": "2026-12-09T11:00:00", "timeZone": "Pacific Standard Time"},
        "location": {"displayName": "Room 1"},
        "attendees": [{"emailAddress": to[0]["emailAddress"], "type": "required"}],
        "singleValueExtendedProperties": [{"id": "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name X",
                                           "value": "1"}]}, expect=201)
    updated = client.ok("PATCH", f"/me/events/{event['id']}", {"subject": "Moved", "showAs": "tentative"})
    check_all(model, [event, updated], "event", "created events")
    todo_list = client.ok("POST", "/me/todo/lists", {"displayName": "Opportunities"}, expect=201)
    check_all(model, [todo_list], "todoTaskList", "created list")
    task = client.ok("POST", f"/me/todo/lists/{todo_list['id']}/tasks", {
        "title": "Call back", "importance": "high", "body": {"content": "x", "contentType": "text"},
        "reminderDateTime": {"dateTime": "2026-12-02T09:00:00.0000000", "timeZone": "UTC"},
        "dueDateTime": {"dateTime": "2026-12-02T00:00:00.0000000", "timeZone": "UTC"},
        "linkedResources": [{"webUrl": "https://dealpane.example/o/1", "applicationName": "Dealpane",
                             "displayName": "Opportunity", "externalId": "opportunity-1"}]}, expect=201)
    completed = client.ok("PATCH", f"/me/todo/lists/{todo_list['id']}/tasks/{task['id']}", {"status": "completed"})
    check_all(model, [task, completed], "todoTask", "created tasks")
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    subscription = client.ok("POST", "/subscriptions", {
        "changeType": "created,updated,deleted", "notificationUrl": "https://dealpane.example/hook",
        "resource": "/me/events", "expirationDateTime": expires, "clientState": "s"}, expect=201)
    check_all(model, [subscription] + client.ok("GET", "/subscriptions")["value"], "subscription", "subscriptions")


def test_the_checker_catches_a_bad_property(model):
    with pytest.raises(AssertionError):
        check(model, {"id": "x", "subject": "s", "colour": "red"}, GRAPH + "message", "message")
    with pytest.raises(AssertionError):
        check(model, {"from": {"emailAddress": {"mail": "a@b"}}}, GRAPH + "message", "message")
    with pytest.raises(AssertionError):
        check(model, {"isRead": "true"}, GRAPH + "message", "message")
    with pytest.raises(AssertionError):
        check(model, {"importance": "urgent"}, GRAPH + "message", "message")
