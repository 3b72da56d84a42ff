"""The pane's and the workspace's catalogues (storage/locales/<lang>/{common,pane,workspace}.json) are
complete in every language, parse as ICU MessageFormat, and cover every key the pages use.

Messages are parsed by @formatjs/icu-messageformat-parser (npm), the parser intl-messageformat itself
bundles (addin/shared/i18n.js), in Node: a message the browser could not format fails here.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from storage.i18n import LOCALES_DIR, UI_PARTS, languages

REPO = Path(__file__).resolve().parents[2]
# Where each part's keys are used: the page's modules and markup.
SOURCES = {
    "common": [REPO / "addin" / "shared"],
    "pane": [REPO / "addin" / "pane" / "static", REPO / "addin" / "pane" / "templates"],
    "workspace": [REPO / "addin" / "workspace" / "static"],
}
KEY_USE = re.compile(r"""\bt\(\s*["'`]([a-z][\w.-]*)["'`]|data-i18n(?:-[a-z-]+)?=["']([a-z][\w.-]*)["']""")
# A key built in code: t(`workspace.kind.${kind}`) uses every key under "workspace.kind.".
KEY_PREFIX_USE = re.compile(r"""\bt\(\s*`([a-z][\w.-]*\.)\$\{""")
# Keys named in a list or map for t() to look up later ("workspace.kind.account" in an object), in JS.
QUOTED_KEY = re.compile(r"""["']((?:common|pane|workspace)\.[\w.-]+)["']""")
FILE_NAME = re.compile(r"\.(css|js|mjs|png|svg|html|json)$")
JS_COMMENT = re.compile(r"/\*.*?\*/|(?<![:\\\w])//[^\n]*", re.S)

_PARSE = r"""
import { parse, TYPE } from "@formatjs/icu-messageformat-parser";
const input = JSON.parse(await new Promise((resolve) => { let s = ""; process.stdin.on("data", (d) => s += d); process.stdin.on("end", () => resolve(s)); }));
const out = {};
function walk(elements, args) {
  for (const el of elements) {
    if ([TYPE.argument, TYPE.number, TYPE.date, TYPE.time, TYPE.select, TYPE.plural].includes(el.type)) args.add(el.value);
    if (el.type === TYPE.select || el.type === TYPE.plural) {
      if (!("other" in el.options)) throw new Error(`"${el.value}" has no "other" case`);
      for (const option of Object.values(el.options)) walk(option.value, args);
    }
    if (el.type === TYPE.tag) walk(el.children, args);
  }
}
for (const [key, message] of Object.entries(input)) {
  try { const args = new Set(); walk(parse(message), args); out[key] = { args: [...args].sort() }; }
  catch (error) { out[key] = { error: String(error.message || error) }; }
}
console.log(JSON.stringify(out));
"""


def catalogue(language: str, part: str) -> dict[str, str]:
    path = LOCALES_DIR / language / f"{part}.json"
    assert path.is_file(), f"{path} is missing"
    return json.loads(path.read_text(encoding="utf-8"))


def parsed(messages: dict[str, str]) -> dict[str, dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: make node")
    done = subprocess.run([node, "--input-type=module", "-e", _PARSE], input=json.dumps(messages), cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("part", UI_PARTS)
def test_every_language_has_every_key_and_only_those(part):
    english = catalogue("en", part)
    assert english, f"the English {part}.json is empty"
    for key in english:
        assert key.startswith(f"{part}."), f"{part}.json: {key} belongs in the {key.split('.')[0]} file"
    for language in languages():
        messages = catalogue(language, part)
        missing = sorted(set(english) - set(messages))
        extra = sorted(set(messages) - set(english))
        empty = sorted(k for k, v in messages.items() if not str(v).strip())
        assert not missing, f"{language}/{part}.json lacks {missing}"
        assert not extra, f"{language}/{part}.json has keys English lacks: {extra}"
        assert not empty, f"{language}/{part}.json has empty messages: {empty}"


@pytest.mark.parametrize("part", UI_PARTS)
def test_messages_parse_and_translations_keep_the_arguments(part):
    english = parsed(catalogue("en", part))
    errors = {k: v["error"] for k, v in english.items() if "error" in v}
    assert not errors, f"en/{part}.json: {errors}"
    for language in languages():
        if language == "en":
            continue
        other = parsed(catalogue(language, part))
        errors = {k: v["error"] for k, v in other.items() if "error" in v}
        assert not errors, f"{language}/{part}.json: {errors}"
        different = {k: (english[k]["args"], other[k]["args"]) for k in english
                     if k in other and english[k]["args"] != other[k]["args"]}
        assert not different, f"{language}/{part}.json: arguments differ from English (en, {language}): {different}"


def test_french_is_typeset_as_french():
    """French catalogues use the typographic apostrophe (an ASCII one starts quoting in ICU)."""
    for part in UI_PARTS:
        for key, message in catalogue("fr", part).items():
            assert "'" not in message, f"fr/{part}.json {key}: use ’ rather than ' ({message!r})"


def _used(part: str) -> tuple[set[str], set[str]]:
    keys, prefixes = set(), set()
    for folder in SOURCES[part]:
        for path in folder.rglob("*"):
            if path.suffix not in (".js", ".html"):
                continue
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".js":
                text = JS_COMMENT.sub(" ", text)
            for match in KEY_USE.finditer(text):
                keys.add(match.group(1) or match.group(2))
            prefixes.update(KEY_PREFIX_USE.findall(text))
            if path.suffix == ".js":
                keys.update(k for k in QUOTED_KEY.findall(text) if not FILE_NAME.search(k))
    return keys, prefixes


def test_every_key_the_pages_use_is_in_the_catalogue():
    known = {key for part in UI_PARTS for key in catalogue("en", part)}
    unknown = {}
    for part in UI_PARTS:
        keys, _prefixes = _used(part)
        for key in sorted(keys - known):
            unknown.setdefault(part, []).append(key)
    assert not unknown, f"keys used but in no catalogue: {unknown}"


def test_every_key_in_the_catalogue_is_used():
    """A key nothing uses is a translation kept for nothing (or a typo in the code's key)."""
    used, prefixes = set(), set()
    for part in UI_PARTS:
        keys, found = _used(part)
        used |= keys
        prefixes |= found
    unused = {}
    for part in UI_PARTS:
        for key in catalogue("en", part):
            if key not in used and not any(key.startswith(prefix) for prefix in prefixes):
                unused.setdefault(part, []).append(key)
    assert not unused, f"catalogue keys no page uses: {unused}"


def test_a_bad_message_is_caught():
    """The parse check is real: a broken plural and a missing argument are reported."""
    result = parsed({"a": "{count, plural, one {# x}}", "b": "{name", "c": "Hello {name}"})
    assert "error" in result["a"] and "error" in result["b"]
    assert result["c"] == {"args": ["name"]}


def test_the_import_view_lists_the_columns_the_import_reads():
    """The workspace's import view names each kind's columns (workspace.transfer.columnNames.<kind>) as the
    server reads them in that language (storage/services/transfer/columns.py), required ones starred."""
    from storage.services.transfer.columns import COLUMNS, KINDS, REQUIRED, column_names

    for language in languages():
        messages = catalogue(language, "workspace")
        for kind in KINDS:
            names = column_names(kind, language)
            expected = ", ".join(name + ("*" if english in REQUIRED[kind] else "")
                                 for english, name in zip(COLUMNS[kind], names))
            assert messages[f"workspace.transfer.columnNames.{kind}"] == expected, (language, kind)
