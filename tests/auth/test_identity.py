"""Who a token is: `tid` + `oid`, never an address (issue 16, "Identity by e-mail claim").

Microsoft: "use the immutable claim values tid and oid as a combined key" and "Never use claims like
email, preferred_username or unique_name to store or determine whether the user in an access token
should have access to data" (https://learn.microsoft.com/entra/identity-platform/claims-validation );
the `email` claim "is not guaranteed to come from a verified email address"
(https://learn.microsoft.com/entra/identity-platform/migrate-off-email-claim-authorization ).

An invitation by address is accepted only by a token of the tenant it was made for (the workspace's,
or one the owner named) whose verified username (v2.0 `preferred_username`, v1.0 `upn`:
https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference ) is the address.
The app here is multi-tenant, the worst case: every work tenant's tokens pass authentication.
Tokens are the stand-in Entra's, claim for claim, v1.0 and v2.0.
"""
from __future__ import annotations

import pytest

from addin.app import create_app
from graph_sync.fake.entra import EntraApp, StandinEntra

from .test_entra_tokens import API_URI, CLIENT_ID, OTHER_TENANT, TENANT, KeyServer

VERSIONS = [1, 2]


@pytest.fixture
def entra():
    return StandinEntra()


@pytest.fixture
def registration(entra):
    return entra.add_app(EntraApp(client_id=CLIENT_ID, secret="s", home_tenant=TENANT, app_id_uri=API_URI,
                                  multi_tenant=True))


@pytest.fixture
def keys(entra):
    server = KeyServer(entra)
    yield server
    server.close()


@pytest.fixture
def web(config, engine, keys):
    app = create_app(config.with_(auth_mode="entra", client_id=CLIENT_ID, tenant_id="organizations",
                                  api_uri=API_URI, jwks_url=keys.url), engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    return app.test_client()


class Caller:
    def __init__(self, web, token: str):
        self.web, self.token = web, token

    def call(self, method: str, path: str, body=None):
        return self.web.open(path, method=method, json=body, headers={"Authorization": f"Bearer {self.token}"})

    def ok(self, method: str, path: str, body=None, status: int = 200):
        response = self.call(method, path, body)
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()

    def me(self) -> dict:
        return self.ok("GET", "/api/v1/me")


@pytest.fixture
def as_(web, entra, registration):
    def caller(user, version: int = 2, **claims) -> Caller:
        return Caller(web, entra.api_token(registration, user, version=version, **claims))
    return caller


@pytest.fixture
def team(entra, as_):
    """Olivia of Contoso (TENANT) owns a workspace with a deal in it and has invited bob@contoso.com."""
    olivia = as_(entra.add_user(TENANT, "olivia@contoso.com", "Olivia Owner"))
    ws = olivia.ok("POST", "/api/v1/workspaces", {"name": "Contoso sales"}, 201)["id"]
    account = olivia.ok("POST", f"/api/v1/workspaces/{ws}/accounts", {"name": "Fabrikam"}, 201)["id"]
    deal = olivia.ok("POST", f"/api/v1/workspaces/{ws}/opportunities",
                     {"title": "Renewal", "link": {"type": "account", "id": account}}, 201)["id"]
    invited = olivia.ok("POST", f"/api/v1/workspaces/{ws}/members", {"email": "bob@contoso.com"}, 201)
    return {"owner": olivia, "ws": ws, "deal": deal, "bob_id": invited["user_id"]}


def _members(team) -> dict[str, tuple[str, str]]:
    items = team["owner"].ok("GET", f"/api/v1/workspaces/{team['ws']}/members")["items"]
    return {m["user_id"]: (m["email"], m["role"]) for m in items}


def _locked_out(caller: Caller, team) -> None:
    """No membership: the workspace and its records are 404, as for a workspace that does not exist."""
    assert caller.me()["workspaces"] == []
    for path in ("", "/opportunities", f"/opportunities/{team['deal']}", "/members"):
        response = caller.call("GET", f"/api/v1/workspaces/{team['ws']}{path}")
        assert response.status_code == 404, (path, response.get_json())


def _is_bob(caller: Caller, team) -> None:
    me = caller.me()
    assert me["user"]["id"] == team["bob_id"]
    assert [(w["id"], w["role"]) for w in me["workspaces"]] == [(team["ws"], "member")]
    assert caller.ok("GET", f"/api/v1/workspaces/{team['ws']}/opportunities/{team['deal']}")["title"] == "Renewal"


@pytest.mark.parametrize("version", VERSIONS)
def test_another_tenants_token_with_bobs_username_gets_neither_his_invitation_nor_his_row(entra, as_, team,
                                                                                          version):
    # A tenant the attacker runs, whose token says bob@contoso.com (preferred_username / upn).
    eve = entra.add_user(OTHER_TENANT, "bob@contoso.com", "Eve Adams")
    impostor = as_(eve, version)
    assert impostor.me()["user"]["id"] != team["bob_id"]  # a user of her own
    _locked_out(impostor, team)
    assert _members(team)[team["bob_id"]] == ("bob@contoso.com", "member")  # the invitation still waits
    bob = entra.add_user(TENANT, "bob@contoso.com", "Bob Kelly")
    _is_bob(as_(bob, version), team)  # and the real Bob, first to accept it, gets it
    _locked_out(as_(eve, 3 - version), team)  # nor does the other format change anything afterwards


@pytest.mark.parametrize("version", VERSIONS)
def test_another_tenants_token_never_takes_a_signed_in_users_row(entra, as_, team, version):
    bob = entra.add_user(TENANT, "bob@contoso.com", "Bob Kelly")
    _is_bob(as_(bob, version), team)
    eve = entra.add_user(OTHER_TENANT, "bob@contoso.com", "Eve Adams")
    _locked_out(as_(eve, version), team)
    _is_bob(as_(bob, version), team)


UNVERIFIED = {
    # v2.0 without preferred_username: only the email claim names bob@contoso.com (nOAuth)
    "v2 email only": dict(version=2, preferred_username=None, email="bob@contoso.com"),
    # v1.0 without upn (as for a guest): unique_name is display only, email unverified
    "v1 unique_name and email": dict(version=1, upn=None, unique_name="bob@contoso.com", email="bob@contoso.com"),
    "v1 email only": dict(version=1, upn=None, unique_name=None, email="bob@contoso.com"),
}


@pytest.mark.parametrize("case", sorted(UNVERIFIED))
def test_a_token_without_a_verified_username_gets_nothing_even_from_the_right_tenant(entra, as_, team, case):
    mallory = entra.add_user(TENANT, "mallory@contoso.com", "Mallory")
    impostor = as_(mallory, **UNVERIFIED[case])
    me = impostor.me()
    assert me["user"]["id"] != team["bob_id"] and me["user"]["email"] != "bob@contoso.com"
    _locked_out(impostor, team)
    _is_bob(as_(entra.add_user(TENANT, "bob@contoso.com", "Bob Kelly")), team)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_real_bob_accepts_with_either_token_format_and_stays_one_user(entra, as_, team, version):
    bob = entra.add_user(TENANT, "Bob@Contoso.com", "Bob Kelly")
    _is_bob(as_(bob, version), team)
    _is_bob(as_(bob, 3 - version), team)
    assert _members(team)[team["bob_id"]] == ("bob@contoso.com", "member")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_renamed_user_keeps_their_memberships_and_picks_up_an_invitation_to_the_new_name(entra, as_, team,
                                                                                           version):
    bob = entra.add_user(TENANT, "bob@contoso.com", "Bob Kelly")
    _is_bob(as_(bob, version), team)
    owner = team["owner"]
    second = owner.ok("POST", "/api/v1/workspaces", {"name": "Contoso projects"}, 201)["id"]
    bob.upn = "robert@contoso.com"  # renamed in the directory: same object id
    # invited by the new name before Robert's first call under it: a separate invitation row for now
    invited = owner.ok("POST", f"/api/v1/workspaces/{second}/members", {"email": "robert@contoso.com"}, 201)
    assert invited["user_id"] != team["bob_id"]
    robert = as_(bob, version)
    me = robert.me()
    assert me["user"]["id"] == team["bob_id"] and me["user"]["email"] == "robert@contoso.com"
    assert sorted(w["id"] for w in me["workspaces"]) == sorted([team["ws"], second])
    assert _members(team)[team["bob_id"]] == ("robert@contoso.com", "member")
    ids = [m["user_id"] for m in owner.ok("GET", f"/api/v1/workspaces/{second}/members")["items"]]
    assert team["bob_id"] in ids and invited["user_id"] not in ids  # the invitation merged into Robert
    # the name Bob gave up, given to someone new, brings them nothing of Bob's
    newcomer = entra.add_user(TENANT, "bob@contoso.com", "Bobby Newman")
    _locked_out(as_(newcomer, version), team)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_owner_may_invite_a_user_of_a_tenant_they_name(entra, as_, team, version):
    owner = team["owner"]
    invited = owner.ok("POST", f"/api/v1/workspaces/{team['ws']}/members",
                       {"email": "Partner@Fabrikam.com", "tenant": OTHER_TENANT.upper()}, 201)
    # a user of the workspace's own tenant (say a guest whose home address it is) does not accept it
    guest = entra.add_user(TENANT, "partner@fabrikam.com", "Guest Partner")
    _locked_out(as_(guest, version), team)
    partner = as_(entra.add_user(OTHER_TENANT, "partner@fabrikam.com", "Pat Partner"), version)
    me = partner.me()
    assert me["user"]["id"] == invited["user_id"] and [w["id"] for w in me["workspaces"]] == [team["ws"]]


def test_the_tenant_of_an_invitation_must_be_a_tenant_id(team):
    response = team["owner"].call("POST", f"/api/v1/workspaces/{team['ws']}/members",
                                  {"email": "x@fabrikam.com", "tenant": "fabrikam.com"})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["tenant"]


def test_inviting_a_user_who_signed_in_adds_them_at_once_only_from_their_own_tenant(entra, as_, team):
    eve = as_(entra.add_user(OTHER_TENANT, "carol@contoso.com", "Eve Adams"))
    eve.me()  # signed in first, showing the address about to be invited
    carol = entra.add_user(TENANT, "carol@contoso.com", "Carol")
    carol_id = as_(carol).me()["user"]["id"]
    added = team["owner"].ok("POST", f"/api/v1/workspaces/{team['ws']}/members", {"email": "carol@contoso.com"}, 201)
    assert added["user_id"] == carol_id
    _locked_out(eve, team)


@pytest.mark.parametrize("multi_tenant", [False, True])
def test_a_row_without_tenant_is_claimed_only_by_a_single_tenant_apps_user(config, engine, keys, entra, registration,
                                                                          client, multi_tenant):
    """Dev-mode rows (or invitations whose workspaces had no tenant at the migration): a single-tenant
    app's tokens are all of its tenant, so its user with that username takes the row; a multi-tenant app
    cannot tell whose the row is, and gives it to nobody."""
    dev = {"X-Dev-User": "bob@contoso.com"}
    ws = client.post("/api/v1/workspaces", json={"name": "Made in dev mode"}, headers=dev).get_json()["id"]
    registration.multi_tenant = multi_tenant
    app = create_app(config.with_(auth_mode="entra", client_id=CLIENT_ID, api_uri=API_URI, jwks_url=keys.url,
                                  tenant_id="organizations" if multi_tenant else TENANT), engine=engine)
    bob = Caller(app.test_client(), entra.api_token(registration, entra.add_user(TENANT, "bob@contoso.com", "Bob")))
    workspaces = [w["id"] for w in bob.me()["workspaces"]]
    assert workspaces == ([] if multi_tenant else [ws])
