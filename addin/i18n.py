"""The language of a request: what the API answers in, and the words it answers with.

The pane asks in Office's display language and the workspace in the user's choice (or the browser's),
both through `Accept-Language` (addin/shared/api.js); a page opened by a link (the print page, a CSV
download) may name it with `?lang=`. Dealpane answers in the best language it speaks, English otherwise,
and says which in `Content-Language` (with `Vary: Accept-Language`).
"""
from __future__ import annotations

from flask import Flask, Response, g, has_request_context, request

from storage import i18n

LANGUAGE_QUERY = "lang"


def request_language() -> str:
    """'fr' or 'en' (or any language with a catalogue) for the current request; English outside one."""
    if not has_request_context():
        return i18n.SOURCE_LANGUAGE
    chosen = g.get("dealpane_language")
    if chosen is None:
        named = i18n.supported(request.args.get(LANGUAGE_QUERY)) if not request.path.startswith("/api/") else None
        chosen = named or i18n.best_language(tag for tag, _quality in request.accept_languages)
        g.dealpane_language = chosen
    return chosen


def tr(value: object) -> object:
    """A Text (storage.i18n._) in the request's language; anything else unchanged."""
    return i18n.translate(value, request_language())


def say(msgid: str, context: str | None = None) -> str:
    """A marked word (storage.i18n.N_) in the request's language."""
    return i18n.word(msgid, request_language(), context)


def register_language(app: Flask) -> None:
    @app.after_request
    def _content_language(response: Response) -> Response:
        if request.path.startswith("/api/"):
            response.headers["Content-Language"] = request_language()
            response.vary.add("Accept-Language")
        return response
