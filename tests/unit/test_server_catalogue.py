"""Every sentence the server marks (storage/, graph_sync/, addin/: `_()`, `ngettext()`, `N_()`, the
templates' gettext) is in the English and the French catalogues, the French one translating it with the
same python-format placeholders; and a msgid lives in one .po file of a language only.

The msgids are extracted as `make messages` does (storage/locales/babel.cfg, Babel's default keywords
plus N_ and ngettext:1,2). A failure lists each missing msgid with where the code says it."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.checkers import python_format
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from storage.i18n import LOCALES_DIR, languages, po_files

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("storage", "graph_sync", "addin")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "ngettext": (1, 2)}
Key = tuple[str, str | None]  # (msgid, msgctxt)


def _marked() -> dict[Key, list[str]]:
    """(msgid, context) -> ["storage/services/crm.py:53", ...] for every marked message of SOURCES."""
    with (LOCALES_DIR / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)

    def wanted(path: str) -> bool:  # walk the source folders only (not .venv, node_modules, ...)
        relative = Path(path).resolve().relative_to(ROOT).parts
        return not relative or relative[0] in SOURCES

    found: dict[Key, list[str]] = defaultdict(list)
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=wanted):
        if filename.split("/")[0] not in SOURCES:
            continue
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found[(msgid, context)].append(f"{filename}:{lineno}")
    return dict(found)


@pytest.fixture(scope="module")
def marked() -> dict[Key, list[str]]:
    found = _marked()
    assert len(found) > 100, "the extraction found almost nothing: is babel.cfg read?"
    return found


def _catalogues(language: str) -> dict[Path, Catalog]:
    result = {}
    for path in po_files(language):
        with path.open("rb") as po:
            result[path] = read_po(po, locale=language)
    return result


def _entries(language: str) -> dict[Key, list[tuple[Path, Message]]]:
    entries: dict[Key, list[tuple[Path, Message]]] = defaultdict(list)
    for path, catalogue in _catalogues(language).items():
        for message in catalogue:
            if message.id:
                msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
                entries[(msgid, message.context)].append((path, message))
    return entries


def _report(missing: dict[Key, list[str]], where: str) -> str:
    lines = [f"{len(missing)} marked message(s) missing from {where}:"]
    for (msgid, context), places in sorted(missing.items(), key=lambda item: item[1][0]):
        shown = f"[{context}] {msgid!r}" if context else repr(msgid)
        lines.append(f"  {shown}  ({', '.join(places[:3])}{', ...' if len(places) > 3 else ''})")
    return "\n".join(lines)


# What says a sentence to a person through the API: the domain errors (and their field errors), a
# service's Problems.add / RuleViolation.on, addin.errors.problem, AuthError and SendFailed.
SAYING = {"BadInput", "Conflict", "Forbidden", "NotFound", "RuleViolation", "VersionMismatch", "DomainError",
          "NotTheSameMessage", "AuthError", "SendFailed"}


def _said_literally(tree: ast.AST):
    """The calls of `tree` that give a sentence as a plain string or f-string instead of a Text."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else None
        if name in SAYING:
            said = node.args[:1]
        elif name == "FieldError" or name == "on" or name == "problem" or (
                name == "add" and isinstance(node.func, ast.Attribute)
                and getattr(node.func.value, "id", None) == "problems"):
            said = node.args[1:2]
        else:
            continue
        for argument in said:
            plain = isinstance(argument, ast.Constant) and isinstance(argument.value, str) and argument.value
            if plain or isinstance(argument, ast.JoinedStr):
                yield node.lineno, ast.unparse(argument)


def test_no_sentence_is_said_without_the_catalogue():
    """A plain "..." or f"..." given to an error or a problem would reach people in English only."""
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for lineno, text in _said_literally(ast.parse(path.read_text(encoding="utf-8"))):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {text[:90]}")
    assert not found, "sentences not marked with _() / ngettext():\n" + "\n".join(found)


def test_the_literal_scan_sees_a_plain_sentence():
    tree = ast.parse('raise NotFound("No such thing.")\nproblems.add("name", f"is {x}")\n'
                     'raise NotFound(_("No such thing."))\nproblem(404, _("Gone"))')
    assert [line for line, _text in _said_literally(tree)] == [1, 2]


def test_languages_have_catalogues():
    assert languages()[:1] == ("en",) and "fr" in languages()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_marked_message_is_in_the_catalogue(marked, language):
    entries = _entries(language)
    missing = {key: places for key, places in marked.items() if key not in entries}
    assert not missing, _report(missing, f"storage/locales/{language}/LC_MESSAGES/*.po")


def test_french_translates_every_marked_message(marked):
    entries = _entries("fr")
    untranslated = {}
    for key, places in marked.items():
        for _path, message in entries.get(key, []):
            strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            if not all(strings) or message.fuzzy:
                untranslated[key] = places
    assert not untranslated, _report(untranslated, "the French catalogue's translations (empty or fuzzy msgstr)")


def test_english_is_the_source():
    """English .po files leave msgstr empty (the msgid is the English) or say it again."""
    for key, found in _entries("en").items():
        for path, message in found:
            strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
            assert all(not s or s in ids for s in strings), (path.name, key, message.string)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_message_lives_in_one_file(language):
    twice = {key: sorted(p.name for p, _m in found) for key, found in _entries(language).items() if len(found) > 1}
    assert not twice, f"msgids in more than one {language} .po file: {twice}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_placeholders_match(language):
    """Babel's python-format checker: each translation uses the msgid's %(name)s placeholders."""
    problems = []
    for path, catalogue in _catalogues(language).items():
        for message in catalogue:
            if not message.id or not message.string:
                continue
            try:
                python_format(catalogue, message)
            except Exception as error:  # noqa: BLE001 - babel's TranslationError, reported with its message
                problems.append(f"{path.name}: {message.id!r}: {error}")
    assert not problems, "\n".join(problems)


def test_python_format_flag_where_placeholders_are(marked):
    """Every French message with %(name)s placeholders is flagged python-format, so the checker sees it."""
    unflagged = []
    for (msgid, _context), found in _entries("fr").items():
        for path, message in found:
            ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
            if any("%(" in i for i in ids) and "python-format" not in message.flags:
                unflagged.append(f"{path.name}: {msgid!r}")
    assert not unflagged, "\n".join(unflagged)
