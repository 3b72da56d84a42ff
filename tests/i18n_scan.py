"""Is any English left on a page shown in another language? Shared by the pane's and the workspace's
browser tests (the issue's proof: "nothing English left on the main views").

The page's visible text (each text node of a rendered element) and its spoken or hinted text
(aria-label, title, placeholder, alt, value of buttons) is compared with every English message of the
UI catalogues (storage/locales/en/*.json) and the server's sentences that reach pages (problem details
are Texts said in the request's language). A text that is an English message, or matches one with its
{placeholders} filled, and is not also the same words in the target language, is English left over.
"""
from __future__ import annotations

import json
import re
from functools import cache

from storage.i18n import LOCALES_DIR, UI_PARTS

_COLLECT = """() => {
  const out = [];
  const visible = (el) => {
    if (!el || el.closest('[hidden], [aria-hidden="true"], script, style, noscript, template')) return false;
    const style = getComputedStyle(el);
    return style.display !== 'none' && style.visibility !== 'hidden';
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text && visible(node.parentElement)) out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt], input[type=button], input[type=submit]')) {
    if (!visible(el)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.replace(/\\s+/g, ' ').trim());
    }
    if (el.tagName === 'INPUT' && el.value) out.push(el.value);
  }
  out.push(document.title);
  return out;
}"""
_ARGUMENT = re.compile(r"\{[^{}]*(\{[^{}]*\}[^{}]*)*\}")


def _messages(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in UI_PARTS:
        path = LOCALES_DIR / language / f"{part}.json"
        if path.is_file():
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def _pattern(message: str) -> re.Pattern | None:
    """An English message as a pattern: its literal words, any {argument} (plural or not) as '.+'."""
    if not re.search(r"[A-Za-z]{3,}", _ARGUMENT.sub(" ", message)):
        return None  # nothing but arguments and punctuation
    parts, last = [], 0
    for match in _ARGUMENT.finditer(message):
        parts.append(re.escape(message[last:match.start()]))
        parts.append(".+?")
        last = match.end()
    parts.append(re.escape(message[last:]))
    return re.compile("^" + "".join(parts).replace("'", "['’]") + "$")


@cache
def _english(language: str) -> tuple[tuple[str, re.Pattern], ...]:
    english, other = _messages("en"), _messages(language)
    found = []
    for key, message in english.items():
        if other.get(key) == message:
            continue  # the same words in both languages ("Dealpane", "E-mail", "Source"...)
        pattern = _pattern(message)
        if pattern is not None:
            found.append((key, pattern))
    return tuple(found)


def english_left(page, language: str = "fr", allow: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(text, catalogue key) for each text on `page` that is an English message; `allow` lists texts that
    come from data (a record's name) and may happen to read like one."""
    texts = page.evaluate(_COLLECT)
    translated = set(_messages(language).values())
    left = []
    for text in dict.fromkeys(texts):
        if text in allow or text in translated:
            continue
        for key, pattern in _english(language):
            if pattern.match(text):
                left.append((text, key))
                break
    return left
