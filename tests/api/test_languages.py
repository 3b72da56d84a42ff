"""Languages kept on the server: the one a user chose (GET/PATCH /me; null follows the browser) and the
one a workspace was created in (POST /workspaces, by default the request's language)."""
from __future__ import annotations

from .conftest import OWNER, Api, assert_problem

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def test_me_shows_no_language_until_the_user_chooses_one_and_patch_answers_as_get(api: Api):
    me = api.ok(api.get("/api/v1/me"))
    assert me["user"]["language"] is None
    assert [w["language"] for w in me["workspaces"]] == ["en"]

    chosen = api.ok(api.patch("/api/v1/me", {"language": "fr"}))
    assert chosen["user"]["language"] == "fr"
    assert chosen == api.ok(api.get("/api/v1/me"))

    assert api.ok(api.patch("/api/v1/me", {"language": "EN"}))["user"]["language"] == "en"
    assert api.ok(api.patch("/api/v1/me", {}))["user"]["language"] == "en"  # nothing asked, nothing changed
    assert api.ok(api.patch("/api/v1/me", {"language": None}))["user"]["language"] is None
    assert api.ok(api.get("/api/v1/me"))["user"]["language"] is None


def test_another_users_choice_is_theirs_alone(api: Api):
    api.ok(api.patch("/api/v1/me", {"language": "fr"}))
    assert api.ok(api.as_("member@contoso.com").get("/api/v1/me"))["user"]["language"] is None


def test_a_language_dealpane_does_not_speak_is_refused_on_its_field(api: Api):
    for bad in ("de", "", "fr-FR-x-very-long", "klingon"):
        response = api.patch("/api/v1/me", {"language": bad})
        assert_problem(response, 422, "language")
    body = assert_problem(api.patch("/api/v1/me", {"language": "de"}, headers=FRENCH), 422, "language")
    assert body["errors"][0]["message"] == "doit être une langue proposée par Dealpane : en, fr"
    assert_problem(api.patch("/api/v1/me", {"language": 3}), 400, "language")  # not even a string
    assert_problem(api.patch("/api/v1/me", {"theme": "dark"}), 422, "theme")
    assert_problem(api.post("/api/v1/workspaces", {"name": "X", "language": "de"}), 422, "language")
    assert api.ok(api.get("/api/v1/me"))["user"]["language"] is None


def test_a_workspace_starts_in_the_language_asked_else_in_the_requests(client):
    owner = Api(client, OWNER)
    english = owner.ok(owner.post("/api/v1/workspaces", {"name": "Default"}), 201)
    french = owner.ok(owner.post("/api/v1/workspaces", {"name": "Ventes"}, headers=FRENCH), 201)
    chosen = owner.ok(owner.post("/api/v1/workspaces", {"name": "Sales", "language": "en"}, headers=FRENCH), 201)
    named = owner.ok(owner.post("/api/v1/workspaces", {"name": "Paris", "language": "fr", "currency": "EUR"}), 201)
    assert (english["language"], french["language"], chosen["language"], named["language"]) == ("en", "fr", "en", "fr")
    assert owner.ok(owner.get(f"/api/v1/workspaces/{french['id']}"))["language"] == "fr"
    assert owner.ok(owner.get(f"/api/v1/workspaces/{english['id']}"))["language"] == "en"
    listed = {w["name"]: w["language"] for w in owner.ok(owner.get("/api/v1/me"))["workspaces"]}
    assert listed == {"Default": "en", "Ventes": "fr", "Sales": "en", "Paris": "fr"}


def test_the_openapi_document_describes_the_languages(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "patch" in document["paths"]["/api/v1/me"]
    schemas = document["components"]["schemas"]
    assert "language" in schemas["WorkspaceOut"]["properties"] and "language" in schemas["UserOut"]["properties"]
    assert "language" in schemas["WorkspaceIn"]["properties"] and "language" in schemas["MePatch"]["properties"]
