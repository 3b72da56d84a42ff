"""storage/i18n.py: Texts that read in English and say themselves again in another language, the choice
of language, catalogues merged per folder, and a third language added as one folder."""
from __future__ import annotations

import json
import pickle
import shutil

import pytest

from storage import i18n
from storage.i18n import Text, _, best_language, ngettext, supported, translate, word

FRENCH_PO = '''msgid ""
msgstr ""
"Language: fr\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "Stage %(name)s is built in."
msgstr "L’étape %(name)s est prédéfinie."

msgid "%(n)s row"
msgid_plural "%(n)s rows"
msgstr[0] "%(n)s ligne"
msgstr[1] "%(n)s lignes"

msgid "Closed Won"
msgstr "Fermée gagnée"
'''
OTHER_PO = '''msgid ""
msgstr ""
"Language: fr\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Prospecting"
msgstr "Prospection"

msgid "Bad value %(value)s"
msgstr "Valeur incorrecte %(missing)s"
'''


@pytest.fixture()
def locales(tmp_path, monkeypatch):
    """A locales folder of our own: English (source), French in two files."""
    for lang in ("en", "fr"):
        (tmp_path / lang / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "en" / "LC_MESSAGES" / "messages.po").write_text('msgid ""\nmsgstr ""\n"Language: en\\n"\n')
    (tmp_path / "fr" / "LC_MESSAGES" / "messages.po").write_text(FRENCH_PO, encoding="utf-8")
    (tmp_path / "fr" / "LC_MESSAGES" / "workspace.po").write_text(OTHER_PO, encoding="utf-8")
    (tmp_path / "en" / "common.json").write_text(json.dumps({"common.save": "Save", "common.cancel": "Cancel"}))
    (tmp_path / "fr" / "common.json").write_text(json.dumps({"common.save": "Enregistrer"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    _clear()
    yield tmp_path
    _clear()


def _clear():
    i18n.languages.cache_clear()
    i18n.catalogue.cache_clear()
    i18n.ui_messages.cache_clear()


def test_a_text_reads_in_english_and_again_in_french(locales):
    text = _("Stage %(name)s is built in.", name="Closed Won")
    assert text == "Stage Closed Won is built in." and isinstance(text, str)
    assert translate(text, "fr") == "L’étape Closed Won est prédéfinie."
    assert translate(text, "en") == "Stage Closed Won is built in."
    assert translate("plain", "fr") == "plain"  # not a Text: as it is


def test_parameters_that_are_texts_are_translated_too(locales):
    inner = _("Closed Won")
    assert translate(_("Stage %(name)s is built in.", name=inner), "fr") == "L’étape Fermée gagnée est prédéfinie."


def test_plurals_follow_the_language_rules(locales):
    # French says "1 ligne", "0 ligne" (CLDR: one covers 0 and 1); English "0 rows".
    assert translate(ngettext("%(n)s row", "%(n)s rows", 0, n=0), "fr") == "0 ligne"
    assert ngettext("%(n)s row", "%(n)s rows", 0, n=0) == "0 rows"
    assert translate(ngettext("%(n)s row", "%(n)s rows", 2, n=2), "fr") == "2 lignes"
    assert ngettext("%(n)s row", "%(n)s rows", 1, n=1) == "1 row"


def test_every_po_file_of_a_language_is_read(locales):
    assert word("Prospecting", "fr") == "Prospection"
    assert word("Prospecting", "en") == "Prospecting"
    assert word("Prospecting", "xx") == "Prospecting"


def test_a_translation_with_wrong_placeholders_falls_back_to_english_not_an_error(locales):
    assert translate(_("Bad value %(value)s", value="x"), "fr") == "Bad value x"


def test_a_text_survives_pickling(locales):
    text = pickle.loads(pickle.dumps(_("Stage %(name)s is built in.", name="X")))
    assert isinstance(text, Text) and translate(text, "fr") == "L’étape X est prédéfinie."


def test_which_language(locales):
    assert supported("fr-CA") == "fr" and supported("FR_fr") == "fr" and supported("de") is None
    assert best_language(["de-DE", "fr-FR", "en"]) == "fr"
    assert best_language(["de-DE"]) == "en"
    assert best_language([]) == "en"


def test_ui_messages_have_english_underneath(locales):
    assert i18n.ui_messages("fr", ("common",)) == {"common.save": "Enregistrer", "common.cancel": "Cancel"}


def test_a_third_language_is_one_folder(locales):
    """Adding German is adding storage/locales/de/ (its .po and its .json files): nothing else."""
    assert i18n.languages() == ("en", "fr")
    shutil.copytree(locales / "fr", locales / "de")
    po = locales / "de" / "LC_MESSAGES" / "messages.po"
    po.write_text(FRENCH_PO.replace("Language: fr", "Language: de").replace("Fermée gagnée", "Gewonnen"),
                  encoding="utf-8")
    _clear()
    assert set(i18n.languages()) == {"en", "fr", "de"} and i18n.languages()[0] == "en"
    assert word("Closed Won", "de") == "Gewonnen"
    assert best_language(["de-AT"]) == "de"


def test_the_real_catalogues_load():
    _clear()
    assert i18n.languages()[0] == "en" and "fr" in i18n.languages()
    assert i18n.catalogue("fr") is not None
    assert word("Not found", "fr") != "Not found"
