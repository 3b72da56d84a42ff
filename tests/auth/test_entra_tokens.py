"""Entra mode: the pane's access token is validated fully; every bad token is a plain 401."""
import base64
import functools
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from addin.app import create_app

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUER = "https://login.microsoftonline.com/{tenantid}/v2.0"
AUDIENCE = "api://dealpane-test"


def _jwk(public_key, kid: str) -> dict:
    numbers = public_key.public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(numbers.n), "e": b64(numbers.e)}


@functools.cache
def _signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class KeyServer:
    """A JWKS endpoint on loopback that counts how often it is fetched."""

    def __init__(self):
        self.key = _signing_key()
        self.kid = "test-key-1"
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.fetches += 1
                body = json.dumps({"keys": [_jwk(server.key.public_key(), server.kid)]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/keys"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def token(self, key=None, headers=None, algorithm="RS256", **claims) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER.replace("{tenantid}", TENANT), "aud": AUDIENCE, "tid": TENANT,
                   "oid": str(uuid.UUID(int=1)), "scp": "access_as_user", "iat": now, "nbf": now - 5,
                   "exp": now + 3600, "name": "Nestor Wilke", "preferred_username": "nestor@contoso.com", **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.key, algorithm=algorithm, headers={"kid": self.kid, **(headers or {})})

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def keys():
    server = KeyServer()
    yield server
    server.close()


@pytest.fixture
def entra_client(config, engine, keys):
    app = create_app(config.with_(auth_mode="entra", token_issuer=ISSUER, api_audience=AUDIENCE, jwks_url=keys.url),
                     engine=engine)
    return app.test_client()


def _me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_valid_token_signs_the_user_in_and_creates_them_once(entra_client, keys):
    first = _me(entra_client, keys.token())
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["user"]["email"] == "nestor@contoso.com"
    assert first.get_json()["user"]["display_name"] == "Nestor Wilke"
    second = _me(entra_client, keys.token())
    assert second.get_json()["user"]["id"] == first.get_json()["user"]["id"]


def _unsigned(keys) -> str:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": keys.kid}).encode()).rstrip(b"=").decode()
    body = jwt.decode(keys.token(), options={"verify_signature": False})
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}."


def _hs256_with_public_key(keys) -> str:
    """The classic algorithm-confusion attack: HMAC keyed with the RSA public key."""
    public_pem = keys.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    body = jwt.decode(keys.token(), options={"verify_signature": False})
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": keys.kid, "typ": "JWT"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=")
    signing_input = header + b"." + payload
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


BAD_TOKENS = {
    "wrong signature": lambda k: k.token(key=_other_key()),
    "alg none": _unsigned,
    "HS256 with the public key as secret": _hs256_with_public_key,
    "wrong audience": lambda k: k.token(aud="api://someone-else"),
    "wrong issuer": lambda k: k.token(iss="https://evil.example/v2.0"),
    "issuer of another tenant": lambda k: k.token(iss=ISSUER.replace("{tenantid}", str(uuid.uuid4()))),
    "expired": lambda k: k.token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200),
    "not yet valid": lambda k: k.token(nbf=int(time.time()) + 3600),
    "unknown kid": lambda k: k.token(headers={"kid": "nobody-knows"}),
    "missing scp": lambda k: k.token(scp=None),
    "other scope only": lambda k: k.token(scp="User.Read"),
    "tenant id not a GUID": lambda k: k.token(tid="contoso", iss=ISSUER.replace("{tenantid}", "contoso")),
    "missing oid": lambda k: k.token(oid=None),
    "malformed": lambda k: "not.a.token",
    "garbage": lambda k: "x" * 50,
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_every_bad_token_is_refused_with_a_bare_401(entra_client, keys, case):
    response = _me(entra_client, BAD_TOKENS[case](keys))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.get_json()["detail"] == "A valid access token is required."


def test_no_token_is_401_with_a_bearer_challenge(entra_client):
    response = entra_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_dev_header_is_ignored_in_entra_mode(entra_client):
    response = entra_client.get("/api/v1/me", headers={"X-Dev-User": "demo@contoso.com"})
    assert response.status_code == 401


def test_unknown_kids_do_not_make_us_hammer_the_key_endpoint(entra_client, keys):
    assert _me(entra_client, keys.token()).status_code == 200
    fetched = keys.fetches
    for _ in range(5):
        assert _me(entra_client, keys.token(headers={"kid": f"rotated-{_}"})).status_code == 401
    assert keys.fetches == fetched  # within the minimum refetch interval: no new fetch


def test_an_invited_colleague_is_matched_by_email_on_first_sign_in(entra_client, keys, client):
    owner = {"X-Dev-User": "owner@contoso.com"}
    ws = client.post("/api/v1/workspaces", json={"name": "Team"}, headers=owner).get_json()["id"]
    assert client.post(f"/api/v1/workspaces/{ws}/members", json={"email": "Nestor@Contoso.com"},
                       headers=owner).status_code == 201
    me = _me(entra_client, keys.token()).get_json()
    assert [w["id"] for w in me["workspaces"]] == [ws]


def test_the_pane_context_call_knows_the_tokens_user_from_the_first_call_on(entra_client, keys, client):
    """The context call resolves the caller by tenant + object id inside its one statement; the very
    first call of an invited colleague claims their row, later calls take the one-statement path."""
    owner = {"X-Dev-User": "owner@contoso.com"}
    ws = client.post("/api/v1/workspaces", json={"name": "Team"}, headers=owner).get_json()["id"]
    client.post(f"/api/v1/workspaces/{ws}/members", json={"email": "nestor@contoso.com"}, headers=owner)
    client.post(f"/api/v1/workspaces/{ws}/contacts", headers=owner,
                json={"display_name": "Anna", "email_addresses": ["anna@fabrikam.com"]})
    url = f"/api/v1/workspaces/{ws}/context?from=anna%40fabrikam.com&to=Nestor%40Contoso.com"
    for _ in range(2):  # first call (user row claimed), then the fast path
        response = entra_client.get(url, headers={"Authorization": f"Bearer {keys.token()}"})
        assert response.status_code == 200, response.get_json()
        assert [c["display_name"] for c in response.get_json()["matched_contacts"]] == ["Anna"]
    stranger = keys.token(oid=str(uuid.UUID(int=2)), preferred_username="someone@contoso.com")
    for _ in range(2):
        assert entra_client.get(url, headers={"Authorization": f"Bearer {stranger}"}).status_code == 404
