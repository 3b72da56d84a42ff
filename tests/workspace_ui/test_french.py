"""The workspace in French (issue 18): a French browser gets every view in French (no English UI message
left, <html lang="fr">, no serious axe violation), money, dates and times in the French way, and the
server's problem details in French; the user's own choice, kept on the server (PATCH /api/v1/me), wins
over the browser's languages, and "Automatic" follows the browser again. Screenshots of the French
workspace at 1280 px go to /tmp/dealpane-screens/ for people to look at.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from playwright.sync_api import expect

from storage.demo import DEMO_COLLEAGUE, DEMO_OWNER
from tests.i18n_scan import english_left
from tests.workspace_ui.conftest import TIMEOUT_MS, WIDE, WorkspaceSession
from tests.workspace_ui.entra_login import EntraSession

SCREENS = Path("/tmp/dealpane-screens")
DEAL = "Northwind – EMEA rollout"
# Record names, stage names and list values are the Demo workspace's own data (English): never translated.
DATA = ("Demo", "Dealpane", "Closed Won", "Closed Lost")


def spaces(text: str) -> str:
    """French puts a narrow no-break space (U+202F) or a no-break space (U+00A0) in numbers and before €/%."""
    return re.sub(r"[\u202f\u00a0]", " ", text)


def set_language(user: str, language: str | None, base_url: str) -> dict:
    """PATCH /api/v1/me {language} as `user` (dev auth), as the workspace's language menu does."""
    request = urllib.request.Request(f"{base_url}/api/v1/me", data=json.dumps({"language": language}).encode(),
                                     method="PATCH", headers={"X-Dev-User": user, "Content-Type": "application/json",
                                                              "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
        return json.loads(response.read())


def saved_language(user: str, base_url: str) -> str | None:
    request = urllib.request.Request(f"{base_url}/api/v1/me", headers={"X-Dev-User": user, "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
        return json.loads(response.read())["user"]["language"]


class Session(WorkspaceSession):
    """A workspace page in a browser of the given locale, as `user`; missing catalogue keys are errors."""

    def __init__(self, browser, base_url, shots, locale: str, user: str):
        context = browser.new_context(viewport=WIDE, locale=locale, timezone_id="Europe/Paris",
                                      service_workers="block", accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        super().__init__(context, context.new_page(), base_url, shots)
        self.user = user
        self.missing: list[str] = []
        self.page.on("console", lambda m: self.missing.append(m.text) if "dealpane i18n" in m.text else None)

    def open(self, view: str = "opportunities"):
        self.page.goto(f"{self.base_url}/workspace/?user={urllib.request.quote(self.user)}#/{view}")
        self.wait_ready()
        return self.page

    def screen(self, name: str, full_page: bool = False) -> None:
        SCREENS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=full_page)


def _close(session: Session) -> None:
    session.context.close()
    assert not session.errors, f"uncaught errors in the workspace: {session.errors}"
    assert not session.missing, f"messages missing from the catalogue: {session.missing}"
    assert not session.csp, f"the Content Security Policy refused something: {session.csp}"
    assert not session.dialogs, f"the page opened alert/confirm dialogs: {session.dialogs}"


def _browsing_as(browser, base_url, shots_dir, locale: str, user: str):
    """A browser in `locale` as `user`, whose saved language is cleared before and after."""
    set_language(user, None, base_url)
    session = Session(browser, base_url, shots_dir, locale, user)
    yield session
    _close(session)
    set_language(user, None, base_url)


@pytest.fixture
def french(browser, base_url, shots_dir):
    """A French browser (navigator.languages = fr-FR) as the demo owner, who chose no language."""
    yield from _browsing_as(browser, base_url, shots_dir, "fr-FR", DEMO_OWNER)


@pytest.fixture
def english_colleague(browser, base_url, shots_dir):
    """An English browser as the colleague; their saved language is reset after the test."""
    yield from _browsing_as(browser, base_url, shots_dir, "en-US", DEMO_COLLEAGUE)


def in_french(page, axe, allow=()) -> None:
    """What every French view must be: lang="fr", no English message left, no serious axe violation."""
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    left = english_left(page, "fr", allow=DATA + tuple(allow))
    assert not left, f"English left on the French page: {left}"
    assert not axe(page), axe(page)


def euros(amount: str, currency: str) -> str:
    return spaces(format_currency(Decimal(amount), currency, locale="fr_FR"))


def test_main_views_in_french(french, demo_api, axe):
    page = french.open("opportunities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunités")
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()
    assert page.title() == "Dealpane – Espace de travail commercial"
    deal = demo_api.named("opportunities", DEAL)
    row = page.get_by_role("row").filter(has_text=DEAL)
    expect(row).to_be_visible()
    cells = [spaces(c) for c in row.locator("td").all_inner_texts()]
    assert euros(deal["total"], deal["currency"]) in cells, cells
    if deal["close_date"]:
        closing = dt.date.fromisoformat(deal["close_date"])
        assert format_date(closing, "medium", locale="fr_FR") in cells, cells  # "18 déc. 2026"
    expect(page.get_by_title("Trier par titre")).to_be_visible()
    in_french(page, axe)
    french.screen("fr-01-opportunities")

    called, item = next((o, items[0]) for o in demo_api.all("/opportunities", status="open")
                        if (items := demo_api.get(f"/opportunities/{o['id']}/history", limit=5)["items"]))
    at = dt.datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Paris"))
    page.get_by_role("row").filter(has_text=called["title"]).click()  # the reading pane, its history's date-times
    reading = page.locator("#reading-pane")
    expect(reading.locator("h2")).to_have_text(called["title"])
    expect(reading).to_contain_text("Étape de vente")
    expect(reading.locator(".history-head").first).to_contain_text("Journal téléphonique")
    when = spaces(reading.locator(".history-head span").nth(1).inner_text())
    assert re.fullmatch(rf"\d{{1,2}} \S+ \d{{4}}(,| à) {at:%H:%M}", when), when  # Paris time, 24-hour, no AM/PM
    in_french(page, axe)
    row.click()

    page.get_by_role("button", name="Ouvrir", exact=True).click()  # the opportunity: form, lines, activities
    expect(page.get_by_role("heading", level=1)).to_have_text(DEAL)
    expect(page.get_by_role("heading", name="Général")).to_be_visible()
    expect(page.get_by_role("heading", name="Produits et services")).to_be_visible()
    expect(page.get_by_role("heading", name="Activités de vente")).to_be_visible()
    assert spaces(page.locator("#total").inner_text()) == euros(deal["total"], deal["currency"])
    in_french(page, axe)
    french.screen("fr-02-opportunity", full_page=True)

    page.get_by_label("Probabilité (%)").fill("150")  # a bad value: the server's problem, in French
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    error = page.locator("#form-messages [role=alert]")
    expect(error).to_contain_text("Vérifiez ce que vous avez saisi.")
    expect(page.locator("[data-field='probability'] .field-error")).to_be_visible()
    said = page.locator("[data-field='probability'] .field-error").inner_text()
    answer = french_problem(french.base_url, demo_api.ws, deal)
    assert said in [e["message"] for e in answer["errors"]], (said, answer)
    in_french(page, axe)

    lines = len(deal["lines"])  # an amount typed the French way: "1 234,56"
    page.get_by_role("button", name="Ajouter une ligne").click()
    page.get_by_label(f"Ligne {lines + 1} : nom").fill("Atelier")
    page.get_by_label(f"Ligne {lines + 1} : prix unitaire").fill("1 234,56")
    amount = page.locator(f"[data-amount='{lines}']")
    expect(amount).to_have_text(re.compile(r"\d"))
    assert spaces(amount.inner_text()) == euros("1234.56", deal["currency"])
    total = Decimal(deal["total"]) + Decimal("1234.56")
    assert spaces(page.locator("#total").inner_text()) == euros(str(total), deal["currency"])

    french.go("dashboard")
    expect(page.get_by_role("heading", name="Pipeline par étape de vente")).to_be_visible()
    page.wait_for_function(  # pipeline, forecast and, when deals closed this quarter, the close reasons: all drawn
        "() => { const c = [...document.querySelectorAll('canvas')];"
        " return window.Chart && c.length >= 2 && c.every((one) => window.Chart.getChart(one)); }")
    quarter = (dt.date.today().month - 1) // 3 + 1
    expect(page.locator(".kpis")).to_contain_text(f"Gagnées au T{quarter} {dt.date.today().year}")
    page.get_by_text("Afficher les chiffres").nth(1).click()
    month = format_date(dt.date.today().replace(day=1), "MMM y", locale="fr_FR")
    expect(page.locator("details[open] tbody")).to_contain_text(month)
    in_french(page, axe)
    french.screen("fr-03-dashboard", full_page=True)

    french.go("accounts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comptes")
    expect(page.get_by_role("columnheader", name="Domaines de messagerie")).to_be_visible()
    in_french(page, axe)
    page.get_by_role("link", name="Fabrikam, Inc.").click()
    french.wait_ready()
    expect(page.get_by_role("button", name="Enregistrer et fermer")).to_be_visible()
    expect(page.get_by_label("Nom du compte")).to_have_value("Fabrikam, Inc.")
    in_french(page, axe)

    french.go("contacts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts professionnels")
    in_french(page, axe)
    page.locator("td.title-cell a").first.click()
    french.wait_ready()
    expect(page.get_by_label("Nom complet")).not_to_have_value("")
    in_french(page, axe)

    french.go("customise")
    expect(page.get_by_role("heading", level=1)).to_have_text("Personnaliser")
    in_french(page, axe)
    french.screen("fr-04-customise")
    page.get_by_role("button", name="Modifier les étapes de vente…").click()
    stages = page.get_by_role("dialog", name="Étapes et activités de vente")
    expect(stages.get_by_role("button", name="Ajouter l’étape")).to_be_visible()
    in_french(page, axe)
    french.screen("fr-05-customise-stages")
    stages.get_by_role("button", name="Fermer", exact=True).click()
    french.wait_ready()
    page.get_by_role("button", name="Modifier cette liste : Type…").click()
    values = page.get_by_role("dialog", name="Modifier cette liste : Type")
    expect(values.get_by_role("button", name="Enregistrer la liste")).to_be_visible()
    in_french(page, axe)
    values.get_by_role("button", name="Annuler").click()

    french.go("transfer")
    expect(page.get_by_role("heading", name="Importer", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Exporter les comptes")).to_be_visible()
    in_french(page, axe)
    french.screen("fr-06-import-export")


def french_problem(base_url: str, ws: str, deal: dict) -> dict:
    """What the API says, asked in French, about the probability the test typed (the page's own request)."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/workspaces/{ws}/opportunities/{deal['id']}", method="PATCH",
        data=json.dumps({"probability": 150}).encode(),
        headers={"X-Dev-User": DEMO_OWNER, "Content-Type": "application/json", "Accept-Language": "fr",
                 "If-Match": f'"{deal["version"]}"', "Accept": "application/problem+json"})
    try:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback test server
    except urllib.error.HTTPError as error:
        assert error.headers["Content-Language"] == "fr"
        return json.loads(error.read())
    raise AssertionError("a probability of 150 was accepted")


def test_an_english_browser_whose_user_chose_french_sees_french_and_automatic_follows_the_browser(
        english_colleague, base_url, axe):
    set_language(DEMO_COLLEAGUE, "fr", base_url)
    page = english_colleague.open("opportunities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunités")
    in_french(page, axe)
    picker = page.get_by_label("Langue", exact=True)
    expect(picker).to_have_value("fr")
    expect(picker.locator("option")).to_have_text(["Automatique (navigateur)", "English", "Français"])

    picker.select_option("")  # Automatic: the browser's English, without a reload, and saved so
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    expect(page.get_by_label("Language")).to_have_value("")
    assert saved_language(DEMO_COLLEAGUE, base_url) is None
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    page.reload()
    english_colleague.wait_ready()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")


def test_choosing_english_in_a_french_browser_redraws_the_view_and_asks_before_losing_input(french, base_url):
    page = french.open("opportunities/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle opportunité")
    page.get_by_label("Titre").fill("Pas encore enregistrée")
    page.get_by_label("Langue", exact=True).select_option("en")
    ask = page.get_by_role("dialog", name="Changer de langue maintenant ?")
    ask.get_by_role("button", name="Annuler").click()  # the typed title stays, nothing is saved
    expect(page.get_by_label("Titre")).to_have_value("Pas encore enregistrée")
    expect(page.get_by_label("Langue", exact=True)).to_have_value("")
    assert saved_language(DEMO_OWNER, base_url) is None

    page.get_by_label("Langue", exact=True).select_option("en")
    page.get_by_role("dialog", name="Changer de langue maintenant ?").get_by_role("button", name="Changer de langue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New opportunity")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert saved_language(DEMO_OWNER, base_url) == "en"
    expect(page.get_by_role("link", name="Customise")).to_be_visible()
    # Money and dates follow the chosen language, with the browser's region for it.
    french.go("opportunities")
    expect(page.get_by_role("row").filter(has_text=DEAL)).to_contain_text("$")


def test_english_browser_unchanged(workspace):
    page = workspace.open("opportunities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    expect(page.get_by_label("Language")).to_have_value("")
    expect(page.get_by_role("columnheader", name="Expected revenue")).to_be_visible()


def test_the_sign_in_screen_and_the_redirect_page_in_a_french_browser(browser, entra, axe):
    """Before anyone signs in, the workspace speaks the browser's language (Entra mode's sign-in screen);
    the redirect page, which loads no catalogue, is said in French by the server."""
    session = EntraSession(browser, entra, viewport=WIDE, timeout_ms=TIMEOUT_MS, locale="fr-FR")
    try:
        page = session.open()
        expect(page.locator("main h1")).to_have_text("Connexion à Dealpane")
        expect(page.get_by_role("button", name="Se connecter", exact=True)).to_be_visible()
        in_french(page, axe)

        page.goto(f"{entra.base_url}/workspace/auth-redirect.html")  # opened without an answer from Entra
        assert page.evaluate("() => document.documentElement.lang") == "fr"
        expect(page.locator("h1")).to_have_text("Connexion à Dealpane")
        expect(page.locator("#status")).to_have_text(
            re.compile(r"^Cette page ne fait que terminer une connexion à Dealpane\. \(.+\)$"))
        assert not english_left(page, "fr")
        assert not session.errors, session.errors
        assert not session.csp, session.csp
    finally:
        session.close()
