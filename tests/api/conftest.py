"""API helpers: act as a user, create a workspace, build records with overrides."""
from __future__ import annotations

import itertools
from typing import Any

import pytest

OWNER = "owner@contoso.com"
MEMBER = "member@contoso.com"
OUTSIDER = "outsider@fabrikam.com"


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
