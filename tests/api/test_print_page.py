"""The print page in the reader's language: labels from pages.po, amounts, percentages, dates and times
formatted by Babel for the language's locale, `<html lang>` and Content-Language saying which.

(The page's content and escaping in English: tests/api/test_opportunities.py.)
"""
from __future__ import annotations

import html
import re

import pytest

from tests.api.conftest import Api

NNBSP, NBSP = "\u202f", "\u00a0"  # CLDR's French group separator, and the space before € and %


@pytest.fixture
def euro_api(client):
    """A workspace that counts in euros, with one opportunity worth printing."""
    owner = Api(client, "print.owner@contoso.example")
    owner.ws = owner.ok(owner.post("/api/v1/workspaces", {"name": "Ventes Europe", "currency": "EUR"}), 201)["id"]
    return owner


@pytest.fixture
def printed(euro_api):
    api = euro_api
    account = api.make_account(name="Contoso SA")
    created = api.make_opportunity(
        title="Renouvellement de flotte", link={"type": "account", "id": account["id"]}, probability=50,
        close_date="2026-12-18", reminder_at="2026-12-01T14:05:00Z",
        lines=[{"name": "Contrat de service", "quantity": "2", "unit_price": "617.28"},
               {"name": "Pièces détachées", "quantity": "1.5", "unit_price": "10.00", "discount_percent": "12.5"}])
    api.ok(api.post(f"/opportunities/{created['id']}/history",
                    {"kind": "phone_log", "subject": "Appel achats", "occurred_at": "2026-11-30T16:45:00Z"}), 201)
    return api, created


def text_of(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_print_page_in_french_by_accept_language(printed):
    api, created = printed
    response = api.get(f"/opportunities/{created['id']}/print", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Language"] == "fr"
    page = response.get_data(as_text=True)
    assert '<html lang="fr-FR">' in page
    text = text_of(page)
    for label in ("Général", "Affecté à", "Étape de vente", "Probabilité", "Chiffre d’affaires prévu",
                  "Date de clôture", "Conditions de paiement", "Produits et services", "Quantité",
                  "Prix unitaire", "Remise %", "Montant", "Historique des communications", "Objet",
                  "Journal téléphonique", "Compte", "Ouverte", "Imprimé le"):
        assert label in text, label
    for english in ("General", "Assigned to", "Sales stage", "Expected revenue", "Close date", "Products and services",
                    "Unit price", "History", "Phone log", "Printed", "(Account)", "Open"):
        assert english not in text, english
    # money: 2 × 617.28 + 1.5 × 10.00 − 12.5 % = 1234.56 + 13.125 -> total 1 247,69 € (or ,68: as the API rounds)
    total = api.ok(api.get(f"/opportunities/{created['id']}"))["total"]
    euros, cents = total.split(".")
    assert f"1{NNBSP}{euros[1:]},{cents}{NBSP}€" in text
    assert f"1{NNBSP}234,56{NBSP}€" in text           # the first line's amount
    assert f"617,28{NBSP}€" in text                     # its unit price
    assert "12,5" in text and "1,5" in text             # discount and quantity, French decimal comma
    assert f"50{NBSP}%" in text                         # probability
    assert "18 déc. 2026" in text                       # close date, medium
    assert "1 déc. 2026 14:05" in text                  # reminder, 24-hour clock
    assert "30 nov. 2026 16:45" in text                 # the history item's date and time
    assert "PM" not in text and "$" not in text
    assert re.search(r"Imprimé le \d{1,2} [a-zéû]+\.? \d{4} à \d{2}:\d{2} UTC", text), text[-200:]


def test_the_print_page_in_french_by_lang_query(printed):
    """A link opened in a new tab names its language (the browser's Accept-Language may be another)."""
    api, created = printed
    response = api.get(f"/opportunities/{created['id']}/print", query_string={"lang": "fr"},
                       headers={"Accept-Language": "en-US"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr-FR">' in page and "Probabilité" in page
    assert response.headers["Content-Language"] == "fr"
    # a language Dealpane does not speak falls back to the request's
    other = api.get(f"/opportunities/{created['id']}/print", query_string={"lang": "xx"},
                    headers={"Accept-Language": "fr"})
    assert '<html lang="fr-FR">' in other.get_data(as_text=True)


def test_the_print_page_in_english_as_before(printed):
    api, created = printed
    response = api.get(f"/opportunities/{created['id']}/print", headers={"Accept-Language": "en-US"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Content-Language"] == "en"
    assert '<html lang="en-US">' in page
    text = text_of(page)
    for label in ("General", "Assigned to", "Sales stage", "Probability", "Expected revenue", "Close date",
                  "Products and services", "Quantity", "Unit price", "Discount %", "Amount", "History",
                  "Phone log", "Account", "Open", "Printed"):
        assert label in text, label
    for french in ("Général", "Probabilité", "Historique", "Imprimé"):
        assert french not in text, french
    assert "€1,234.56" in text and "€617.28" in text
    assert "50%" in text and "Dec 18, 2026" in text
    assert f"Dec 1, 2026 2:05{NNBSP}PM" in text
    assert re.search(r"Printed \w{3} \d{1,2}, \d{4} at \d{1,2}:\d{2}\u202f[AP]M UTC", text), text[-200:]


def test_the_print_page_without_accept_language_is_english(printed):
    api, created = printed
    page = api.get(f"/opportunities/{created['id']}/print").get_data(as_text=True)
    assert '<html lang="en-US">' in page and "Probability" in page


def test_the_print_page_escapes_values_in_french_too(euro_api):
    api = euro_api
    script = "<script>alert(1)</script>"
    created = api.make_opportunity(title=script, lines=[{"name": script, "quantity": "1", "unit_price": "1.00"}],
                                   activities=None, comments=script)
    page = api.get(f"/opportunities/{created['id']}/print", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_print_page_of_an_unknown_opportunity_is_a_french_problem(euro_api):
    response = euro_api.get("/opportunities/00000000-0000-0000-0000-000000000000/print",
                            headers={"Accept-Language": "fr"})
    assert response.status_code in (404, 422)
    assert response.headers["Content-Type"].startswith("application/problem+json")
