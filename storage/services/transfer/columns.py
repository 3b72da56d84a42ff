"""The CSV file's format: kinds, BCM's column names, which field each column sets, formula marking.

The names below are the English ones and the keys every other module uses. A file's columns are
named in one language: export writes them in the request's language, import reads them in any
language with a catalogue (storage/locales/<lang>/LC_MESSAGES/transfer.po, context "CSV column";
the type words of Link To Type / Initiated By Type have the context "CSV value").
Documented for people in addin/workspace/README-import.md.
"""
from __future__ import annotations

import functools

from storage.i18n import languages, word

COLUMN, VALUE = "CSV column", "CSV value"


def pgettext(context: str, msgid: str) -> str:
    """Marks a column name or a cell word for the catalogue with its context (pybabel's default keyword
    `pgettext`, so `make messages` extracts it); it is translated where used, with `word(msgid, lang, context)`."""
    return msgid


KINDS = ("opportunities", "accounts", "contacts")
MAX_ROWS = 20_000
LIST_SEPARATOR = ";"
# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection"): exported with a
# leading apostrophe, the spreadsheets' text marker. A leading apostrophe is removed again on import.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARKER = "'"

ACCOUNT_COLUMNS = [pgettext("CSV column", "Account Name"), pgettext("CSV column", "E-mail Domains"),
                   pgettext("CSV column", "Business Phone"), pgettext("CSV column", "Web Page Address"),
                   pgettext("CSV column", "Business Address"), pgettext("CSV column", "Categories")]
CONTACT_COLUMNS = [pgettext("CSV column", "Full Name"), pgettext("CSV column", "E-mail Address"),
                   pgettext("CSV column", "Job Title"), "Business Phone", pgettext("CSV column", "Account"), "Categories"]
LINE_COLUMNS = [pgettext("CSV column", "Product or Service"), pgettext("CSV column", "Line Description"),
                pgettext("CSV column", "Quantity"), pgettext("CSV column", "Unit Price"),
                pgettext("CSV column", "Discount (%)"), pgettext("CSV column", "Line Total")]
OPPORTUNITY_COLUMNS = [
    pgettext("CSV column", "Opportunity ID"), pgettext("CSV column", "Opportunity Title"),
    pgettext("CSV column", "Link To Type"), pgettext("CSV column", "Link To"), pgettext("CSV column", "Assigned To"),
    pgettext("CSV column", "Type"), pgettext("CSV column", "Sales Stage"), pgettext("CSV column", "Probability"),
    pgettext("CSV column", "Close Date"), pgettext("CSV column", "Payment Terms"),
    pgettext("CSV column", "Expiration Date"), pgettext("CSV column", "Delivery Date"), pgettext("CSV column", "Source"),
    pgettext("CSV column", "Initiated By Type"), pgettext("CSV column", "Initiated By"),
    pgettext("CSV column", "Competitors"), pgettext("CSV column", "Close Reason"), pgettext("CSV column", "Reminder"),
    "Categories",
    pgettext("CSV column", "Comments"), pgettext("CSV column", "Total"), pgettext("CSV column", "Expected Revenue"),
    *LINE_COLUMNS,
]
COLUMNS = {"accounts": ACCOUNT_COLUMNS, "contacts": CONTACT_COLUMNS, "opportunities": OPPORTUNITY_COLUMNS}
REQUIRED = {"accounts": ["Account Name"], "contacts": ["Full Name"],
            "opportunities": ["Opportunity Title", "Link To Type", "Link To"]}
# Computed by Dealpane: exported for people to read, ignored on import.
READ_ONLY = {"Total", "Expected Revenue", "Line Total"}
# The columns of the opportunity itself (repeated on each of its line rows).
RECORD_COLUMNS = [c for c in OPPORTUNITY_COLUMNS if c not in LINE_COLUMNS and c not in READ_ONLY
                  and c != "Opportunity ID"]

LINK_TYPES = {"account": pgettext("CSV value", "Account"), "contact": pgettext("CSV value", "Business Contact")}
INITIATOR_TYPES = {"account": "Account", "contact": "Business Contact",
                   "marketing_activity": pgettext("CSV value", "Marketing Activity")}
# what a Link To Type / Initiated By Type cell may say (casefolded), besides the words above in every language
TYPE_WORDS = {"account": "account", "accounts": "account", "business contact": "contact", "contact": "contact",
              "contacts": "contact", "business contacts": "contact", "marketing activity": "marketing_activity",
              "marketing activities": "marketing_activity", "campaign": "marketing_activity",
              "compte": "account", "comptes": "account", "contacts professionnels": "contact",
              "activités marketing": "marketing_activity", "campagne": "marketing_activity"}


def key(name: str) -> str:
    """A column name or cell word as import compares it: case, spaces (no-break ones too) and the
    apostrophe (’ or ') do not matter."""
    return " ".join(name.replace("\u2019", "'").split()).casefold()


def column_names(kind: str, language: str) -> list[str]:
    """The kind's columns as a file in `language` names them (English when it has no catalogue)."""
    return [word(c, language, COLUMN) for c in COLUMNS[kind]]


def type_word(value: str, language: str) -> str:
    """Account, Business Contact, Marketing Activity in `language`."""
    return word(value, language, VALUE)


@functools.cache
def columns_by_language(kind: str) -> dict[str, dict[str, str]]:
    """language -> {key(the column's name in that language): the English name} for every language
    Dealpane speaks (English first)."""
    return {lang: {key(word(c, lang, COLUMN)): c for c in COLUMNS[kind]} for lang in languages()}


@functools.cache
def type_words() -> dict[str, str]:
    """key(a type word in any language) -> account, contact or marketing_activity."""
    found = dict(TYPE_WORDS)
    for lang in languages():
        for kind, name in INITIATOR_TYPES.items():
            found.setdefault(key(type_word(name, lang)), kind)
    return found

# the services' field -> the column it came from (for reporting a rule's error on its column)
ACCOUNT_FIELDS = {"name": "Account Name", "email_domains": "E-mail Domains", "phone": "Business Phone",
                  "web_site": "Web Page Address", "address": "Business Address", "categories": "Categories"}
CONTACT_FIELDS = {"display_name": "Full Name", "email_addresses": "E-mail Address", "job_title": "Job Title",
                  "phone": "Business Phone", "account_id": "Account", "categories": "Categories"}
OPPORTUNITY_FIELDS = {
    "title": "Opportunity Title", "link": "Link To", "assigned_to": "Assigned To", "type": "Type",
    "stage_id": "Sales Stage", "probability": "Probability", "close_date": "Close Date",
    "payment_terms": "Payment Terms", "expiration_date": "Expiration Date", "delivery_date": "Delivery Date",
    "source": "Source", "initiated_by": "Initiated By", "competitors": "Competitors", "close_reason": "Close Reason",
    "reminder_at": "Reminder",
    "categories": "Categories", "comments": "Comments",
}
LINE_FIELDS = {"name": "Product or Service", "product_id": "Product or Service", "description": "Line Description",
               "quantity": "Quantity", "unit_price": "Unit Price", "discount_percent": "Discount (%)",
               "id": "Product or Service"}
