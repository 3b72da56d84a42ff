"""MSAL: on-behalf-of, the encrypted per-user cache, silent refresh and failures.

Entra's endpoints are the one edge we cannot run: `responses` stands in for them.
"""
import base64
import json
import time

import pytest
import responses

from graph_sync.tokens import (
    GRAPH_SCOPES, ApplicationTokens, CacheCipher, DelegatedTokens, NeedsSignIn, TokenCacheStore, TokenConfigError,
)
from storage.models import GraphTokenCache, User

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"
TOKEN_URL = f"{AUTHORITY}/oauth2/v2.0/token"
SECRET_KEY = "a-long-enough-test-secret-key"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _id_token(oid: str) -> str:
    claims = {"oid": oid, "tid": TENANT, "preferred_username": "nestor@contoso.com", "iss": f"{AUTHORITY}/v2.0",
              "aud": "client-id", "sub": oid, "exp": int(time.time()) + 3600, "iat": int(time.time())}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def token_response(access_token: str, refresh_token: str = "RT-secret-refresh", expires_in: int = 3600, oid="u1"):
    return {"token_type": "Bearer", "scope": " ".join(GRAPH_SCOPES),
            "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": access_token,
            "refresh_token": refresh_token, "id_token": _id_token(oid),
            "client_info": _b64({"uid": oid, "utid": TENANT})}


@pytest.fixture
def entra():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{AUTHORITY}/v2.0/.well-known/openid-configuration", json={
            "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize", "token_endpoint": TOKEN_URL,
            "issuer": f"{AUTHORITY}/v2.0", "device_authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/devicecode"})
        yield mock


@pytest.fixture
def user_id(session_factory):
    with session_factory() as session:
        user = User(email="nestor@contoso.com", display_name="Nestor")
        session.add(user)
        session.commit()
        return user.id


@pytest.fixture
def store(session_factory):
    return TokenCacheStore(session_factory, CacheCipher(SECRET_KEY))


@pytest.fixture
def delegated(store):
    return DelegatedTokens(client_id="client-id", client_secret="s3cret", tenant_id=TENANT, store=store)


def _token_calls(mock) -> list[dict]:
    from urllib.parse import parse_qs

    return [{k: v[0] for k, v in parse_qs(c.request.body).items()} for c in mock.calls if c.request.url == TOKEN_URL]


def test_on_behalf_of_exchanges_the_pane_token_and_caches_encrypted(entra, delegated, user_id, session_factory):
    entra.post(TOKEN_URL, json=token_response("AT-graph-one"))
    assert delegated.exchange(user_id, "pane-access-token") == "AT-graph-one"
    call = _token_calls(entra)[0]
    assert call["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert call["assertion"] == "pane-access-token" and call["requested_token_use"] == "on_behalf_of"
    with session_factory() as session:
        blob = session.get(GraphTokenCache, user_id).blob
    assert b"AT-graph-one" not in blob and b"RT-secret-refresh" not in blob and b"nestor" not in blob


def test_the_background_sync_gets_the_cached_token_without_calling_entra(entra, delegated, user_id):
    entra.post(TOKEN_URL, json=token_response("AT-graph-one"))
    delegated.exchange(user_id, "pane-access-token")
    calls = len(_token_calls(entra))
    assert delegated.token_for(user_id) == "AT-graph-one"
    assert len(_token_calls(entra)) == calls


def test_an_expiring_token_is_refreshed_with_the_stored_refresh_token(entra, delegated, user_id):
    entra.post(TOKEN_URL, json=token_response("AT-short", expires_in=60))
    delegated.exchange(user_id, "pane-access-token")
    entra.replace(responses.POST, TOKEN_URL, json=token_response("AT-refreshed", refresh_token="RT-two"))
    assert delegated.token_for(user_id) == "AT-refreshed"
    assert _token_calls(entra)[-1]["grant_type"] == "refresh_token"
    assert _token_calls(entra)[-1]["refresh_token"] == "RT-secret-refresh"


def test_a_revoked_grant_means_the_user_must_sign_in_again(entra, delegated, user_id):
    entra.post(TOKEN_URL, json=token_response("AT-short", expires_in=60))
    delegated.exchange(user_id, "pane-access-token")
    entra.replace(responses.POST, TOKEN_URL, status=400, json={
        "error": "invalid_grant", "error_codes": [50173], "suberror": "bad_token",
        "error_description": "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth "
                             "token is needed."})
    with pytest.raises(NeedsSignIn) as refused:
        delegated.token_for(user_id)
    # Entra's refusal, told apart from "nothing stored" (acquire_token_silent_with_error)
    assert refused.value.refused and refused.value.error == "invalid_grant" and refused.value.codes == (50173,)
    assert "AADSTS50173" in str(refused.value) and not refused.value.consent_required


def test_no_stored_grant_means_sign_in(entra, delegated, user_id):
    with pytest.raises(NeedsSignIn) as nothing:
        delegated.token_for(user_id)
    assert not nothing.value.refused and "no Graph grant is stored" in str(nothing.value)
    assert _token_calls(entra) == []


def test_consent_and_mfa_refusals_carry_what_the_user_must_do(entra, delegated, user_id):
    entra.post(TOKEN_URL, status=400, json={"error": "invalid_grant", "suberror": "consent_required",
                                            "error_codes": [65001], "error_description": "AADSTS65001: consent"})
    with pytest.raises(NeedsSignIn) as consent:
        delegated.exchange(user_id, "pane-access-token")
    assert consent.value.consent_required and consent.value.claims is None
    claims = '{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}'
    entra.replace(responses.POST, TOKEN_URL, status=400, json={
        "error": "interaction_required", "error_codes": [50076], "claims": claims,
        "error_description": "AADSTS50076: MFA"})
    with pytest.raises(NeedsSignIn) as mfa:
        delegated.exchange(user_id, "another-pane-access-token")
    assert mfa.value.interaction_required and mfa.value.claims == claims and not mfa.value.consent_required


OTHER_TENANT = "5a1e2f3c-0d4b-4e6f-8a9b-0c1d2e3f4a5b"


def test_multi_tenant_exchanges_at_the_users_tenant_and_single_tenant_at_its_own(store, user_id):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for tenant in (TENANT, OTHER_TENANT):
            authority = f"https://login.microsoftonline.com/{tenant}"
            mock.get(f"{authority}/v2.0/.well-known/openid-configuration", json={
                "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize",
                "token_endpoint": f"{authority}/oauth2/v2.0/token", "issuer": f"{authority}/v2.0"})
            mock.post(f"{authority}/oauth2/v2.0/token", json=token_response(f"AT-{tenant[:4]}"))
        multi = DelegatedTokens(client_id="client-id", client_secret="s3cret", tenant_id="organizations", store=store)
        assert multi.exchange(user_id, "pane-token", tenant_id=OTHER_TENANT) == "AT-5a1e"
        single = DelegatedTokens(client_id="client-id", client_secret="s3cret", tenant_id=TENANT, store=store)
        assert single.exchange(user_id, "pane-token-2", tenant_id=OTHER_TENANT) == "AT-72f9"
        posts = [c.request.url for c in mock.calls if c.request.method == "POST"]
        assert posts == [f"https://login.microsoftonline.com/{OTHER_TENANT}/oauth2/v2.0/token", TOKEN_URL]
        with pytest.raises(NeedsSignIn):  # multi-tenant never falls back to /organizations
            multi.token_for(user_id, tenant_id=None)


def test_application_tokens_need_a_tenant_not_organizations():
    with pytest.raises(TokenConfigError, match="organizations"):
        ApplicationTokens(client_id="client-id", client_secret="s3cret", tenant_id="organizations")
    with pytest.raises(TokenConfigError, match="DEALPANE_CLIENT_SECRET"):
        ApplicationTokens(client_id="client-id", client_secret="", tenant_id=TENANT)


def test_a_failed_exchange_is_needs_sign_in_and_logs_no_token(entra, delegated, user_id, caplog):
    entra.post(TOKEN_URL, status=400, json={"error": "interaction_required", "error_description": "AADSTS50076"})
    with pytest.raises(NeedsSignIn):
        delegated.exchange(user_id, "pane-access-token-SECRET")
    assert "SECRET" not in caplog.text


def test_a_cache_encrypted_with_another_key_is_ignored_not_a_crash(entra, delegated, user_id, session_factory):
    entra.post(TOKEN_URL, json=token_response("AT-graph-one"))
    delegated.exchange(user_id, "pane-access-token")
    other = TokenCacheStore(session_factory, CacheCipher("another-secret-key-entirely"))
    cache = other.load(user_id)
    assert not list(cache.search(cache.CredentialType.ACCESS_TOKEN))


def test_secret_key_is_required_for_stored_tokens():
    with pytest.raises(TokenConfigError):
        CacheCipher("")


def test_application_tokens_use_client_credentials(entra):
    entra.post(TOKEN_URL, json={"token_type": "Bearer", "expires_in": 3600, "access_token": "AT-app"})
    tokens = ApplicationTokens(client_id="client-id", client_secret="s3cret", tenant_id=TENANT)
    assert tokens.token() == "AT-app"
    assert tokens.token() == "AT-app"  # cached by MSAL
    calls = _token_calls(entra)
    assert len(calls) == 1 and calls[0]["grant_type"] == "client_credentials"
    assert calls[0]["scope"].startswith("https://graph.microsoft.com/.default")
