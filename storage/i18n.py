"""Dealpane's languages: the server's message catalogues and the language a request or workspace uses.

One folder per language holds everything said in it (adding a language is adding a folder):
- `storage/locales/<lang>/LC_MESSAGES/*.po` — the server's words, one file per area (messages.po: the
  API's problem+json titles and details and field messages; workspace.po: what a new workspace starts
  with; transfer.po: CSV headers; pages.po: the print page; manifest.po: the add-in's name and labels),
  read with Babel and merged into one catalogue per language (plural forms from messages.po's header);
- `storage/locales/<lang>/{common,pane,workspace}.json` — the pane's and the workspace's words, by key
  (ICU MessageFormat, formatted by intl-messageformat in the browser: addin/shared/i18n.js); the pages
  fetch them merged from `/pane/i18n/<lang>.json` and `/workspace/i18n/<lang>.json` (addin/pages.py).
English is the source language: `make messages` extracts every msgid from the code and adds the new ones
to each language's messages.po; the English catalogue leaves them untranslated, the French one
translates every one, and a msgid lives in one file only (tests/i18n checks all of it).

Code marks a sentence with `_()` (or `ngettext()` when it counts something) and gets a `Text`: a `str`
that reads in English (logs, tests, the CLI) and keeps its msgid and parameters, so the API can say it
again in the request's language (`translate(text, "fr")`). Parameters use Python's `%(name)s` form,
which Babel's catalogue checks hold the translations to.

Nothing is read at import time: catalogues are loaded on first use and kept (they change only with a
deployment).
"""
from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

LOCALES_DIR = Path(__file__).with_name("locales")
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The language tag each language is announced with where a region is wanted (Office manifests,
# Intl in the browser): https://learn.microsoft.com/javascript/api/manifest/override#override-element-for-localetokentype
REGION_TAGS = {"en": "en-US", "fr": "fr-FR"}


class Text(str):
    """A sentence to show a person: reads in English as a `str`, and says again in another language
    what it was made from (`translate`)."""

    msgid: str
    plural: str | None
    n: int | None
    params: Mapping[str, object]

    def __new__(cls, msgid: str, params: Mapping[str, object] | None = None, plural: str | None = None,
                n: int | None = None) -> "Text":
        params = dict(params or {})
        template = plural if (plural is not None and n != 1) else msgid
        said = _format(template, params)
        self = super().__new__(cls, template if said is None else said)
        self.msgid, self.plural, self.n, self.params = msgid, plural, n, params
        return self

    def __reduce__(self):  # pickling keeps the msgid (multiprocessing, caches)
        return (Text, (self.msgid, self.params, self.plural, self.n))

    def in_language(self, language: str) -> str:
        translations = catalogue(language)
        if translations is None:
            return str(self)
        if self.plural is not None:
            template = translations.ngettext(self.msgid, self.plural, self.n if self.n is not None else 1)
        else:
            template = translations.gettext(self.msgid)
        params = {key: translate(value, language) for key, value in self.params.items()}
        said = _format(template, params)
        # A translation whose placeholders do not match (tests/unit/test_server_catalogue.py forbids it)
        # says the sentence in English rather than fail the request.
        return said if said is not None else str(self)


def to_data(value: object) -> object:
    """A Text as JSON-able data ({"msgid", "params", "plural", "n"}, Text parameters nested), so that a
    sentence stored now can be said later in the reader's language; anything else as it is."""
    if isinstance(value, Text):
        return {"msgid": value.msgid, "params": {k: to_data(v) for k, v in value.params.items()},
                "plural": value.plural, "n": value.n}
    return value if isinstance(value, (int, float, bool)) or value is None else str(value)


def from_data(data: object) -> object:
    """The Text `to_data` made (or the plain value)."""
    if isinstance(data, dict) and isinstance(data.get("msgid"), str):
        params = {k: from_data(v) for k, v in (data.get("params") or {}).items()}
        return Text(data["msgid"], params, plural=data.get("plural"), n=data.get("n"))
    return data


def _(msgid: str, /, **params: object) -> Text:
    """A sentence for people: `_("Stage %(name)s is built in.", name=stage.name)`."""
    return Text(msgid, params)


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> Text:
    """A sentence that counts: `ngettext("%(n)s row", "%(n)s rows", count, n=count)`."""
    return Text(singular, params, plural=plural, n=n)


def N_(msgid: str, /) -> str:
    """Marks a word for the catalogue without making a Text (default lists, column headers): it is
    translated where it is used, with `word(msgid, language)`."""
    return msgid


def word(msgid: str, language: str | None, context: str | None = None) -> str:
    """One marked word or sentence (N_) in `language`; English when the language has no catalogue."""
    translations = catalogue(language) if language else None
    if translations is None:
        return msgid
    return translations.pgettext(context, msgid) if context else translations.gettext(msgid)


def translate(value: object, language: str | None) -> object:
    """`value` in `language` if it is a Text; anything else as it is."""
    if isinstance(value, Text) and language:
        return value.in_language(language)
    return value


def _format(template: str, params: Mapping[str, object]) -> str | None:
    """`template` with its %(name)s placeholders filled; None when they do not fit `params`."""
    if not params:
        return template
    try:
        return template % params
    except (KeyError, ValueError, TypeError):
        return None


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages Dealpane speaks: one per folder of storage/locales with a catalogue, English first."""
    found = sorted(p.name for p in LOCALES_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    return tuple(sorted(found, key=lambda lang: lang != SOURCE_LANGUAGE))


def region_tag(language: str) -> str:
    """'fr' -> 'fr-FR' (the tag Office manifests and Intl use)."""
    return REGION_TAGS.get(language, language)


def supported(language: str | None) -> str | None:
    """'fr', 'fr-FR', 'FR_ca' -> 'fr' when Dealpane speaks it; None otherwise."""
    if not language:
        return None
    base = language.replace("_", "-").split("-")[0].strip().lower()
    return base if base in languages() else None


def best_language(preferred: Iterable[str], default: str = SOURCE_LANGUAGE) -> str:
    """The first of `preferred` (tags, most wanted first) Dealpane speaks; `default` if none."""
    for tag in preferred:
        found = supported(tag)
        if found:
            return found
    return default


UI_PARTS = ("common", "pane", "workspace")


@functools.cache
def ui_messages(language: str, parts: tuple[str, ...]) -> dict[str, str]:
    """The pane's or the workspace's messages in `language` (key -> ICU message), English underneath
    so that a key a translation lacks still reads (tests/i18n fails on any such key)."""
    import json  # noqa: PLC0415

    merged: dict[str, str] = {}
    for lang in dict.fromkeys((SOURCE_LANGUAGE, language)):
        for part in parts:
            path = LOCALES_DIR / lang / f"{part}.json"
            if path.is_file():
                merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def po_files(language: str) -> list[Path]:
    """The language's .po files, messages.po (whose header gives the plural forms) first."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: (p.name != f"{DOMAIN}.po", p.name))


@functools.cache
def catalogue(language: str):
    """The language's compiled catalogue (babel.support.Translations), or None if it has none."""
    from babel.messages.mofile import write_mo  # noqa: PLC0415 - Babel only once a sentence is translated
    from babel.messages.pofile import read_po  # noqa: PLC0415
    from babel.support import Translations  # noqa: PLC0415

    if language not in languages():
        return None
    merged = None
    for path in po_files(language):
        with path.open("rb") as po:
            parsed = read_po(po, locale=language, domain=DOMAIN)
        if merged is None:
            merged = parsed
        else:
            for message in parsed:
                if message.id:
                    merged.add(message.id, message.string, context=message.context, flags=message.flags)
    compiled = io.BytesIO()
    write_mo(compiled, merged, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
