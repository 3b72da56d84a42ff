"""The pages' messages and languages: /pane/i18n/<lang>.json, /workspace/i18n/<lang>.json, config.json's
languages, and intl-messageformat served from npm like the pages' other libraries."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("page, part", [("pane", "pane"), ("workspace", "workspace")])
def test_each_page_gets_its_messages_and_the_common_ones(client, page, part):
    for lang, locale in (("en", "en-US"), ("fr", "fr-FR")):
        response = client.get(f"/{page}/i18n/{lang}.json")
        assert response.status_code == 200
        body = response.get_json()
        assert body["language"] == lang and body["locale"] == locale
        assert response.headers["Content-Language"] == lang
        keys = set(body["messages"])
        assert keys and all(k.split(".")[0] in ("common", part) for k in keys), keys
        assert any(k.startswith(f"{part}.") for k in keys)
    english = client.get(f"/{page}/i18n/en.json").get_json()["messages"]
    french = client.get(f"/{page}/i18n/fr.json").get_json()["messages"]
    assert set(english) == set(french)
    assert sum(english[k] != french[k] for k in english) > len(english) // 2, "mostly untranslated"


@pytest.mark.parametrize("name", ["de", "xx", "..", "fr.json"])
def test_a_language_dealpane_does_not_speak_is_404(client, name):
    assert client.get(f"/pane/i18n/{name}.json").status_code == 404


def test_config_lists_the_languages(client):
    for page in ("pane", "workspace"):
        languages = client.get(f"/{page}/config.json").get_json()["languages"]
        assert languages[0] == "en" and "fr" in languages


def test_intl_messageformat_is_served_from_node_modules(client):
    for page in ("pane", "workspace"):
        with client.get(f"/{page}/vendor/intl-messageformat.js") as response:
            assert response.status_code == 200 and response.mimetype == "text/javascript"
            assert b"IntlMessageFormat" in response.data


def test_the_pane_page_is_served_in_the_requests_language(client):
    """Its first paint (and its <noscript>, where no script can choose) in Accept-Language's words; pane.js
    then says it again in Outlook's display language."""
    french = client.get("/pane/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    html = french.get_data(as_text=True)
    messages = client.get("/pane/i18n/fr.json").get_json()["messages"]
    assert '<html lang="fr">' in html and french.headers["Content-Language"] == "fr"
    assert messages["pane.boot"] in html and messages["pane.noscript"] in html
    assert "Accept-Language" in french.headers["Vary"]
    english = client.get("/pane/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Loading Dealpane…" in english
