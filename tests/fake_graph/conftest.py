"""Fixtures for the fake Graph: servers on loopback and a small stdlib HTTP client for them.

The client is deliberately plain (http.client): these tests check the fake's wire behaviour,
not any Graph SDK.
"""
from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from graph_sync.fake import FakeGraph
from graph_sync.fake.cli import DEMO_MAILBOX

IMMUTABLE = 'IdType="ImmutableId"'


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    raw: bytes


class Client:
    """Calls the fake like a Graph client would: bearer token and, by default, immutable ids."""

    def __init__(self, base_url: str, token: str | None = "dev-token", immutable: bool = True):
        self.base_url = base_url
        self.token = token
        self.immutable = immutable

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def call(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             page_size: int | None = None, immutable: bool | None = None, token: str | None = "default",
             raw_body: bytes | None = None) -> Reply:
        parts = urlsplit(self.url(path))
        sent = dict(headers or {})
        token = self.token if token == "default" else token
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        prefer = [IMMUTABLE] if (self.immutable if immutable is None else immutable) else []
        if page_size is not None:
            prefer.append(f"odata.maxpagesize={page_size}")
        if prefer:
            sent["Prefer"] = ", ".join(prefer)
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            conn.request(method, target, body=data, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            reply_headers = {k.lower(): v for k, v in response.getheaders()}
            status = response.status
        finally:
            conn.close()
        parsed = json.loads(raw) if raw and "json" in reply_headers.get("content-type", "") else None
        return Reply(status, reply_headers, parsed, raw)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)

    def ok(self, method: str, path: str, body: Any = None, expect: int = 200, **kw: Any) -> Any:
        reply = self.call(method, path, body, **kw)
        assert reply.status == expect, (reply.status, reply.body)
        return reply.body

    def delta_round(self, url: str, page_size: int | None = None, **kw: Any) -> tuple[list[dict], list[dict], str]:
        """Follow nextLinks to the deltaLink: (pages, all items, deltaLink)."""
        pages: list[dict] = []
        while True:
            page = self.ok("GET", url, page_size=page_size, **kw)
            pages.append(page)
            assert len(pages) < 200, "delta round does not end"
            if "@odata.nextLink" in page:
                assert "@odata.deltaLink" not in page
                url = page["@odata.nextLink"]
                continue
            return pages, [item for p in pages for item in p["value"]], page["@odata.deltaLink"]


@pytest.fixture
def start_fake() -> Iterator:
    """Start FakeGraph instances; all are stopped after the test."""
    started: list[FakeGraph] = []

    def start(mailbox: dict | None = None, **options: Any) -> FakeGraph:
        fake = FakeGraph(mailbox, **options)
        fake.start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def demo(start_fake) -> FakeGraph:
    return start_fake(json.loads(DEMO_MAILBOX.read_text(encoding="utf-8")))


@pytest.fixture
def client(demo) -> Client:
    return Client(demo.url)


def message(subject: str, folder: str = "inbox", **extra: Any) -> dict:
    return {"subject": subject, "parentFolderId": folder,
            "from": {"emailAddress": {"name": "Megan Bowen", "address": "megan.bowen@fabrikam.com"}},
            "toRecipients": [{"emailAddress": {"name": "Diego Siciliani", "address": "demo@contoso.com"}}],
            "body": {"contentType": "text", "content": f"Body of {subject}"}, **extra}
