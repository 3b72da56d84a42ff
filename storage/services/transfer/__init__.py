"""CSV export and import of opportunities, accounts and business contacts, with BCM's column names.

Export gives the rows of a spreadsheet; import reads one, resolves names (link, stage, assignee,
account, product) to records, checks every record with the rules of the services the API uses and
creates them all, or none when any record is wrong or it is a dry run. The report names each bad
row and column. The column names and rules are documented in addin/workspace/README-import.md.

The modules: columns (the file's format), export, csv_reading (header, rows, typed cells),
import_plan (lookups once per file, the services' rules, the report) and import_write (one INSERT per
table). Everything other code uses is importable from here.
"""
from __future__ import annotations

from .columns import (
    ACCOUNT_COLUMNS, ACCOUNT_FIELDS, COLUMNS, CONTACT_COLUMNS, CONTACT_FIELDS, FORMULA_STARTS, INITIATOR_TYPES, KINDS,
    LINE_COLUMNS, LINE_FIELDS, LINK_TYPES, LIST_SEPARATOR, MAX_ROWS, OPPORTUNITY_COLUMNS, OPPORTUNITY_FIELDS,
    READ_ONLY, RECORD_COLUMNS, REQUIRED, TEXT_MARKER, TYPE_WORDS,
)
from .csv_reading import CellError, Cells, Row, read_csv
from .export import export_rows, safe_cell, write_csv
from .import_plan import Directory, ImportReport, RecordResult, Rules, import_csv

__all__ = [
    "ACCOUNT_COLUMNS", "ACCOUNT_FIELDS", "COLUMNS", "CONTACT_COLUMNS", "CONTACT_FIELDS", "FORMULA_STARTS",
    "INITIATOR_TYPES", "KINDS", "LINE_COLUMNS", "LINE_FIELDS", "LINK_TYPES", "LIST_SEPARATOR", "MAX_ROWS",
    "OPPORTUNITY_COLUMNS", "OPPORTUNITY_FIELDS", "READ_ONLY", "RECORD_COLUMNS", "REQUIRED", "TEXT_MARKER",
    "TYPE_WORDS", "CellError", "Cells", "Row", "read_csv", "export_rows", "safe_cell", "write_csv", "Directory",
    "ImportReport", "RecordResult", "Rules", "import_csv",
]
