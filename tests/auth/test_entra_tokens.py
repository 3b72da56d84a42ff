"""Entra mode: the access tokens Entra really issues for our API pass; every other token is a bare 401.

Tokens are minted by the stand-in Entra (graph_sync/fake/entra.py) claim for claim as the access
token claims reference documents them, in both formats:
https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
https://learn.microsoft.com/entra/identity-platform/access-tokens#token-formats
"""
import base64
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

from addin.app import create_app
from addin.config import Config
from addin.auth import AuthError
from addin.tokens import EntraAuthenticator, JwksCache
from graph_sync.fake.entra import EntraApp, SigningKey, StandinEntra

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "5a1e2f3c-0d4b-4e6f-8a9b-0c1d2e3f4a5b"
CONSUMERS = "9188040d-6c67-4c5b-b112-36a304b66dad"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
API_URI = f"api://dealpane.example/{CLIENT_ID}"


class KeyServer:
    """Entra's keys endpoint on loopback: serves the stand-in's current key set, counts fetches and
    can be made to fail."""

    def __init__(self, entra: StandinEntra):
        self.entra, self.fetches, self.failing = entra, 0, False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.fetches += 1
                if server.failing:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(server.entra.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/common/discovery/v2.0/keys"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def entra():
    return StandinEntra()


@pytest.fixture
def registration(entra):
    """The README's registration: single tenant, application ID URI api://HOST/CLIENT_ID, and the
    manifest's requestedAccessTokenVersion left null (so Entra issues v1.0 tokens)."""
    return entra.add_app(EntraApp(client_id=CLIENT_ID, secret="s", home_tenant=TENANT, app_id_uri=API_URI))


@pytest.fixture
def nestor(entra):
    return entra.add_user(TENANT, "nestor@contoso.com", "Nestor Wilke")


@pytest.fixture
def keys(entra):
    server = KeyServer(entra)
    yield server
    server.close()


def _app(config, engine, keys, **settings):
    """The app as the README configures it: client id, tenant id, application ID URI (+ `settings`)."""
    values = {"auth_mode": "entra", "client_id": CLIENT_ID, "tenant_id": TENANT, "api_uri": API_URI,
              "jwks_url": keys.url, **settings}
    return create_app(config.with_(**values), engine=engine)


@pytest.fixture
def entra_app(config, engine, keys):
    return _app(config, engine, keys)


@pytest.fixture
def entra_client(entra_app):
    return entra_app.test_client()


def _me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


# ---- what Entra issues passes ------------------------------------------------------------------

def test_the_readme_configuration_accepts_the_v1_token_entra_issues_by_default(entra_client, entra, registration,
                                                                                 nestor):
    token = entra.api_token(registration, nestor)  # requestedAccessTokenVersion null -> v1.0
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["ver"] == "1.0" and claims["iss"] == f"https://sts.windows.net/{TENANT}/" and claims["aud"] == API_URI
    response = _me(entra_client, token)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["user"]["email"] == "nestor@contoso.com"  # upn: v1.0 has no preferred_username
    assert response.get_json()["user"]["display_name"] == "Nestor Wilke"


def test_the_configuration_built_from_the_environment_accepts_it_too(engine, keys, entra, registration, nestor):
    env = {"DEALPANE_AUTH_MODE": "entra", "DEALPANE_CLIENT_ID": CLIENT_ID, "DEALPANE_TENANT_ID": TENANT,
           "DEALPANE_API_URI": API_URI, "DEALPANE_JWKS_URL": keys.url,
           "DEALPANE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    client = create_app(Config.from_env(env), engine=engine).test_client()
    assert _me(client, entra.api_token(registration, nestor)).status_code == 200
    assert _me(client, entra.api_token(registration, nestor, version=2)).status_code == 200


def test_a_v1_token_whose_audience_is_the_client_id_passes(entra_client, entra, registration, nestor):
    # v1.0: "it can be the client ID or the resource URI used in the request" (claims reference, aud).
    assert _me(entra_client, entra.api_token(registration, nestor, audience=CLIENT_ID)).status_code == 200


def test_a_v2_token_passes(entra_client, entra, registration, nestor):
    token = entra.api_token(registration, nestor, version=2)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == f"https://login.microsoftonline.com/{TENANT}/v2.0" and claims["aud"] == CLIENT_ID
    response = _me(entra_client, token)
    assert response.status_code == 200 and response.get_json()["user"]["email"] == "nestor@contoso.com"


def test_a_valid_token_signs_the_user_in_and_creates_them_once(entra_client, entra, registration, nestor):
    first = _me(entra_client, entra.api_token(registration, nestor)).get_json()
    second = _me(entra_client, entra.api_token(registration, nestor, version=2)).get_json()
    assert second["user"]["id"] == first["user"]["id"]


# ---- everything else is refused ------------------------------------------------------------------

def _unsigned(entra, app, user) -> str:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": entra.keys[0].kid}).encode()).rstrip(b"=")
    body = jwt.decode(entra.api_token(app, user), options={"verify_signature": False})
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=")
    return f"{header.decode()}.{payload.decode()}."


def _hs256_with_public_key(entra, app, user) -> str:
    """The classic algorithm-confusion attack: HMAC keyed with the RSA public key."""
    public_pem = entra.keys[0].private.public_key().public_bytes(serialization.Encoding.PEM,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    body = jwt.decode(entra.api_token(app, user), options={"verify_signature": False})
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": entra.keys[0].kid, "typ": "JWT"}).encode())
    signing_input = header.rstrip(b"=") + b"." + base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


def _foreign_key(entra, app, user) -> str:
    return entra.api_token(app, user, key=SigningKey())


def _token(**options):
    return lambda entra, app, user: entra.api_token(app, user, **options)


NOW = int(time.time())
BAD_TOKENS = {
    "signed by a key Entra does not publish": _foreign_key,
    "alg none": _unsigned,
    "HS256 with the public key as secret": _hs256_with_public_key,
    "v1 for another API": _token(audience="api://someone-else"),
    "v2 for another API": _token(version=2, aud="22222222-2222-3333-4444-555555555555"),
    # v2.0 tokens always carry the client id, never the application ID URI (claims reference, aud)
    "v2 with the application ID URI as audience": _token(version=2, aud=API_URI),
    "v1 with the v2 issuer": _token(iss=f"https://login.microsoftonline.com/{TENANT}/v2.0"),
    "v2 with the v1 issuer": _token(version=2, iss=f"https://sts.windows.net/{TENANT}/"),
    "no version": _token(ver=None),
    "unknown version": _token(ver="3.0"),
    "issuer of another tenant": _token(iss=f"https://sts.windows.net/{OTHER_TENANT}/"),
    "some other issuer": _token(iss="https://evil.example/"),
    "expired": _token(now=NOW - 7200),
    "not yet valid": _token(nbf=NOW + 3600),
    "no nbf": _token(nbf=None),
    "unknown kid": lambda entra, app, user: jwt.encode(jwt.decode(entra.api_token(app, user),
                                                                  options={"verify_signature": False}),
                                                       entra.keys[0].private, algorithm="RS256",
                                                       headers={"kid": "nobody-knows"}),
    "missing scp (an app-only token)": _token(scp=None, roles=["access_as_user"]),
    "other scope only": _token(scopes=["User.Read"]),
    "tenant id not a GUID": _token(tid="contoso", iss="https://sts.windows.net/contoso/"),
    "missing oid": _token(oid=None),
    "oid not a GUID": _token(oid="nestor"),
    "malformed": lambda *_: "not.a.token",
    "garbage": lambda *_: "x" * 50,
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_every_bad_token_is_refused_with_a_bare_401(entra_client, entra, registration, nestor, case):
    response = _me(entra_client, BAD_TOKENS[case](entra, registration, nestor))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.get_json()["detail"] == "A valid access token is required."


def test_no_token_is_401_with_a_bearer_challenge(entra_client):
    response = entra_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_dev_header_is_ignored_in_entra_mode(entra_client):
    assert entra_client.get("/api/v1/me", headers={"X-Dev-User": "demo@contoso.com"}).status_code == 401


# ---- tenants ---------------------------------------------------------------------------------------

def test_a_single_tenant_app_refuses_a_user_of_another_tenant(entra_client, entra, registration):
    stranger = entra.add_user(OTHER_TENANT, "eve@fabrikam.com", "Eve Adams")
    assert _me(entra_client, entra.api_token(registration, stranger)).status_code == 401


def test_a_multi_tenant_app_accepts_users_of_every_work_tenant(config, engine, keys, entra, registration, nestor):
    registration.multi_tenant = True
    client = _app(config, engine, keys, tenant_id="organizations").test_client()
    megan = entra.add_user(OTHER_TENANT, "megan@fabrikam.com", "Megan Bowen")
    for user in (nestor, megan):
        for version in (1, 2):
            assert _me(client, entra.api_token(registration, user, version=version)).status_code == 200
    me = _me(client, entra.api_token(registration, megan)).get_json()
    assert me["user"]["email"] == "megan@fabrikam.com"


def test_a_multi_tenant_app_never_accepts_personal_microsoft_accounts(config, engine, keys, entra, registration):
    registration.multi_tenant = True
    client = _app(config, engine, keys, tenant_id="organizations").test_client()
    personal = entra.add_user(CONSUMERS, "someone@outlook.com", "Some One")
    assert _me(client, entra.api_token(registration, personal, version=2)).status_code == 401


def test_allowed_tenants_narrow_a_multi_tenant_app(config, engine, keys, entra, registration, nestor):
    registration.multi_tenant = True
    client = _app(config, engine, keys, tenant_id="organizations", allowed_tenants=(TENANT,)).test_client()
    megan = entra.add_user(OTHER_TENANT, "megan@fabrikam.com", "Megan Bowen")
    assert _me(client, entra.api_token(registration, nestor)).status_code == 200
    assert _me(client, entra.api_token(registration, megan)).status_code == 401


def test_a_key_published_for_one_tenant_signs_only_that_tenants_tokens(entra_client, entra, registration, nestor):
    # The keys endpoint says which issuer each key may sign for ("Validate the issuer", access-tokens page).
    entra.keys.insert(0, SigningKey(issuer=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"))
    assert _me(entra_client, entra.api_token(registration, nestor)).status_code == 401
    eve = entra.add_user(OTHER_TENANT, "eve@fabrikam.com", "Eve")
    token = entra.api_token(registration, eve)
    assert jwt.decode(token, options={"verify_signature": False})["tid"] == OTHER_TENANT  # but not our tenant
    assert _me(entra_client, token).status_code == 401


# ---- the signing keys --------------------------------------------------------------------------------

class Clock:
    def __init__(self, now: float = 0.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _cache(keys, clock, **options) -> JwksCache:
    return JwksCache(keys.url, clock=clock, **options)


def test_keys_are_fetched_on_first_use_even_on_a_host_booted_a_moment_ago(keys, entra):
    # time.monotonic() may start near 0 after boot: "never fetched" must not read as "fetched at 0".
    cache = _cache(keys, Clock(0.0))
    assert cache.key(entra.keys[0].kid) is not None
    assert keys.fetches == 1


def test_the_app_fetches_keys_at_once_with_a_clock_at_zero(entra_app, entra, registration, nestor, keys):
    entra_app.extensions["dealpane"].authenticator.keys._clock = Clock(0.0)
    assert _me(entra_app.test_client(), entra.api_token(registration, nestor)).status_code == 200


def test_unknown_kids_refetch_at_most_once_per_interval(keys, entra):
    clock = Clock(10.0)
    cache = _cache(keys, clock, min_refetch=300)
    assert cache.key(entra.keys[0].kid) is not None
    for i in range(5):
        clock.now += 10
        assert cache.key(f"made-up-{i}") is None
    assert keys.fetches == 1  # a stream of made-up kids does not hammer Entra
    clock.now += 300
    cache.key("made-up-again")
    assert keys.fetches == 2


def test_a_rolled_over_key_is_picked_up_without_a_restart(entra_app, keys, entra, registration, nestor):
    clock = Clock(100.0)
    entra_app.extensions["dealpane"].authenticator.keys._clock = clock
    client = entra_app.test_client()
    assert _me(client, entra.api_token(registration, nestor)).status_code == 200
    entra.rotate_keys()
    clock.now += 301
    assert _me(client, entra.api_token(registration, nestor)).status_code == 200
    assert keys.fetches == 2


def test_a_failed_fetch_is_retried_soon_not_a_day_later(keys, entra):
    clock = Clock(5.0)
    cache = _cache(keys, clock, retry_failed=30)
    keys.failing = True
    assert cache.key(entra.keys[0].kid) is None
    clock.now += 10
    assert cache.key(entra.keys[0].kid) is None
    assert keys.fetches == 1  # not on every request
    keys.failing = False
    clock.now += 30
    assert cache.key(entra.keys[0].kid) is not None
    assert keys.fetches == 2


def test_known_keys_stay_in_use_while_a_refresh_fails(keys, entra):
    clock = Clock(0.0)
    cache = _cache(keys, clock, max_age=3600)
    kid = entra.keys[0].kid
    assert cache.key(kid) is not None
    keys.failing = True
    clock.now += 3601
    assert cache.key(kid) is not None  # stale but still Entra's key


def test_keys_are_refreshed_after_a_day(keys, entra):
    clock = Clock(0.0)
    cache = _cache(keys, clock)
    cache.key(entra.keys[0].kid)
    clock.now += 24 * 3600
    cache.key(entra.keys[0].kid)
    assert keys.fetches == 2


# ---- who the token names --------------------------------------------------------------------------

def _call(client, token, method, path, body=None):
    return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def _team_of(entra_client, entra, registration, *invited: str) -> tuple[str, str]:
    """A workspace made by an Entra user of TENANT (so it belongs to TENANT), sharing it with `invited`.
    Returns (workspace id, the owner's token)."""
    owner = entra.add_user(TENANT, "owner@contoso.com", "Olivia Owner")
    token = entra.api_token(registration, owner)
    ws = _call(entra_client, token, "POST", "/api/v1/workspaces", {"name": "Team"}).get_json()["id"]
    for address in invited:
        assert _call(entra_client, token, "POST", f"/api/v1/workspaces/{ws}/members", {"email": address}) \
            .status_code == 201
    return ws, token


def test_an_invited_colleague_is_matched_by_their_username_on_first_sign_in(entra_client, entra, registration):
    nestor = entra.add_user(TENANT, "Nestor@Contoso.com", "Nestor Wilke")
    ws, _ = _team_of(entra_client, entra, registration, "nestor@contoso.com")
    me = _me(entra_client, entra.api_token(registration, nestor)).get_json()
    assert [w["id"] for w in me["workspaces"]] == [ws]


def test_the_unverified_email_claim_never_names_the_user(entra_client, entra, registration):
    guest = entra.add_user(TENANT, "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com", "Guest")
    token = entra.api_token(registration, guest, version=2, preferred_username=None, email="ceo@contoso.com")
    assert _me(entra_client, token).get_json()["user"]["email"] != "ceo@contoso.com"


def test_the_pane_context_call_knows_the_tokens_user_from_the_first_call_on(entra_client, entra, registration,
                                                                            nestor):
    """The context call resolves the caller by tenant + object id inside its one statement; the very
    first call of an invited colleague claims their row, later calls take the one-statement path."""
    ws, owner = _team_of(entra_client, entra, registration, "nestor@contoso.com")
    _call(entra_client, owner, "POST", f"/api/v1/workspaces/{ws}/contacts",
          {"display_name": "Anna", "email_addresses": ["anna@fabrikam.com"]})
    url = f"/api/v1/workspaces/{ws}/context?from=anna%40fabrikam.com&to=Nestor%40Contoso.com"
    for version in (1, 2):  # first call (user row claimed), then the fast path
        token = entra.api_token(registration, nestor, version=version)
        response = entra_client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_json()
        assert [c["display_name"] for c in response.get_json()["matched_contacts"]] == ["Anna"]
    stranger = entra.add_user(TENANT, "someone@contoso.com", "Some One", object_id=str(uuid.uuid4()))
    for _ in range(2):
        token = entra.api_token(registration, stranger)
        assert entra_client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 404


def _authenticator(config, keys) -> EntraAuthenticator:
    return EntraAuthenticator(config.with_(auth_mode="entra", client_id=CLIENT_ID, tenant_id=TENANT, api_uri=API_URI,
                                           jwks_url=keys.url))


def test_a_validated_token_is_not_checked_again_until_it_expires(config, keys, entra, registration, nestor,
                                                                 monkeypatch):
    authenticator = _authenticator(config, keys)
    token = entra.api_token(registration, nestor)
    first = authenticator.validate(token)
    checks = []
    monkeypatch.setattr(authenticator, "_validate", lambda t: checks.append(t) or first)
    assert authenticator.validate(token) == first and checks == []  # the pane's next call: no work
    first["oid"] = "changed by a caller"
    assert authenticator.validate(token)["oid"] == nestor.object_id  # callers get copies
    authenticator.clock = lambda: first["exp"] + 61  # past exp and PyJWT's leeway: checked in full again
    authenticator.validate(token)
    assert checks == [token]


def test_a_refused_token_is_never_remembered_and_the_memory_is_bounded(config, keys, entra, registration, nestor,
                                                                       monkeypatch):
    authenticator = _authenticator(config, keys)
    stranger = entra.add_user(OTHER_TENANT, "eve@fabrikam.com", "Eve")
    refused = entra.api_token(registration, stranger)
    for _ in range(2):
        with pytest.raises(AuthError):
            authenticator.validate(refused)
    assert authenticator._validated == {}
    monkeypatch.setattr("addin.tokens.VALIDATED_CACHE_SIZE", 3)
    tokens = [entra.api_token(registration, nestor, now=NOW - i) for i in range(5)]
    for token in tokens:
        authenticator.validate(token)
    assert len(authenticator._validated) == 3
    assert all(len(key) == 32 for key in authenticator._validated)  # SHA-256 digests, not the tokens
