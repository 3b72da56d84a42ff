"""API helpers: act as a user, create a workspace, build records with overrides, check problem answers."""
from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

OWNER = "owner@contoso.com"
MEMBER = "member@contoso.com"
OUTSIDER = "outsider@fabrikam.com"

PROBLEM_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


# ---- problem+json answers (RFC 9457) ----

def problem(response, status: int) -> dict:
    """Assert an RFC 9457 problem answer with this status and return its body."""
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert response.mimetype == "application/problem+json", response.mimetype
    assert body["status"] == status
    return body


def error_fields(body: dict) -> set[str]:
    return {e["field"] for e in body["errors"]}


def assert_problem(response, status: int, field: str | None = None) -> dict:
    """The response is an RFC 9457 problem with `status` (and an error on `field`, if given)."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {text[:500]}"
    assert response.headers.get("Content-Type", "").split(";")[0].strip() == PROBLEM_TYPE, response.headers
    body = json.loads(text)
    assert set(body) == PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str)
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == {"field", "message"}, error
        assert isinstance(error["field"], str) and error["field"]
        assert isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], f"no error on {field!r}: {body}"
    return body


class Api:
    """A thin client for one workspace: paths are relative to /api/v1/workspaces/{ws}."""

    def __init__(self, client, user: str = OWNER, counter=None):
        self.client, self.user = client, user
        self.ws: str | None = None
        self._n = counter or itertools.count(1)

    def as_(self, user: str) -> "Api":
        other = Api(self.client, user, self._n)  # one numbering, so builders never collide
        other.ws = self.ws
        return other

    def url(self, path: str) -> str:
        return path if path.startswith("/api/") else f"/api/v1/workspaces/{self.ws}{path}"

    def request(self, method: str, path: str, json: Any = None, headers: dict | None = None, **kwargs):
        h = {"X-Dev-User": self.user, **(headers or {})}
        return self.client.open(self.url(path), method=method, json=json, headers=h, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, response, status: int = 200):
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()

    # ---- builders (each returns the created record as JSON) ----
    def make_account(self, **overrides):
        n = next(self._n)
        body = {"name": f"Account {n}", "email_domains": [f"account{n}.example"], **overrides}
        return self.ok(self.post("/accounts", body), 201)

    def make_contact(self, **overrides):
        n = next(self._n)
        body = {"display_name": f"Contact {n}", "email_addresses": [f"contact{n}@people.example"], **overrides}
        return self.ok(self.post("/contacts", body), 201)

    def make_product(self, **overrides):
        n = next(self._n)
        return self.ok(self.post("/products", {"name": f"Product {n}", "unit_price": "100.00", **overrides}), 201)

    def make_opportunity(self, **overrides):
        if "link" not in overrides:
            overrides["link"] = {"type": "account", "id": self.make_account()["id"]}
        body = {"title": f"Deal {next(self._n)}", **overrides}
        return self.ok(self.post("/opportunities", body), 201)

    def stage(self, name: str) -> dict:
        stages = self.ok(self.get("/sales-stages"))["items"]
        return next(s for s in stages if s["name"] == name)


@pytest.fixture
def api(client):
    """The owner's client on a fresh workspace shared with MEMBER; OUTSIDER has a workspace of their own."""
    owner = Api(client, OWNER)
    owner.ws = owner.ok(owner.post("/api/v1/workspaces", {"name": "Sales"}), 201)["id"]
    owner.ok(owner.post("/members", {"email": MEMBER, "role": "member"}), 201)
    outsider = Api(client, OUTSIDER)
    outsider.ok(outsider.post("/api/v1/workspaces", {"name": "Elsewhere"}), 201)
    return owner


@pytest.fixture
def member_api(api):
    return api.as_(MEMBER)


@pytest.fixture
def outsider_api(api):
    return api.as_(OUTSIDER)
