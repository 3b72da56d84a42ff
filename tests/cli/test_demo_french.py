"""`dealpane demo --lang fr`: a French demo workspace (« Démo »: French stages, lists and data, EUR); `--lang en`
(the default) is the English Demo as before, and a language the demo does not speak is refused."""
from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from addin.cli import main
from storage.demo import DEMO_OWNER, seed_demo
from storage.models import Account, Contact, HistoryItem, Opportunity, Product, SalesStage, User

from .test_cli import DemoRun

FRENCH_STAGES = ["Prospection", "Qualification", "Analyse des besoins", "Proposition", "Négociation",
                 "Fermée gagnée", "Fermée perdue"]


def test_the_french_demo_has_french_stages_lists_and_data(session):
    workspace, created = seed_demo(session, language="fr")
    session.commit()
    assert created and (workspace.name, workspace.currency, workspace.language) == ("Démo", "EUR", "fr")
    stages = session.scalars(sa.select(SalesStage).where(SalesStage.workspace_id == workspace.id)
                             .order_by(SalesStage.position)).all()
    assert [s.name for s in stages] == FRENCH_STAGES
    opportunities = session.scalars(sa.select(Opportunity).where(Opportunity.workspace_id == workspace.id)).all()
    assert len(opportunities) == 12
    by_title = {o.title: o for o in opportunities}
    won = by_title["Maison Lefèvre – support premium"]
    lost = by_title["Vignobles Rousseau – module d’analyse"]
    assert (won.stage.outcome, won.probability, lost.stage.outcome, lost.probability) == ("won", 100, "lost", 0)
    assert {o.type for o in opportunities} <= {"Nouvelle affaire", "Client existant", "Renouvellement"}
    assert {o.source for o in opportunities} <= {"Publicité", "Campagne d’e-mails", "Salon professionnel",
                                                 "Site web", "Recommandation", "Démarchage téléphonique"}
    assert {o.payment_terms for o in opportunities} == {"30 jours net"}
    assert "Camille" in by_title["Maison Lefèvre – 50 postes"].comments
    names = lambda cls: set(session.scalars(sa.select(cls.name).where(cls.workspace_id == workspace.id)))  # noqa: E731
    assert "Maison Lefèvre SA" in names(Account) and "Atelier de prise en main" in names(Product)
    assert "Élise Rousseau" in set(session.scalars(sa.select(Contact.display_name)))
    calls = session.scalars(sa.select(HistoryItem.subject).where(HistoryItem.workspace_id == workspace.id)).all()
    assert calls and all(c.startswith("Appel au sujet de ") for c in calls)
    # the demo team reads it in French, whatever its browsers say
    assert session.scalar(sa.select(User.language).where(User.email == DEMO_OWNER)) == "fr"


def test_the_french_demo_is_seeded_once_beside_the_english_one(session):
    english, _ = seed_demo(session)
    french, created = seed_demo(session, language="fr")
    again, created_again = seed_demo(session, language="fr")
    session.commit()
    assert created and not created_again and again.id == french.id != english.id
    closed = session.scalars(sa.select(SalesStage.name).where(SalesStage.workspace_id == english.id,
                                                              SalesStage.outcome.is_not(None))).all()
    assert sorted(closed) == ["Closed Lost", "Closed Won"]
    assert english.language == "en" and english.currency == "USD"


def test_dealpane_demo_lang_fr_serves_a_french_workspace(tmp_path):
    with DemoRun(tmp_path / "demo-fr.sqlite3", "--lang", "fr") as demo:
        me = demo.me
        assert me["user"]["language"] == "fr"
        (workspace,) = me["workspaces"]
        assert (workspace["name"], workspace["currency"], workspace["language"]) == ("Démo", "EUR", "fr")
        base = f"/api/v1/workspaces/{workspace['id']}"
        assert [s["name"] for s in demo.get(f"{base}/sales-stages")["items"]] == FRENCH_STAGES
        assert demo.get(f"{base}/lists/payment_terms")["values"] == ["Paiement à réception", "15 jours net",
                                                                     "30 jours net", "60 jours net"]
        titles = {o["title"] for o in demo.get(f"{base}/opportunities?limit=500")["items"]}
        assert "Transports Moreau – déploiement national" in titles and len(titles) == 12
    assert "seeded: the Démo workspace, fr" in demo.output


def test_a_language_the_demo_does_not_speak_is_refused_before_anything_starts(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--lang", "de", "--db", str(tmp_path / "x.sqlite3")])
    assert result.exit_code == 2 and "the demo speaks en, fr" in result.output
    assert not (tmp_path / "x.sqlite3").exists()
