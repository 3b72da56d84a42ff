"""No words for people hard-coded in the pane's and the shared front-end code (issue 18): every sentence,
label, button, aria-label, title and placeholder comes from t("key") (addin/shared/i18n.js) and the
catalogues storage/locales/<lang>/{common,pane,workspace}.json; static HTML marks its text data-i18n.

The JavaScript scan reads each string literal (quotes and template literals, comments and regular
expression literals skipped) and reports the ones that read like English shown to people: two letters
with a space between them, or a capital followed by small letters ("Back", "Link to this opportunity").
Not reported: catalogue keys, import paths, URLs, class names (class: "button primary"), selectors
(querySelector...), values compared with === (data, not shown), rel: values, HTTP header names, CamelCase names of things (AbortError, SharedRuntime), console
messages and the messages of Errors meant for developers (new Error("..."), super("...") in an Error
class), and the short ALLOWED list below, each with its reason.

One test per folder of SCANNED_FOLDERS. The workspace's folder is scanned too; until the lead says
the workspace is translated, its test is expected to fail (`enforced` False: xfail, not strict) — flip
it to True to make it count.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (folder, enforced): every *.js below the folder is scanned.
SCANNED_FOLDERS = [
    ("addin/pane/static", True),
    ("addin/shared", True),
    ("addin/workspace/static/js", True),
]
# Folders of Jinja templates whose text must be marked data-i18n.
TEMPLATE_FOLDERS = [
    ("addin/pane/templates/pane", True),
    ("addin/workspace/static", True),  # index.html, auth-redirect.html (the server fills the latter's keys)
]

# Files whose strings are not ours to translate.
SKIPPED_FILES = {
    # The Office stand-in plays Microsoft's office.js (demo and tests): its strings are Office's names
    # and Office's own error messages, which real Office gives in its own words.
    "addin/pane/static/office-standin.js": "plays office.js",
}

# Literals that look like words but are not words for people (text after ${...} became "{}").
ALLOWED = {
    "Bearer {}": "the HTTP Authorization scheme (RFC 6750), not a word for people",
    "Icon.16x16": "a resource id of the add-in manifest (the notification's icon)",
    "DealpaneOpportunity": "the name of our custom property on Outlook items (read back by the sync)",
    "use strict": "the JavaScript directive",
    "RE: {}": "the reply prefix the demo preview puts on a reply draft, as Outlook would",
}

KEY = re.compile(r"^(?:common|pane|workspace)\.[A-Za-z0-9_.]+$")
HEADER = re.compile(r"^[A-Z][a-z]+(?:-[A-Z][a-z]*)+$")  # Content-Type, X-Dev-User, Accept-Language
CAMEL = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+$")  # AbortError, SharedRuntime
WORDY = re.compile(r"[A-Za-z]\s+[A-Za-z]|^\W*[A-Z][a-z]")
URLISH = re.compile(r"^(?:https?:|/|\./|\.\./|[a-z]+/[a-z+.-]+)")
# What comes right before a literal that is not for people.
QUIET_CONTEXT = re.compile(
    r"(?:\bfrom\s*|\bimport\s*\(\s*|\bconsole\.\w+\(\s*(?:[^()]*,\s*)?|\bsuper\(\s*|\bnew\s+\w*Error\(\s*"
    r"|[!=]==?\s*|\brel\s*:\s*|\bclass(?:Name)?\s*[:=]\s*|\bclassList\.\w+\(\s*|\b(?:querySelector(?:All)?|closest|matches)\(\s*)$")
REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {""}


def _literals(source: str):
    """(text, offset) of each string literal of `source` (a template literal's ${...} as "{}", the
    strings inside it found too), skipping comments and regular expression literals."""
    out = []
    i, n = 0, len(source)

    def last_significant(pos: int) -> str:
        j = pos - 1
        while j >= 0 and source[j] in " \t\r\n":
            j -= 1
        if j < 0:
            return ""
        if source[j].isalnum() or source[j] in "_$":
            k = j
            while k >= 0 and (source[k].isalnum() or source[k] in "_$"):
                k -= 1
            word = source[k + 1:j + 1]
            return "" if word in ("return", "typeof", "case", "in", "of", "else") else "x"
        return source[j]

    def template(start: int) -> int:
        """Reads the template literal at `start` (the backquote); returns the index after it."""
        j, text = start + 1, []
        while j < n and source[j] != "`":
            if source[j] == "\\":
                text.append(source[j:j + 2])
                j += 2
            elif source.startswith("${", j):
                text.append("{}")
                j = code(j + 2, "}")
            else:
                text.append(source[j])
                j += 1
        out.append(("".join(text), start))
        return j + 1

    def code(j: int, until: str | None) -> int:
        depth = 0
        while j < n:
            c = source[j]
            if until and c == until and depth == 0:
                return j + 1
            if c in "{([":
                depth += 1
            elif c in "})]":
                depth -= 1
            if source.startswith("//", j):
                j = source.find("\n", j)
                j = n if j < 0 else j
            elif source.startswith("/*", j):
                j = source.find("*/", j + 2)
                j = n if j < 0 else j + 2
            elif c in "\"'":
                k = j + 1
                while k < n and source[k] != c:
                    k += 2 if source[k] == "\\" else 1
                out.append((source[j + 1:k], j))
                j = k + 1
            elif c == "`":
                j = template(j)
            elif c == "/" and last_significant(j) in REGEX_BEFORE:
                k, in_class = j + 1, False
                while k < n and (in_class or source[k] != "/") and source[k] != "\n":
                    if source[k] == "\\":
                        k += 1
                    elif source[k] == "[":
                        in_class = True
                    elif source[k] == "]":
                        in_class = False
                    k += 1
                j = k + 1
            else:
                j += 1
        return j

    code(i, None)
    return out


def hard_coded(source: str) -> list[str]:
    """The literals of JavaScript `source` that read like words for people."""
    error_classes = set(re.findall(r"class\s+(\w+)\s+extends\s+\w*Error\b", source))
    found = []
    for text, offset in _literals(source):
        words = text.strip()
        if not words or not WORDY.search(words.replace("{}", "\0")):
            continue
        if KEY.match(words) or HEADER.match(words) or CAMEL.match(words) or URLISH.match(words):
            continue
        if text in ALLOWED:
            continue
        before = source[max(0, offset - 200):offset]
        if QUIET_CONTEXT.search(before):
            continue
        if any(re.search(rf"\bnew\s+{name}\(\s*$", before) for name in error_classes):
            continue
        found.append(text)
    return found


def _js_files(folder: str):
    base = ROOT / folder
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*.js") if "vendor" not in p.parts)


def _folder_params(folders):
    return [pytest.param(folder, id=folder, marks=() if enforced else pytest.mark.xfail(
        reason="not translated yet: the lead flips `enforced` once it is", strict=False))
        for folder, enforced in folders]


@pytest.mark.parametrize("folder", _folder_params(SCANNED_FOLDERS))
def test_no_hard_coded_words_in_javascript(folder):
    files = _js_files(folder)
    assert files, f"nothing to scan in {folder}"
    found = {}
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if relative in SKIPPED_FILES:
            continue
        words = hard_coded(path.read_text(encoding="utf-8"))
        if words:
            found[relative] = words
    assert not found, f"words for people not from t(): {found}"


class _TextWithoutKey(HTMLParser):
    """Text nodes whose element has no data-i18n, and aria-label/title/placeholder/alt without their
    data-i18n-* twin."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in self.ATTRIBUTES:
            value = (attributes.get(name) or "").strip()
            if value and f"data-i18n-{name}" not in attributes and not value.startswith("{{"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag not in ("meta", "link", "img", "input", "br", "hr"):
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        text = data.strip()
        if not text or not self.stack:
            return
        tag, attributes = self.stack[-1]
        if tag in ("script", "style") or "data-i18n" in attributes:
            return
        self.found.append(f"<{tag}> {text!r}")


def untranslated_markup(template: str) -> list[str]:
    """Text and spoken attributes of a Jinja template that no data-i18n key translates."""
    plain = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", "", template, flags=re.S)
    parser = _TextWithoutKey()
    parser.feed(plain)
    parser.close()
    return parser.found


@pytest.mark.parametrize("folder", _folder_params(TEMPLATE_FOLDERS))
def test_template_text_is_marked_for_translation(folder):
    templates = sorted((ROOT / folder).glob("*.html"))
    assert templates
    found = {t.name: untranslated_markup(t.read_text(encoding="utf-8")) for t in templates}
    assert not {name: texts for name, texts in found.items() if texts}, found


# ---- the scanners themselves ----------------------------------------------------------------------

def test_a_hard_coded_sentence_is_found():
    sample = 'container.append(h("button", { class: "button primary" }, "Link to this opportunity"));'
    assert hard_coded(sample) == ["Link to this opportunity"]


@pytest.mark.parametrize("sample, expected", [
    ('h("span", null, "Back")', ["Back"]),
    ("h(\"p\", null, `This ${noun} is not linked yet.`)", ["This {} is not linked yet."]),
    ('x.setAttribute("aria-label", `Link this ${noun}`)', ["Link this {}"]),
    ('const s = cond ? "Close as won" : "Close as lost";', ["Close as won", "Close as lost"]),
    ('input.placeholder = "Title of the opportunity"; // a comment with Words in it', ["Title of the opportunity"]),
])
def test_words_for_people_are_found(sample, expected):
    assert hard_coded(sample) == expected


@pytest.mark.parametrize("sample", [
    'h("h1", null, t("pane.link.title"))',
    'import { h } from "../../shared/dom.js";',
    'console.error("dealpane: The words could not be loaded", error);',
    'throw new Error("Not able to load MicrosoftAjax.js.");',
    'class OfficeSilent extends Error { constructor(a) { super("Outlook did not answer."); } }',
    'class Gone extends Error {}\nreject(new Gone("Not running in Outlook."));',
    'h("div", { class: "notice notice-error" })',
    'el.className = "item from";',
    'document.querySelectorAll(".item-list button[aria-current]")',
    'headers["Content-Type"] = "application/json"; headers.get("Retry-After");',
    'if (error.name === "AbortError") {}',
    'if (platform === "Android" || host !== "Outlook Mobile") {}',
    'h("a", { href: link, rel: "noopener noreferrer" })',
    '"use strict";',
    'const url = "https://learn.microsoft.com/office/dev/add-ins";',
    'const re = /filename="([^"]+)" and It/; const s = x.replace(/^((re|fw)\\s*:\\s*)+/i, "");',
    '/* A comment: Link to this opportunity */ // Another Comment',
    'headers.Authorization = `Bearer ${token}`;',
])
def test_what_is_not_for_people_is_left_alone(sample):
    assert hard_coded(sample) == []


def test_template_text_without_a_key_is_found():
    template = """{# a Jinja comment with Words #}<html><head><title>Dealpane preview</title>
      <script src="{{ url_for('x') }}"></script></head>
      <body><h1 data-i18n="pane.preview.title">Dealpane preview</h1><p>Link to this opportunity</p>
      <ul aria-label="Messages" data-i18n-aria-label="pane.preview.messages"></ul>
      <iframe title="Dealpane task pane"></iframe><img alt=""></body></html>"""
    assert untranslated_markup(template) == [
        "<title> 'Dealpane preview'", "<p> 'Link to this opportunity'", "<iframe title='Dealpane task pane'>"]
