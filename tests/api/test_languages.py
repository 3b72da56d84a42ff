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


# ---- a workspace created in French starts in French ------------------------------------------

FRENCH_STAGES = ["Prospection", "Qualification", "Analyse des besoins", "Proposition", "Négociation",
                 "Fermée gagnée", "Fermée perdue"]
FRENCH_LISTS = {
    "type": ["Nouvelle affaire", "Client existant", "Renouvellement"],
    "payment_terms": ["Paiement à réception", "15 jours net", "30 jours net", "60 jours net"],
    "source": ["Publicité", "Campagne d’e-mails", "Salon professionnel", "Site web", "Recommandation",
               "Démarchage téléphonique"],
}


def _french_workspace(client) -> Api:
    owner = Api(client, OWNER)
    owner.ws = owner.ok(owner.post("/api/v1/workspaces", {"name": "Ventes", "currency": "EUR"}, headers=FRENCH),
                        201)["id"]
    return owner


def test_a_workspace_created_in_french_has_french_stages_activities_and_lists(client):
    fr = _french_workspace(client)
    stages = fr.ok(fr.get("/sales-stages"))["items"]
    assert [s["name"] for s in stages] == FRENCH_STAGES
    assert [(s["outcome"], s["built_in"]) for s in stages[-2:]] == [("won", True), ("lost", True)]
    assert stages[0]["is_default"]
    assert [a["name"] for a in stages[0]["activities"]] == ["Identifier les décideurs", "Premier appel"]
    assert [a["name"] for a in stages[4]["activities"]] == ["Convenir des conditions"]
    for list_name, values in FRENCH_LISTS.items():
        assert fr.ok(fr.get(f"/lists/{list_name}"))["values"] == values
    # the same words in English for a workspace created in English: only the language differs
    en = Api(client, OWNER)
    en.ws = en.ok(en.post("/api/v1/workspaces", {"name": "Sales"}), 201)["id"]
    english = en.ok(en.get("/sales-stages"))["items"]
    assert [s["name"] for s in english][-2:] == ["Closed Won", "Closed Lost"]
    assert [len(s["activities"]) for s in english] == [len(s["activities"]) for s in stages]
    assert en.ok(en.get("/lists/payment_terms"))["values"] == ["Due on receipt", "Net 15", "Net 30", "Net 60"]


def test_the_french_closed_stages_keep_their_rules_by_outcome(client):
    fr = _french_workspace(client)
    won, lost = fr.stage("Fermée gagnée"), fr.stage("Fermée perdue")
    deal = fr.make_opportunity(probability=40)
    closed = fr.ok(fr.patch(f"/opportunities/{deal['id']}", {"stage_id": won["id"]}))
    assert (closed["status"], closed["probability"], closed["read_only"]) == ("won", 100, True)
    assert closed["stage_name"] == "Fermée gagnée"
    other = fr.make_opportunity(probability=40)
    result = fr.ok(fr.post("/opportunities/bulk-close", {"ids": [other["id"]], "outcome": "lost"}))
    assert result["updated"] == [other["id"]]
    lost_deal = fr.ok(fr.get(f"/opportunities/{other['id']}"))
    assert (lost_deal["status"], lost_deal["probability"], lost_deal["stage_id"]) == ("lost", 0, lost["id"])
    for stage in (won, lost):
        assert_problem(fr.patch(f"/sales-stages/{stage['id']}", {"name": "Gagnée"}), 409)
        assert_problem(fr.patch(f"/sales-stages/{stage['id']}", {"position": 0}), 409)
        assert_problem(fr.delete(f"/sales-stages/{stage['id']}"), 409)
