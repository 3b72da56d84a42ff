"""CSV in French: export in the request's language (French headers and type words, columns separated by
semicolons, decimal commas, dates DD/MM/YYYY), import of French headers (any case, either apostrophe),
French numbers and dates, mixed headers refused, messages and columns of the report in French, and the
round trip French export -> import."""
from __future__ import annotations

import csv
import io

import pytest

from .conftest import MEMBER, OWNER, Api
from .test_transfer import _everything, csv_text, import_csv

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture
def app(app):
    if "transfer" not in app.blueprints:
        from addin.api.transfer import bp  # noqa: PLC0415

        app.register_api(bp)
    return app


def french_workspace(client, name: str = "Ventes") -> Api:
    owner = Api(client, OWNER)
    owner.ws = owner.ok(owner.post("/api/v1/workspaces", {"name": name, "currency": "EUR"}, headers=FRENCH), 201)["id"]
    owner.ok(owner.post("/members", {"email": MEMBER, "role": "member"}), 201)
    return owner


def export_fr(api: Api, kind: str) -> tuple[str, list[dict]]:
    response = api.get(f"/export/{kind}.csv", headers=FRENCH)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Language"] == "fr"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return text, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def fr_import(api: Api, kind: str, text: str, *, dry_run: bool):
    return api.post(f"/import/{kind}?dry_run={'true' if dry_run else 'false'}", {"csv": text}, headers=FRENCH)


def _fill(api: Api) -> dict:
    lefevre = api.make_account(name="Maison Lefèvre SA", email_domains=["lefevre.example"], phone="+33 1 99 00 12 34",
                               address="12 rue de la Paix\n75002 Paris", categories=["Grand compte"])
    camille = api.make_contact(display_name="Camille Lefèvre", email_addresses=["camille@lefevre.example"],
                               account_id=lefevre["id"], job_title="Responsable des achats")
    members = {m["email"]: m["user_id"] for m in api.ok(api.get("/members"))["items"]}
    deal = api.make_opportunity(
        title="Maison Lefèvre – 50 postes", link={"type": "account", "id": lefevre["id"]}, type="Nouvelle affaire",
        payment_terms="30 jours net", source="Salon professionnel", probability=60, close_date="2030-12-18",
        expiration_date="2030-11-30", initiated_by={"type": "contact", "id": camille["id"]},
        reminder_at="2030-12-01T09:30:00+01:00", comments="Déploiement en deux temps ; siège d’abord.",
        assigned_to=members[MEMBER], stage_id=api.stage("Proposition")["id"], categories=["Grand compte"],
        lines=[{"name": "Licence", "unit_price": "1234.56", "quantity": "1.5", "discount_percent": "12.5"}])
    return {"account": lefevre, "contact": camille, "deal": deal}


def test_export_with_accept_language_fr_is_a_french_spreadsheet(client):
    api = french_workspace(client)
    _fill(api)
    text, rows = export_fr(api, "opportunities")
    header = text.removeprefix("\ufeff").split("\r\n", 1)[0]
    assert header.startswith("ID de l’opportunité;Titre de l’opportunité;Liée à (type);Liée à;Affecté à;Type;"
                             "Étape de vente;Probabilité;Date de clôture;Conditions de paiement;")
    (row,) = rows
    assert (row["Liée à (type)"], row["Liée à"], row["Étape de vente"]) == ("Compte", "Maison Lefèvre SA", "Proposition")
    assert (row["Initiée par (type)"], row["Initiée par"]) == ("Contact professionnel", "Camille Lefèvre")
    assert (row["Date de clôture"], row["Date d’expiration"], row["Date de livraison"]) == ("18/12/2030", "30/11/2030", "")
    assert (row["Quantité"], row["Prix unitaire"], row["Remise (%)"]) == ("1,5", "1234,56", "12,5")
    assert (row["Total de la ligne"], row["Total"], row["Chiffre d’affaires prévu"]) == ("1620,36", "1620,36", "972,22")
    assert row["Conditions de paiement"] == "30 jours net" and row["Probabilité"] == "60"
    _, accounts = export_fr(api, "accounts")
    assert list(accounts[0]) == ["Nom du compte", "Domaines de messagerie", "Téléphone (bureau)",
                                 "Adresse de la page Web", "Adresse (bureau)", "Catégories"]
    _, contacts = export_fr(api, "contacts")
    assert (contacts[0]["Nom complet"], contacts[0]["Compte"]) == ("Camille Lefèvre", "Maison Lefèvre SA")
    # without Accept-Language: English, as before, in the same (French) workspace
    english = api.get("/export/accounts.csv").get_data(as_text=True).removeprefix("\ufeff")
    assert english.startswith("Account Name,E-mail Domains,Business Phone,")


def test_french_headers_numbers_and_dates_are_imported(client):
    api = french_workspace(client)
    api.make_account(name="Cycles Durand")
    api.make_product(name="Atelier de prise en main", unit_price="1400.00")
    text = csv_text([
        ["id de l'opportunité", "TITRE DE L’OPPORTUNITÉ", "Liée à (type)", "Liée à", "Étape de vente", "Probabilité",
         "Date de clôture", "Conditions de paiement", "Rappel", "Produit ou service", "Quantité", "Prix unitaire",
         "Remise (%)"],
        ["a", "Cycles Durand – pilote", "Compte", "Cycles Durand", "Qualification", "30\u00a0%", "18/12/2030",
         "60 jours net", "01/12/2030 14:30", "Atelier de prise en main", "2", "1\u202f234,56", "12,5 %"],
        ["a", "", "", "", "", "", "", "", "", "Déplacement", "1,5", "1 000", "0"],
        ["", "Cycles Durand – support", "Contact professionnel", "Sophie", "", "", "2030-12-31", "", "", "", "", "",
         ""],
    ])
    api.make_contact(display_name="Sophie")
    report = api.ok(fr_import(api, "opportunities", text, dry_run=False))
    assert report["ok"] and report["imported"] == 2, report
    pilot = api.ok(api.get(f"/opportunities/{report['records'][0]['id']}"))
    assert (pilot["stage_name"], pilot["probability"], pilot["close_date"]) == ("Qualification", 30, "2030-12-18")
    assert pilot["payment_terms"] == "60 jours net"
    assert pilot["reminder_at"].startswith("2030-12-01T14:30:00")  # the importer's time zone (UTC here)
    assert [(li["name"], li["quantity"], li["unit_price"], li["discount_percent"]) for li in pilot["lines"]] == [
        ("Atelier de prise en main", "2", "1234.56", "12.5"), ("Déplacement", "1.5", "1000.00", "0")]
    support = api.ok(api.get(f"/opportunities/{report['records'][1]['id']}"))
    assert support["link"]["type"] == "contact" and support["close_date"] == "2030-12-31"


def test_the_report_names_the_files_columns_and_speaks_the_requests_language(client):
    api = french_workspace(client)
    api.make_account(name="Jouets Bertin")
    text = "\r\n".join([
        "Titre de l’opportunité;Liée à (type);Liée à;Étape de vente;Date de clôture;Quantité;Produit ou service",
        "Bon;Compte;Jouets Bertin;Proposition;31/12/2030;;",
        "Mauvais;Client;Jouets Bertin;Marchandage;31/02/2030;1,234.5;Licence",
    ])
    report = api.ok(fr_import(api, "opportunities", text, dry_run=True))
    good, bad = report["records"]
    assert good["status"] == "ok"
    wrong = {e["column"]: e["message"] for e in bad["errors"]}
    assert set(wrong) == {"Liée à (type)", "Étape de vente", "Date de clôture", "Quantité"}
    assert wrong["Étape de vente"] == "aucune étape de vente ne s’appelle « Marchandage »"
    assert wrong["Date de clôture"] == "« 31/02/2030 » n’est pas une date (écrivez-la JJ/MM/AAAA ou AAAA-MM-JJ)"
    assert wrong["Liée à (type)"] == "« Client » n’est pas l’une de ces valeurs : Compte, Contact professionnel"
    assert "n’est pas un nombre" in wrong["Quantité"]
    # the same file, the report in English: the columns stay as the file names them
    english = api.ok(api.post("/import/opportunities?dry_run=true", {"csv": text}))
    messages = {e["column"]: e["message"] for e in english["records"][1]["errors"]}
    assert messages["Étape de vente"] == "no sales stage is named 'Marchandage'"
    response = fr_import(api, "opportunities", text, dry_run=False)
    assert response.status_code == 422
    body = response.get_json()
    assert body["title"] == "Contenu non traitable"
    assert body["detail"].startswith("Rien n’a été importé : 1 enregistrement sur 2 comporte des erreurs")


def test_a_header_mixing_languages_is_refused_clearly(client):
    api = french_workspace(client)
    text = csv_text([["Nom du compte", "E-mail Domains"], ["Cycles Durand", "cycles-durand.example"]])
    response = fr_import(api, "accounts", text, dry_run=True)
    assert response.status_code == 422
    body = response.get_json()
    assert "Nom du compte" in body["detail"] and "E-mail Domains" in body["detail"]
    assert "une seule langue" in body["detail"]
    english = api.post("/import/accounts?dry_run=true", {"csv": text}).get_json()
    assert "name every column in one language" in english["detail"]
    unknown = fr_import(api, "accounts", csv_text([["Nom du compte", "Surnom"], ["X", "Y"]]), dry_run=True)
    assert "la colonne « Surnom » n’est pas une colonne des comptes" in unknown.get_json()["detail"]
    missing = fr_import(api, "contacts", csv_text([["Fonction"], ["DAF"]]), dry_run=True)
    assert "la colonne « Nom complet » est obligatoire" in missing.get_json()["detail"]


def test_an_english_file_keeps_reading_as_before(client):
    api = french_workspace(client)
    api.make_account(name="Contoso")
    text = csv_text([
        ["Opportunity ID", "Opportunity Title", "Link To Type", "Link To", "Close Date", "Product or Service",
         "Quantity", "Unit Price"],
        ["a", "Ambiguous", "Account", "Contoso", "12/11/2030", "Seats", "1,234", "10"],
        ["b", "Clear", "Account", "Contoso", "2030-11-12", "Seats", "12,5", "1 234,56"],
    ])
    report = api.ok(import_csv(api, "opportunities", text, dry_run=True))
    ambiguous, clear = report["records"]
    assert {e["column"] for e in ambiguous["errors"]} == {"Close Date", "Quantity"}  # 1,234 and 12/11 as before
    assert clear["status"] == "ok"
    created = api.ok(import_csv(api, "opportunities", csv_text([text.splitlines()[0].split(","),
                                                                ["b", "Clear", "Account", "Contoso", "2030-11-12",
                                                                 "Seats", "12,5", "1 234,56"]]), dry_run=False))
    line = api.ok(api.get(f"/opportunities/{created['records'][0]['id']}"))["lines"][0]
    assert (line["quantity"], line["unit_price"]) == ("12.5", "1234.56")


def test_a_french_export_imports_back_into_another_french_workspace(client):
    source = french_workspace(client, "Ventes")
    _fill(source)
    source.make_opportunity(title="Sans lignes", link={"type": "account", "id": _first(source, "/accounts")})
    files = {kind: export_fr(source, kind)[0] for kind in ("accounts", "contacts", "opportunities")}

    copy = french_workspace(client, "Copie")
    for kind in ("accounts", "contacts", "opportunities"):
        dry = copy.ok(fr_import(copy, kind, files[kind], dry_run=True))
        assert dry["ok"], dry
        copy.ok(fr_import(copy, kind, files[kind], dry_run=False))

    assert _everything(copy) == _everything(source)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "ID de l’opportunité"} for r in rows]  # noqa: E731
    assert strip(export_fr(copy, "opportunities")[1]) == strip(export_fr(source, "opportunities")[1])


def _first(api: Api, path: str) -> str:
    return api.ok(api.get(path))["items"][0]["id"]
