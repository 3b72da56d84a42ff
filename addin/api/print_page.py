"""The printable opportunity page, in the reader's language (templates/print_page.html).

The language is `?lang=` when the link names one (the workspace opens the page in a new tab, whose
Accept-Language is the browser's, not the language chosen in the workspace), else the request's
(`addin.i18n.request_language()`: Accept-Language). The page says it in `<html lang>` and in
`Content-Language`.

Words come from storage/locales/<lang>/LC_MESSAGES/pages.po, each under the context "print"
(`pgettext("print", ...)` in the template, extracted by `make messages` from the Jinja template);
amounts, percentages, numbers, dates and times are formatted by Babel for the language's locale
(fr-FR: "1 234,56 €", "50 %", "18 déc. 2026", "14:05"; en-US: "€1,234.56", "50%", "Dec 18, 2026", "2:05 PM").

The page has its own Jinja environment (autoescape on, jinja2.ext.i18n), one per language, made on first
use: the app's environment stays as it is, and no request changes what another one sees.
"""
from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import g, request

from addin.i18n import LANGUAGE_QUERY, request_language
from storage import i18n

TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE = "print_page.html"


def page_language() -> str:
    """The print page's language: `?lang=` if Dealpane speaks it, else the request's."""
    named = i18n.supported(request.args.get(LANGUAGE_QUERY))
    if named:
        g.dealpane_language = named  # so that Content-Language (addin/i18n.py) says the same
        return named
    return request_language()


def render_print_page(**context: Any) -> str:
    """The page for `o` (serializers.opportunity), `workspace`, `history` (serializers.history_item)
    and `printed_at` (an aware datetime), in the page's language."""
    language = page_language()
    return _environment(language).get_template(TEMPLATE).render(
        html_lang=i18n.region_tag(language), **context)


# ---------------------------------------------------------------- the language's Jinja environment
@functools.cache
def _environment(language: str):
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: PLC0415

    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    translations = i18n.catalogue(language)

    def gettext(message: str) -> str:
        return translations.gettext(message) if translations else message

    def ngettext(singular: str, plural: str, n: int) -> str:
        return translations.ngettext(singular, plural, n) if translations else (singular if n == 1 else plural)

    def pgettext(context: str, message: str) -> str:
        return translations.pgettext(context, message) if translations else message

    def npgettext(context: str, singular: str, plural: str, n: int) -> str:
        if translations:
            return translations.npgettext(context, singular, plural, n)
        return singular if n == 1 else plural

    # newstyle: `pgettext("print", "due %(date)s", date=...)` formats, and escapes the values
    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext)
    locale = i18n.region_tag(language).replace("-", "_")
    env.filters.update(
        money=functools.partial(_money, locale=locale),
        number=functools.partial(_number, locale=locale),
        percent=functools.partial(_percent, locale=locale),
        day=functools.partial(_day, locale=locale),
        clock=functools.partial(_clock, locale=locale),
        moment=functools.partial(_moment, locale=locale),
    )
    return env


# ---------------------------------------------------------------- Babel formats (empty for no value)
def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _money(value: object, currency: str | None, *, locale: str) -> str:
    from babel.numbers import format_currency, format_decimal  # noqa: PLC0415

    amount = _decimal(value)
    if amount is None:
        return ""
    if not currency:
        return format_decimal(amount, format="#,##0.00", locale=locale)
    return format_currency(amount, currency, locale=locale)


def _number(value: object, *, locale: str) -> str:
    from babel.numbers import format_decimal  # noqa: PLC0415

    number = _decimal(value)
    return "" if number is None else format_decimal(number, locale=locale)


def _percent(value: object, *, locale: str) -> str:
    """A probability (0-100) as a percentage: "50 %" in French, "50%" in English."""
    from babel.numbers import format_percent  # noqa: PLC0415

    number = _decimal(value)
    return "" if number is None else format_percent(number / 100, locale=locale)


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return _utc(value).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, str) and value:
        try:
            return _utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def _utc(value: dt.datetime) -> dt.datetime:
    """Stored times are UTC; an aware one is said in UTC too (the page says so at its foot)."""
    return value.astimezone(dt.timezone.utc) if value.tzinfo else value


def _day(value: object, *, locale: str) -> str:
    from babel.dates import format_date  # noqa: PLC0415

    day = _as_date(value)
    return "" if day is None else format_date(day, format="medium", locale=locale)


def _clock(value: object, *, locale: str) -> str:
    """The time of day: 24-hour in French ("14:05"), "2:05 PM" in American English."""
    from babel.dates import format_time  # noqa: PLC0415

    moment = _as_datetime(value)
    return "" if moment is None else format_time(moment.time(), format="short", locale=locale)


def _moment(value: object, *, locale: str) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return str(value) if isinstance(value, str) else ""
    return f"{_day(moment, locale=locale)} {_clock(moment, locale=locale)}"
