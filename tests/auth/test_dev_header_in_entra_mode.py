"""X-Dev-User is a demo/dev header: in Entra mode it never names the caller, alone or beside a token."""
import pytest

from tests.auth.test_entra_tokens import (  # noqa: F401 - the Entra stand-in's fixtures
    API_URI, CLIENT_ID, TENANT, entra, entra_app, entra_client, keys, nestor, registration,
)

OWNER = {"X-Dev-User": "owner@contoso.com"}


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/workspaces"),
    ("POST", "/api/v1/workspaces"),
    ("GET", "/api/v1/workspaces/ws/context?from=anna%40fabrikam.com"),
    ("POST", "/api/v1/workspaces/ws/opportunities/x/links"),
    ("GET", "/api/v1/sync/status"),
])
def test_the_dev_header_alone_is_401_in_entra_mode(entra_client, method, path):
    response = entra_client.open(path, method=method, headers=OWNER,
                                 json={"name": "x"} if method == "POST" else None)
    assert response.status_code == 401
    assert "X-Dev-User" not in response.headers["WWW-Authenticate"]


def test_the_dev_header_beside_a_valid_token_changes_nothing(entra_client, entra, registration, nestor):
    token = entra.api_token(registration, nestor)
    me = entra_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}", **OWNER})
    assert me.status_code == 200
    assert me.get_json()["user"]["email"] == "nestor@contoso.com"
