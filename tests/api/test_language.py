"""The API speaks the request's language: problem+json titles, details and field messages in French for
`Accept-Language: fr-...`, English for any language Dealpane does not speak (and for none), with
Content-Language and Vary: Accept-Language on every API answer. Each test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, ValidationError, field_validator
from pydantic_core.core_schema import ErrorType

from addin import errors
from graph_sync.port import GraphPermissionError
from storage.i18n import _

from .conftest import assert_problem

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
UNKNOWN = "0" * 26


def messages(body: dict) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body["errors"]}


def test_not_found_in_french(api):
    response = api.get(f"/opportunities/{UNKNOWN}", headers=FR)
    body = assert_problem(response, 404)
    assert body["title"] == "Introuvable"
    assert body["detail"] == "Opportunité introuvable."
    assert response.headers["Content-Language"] == "fr"
    assert "Accept-Language" in response.headers["Vary"]

    body = assert_problem(api.get(f"/api/v1/workspaces/{UNKNOWN}/accounts/{UNKNOWN}", headers=FR), 404)
    assert body["detail"] == "Espace de travail introuvable."
    body = assert_problem(api.patch(f"/sales-stages/{UNKNOWN}/activities/{UNKNOWN}", {"name": "x"}, headers=FR), 404)
    assert body["detail"] == "Étape de vente introuvable."


def test_validation_in_french(api):
    """pydantic's messages are replaced by the catalogue's, the summary detail too."""
    response = api.post("/opportunities", {"title": "x" * 201, "probability": 150, "bogus": 1}, headers=FR)
    body = assert_problem(response, 422)
    assert body["title"] == "Contenu non traitable"
    assert body["detail"] == "La requête enfreint une ou plusieurs règles."
    assert messages(body) == {
        "title": "doit comporter au plus 200 caractères",
        "probability": "doit valoir au plus 100",
        "bogus": "n’est pas un champ de cette requête",
        "link": "est obligatoire",
    }
    assert response.headers["Content-Language"] == "fr"

    opportunity = api.make_opportunity()
    body = assert_problem(api.post(f"/opportunities/{opportunity['id']}/reopen", {}, headers=FR), 422, "stage_id")
    assert body["detail"] == "stage_id : est obligatoire"

    # the wrong type: 400, with its own summary
    wrong = {"probability": "high", "close_date": "soon"}
    body = assert_problem(api.patch(f"/opportunities/{opportunity['id']}", wrong, headers=FR), 400)
    assert body["title"] == "Requête incorrecte"
    assert body["detail"] == "La requête contient des valeurs d’un type ou d’un format incorrect."
    assert messages(body) == {"probability": "doit être un nombre entier",
                              "close_date": "doit être une date (AAAA-MM-JJ)"}
    body = assert_problem(api.post("/opportunities/bulk-close", {"ids": [opportunity["id"]], "outcome": "maybe"},
                                   headers=FR), 422, "outcome")
    assert body["detail"] == "outcome : doit être l’une des valeurs 'won', 'lost'"

    # the same requests in English keep pydantic's meaning in our words
    body = assert_problem(api.patch(f"/opportunities/{opportunity['id']}", {"probability": "high"}), 400)
    assert body["detail"] == "probability: must be a whole number"


def test_domain_rules_in_french(api, member_api):
    closed_won = api.stage("Closed Won")
    body = assert_problem(api.patch(f"/sales-stages/{closed_won['id']}", {"name": "Signed"}, headers=FR), 409)
    assert body["title"] == "Conflit"
    assert body["detail"] == "L’étape Closed Won est prédéfinie et ne peut être ni modifiée ni supprimée."

    opportunity = api.make_opportunity()
    body = assert_problem(api.patch(f"/opportunities/{opportunity['id']}",
                                    {"stage_id": closed_won["id"], "probability": 50}, headers=FR), 422, "probability")
    assert messages(body) == {"probability": "vaut 100 pour une opportunité à l’étape Closed Won"}
    assert body["detail"] == "probability : vaut 100 pour une opportunité à l’étape Closed Won"

    # a sentence completed by another Text ("Only an owner ... may %(action)s.") is French throughout
    body = assert_problem(member_api.post("/sales-stages", {"name": "Demo"}, headers=FR), 403)
    assert body["detail"] == ("Seul un propriétaire de l’espace de travail peut personnaliser les étapes et les "
                              "activités de vente.")

    # plural forms from the catalogue
    account = api.make_account()
    api.make_opportunity(link={"type": "account", "id": account["id"]})
    body = assert_problem(api.delete(f"/accounts/{account['id']}", headers=FR), 409)
    assert body["detail"] == "1 opportunité est liée à ce compte ; liez-la ailleurs ou supprimez-la d’abord."
    api.make_opportunity(link={"type": "account", "id": account["id"]})
    body = assert_problem(api.delete(f"/accounts/{account['id']}", headers=FR), 409)
    assert body["detail"] == "2 opportunités sont liées à ce compte ; liez-les ailleurs ou supprimez-les d’abord."
    body = assert_problem(api.delete(f"/accounts/{account['id']}"), 409)
    assert body["detail"] == ("This account is the link of 2 opportunities; link them elsewhere or delete them "
                              "first.")

    # a bulk change's failures are said in the request's language too
    api.ok(api.post("/opportunities/bulk-close", {"ids": [opportunity["id"]], "outcome": "won"}))
    answer = api.ok(api.post("/opportunities/bulk-close", {"ids": [opportunity["id"]], "outcome": "lost"},
                             headers=FR))
    assert answer["failed"] == [{"id": opportunity["id"], "status": 409, "detail": (
        "Cette opportunité est Fermée gagnée et en lecture seule ; rouvrez-la pour la modifier.")}]


def test_http_errors_and_sign_in_in_french(api, client):
    body = assert_problem(api.get("/api/v1/no-such-thing", headers=FR), 404)
    assert body["detail"] == "Rien ne se trouve à cette adresse."
    response = api.put("/opportunities", {}, headers=FR)
    body = assert_problem(response, 405)
    assert body["title"] == "Méthode non autorisée"
    assert body["detail"] == ("Cette adresse n’accepte pas cette méthode ; l’en-tête Allow indique celles qu’elle "
                              "accepte.")
    assert "GET" in response.headers["Allow"]

    response = client.get("/api/v1/me", headers=FR)
    body = assert_problem(response, 401)
    assert body["title"] == "Non autorisé"
    assert body["detail"] == "Envoyez l’en-tête X-Dev-User (mode développement)."
    assert response.headers["Content-Language"] == "fr"

    body = assert_problem(api.post("/opportunities", {"title": "a\x00b"}, headers=FR), 400, "title")
    assert body["detail"] == "title : ne doit pas contenir de caractère NUL (\\u0000)"


@pytest.mark.parametrize("header", [None, "de-DE", "de-DE,de;q=0.9", "en-GB", "en-GB,en;q=0.9,fr;q=0.8", "*"])
def test_english_unless_french_is_asked_for(api, header):
    headers = {"Accept-Language": header} if header else {}
    response = api.get(f"/opportunities/{UNKNOWN}", headers=headers)
    body = assert_problem(response, 404)
    assert (body["title"], body["detail"]) == ("Not found", "No such opportunity.")
    assert response.headers["Content-Language"] == "en"
    assert "Accept-Language" in response.headers["Vary"]
    opportunity = api.make_opportunity()
    body = assert_problem(api.patch(f"/opportunities/{opportunity['id']}", {"title": "x" * 201}, headers=headers),
                          422, "title")
    assert body["detail"] == "title: must be at most 200 characters"


@pytest.mark.parametrize(("header", "language"), [
    ("de;q=1, fr;q=0.8", "fr"),  # Dealpane speaks no German: the next one it speaks
    ("fr;q=0.5, en;q=0.9", "en"),  # quality, not order
    ("en;q=0.1, fr-CA", "fr"),  # no quality is 1
    ("fr;q=0, en;q=0.5", "en"),  # q=0: not acceptable
])
def test_quality_values(api, header, language):
    response = api.get(f"/opportunities/{UNKNOWN}", headers={"Accept-Language": header})
    body = assert_problem(response, 404)
    assert response.headers["Content-Language"] == language
    assert body["detail"] == {"fr": "Opportunité introuvable.", "en": "No such opportunity."}[language]


def test_successful_answers_name_their_language(api):
    response = api.get("/opportunities", headers=FR)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fr"
    assert "Accept-Language" in response.headers["Vary"]
    response = api.get("/opportunities")
    assert response.headers["Content-Language"] == "en"


def test_graph_permission_refusal_in_french(app):
    """Graph's 403 names the refused call and the permission: the call's words come from the catalogue."""
    refused = GraphPermissionError("403", permission="Mail.Read", what="read mail",
                                   doc="https://learn.microsoft.com/graph/api/message-get")
    with app.test_request_context("/api/v1/me", headers=FR):
        response = app.handle_user_exception(refused)
    body = response.get_json()
    assert response.status_code == 403 and body["title"] == "Interdit"
    assert body["detail"] == ("Microsoft Graph a refusé de lire le courrier : Dealpane a besoin de l’autorisation "
                              "déléguée Mail.Read (https://learn.microsoft.com/graph/api/message-get).")
    with app.test_request_context("/api/v1/me"):
        assert app.handle_user_exception(refused).get_json()["detail"] == (
            "Microsoft Graph refused to read mail: Dealpane needs the delegated permission Mail.Read "
            "(https://learn.microsoft.com/graph/api/message-get).")


# ---- pydantic's error types: every one our request schemas can give has our own message --------------

# pydantic-core error types no request schema of ours can produce (no bytes, sets, tuples, callables,
# dataclasses, functions' arguments, fractions or complex numbers in a request): they keep pydantic's
# English msg. A new pydantic type fails test_every_pydantic_error_type_is_decided until it is put in one
# list or the other.
NOT_FROM_OUR_SCHEMAS = {
    "no_such_attribute", "needs_python_object", "frozen_field", "frozen_instance", "invalid_key",
    "get_attribute_error", "dataclass_type", "dataclass_exact_type", "named_tuple_type",
    "default_factory_not_called", "iterable_type", "iteration_error", "string_not_ascii", "frozen_dict_type",
    "ordered_dict_type", "counter_type", "mapping_type", "deque_type", "tuple_type", "set_type",
    "set_item_not_hashable", "bytes_type", "bytes_too_short", "bytes_too_long", "bytes_invalid_encoding",
    "missing_sentinel_error", "ellipsis_error", "frozen_set_type", "is_instance_of", "is_subclass_of",
    "callable_type", "arguments_type", "missing_argument", "unexpected_keyword_argument",
    "missing_keyword_only_argument", "unexpected_positional_argument", "missing_positional_only_argument",
    "multiple_argument_values", "fraction_type", "fraction_parsing", "complex_type", "complex_str_parsing",
}
OUR_VALIDATORS = {"value_error", "assertion_error"}  # a Text raised by our own validator is kept


def test_every_pydantic_error_type_is_decided():
    every = set(typing.get_args(ErrorType))
    assert every - set(errors.PYDANTIC_MESSAGES) - OUR_VALIDATORS == NOT_FROM_OUR_SCHEMAS
    assert not set(errors.PYDANTIC_MESSAGES) - every, "a mapped type pydantic no longer has"


def test_our_validators_keep_their_text():
    class Shape(BaseModel):
        kind: str

        @field_validator("kind")
        @classmethod
        def _known(cls, value):
            if value == "ours":
                raise ValueError(_("is not a known kind"))
            raise ValueError("plain")

    for value, expected in (("ours", "is not a known kind"), ("other", "Value error, plain")):
        with pytest.raises(ValidationError) as raised:
            Shape(kind=value)
        message = errors.pydantic_message(raised.value.errors(include_url=False)[0])
        assert message == expected
    with pytest.raises(ValidationError) as raised:
        Shape(kind="ours")
    assert errors.pydantic_message(raised.value.errors(include_url=False)[0]).msgid == "is not a known kind"


def test_member_sees_owner_only_sentence_in_english(member_api):
    body = assert_problem(member_api.post("/sales-stages", {"name": "Demo"}), 403)
    assert body["detail"] == "Only an owner of the workspace may customise sales stages and activities."
